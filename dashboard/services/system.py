"""The state of the system for the status page and GET /system/status: one set of checks for both.

Every check answers quickly even when a part is down: Redis is asked through a client with
short timeouts, and a failing check becomes a reason, never an exception.
"""
import os
import time
from datetime import timedelta

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from dashboard.config import QUEUE_NAMES
from dashboard.extensions import db
from dashboard.models import CalculationStatus, CalculationTask, utcnow

STARTED_AT = time.time()
CHECK_TIMEOUT_SECONDS = 0.15
# A worker whose last heartbeat is older than this is not counted as alive.
WORKER_ALIVE = timedelta(seconds=90)


def _time(moment):
    return moment.isoformat() if moment else None


def _check_database():
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True}
    except SQLAlchemyError as error:
        db.session.rollback()
        return {"ok": False, "error": type(error).__name__}


def _redis_details(redis_url):
    connection = Redis.from_url(
        redis_url, socket_connect_timeout=CHECK_TIMEOUT_SECONDS, socket_timeout=CHECK_TIMEOUT_SECONDS
    )
    try:
        connection.ping()
    except RedisError as error:
        return {"ok": False, "error": f"Redis is unreachable ({type(error).__name__})"}, [], []
    queues = []
    for name in QUEUE_NAMES:
        queue = Queue(name, connection=connection)
        oldest = queue.get_jobs(0, 0)
        enqueued_at = oldest[0].enqueued_at if oldest else None
        queues.append(
            {
                "name": name,
                "length": queue.count,
                "oldest_job_age_seconds": (utcnow() - enqueued_at.replace(tzinfo=utcnow().tzinfo)).total_seconds()
                if enqueued_at
                else None,
            }
        )
    workers = [
        {
            "name": worker.name,
            "queues": worker.queue_names(),
            "state": worker.get_state(),
            "current_job": worker.get_current_job_id(),
            "last_heartbeat": _time(worker.last_heartbeat),
            "alive": bool(worker.last_heartbeat)
            and utcnow() - worker.last_heartbeat.replace(tzinfo=utcnow().tzinfo) < WORKER_ALIVE,
        }
        for worker in Worker.all(connection=connection)
    ]
    return {"ok": True}, queues, workers


def _process():
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return {
        "pid": os.getpid(),
        "memory_mb": round(resident_pages * os.sysconf("SC_PAGE_SIZE") / 1e6, 1),
        "uptime_seconds": round(time.time() - STARTED_AT, 1),
    }


def system_status(redis_url):
    database = _check_database()
    redis, queues, workers = _redis_details(redis_url)
    alive = [worker for worker in workers if worker["alive"]]
    checks = {
        "database": database,
        "redis": redis,
        "workers": {"ok": bool(alive), "alive": len(alive)}
        if redis["ok"]
        else {"ok": False, "error": "unknown while Redis is unreachable"},
    }
    reasons = [f"{name}: {check.get('error', 'no worker is alive')}" for name, check in checks.items() if not check["ok"]]
    if not database["ok"]:
        health = "down"
    elif reasons:
        health = "degraded"
    else:
        health = "healthy"
    return {
        "health": health,
        "reasons": reasons,
        "checks": checks,
        "queues": queues,
        "workers": workers,
        "tasks": _task_counts() if database["ok"] else {},
        "recent_failures": _recent_failures() if database["ok"] else [],
        "process": _process(),
    }


def _task_counts():
    counts = dict(db.session.execute(select(CalculationTask.status, func.count()).group_by(CalculationTask.status)).all())
    return {status.value: counts.get(status.value, 0) for status in CalculationStatus if status.value != "pending"}


def _recent_failures(limit=10):
    rows = db.session.scalars(
        select(CalculationTask)
        .where(CalculationTask.status == CalculationStatus.FAILED.value)
        .order_by(CalculationTask.finished_at.desc())
        .limit(limit)
    )
    return [
        {"task_id": task.id, "batch_code": task.batch.batch_code, "finished_at": _time(task.finished_at),
         "error_message": task.error_message}
        for task in rows
    ]
