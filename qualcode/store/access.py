"""Sign-in attempts, sessions, disabled and removed users (team mode).

Failed sign-ins are counted **in the database, atomically, before the password is checked**:
one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` per attempt, so 30 simultaneous wrong
passwords raise the count by 30, and only the attempts numbered up to the limit are checked
at all.  Counts are kept per typed user name (whether or not that user exists, so the answers
never tell which names exist) and per client address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import schema as s
from ..errors import ConfigError
from .core import Actor
from .users import UsersRoom


def timestamp(moment: datetime) -> str:
    """A fixed-width UTC timestamp: such strings compare like the moments they name."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Attempt:
    """One counted sign-in attempt: its number in the current run of failures, and the lock."""

    number: int
    locked_until: str | None

    def allowed(self, limit: int) -> bool:
        return self.number <= limit


class AccessRoom(UsersRoom):
    """Sign-in attempt counters, sessions (create, check, end), disabling and removing users."""

    # ----------------------------------------------------------------- sign-in attempts
    def count_sign_in_attempt(
        self, key: str, now: datetime, *, limit: int, window: timedelta, lockout: timedelta
    ) -> Attempt:
        """Count one attempt for ``key`` atomically and return its number.

        The run of failures restarts when the last one is older than ``window`` or the lock
        has expired.  The attempt that reaches ``limit`` sets the lock (``now + lockout``);
        attempts while locked are counted but never extend the lock, so a lock always ends.
        """
        t = s.sign_in_attempts
        now_s = timestamp(now)
        stale_before = timestamp(now - window)
        lock_at = timestamp(now + lockout)
        insert = sqlite_insert(t) if self.is_sqlite else postgresql_insert(t)
        restart = sa.or_(
            sa.and_(t.c.locked_until.isnot(None), t.c.locked_until <= now_s),
            sa.and_(t.c.locked_until.is_(None), t.c.last_at < stale_before),
        )
        locked_now = sa.and_(t.c.locked_until.isnot(None), t.c.locked_until > now_s)
        new_failures = sa.case((restart, 1), else_=t.c.failures + 1)
        stmt = (
            insert.values(key=key, failures=1, last_at=now_s, locked_until=lock_at if limit <= 1 else None)
            .on_conflict_do_update(
                index_elements=[t.c.key],
                set_={
                    "failures": new_failures,
                    "last_at": now_s,
                    "locked_until": sa.case(
                        (locked_now, t.c.locked_until),
                        (new_failures >= limit, lock_at),
                        else_=sa.null(),
                    ),
                },
            )
            .returning(t.c.failures, t.c.locked_until)
        )
        with self.write() as conn:
            row = conn.execute(stmt).one()
        return Attempt(int(row.failures), row.locked_until)

    def refund_sign_in_attempt(self, key: str) -> None:
        """A successful sign-in: this attempt was no failure (the counter goes back by one)."""
        t = s.sign_in_attempts
        with self.write() as conn:
            conn.execute(
                t.update()
                .where(t.c.key == key, t.c.failures > 0)
                .values(failures=t.c.failures - 1, locked_until=sa.null())
            )

    def clear_sign_in_attempts(self, key: str) -> None:
        with self.write() as conn:
            conn.execute(s.sign_in_attempts.delete().where(s.sign_in_attempts.c.key == key))

    def sign_in_attempts(self, key: str) -> dict[str, Any] | None:
        with self.read() as conn:
            row = conn.execute(sa.select(s.sign_in_attempts).where(s.sign_in_attempts.c.key == key)).mappings().first()
        return dict(row) if row else None

    def unlock_user(self, actor: Actor, name: str) -> bool:
        """End a sign-in lock on ``name`` (and every client's throttle). True when one was set."""
        self.require(actor, "admin", "unlock users")
        with self.write() as conn:
            locked = conn.execute(
                sa.select(sa.func.count())
                .select_from(s.sign_in_attempts)
                .where(s.sign_in_attempts.c.key == f"user:{name}", s.sign_in_attempts.c.locked_until.isnot(None))
            ).scalar()
            conn.execute(
                s.sign_in_attempts.delete().where(
                    sa.or_(s.sign_in_attempts.c.key == f"user:{name}", s.sign_in_attempts.c.key.like("client:%"))
                )
            )
            self._audit(conn, actor, "user.unlock", "user", name, None, None)
        return bool(locked)

    def set_password_hash(self, name: str, password_hash: str) -> None:
        """Replace a stored hash with a stronger one of the same password (rehash on sign-in)."""
        with self.write() as conn:
            conn.execute(s.users.update().where(s.users.c.name == name).values(password_hash=password_hash))

    # ----------------------------------------------------------------- sessions
    def start_session(self, token_hash: str, user_name: str, now: datetime, expires_at: datetime) -> None:
        with self.write() as conn:
            conn.execute(
                s.sessions.insert().values(
                    token_hash=token_hash,
                    user_name=user_name,
                    created_at=timestamp(now),
                    expires_at=timestamp(expires_at),
                    last_seen_at=timestamp(now),
                )
            )

    def live_session(self, token_hash: str, now: datetime, *, idle: timedelta, touch_every: timedelta) -> Actor | None:
        """The Actor of a live session: known token, not expired, not idle for longer than
        ``idle``, user neither disabled nor removed.  A dead session is deleted."""
        t = s.sessions
        with self.read() as conn:
            row = conn.execute(
                sa.select(
                    t.c.user_name,
                    t.c.created_at,
                    t.c.expires_at,
                    t.c.last_seen_at,
                    s.users.c.role,
                    s.users.c.disabled_at,
                )
                .join(s.users, s.users.c.name == t.c.user_name)
                .where(t.c.token_hash == token_hash)
            ).first()
        if row is None:
            return None
        last_seen = _parse(row.last_seen_at or row.created_at)
        dead = _parse(row.expires_at) <= now or row.disabled_at is not None or last_seen + idle <= now
        if dead:
            self.drop_session(token_hash)
            return None
        if now - last_seen >= touch_every:
            with self.write() as conn:
                conn.execute(t.update().where(t.c.token_hash == token_hash).values(last_seen_at=timestamp(now)))
        return Actor(row.user_name, row.role)

    def drop_session(self, token_hash: str) -> None:
        with self.write() as conn:
            conn.execute(s.sessions.delete().where(s.sessions.c.token_hash == token_hash))

    def end_user_sessions(self, conn: Any, name: str) -> int:
        """Inside the caller's transaction: end every session of ``name``."""
        return int(conn.execute(s.sessions.delete().where(s.sessions.c.user_name == name)).rowcount or 0)

    def session_count(self, name: str) -> int:
        with self.read() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(s.sessions).where(s.sessions.c.user_name == name)
                ).scalar()
                or 0
            )

    # ----------------------------------------------------------------- disable / remove
    def _existing_user(self, conn: Any, name: str) -> dict[str, Any]:
        row = conn.execute(sa.select(s.users).where(s.users.c.name == name)).mappings().first()
        if row is None:
            known = [r[0] for r in conn.execute(sa.select(s.users.c.name).where(s.users.c.password_hash.isnot(None)))]
            from ..errors import did_you_mean, valid_list

            raise ConfigError(
                f"There is no user '{name}'.",
                hint=(did_you_mean(name, known) or "") + f" Users with a password: {valid_list(known) or 'none'}.",
            )
        return dict(row)

    def disable_user(self, actor: Actor, name: str, *, disabled: bool = True) -> int:
        """Disable (or enable again) a user; a disabled user's sessions end at once.
        Returns the number of sessions ended."""
        self.require(actor, "admin", "disable users")
        if disabled and name == actor.name:
            raise ConfigError(
                f"You cannot disable yourself ('{name}').", hint="Ask another admin, or use the command line."
            )
        with self.write() as conn:
            row = self._existing_user(conn, name)
            conn.execute(
                s.users.update()
                .where(s.users.c.name == name)
                .values(disabled_at=timestamp(datetime.now(UTC)) if disabled else None)
            )
            ended = self.end_user_sessions(conn, name) if disabled else 0
            self._audit(
                conn,
                actor,
                "user.disable" if disabled else "user.enable",
                "user",
                name,
                {"disabled": row["disabled_at"] is not None},
                {"disabled": disabled, "sessions_ended": ended},
            )
        return ended

    def remove_user(self, actor: Actor, name: str) -> str:
        """Remove a user's account: sessions end, the password hash is deleted.  A user with
        codings stays as the name those codings carry (disabled, no password): "kept";
        otherwise the row goes: "deleted"."""
        self.require(actor, "admin", "remove users")
        if name == actor.name:
            raise ConfigError(f"You cannot remove yourself ('{name}').", hint="Ask another admin.")
        with self.write() as conn:
            row = self._existing_user(conn, name)
            ended = self.end_user_sessions(conn, name)
            used = conn.execute(
                sa.select(sa.func.count()).select_from(s.codings).where(s.codings.c.annotator == name)
            ).scalar()
            referenced = (
                used
                or conn.execute(
                    sa.select(sa.func.count())
                    .select_from(s.suggestion_decisions)
                    .where(s.suggestion_decisions.c.annotator == name)
                ).scalar()
            )
            if referenced:
                conn.execute(
                    s.users.update()
                    .where(s.users.c.name == name)
                    .values(password_hash=None, disabled_at=row["disabled_at"] or timestamp(datetime.now(UTC)))
                )
                outcome = "kept"
            else:
                conn.execute(s.users.delete().where(s.users.c.name == name))
                outcome = "deleted"
            self._audit(
                conn,
                actor,
                "user.remove",
                "user",
                name,
                {"name": name, "role": row["role"], "password_set": row["password_hash"] is not None},
                {"outcome": outcome, "sessions_ended": ended},
            )
        return outcome


def _parse(value: str | None) -> datetime:
    if not value:
        return datetime.min.replace(tzinfo=UTC)
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
