"""What the batch and task lists share: a creation-date range and one sorted page with its total."""
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import func, select

from dashboard.extensions import db


def start_of_day(day):
    """Midnight UTC at the start of a date (list filters take dates)."""
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def created_between(query, column, first_day, last_day):
    """The query narrowed to rows created from first_day to last_day inclusive (either may be None)."""
    if first_day:
        query = query.where(column >= start_of_day(first_day))
    if last_day:
        query = query.where(column < start_of_day(last_day) + timedelta(days=1))
    return query


def sorted_page(query, column, direction, page, page_size, tiebreak):
    """(rows of the page, total count), sorted by an already allow-listed column."""
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    ordered = query.order_by(column.desc() if direction == "desc" else column.asc(), tiebreak)
    return db.session.scalars(ordered.offset((page - 1) * page_size).limit(page_size)).all(), total
