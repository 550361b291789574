"""Reading saved results in the layout of reference.json: subjects -> region and by_school."""
from sqlalchemy import select

from dashboard.extensions import db
from dashboard.models import School, SubjectResult


def batch_results(batch, school_code=None, subject=None):
    """{"subjects": {NAME: {"region": figures, "by_school": {CODE: figures}}}}, narrowed on request."""
    query = select(SubjectResult).where(SubjectResult.batch_id == batch.id)
    if subject:
        query = query.where(SubjectResult.subject == subject)
    if school_code:
        query = query.where(SubjectResult.scope == school_code)
    subjects = {}
    for row in db.session.scalars(query.order_by(SubjectResult.subject_position, SubjectResult.scope)):
        entry = subjects.setdefault(row.subject, {"region": None, "by_school": {}})
        if row.scope == SubjectResult.REGION_SCOPE:
            entry["region"] = row.figures
        else:
            entry["by_school"][row.scope] = row.figures
    if school_code:
        for entry in subjects.values():
            del entry["region"]
    return {"subjects": subjects}


def school_names(batch):
    return dict(db.session.execute(select(School.code, School.name).where(School.batch_id == batch.id)).all())


def has_results(batch):
    return db.session.scalar(select(SubjectResult.id).where(SubjectResult.batch_id == batch.id).limit(1)) is not None
