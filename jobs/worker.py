"""The RQ worker of the dashboard: a plain RQ worker that also

- settles the SQL task of a job that ended without the job saying so (stopped on request,
  or its work horse died), and
- every RECONCILE_SECONDS reconciles all active tasks (jobs lost from Redis, workers that
  died mid-job), one worker at a time across machines.
"""
import logging
import os
import threading

from redis import Redis
from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy.exc import SQLAlchemyError

from dashboard.models import CalculationStatus
from jobs import database
from jobs.calculate import finish_task
from jobs.reconcile import HEARTBEAT_SECONDS, reconcile_all

log = logging.getLogger(__name__)

RECONCILE_SECONDS = int(os.environ.get("RECONCILE_SECONDS", 10))
RECONCILE_LOCK = "dashboard:reconcile-lock"


class CalculationWorker(Worker):
    def handle_job_failure(self, job, queue, started_job_registry=None, exc_string="", execution=None):
        stopped_on_request = self._stopped_job_id == job.id
        super().handle_job_failure(
            job, queue, started_job_registry=started_job_registry, exc_string=exc_string, execution=execution
        )
        try:
            if stopped_on_request:
                finish_task(job.id, CalculationStatus.CANCELLED, "Cancelled while running.")
            else:
                reason = (exc_string or "").strip().splitlines()[-1:] or ["unknown error"]
                finish_task(job.id, CalculationStatus.FAILED, f"The worker lost the job: {reason[0]}")
        except SQLAlchemyError as error:
            # The database is out of reach: the job is failed in Redis, and reconciliation
            # brings the task row in line once the database answers again.
            log.warning("could not record the end of task %s: %s", job.id, error)


def reconcile_periodically(connection, stop):
    """Reconcile active tasks every RECONCILE_SECONDS until `stop` is set; the Redis lock lets one
    worker of many do it per period."""
    while not stop.is_set():
        try:
            if connection.set(RECONCILE_LOCK, os.getpid(), nx=True, ex=max(RECONCILE_SECONDS - 1, 1)):
                with database.open_session() as session:
                    ended = reconcile_all(session, connection)
                if ended:
                    log.warning("reconciled %d task(s) whose jobs were gone", ended)
        except (RedisError, SQLAlchemyError) as error:
            log.warning("could not reconcile tasks: %s", error)
        stop.wait(RECONCILE_SECONDS)


def run_worker(database_url, redis_url, queue_names, burst=False):
    """Listen to the queues in the given order (the first has priority) until stopped."""
    database.configure(database_url)
    connection = Redis.from_url(redis_url)
    stop = threading.Event()
    reconciler = threading.Thread(target=reconcile_periodically, args=(connection, stop), daemon=True)
    reconciler.start()
    worker = CalculationWorker(list(queue_names), connection=connection, job_monitoring_interval=HEARTBEAT_SECONDS)
    try:
        worker.work(burst=burst, logging_level="INFO")
    finally:
        stop.set()
