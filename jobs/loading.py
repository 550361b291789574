"""Reading a batch's stored questions and score blocks into per-subject matrices."""
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dashboard.models import Question, School, ScoreSheet
from dashboard.score_blocks import decode_blocks


@dataclass
class SubjectData:
    name: str
    question_type: str
    questions: list
    scores: np.ndarray
    row_absent: np.ndarray
    school_of_row: np.ndarray


@dataclass
class BatchData:
    school_codes: list
    school_names: list
    subjects: list


def rows_by_school(school_of_row, row_absent, scores):
    """The sheet's rows grouped by school (stable), so the engine's per-subject gathers read
    memory in order; scores are items x rows."""
    if np.all(school_of_row[1:] >= school_of_row[:-1]):
        return school_of_row, row_absent, scores
    order = np.argsort(school_of_row, kind="stable")
    return school_of_row[order], row_absent[order], scores[:, order]


def load_batch_data(session, batch_id, on_progress=lambda fraction: None):
    """Every subject of the batch as a students x items matrix, read with one query per table."""
    questions = session.scalars(select(Question).where(Question.batch_id == batch_id).order_by(Question.position)).all()
    schools = session.scalars(select(School).where(School.batch_id == batch_id).order_by(School.position)).all()
    sheets = session.scalars(
        select(ScoreSheet)
        .where(ScoreSheet.batch_id == batch_id)
        .order_by(ScoreSheet.position)
        .options(selectinload(ScoreSheet.blocks))
    ).all()
    subjects_in_order = list(dict.fromkeys(question.subject for question in questions))
    subject_questions = {name: [q for q in questions if q.subject == name] for name in subjects_in_order}
    subjects = {}
    for index, sheet in enumerate(sheets):
        stored = decode_blocks(sheet.blocks, len(sheet.question_ids), with_student_ids=False)
        school_of_row, row_absent, items_by_rows = rows_by_school(
            stored.school_positions, stored.row_absent, stored.scores
        )
        column_of = {question_id: column for column, question_id in enumerate(sheet.question_ids)}
        for name, items in subject_questions.items():
            if items[0].question_id not in column_of:
                continue
            columns = [column_of[question.question_id] for question in items]
            subjects[name] = SubjectData(
                name=name,
                question_type=items[0].question_type,
                questions=items,
                # students x items, over memory that holds each item's column together
                scores=items_by_rows[columns].T,
                row_absent=row_absent,
                school_of_row=school_of_row.astype(np.int64),
            )
        on_progress((index + 1) / len(sheets))
    return BatchData(
        school_codes=[school.code for school in schools],
        school_names=[school.name for school in schools],
        subjects=[subjects[name] for name in subjects_in_order if name in subjects],
    )
