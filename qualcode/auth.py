"""Team-mode accounts: salted scrypt password hashes, rate-limited sign-in, expiring sessions.

Passwords are never stored, only ``scrypt$N$r$p$salt$hash`` strings (RFC 7914 parameters
N=2**15, r=8, p=1: about 32 MiB and tens of milliseconds per check, as OWASP recommends).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from .errors import PermissionDenied
from .store import Actor, Store

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=5)
SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 10


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """A salted scrypt hash.

    >>> h = hash_password("correct horse battery", n=2**10)
    >>> h.startswith("scrypt$1024$8$1$") and verify_password("correct horse battery", h)
    True
    >>> verify_password("wrong", h)
    False
    """
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=128 * 1024 * 1024, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"scrypt${n}${r}${p}${b64(salt)}${b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=128 * 1024 * 1024,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PermissionDenied(
            f"The password is shorter than {MIN_PASSWORD_LENGTH} characters.", hint="Choose a longer passphrase."
        )


def _utcnow() -> datetime:
    return datetime.now(UTC)


def sign_in(store: Store, name: str, password: str, *, now: datetime | None = None) -> Actor:
    """Check a password; returns the user's Actor.  Locks the account after repeated failures."""
    now = now or _utcnow()
    user = store.get_user(name)
    generic = PermissionDenied(
        "Unknown user name or wrong password.",
        hint="Check both; after 5 failed attempts the account pauses for 5 minutes.",
    )
    if user is None:
        # Spend the same time as a real check so user names cannot be probed by timing.
        verify_password(password, f"scrypt${SCRYPT_N}$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA")
        raise generic
    if user["locked_until"] and datetime.fromisoformat(user["locked_until"]) > now:
        raise PermissionDenied(
            f"Too many failed sign-in attempts for '{name}'.",
            hint=f"Try again after {user['locked_until'][:19]} UTC, or ask an admin.",
        )
    if not verify_password(password, user["password_hash"]):
        failures = int(user["failed_logins"] or 0) + 1
        locked = (now + LOCKOUT).isoformat() if failures >= MAX_FAILED_LOGINS else None
        store.update_user_login_state(name, 0 if locked else failures, locked)
        raise generic
    store.update_user_login_state(name, 0, None)
    return Actor(name, user["role"])


def create_session(
    store: Store, actor: Actor, *, now: datetime | None = None, lifetime: timedelta = SESSION_LIFETIME
) -> str:
    """A random session token (only its hash is stored)."""
    now = now or _utcnow()
    token = secrets.token_urlsafe(32)
    store.create_session(_token_hash(token), actor.name, now, now + lifetime)
    return token


def resume_session(store: Store, token: str, *, now: datetime | None = None) -> Actor | None:
    """The Actor of a live session, or None when the token is unknown or expired."""
    return store.session_actor(_token_hash(token), now or _utcnow())


def end_session(store: Store, token: str) -> None:
    store.end_session(_token_hash(token))


def _token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def team_mode(store: Store) -> bool:
    return store.get_setting("team_mode", "false") == "true"
