"""Settings, read from the environment once when the app is created."""
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("DASHBOARD_INSTANCE_DIR", PROJECT_ROOT / "instance"))

DEFAULT_REDIS_URL = "redis://127.0.0.1:6380/0"
QUEUE_NAMES = ("high", "normal", "low")


def _secret_key():
    """SECRET_KEY from the environment, else one generated once and kept under instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_config():
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'dashboard.db'}"
    return {
        "SECRET_KEY": _secret_key(),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL", DEFAULT_REDIS_URL),
        "EMBEDDED_REDIS_DIR": str(INSTANCE_DIR / "redis"),
        "JOB_TIMEOUT_SECONDS": int(os.environ.get("JOB_TIMEOUT_SECONDS", 30 * 60)),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", 1024)) * 1024 * 1024,
        "BATCHES_PER_PAGE": 20,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "LANGUAGES": ("en", "zh"),
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
    }
