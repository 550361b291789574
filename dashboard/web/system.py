"""The system status page: health, checks, queues, workers, tasks, recent failures."""
from flask import Blueprint, current_app, render_template

from dashboard.services.system import system_status

bp = Blueprint("system", __name__)


@bp.get("/system")
def status():
    return render_template("system/status.html", status=system_status(current_app.config["REDIS_URL"]))
