"""Telling the SQL record the truth about tasks whose jobs are gone (no Flask here).

A task SQL shows as queued or running is ended, with the reason, when its RQ job has ended
without the job saying so, when the job is no longer in Redis (flushed or restarted), or when
the worker running it has stopped sending heartbeats. Pages call `reconcile` for what they show;
every worker runs `reconcile_all` periodically, so the truth arrives without anybody looking.
"""
import os
from datetime import timedelta, timezone

from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select

from dashboard.models import ACTIVE_STATUSES, CalculationStatus, CalculationTask, utcnow

# A task younger than this may not have reached Redis yet (it is committed before the enqueue).
ENQUEUE_GRACE = timedelta(seconds=15)
# Workers refresh a running job's heartbeat every HEARTBEAT_SECONDS; this much silence means
# the worker is dead.
HEARTBEAT_SECONDS = int(os.environ.get("JOB_HEARTBEAT_SECONDS", 10))
WORKER_SILENCE = timedelta(seconds=int(os.environ.get("WORKER_SILENCE_SECONDS", 3 * HEARTBEAT_SECONDS)))
LOST_MESSAGE = "The job was lost: it is no longer in Redis (flushed or restarted)."


def why_job_is_gone(job):
    """The reason a job can no longer finish its task, or None while it still can."""
    status = job.get_status()
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED):
        return f"The job ended ({status.value}) without recording the outcome."
    heartbeat = job.last_heartbeat
    if status == JobStatus.STARTED and heartbeat:
        heartbeat = heartbeat if heartbeat.tzinfo else heartbeat.replace(tzinfo=timezone.utc)
        if utcnow() - heartbeat > WORKER_SILENCE:
            return f"The worker running the job died or stopped answering (last heartbeat {heartbeat:%H:%M:%S} UTC)."
    return None


def reconcile(session, connection, task):
    """End `task` in SQL if its job is gone; True when it did. Redis down: nothing is decided."""
    if not task.is_active or utcnow() - task.created_at < ENQUEUE_GRACE:
        return False
    try:
        reason = why_job_is_gone(Job.fetch(task.id, connection=connection))
    except NoSuchJobError:
        reason = LOST_MESSAGE
    except RedisError:
        return False
    if reason is None:
        return False
    ended = CalculationTask.end_if_active(session, task.id, CalculationStatus.FAILED, reason)
    session.commit()
    if ended is None:
        session.refresh(task)
    return ended is not None


def reconcile_all(session, connection):
    """Reconcile every active task; the number ended."""
    tasks = session.scalars(select(CalculationTask).where(CalculationTask.status.in_(ACTIVE_STATUSES))).all()
    return sum(reconcile(session, connection, task) for task in tasks)
