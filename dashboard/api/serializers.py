"""Model rows as API JSON."""
from dashboard.services.settings import effective_settings


def _time(moment):
    return moment.isoformat() if moment else None


def batch_json(batch):
    return {
        "id": batch.id,
        "batch_code": batch.batch_code,
        "aggregation_level": batch.aggregation_level,
        "school_id": batch.school_id,
        "region_name": batch.region_name,
        "school_name": batch.school_name,
        "description": batch.description,
        "calculation_status": batch.calculation_status,
        "student_count": batch.student_count,
        "school_count": batch.school_count,
        "data_version": batch.data_version,
        "settings": effective_settings(batch.settings),
        "results_stale": batch.results_stale,
        "created_at": _time(batch.created_at),
        "updated_at": _time(batch.updated_at),
        "created_by": batch.created_by.username if batch.created_by else None,
    }


def stage_json(stage):
    return {
        "name": stage.name,
        "status": stage.status,
        "progress": stage.progress,
        "started_at": _time(stage.started_at),
        "finished_at": _time(stage.finished_at),
    }


def task_json(task):
    return {
        "task_id": task.id,
        "batch_code": task.batch.batch_code,
        "aggregation_level": task.batch.aggregation_level,
        "school_id": task.batch.school_id,
        "status": task.status,
        "priority": task.priority,
        "progress": task.progress,
        "current_stage": task.current_stage,
        "stages": [stage_json(stage) for stage in task.stages],
        "error_message": task.error_message,
        "data_version": task.data_version,
        "created_at": _time(task.created_at),
        "started_at": _time(task.started_at),
        "finished_at": _time(task.finished_at),
        "started_by": task.started_by.username if task.started_by else None,
    }


def task_progress_json(task):
    return {
        "task_id": task.id,
        "status": task.status,
        "progress": task.progress,
        "current_stage": task.current_stage,
        "stages": [stage_json(stage) for stage in task.stages],
    }
