"""A real worker whose statistical calculation sleeps SLOW_STAGE_SECONDS per subject first.

Tests use it to watch a task move through its stages and to cancel it while it runs;
everything else (queues, job, database, progress) is the product's own code.
"""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.config import QUEUE_NAMES  # noqa: E402
from jobs import calculate  # noqa: E402
from jobs.worker import run_worker  # noqa: E402

DELAY_SECONDS = float(os.environ.get("SLOW_STAGE_SECONDS", "3"))
_subject_figures = calculate.subject_figures


def slow_subject_figures(subject, school_codes, on_progress, settings):
    for step in range(1, 5):
        time.sleep(DELAY_SECONDS / 4)
        on_progress(step / 8)
    return _subject_figures(subject, school_codes, lambda fraction: on_progress(0.5 + fraction / 2), settings)


calculate.subject_figures = slow_subject_figures

if __name__ == "__main__":
    run_worker(os.environ["DATABASE_URL"], os.environ["REDIS_URL"], QUEUE_NAMES)
