"""Benchmark of score storage (not a test): how long a job takes to load a big batch from SQL.

    python bench/storage.py                          # 1,000,000 students x 130 items, SQLite in a temp dir
    python bench/storage.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Writes one sheet of synthetic scores as the import stores them (compressed ScoreBlock rows),
then times jobs.loading.load_batch_data. The last line is machine-readable:
load_seconds=<float> stored_mb=<float> students=<int>
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.database import make_session_factory  # noqa: E402
from dashboard.models import Base, Batch, Question, School, ScoreBlock, ScoreSheet  # noqa: E402
from dashboard.score_blocks import BLOCK_ROWS, encode_block  # noqa: E402
from jobs.loading import load_batch_data  # noqa: E402


def store_synthetic_batch(session, students, items, schools, rng):
    batch = Batch(batch_code=f"bench-{time.time_ns()}", aggregation_level="regional", data_version=1)
    session.add(batch)
    session.flush()
    question_ids = [f"q{index}" for index in range(items)]
    session.add_all(
        Question(batch_id=batch.id, position=index, subject=f"subject{index // 30}", question_id=question_id,
                 max_score=10.0, dimensions=[], question_type="exam")
        for index, question_id in enumerate(question_ids)
    )
    session.add_all(School(batch_id=batch.id, position=index, code=f"S{index:04d}", name=f"S{index:04d}")
                    for index in range(schools))
    sheet = ScoreSheet(batch_id=batch.id, position=0, file_name="scores.csv", row_count=students,
                       question_ids=question_ids)
    school_of_row = np.sort(rng.integers(0, schools, students)).astype(np.int32)
    for position, start in enumerate(range(0, students, BLOCK_ROWS)):
        rows = min(BLOCK_ROWS, students - start)
        scores = rng.integers(0, 11, (rows, items)).astype(np.float64)
        scores[rng.random(scores.shape) < 0.01] = np.nan
        block = encode_block([f"{start + row:08d}" for row in range(rows)], school_of_row[start:start + rows],
                             np.zeros(rows, bool), scores)
        sheet.blocks.append(ScoreBlock(position=position, **block))
    session.add(sheet)
    session.commit()
    return batch.id


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=130)
    parser.add_argument("--schools", type=int, default=2_000)
    parser.add_argument("--database-url")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = arguments.database_url or f"sqlite:///{folder}/bench.db"
        open_session = make_session_factory(url)
        Base.metadata.create_all(open_session.kw["bind"])
        with open_session() as session:
            started = time.perf_counter()
            batch_id = store_synthetic_batch(
                session, arguments.students, arguments.items, arguments.schools, np.random.default_rng(7)
            )
            stored_bytes = session.scalar(
                select(func.sum(func.length(ScoreBlock.scores))).join(ScoreSheet).where(ScoreSheet.batch_id == batch_id)
            )
            print(f"stored {arguments.students} x {arguments.items} in {time.perf_counter() - started:.1f} s "
                  f"({stored_bytes / 1e6:.0f} MB of compressed scores)")
        with open_session() as session:
            started = time.perf_counter()
            data = load_batch_data(session, batch_id)
            load_seconds = time.perf_counter() - started
        print(f"loaded {len(data.subjects)} subjects for a job in {load_seconds:.2f} s")
        print(f"load_seconds={load_seconds:.3f} stored_mb={stored_bytes / 1e6:.1f} students={arguments.students}")


if __name__ == "__main__":
    main()
