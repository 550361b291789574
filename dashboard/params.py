"""Query parameters that pages and the API read alike."""
import re

from dashboard.errors import ValidationFailed

WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
MAX_PAGE = 1_000_000


def whole_number(raw, name, default, maximum):
    """A whole number from 1 to maximum written in ASCII digits, or ValidationFailed."""
    if raw is None or raw == "":
        return default
    if not WHOLE_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= maximum:
        raise ValidationFailed(f"'{name}' must be a whole number from 1 to {maximum}.", details=[{"field": name}])
    return int(raw)
