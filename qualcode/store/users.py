"""Project settings, blind mode and users."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from .. import schema as s
from ..errors import CodingError, ConfigError, PermissionDenied, did_you_mean, valid_list
from ..vocabulary import ROLES, SETTINGS
from .core import Actor, StoreCore


class UsersRoom(StoreCore):
    """Settings (with blind mode), who may see whose codings, and the users table."""

    # ----------------------------------------------------------------- settings
    def get_setting(self, key: str, default: str | None = None) -> str | None:
        with self.read() as conn:
            value = conn.execute(sa.select(s.settings.c.value).where(s.settings.c.key == key)).scalar()
        return default if value is None else value

    def set_setting(self, actor: Actor, key: str, value: str) -> None:
        self.require(actor, "admin", f"change the project setting '{key}'")
        allowed = SETTINGS.get(key)
        if allowed is None:
            raise ConfigError(
                f"Unknown project setting '{key}'.",
                hint=(did_you_mean(key, SETTINGS) or "") + f" Settings: {valid_list(SETTINGS)}.",
            )
        if value not in allowed:
            raise ConfigError(
                f"'{value}' is not a valid value for the setting '{key}'.", hint=f"Use one of {valid_list(allowed)}."
            )
        with self.write() as conn:
            before = conn.execute(sa.select(s.settings.c.value).where(s.settings.c.key == key)).scalar()
            if before is None:
                conn.execute(s.settings.insert().values(key=key, value=value))
            else:
                conn.execute(s.settings.update().where(s.settings.c.key == key).values(value=value))
            self._audit(conn, actor, "setting.set", "setting", key, before, value)

    def blind_mode(self) -> bool:
        return self.get_setting("blind_mode", "false") == "true"

    def revealed(self) -> bool:
        return self.get_setting("blind_revealed", "false") == "true"

    # ----------------------------------------------------------------- roles
    def visible_annotators(self, actor: Actor, requested: Sequence[str] | None = None) -> list[str] | None:
        """Annotators whose codings ``actor`` may see (None = all).  Blind mode limits annotators."""
        if actor.at_least("supervisor") or not self.blind_mode() or self.revealed():
            return None if requested is None else list(requested)
        if requested is not None and any(a != actor.name for a in requested):
            others = sorted(set(requested) - {actor.name})
            raise PermissionDenied(
                f"Blind coding is on: '{actor.name}' may not see codings of {others}.",
                hint="A supervisor can reveal codings once everyone has finished.",
            )
        return [actor.name]

    # ----------------------------------------------------------------- users
    def ensure_user(self, conn: Connection, name: str, role: str = "annotator") -> None:
        if not name or not name.strip():
            raise CodingError("Annotator name is empty.", hint="Give a name such as 'alice'.")
        exists = conn.execute(sa.select(s.users.c.name).where(s.users.c.name == name)).scalar()
        if exists is None:
            # Concurrent first writes of one new annotator must not fail: insert-if-absent.
            values = dict(name=name, role=role, created_at=s.now())
            stmt: sa.Insert
            if self.is_sqlite:
                stmt = sqlite_insert(s.users).values(**values).on_conflict_do_nothing(index_elements=["name"])
            else:
                stmt = postgresql_insert(s.users).values(**values).on_conflict_do_nothing(index_elements=["name"])
            conn.execute(stmt)

    def add_user(self, actor: Actor, name: str, role: str = "annotator", password_hash: str | None = None) -> None:
        self.require(actor, "admin", "add users")
        if role not in ROLES:
            raise ConfigError(f"Unknown role '{role}'. Valid roles: {valid_list(ROLES)}.")
        with self.write() as conn:
            row = conn.execute(sa.select(s.users).where(s.users.c.name == name)).mappings().first()
            if row is None:
                conn.execute(
                    s.users.insert().values(name=name, role=role, password_hash=password_hash, created_at=s.now())
                )
            else:
                values: dict[str, Any] = {"role": role}
                if password_hash is not None:
                    values["password_hash"] = password_hash
                conn.execute(s.users.update().where(s.users.c.name == name).values(**values))
                if password_hash is not None or role != row["role"]:
                    # A new password or role ends every session of that user (sign in again).
                    conn.execute(s.sessions.delete().where(s.sessions.c.user_name == name))
            self._audit(
                conn,
                actor,
                "user.set",
                "user",
                name,
                s.scrub_user_audit(dict(row)) if row else None,  # never the password hash
                {"name": name, "role": role, "password_changed": password_hash is not None},
            )

    def get_user(self, name: str) -> dict[str, Any] | None:
        with self.read() as conn:
            row = conn.execute(sa.select(s.users).where(s.users.c.name == name)).mappings().first()
        return dict(row) if row else None

    def users_frame(self) -> pd.DataFrame:
        with self.read() as conn:
            rows = (
                conn.execute(
                    sa.select(
                        s.users.c.name,
                        s.users.c.role,
                        s.users.c.created_at,
                        (s.users.c.password_hash.isnot(None)).label("has_password"),
                        (s.users.c.disabled_at.isnot(None)).label("disabled"),
                    ).order_by(s.users.c.name)
                )
                .mappings()
                .all()
            )
        return pd.DataFrame(rows, columns=["name", "role", "created_at", "has_password", "disabled"])
