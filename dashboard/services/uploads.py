"""Reading and validating uploaded question tables and score sheets.

Every problem is collected with its file, row, column and value; nothing here writes
to the database. Rows are numbered as a spreadsheet shows them (the header is row 1).
"""
import codecs
import functools
import re
import csv
import io
from dataclasses import asdict, dataclass, field

import numpy as np

from dashboard.score_blocks import BLOCK_ROWS, encode_block
from jobs.engine import ABSENT_MARK

MAX_REPORTED_PROBLEMS = 500
MAX_ITEM_SCORE = 10_000
MAX_OPTIONS = 100
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# The widths of the columns these values are stored in.
TEXT_LIMITS = {"subject": 100, "question_id": 100, "dimension": 100, "school_code": 64, "school_name": 200}

STUDENT_ID_HEADERS = ("考号", "学号", "准考证号", "student_id", "student id", "student_number")
SCHOOL_CODE_HEADERS = ("学校代码", "学校编码", "学校编号", "school_code", "school_id", "school code")
SCHOOL_NAME_HEADERS = ("学校名称", "学校", "school_name", "school name")
STATUS_HEADERS = ("状态", "考试状态", "缺考标记", "status", "attendance")
ABSENCE_MARKERS = ("缺考", "缺席", "absent", "abs")

QUESTION_HEADERS = {
    "subject": ("subject", "科目", "学科"),
    "question_id": ("question_id", "题号", "题目编号"),
    "max_score": ("max_score", "满分", "分值"),
    "dimensions": ("dimensions", "维度", "dimension"),
    "question_type": ("question_type", "题型", "类型"),
    "reverse": ("reverse", "反向", "反向计分"),
    "options": ("options", "选项数", "选项"),
}
QUESTION_TYPES = {"exam": "exam", "考试": "exam", "questionnaire": "questionnaire", "问卷": "questionnaire"}
TRUE_WORDS = ("1", "true", "yes", "y", "是")
FALSE_WORDS = ("", "0", "false", "no", "n", "否")


@dataclass
class ImportProblem:
    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def as_dict(self):
        return asdict(self)


class ProblemList:
    """Collects problems; keeps the first MAX_REPORTED_PROBLEMS and counts the rest."""

    def __init__(self):
        self.items = []
        self.total = 0

    def add(self, file, message, row=None, column=None, value=None):
        self.total += 1
        if len(self.items) < MAX_REPORTED_PROBLEMS:
            self.items.append(ImportProblem(file, message, row, column, None if value is None else str(value)))

    def __bool__(self):
        return self.total > 0


@dataclass
class QuestionRow:
    position: int
    subject: str
    question_id: str
    max_score: float
    dimensions: list
    question_type: str
    reverse: bool
    options: int | None


@dataclass
class ParsedSheet:
    file_name: str
    question_ids: list
    row_count: int = 0
    blocks: list = field(default_factory=list)
    student_ids: set = field(default_factory=set)


@dataclass
class SchoolDirectory:
    """School codes in order of first appearance across all sheets of one upload."""

    positions: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)

    def position_of(self, code, name):
        if code not in self.positions:
            self.positions[code] = len(self.positions)
            self.names[code] = name or code
        return self.positions[code]


@dataclass
class UploadedFile:
    name: str
    stream: io.IOBase

    def __post_init__(self):
        # The stored sheet name column is 255 characters wide.
        self.name = self.name[:255]


def _normalise_header(name):
    return name.strip().lstrip("\ufeff").strip().lower()


def _find_column(header, aliases):
    wanted = {alias.lower() for alias in aliases}
    for index, name in enumerate(header):
        if _normalise_header(name) in wanted:
            return index
    return None


