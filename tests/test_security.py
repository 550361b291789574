"""Sign-in, tokens and CSRF: every page and endpoint is closed to strangers."""
import re

import pytest
from sqlalchemy import select

from dashboard.extensions import db
from dashboard.models import ApiToken, Batch, User
from tests.conftest import TEST_PASSWORD, csrf_token_of

PUBLIC_ENDPOINTS = {"static", "auth.login", "auth.set_language"}


def _every_route(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        path = re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", lambda match: "1" if match.group(1) == "int" else "x", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, path


def test_every_route_needs_a_signed_in_user_or_a_token(app, client):
    routes = list(_every_route(app))
    assert len(routes) >= 20

    for endpoint, method, path in routes:
        response = client.open(path, method=method)
        if path.startswith("/api/"):
            assert response.status_code == 401, (endpoint, method, response.status_code)
            assert response.get_json()["error"]["code"] == "unauthorized"
        else:
            assert response.status_code == 302, (endpoint, method, response.status_code)
            assert response.headers["Location"].startswith("/login"), endpoint


def test_a_wrong_or_revoked_token_is_refused(api, client):
    assert client.get("/api/v1/statistics/batches", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/api/v1/statistics/batches", headers={"Authorization": "Basic abc"}).status_code == 401
    assert api.get("/batches").status_code == 200
    db.session.execute(ApiToken.__table__.delete())
    db.session.commit()
    assert api.get("/batches").status_code == 401


def test_passwords_and_tokens_are_stored_hashed(user, api):
    stored = db.session.scalar(select(User))
    assert TEST_PASSWORD not in stored.password_hash
    assert stored.check_password(TEST_PASSWORD)
    token = api.headers["Authorization"].split()[1]
    assert db.session.scalar(select(ApiToken.token_hash)) == ApiToken.hash_token(token) != token


def test_a_wrong_password_shows_an_error_and_signs_nobody_in(client, user):
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"username": "operator", "password": "wrong", "csrf_token": csrf_token_of(page)}
    )
    assert response.status_code == 200
    assert "The user name or password is wrong." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_sign_in_does_not_redirect_to_another_site(client, user):
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login?next=https://evil.example/",
        data={"username": "operator", "password": TEST_PASSWORD, "csrf_token": csrf_token_of(page)},
    )
    assert response.headers["Location"] == "/"


def test_a_form_post_without_its_csrf_token_is_refused(signed_in):
    response = signed_in.post("/batches/new", data={"batch_code": "b", "aggregation_level": "regional"})

    assert response.status_code == 400
    assert db.session.scalar(select(Batch)) is None


def test_an_htmx_request_without_the_csrf_header_is_refused(signed_in, api):
    from tests.test_tasks import _batch_with_data, _start

    _batch_with_data(api)
    task_id = _start(api)

    refused = signed_in.post(f"/tasks/{task_id}/cancel", headers={"HX-Request": "true"})
    assert refused.status_code == 400
    token = csrf_token_of(signed_in.get("/").get_data(as_text=True))
    accepted = signed_in.post(f"/tasks/{task_id}/cancel", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert accepted.status_code == 200
    assert 'data-status="cancelled"' in accepted.get_data(as_text=True)


@pytest.mark.parametrize("command", [["user", "create", "cli-user", "--password", "long enough pw"]])
def test_the_cli_creates_users_and_tokens(app, command):
    runner = app.test_cli_runner()
    assert runner.invoke(args=command).exit_code == 0
    result = runner.invoke(args=["token", "create", "cli-user"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert app.test_client().get(
        "/api/v1/statistics/batches", headers={"Authorization": f"Bearer {token}"}
    ).status_code == 200
    assert runner.invoke(args=["user", "create", "x", "--password", "short"]).exit_code != 0
