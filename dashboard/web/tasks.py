"""The live task page: a layout around the progress fragment that htmx polls."""
from flask import Blueprint, render_template, request

from dashboard.errors import Conflict
from dashboard.security import acting_user
from dashboard.services import tasks

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


def _render(task, message=None):
    # A boosted navigation wants the whole page; the polling fragment asks for itself only.
    fragment = request.htmx and not request.htmx.boosted
    template = "tasks/_progress.html" if fragment else "tasks/detail.html"
    return render_template(template, task=task, message=message)


@bp.get("/<task_id>")
def detail(task_id):
    return _render(tasks.get_task(task_id))


@bp.post("/<task_id>/cancel")
def cancel(task_id):
    task = tasks.get_task(task_id)
    try:
        tasks.cancel_task(task, acting_user())
    except Conflict as error:
        return _render(task, message=error.message)
    return _render(task)