def _detect_encoding(stream):
    """UTF-8 (with or without BOM) or GB18030, checked over the whole file; None if neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := stream.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        stream.seek(0)
        return encoding
    return None


def _open_csv(upload, problems):
    """A csv reader over the decoded file, or None after recording why it cannot be read."""
    stream = upload.stream
    stream.seek(0, io.SEEK_END)
    if stream.tell() == 0:
        problems.add(upload.name, "The file is empty.")
        return None
    encoding = _detect_encoding(stream)
    if encoding is None:
        problems.add(upload.name, "The file is neither UTF-8 nor GB18030 (GBK) text; save it as CSV UTF-8.")
        return None
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    first_line = text.readline()
    text.seek(0)
    delimiter = max((",", "\t", ";"), key=first_line.count)
    return csv.reader(text, delimiter=delimiter)


def _read_header(reader, upload, problems):
    header = next(_rows(reader, upload, problems), None)
    if header is None or not any(cell.strip() for cell in header):
        problems.add(upload.name, "The file has no header row.", row=1)
        return None
    return [cell.strip().lstrip("\ufeff").strip() for cell in header]


@dataclass
class QuestionTable:
    """The valid questions in file order, and the ids of rows that were refused (so that the
    score sheets' columns for them are not reported a second time as unknown)."""

    questions: list = field(default_factory=list)
    rejected_ids: set = field(default_factory=set)


def parse_questions(upload, problems):
    """Read and check a question table."""
    table = QuestionTable()
    reader = _open_csv(upload, problems)
    if reader is None:
        return table
    header = _read_header(reader, upload, problems)
    if header is None:
        return table
    columns = {key: _find_column(header, aliases) for key, aliases in QUESTION_HEADERS.items()}
    missing = [name for name in ("subject", "question_id", "max_score") if columns[name] is None]
    if missing and _find_column(header, STUDENT_ID_HEADERS) is not None:
        problems.add(upload.name, "This looks like a score sheet (it has a student id column), not the question "
                     "table; check which file went into which field.", row=1)
        return table
    for name in missing:
        problems.add(upload.name, f"Missing column '{name}'.", row=1, column=name)
    if missing:
        return table

    questions, seen_ids, subject_types = table.questions, {}, {}
    for row_number, cells in enumerate(_rows(reader, upload, problems), start=2):
        if not any(cell.strip() for cell in cells):
            continue
        question = _parse_question_row(cells, columns, row_number, upload.name, problems)
        if question is None:
            table.rejected_ids.add(_cell(cells, columns["question_id"]))
            continue
        if question.question_id in seen_ids:
            problems.add(
                upload.name,
                f"Question id '{question.question_id}' is listed twice (first on row {seen_ids[question.question_id]}).",
                row=row_number,
                column="question_id",
                value=question.question_id,
            )
            continue
        seen_ids[question.question_id] = row_number
        expected_type = subject_types.setdefault(question.subject, question.question_type)
        if expected_type != question.question_type:
            problems.add(
                upload.name,
                f"Subject '{question.subject}' mixes exam and questionnaire items.",
                row=row_number,
                column="question_type",
                value=question.question_type,
            )
            continue
        question.position = len(questions)
        questions.append(question)
    if not questions and not problems:
        problems.add(upload.name, "The question table has no questions.", row=2)
    return table


def _cell(cells, index):
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def _parse_question_row(cells, columns, row_number, file_name, problems):
    problem_count = problems.total
    subject = _cell(cells, columns["subject"])
    question_id = _cell(cells, columns["question_id"])
    if not subject:
        problems.add(file_name, "The subject is blank.", row=row_number, column="subject")
    if not question_id:
        problems.add(file_name, "The question id is blank.", row=row_number, column="question_id")
    dimensions = [name.strip() for name in _cell(cells, columns["dimensions"]).replace("；", ";").split(";") if name.strip()]
    for name, values in (("subject", [subject]), ("question_id", [question_id]), ("dimension", dimensions)):
        for value in values:
            _check_length(value, name, file_name, row_number, problems)

    raw_max = _cell(cells, columns["max_score"])
    max_score = _plain_number(raw_max)
    if max_score is None or not 0 < max_score <= MAX_ITEM_SCORE:
        max_score = None
        problems.add(
            file_name, f"The maximum score must be a number above 0 and at most {MAX_ITEM_SCORE}.",
            row_number, "max_score", raw_max,
        )

    raw_type = _cell(cells, columns["question_type"]).lower() or "exam"
    question_type = QUESTION_TYPES.get(raw_type)
    if question_type is None:
        problems.add(file_name, "The question type must be 'exam' or 'questionnaire'.", row_number, "question_type", raw_type)

    raw_reverse = _cell(cells, columns["reverse"]).lower()
    if raw_reverse not in TRUE_WORDS + FALSE_WORDS:
        problems.add(file_name, "The reverse flag must be 0 or 1.", row_number, "reverse", raw_reverse)
    reverse = raw_reverse in TRUE_WORDS

    options = None
    raw_options = _cell(cells, columns["options"])
    if question_type == "questionnaire":
        options = _questionnaire_options(raw_options, max_score)
        if options is None:
            problems.add(
                file_name, f"A questionnaire item needs a whole number of options from 2 to {MAX_OPTIONS}.",
            row_number, "options", raw_options,
            )
    if problems.total > problem_count:
        return None
    return QuestionRow(0, subject, question_id, max_score, dimensions, question_type, reverse, options)


def _check_length(value, kind, file_name, row_number, problems, column=None):
    limit = TEXT_LIMITS[kind]
    if len(value) > limit:
        problems.add(file_name, f"Use at most {limit} characters here.", row_number, column or kind, value[:80] + "…")


def _questionnaire_options(raw_options, max_score):
    value = _plain_number(raw_options) if raw_options else max_score
    if value is None or value != int(value) or not 2 <= value <= MAX_OPTIONS:
        return None
    return int(value)


def _plain_number(text):
    """A number written plainly (digits, one point, a sign), else None: no '1_0', 'nan', '1e3' or '٣'."""
    if not PLAIN_NUMBER.fullmatch(text):
        return None
    return float(text)


class SheetColumns:
    """Where the id, school, status and item columns of one score sheet are."""

    def __init__(self, header, ignored_ids=frozenset()):
        self.header = header
        self.student_id = _find_column(header, STUDENT_ID_HEADERS)
        self.school_code = _find_column(header, SCHOOL_CODE_HEADERS)
        self.school_name = _find_column(header, SCHOOL_NAME_HEADERS)
        self.status = _find_column(header, STATUS_HEADERS)
        taken = {self.student_id, self.school_code, self.school_name, self.status}
        self.looks_like_question_table = all(
            _find_column(header, QUESTION_HEADERS[name]) is not None for name in ("question_id", "max_score")
        )
        # Columns of questions the question table refused: already reported there.
        self.items = [
            (index, name) for index, name in enumerate(header) if index not in taken and name not in ignored_ids
        ]


def parse_score_sheet(upload, questions_by_id, schools, school_batch_code, problems, ignored_ids=frozenset()):
    """Validate one score sheet and pack its rows into blocks; the sheet or None.

    `school_batch_code` is the batch's school id for a school-level batch (its rows
    must all belong to that school; the school columns may then be left out).
    """
    reader = _open_csv(upload, problems)
    if reader is None:
        return None
    header = _read_header(reader, upload, problems)
    if header is None:
        return None
    columns = SheetColumns(header, ignored_ids)
    if not _check_sheet_columns(columns, questions_by_id, school_batch_code, upload.name, problems):
        return None

    item_questions = [questions_by_id[name] for _, name in columns.items]
    sheet = ParsedSheet(upload.name, [question.question_id for question in item_questions])
    first_row = 2
    seen_rows = {}
    for chunk in _row_chunks(_rows(reader, upload, problems), BLOCK_ROWS):
        row_numbers, block = _parse_rows(
            chunk, first_row, columns, item_questions, schools, school_batch_code, upload.name, problems
        )
        _check_duplicate_students(block["student_ids"], row_numbers, seen_rows, upload.name, problems)
        first_row += len(chunk)
        if block["student_ids"] and not problems:
            sheet.blocks.append(encode_block(**block))
        sheet.row_count += len(block["student_ids"])
    if sheet.row_count == 0 and not problems:
        problems.add(upload.name, "The score sheet has no student rows.", row=2)
    sheet.student_ids = set(seen_rows)
    return sheet


def _check_sheet_columns(columns, questions_by_id, school_batch_code, file_name, problems):
    problem_count = problems.total
    if columns.student_id is None and columns.looks_like_question_table:
        problems.add(file_name, "This looks like the question table, not a score sheet; check which file went "
                     "into which field.", row=1)
        return False
    if columns.student_id is None:
        problems.add(file_name, "Missing the student id column (考号, 学号 or student_id).", row=1, column="student_id")
    if columns.school_code is None and school_batch_code is None:
        problems.add(file_name, "Missing the school code column (学校代码 or school_code).", row=1, column="school_code")
    seen = set()
    for index, name in columns.items:
        if not name:
            problems.add(file_name, f"Column {index + 1} has no name.", row=1, column=str(index + 1))
        elif name in seen:
            problems.add(file_name, f"Column '{name}' appears twice.", row=1, column=name, value=name)
        elif name not in questions_by_id:
            problems.add(file_name, f"Column '{name}' is not a question id of the question table.", row=1, column=name, value=name)
        seen.add(name)
    if not columns.items:
        problems.add(file_name, "The sheet has no item columns.", row=1)
    return problems.total == problem_count


def _rows(reader, upload, problems):
    """The reader's rows; a file that stops being valid CSV ends with a problem, not an exception."""
    try:
        yield from reader
    except csv.Error as error:
        problems.add(upload.name, f"The file is not valid CSV from here on ({error}).", row=reader.line_num)


def _row_chunks(rows, size):
    chunk = []
    for cells in rows:
        chunk.append(cells)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _parse_rows(rows, first_row, columns, item_questions, schools, school_batch_code, file_name, problems):
    """Validate one chunk of rows; return the arrays of one block (blank rows skipped)."""
    width = len(columns.header)
    kept_rows, row_numbers = [], []
    for offset, cells in enumerate(rows):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != width:
            problems.add(file_name, f"The row has {len(cells)} cells; the header has {width}.", row=first_row + offset)
            continue
        kept_rows.append(cells)
        row_numbers.append(first_row + offset)

    student_ids, school_positions, row_absent = [], [], []
    for cells, row_number in zip(kept_rows, row_numbers):
        student_id = _cell(cells, columns.student_id)
        if not student_id:
            problems.add(file_name, "The student id is blank.", row_number, columns.header[columns.student_id])
        student_ids.append(student_id)
        school_positions.append(_school_position(cells, row_number, columns, schools, school_batch_code, file_name, problems))
        row_absent.append(_cell(cells, columns.status).lower() in ABSENCE_MARKERS)

    item_indexes = [index for index, _ in columns.items]
    cells = np.array([[row[index] for index in item_indexes] for row in kept_rows], dtype=str).reshape(
        len(kept_rows), len(item_indexes)
    )
    scores = _score_matrix(cells, row_numbers, columns, item_questions, file_name, problems)
    return row_numbers, {
        "student_ids": student_ids,
        "school_positions": school_positions,
        "row_absent": np.array(row_absent, dtype=bool),
        "scores": scores,
    }


def _school_position(cells, row_number, columns, schools, school_batch_code, file_name, problems):
    code = _cell(cells, columns.school_code) if columns.school_code is not None else school_batch_code
    name = _cell(cells, columns.school_name)
    if not code:
        problems.add(file_name, "The school code is blank.", row_number, columns.header[columns.school_code])
        return -1
    if school_batch_code is not None and code != school_batch_code:
        problems.add(
            file_name,
            f"This school-level batch is for school '{school_batch_code}'.",
            row_number,
            columns.header[columns.school_code],
            code,
        )
        return -1
    problem_count = problems.total
    _check_length(code, "school_code", file_name, row_number, problems, columns.header[columns.school_code] if columns.school_code is not None else None)
    if columns.school_name is not None:
        _check_length(name, "school_name", file_name, row_number, problems, columns.header[columns.school_name])
    if problems.total > problem_count:
        return -1
    return schools.position_of(code, name)


def _score_matrix(cells, row_numbers, columns, item_questions, file_name, problems):
    """Convert item cells to numbers: NaN for blank, ABSENT_MARK for an absence marker."""
    cells = np.char.strip(cells)
    blank = cells == ""
    absent = np.isin(np.char.lower(cells), ABSENCE_MARKERS)
    numeric_text = np.where(blank | absent, "0", cells)
    # Plain decimals only: float() would also take '1_0', 'nan', '1e3' and other scripts' digits.
    malformed = ~np.isin(np.char.strip(numeric_text, "0123456789."), ("", "-", "+"))
    numeric_text = np.where(malformed, "0", numeric_text)
    try:
        values = numeric_text.astype(np.float64)
        not_a_number = malformed
    except ValueError:
        values, not_a_number = _numbers_cell_by_cell(numeric_text)
        not_a_number |= malformed
    maxima = np.array([question.max_score for question in item_questions], dtype=np.float64)
    options = np.array([question.options or 0 for question in item_questions], dtype=np.float64)
    is_questionnaire = np.array([question.question_type == "questionnaire" for question in item_questions])
    number = ~blank & ~absent & ~not_a_number
    report = functools.partial(_report_bad_cells, cells=cells, row_numbers=row_numbers, columns=columns,
                               file_name=file_name, problems=problems, item_questions=item_questions)
    report(~blank & ~absent & not_a_number, "The score is not a number.")
    report(number & ~is_questionnaire & ((values < 0) | (values > maxima)), None)
    # Questionnaire answers are option numbers 1..K; an absence marker is not an answer.
    bad_answer = number & ((values < 1) | (values > options) | (values != np.round(values)))
    report(is_questionnaire & ((absent) | bad_answer), None)
    scores = np.where(blank, np.nan, values)
    scores[absent & ~is_questionnaire] = ABSENT_MARK
    return scores


def _numbers_cell_by_cell(texts):
    values = np.zeros(texts.shape, dtype=np.float64)
    invalid = np.zeros(texts.shape, dtype=bool)
    for position, text in np.ndenumerate(texts):
        number = _plain_number(text)
        invalid[position] = number is None
        values[position] = number or 0.0
    return values, invalid


def _report_bad_cells(mask, message, cells, row_numbers, columns, file_name, problems, item_questions):
    for row_index, item_index in zip(*np.nonzero(mask)):
        column_name = columns.items[item_index][1]
        text = message
        if text is None:
            question = item_questions[item_index]
            if question.question_type == "questionnaire":
                text = f"The answer must be a whole number from 1 to {question.options}."
            else:
                text = f"The score must be between 0 and {question.max_score:g}."
        problems.add(file_name, text, row_numbers[row_index], column_name, cells[row_index, item_index])


def _check_duplicate_students(student_ids, row_numbers, seen_rows, file_name, problems):
    for student_id, row_number in zip(student_ids, row_numbers):
        if not student_id:
            continue
        if student_id in seen_rows:
            problems.add(
                file_name,
                f"Student id '{student_id}' appears twice (first on row {seen_rows[student_id]}).",
                row=row_number,
                value=student_id,
            )
        else:
            seen_rows[student_id] = row_number
