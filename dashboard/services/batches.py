"""Batches: creating, changing, finding, listing and deleting them; one rule set for pages and API."""
import re

from sqlalchemy import delete, func, select

from dashboard.errors import Conflict, NotFound, ServiceError, ValidationFailed
from dashboard.extensions import db
from dashboard.models import (
    AggregationLevel,
    AuditEvent,
    Batch,
    BatchHistory,
    CalculationStatus,
    CalculationTask,
    User,
)
from dashboard.services.history import record_change
from dashboard.services.settings import effective_settings, validate_settings
from dashboard.services.listing import created_between, sorted_page
from dashboard.services.tasks import active_task, cancel_task

BATCH_CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
EDITABLE_FIELDS = ("region_name", "school_name", "description")
IDENTITY_FIELDS = ("batch_code", "aggregation_level", "school_id")
TEXT_LIMITS = {"region_name": 200, "school_name": 200, "description": 5000}


def batch_fields(batch):
    """The user-visible fields of a batch, as history and the API record them."""
    fields = {name: getattr(batch, name) for name in IDENTITY_FIELDS + EDITABLE_FIELDS}
    return {**fields, **{f"settings.{name}": value for name, value in effective_settings(batch.settings).items()}}


def _clean_text(values, name, problems):
    """The field as stripped text ("" when absent); a number, list or broken Unicode is a problem."""
    value = values.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append({"field": name, "message": "Give this field as text."})
        return ""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        problems.append({"field": name, "message": "This text holds characters that are not valid Unicode."})
        return ""
    return value.strip()


def _validate_identity(values):
    problems = []
    code = _clean_text(values, "batch_code", problems)
    level = _clean_text(values, "aggregation_level", problems) or AggregationLevel.REGIONAL.value
    school_id = _clean_text(values, "school_id", problems) or None
    if not BATCH_CODE_PATTERN.match(code):
        problems.append({"field": "batch_code", "message": "Use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit."})
    if level not in {member.value for member in AggregationLevel}:
        problems.append({"field": "aggregation_level", "message": "Choose 'regional' or 'school'."})
    elif level == AggregationLevel.SCHOOL.value and not school_id:
        problems.append({"field": "school_id", "message": "A school-level batch needs a school id."})
    elif level == AggregationLevel.REGIONAL.value and school_id:
        problems.append({"field": "school_id", "message": "A regional batch must not have a school id."})
    if school_id and len(school_id) > 64:
        problems.append({"field": "school_id", "message": "Use at most 64 characters."})
    return {"batch_code": code, "aggregation_level": level, "school_id": school_id}, problems


def _validate_text_fields(values):
    cleaned, problems = {}, []
    for name, limit in TEXT_LIMITS.items():
        if name not in values:
            continue
        cleaned[name] = _clean_text(values, name, problems)
        if len(cleaned[name]) > limit:
            problems.append({"field": name, "message": f"Use at most {limit} characters."})
    return cleaned, problems


def _unknown_fields(values):
    known = set(IDENTITY_FIELDS + EDITABLE_FIELDS + ("settings",))
    return [{"field": name, "message": f"Unknown field '{name}'."} for name in values if name not in known]


def _raise_if(problems):
    if problems:
        raise ValidationFailed("The batch is not valid: " + "; ".join(p["message"] for p in problems), details=problems)


def _find_by_identity(batch_code, aggregation_level, school_id):
    return db.session.scalar(
        select(Batch).where(
            Batch.batch_code == batch_code,
            Batch.aggregation_level == aggregation_level,
            func.coalesce(Batch.school_id, "") == (school_id or ""),
        )
    )


def create_batch(values, user):
    identity, problems = _validate_identity(values)
    text_fields, text_problems = _validate_text_fields(values)
    settings, setting_problems = validate_settings(values.get("settings") or {})
    _raise_if(_unknown_fields(values) + problems + text_problems + setting_problems)
    if _find_by_identity(**identity):
        raise Conflict("A batch with this code, level and school already exists.", details=[identity])
    batch = Batch(**identity, **text_fields, settings=settings, created_by_id=user.id if user else None)
    db.session.add(batch)
    db.session.flush()
    record_change(batch, "created", {}, batch_fields(batch), user)
    db.session.commit()
    return batch


