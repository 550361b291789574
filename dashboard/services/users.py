"""Accounts and API tokens."""
import secrets
from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.errors import Conflict, ValidationFailed
from dashboard.extensions import db
from dashboard.models import ApiToken, User, utcnow

MIN_PASSWORD_LENGTH = 8
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def create_user(username, password, role="admin"):
    username = (username or "").strip()
    if not username or len(username) > 80:
        raise ValidationFailed("The user name must have 1 to 80 characters.")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if find_user(username):
        raise Conflict(f"User '{username}' already exists.")
    user = User(username=username, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def find_user(username):
    return db.session.scalar(select(User).where(User.username == username))


# Checked against when the user does not exist, so a wrong name takes as long as a wrong password.
_UNKNOWN_USER_HASH = generate_password_hash(secrets.token_hex(16))


def authenticate(username, password):
    user = find_user((username or "").strip())
    if user is None:
        check_password_hash(_UNKNOWN_USER_HASH, password or "")
        return None
    if not user.is_active or not user.check_password(password or ""):
        return None
    return user


def any_user_exists():
    return db.session.scalar(select(User.id).limit(1)) is not None


def create_token(user):
    """A new bearer token; only its hash is kept, so this is the one time it can be shown."""
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=ApiToken.hash_token(token)))
    db.session.commit()
    return token


def user_for_token(token):
    if not token:
        return None
    api_token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash_token(token)))
    if api_token is None or not api_token.user.is_active:
        return None
    now = utcnow()
    last_used = api_token.last_used_at
    # Record use at most once a minute, so polling scripts do not write on every request.
    if last_used is None or now - last_used > TOKEN_USE_RESOLUTION:
        api_token.last_used_at = now
        db.session.commit()
    return api_token.user
