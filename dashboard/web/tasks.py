"""The live task page: a layout around the progress fragment that htmx polls."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from dashboard.errors import Conflict, ValidationFailed
from dashboard.params import task_list_query
from dashboard.security import acting_user
from dashboard.services import bulk, tasks
from dashboard.web import redirect_to, wants_fragment

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


def _render(task, message=None):
    template = "tasks/_progress.html" if wants_fragment() else "tasks/detail.html"
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


@bp.get("/")
def index():
    """The task list; htmx asks for the table alone (filter changes, and polling while tasks run)."""
    try:
        query = task_list_query(request.args)
    except ValidationFailed as error:
        flash(error.message, "error")
        return redirect(url_for("tasks.index"))
    rows, total = tasks.list_tasks(**query)
    for task in rows:
        tasks.reconcile_task(task)
    context = dict(tasks=rows, total=total, query=query, any_active=any(task.is_active for task in rows))
    if wants_fragment():
        return render_template("tasks/_table.html", **context)
    return render_template("tasks/list.html", **context)


@bp.post("/bulk-cancel")
def bulk_cancel():
    task_ids = request.form.getlist("task_id")
    if task_ids:
        summary = bulk.cancel_many(task_ids, acting_user())
        flash(_("Cancelled: %(count)d; not done: %(failed)d.", count=summary["cancelled_count"],
                failed=summary["failed_count"]))
    return redirect_to(url_for("tasks.index"))


@bp.post("/bulk-delete")
def bulk_delete():
    task_ids = request.form.getlist("task_id")
    if task_ids:
        summary = bulk.delete_many(task_ids, request.form.get("force") == "1", acting_user())
        flash(_("Deleted: %(count)d; not done: %(failed)d.", count=summary["deleted_count"],
                failed=summary["failed_count"]))
    return redirect_to(url_for("tasks.index"))
