"""The system status page and API, with Redis up and with Redis unreachable; the RQ dashboard."""
import socket
import time

import pytest

from dashboard.services.users import create_token


def test_the_status_api_reports_healthy_with_a_worker(api, worker):
    body = api.get("/system/status").get_json()

    assert body["health"] == "healthy", body["reasons"]
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]
    assert [queue["name"] for queue in body["queues"]] == ["high", "normal", "low"]
    assert any(entry["alive"] and entry["queues"] == ["high", "normal", "low"] for entry in body["workers"])
    assert set(body["tasks"]) == {"queued", "running", "completed", "failed", "cancelled"}
    assert body["process"]["memory_mb"] > 0


def test_without_workers_the_system_is_degraded(api):
    body = api.get("/system/status").get_json()

    assert body["health"] == "degraded"
    assert body["reasons"] == ["workers: no worker is alive"]


@pytest.fixture
def app_without_redis(environment, user):
    """The app pointed at a port where no Redis listens: Redis is down."""
    from dashboard import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return create_app({"TESTING": True, "REDIS_URL": f"redis://127.0.0.1:{port}/0"})


def test_with_redis_down_the_status_answers_fast_and_says_why(app_without_redis, user):
    with app_without_redis.app_context():
        token = create_token(user)
    client = app_without_redis.test_client()

    started = time.monotonic()
    response = client.get("/api/v1/statistics/system/status", headers={"Authorization": f"Bearer {token}"})
    elapsed = time.monotonic() - started

    assert elapsed < 0.2
    body = response.get_json()
    assert response.status_code == 200 and body["health"] == "degraded"
    assert body["reasons"][0].startswith("redis: Redis is unreachable")
    assert body["checks"]["database"]["ok"]


def test_the_status_page_and_the_rq_dashboard_open_for_an_admin(signed_in):
    page = signed_in.get("/system").get_data(as_text=True)

    assert 'data-health="degraded"' in page
    assert 'href="/rq/"' in page
    assert signed_in.get("/rq/").status_code == 200
