"""The JSON API for scripts, under /api/v1/statistics."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1/statistics")

from dashboard.api import errors, v1  # noqa: E402,F401  (routes register on bp)
