"""Errors raised by services; pages and the JSON API each render them their own way."""
from flask import jsonify


def json_error(status, code, message, details=None, **extra):
    """The API's error body {"error": {code, message, details}}; `extra` adds top-level keys
    beside "error" (such as the existing task of a 409)."""
    response = jsonify({"error": {"code": code, "message": message, "details": details or []}, **extra})
    response.status_code = status
    return response


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message, details=None, code=None):
        super().__init__(message)
        self.message = message
        self.details = details or []
        if code:
            self.code = code


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class ValidationFailed(ServiceError):
    status = 422
    code = "validation_failed"


class ServiceUnavailable(ServiceError):
    status = 503
    code = "service_unavailable"


class TaskAlreadyActive(Conflict):
    """A start of a batch that already has a queued or running task; carries that task."""

    code = "task_already_active"

    def __init__(self, message, task):
        super().__init__(message)
        self.task = task
