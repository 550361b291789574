"""Importing a batch's question table and score sheets: validate everything, then write once."""
import hashlib

from sqlalchemy import delete

from dashboard.errors import Conflict, ValidationFailed
from dashboard.extensions import db
from dashboard.models import (
    ACTIVE_STATUSES,
    AggregationLevel,
    CalculationStatus,
    Question,
    School,
    ScoreBlock,
    ScoreSheet,
    SubjectResult,
)
from dashboard.services.history import record_change
from dashboard.services.uploads import ProblemList, SchoolDirectory, parse_questions, parse_score_sheet


ACTIVE_MESSAGE = "The batch has a calculation in progress; cancel it or wait before importing new data."


def import_batch_data(batch, questions_file, score_files, user):
    """Replace the batch's data with the uploaded files, or raise ValidationFailed listing every problem."""
    if batch.calculation_status in ACTIVE_STATUSES:
        raise Conflict(ACTIVE_MESSAGE)
    problems = ProblemList()
    questions, sheets, schools = _parse_upload(batch, questions_file, score_files, problems)
    if problems:
        raise ValidationFailed(_summary(problems), details=[problem.as_dict() for problem in problems.items])
    _store(batch, questions_file.name, questions, sheets, schools, user)
    return {
        "data_version": batch.data_version,
        "student_count": batch.student_count,
        "school_count": batch.school_count,
        "question_count": len(questions),
        "subjects": sorted({question.subject for question in questions}),
        "sheets": [{"file_name": sheet.file_name, "rows": sheet.row_count} for sheet in sheets],
    }


def _summary(problems):
    shown = len(problems.items)
    if problems.total > shown:
        return f"The upload has {problems.total} problems (the first {shown} are listed); nothing was stored."
    return f"The upload has {problems.total} problem(s); nothing was stored."


def _parse_upload(batch, questions_file, score_files, problems):
    if questions_file is None:
        problems.add("questions", "The question table is missing.")
    if not score_files:
        problems.add("scores", "At least one score sheet is needed.")
    if questions_file is None or not score_files:
        return [], [], None
    table = parse_questions(questions_file, problems)
    questions = table.questions
    if not questions:
        return [], [], None
    questions_by_id = {question.question_id: question for question in questions}
    schools = SchoolDirectory()
    school_batch_code = batch.school_id if batch.aggregation_level == AggregationLevel.SCHOOL.value else None
    sheets = [
        parse_score_sheet(upload, questions_by_id, schools, school_batch_code, problems, table.rejected_ids)
        for upload in _distinct_files(score_files, problems)
    ]
    if None in sheets:
        # A sheet that could not be read has unknown columns: coverage would only add noise.
        return questions, [], schools
    _check_coverage(questions, questions_file.name, sheets, problems)
    return questions, sheets, schools


def _distinct_files(uploads, problems):
    """The score sheets with any second copy of the same file left out (and reported once)."""
    first_of_content = {}
    distinct = []
    for upload in uploads:
        digest = _digest(upload.stream)
        if digest in first_of_content:
            problems.add(upload.name, f"This is the same file as {first_of_content[digest]}; upload each sheet once.")
            continue
        first_of_content[digest] = upload.name
        distinct.append(upload)
    return distinct


def _digest(stream):
    digest = hashlib.sha256()
    stream.seek(0)
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def _check_coverage(questions, questions_file_name, sheets, problems):
    """Every question needs exactly one column, and a subject's items must come from one sheet."""
    sheet_of_question = {}
    for sheet in sheets:
        for question_id in sheet.question_ids:
            if question_id in sheet_of_question:
                problems.add(
                    sheet.file_name,
                    f"Question '{question_id}' is also in {sheet_of_question[question_id]}.",
                    row=1,
                    column=question_id,
                    value=question_id,
                )
            sheet_of_question.setdefault(question_id, sheet.file_name)
    sheets_of_subject = {}
    for question in questions:
        if question.question_id not in sheet_of_question:
            problems.add(
                questions_file_name,
                f"Question '{question.question_id}' has no column in any score sheet.",
                column="question_id",
                value=question.question_id,
            )
            continue
        sheets_of_subject.setdefault(question.subject, set()).add(sheet_of_question[question.question_id])
    for subject, file_names in sheets_of_subject.items():
        if len(file_names) > 1:
            problems.add(
                "scores",
                f"The items of subject '{subject}' are spread over {', '.join(sorted(file_names))}; "
                "put a subject's items in one sheet.",
                value=subject,
            )


def _store(batch, questions_file_name, questions, sheets, schools, user):
    """Write the parsed upload in one transaction, replacing the batch's previous data and results."""
    # Fresh and locked (on PostgreSQL): a calculation may have started while the files were parsed.
    db.session.refresh(batch, with_for_update=True)
    if batch.calculation_status in ACTIVE_STATUSES:
        db.session.rollback()
        raise Conflict(ACTIVE_MESSAGE)
    before = {"data_version": batch.data_version, "student_count": batch.student_count, "school_count": batch.school_count}
    db.session.execute(delete(SubjectResult).where(SubjectResult.batch_id == batch.id))
    db.session.execute(delete(ScoreSheet).where(ScoreSheet.batch_id == batch.id))
    db.session.execute(delete(School).where(School.batch_id == batch.id))
    db.session.execute(delete(Question).where(Question.batch_id == batch.id))
    db.session.flush()
    db.session.add_all(
        Question(
            batch_id=batch.id,
            position=question.position,
            subject=question.subject,
            question_id=question.question_id,
            max_score=question.max_score,
            dimensions=question.dimensions,
            question_type=question.question_type,
            reverse=question.reverse,
            options=question.options,
        )
        for question in questions
    )
    db.session.add_all(
        School(batch_id=batch.id, position=position, code=code, name=schools.names[code])
        for code, position in schools.positions.items()
    )
    for position, sheet in enumerate(sheets):
        db.session.add(
            ScoreSheet(
                batch_id=batch.id,
                position=position,
                file_name=sheet.file_name,
                row_count=sheet.row_count,
                question_ids=sheet.question_ids,
                blocks=[ScoreBlock(position=index, **block) for index, block in enumerate(sheet.blocks)],
            )
        )
    batch.data_version += 1
    batch.student_count = len(set().union(*(sheet.student_ids for sheet in sheets)))
    batch.school_count = len(schools.positions)
    batch.calculation_status = CalculationStatus.PENDING.value
    after = {"data_version": batch.data_version, "student_count": batch.student_count, "school_count": batch.school_count}
    files = [questions_file_name] + [sheet.file_name for sheet in sheets]
    record_change(batch, "data_imported", before, after, user, extra={"files": files})
    db.session.commit()
