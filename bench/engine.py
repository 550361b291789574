"""Benchmark of the statistics engine (not a test).

    python bench/engine.py                       # synthetic region: 1,000,000 students, 2,000 schools
    python bench/engine.py --students 100000     # smaller
    python bench/engine.py --data ../shared/realdata/czmatura_s
    python bench/engine.py --baseline            # also time pandas groupby per school, and the ratio

Prints wall time per stage and in total, and peak memory (ru_maxrss). The last line is
machine-readable: engine_seconds=<float> peak_mb=<float> students=<int>
"""
import argparse
import io
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jobs.calculate import CALCULATION_THREADS, calculate_subjects, subject_figures  # noqa: E402
from jobs.loading import SubjectData, rows_by_school  # noqa: E402

SEED = 20261203


class FakeQuestion:
    def __init__(self, subject, question_id, max_score, dimensions, question_type, reverse=False, options=None):
        self.subject = subject
        self.question_id = question_id
        self.max_score = max_score
        self.dimensions = dimensions
        self.question_type = question_type
        self.reverse = reverse
        self.options = options


def _as_loaded(scores):
    """Students x items over item-by-item memory, the way jobs.loading hands scores to the engine."""
    return np.ascontiguousarray(scores.T).T


def synthetic_region(students, schools, rng):
    """Three exam subjects of 30 items (maxima 1-10, 4 dimensions) and a 40-item questionnaire
    (5 options, 5 dimensions, every fifth item reverse-keyed); 2 % absentees, 1 % blanks."""
    school_of_row = np.sort(rng.integers(0, schools, students))
    ability = rng.normal(0, 1, students) + rng.normal(0, 0.5, schools)[school_of_row]
    subjects = []
    for subject_index, name in enumerate(("语文", "数学", "英语")):
        maxima = rng.integers(1, 11, 30)
        difficulty = rng.normal(0, 1, 30)
        probability = 1 / (1 + np.exp(-(ability[:, None] - difficulty)))
        scores = rng.binomial(maxima, probability).astype(np.float32)
        scores[rng.random(scores.shape) < 0.01] = np.nan
        row_absent = rng.random(students) < 0.02
        scores[row_absent] = np.nan
        questions = [
            FakeQuestion(name, f"{subject_index}-{j + 1}", float(maxima[j]), [f"{name}-D{j % 4 + 1}"], "exam")
            for j in range(30)
        ]
        subjects.append(SubjectData(name, "exam", questions, _as_loaded(scores), np.zeros(students, bool), school_of_row))
    thresholds = np.sort(rng.normal(0, 1, (40, 4)), axis=1)
    latent = ability[:, None] + rng.normal(0, 1, (students, 40))
    answers = (1 + (latent[:, :, None] > thresholds[None]).sum(axis=2)).astype(np.float32)
    reverse = np.arange(40) % 5 == 0
    answers[:, reverse] = 6 - answers[:, reverse]
    answers[rng.random(answers.shape) < 0.01] = np.nan
    questions = [
        FakeQuestion("问卷", f"Q{j + 1}", 5.0, [f"F{j % 5 + 1}"], "questionnaire", bool(reverse[j]), 5) for j in range(40)
    ]
    subjects.append(
        SubjectData("问卷", "questionnaire", questions, _as_loaded(answers), np.zeros(students, bool), school_of_row)
    )
    codes = [f"S{index:04d}" for index in range(schools)]
    return subjects, codes


def read_data_dir(folder):
    """A folder in the layout of ../shared/realdata/*: questions.csv and scores*.csv, read with the product's parser."""
    from dashboard.services.uploads import ProblemList, SchoolDirectory, UploadedFile, parse_questions, parse_score_sheet
    from dashboard.score_blocks import decode_blocks

    problems = ProblemList()
    questions = parse_questions(
        UploadedFile("questions.csv", io.BytesIO((folder / "questions.csv").read_bytes())), problems
    ).questions
    by_id = {question.question_id: question for question in questions}
    schools = SchoolDirectory()
    subjects = []
    for path in sorted(folder.glob("scores*.csv")):
        sheet = parse_score_sheet(UploadedFile(path.name, io.BytesIO(path.read_bytes())), by_id, schools, None, problems)
        if problems:
            raise SystemExit(f"{path}: {problems.items[:5]}")
        blocks = [type("Block", (), block) for block in sheet.blocks]
        stored = decode_blocks(blocks, len(sheet.question_ids), with_student_ids=False)
        school_of_row, row_absent, items_by_rows = rows_by_school(stored.school_positions, stored.row_absent, stored.scores)
        column_of = {question_id: column for column, question_id in enumerate(sheet.question_ids)}
        for name in dict.fromkeys(question.subject for question in questions):
            items = [question for question in questions if question.subject == name]
            if items[0].question_id in column_of:
                columns = [column_of[question.question_id] for question in items]
                subjects.append(
                    SubjectData(name, items[0].question_type, items, items_by_rows[columns].T, row_absent,
                                school_of_row.astype(np.int64))
                )
    return subjects, list(schools.positions), len(subjects[0].scores) if subjects else 0


