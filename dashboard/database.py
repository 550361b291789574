"""Database plumbing shared by the web app and the workers (no Flask here).

Workers open their own engine after the fork; the web app gets its engine from
Flask-SQLAlchemy. Both go through the same connection tuning.
"""
import sqlite3

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


@event.listens_for(Engine, "connect")
def _tune_sqlite_connection(dbapi_connection, _connection_record):
    # SQLite allows one writer at a time: WAL lets readers go on while a worker writes,
    # and the busy timeout makes a second writer wait instead of failing at once.
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def engine_options(database_url):
    if database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    return {"pool_pre_ping": True}


def make_session_factory(database_url):
    engine = create_engine(database_url, **engine_options(database_url))
    return sessionmaker(bind=engine, expire_on_commit=False)
