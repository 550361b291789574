"""Sign-in for every page and a bearer token for every API call, checked in one place."""
from flask import abort, g, redirect, request, url_for
from flask_login import current_user

from dashboard.errors import json_error
from dashboard.extensions import db, login_manager
from dashboard.models import User
from dashboard.services.users import user_for_token

PUBLIC_ENDPOINTS = {"auth.login", "auth.set_language", "static"}
ADMIN_BLUEPRINTS = {"rq_dashboard"}
API_BLUEPRINT = "api"


@login_manager.user_loader
def load_user(user_id):
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user and user.is_active else None


def is_api_request():
    return request.blueprint == API_BLUEPRINT or request.path.startswith("/api/")


def bearer_token():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def acting_user():
    """Who is making this request: the token's user for the API, the signed-in user for pages."""
    return g.get("api_user") or (current_user if current_user.is_authenticated else None)


def require_sign_in():
    """before_request: let public endpoints through, demand a token for the API and a session elsewhere."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if is_api_request():
        g.api_user = user_for_token(bearer_token())
        if g.api_user is None:
            return json_error(401, "unauthorized", "A valid 'Authorization: Bearer <token>' header is needed.")
        return None
    if current_user.is_authenticated:
        if request.blueprint in ADMIN_BLUEPRINTS and current_user.role != "admin":
            abort(403)
        return None
    wanted = request.full_path.rstrip("?") if request.method == "GET" else None
    login_url = url_for("auth.login", next=wanted)
    if request.headers.get("HX-Request") == "true":
        return "", 401, {"HX-Redirect": login_url}
    return redirect(login_url)
