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



# The school comparison table may be sorted by these keys only.
COMPARISON_SORT_KEYS = (
    "school_code",
    "school_name",
    "participant_count",
    "average_score",
    "difference",
    "over_average_rate",
    "standard_score",
    "rank",
)
# Items to look at: STATISTICS.md's difficulty and corrected item-total correlation.
VERY_HARD, VERY_EASY, WEAK_ITEM_REST = 0.2, 0.9, 0.2


def subject_names(batch):
    """The batch's subjects that have results, in question-table order."""
    return list(
        dict.fromkeys(
            db.session.scalars(
                select(SubjectResult.subject)
                .where(SubjectResult.batch_id == batch.id, SubjectResult.scope == SubjectResult.REGION_SCOPE)
                .order_by(SubjectResult.subject_position)
            )
        )
    )


def subject_overview(batch):
    """{subject: {"region": figures, "schools": [(code, figures), ...]}} of subject figures only,
    without the item and dimension details (a batch page stays light whatever its size)."""
    rows = db.session.execute(
        select(SubjectResult.subject, SubjectResult.scope, SubjectResult.figures)
        .where(SubjectResult.batch_id == batch.id)
        .order_by(SubjectResult.subject_position, SubjectResult.scope)
    )
    overview = {}
    for subject, scope, figures in rows:
        entry = overview.setdefault(subject, {"region": None, "schools": []})
        if scope == SubjectResult.REGION_SCOPE:
            entry["region"] = figures
        else:
            entry["schools"].append((scope, figures))
    return overview


def scope_figures(batch, subject, scope=SubjectResult.REGION_SCOPE):
    """One scope's figures with its items and dimensions; NotFound if there are none."""
    row = db.session.scalar(
        select(SubjectResult).where(
            SubjectResult.batch_id == batch.id, SubjectResult.subject == subject, SubjectResult.scope == scope
        )
    )
    if row is None:
        what = f"school '{scope}'" if scope else "the region"
        raise NotFound(f"There are no results of {what} in subject '{subject}' of batch {batch.batch_code}.")
    return {**row.figures, **row.details}


def sorted_comparison(region, names, sort="rank", direction="asc"):
    """The region's school comparison as rows sorted by an allow-listed key (unknown keys sort by rank)."""
    sort = sort if sort in COMPARISON_SORT_KEYS else "rank"
    rows = [
        {"school_code": code, "school_name": names.get(code, code), **figures}
        for code, figures in (region.get("schools") or {}).items()
    ]
    missing_last = [row for row in rows if row.get(sort) is None]
    present = sorted(
        (row for row in rows if row.get(sort) is not None),
        key=lambda row: row[sort],
        reverse=direction == "desc",
    )
    return present + missing_last, sort, "desc" if direction == "desc" else "asc"


def item_flags(item):
    """Why an exam item deserves a second look, as codes the page names (empty when it does not)."""
    flags = []
    difficulty = item.get("difficulty_coefficient")
    item_rest = item.get("item_rest_correlation")
    if difficulty is not None and difficulty < VERY_HARD:
        flags.append("very_hard")
    if difficulty is not None and difficulty > VERY_EASY:
        flags.append("very_easy")
    if item_rest is not None and item_rest < WEAK_ITEM_REST:
        flags.append("weak_discrimination")
    return flags
