"""The RQ job of a calculation task: load the batch, run the engine, save the results.

The job receives only the task id, opens its own database sessions and keeps the SQL
task row current; the engine it calls knows nothing of SQL or RQ.
"""
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from rq import get_current_job
from rq.timeouts import JobTimeoutException
from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from dashboard.models import Batch, CalculationStatus, CalculationTask, SubjectResult, utcnow
from dashboard.services.settings import exam_settings
from jobs import database
from jobs.engine import ignore_progress
from jobs.engine.exam import ExamSettings, ExamSubjectData, exam_subject_figures
from jobs.engine.questionnaire import QuestionnaireSubjectData, questionnaire_subject_figures
from jobs.loading import load_batch_data
from jobs.progress import ProgressReporter, TaskCancelled


log = logging.getLogger(__name__)

REPLACED_MESSAGE = "The batch's data was replaced after this task was queued; start the calculation again."
SAVE_CHUNK_ROWS = 200
# Subjects calculated at once; each needs about 8 bytes x students x items of working memory.
CALCULATION_THREADS = int(os.environ.get("CALCULATION_THREADS", min(2, os.cpu_count() or 1)))
# Stored apart from a scope's subject figures (SubjectResult.details).
DETAIL_KEYS = ("items", "dimensions")


class DataReplaced(Exception):
    """The batch's data changed after the task was queued; its results would describe old data."""


def calculate(task_id):
    database.forget_inherited_connections()
    started = _mark_running(task_id)
    if started is None:
        return "skipped"
    batch_id, data_version, settings = started
    reporter = ProgressReporter(database.open_session, task_id, get_current_job())
    try:
        _run_stages(task_id, batch_id, data_version, settings, reporter)
    except TaskCancelled:
        return "cancelled"
    except DataReplaced:
        finish_task(task_id, CalculationStatus.FAILED, REPLACED_MESSAGE)
        return "data replaced"
    except JobTimeoutException:
        finish_task(task_id, CalculationStatus.FAILED, "The calculation ran past its time limit and was stopped.")
        raise
    except Exception as error:
        log.exception("calculation %s failed", task_id)
        finish_task(task_id, CalculationStatus.FAILED, f"The calculation failed: {describe_error(error)}")
        raise
    return "completed"


def describe_error(error):
    """A short reason for the task page: no SQL statements, parameters or tracebacks."""
    if isinstance(error, SQLAlchemyError):
        cause = getattr(error, "orig", None) or error
        return f"a database error ({type(cause).__name__})"
    first_line = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first_line[:300]}" if first_line else type(error).__name__


def _mark_running(task_id):
    """Move a queued task to running: (batch id, data version, settings), or None when it was
    cancelled or removed before it started, or its batch's data was replaced meanwhile."""
    with database.open_session() as session:
        changed = session.execute(
            update(CalculationTask)
            .where(CalculationTask.id == task_id, CalculationTask.status == CalculationStatus.QUEUED.value)
            .values(status=CalculationStatus.RUNNING.value, started_at=utcnow())
        ).rowcount
        if not changed:
            return None
        task = session.get(CalculationTask, task_id)
        if task.data_version != task.batch.data_version:
            task.end(CalculationStatus.FAILED, REPLACED_MESSAGE)
            session.commit()
            return None
        task.batch.calculation_status = CalculationStatus.RUNNING.value
        session.commit()
        return task.batch_id, task.data_version, exam_settings(task.batch.settings)


def _run_stages(task_id, batch_id, data_version, settings, reporter):
    reporter.start_stage("data_loading")
    with database.open_session() as session:
        batch_data = load_batch_data(session, batch_id, reporter.update)
    reporter.finish_stage()

    reporter.start_stage("statistical_calculation")
    figures_by_subject = calculate_subjects(batch_data.subjects, batch_data.school_codes, settings, reporter.update)
    reporter.finish_stage()

    reporter.start_stage("result_aggregation")
    rows = result_rows(batch_data, figures_by_subject)
    reporter.finish_stage()

    reporter.start_stage("saving_results")
    _save_results(
        task_id, batch_id, data_version, rows, lambda fraction: reporter.update(fraction, mirror_to_sql=False)
    )
    reporter.finish_stage()
    finish_task(task_id, CalculationStatus.COMPLETED)


def calculate_subjects(subjects, school_codes, settings=ExamSettings(), on_progress=ignore_progress):
    """{subject name: figures} for every subject, CALCULATION_THREADS subjects at a time.

    numpy releases the GIL in its loops, so on a machine with two cores two subjects take
    little longer than one. on_progress(fraction) gets the share of all subjects' work done."""
    done = [0.0] * len(subjects)
    lock = threading.Lock()

    def calculate_one(index):
        def report(fraction):
            with lock:
                done[index] = fraction
                on_progress(sum(done) / len(subjects))

        return subject_figures(subjects[index], school_codes, report, settings)

    pool = ThreadPoolExecutor(max_workers=CALCULATION_THREADS)
    try:
        figures = list(pool.map(calculate_one, range(len(subjects))))
    finally:
        # Not waiting: a timeout interrupts this thread, and the work horse exits after it.
        pool.shutdown(wait=False, cancel_futures=True)
    return {subject.name: result for subject, result in zip(subjects, figures)}


def subject_figures(subject, school_codes, on_progress=ignore_progress, settings=ExamSettings()):
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
        settings,
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


def _save_results(task_id, batch_id, data_version, rows, on_progress):
    """Replace the batch's results in one transaction, flushing in chunks to report progress;
    DataReplaced when new data arrived while the task ran."""
    with database.open_session() as session:
        batch = session.scalar(select(Batch).where(Batch.id == batch_id).with_for_update())
        if batch is None or batch.data_version != data_version:
            raise DataReplaced()
        batch.results_stale = False
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
        CalculationTask.end_if_active(session, task_id, status, error_message)
        session.commit()
