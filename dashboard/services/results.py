"""Reading saved results in the layout of reference.json: subjects -> region and by_school."""
from sqlalchemy import select

from dashboard.errors import NotFound
from dashboard.extensions import db
from dashboard.models import Question, School, SubjectResult


def batch_results(batch, school_code=None, subject=None):
    """{"subjects": {NAME: {"region": figures, "by_school": {CODE: figures}}}}, narrowed on request.

    With school_code only that school's figures are read (no region); a subject or school the
    batch does not have is NotFound."""
    _check_filters(batch, school_code, subject)
    query = select(SubjectResult).where(SubjectResult.batch_id == batch.id)
    if subject:
        query = query.where(SubjectResult.subject == subject)
    if school_code:
        query = query.where(SubjectResult.scope == school_code)
    subjects = {}
    for row in db.session.scalars(query.order_by(SubjectResult.subject_position, SubjectResult.scope)):
        entry = subjects.setdefault(row.subject, {"region": None, "by_school": {}})
        figures = {**row.figures, **row.details}
        if row.scope == SubjectResult.REGION_SCOPE:
            entry["region"] = figures
        else:
            entry["by_school"][row.scope] = figures
    if school_code:
        for entry in subjects.values():
            del entry["region"]
    return {"subjects": subjects}


def _check_filters(batch, school_code, subject):
    if subject and not db.session.scalar(
        select(Question.id).where(Question.batch_id == batch.id, Question.subject == subject).limit(1)
    ):
        raise NotFound(f"Batch {batch.batch_code} has no subject '{subject}'.")
    if school_code and not db.session.scalar(
        select(School.id).where(School.batch_id == batch.id, School.code == school_code)
    ):
        raise NotFound(f"Batch {batch.batch_code} has no school '{school_code}'.")


def school_names(batch):
    return dict(db.session.execute(select(School.code, School.name).where(School.batch_id == batch.id)).all())

