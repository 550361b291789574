"""The RQ job of a calculation task: load the batch, run the engine, save the results.

The job receives only the task id, opens its own database sessions and keeps the SQL
task row current; the engine it calls knows nothing of SQL or RQ.
"""
import numpy as np
from rq import get_current_job
from rq.timeouts import JobTimeoutException
from sqlalchemy import delete

from dashboard.models import CalculationStatus, CalculationTask, SubjectResult, utcnow
from jobs import database
from jobs.engine import ignore_progress
from jobs.engine.exam import ExamSubjectData, exam_subject_figures
from jobs.engine.questionnaire import QuestionnaireSubjectData, questionnaire_subject_figures
from jobs.loading import load_batch_data
from jobs.progress import ProgressReporter, TaskCancelled


SAVE_CHUNK_ROWS = 200
# Stored apart from a scope's subject figures (SubjectResult.details).
DETAIL_KEYS = ("items", "dimensions")


def calculate(task_id):
    database.forget_inherited_connections()
    batch_id = _mark_running(task_id)
    if batch_id is None:
        return "skipped"
    reporter = ProgressReporter(database.open_session, task_id, get_current_job())
    try:
        _run_stages(task_id, batch_id, reporter)
    except TaskCancelled:
        return "cancelled"
    except JobTimeoutException:
        finish_task(task_id, CalculationStatus.FAILED, "The calculation ran past its time limit and was stopped.")
        raise
    except Exception as error:
        finish_task(task_id, CalculationStatus.FAILED, f"The calculation failed: {error}")
        raise
    return "completed"


def _mark_running(task_id):
    """Move a queued task to running; None when it was cancelled (or removed) before it started."""
    with database.open_session() as session:
        task = session.get(CalculationTask, task_id)
        if task is None or task.status != CalculationStatus.QUEUED.value:
            return None
        task.status = CalculationStatus.RUNNING.value
        task.started_at = utcnow()
        task.batch.calculation_status = CalculationStatus.RUNNING.value
        session.commit()
        return task.batch_id


def _run_stages(task_id, batch_id, reporter):
    reporter.start_stage("data_loading")
    with database.open_session() as session:
        batch_data = load_batch_data(session, batch_id, reporter.update)
    reporter.finish_stage()

    reporter.start_stage("statistical_calculation")
    figures_by_subject = {}
    subject_count = len(batch_data.subjects)
    for index, subject in enumerate(batch_data.subjects):
        figures_by_subject[subject.name] = subject_figures(
            subject, batch_data.school_codes, lambda fraction: reporter.update((index + fraction) / subject_count)
        )
    reporter.finish_stage()

    reporter.start_stage("result_aggregation")
    rows = result_rows(batch_data, figures_by_subject)
    reporter.finish_stage()

    reporter.start_stage("saving_results")
    _save_results(task_id, batch_id, rows, lambda fraction: reporter.update(fraction, mirror_to_sql=False))
    reporter.finish_stage()
    finish_task(task_id, CalculationStatus.COMPLETED)


def subject_figures(subject, school_codes, on_progress=ignore_progress):
    """The engine's figures of one subject: {"region": ..., "by_school": {code: ...}}."""
    item_ids = [question.question_id for question in subject.questions]
    dimensions = {}
    for column, question in enumerate(subject.questions):
        for name in question.dimensions:
            dimensions.setdefault(name, []).append(column)
    if subject.question_type == "questionnaire":
        return questionnaire_subject_figures(
            QuestionnaireSubjectData(
                scores=subject.scores,
                options=np.array([question.options for question in subject.questions], dtype=np.int64),
                reverse=np.array([question.reverse for question in subject.questions], dtype=bool),
                school_of_row=subject.school_of_row,
                school_codes=school_codes,
                item_ids=item_ids,
                dimensions=dimensions,
            ),
            on_progress=on_progress,
        )
    return exam_subject_figures(
        ExamSubjectData(
            scores=subject.scores,
            max_scores=np.array([question.max_score for question in subject.questions], dtype=np.float64),
            row_absent=subject.row_absent,
            school_of_row=subject.school_of_row,
            school_codes=school_codes,
            item_ids=item_ids,
            dimensions=dimensions,
        ),
        on_progress=on_progress,
    )


def result_rows(batch_data, figures_by_subject):
    """One (subject, position, scope, figures) per subject and scope: the region and each school."""
    rows = []
    for position, subject in enumerate(batch_data.subjects):
        figures = figures_by_subject[subject.name]
        rows.append((subject.name, position, SubjectResult.REGION_SCOPE, figures["region"]))
        rows.extend((subject.name, position, code, school) for code, school in figures["by_school"].items())
    return rows


def _save_results(task_id, batch_id, rows, on_progress):
    """Replace the batch's results in one transaction, flushing in chunks to report progress."""
    with database.open_session() as session:
        session.execute(delete(SubjectResult).where(SubjectResult.batch_id == batch_id))
        for start in range(0, len(rows), SAVE_CHUNK_ROWS):
            session.add_all(
                SubjectResult(
                    batch_id=batch_id,
                    task_id=task_id,
                    subject=subject,
                    subject_position=position,
                    scope=scope,
                    figures={key: value for key, value in figures.items() if key not in DETAIL_KEYS},
                    details={key: figures[key] for key in DETAIL_KEYS if key in figures},
                )
                for subject, position, scope, figures in rows[start : start + SAVE_CHUNK_ROWS]
            )
            session.flush()
            on_progress(min(start + SAVE_CHUNK_ROWS, len(rows)) / len(rows))
        session.commit()


def finish_task(task_id, status: CalculationStatus, error_message=None):
    """End an active task (and its batch) in SQL; a task that already ended is left as it is."""
    with database.open_session() as session:
        task = session.get(CalculationTask, task_id)
        if task is None or not task.is_active:
            return
        task.end(status, error_message)
        session.commit()
