"""Signing in and out."""
from urllib.parse import urlparse

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from dashboard.services.users import authenticate
from dashboard.web.forms import LoginForm

bp = Blueprint("auth", __name__)


def _safe_next(target):
    """Only a path on this site, never another host."""
    if not target:
        return url_for("batches.index")
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/"):
        return url_for("batches.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("The user name or password is wrong."))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def set_language(code):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(_safe_next(request.referrer and urlparse(request.referrer).path))
    response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax")
    return response