def run_engine(subjects, codes):
    """The job's statistical_calculation stage (subjects in CALCULATION_THREADS threads), timed."""
    started = time.perf_counter()
    results = calculate_subjects(subjects, codes)
    return {f"statistical_calculation ({CALCULATION_THREADS} threads)": time.perf_counter() - started}, results


def run_engine_one_by_one(subjects, codes):
    """Each subject alone on one thread, for the per-subject times."""
    seconds = {}
    for subject in subjects:
        started = time.perf_counter()
        subject_figures(subject, codes)
        seconds[subject.name] = time.perf_counter() - started
    return seconds


def json_encoding_seconds(results):
    """What saving adds on top of the engine: one JSON document per subject and scope."""
    started = time.perf_counter()
    size = sum(
        len(json.dumps(figures["region"])) + sum(len(json.dumps(school)) for school in figures["by_school"].values())
        for figures in results.values()
    )
    return time.perf_counter() - started, size


def run_baseline(subjects):
    """The same subject and item figures the straightforward way: pandas groupby per school."""
    import pandas as pd

    seconds = {}
    for subject in subjects:
        if subject.question_type != "exam":
            continue
        started = time.perf_counter()
        columns = [question.question_id for question in subject.questions]
        frame = pd.DataFrame(subject.scores.astype(np.float64), columns=columns)
        frame["school"] = subject.school_of_row
        sat = frame[columns].notna().any(axis=1)
        frame = frame[sat].fillna(0)
        frame["total"] = frame[columns].sum(axis=1)
        full_mark = sum(question.max_score for question in subject.questions)
        for _, school in frame.groupby("school"):
            total = school["total"]
            low, high = total.quantile(0.27), total.quantile(0.73)
            upper, lower = school[total >= high], school[total <= low]
            item_variances = school[columns].var()
            _ = {
                "mean": total.mean(), "sd": total.std(), "percentiles": total.quantile([0.1, 0.25, 0.5, 0.75, 0.9]),
                "alpha": len(columns) / (len(columns) - 1) * (1 - item_variances.sum() / total.var()),
                "discrimination": (upper["total"].mean() - lower["total"].mean()) / full_mark,
            }
            for column in columns:
                rest = total - school[column]
                _ = (
                    school[column].mean(), school[column].std(), school[column].corr(total), school[column].corr(rest),
                    (school[column] == 0).mean(), upper[column].mean() - lower[column].mean(),
                )
        seconds[subject.name] = time.perf_counter() - started
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--schools", type=int, default=2_000)
    parser.add_argument("--data", type=Path, help="a folder with questions.csv and scores*.csv instead of synthetic data")
    parser.add_argument("--baseline", action="store_true", help="also time a pandas groupby baseline")
    parser.add_argument("--per-subject", action="store_true", help="also time each subject alone on one thread")
    arguments = parser.parse_args()

    started = time.perf_counter()
    if arguments.data:
        subjects, codes, students = read_data_dir(arguments.data)
        print(f"read {arguments.data} ({students} rows, {len(codes)} schools) in {time.perf_counter() - started:.2f} s")
    else:
        subjects, codes = synthetic_region(arguments.students, arguments.schools, np.random.default_rng(SEED))
        students = arguments.students
        print(f"generated {students} students, {len(codes)} schools in {time.perf_counter() - started:.2f} s")

    stage_seconds, results = run_engine(subjects, codes)
    for stage, seconds in stage_seconds.items():
        print(f"  {stage:<48} {seconds:8.2f} s")
    engine_seconds = sum(stage_seconds.values())
    print(f"  {'engine total':<48} {engine_seconds:8.2f} s")
    encoding_seconds, size = json_encoding_seconds(results)
    print(f"  {'(not in the total) JSON encoding for saving':<48} {encoding_seconds:8.2f} s   {size / 1e6:.1f} MB")
    if arguments.per_subject or arguments.baseline:
        one_by_one = run_engine_one_by_one(subjects, codes)
        for name, seconds in one_by_one.items():
            print(f"  {'one thread: ' + name:<48} {seconds:8.2f} s")
    if arguments.baseline:
        baseline = run_baseline(subjects)
        for name, seconds in baseline.items():
            print(f"  {'baseline pandas groupby: ' + name:<48} {seconds:8.2f} s")
        engine_exam = sum(one_by_one[name] for name in baseline)
        print(f"  baseline / engine, exam subjects, one thread each: {sum(baseline.values()) / engine_exam:.1f}x")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"engine_seconds={engine_seconds:.3f} peak_mb={peak_mb:.1f} students={students}")


if __name__ == "__main__":
    main()
