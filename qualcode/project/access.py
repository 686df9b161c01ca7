"""Roles, settings, users and sign-in (team mode) of a project."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..store import Actor
from .core import ProjectCore


class AccessMixin(ProjectCore):
    def setting(self, key: str, default: str | None = None) -> str | None:
        return self.store.get_setting(key, default)

    def set_setting(self, key: str, value: str) -> None:
        """Change a project setting (admins; checked against ``store.SETTINGS``)."""
        self.store.set_setting(self.actor, key, value)

    def blind_mode(self) -> bool:
        return self.store.blind_mode()

    def revealed(self) -> bool:
        return self.store.revealed()

    def team_mode(self) -> bool:
        from ..auth import team_mode

        return team_mode(self.store)

    def visible_annotators(self, requested: Sequence[str] | None = None) -> list[str] | None:
        """Annotators whose codings the acting user may see (None = all)."""
        return self.store.visible_annotators(self.actor, requested)

    def add_user(self, name: str, role: str = "annotator", password_hash: str | None = None) -> None:
        """Add or update a user (admins)."""
        self.store.add_user(self.actor, name, role, password_hash)

    def disable_user(self, name: str, *, disabled: bool = True) -> int:
        """Refuse (or allow again) a user's sign-in; their open sessions end (admins).  Returns how many."""
        return self.store.disable_user(self.actor, name, disabled=disabled)

    def remove_user(self, name: str) -> str:
        """Remove a user's account (a name with codings stays, disabled); admins."""
        return self.store.remove_user(self.actor, name)

    def unlock_user(self, name: str) -> bool:
        """End a sign-in pause after failed attempts (admins); True when there was one."""
        return self.store.unlock_user(self.actor, name)

    def user(self, name: str) -> dict[str, Any] | None:
        return self.store.get_user(name)

    def users_frame(self) -> pd.DataFrame:
        return self.store.users_frame()

    def audit_frame(self) -> pd.DataFrame:
        """The audit log as the acting user may see it (annotators: their own entries)."""
        return self.store.audit_frame(self.actor)

    def sign_in(self, name: str, password: str, *, client: str | None = None) -> Actor:
        """Check a password (team mode); ``client``: the browser's address for the per-client limit."""
        from ..auth import sign_in

        return sign_in(self.store, name, password, client=client)

    def create_session(self, actor: Actor) -> str:
        from ..auth import create_session

        return create_session(self.store, actor)

    def resume_session(self, token: str) -> Actor | None:
        from ..auth import resume_session

        return resume_session(self.store, token)

    def end_session(self, token: str) -> None:
        from ..auth import end_session

        end_session(self.store, token)
