"""Starting, cancelling and deleting many at once: each item succeeds or fails on its own,
with its own reason, and the summary counts both. Over a limit nothing is done."""
from dashboard.errors import ServiceError, TaskAlreadyActive, ValidationFailed
from dashboard.extensions import db
from dashboard.services import batches, tasks

START_LIMIT = 50
CANCEL_LIMIT = 100
DELETE_LIMIT = 100


def _check_list(items, name, limit):
    if not isinstance(items, list) or not items:
        raise ValidationFailed(f"'{name}' must be a non-empty list.", details=[{"field": name}])
    if len(items) > limit:
        raise ValidationFailed(
            f"At most {limit} {name} at once; {len(items)} were given and nothing was done.",
            details=[{"field": name, "limit": limit, "given": len(items)}],
        )


def _failure(item, error: ServiceError, **extra):
    db.session.rollback()
    return {**item, "status": "failed", "code": error.code, "message": error.message, **extra}


def _start_entry(entry):
    """A batch-start entry as a dict: a bare code, or {batch_code, aggregation_level, school_id, priority}."""
    if isinstance(entry, str):
        return {"batch_code": entry}
    if isinstance(entry, dict) and isinstance(entry.get("batch_code"), str):
        return {key: entry.get(key) for key in ("batch_code", "aggregation_level", "school_id", "priority") if entry.get(key)}
    raise ValidationFailed("Each entry must be a batch code or an object with 'batch_code'.")


def start_many(entries, user):
    _check_list(entries, "batches", START_LIMIT)
    results = []
    for raw in entries:
        try:
            entry = _start_entry(raw)
            batch = batches.find_batch(entry["batch_code"], entry.get("aggregation_level"), entry.get("school_id"))
            task = tasks.start_task(batch, user, priority=entry.get("priority", "normal"))
            results.append({**entry, "status": "started", "task_id": task.id})
        except TaskAlreadyActive as already:
            results.append(_failure(entry, already, task_id=already.task.id))
        except ServiceError as error:
            results.append(_failure(raw if isinstance(raw, dict) else {"batch_code": str(raw)}, error))
    return _summary(results, "started", "started_count")


def cancel_many(task_ids, user):
    _check_list(task_ids, "task_ids", CANCEL_LIMIT)
    results = []
    for task_id in task_ids:
        item = {"task_id": task_id}
        try:
            tasks.cancel_task(tasks.get_task(str(task_id)), user)
            results.append({**item, "status": "cancelled"})
        except ServiceError as error:
            results.append(_failure(item, error))
    return _summary(results, "cancelled", "cancelled_count")


def delete_batches(entries, force, user):
    """Delete batches given as (code, level, school) entries; a busy one only with `force`."""
    _check_list(entries, "batches", DELETE_LIMIT)
    results = []
    for entry in entries:
        try:
            batches.delete_batch(batches.find_batch(**entry), user, force=force)
            results.append({**entry, "status": "deleted"})
        except ServiceError as error:
            results.append(_failure(entry, error))
    return _summary(results, "deleted", "deleted_count")


def delete_many(task_ids, force, user):
    """Delete finished tasks; an active one only with `force`, which cancels it first."""
    _check_list(task_ids, "task_ids", DELETE_LIMIT)
    results = []
    for task_id in task_ids:
        item = {"task_id": task_id}
        try:
            task = tasks.get_task(str(task_id))
            if task.is_active and not force:
                raise ServiceError("The task is queued or running; cancel it or delete with force.", code="task_active")
            if task.is_active:
                tasks.cancel_task(task, user)
            db.session.delete(task)
            db.session.commit()
            results.append({**item, "status": "deleted"})
        except ServiceError as error:
            results.append(_failure(item, error))
    return _summary(results, "deleted", "deleted_count")


def _summary(results, success, count_name):
    succeeded = sum(result["status"] == success for result in results)
    return {count_name: succeeded, "failed_count": len(results) - succeeded, "results": results}