def update_batch(batch, values, user):
    """Change the descriptive fields; the identity (code, level, school) is fixed once created."""
    _raise_if(_unknown_fields(values))
    changed_identity = [
        name for name in IDENTITY_FIELDS if name in values and (values[name] or None) != getattr(batch, name)
    ]
    if changed_identity:
        raise ValidationFailed(
            "The batch code, level and school cannot be changed; create a new batch instead.",
            details=[{"field": name, "message": "This field cannot be changed."} for name in changed_identity],
        )
    text_fields, problems = _validate_text_fields(values)
    settings, setting_problems = validate_settings(values["settings"]) if "settings" in values else (None, [])
    _raise_if(problems + setting_problems)
    before = batch_fields(batch)
    for name, value in text_fields.items():
        setattr(batch, name, value)
    if settings is not None and settings != effective_settings(batch.settings):
        batch.settings = settings
        # Results on record were calculated with the old settings.
        batch.results_stale = batch.calculation_status == CalculationStatus.COMPLETED.value
    record_change(batch, "updated", before, batch_fields(batch), user)
    db.session.commit()
    return batch


def delete_batch(batch, user, force=False):
    """Delete the batch with its data, results, tasks and history, and leave an audit record.

    A batch with a queued or running task is refused unless `force`, which cancels the task first."""
    task = active_task(batch)
    if task and not force:
        raise Conflict(
            "The batch has a calculation in progress; cancel it first or delete with force.", code="batch_busy"
        )
    if task:
        cancel_task(task, user)
    task_count = db.session.scalar(select(func.count()).where(CalculationTask.batch_id == batch.id))
    db.session.add(
        AuditEvent(
            action="batch_deleted",
            details={
                **batch_fields(batch),
                "id": batch.id,
                "student_count": batch.student_count,
                "school_count": batch.school_count,
                "data_version": batch.data_version,
                "task_count": task_count,
                "cancelled_task": task.id if task else None,
            },
            user_id=user.id if user else None,
            username=user.username if user else "",
        )
    )
    db.session.execute(delete(BatchHistory).where(BatchHistory.batch_id == batch.id))
    db.session.delete(batch)
    db.session.commit()


def get_batch(batch_id):
    # Ids beyond the database's integer range cannot exist (and would overflow the query).
    batch = db.session.get(Batch, batch_id) if 0 < batch_id < 2**31 else None
    if batch is None:
        raise NotFound(f"Batch {batch_id} does not exist.")
    return batch


def find_batch(batch_code, aggregation_level=None, school_id=None):
    """The one batch with this code; level and school narrow it when several share the code."""
    query = select(Batch).where(Batch.batch_code == batch_code)
    if aggregation_level:
        query = query.where(Batch.aggregation_level == aggregation_level)
    if school_id:
        query = query.where(Batch.school_id == school_id)
    elif aggregation_level == AggregationLevel.REGIONAL.value:
        query = query.where(Batch.school_id.is_(None))
    matches = db.session.scalars(query.limit(20)).all()
    if not matches:
        raise NotFound(f"No batch '{batch_code}' matches.")
    if len(matches) > 1:
        raise ServiceError(
            f"Several batches have the code '{batch_code}'; give aggregation_level and school_id.",
            details=[{"aggregation_level": b.aggregation_level, "school_id": b.school_id} for b in matches],
        )
    return matches[0]


# The batch list may be sorted by these columns only.
BATCH_SORT_COLUMNS = {
    "created_at": Batch.created_at,
    "batch_code": Batch.batch_code,
    "calculation_status": Batch.calculation_status,
    "student_count": Batch.student_count,
    "school_count": Batch.school_count,
}


def list_batches(filters, sort="created_at", direction="desc", page=1, page_size=20):
    """One page of batches with the total count; filters: batch_code (prefix), aggregation_level,
    calculation_status, created_by (user name), created_from / created_to (dates, inclusive)."""
    query = select(Batch)
    if filters.get("batch_code"):
        query = query.where(Batch.batch_code.startswith(filters["batch_code"], autoescape=True))
    if filters.get("aggregation_level"):
        query = query.where(Batch.aggregation_level == filters["aggregation_level"])
    if filters.get("calculation_status"):
        query = query.where(Batch.calculation_status == filters["calculation_status"])
    if filters.get("created_by"):
        query = query.join(User, Batch.created_by_id == User.id).where(User.username == filters["created_by"])
    query = created_between(query, Batch.created_at, filters.get("created_from"), filters.get("created_to"))
    column = BATCH_SORT_COLUMNS.get(sort, Batch.created_at)
    return sorted_page(query, column, direction, page, page_size, Batch.id.desc())


def batch_history(batch):
    return db.session.scalars(
        select(BatchHistory).where(BatchHistory.batch_id == batch.id).order_by(BatchHistory.id.desc())
    ).all()

