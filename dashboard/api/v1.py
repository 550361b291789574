"""Endpoints of /api/v1/statistics: thin wrappers that parse, call a service and serialise."""
from flask import current_app, jsonify, request, url_for

from dashboard.api import bp
from dashboard.api.serializers import batch_json, task_json, task_progress_json
from dashboard.errors import TaskAlreadyActive, ValidationFailed, json_error
from dashboard.models import AggregationLevel
from dashboard.params import batch_list_query, choice, task_list_query
from dashboard.security import acting_user
from dashboard.services import batches, bulk, imports, results, system, tasks
from dashboard.services.uploads import UploadedFile

def _json_body():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("The request body must be a JSON object.")
    return body


LEVELS = [level.value for level in AggregationLevel]


def _page_json(rows, total, query, serialize):
    return jsonify(
        {"items": [serialize(row) for row in rows], "page": query["page"], "page_size": query["page_size"],
         "total": total}
    )


def _selected_batch(batch_code):
    level = choice(request.args.get("aggregation_level"), "aggregation_level", LEVELS)
    school_id = request.args.get("school_id") if level == AggregationLevel.SCHOOL.value else None
    return batches.find_batch(batch_code, level, school_id)


@bp.post("/batches")
def create_batch():
    batch = batches.create_batch(_json_body(), acting_user())
    response = jsonify(batch_json(batch))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_batch", batch_code=batch.batch_code)
    return response


@bp.get("/batches")
def list_batches():
    query = batch_list_query(request.args)
    rows, total = batches.list_batches(**query)
    return _page_json(rows, total, query, batch_json)


@bp.get("/batches/<batch_code>")
def get_batch(batch_code):
    return jsonify(batch_json(_selected_batch(batch_code)))


@bp.put("/batches/<batch_code>")
def update_batch(batch_code):
    batch = batches.update_batch(_selected_batch(batch_code), _json_body(), acting_user())
    return jsonify(batch_json(batch))


@bp.delete("/batches/<batch_code>")
def delete_batch(batch_code):
    force = request.args.get("force", "false").lower() in ("1", "true", "yes")
    batches.delete_batch(_selected_batch(batch_code), acting_user(), force=force)
    return "", 204


@bp.post("/batches/<batch_code>/data")
def upload_batch_data(batch_code):
    batch = _selected_batch(batch_code)
    questions = request.files.get("questions")
    score_files = [file for file in request.files.getlist("scores") if file.filename or file.content_length]
    summary = imports.import_batch_data(
        batch,
        UploadedFile(questions.filename or "questions", questions.stream) if questions else None,
        [UploadedFile(file.filename or f"scores[{index}]", file.stream) for index, file in enumerate(score_files)],
        acting_user(),
    )
    return jsonify(summary)


@bp.get("/batches/<batch_code>/results")
def batch_results(batch_code):
    level = choice(request.args.get("aggregation_level"), "aggregation_level", LEVELS)
    school_id = request.args.get("school_id") or None
    batch = batches.find_batch(batch_code, level, school_id if level == AggregationLevel.SCHOOL.value else None)
    return jsonify(results.batch_results(batch, school_code=school_id, subject=request.args.get("subject") or None))


@bp.post("/tasks/<batch_code>/start")
def start_task(batch_code):
    batch = _selected_batch(batch_code)
    body = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(body, dict):
        raise ValidationFailed("The request body must be a JSON object, such as {\"priority\": \"high\"}.")
    try:
        task = tasks.start_task(batch, acting_user(), priority=body.get("priority", "normal"))
    except TaskAlreadyActive as already:
        return json_error(already.status, already.code, already.message, task=task_json(already.task))
    response = jsonify(task_json(task))
    response.status_code = 202
    response.headers["Location"] = url_for("api.task_status", task_id=task.id)
    return response


def _list_body(key):
    """A bulk body: the list itself, or an object holding it under `key`."""
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        return body.get(key), body
    return body, {}


@bp.post("/tasks/batch-start")
def batch_start():
    entries, _ = _list_body("batches")
    return jsonify(bulk.start_many(entries, acting_user()))


@bp.post("/tasks/batch-cancel")
def batch_cancel():
    task_ids, _ = _list_body("task_ids")
    return jsonify(bulk.cancel_many(task_ids, acting_user()))


@bp.post("/tasks/batch-delete")
def batch_delete():
    task_ids, body = _list_body("task_ids")
    force = body.get("force", False)
    if not isinstance(force, bool):
        raise ValidationFailed("'force' must be true or false.", details=[{"field": "force"}])
    return jsonify(bulk.delete_many(task_ids, force, acting_user()))


@bp.get("/tasks")
def list_tasks():
    query = task_list_query(request.args)
    rows, total = tasks.list_tasks(**query)
    return _page_json(rows, total, query, task_json)


@bp.get("/tasks/<task_id>/status")
def task_status(task_id):
    return jsonify(task_json(tasks.get_task(task_id)))


@bp.get("/tasks/<task_id>/progress")
def task_progress(task_id):
    return jsonify(task_progress_json(tasks.get_task(task_id)))


@bp.post("/tasks/<task_id>/cancel")
def cancel_task(task_id):
    task = tasks.cancel_task(tasks.get_task(task_id), acting_user())
    return jsonify(task_json(task))


@bp.get("/system/status")
def system_status():
    status = system.system_status(current_app.config["REDIS_URL"])
    return jsonify(status), 200 if status["health"] != "down" else 503


@bp.errorhandler(413)
def upload_too_large(_error):
    return json_error(413, "payload_too_large", "The upload is larger than the server accepts (MAX_UPLOAD_MB).")
