"""The store's core: engine, transactions, the audit log and role checks.

Every room of the store (users, codebook mirror, documents, codings, suggestions, frames)
builds on :class:`StoreCore`; :class:`qualcode.store.Store` composes them.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .. import schema as s
from ..errors import ConfigError, DatabaseError, PermissionDenied, from_database
from ..vocabulary import LOCAL_USER, ROLE_RANK

_ROLE_RANK = ROLE_RANK


@dataclass(frozen=True)
class Actor:
    """Who is acting.  ``local`` marks single-machine mode (the person owns the database file)."""

    name: str
    role: str = "annotator"
    local: bool = False

    def at_least(self, role: str) -> bool:
        return _ROLE_RANK[self.role] >= _ROLE_RANK[role]


LOCAL_ADMIN = Actor(LOCAL_USER, "admin", local=True)


def sqlite_url(path: Path | str) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def make_engine(url: str) -> Engine:
    """Create an engine with the pragmas and transaction behaviour qualcode relies on."""
    try:
        sa_url = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(
            f"Database URL '{url}' is not valid ({exc}).",
            hint="Use sqlite:///path/to/file.db or postgresql+psycopg://user@host/db.",
        ) from None
    if sa_url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": 60, "isolation_level": None})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # Writers take the lock up front: no deadlock-prone read→write upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("qualcode_write") else "BEGIN")

        return engine
    if sa_url.get_backend_name() == "postgresql":
        return sa.create_engine(url, pool_pre_ping=True)
    raise ConfigError(
        f"Unsupported database '{sa_url.get_backend_name()}' in URL '{url}'.",
        hint="qualcode supports sqlite and postgresql (postgresql+psycopg://…).",
    )


def new_step() -> str:
    """A fresh undo-step id (see ``audit_log.step``)."""
    return uuid.uuid4().hex


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def inserted_id(result: sa.CursorResult[Any]) -> int:
    """The primary key of the row a single-row INSERT just stored."""
    key = result.inserted_primary_key
    if key is None:  # only for an INSERT of many rows, which callers never pass here
        raise TypeError("not a single-row INSERT")
    return int(key[0])


class StoreCore:
    """Engine, transactions, audit log and role checks: what every room of the store needs."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        if create:
            try:
                self._migrate()
            except DatabaseError as exc:
                reason = getattr(exc.__context__, "orig", None) or exc.problems[0].message
                raise ConfigError(
                    f"Cannot open the database at {self._safe_url()}: {reason}",
                    hint="Check that the server runs and the URL is right.",
                ) from None

    def _migrate(self) -> None:
        """Apply the pending migrations in one write transaction.  On SQLite with foreign keys
        off (``PRAGMA foreign_keys`` only changes outside a transaction): rebuilding a table
        others refer to (migration 10) must not cascade; every reference is checked before the
        commit, and the connection gets its foreign keys back either way."""
        if not self.is_sqlite:
            with self.write() as conn:
                s.migrate(conn)
            return
        with self.read() as conn:
            if s.applied_versions(conn) >= {v for v, _, _ in s.MIGRATIONS}:
                return
        try:
            with self.engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                assert raw is not None
                raw.execute("PRAGMA foreign_keys=OFF")
                try:
                    conn.info["qualcode_write"] = True
                    with conn.begin():
                        s.migrate(conn)
                        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise RuntimeError(f"a migration broke {len(broken)} reference(s): {broken[:5]}")
                finally:
                    conn.info.pop("qualcode_write", None)
                    raw.execute("PRAGMA foreign_keys=ON")
        except sa.exc.OperationalError as exc:
            raise from_database(exc) from None

    def _safe_url(self) -> str:
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()

    # ----------------------------------------------------------------- transactions
    @contextmanager
    def write(self, *, step: str | None = None) -> Iterator[Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite).  Every audit entry it writes
        belongs to one undo step: ``step`` (to continue a step begun in an earlier transaction,
        e.g. the spreadsheets of one import), else a new one."""
        try:
            with self.engine.connect() as conn:
                conn.info["qualcode_write"] = True
                conn.info["qualcode_step"] = step or new_step()
                try:
                    with conn.begin():
                        yield conn
                finally:
                    conn.info.pop("qualcode_write", None)
                    conn.info.pop("qualcode_step", None)
        except sa.exc.OperationalError as exc:  # disk full, connection lost, failed COMMIT: no raw error
            raise from_database(exc) from None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                with conn.begin():
                    yield conn
        except sa.exc.OperationalError as exc:
            raise from_database(exc) from None

    def analyze(self) -> None:
        """Refresh SQLite's planner statistics (after big imports).  Without them SQLite picks the
        annotator index for one document's codings: about 10x slower at 300,000 codings.
        PostgreSQL's autovacuum keeps its own statistics."""
        if self.is_sqlite:
            with self.write() as conn:
                conn.exec_driver_sql("ANALYZE")

    def data_version(self) -> int:
        """The newest audit-log id: it changes on every write (codings, codebook, settings, imports)."""
        with self.read() as conn:
            return int(conn.execute(sa.select(sa.func.max(s.audit_log.c.id))).scalar() or 0)

    def schema_versions(self) -> list[int]:
        with self.read() as conn:
            return sorted(s.applied_versions(conn))

    # ----------------------------------------------------------------- audit
    def _audit(
        self,
        conn: Connection,
        actor: Actor,
        action: str,
        entity: str,
        entity_id: Any,
        before: Any = None,
        after: Any = None,
    ) -> int:
        res = conn.execute(
            s.audit_log.insert().values(
                at=s.now(),
                actor=actor.name,
                action=action,
                entity=entity,
                entity_id=None if entity_id is None else str(entity_id),
                before=before,
                after=after,
                step=conn.info.get("qualcode_step"),
            )
        )
        return inserted_id(res)

    def audit_frame(self, actor: Actor | None = None) -> pd.DataFrame:
        query = sa.select(s.audit_log).order_by(s.audit_log.c.id)
        if actor is not None and not actor.at_least("supervisor"):
            query = query.where(s.audit_log.c.actor == actor.name)
        with self.read() as conn:
            return pd.DataFrame(conn.execute(query).mappings().all(), columns=[c.name for c in s.audit_log.columns])

    # ----------------------------------------------------------------- detached codings
    def _insert_detached(
        self, conn: Connection, row: Mapping[Any, Any], document_name: str, status: str, reason: str
    ) -> None:
        """Keep a coding (its ``codings`` row) in ``detached_codings``: status "detached" (its text
        changed and it could not be re-anchored) or "archived" (its code or its interview went)."""
        conn.execute(
            s.detached_codings.insert().values(
                id=row["id"],
                document_name=document_name,
                start_pos=row["start_pos"],
                end_pos=row["end_pos"],
                code_id=row["code_id"],
                annotator=row["annotator"],
                memo=row["memo"],
                origin=row["origin"],
                quote=row["quote"],
                created_at=row["created_at"],
                status=status,
                reason=reason,
                detached_at=s.now(),
            )
        )

    def _move_to_detached(
        self, conn: Connection, row: Mapping[Any, Any], document_name: str, status: str, reason: str
    ) -> None:
        """:meth:`_insert_detached`, then the coding leaves ``codings``."""
        self._insert_detached(conn, row, document_name, status, reason)
        conn.execute(s.codings.delete().where(s.codings.c.id == row["id"]))

    # ----------------------------------------------------------------- roles
    @staticmethod
    def require(actor: Actor, role: str, what: str) -> None:
        if not actor.at_least(role):
            raise PermissionDenied(
                f"User '{actor.name}' (role {actor.role}) may not {what}; this needs the role {role} or higher.",
                hint="Ask an admin to change your role (qualcode user role NAME ROLE).",
            )
