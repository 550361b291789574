"""JSON errors: {"error": {"code", "message", "details"}}, for every failure under /api/."""
from werkzeug.exceptions import HTTPException

from dashboard.errors import ServiceError, json_error

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


def from_service_error(error: ServiceError):
    return json_error(error.status, error.code, error.message, error.details)


def from_http_exception(error: HTTPException):
    status = error.code or 500
    return json_error(status, HTTP_ERROR_CODES.get(status, "error"), error.description or error.name)


def internal_error():
    return json_error(500, "internal_error", "The server failed to handle the request; it has been logged.")
