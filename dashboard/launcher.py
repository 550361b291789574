"""`flask serve`: Redis (embedded, when none answers at REDIS_URL), one worker and the web server
as child processes, all stopped together on Ctrl-C or when any of them exits."""
import signal
import subprocess
import sys
import time

from redis import Redis
from redis.exceptions import RedisError

from dashboard.redis_server import is_local

STOP_GRACE_SECONDS = 10


def _flask(*arguments):
    return [sys.executable, "-m", "flask", "--app", "wsgi", *arguments]


def redis_answers(redis_url, timeout=0.5):
    try:
        return Redis.from_url(redis_url, socket_connect_timeout=timeout, socket_timeout=timeout).ping()
    except RedisError:
        return False


def _wait_for_redis(redis_url, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if redis_answers(redis_url):
            return True
        time.sleep(0.2)
    return False


def run_all(config, host, port):
    children = []
    stopping = []

    def request_stop(signum, _frame):
        stopping.append(signum)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    redis_url = config["REDIS_URL"]
    try:
        if not redis_answers(redis_url):
            if not is_local(redis_url):
                print(f"Redis at {redis_url} does not answer.", file=sys.stderr)
                return 1
            children.append(subprocess.Popen(_flask("redis")))
            if not _wait_for_redis(redis_url):
                print("The embedded Redis did not start.", file=sys.stderr)
                return 1
        children.append(subprocess.Popen(_flask("worker")))
        children.append(subprocess.Popen(_flask("run", "--host", host, "--port", str(port), "--no-reload")))
        print(f"Dashboard on http://{host}:{port}  (Ctrl-C stops everything)", flush=True)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.3)
    finally:
        _stop(children)
    return 0


def _stop(children):
    """Stop the web server, then the worker, then Redis; SIGKILL whatever outlives its grace period."""
    for child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
