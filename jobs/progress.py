"""Progress of a running calculation: live in RQ job meta, mirrored into the SQL task row.

Redis gets every change; SQL gets one at most every SQL_INTERVAL seconds, and always at
stage boundaries, so the page that renders from SQL is never more than about a second behind.
Each SQL write also reads the task status back, which is how the job notices a cancel.
"""
import time

from dashboard.models import CALCULATION_STAGES, CalculationStatus, CalculationTask, TaskStage, utcnow

SQL_INTERVAL_SECONDS = 0.5
META_INTERVAL_SECONDS = 0.1


class TaskCancelled(Exception):
    """The task was cancelled in SQL while the job was running."""


class ProgressReporter:
    def __init__(self, open_session, task_id, job=None):
        self.open_session = open_session
        self.task_id = task_id
        self.job = job
        self.weights = dict(CALCULATION_STAGES)
        self.stage_progress = {name: 0.0 for name in self.weights}
        self.stage_status = {name: "pending" for name in self.weights}
        self.current_stage = None
        self._last_sql_write = 0.0
        self._last_meta_write = 0.0

    @property
    def overall(self):
        done = sum(self.weights[name] * self.stage_progress[name] for name in self.weights)
        return round(100.0 * done / sum(self.weights.values()), 2)

    def start_stage(self, name):
        self.current_stage = name
        self.stage_status[name] = "running"
        self.stage_progress[name] = 0.0
        self._publish(force=True, started=name)

    def update(self, fraction, mirror_to_sql=True):
        """The current stage is `fraction` (0..1) done. Without mirror_to_sql only the job meta
        changes: for callers inside an open write transaction, which SQLite would make wait."""
        self.stage_progress[self.current_stage] = min(max(fraction, 0.0), 1.0)
        self._publish(mirror_to_sql=mirror_to_sql)

    def finish_stage(self):
        name = self.current_stage
        self.stage_progress[name] = 1.0
        self.stage_status[name] = "completed"
        self._publish(force=True, finished=name)

    def snapshot(self):
        return {
            "overall": self.overall,
            "current_stage": self.current_stage,
            "stages": {
                name: {"status": self.stage_status[name], "progress": round(100 * self.stage_progress[name], 2)}
                for name in self.weights
            },
        }

    def _publish(self, force=False, started=None, finished=None, mirror_to_sql=True):
        now = time.monotonic()
        if self.job is not None and (force or now - self._last_meta_write >= META_INTERVAL_SECONDS):
            self.job.meta["progress"] = self.snapshot()
            self.job.save_meta()
            self._last_meta_write = now
        if mirror_to_sql and (force or now - self._last_sql_write >= SQL_INTERVAL_SECONDS):
            self._write_sql(started, finished)
            self._last_sql_write = now

    def _write_sql(self, started, finished):
        with self.open_session() as session:
            task = session.get(CalculationTask, self.task_id)
            if task is None or task.status == CalculationStatus.CANCELLED.value:
                raise TaskCancelled()
            task.progress = self.overall
            task.current_stage = self.current_stage
            for stage in task.stages:
                stage.progress = round(100 * self.stage_progress[stage.name], 2)
                stage.status = self.stage_status[stage.name]
                if stage.name == started:
                    stage.started_at = utcnow()
                if stage.name == finished:
                    stage.finished_at = utcnow()
            session.commit()


def stage_rows():
    """Fresh TaskStage rows for a new task."""
    return [TaskStage(position=index, name=name) for index, (name, _) in enumerate(CALCULATION_STAGES)]
