"""Whole-database copies for :mod:`qualcode.backup` and :mod:`qualcode.exchange`.

The backup formats (which tables, JSON lines, the manifest) live in :mod:`qualcode.backup`;
the database side of them lives here: a consistent snapshot to read every table from, SQLite's
online backup, and loading every table in one transaction.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema as s
from ..errors import InputFileError, Problem, output_error
from ..model import Participant
from .documents import DocumentsRoom
from .users import UsersRoom

# Project data a REFI-QDA import writes into an empty project (children before parents).
PROJECT_DATA_TABLES = (
    s.framework_summaries,
    s.memos,
    s.suggestion_decisions,
    s.codings,
    s.detached_codings,
    s.segments,
    s.documents,
    s.participants,
    s.imports,
    s.codes,
    s.refi_ids,
)


class Snapshot:
    """Every table as of one moment (a read transaction; REPEATABLE READ on PostgreSQL)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def rows(self, table: sa.Table) -> Iterator[dict[str, Any]]:
        """The table's rows in primary-key order."""
        pk = list(table.primary_key.columns)
        for row in self._conn.execute(sa.select(table).order_by(*pk)).mappings():
            yield dict(row)

    def schema_versions(self) -> list[int]:
        return sorted(s.applied_versions(self._conn))


class DumpRoom(UsersRoom, DocumentsRoom):
    """Copies of the whole database (snapshot, SQLite online backup, load everything) and the
    bulk steps of importing another tool's project into an empty one."""

    @property
    def backend(self) -> str:
        """The database kind: ``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        with self.read() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield Snapshot(conn)

    def copy_sqlite_to(self, path: Path) -> None:
        """SQLite's online backup: a page-by-page copy of a consistent snapshot, even while
        annotators write, into one self-contained file (written beside ``path``, then renamed)."""
        source_file = self.engine.url.database
        if not self.is_sqlite or not source_file:
            raise TypeError("copy_sqlite_to needs a file-based SQLite database")
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            tmp.unlink(missing_ok=True)
            src = sqlite3.connect(source_file, timeout=60)
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)  # page-by-page copy of a consistent snapshot
                dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained single file
            finally:
                dst.close()
                src.close()
            os.replace(tmp, path)
        except (OSError, sqlite3.Error) as exc:  # e.g. a full disk: no half-written file stays behind
            for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
                with contextlib.suppress(OSError):
                    leftover.unlink(missing_ok=True)
            raise output_error(exc, str(path)) from None

    def replace_all(self, tables: Sequence[sa.Table], rows: Mapping[str, list[dict[str, Any]]], *, source: str) -> None:
        """Empty ``tables`` (given parents first) and load ``rows`` (by table name) in ONE transaction.

        Rows that break the schema raise InputFileError naming ``source``; nothing is loaded then.
        """
        try:
            with self.write() as conn:
                for table in reversed(tables):  # the empty project may still hold settings/users/codes
                    conn.execute(table.delete())
                for table in tables:
                    if rows.get(table.name):
                        conn.execute(table.insert(), rows[table.name])
                if self.engine.dialect.name == "postgresql":
                    _reset_sequences(conn, tables)
                s.seed_id_sequences(conn)  # ids the restored audit log names are never handed out again
        except sa.exc.StatementError as exc:
            if isinstance(exc, sa.exc.OperationalError):  # the database itself failed, not the file
                raise
            # Rows that break the schema (missing values, wrong types, dangling references): the
            # transaction was rolled back, so nothing was restored.
            reason = getattr(exc, "orig", None) or exc
            raise InputFileError(
                Problem(
                    f"Damaged backup: its rows do not fit the database schema ({reason}).",
                    path=source,
                    hint="Nothing was restored. Use an undamaged backup.",
                )
            ) from None

    def add_people(self, participants: Sequence[Participant], users: Sequence[str]) -> None:
        """Store participants (cases) and users in one transaction, e.g. those of a REFI-QDA
        project that have no documents or codings."""
        with self.write() as conn:
            for participant in participants:
                self.upsert_participant(conn, participant)
            for user in users:
                self.ensure_user(conn, user)

    def clear_project_data(self) -> None:
        """Remove documents, codings, participants, imports and codes (only ever on an empty project)."""
        with self.write() as conn:
            for table in PROJECT_DATA_TABLES:
                conn.execute(table.delete())


def read_sqlite_file(path: Path, tables: Sequence[sa.Table]) -> dict[str, list[dict[str, Any]]]:
    """Every row of ``tables`` present in the SQLite file ``path`` (a ``.db`` backup), by table name."""
    engine = sa.create_engine(f"sqlite:///{path.resolve()}")
    out: dict[str, list[dict[str, Any]]] = {}
    try:
        with engine.connect() as conn:
            present = set(sa.inspect(conn).get_table_names())
            for table in tables:
                if table.name in present:
                    out[table.name] = [dict(r) for r in conn.execute(sa.select(table)).mappings()]
    except sa.exc.DatabaseError as exc:
        raise InputFileError(Problem(f"Not a readable qualcode SQLite backup ({exc.orig}).", path=str(path))) from None
    finally:
        engine.dispose()
    return out


def _reset_sequences(conn: Connection, tables: Sequence[sa.Table]) -> None:
    """After inserting explicit ids, move PostgreSQL's sequences past them."""
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, sa.Integer) and pk[0].autoincrement is True:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"
            )
