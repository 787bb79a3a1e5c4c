"""People's passwords: argon2id hashes, a minimum standard, and setting one with an audit entry.

Only the hash is stored. The hasher's parameters are argon2-cffi's current defaults
(RFC 9106's low-memory profile); a hash made with older parameters is re-hashed the
next time its owner signs in (:func:`verify` says so).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from arrears.audit import service as audit
from arrears.errors import InvalidInput
from arrears.org.models import User

MIN_LENGTH = 10
_hasher = PasswordHasher()

# Verifying against this when the user does not exist costs the same time as a real
# check, so response times do not tell which usernames exist.
_DECOY_HASH = _hasher.hash("a password that is never anyone's")


def check_strength(password: str, *, username: str) -> None:
    """Refuse a password too short or equal to the username (NIST 800-63B: length over rules)."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"the password has {len(password)} characters; at least {MIN_LENGTH} are needed",
            where="password",
            hint="a passphrase of a few words is easy to remember and hard to guess",
        )
    if username.lower() in password.lower():
        raise InvalidInput("the password contains the username", where="password", hint="choose another password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s; a missing user or hash takes as long and is False."""
    stored = user.password_hash if user is not None and user.password_hash else None
    try:
        _hasher.verify(stored or _DECOY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return stored is not None


def needs_rehash(user: User) -> bool:
    return user.password_hash is not None and _hasher.check_needs_rehash(user.password_hash)


def set_password(*, db_session: Session, user: User, password: str, actor: str) -> None:
    """Give ``user`` a new password (checked for strength); the audit entry never holds it."""
    check_strength(password, username=user.username)
    user.password_hash = hash_password(password)
    audit.record(
        db_session=db_session,
        actor=actor,
        action="user.password_set",
        subject_type="user",
        subject_id=user.id,
        tenant_id=user.tenant_id,
        details={"username": user.username},
    )
    db_session.flush()
