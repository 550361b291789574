"""Calculation tasks: starting, cancelling and reading them; the SQL row is the record,
RQ runs the job. Pages and the API both come here."""
import logging
import uuid

from redis.exceptions import RedisError
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dashboard.config import QUEUE_NAMES
from dashboard.errors import Conflict, NotFound, ServiceUnavailable, TaskAlreadyActive, ValidationFailed
from dashboard.extensions import db
from dashboard.models import ACTIVE_STATUSES, Batch, CalculationStatus, CalculationTask, User
from dashboard.queues import calculation_queue, redis_connection
from dashboard.services.listing import created_between, sorted_page
from jobs.progress import stage_rows
from jobs.reconcile import reconcile

log = logging.getLogger(__name__)

CALCULATION_JOB = "jobs.calculate.calculate"
JOB_RESULT_TTL_SECONDS = 24 * 3600


def active_task(batch):
    return db.session.scalar(
        select(CalculationTask).where(CalculationTask.batch_id == batch.id, CalculationTask.status.in_(ACTIVE_STATUSES))
    )


def start_task(batch, user, priority="normal"):
    """Queue a calculation of the batch; raise TaskAlreadyActive with the task that is already queued or running."""
    if priority not in QUEUE_NAMES:
        raise ValidationFailed(
            f"The priority must be one of: {', '.join(QUEUE_NAMES)}.", details=[{"field": "priority"}]
        )
    existing = active_task(batch)
    if existing:
        reconcile_task(existing)
        if existing.is_active:
            raise TaskAlreadyActive("The batch already has a queued or running task.", existing)
    # Fresh and locked (on PostgreSQL) so an import committing meanwhile cannot slip between check and insert.
    db.session.refresh(batch, with_for_update=True)
    if not batch.has_data:
        db.session.rollback()
        raise Conflict("The batch has no data yet; upload the question table and score sheets first.", code="no_data")
    task = CalculationTask(
        id=uuid.uuid4().hex,
        batch_id=batch.id,
        status=CalculationStatus.QUEUED.value,
        priority=priority,
        data_version=batch.data_version,
        started_by_id=user.id if user else None,
        stages=stage_rows(),
    )
    batch.calculation_status = CalculationStatus.QUEUED.value
    db.session.add(task)
    try:
        db.session.commit()
    except IntegrityError:
        # The unique index on active tasks: another request started this batch a moment ago.
        db.session.rollback()
        raise TaskAlreadyActive("The batch already has a queued or running task.", active_task(batch))
    _enqueue(task)
    return task


def _enqueue(task):
    try:
        calculation_queue(task.priority).enqueue(
            CALCULATION_JOB,
            task.id,
            job_id=task.id,
            result_ttl=JOB_RESULT_TTL_SECONDS,
            failure_ttl=JOB_RESULT_TTL_SECONDS,
        )
    except RedisError as error:
        log.warning("could not enqueue task %s: %s", task.id, error)
        _end(task, CalculationStatus.FAILED, "The task could not be queued: Redis is unreachable.")
        raise ServiceUnavailable("The task queue (Redis) is unreachable; the task was not started.")


def _end(task, status: CalculationStatus, message):
    """End the task in SQL unless something else (the job, a worker, a cancel) ended it first."""
    ended = CalculationTask.end_if_active(db.session, task.id, status, message)
    db.session.commit()
    if ended is None:
        db.session.refresh(task)
    return ended is not None


def cancel_task(task, user):
    """Cancel a queued task (taken off the queue) or a running one (its worker stops the job)."""
    who = user.username if user else "system"
    if not task.is_active or not _end(task, CalculationStatus.CANCELLED, f"Cancelled by {who}."):
        raise Conflict(f"The task has already ended ({task.status}).", code="task_finished")
    try:
        _stop_job(task.id)
    except RedisError as error:
        # SQL says cancelled; the job checks that before it starts and between steps.
        log.warning("could not reach Redis to stop job %s: %s", task.id, error)
    return task


def _stop_job(job_id):
    connection = redis_connection()
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return
    if job.get_status() == JobStatus.STARTED:
        try:
            send_stop_job_command(connection, job_id)
        except InvalidJobOperation:
            pass
    elif job.get_status() in (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
        job.cancel()


def get_task(task_id):
    task = db.session.get(CalculationTask, task_id)
    if task is None:
        raise NotFound(f"Task {task_id} does not exist.")
    reconcile_task(task)
    return task


def reconcile_task(task):
    """End the task in SQL if its job is gone (see jobs.reconcile)."""
    reconcile(db.session, redis_connection(), task)


def reconcile_active_tasks(batch_ids):
    """Reconcile the active tasks of these batches (what a page is about to show);
    {batch id: task} of those still queued or running afterwards."""
    active = active_tasks_of(batch_ids)
    for task in active.values():
        reconcile_task(task)
    return {batch_id: task for batch_id, task in active.items() if task.is_active}


def batch_tasks(batch, limit=10):
    return db.session.scalars(
        select(CalculationTask)
        .where(CalculationTask.batch_id == batch.id)
        .order_by(CalculationTask.created_at.desc())
        .limit(limit)
    ).all()


# The task list may be sorted by these columns only.
TASK_SORT_COLUMNS = {
    "created_at": CalculationTask.created_at,
    "status": CalculationTask.status,
    "priority": CalculationTask.priority,
    "progress": CalculationTask.progress,
    "batch_code": Batch.batch_code,
}


def list_tasks(filters, sort="created_at", direction="desc", page=1, page_size=20):
    """One page of tasks with the total count; filters: batch_code (prefix), status, priority,
    started_by (user name), created_from / created_to (dates, inclusive)."""
    query = select(CalculationTask).join(Batch)
    if filters.get("batch_code"):
        query = query.where(Batch.batch_code.startswith(filters["batch_code"], autoescape=True))
    if filters.get("status"):
        query = query.where(CalculationTask.status == filters["status"])
    if filters.get("priority"):
        query = query.where(CalculationTask.priority == filters["priority"])
    if filters.get("started_by"):
        query = query.join(User, CalculationTask.started_by_id == User.id).where(User.username == filters["started_by"])
    query = created_between(
        query, CalculationTask.created_at, filters.get("created_from"), filters.get("created_to")
    )
    column = TASK_SORT_COLUMNS.get(sort, CalculationTask.created_at)
    return sorted_page(query, column, direction, page, page_size, CalculationTask.id)


def active_tasks_of(batch_ids):
    """{batch id: its queued or running task} for these batches."""
    return {
        task.batch_id: task
        for task in db.session.scalars(
            select(CalculationTask).where(
                CalculationTask.batch_id.in_(batch_ids), CalculationTask.status.in_(ACTIVE_STATUSES)
            )
        )
    }
