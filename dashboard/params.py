"""Query parameters that pages and the API read alike."""
import re
from datetime import date

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


def iso_date(raw, name):
    """A date written YYYY-MM-DD, or None when absent; ValidationFailed otherwise."""
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(f"'{name}' must be a date written YYYY-MM-DD.", details=[{"field": name}])


def choice(raw, name, allowed):
    if not raw:
        return None
    if raw not in allowed:
        raise ValidationFailed(f"'{name}' must be one of: {', '.join(allowed)}.", details=[{"field": name}])
    return raw


def batch_list_query(args):
    """The batch list's filters, sort and paging from query parameters (pages and API alike)."""
    from dashboard.models import AggregationLevel, CalculationStatus
    from dashboard.services.batches import BATCH_SORT_COLUMNS

    filters = {
        "batch_code": args.get("batch_code") or None,
        "aggregation_level": choice(
            args.get("aggregation_level"), "aggregation_level", [level.value for level in AggregationLevel]
        ),
        "calculation_status": choice(
            args.get("calculation_status"), "calculation_status", [status.value for status in CalculationStatus]
        ),
        "created_by": args.get("created_by") or None,
        "created_from": iso_date(args.get("created_from"), "created_from"),
        "created_to": iso_date(args.get("created_to"), "created_to"),
    }
    return _sorted_page(args, filters, BATCH_SORT_COLUMNS)


def _sorted_page(args, filters, sort_columns):
    return {
        "filters": filters,
        "sort": choice(args.get("sort"), "sort", list(sort_columns)) or "created_at",
        "direction": choice(args.get("direction"), "direction", ["asc", "desc"]) or "desc",
        "page": whole_number(args.get("page"), "page", 1, MAX_PAGE),
        "page_size": whole_number(args.get("page_size"), "page_size", 20, 100),
    }


def task_list_query(args):
    """The task list's filters, sort and paging from query parameters (pages and API alike)."""
    from dashboard.config import QUEUE_NAMES
    from dashboard.models import CalculationStatus
    from dashboard.services.tasks import TASK_SORT_COLUMNS

    filters = {
        "batch_code": args.get("batch_code") or None,
        "status": choice(args.get("status"), "status", [status.value for status in CalculationStatus]),
        "priority": choice(args.get("priority"), "priority", QUEUE_NAMES),
        "started_by": args.get("started_by") or None,
        "created_from": iso_date(args.get("created_from"), "created_from"),
        "created_to": iso_date(args.get("created_to"), "created_to"),
    }
    return _sorted_page(args, filters, TASK_SORT_COLUMNS)
