"""The app's Redis connection and RQ queues."""
from flask import current_app
from redis import Redis
from rq import Queue

from dashboard.config import QUEUE_NAMES


def init_app(app):
    app.extensions["redis"] = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)


def redis_connection():
    return current_app.extensions["redis"]


def calculation_queue(priority="normal"):
    if priority not in QUEUE_NAMES:
        raise ValueError(f"unknown priority {priority!r}")
    return Queue(priority, connection=redis_connection(), default_timeout=current_app.config["JOB_TIMEOUT_SECONDS"])

