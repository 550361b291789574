"""The assessment statistics dashboard: a Flask application factory."""
import logging

from flask import Flask, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from dashboard import queues
from dashboard.config import INSTANCE_DIR, PROJECT_ROOT, load_config
from dashboard.database import engine_options
from dashboard.errors import ServiceError
from dashboard.extensions import babel, csrf, db, htmx, login_manager, migrate

log = logging.getLogger(__name__)


def create_app(config=None):
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    app.config.update(load_config())
    if config:
        app.config.update(config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))

    _init_extensions(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    from dashboard.cli import register_commands

    register_commands(app)
    return app


def _select_locale():
    chosen = request.cookies.get("lang")
    languages = current_app.config["LANGUAGES"]
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or "en"


def _init_extensions(app):
    from dashboard.security import require_sign_in

    # Registered before CSRFProtect's own check, so a stranger is sent to sign in, not told about tokens.
    app.before_request(require_sign_in)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    htmx.init_app(app)
    queues.init_app(app)


def _register_blueprints(app):
    from dashboard.api import bp as api_bp
    import rq_dashboard
    from rq_dashboard.web import setup_rq_connection

    from dashboard.web import auth, batches, results, system, tasks

    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(batches.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(results.bp)
    app.register_blueprint(system.bp)
    # The RQ dashboard, for admins (dashboard.security); its own buttons post without our CSRF token.
    app.config["RQ_DASHBOARD_REDIS_URL"] = [app.config["REDIS_URL"]]
    app.register_blueprint(rq_dashboard.blueprint, url_prefix="/rq")
    csrf.exempt(rq_dashboard.blueprint)
    setup_rq_connection(app)


def _register_error_handlers(app):
    from dashboard.api.errors import from_http_exception, from_service_error, internal_error
    from dashboard.security import is_api_request

    @app.errorhandler(ServiceError)
    def service_error(error):
        if is_api_request():
            return from_service_error(error)
        return render_template("error.html", title=_("Request refused"), message=error.message), error.status

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _("The form expired or came from another site; reload the page and try again.")
        return render_template("error.html", title=_("Request refused"), message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error):
        if is_api_request():
            return from_http_exception(error)
        return render_template("error.html", title=error.name, message=error.description), error.code

    @app.errorhandler(Exception)
    def unexpected_error(error):
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if is_api_request():
            return internal_error()
        message = _("Something went wrong on the server. The error has been logged.")
        return render_template("error.html", title=_("Server error"), message=message), 500
