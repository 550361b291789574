"""Calculation tasks: starting, cancelling and reading them; the SQL row is the record,
RQ runs the job. Pages and the API both come here."""
import logging
import uuid
from datetime import timedelta

from redis.exceptions import RedisError
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dashboard.config import QUEUE_NAMES
from dashboard.errors import Conflict, NotFound, ServiceUnavailable, TaskAlreadyActive, ValidationFailed
from dashboard.extensions import db
from dashboard.models import ACTIVE_STATUSES, CalculationStatus, CalculationTask, utcnow
from dashboard.queues import calculation_queue, redis_connection
from jobs.progress import stage_rows

log = logging.getLogger(__name__)

CALCULATION_JOB = "jobs.calculate.calculate"
# A task younger than this may not have reached Redis yet (it is committed before the enqueue).
ENQUEUE_GRACE = timedelta(seconds=15)
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
    if not batch.has_data:
        raise Conflict("The batch has no data yet; upload the question table and score sheets first.", code="no_data")
    existing = active_task(batch)
    if existing:
        raise TaskAlreadyActive("The batch already has a queued or running task.", existing)
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
        task.end(CalculationStatus.FAILED, "The task could not be queued: Redis is unreachable.")
        db.session.commit()
        raise ServiceUnavailable("The task queue (Redis) is unreachable; the task was not started.")


def cancel_task(task, user):
    """Cancel a queued task (taken off the queue) or a running one (its worker stops the job)."""
    if not task.is_active:
        raise Conflict(f"The task has already ended ({task.status}).", code="task_finished")
    who = user.username if user else "system"
    task.end(CalculationStatus.CANCELLED, f"Cancelled by {who}.")
    db.session.commit()
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
    """A task SQL shows as active whose job has ended or vanished from Redis is ended in SQL too."""
    if not task.is_active or utcnow() - task.created_at < ENQUEUE_GRACE:
        return
    try:
        job = Job.fetch(task.id, connection=redis_connection())
        status = job.get_status()
    except NoSuchJobError:
        task.end(CalculationStatus.FAILED, "The job was lost: it is no longer in Redis (flushed or restarted).")
        db.session.commit()
        return
    except RedisError:
        return
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED):
        db.session.refresh(task)
        if task.is_active:
            task.end(CalculationStatus.FAILED, f"The job ended ({status.value}) without recording the outcome.")
            db.session.commit()


def batch_tasks(batch, limit=10):
    return db.session.scalars(
        select(CalculationTask)
        .where(CalculationTask.batch_id == batch.id)
        .order_by(CalculationTask.created_at.desc())
        .limit(limit)
    ).all()
