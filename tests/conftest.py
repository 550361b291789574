"""Fixtures: a real database (SQLite file, or TEST_DATABASE_URL), a real Redis (the embedded
server, or TEST_REDIS_URL), the app, clients, API tokens and real RQ worker processes."""
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import create_engine, text

from dashboard.redis_server import embedded_redis_command

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = PROJECT_ROOT.parent / "shared"
REALDATA = SHARED / "realdata"
TEST_PASSWORD = "correct horse battery"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(predicate, seconds, message):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(message)


def _redis_answers(url):
    try:
        return Redis.from_url(url, socket_connect_timeout=0.3).ping()
    except Exception:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    url = f"redis://127.0.0.1:{_free_port()}/0"
    command = embedded_redis_command(url, str(tmp_path_factory.mktemp("redis")))
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _wait_for(lambda: _redis_answers(url), 10, "the embedded Redis did not start")
    yield url
    server.terminate()
    server.wait(10)


def _reset_database(url):
    """Drop every table (PostgreSQL keeps them between runs) so the migrations run from scratch."""
    engine = create_engine(url)
    from dashboard.models import Base

    Base.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(scope="session")
def environment(tmp_path_factory, redis_url):
    """The settings every process of a test session shares, exported for worker subprocesses."""
    instance = tmp_path_factory.mktemp("instance")
    database_url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{instance / 'test.db'}"
    settings = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DASHBOARD_INSTANCE_DIR": str(instance),
        "SECRET_KEY": "test-secret-key",
    }
    os.environ.update(settings)
    if os.environ.get("TEST_DATABASE_URL"):
        _reset_database(database_url)
    return settings


@pytest.fixture(scope="session")
def app(environment):
    from flask_migrate import upgrade

    from dashboard import create_app

    application = create_app({"TESTING": True})
    with application.app_context():
        upgrade()
    return application


@pytest.fixture(autouse=True)
def clean_state(request, app):
    """Every test starts with empty tables and an empty Redis database."""
    from dashboard.extensions import db
    from dashboard.models import Base

    with app.app_context():
        for table in reversed(Base.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
    Redis.from_url(app.config["REDIS_URL"]).flushdb()
    with app.app_context():
        yield


@pytest.fixture(scope="session")
def web_app(app):
    """A second app object for the test clients: tests hold an app context of `app` for their
    own queries, and a request would otherwise share it (and its `g`) instead of getting its own."""
    from dashboard import create_app

    return create_app({"TESTING": True})


@pytest.fixture
def client(web_app):
    return web_app.test_client()


@pytest.fixture
def user(app):
    from dashboard.services.users import create_user

    return create_user("operator", TEST_PASSWORD)


def csrf_token_of(html):
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def signed_in(client, user):
    """A test client signed in through the real login form (CSRF included)."""
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"username": user.username, "password": TEST_PASSWORD, "csrf_token": csrf_token_of(page)}
    )
    assert response.status_code == 302
    return client


class ApiClient:
    """Calls /api/v1/statistics with a bearer token."""

    prefix = "/api/v1/statistics"

    def __init__(self, client, token):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def __getattr__(self, method):
        def call(path, **kwargs):
            return getattr(self.client, method)(self.prefix + path, headers=self.headers, **kwargs)

        return call


@pytest.fixture
def api(client, user):
    from dashboard.services.users import create_token

    return ApiClient(client, create_token(user))


class WorkerProcess:
    """A real RQ worker in its own process, started through the app's `flask worker` command
    (or a test script that wraps it)."""

    def __init__(self, command, environment, log_path):
        self.log_path = log_path
        self.log = open(log_path, "wb")
        env = {**os.environ, **environment}
        # Its own process group, so a test can kill the worker together with its work horse.
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        redis = Redis.from_url(environment["REDIS_URL"])
        already = redis.scard("rq:workers")
        try:
            _wait_for(lambda: redis.scard("rq:workers") > already, 60, "the worker did not start")
        except AssertionError:
            self.stop()
            raise AssertionError(f"the worker did not start:\n{self.output()}")

    def output(self):
        if not self.log.closed:
            self.log.flush()
        return Path(self.log_path).read_text(errors="replace")

    def kill(self):
        """SIGKILL the worker and its work horse, as a crashed machine would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def start_worker(command, environment, folder):
    folder.mkdir(parents=True, exist_ok=True)
    return WorkerProcess(command, environment, folder / "worker.log")


@pytest.fixture
def worker(app, environment, tmp_path):
    process = start_worker([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], environment, tmp_path)
    yield process
    process.stop()


@pytest.fixture
def slow_worker(app, environment, tmp_path):
    """A real worker whose calculation stage takes SLOW_STAGE_SECONDS per subject, to watch and cancel it."""
    env = {**environment, "SLOW_STAGE_SECONDS": "4"}
    process = start_worker([sys.executable, str(PROJECT_ROOT / "tests" / "slow_worker.py")], env, tmp_path)
    yield process
    process.stop()


def realdata_or_skip(name):
    folder = REALDATA / name
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: the real data sets live in ../shared beside the checkout")
    return folder


@pytest.fixture
def live_server(app, environment, tmp_path):
    """The real web server (Flask's threaded server) in its own process; yields its base URL."""
    port = _free_port()
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port), "--no-reload"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **environment},
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def answers():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    _wait_for(answers, 20, "the web server did not start")
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(10)
    log.close()
