"""The workers' database sessions, opened from the same settings as the web app."""
from dashboard.config import load_config
from dashboard.database import make_session_factory

_session_factory = None


def configure(database_url):
    global _session_factory
    _session_factory = make_session_factory(database_url)


def open_session():
    """A new session; the factory is made on first use from DATABASE_URL (or the default)."""
    if _session_factory is None:
        configure(load_config()["SQLALCHEMY_DATABASE_URI"])
    return _session_factory()


def forget_inherited_connections():
    """After the fork into a work horse, drop pooled connections that belong to the parent."""
    if _session_factory is not None:
        _session_factory.kw["bind"].dispose(close=False)
