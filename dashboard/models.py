"""The SQL record: plain SQLAlchemy models, importable by workers without Flask."""
import enum
import hashlib
from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
    text,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash


def utcnow():
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always read back timezone-aware in UTC (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    pass


class AggregationLevel(str, enum.Enum):
    REGIONAL = "regional"
    SCHOOL = "school"


class CalculationStatus(str, enum.Enum):
    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (CalculationStatus.QUEUED.value, CalculationStatus.RUNNING.value)
FINISHED_STATUSES = (
    CalculationStatus.COMPLETED.value,
    CalculationStatus.FAILED.value,
    CalculationStatus.CANCELLED.value,
)

# The stages of a calculation, in order, with their share of the overall progress.
CALCULATION_STAGES = (
    ("data_loading", 15),
    ("statistical_calculation", 60),
    ("result_aggregation", 10),
    ("saving_results", 15),
)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    # Roles come later; every account is an admin until then.
    role: Mapped[str] = mapped_column(String(20), default="admin")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    # Flask-Login protocol
    @property
    def is_authenticated(self):
        return True

    @property
    def is_active(self):
        return self.active

    @property
    def is_anonymous(self):
        return False

    def get_id(self):
        return str(self.id)


class ApiToken(Base):
    """A bearer token for scripts; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @staticmethod
    def hash_token(token):
        return hashlib.sha256(token.encode()).hexdigest()


class Batch(Base):
    """One assessment, identified by code, aggregation level and (for a school batch) school."""

    __tablename__ = "batches"
    __table_args__ = (
        # NULL school ids are distinct in a plain unique constraint, so the regional
        # batch's identity goes through coalesce.
        Index(
            "uq_batches_identity",
            "batch_code",
            "aggregation_level",
            func.coalesce(text("school_id"), ""),
            unique=True,
        ),
        # A deleted batch's id is never given to a new one: an old tab must not act on another batch.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_code: Mapped[str] = mapped_column(String(64), index=True)
    aggregation_level: Mapped[str] = mapped_column(String(16))
    school_id: Mapped[str | None] = mapped_column(String(64))
    region_name: Mapped[str] = mapped_column(String(200), default="")
    school_name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    calculation_status: Mapped[str] = mapped_column(String(16), default=CalculationStatus.PENDING.value)
    student_count: Mapped[int] = mapped_column(Integer, default=0)
    school_count: Mapped[int] = mapped_column(Integer, default=0)
    data_version: Mapped[int] = mapped_column(Integer, default=0)
    # Calculation settings that differ from STATISTICS.md's defaults (see jobs.engine.exam.ExamSettings).
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    # The saved results were calculated with other settings than the batch has now.
    results_stale: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    created_by: Mapped[User | None] = relationship()
    questions: Mapped[list["Question"]] = relationship(
        back_populates="batch", cascade="all, delete-orphan", passive_deletes=True, order_by="Question.position"
    )

    @property
    def has_data(self):
        return self.data_version > 0


class BatchHistory(Base):
    """What changed in a batch, before and after, who and when."""

    __tablename__ = "batch_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id", ondelete="SET NULL"), index=True)
    batch_code: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User | None] = relationship()


class AuditEvent(Base):
    """A record that outlives what it is about (a deleted batch): who did what, when."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Question(Base):
    """One item of the batch's question table."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("batch_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(100))
    question_id: Mapped[str] = mapped_column(String(100))
    max_score: Mapped[float] = mapped_column(Float)
    dimensions: Mapped[list] = mapped_column(JSON, default=list)
    question_type: Mapped[str] = mapped_column(String(16))
    reverse: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[int | None] = mapped_column(Integer)

    batch: Mapped[Batch] = relationship(back_populates="questions")


class School(Base):
    """A school that appears in the batch's score sheets; `position` indexes the stored school columns."""

    __tablename__ = "schools"
    __table_args__ = (UniqueConstraint("batch_id", "code"), UniqueConstraint("batch_id", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))


class ScoreSheet(Base):
    """One uploaded score sheet: its item columns, in file order."""

    __tablename__ = "score_sheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(255))
    row_count: Mapped[int] = mapped_column(Integer)
    question_ids: Mapped[list] = mapped_column(JSON)

    blocks: Mapped[list["ScoreBlock"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ScoreBlock.position"
    )


class ScoreBlock(Base):
    """A run of consecutive sheet rows stored as compressed column arrays.

    One row per block rather than per score cell, so a million students times a
    hundred items is a few dozen rows that load with one query.
    """

    __tablename__ = "score_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    row_count: Mapped[int] = mapped_column(Integer)
    score_dtype: Mapped[str] = mapped_column(String(16))
    student_ids: Mapped[bytes] = mapped_column(LargeBinary)
    school_positions: Mapped[bytes] = mapped_column(LargeBinary)
    row_absent: Mapped[bytes] = mapped_column(LargeBinary)
    scores: Mapped[bytes] = mapped_column(LargeBinary)


class CalculationTask(Base):
    """One calculation run of a batch; its id is the RQ job id."""

    __tablename__ = "calculation_tasks"
    __table_args__ = (
        # One active task per batch, enforced by the database itself.
        Index(
            "uq_calculation_tasks_active_batch",
            "batch_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=CalculationStatus.QUEUED.value)
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    current_stage: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(Text)
    data_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    batch: Mapped[Batch] = relationship()
    started_by: Mapped[User | None] = relationship()
    stages: Mapped[list["TaskStage"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="TaskStage.position", lazy="selectin"
    )

    @property
    def is_active(self):
        return self.status in ACTIVE_STATUSES

    @classmethod
    def end_if_active(cls, session, task_id, status: CalculationStatus, error_message=None):
        """End the task only if it is still queued or running; the task, or None if it had ended.

        The status changes in one conditional UPDATE, so a cancel, the job and the worker
        cannot overwrite each other's ending whatever order they commit in."""
        changed = session.execute(
            update(cls)
            .where(cls.id == task_id, cls.status.in_(ACTIVE_STATUSES))
            .values(status=status.value)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            return None
        task = session.get(cls, task_id, populate_existing=True)
        task.end(status, error_message)
        return task

    def end(self, status: CalculationStatus, error_message=None):
        """Record how the task ended, on the task, its running stage and its batch."""
        self.status = status.value
        self.finished_at = utcnow()
        self.error_message = error_message
        completed = status == CalculationStatus.COMPLETED
        if completed:
            self.progress = 100.0
        for stage in self.stages:
            if stage.status == "running":
                stage.status = "completed" if completed else status.value
                stage.finished_at = self.finished_at
        self.batch.calculation_status = status.value


class TaskStage(Base):
    __tablename__ = "task_stages"
    __table_args__ = (UniqueConstraint("task_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("calculation_tasks.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SubjectResult(Base):
    """The figures of one subject in one scope (the region, or a school code), as the engine returned them."""

    __tablename__ = "subject_results"
    __table_args__ = (UniqueConstraint("batch_id", "subject", "scope"),)

    # School codes are never blank, so the empty scope cannot collide with a school named "region".
    REGION_SCOPE = ""

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(ForeignKey("calculation_tasks.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(100))
    subject_position: Mapped[int] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(64))
    # The scope's subject figures (and the region's school comparison) ...
    figures: Mapped[dict] = mapped_column(JSON)
    # ... apart from its item and dimension figures, so lists of schools stay light to read.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
