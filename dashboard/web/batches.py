"""Batch pages: list, create, edit, detail (upload, start, results, history), delete."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from dashboard.errors import ServiceError, TaskAlreadyActive, ValidationFailed
from dashboard.params import batch_list_query
from dashboard.security import acting_user
from dashboard.services import batches, bulk, imports, results, tasks
from dashboard.services.settings import SETTING_NAMES, default_settings, effective_settings
from dashboard.services.uploads import UploadedFile
from dashboard.web import redirect_to, wants_fragment
from dashboard.web.forms import BatchEditForm, BatchForm, UploadForm

bp = Blueprint("batches", __name__)


def _form_values(form):
    """What the batch services take: the text fields and the settings as one object."""
    values = {name: value for name, value in form.data.items() if name != "csrf_token" and name not in SETTING_NAMES}
    return {**values, "settings": form.settings()}


def _attach_field_errors(form, error: ValidationFailed):
    """Show a service's validation problems beside the form fields they concern."""
    placed = False
    for problem in error.details:
        field = getattr(form, problem.get("field", ""), None)
        if field is not None:
            field.errors.append(_(problem["message"]))
            placed = True
    if not placed:
        flash(error.message, "error")


@bp.get("/")
def index():
    """The batch list; htmx asks for the table alone (filter changes, and polling while batches are busy)."""
    try:
        query = batch_list_query(request.args)
    except ValidationFailed as error:
        flash(error.message, "error")
        return redirect(url_for("batches.index"))
    rows, total = batches.list_batches(**query)
    active = tasks.reconcile_active_tasks([batch.id for batch in rows])
    context = dict(
        batches=rows, total=total, query=query, active=active, page_count=max(-(-total // query["page_size"]), 1)
    )
    if wants_fragment():
        return render_template("batches/_table.html", **context)
    return render_template("batches/list.html", **context)


@bp.route("/batches/new", methods=["GET", "POST"])
def create():
    form = BatchForm(data=default_settings())
    if form.validate_on_submit():
        try:
            batch = batches.create_batch(_form_values(form), acting_user())
        except ValidationFailed as error:
            _attach_field_errors(form, error)
        except ServiceError as error:
            form.batch_code.errors.append(error.message)
        else:
            flash(_("Batch %(code)s created.", code=batch.batch_code))
            return redirect(url_for("batches.detail", batch_id=batch.id))
    return render_template("batches/form.html", form=form, batch=None)


@bp.route("/batches/<int(max=2147483647):batch_id>/edit", methods=["GET", "POST"])
def edit(batch_id):
    batch = batches.get_batch(batch_id)
    form = BatchEditForm(obj=batch, data=effective_settings(batch.settings))
    if form.validate_on_submit():
        try:
            batches.update_batch(batch, _form_values(form), acting_user())
        except ValidationFailed as error:
            _attach_field_errors(form, error)
        else:
            flash(_("Batch %(code)s saved.", code=batch.batch_code))
            return redirect(url_for("batches.detail", batch_id=batch.id))
    return render_template("batches/form.html", form=form, batch=batch)


@bp.get("/batches/<int(max=2147483647):batch_id>")
def detail(batch_id):
    return _render_detail(batches.get_batch(batch_id))


def _render_detail(batch, upload_form=None, upload_error=None):
    tasks.reconcile_active_tasks([batch.id])
    return render_template(
        "batches/detail.html",
        batch=batch,
        upload_form=upload_form or UploadForm(),
        upload_error=upload_error,
        recent_tasks=tasks.batch_tasks(batch),
        results=results.subject_overview(batch),
        school_names=results.school_names(batch),
        history=batches.batch_history(batch),
        effective_settings=effective_settings,
    )


@bp.post("/batches/<int(max=2147483647):batch_id>/data")
def upload(batch_id):
    batch = batches.get_batch(batch_id)
    form = UploadForm()
    questions = form.questions.data
    score_files = [file for file in form.scores.data or [] if file and file.filename]
    try:
        summary = imports.import_batch_data(
            batch,
            UploadedFile(questions.filename, questions.stream) if questions and questions.filename else None,
            [UploadedFile(file.filename, file.stream) for file in score_files],
            acting_user(),
        )
    except ValidationFailed as error:
        return _render_detail(batch, form, error), 422
    flash(
        _("Imported %(students)s, %(schools)s, %(questions)s.",
          students=ngettext("%(num)d student", "%(num)d students", summary["student_count"]),
          schools=ngettext("%(num)d school", "%(num)d schools", summary["school_count"]),
          questions=ngettext("%(num)d question", "%(num)d questions", summary["question_count"]))
    )
    return redirect(url_for("batches.detail", batch_id=batch.id))


@bp.post("/batches/<int(max=2147483647):batch_id>/start")
def start(batch_id):
    batch = batches.get_batch(batch_id)
    try:
        task = tasks.start_task(batch, acting_user(), priority=request.form.get("priority", "normal"))
    except TaskAlreadyActive as already:
        flash(_("This batch is already being calculated; here is that task."))
        task = already.task
    return redirect(url_for("tasks.detail", task_id=task.id))


@bp.post("/batches/<int(max=2147483647):batch_id>/delete")
def delete(batch_id):
    batch = batches.get_batch(batch_id)
    code = batch.batch_code
    batches.delete_batch(batch, acting_user(), force=request.form.get("force") == "1")
    flash(_("Batch %(code)s deleted.", code=code))
    return redirect_to(url_for("batches.index"))


def _selected_entries():
    """The batches ticked on the list, as bulk entries (code, level, school)."""
    entries = []
    for raw in request.form.getlist("batch_id"):
        if raw.isdigit():
            batch = batches.get_batch(int(raw))
            entries.append(
                {"batch_code": batch.batch_code, "aggregation_level": batch.aggregation_level, "school_id": batch.school_id}
            )
    return entries


def _flash_failures(summary):
    for result in summary["results"]:
        if result["status"] == "failed":
            flash(f'{result.get("batch_code") or result.get("task_id")}: {result["message"]}', "error")


@bp.post("/batches/bulk-start")
def bulk_start():
    entries = _selected_entries()
    if entries:
        summary = bulk.start_many(entries, acting_user())
        flash(_("Started: %(count)d; not done: %(failed)d.", count=summary["started_count"], failed=summary["failed_count"]))
        _flash_failures(summary)
    return redirect_to(url_for("batches.index"))


@bp.post("/batches/bulk-delete")
def bulk_delete():
    entries = _selected_entries()
    if entries:
        summary = bulk.delete_batches(entries, request.form.get("force") == "1", acting_user())
        flash(_("Deleted %(count)d batch(es).", count=summary["deleted_count"]))
        _flash_failures(summary)
    return redirect_to(url_for("batches.index"))
