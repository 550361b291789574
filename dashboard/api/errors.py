"""JSON errors: {"error": {"code", "message", "details"}}, for every failure under /api/."""
from flask import jsonify
from werkzeug.exceptions import HTTPException

from dashboard.errors import ServiceError

HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    500: "internal_error",
    503: "service_unavailable",
}


def api_error(status, code, message, details=None, **extra):
    """The error body; `extra` adds top-level keys beside "error" (such as the existing task of a 409)."""
    response = jsonify({"error": {"code": code, "message": message, "details": details or []}, **extra})
    response.status_code = status
    return response


def from_service_error(error: ServiceError):
    return api_error(error.status, error.code, error.message, error.details)


def from_http_exception(error: HTTPException):
    status = error.code or 500
    return api_error(status, HTTP_ERROR_CODES.get(status, "error"), error.description or error.name)


def internal_error():
    return api_error(500, "internal_error", "The server failed to handle the request; it has been logged.")
