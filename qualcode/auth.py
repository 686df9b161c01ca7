"""Team-mode accounts: salted scrypt password hashes, rate-limited sign-in, short-lived sessions.

Passwords are never stored, only ``scrypt$N$r$p$salt$hash`` strings.  New hashes use
N=2**17, r=8, p=1 (OWASP's minimum for scrypt: 128 MiB and a fraction of a second per check);
older, weaker hashes are replaced on the user's next successful sign-in.  At most
:data:`SCRYPT_SLOTS` checks run at once per process, so a burst of sign-ins cannot exhaust memory.

Sign-in (:func:`sign_in`) counts each attempt in the database *before* the password is checked
(:meth:`qualcode.store.access.AccessRoom.count_sign_in_attempt`, one atomic statement):

* per typed user name: the 5th failure within 15 minutes pauses sign-in for that name for
  5 minutes; the pause is never extended by further attempts, so it always ends;
* per client address: 10 failures in an hour pause that client for an hour, so one client
  cannot keep an account locked (or guess passwords) for long;
* an admin ends a pause at once: ``qualcode user unlock NAME``.

Names that do not exist are counted and answered exactly like real ones (same messages, a
dummy scrypt check of the same cost), so neither the lockout nor the timing tells which user
names exist.  A disabled user gets the same "wrong password" answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from datetime import UTC, datetime, timedelta

from .errors import ConfigError, PermissionDenied
from .store import Actor, Store

DEFAULT_SCRYPT_N = 2**17
SCRYPT_R, SCRYPT_P = 8, 1
SCRYPT_N_ENV = "QUALCODE_SCRYPT_N"  # tests lower it; lowering it in production weakens stored passwords
MAX_SCRYPT_N = 2**20  # stored hashes asking for more are refused (a forged hash must not exhaust memory)
SCRYPT_SLOTS = threading.BoundedSemaphore(2)

MAX_FAILED_LOGINS = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=5)
CLIENT_MAX_FAILURES = 10
CLIENT_WINDOW = timedelta(hours=1)
CLIENT_LOCKOUT = timedelta(hours=1)
SESSION_LIFETIME = timedelta(hours=8)
SESSION_IDLE = timedelta(hours=1)
SESSION_TOUCH = timedelta(minutes=1)  # how often a live session's last-seen time is written
MIN_PASSWORD_LENGTH = 10


def scrypt_n() -> int:
    """The cost parameter N for new hashes: 2**17, or ``QUALCODE_SCRYPT_N`` (a power of two)."""
    raw = os.environ.get(SCRYPT_N_ENV)
    if not raw:
        return DEFAULT_SCRYPT_N
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 2**10 or n > MAX_SCRYPT_N or n & (n - 1):
        raise ConfigError(
            f"{SCRYPT_N_ENV}='{raw}' is not a power of two between 1024 and {MAX_SCRYPT_N}.",
            hint=f"Unset it (the default is {DEFAULT_SCRYPT_N}).",
        )
    return n


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    with SCRYPT_SLOTS:
        # scrypt needs 128·N·r bytes (128 MiB at N=2**17, r=8); maxmem must be above that.
        return hashlib.scrypt(
            password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=129 * n * r * p + 32 * 1024 * 1024, dklen=dklen
        )


def hash_password(password: str, *, n: int | None = None, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """A salted scrypt hash.

    >>> h = hash_password("correct horse battery", n=2**10)
    >>> h.startswith("scrypt$1024$8$1$") and verify_password("correct horse battery", h)
    True
    >>> verify_password("wrong", h)
    False
    """
    n = n or scrypt_n()
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, n, r, p, 32)
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"scrypt${n}${r}${p}${b64(salt)}${b64(digest)}"


def _parameters(stored: str | None) -> tuple[int, int, int] | None:
    if not stored or not stored.startswith("scrypt$"):
        return None
    try:
        _, n, r, p, _salt, _digest = stored.split("$")
        return int(n), int(r), int(p)
    except ValueError:
        return None


def verify_password(password: str, stored: str | None) -> bool:
    params = _parameters(stored)
    if params is None or params[0] > MAX_SCRYPT_N or params[1] * params[2] > 64:
        return False
    try:
        _, _n, _r, _p, salt, digest = str(stored).split("$")
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), *params, dklen=len(expected))
    except (ValueError, TypeError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str | None) -> bool:
    """True when ``stored`` is weaker than what :func:`hash_password` makes now.

    >>> needs_rehash("scrypt$16$8$1$c2FsdA==$ZGlnZXN0"), needs_rehash(f"scrypt${2**20}$8$1$c2FsdA==$ZGlnZXN0")
    (True, False)
    """
    params = _parameters(stored)
    return params is None or params[0] < scrypt_n() or params[1] < SCRYPT_R


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PermissionDenied(
            f"The password is shorter than {MIN_PASSWORD_LENGTH} characters.", hint="Choose a longer passphrase."
        )


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} minutes" if minutes < 120 else f"{minutes // 60} hours"


def sign_in(store: Store, name: str, password: str, *, client: str | None = None, now: datetime | None = None) -> Actor:
    """Check a password; returns the user's Actor.  ``client`` is the browser's address (None:
    this machine).  Every attempt is counted before the password is checked (see the module)."""
    now = now or _utcnow()
    client_key = f"client:{client or 'local'}"
    throttle = store.count_sign_in_attempt(
        client_key, now, limit=CLIENT_MAX_FAILURES, window=CLIENT_WINDOW, lockout=CLIENT_LOCKOUT
    )
    if not throttle.allowed(CLIENT_MAX_FAILURES):
        raise PermissionDenied(
            "Too many failed sign-in attempts from this computer.",
            hint=f"Sign-in from here pauses until {str(throttle.locked_until)[:16].replace('T', ' ')} UTC; "
            "an admin can end the pause with 'qualcode user unlock NAME'.",
        )
    user_key = f"user:{name}"
    attempt = store.count_sign_in_attempt(
        user_key, now, limit=MAX_FAILED_LOGINS, window=FAILURE_WINDOW, lockout=LOCKOUT
    )
    if not attempt.allowed(MAX_FAILED_LOGINS):
        # The same answer for every typed name, existing or not.
        raise PermissionDenied(
            "Too many failed sign-in attempts for this user name.",
            hint=f"Sign-in for it pauses until {str(attempt.locked_until)[:16].replace('T', ' ')} UTC; "
            "an admin can end the pause with 'qualcode user unlock NAME'.",
        )
    user = store.get_user(name)
    stored = user["password_hash"] if user is not None and user.get("disabled_at") is None else None
    # Unknown and disabled users spend the same time as a real check: names cannot be probed by timing.
    dummy = f"scrypt${scrypt_n()}${SCRYPT_R}${SCRYPT_P}$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 44
    matches = verify_password(password, stored or dummy) and stored is not None
    if not matches or user is None:
        raise PermissionDenied(
            "Unknown user name or wrong password.",
            hint=f"Check both; after {MAX_FAILED_LOGINS} failed attempts sign-in for that name pauses for "
            f"{_minutes(LOCKOUT)}.",
        )
    store.refund_sign_in_attempt(client_key)
    store.clear_sign_in_attempts(user_key)
    if needs_rehash(stored):
        store.set_password_hash(name, hash_password(password))
    return Actor(name, user["role"])


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(
    store: Store, actor: Actor, *, now: datetime | None = None, lifetime: timedelta = SESSION_LIFETIME
) -> str:
    """A random 256-bit session token (only its SHA-256 is stored)."""
    now = now or _utcnow()
    token = secrets.token_urlsafe(32)
    store.start_session(_token_hash(token), actor.name, now, now + lifetime)
    return token


def resume_session(store: Store, token: str, *, now: datetime | None = None) -> Actor | None:
    """The Actor of a live session (current role), or None when the token is unknown, expired,
    idle for longer than :data:`SESSION_IDLE`, or its user was disabled or removed."""
    return store.live_session(_token_hash(token), now or _utcnow(), idle=SESSION_IDLE, touch_every=SESSION_TOUCH)


def end_session(store: Store, token: str) -> None:
    store.drop_session(_token_hash(token))


def team_mode(store: Store) -> bool:
    return store.get_setting("team_mode", "false") == "true"
