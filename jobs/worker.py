"""The RQ worker of the dashboard: a plain RQ worker that also settles the SQL task of a job
that ended without the job itself saying so (stopped on request, or its work horse died)."""
from redis import Redis
from rq import Worker

from dashboard.models import CalculationStatus
from jobs import database
from jobs.calculate import finish_task


# How often a worker refreshes a running job's heartbeat; the dashboard reads silence longer
# than dashboard.services.tasks.WORKER_SILENCE as a dead worker.
JOB_MONITORING_INTERVAL_SECONDS = 10


class CalculationWorker(Worker):
    def handle_job_failure(self, job, queue, started_job_registry=None, exc_string="", execution=None):
        stopped_on_request = self._stopped_job_id == job.id
        super().handle_job_failure(
            job, queue, started_job_registry=started_job_registry, exc_string=exc_string, execution=execution
        )
        if stopped_on_request:
            finish_task(job.id, CalculationStatus.CANCELLED, "Cancelled while running.")
        else:
            reason = (exc_string or "").strip().splitlines()[-1:] or ["unknown error"]
            finish_task(job.id, CalculationStatus.FAILED, f"The worker lost the job: {reason[0]}")


def run_worker(database_url, redis_url, queue_names, burst=False):
    """Listen to the queues in the given order (the first has priority) until stopped."""
    database.configure(database_url)
    connection = Redis.from_url(redis_url)
    worker = CalculationWorker(
        list(queue_names), connection=connection, job_monitoring_interval=JOB_MONITORING_INTERVAL_SECONDS
    )
    worker.work(burst=burst, logging_level="INFO")
