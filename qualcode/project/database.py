"""The database as a whole: its URL, counts, statistics, backup and restore, the status summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from ..model import Participant
from ..store import Snapshot
from .folder import FolderMixin


class DatabaseMixin(FolderMixin):
    @property
    def database_url(self) -> str:
        """The database URL (with its password: for cache keys, never for display)."""
        return self.store.url

    @property
    def database_backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.store.backend

    def data_version(self) -> int:
        """Changes on every write (the newest audit-log id): a cache key for reads."""
        return self.store.data_version()

    def counts(self) -> dict[str, Any]:
        return self.store.counts()

    def analyze(self) -> None:
        """Refresh the database's planner statistics (SQLite; after bulk changes)."""
        self.store.analyze()

    def copy_sqlite_database(self, path: Path) -> None:
        """SQLite's online backup of the whole database into ``path`` (admins)."""
        self.require("admin", "back up the whole project")
        self.store.copy_sqlite_to(path)

    def database_snapshot(self) -> AbstractContextManager[Snapshot]:
        """Every table as of one moment, for a portable backup (admins)."""
        self.require("admin", "back up the whole project")
        return self.store.snapshot()

    def replace_database(self, tables: Sequence[Any], rows: dict[str, list[dict[str, Any]]], *, source: str) -> None:
        """Empty ``tables`` and load ``rows`` in one transaction (admins; restoring a backup)."""
        self.require("admin", "restore a backup")
        self.store.replace_all(tables, rows, source=source)

    def clear_project_data(self) -> None:
        """Remove every document, coding, participant, import, code and REFI-QDA id (supervisors;
        undoes an import into an empty project)."""
        self.require("supervisor", "clear the project's data")
        self.store.clear_project_data()

    def add_people(self, participants: Sequence[Participant], users: Sequence[str]) -> None:
        """Store participants and users that come without documents or codings (supervisors)."""
        self.require("supervisor", "add participants and users")
        self.store.add_people(participants, users)

    def remember_refi_ids(self, ids: Mapping[tuple[str, str], str]) -> None:
        """Keep what an imported REFI-QDA file called its items (written back on export)."""
        self.store.remember_refi_ids(self.actor, ids)

    def status(self) -> dict[str, Any]:
        counts = self.store.counts()
        counts["orphan_codes"] = self.store.orphan_codes()
        counts["database"] = self.store._safe_url()
        counts["schema_versions"] = self.store.schema_versions()
        counts["missing_transcripts"] = [
            {"document": name, "file": source, "codings": codings}
            for name, source, codings in self.missing_transcripts()
        ]
        counts["missing_files"] = self.missing_files()
        return counts
