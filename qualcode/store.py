"""All database access goes through :class:`Store` (SQLite by default, PostgreSQL by URL).

Writes never get lost between concurrent annotators:

* SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
  ``BEGIN IMMEDIATE`` so two writers queue up instead of failing half-way;
* PostgreSQL uses ordinary transactions; conflicting inserts are caught by the schema's
  unique constraint, and edits use optimistic versioning (``codings.version``).

Roles and blind mode are enforced here, in the data-access functions, so every caller
(CLI, app, notebooks) gets the same rules.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult, Engine, RowMapping

from . import schema as s
from .errors import CodingError, ConfigError, ConflictError, PermissionDenied, Problem, did_you_mean, valid_list
from .frames import CODING_COLUMNS, DOCUMENT_COLUMNS, PARTICIPANT_COLUMNS, SEGMENT_COLUMNS, AnalysisData
from .model import ORIGINS, ROLES, Codebook, Coding, ParsedDocument, Participant

CONSENSUS = "consensus"  # the annotator name adjudicated codings are stored under
_ROLE_RANK = {"annotator": 0, "supervisor": 1, "admin": 2}


@dataclass(frozen=True)
class Actor:
    """Who is acting.  ``local`` marks single-machine mode (the person owns the database file)."""

    name: str
    role: str = "annotator"
    local: bool = False

    def at_least(self, role: str) -> bool:
        return _ROLE_RANK[self.role] >= _ROLE_RANK[role]


LOCAL_ADMIN = Actor("local", "admin", local=True)

# Project settings and their allowed values (stored as text).
SETTINGS: dict[str, tuple[str, ...]] = {
    "team_mode": ("true", "false"),
    "blind_mode": ("true", "false"),
    "blind_revealed": ("true", "false"),
    "agreement_unit": ("sentence", "paragraph", "turn", "character", "match"),
}


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


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Store:
    """The one gateway to the database."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        if create:
            try:
                with self.write() as conn:
                    s.migrate(conn)
            except sa.exc.OperationalError as exc:
                raise ConfigError(
                    f"Cannot open the database at {self._safe_url()}: {exc.orig}",
                    hint="Check that the server runs and the URL is right.",
                ) from None

    def _safe_url(self) -> str:
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()

    # ----------------------------------------------------------------- transactions
    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite)."""
        with self.engine.connect() as conn:
            conn.info["qualcode_write"] = True
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.info.pop("qualcode_write", None)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    def analyze(self) -> None:
        """Refresh SQLite's planner statistics (after big imports).  Without them SQLite picks the
        annotator index for one document's codings: about 10x slower at 300,000 codings.
        PostgreSQL's autovacuum keeps its own statistics."""
        if self.is_sqlite:
            with self.write() as conn:
                conn.exec_driver_sql("ANALYZE")

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
            )
        )
        return _inserted_id(res)

    def audit_frame(self, actor: Actor | None = None) -> pd.DataFrame:
        query = sa.select(s.audit_log).order_by(s.audit_log.c.id)
        if actor is not None and not actor.at_least("supervisor"):
            query = query.where(s.audit_log.c.actor == actor.name)
        with self.read() as conn:
            return pd.DataFrame(conn.execute(query).mappings().all(), columns=[c.name for c in s.audit_log.columns])

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
    @staticmethod
    def require(actor: Actor, role: str, what: str) -> None:
        if not actor.at_least(role):
            raise PermissionDenied(
                f"User '{actor.name}' (role {actor.role}) may not {what}; this needs the role {role} or higher.",
                hint="Ask an admin to change your role (qualcode user role NAME ROLE).",
            )

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
            user = dict(name=name, role=role, created_at=s.now())
            if self.is_sqlite:
                from sqlalchemy.dialects import sqlite

                conn.execute(sqlite.insert(s.users).values(**user).on_conflict_do_nothing(index_elements=["name"]))
            else:
                from sqlalchemy.dialects import postgresql

                conn.execute(postgresql.insert(s.users).values(**user).on_conflict_do_nothing(index_elements=["name"]))

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
            self._audit(
                conn,
                actor,
                "user.set",
                "user",
                name,
                dict(row) if row else None,
                {"name": name, "role": role, "password_changed": password_hash is not None},
            )

    def get_user(self, name: str) -> dict[str, Any] | None:
        with self.read() as conn:
            row = conn.execute(sa.select(s.users).where(s.users.c.name == name)).mappings().first()
        return dict(row) if row else None

    def update_user_login_state(self, name: str, failed_logins: int, locked_until: str | None) -> None:
        with self.write() as conn:
            conn.execute(
                s.users.update()
                .where(s.users.c.name == name)
                .values(failed_logins=failed_logins, locked_until=locked_until)
            )

    def users_frame(self) -> pd.DataFrame:
        with self.read() as conn:
            rows = (
                conn.execute(
                    sa.select(
                        s.users.c.name,
                        s.users.c.role,
                        s.users.c.created_at,
                        (s.users.c.password_hash.isnot(None)).label("has_password"),
                    ).order_by(s.users.c.name)
                )
                .mappings()
                .all()
            )
        return pd.DataFrame(rows, columns=["name", "role", "created_at", "has_password"])

    # ----------------------------------------------------------------- codebook mirror
    def sync_codebook(self, codebook: Codebook) -> dict[str, int]:
        """Mirror the codebook into ``codes``.  Codes gone from the file but still used by codings
        are kept (flagged ``in_codebook = false``) so no coding is ever orphaned."""
        rows: list[dict[str, Any]] = []
        pos = 0
        for theme in codebook.themes.values():
            pos += 1
            rows.append(
                {
                    "id": theme.id,
                    "kind": "theme",
                    "label": theme.label,
                    "parent_id": theme.parent,
                    "position": pos,
                    "in_codebook": True,
                    "data": {"description": theme.description, "color": theme.color, "aliases": list(theme.aliases)},
                }
            )
        for code in codebook.codes.values():
            pos += 1
            rows.append(
                {
                    "id": code.id,
                    "kind": "code",
                    "label": code.label,
                    "parent_id": code.theme,
                    "position": pos,
                    "in_codebook": True,
                    "data": {
                        "description": code.description,
                        "include": code.include,
                        "exclude": code.exclude,
                        "examples": list(code.examples),
                        "aliases": list(code.aliases),
                        "patterns": list(code.patterns),
                    },
                }
            )
        for cc in codebook.cross_cutting.values():
            pos += 1
            rows.append(
                {
                    "id": cc.id,
                    "kind": "cross_cutting",
                    "label": cc.label,
                    "parent_id": None,
                    "position": pos,
                    "in_codebook": True,
                    "data": {"description": cc.description, "codes": list(cc.codes)},
                }
            )
        with self.write() as conn:
            existing = {r.id: r for r in conn.execute(sa.select(s.codes))}
            wanted = {r["id"] for r in rows}
            for r in rows:
                if r["id"] in existing:
                    conn.execute(s.codes.update().where(s.codes.c.id == r["id"]).values(**r))
                else:
                    conn.execute(s.codes.insert().values(**r))
            used = {r[0] for r in conn.execute(sa.select(s.codings.c.code_id).distinct())}
            gone = set(existing) - wanted
            removed = 0
            for code_id in gone:
                if code_id in used:
                    conn.execute(s.codes.update().where(s.codes.c.id == code_id).values(in_codebook=False))
                else:
                    conn.execute(s.codes.delete().where(s.codes.c.id == code_id))
                    removed += 1
        return {"codes": len(rows), "removed": removed, "orphaned": len(gone & used)}

    def orphan_codes(self) -> list[str]:
        with self.read() as conn:
            return [
                r[0]
                for r in conn.execute(
                    sa.select(s.codes.c.id).where(s.codes.c.in_codebook == sa.false()).order_by(s.codes.c.id)
                )
            ]

    def code_usage(self, code_id: str) -> int:
        with self.read() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(s.codings).where(s.codings.c.code_id == code_id)
                ).scalar()
                or 0
            )

    def reassign_code(self, conn: Connection, actor: Actor, source: str, target: str) -> int:
        """Move every coding of ``source`` to ``target`` (merge); duplicates collapse into one."""
        rows = conn.execute(sa.select(s.codings).where(s.codings.c.code_id == source)).mappings().all()
        moved = 0
        for row in rows:
            dup = conn.execute(
                sa.select(s.codings.c.id).where(
                    s.codings.c.document_id == row["document_id"],
                    s.codings.c.start_pos == row["start_pos"],
                    s.codings.c.end_pos == row["end_pos"],
                    s.codings.c.code_id == target,
                    s.codings.c.annotator == row["annotator"],
                )
            ).scalar()
            if dup is not None:
                # Same span already has the target code: keep one coding, keep the memo text.
                if row["memo"]:
                    conn.execute(
                        s.codings.update()
                        .where(s.codings.c.id == dup)
                        .values(memo=sa.func.trim(s.codings.c.memo + "\n" + row["memo"]))
                    )
                conn.execute(s.codings.delete().where(s.codings.c.id == row["id"]))
            else:
                conn.execute(
                    s.codings.update()
                    .where(s.codings.c.id == row["id"])
                    .values(code_id=target, updated_at=s.now(), version=s.codings.c.version + 1)
                )
            moved += 1
        self._audit(conn, actor, "codebook.merge", "code", source, {"code": source, "codings": moved}, {"code": target})
        return moved

    def archive_codings_of(self, conn: Connection, actor: Actor, code_id: str, reason: str) -> int:
        rows = (
            conn.execute(
                sa.select(s.codings, s.documents.c.name.label("document_name"))
                .join(s.documents, s.documents.c.id == s.codings.c.document_id)
                .where(s.codings.c.code_id == code_id)
            )
            .mappings()
            .all()
        )
        for row in rows:
            self._move_to_detached(conn, row, row["document_name"], "archived", reason)
        self._audit(conn, actor, "codebook.delete", "code", code_id, {"codings_archived": len(rows)}, None)
        return len(rows)

    def _move_to_detached(
        self, conn: Connection, row: RowMapping, document_name: str, status: str, reason: str
    ) -> None:
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
        conn.execute(s.codings.delete().where(s.codings.c.id == row["id"]))

    # ----------------------------------------------------------------- documents
    def document_names(self) -> list[str]:
        with self.read() as conn:
            return [r[0] for r in conn.execute(sa.select(s.documents.c.name).order_by(s.documents.c.name))]

    def document_text(self, name: str) -> str | None:
        with self.read() as conn:
            return conn.execute(sa.select(s.documents.c.text).where(s.documents.c.name == name)).scalar()

    def document_row(self, name: str) -> dict[str, Any] | None:
        with self.read() as conn:
            row = conn.execute(sa.select(s.documents).where(s.documents.c.name == name)).mappings().first()
        return dict(row) if row else None

    def import_source_sha(self, source: str) -> str | None:
        with self.read() as conn:
            return conn.execute(sa.select(s.imports.c.sha256).where(s.imports.c.source == source)).scalar()

    def _record_import(self, conn: Connection, source: str | None, kind: str, sha256: str | None) -> None:
        if not source or not sha256:
            return
        conn.execute(s.imports.delete().where(s.imports.c.source == source))
        conn.execute(s.imports.insert().values(source=source, kind=kind, sha256=sha256, imported_at=s.now()))

    def upsert_participant(self, conn: Connection, participant: Participant) -> None:
        attrs = json.loads(json.dumps(participant.attributes, default=str))
        row = conn.execute(sa.select(s.participants).where(s.participants.c.id == participant.id)).first()
        if row is None:
            conn.execute(s.participants.insert().values(id=participant.id, label=participant.label, attributes=attrs))
        else:
            conn.execute(
                s.participants.update()
                .where(s.participants.c.id == participant.id)
                .values(label=participant.label, attributes=attrs)
            )

    def upsert_document(
        self, actor: Actor, doc: ParsedDocument, *, source: str | None = None, source_sha256: str | None = None
    ) -> dict[str, Any]:
        """Insert or replace a document, its segments and its participant, in one transaction.

        When the text changed, existing codings are re-anchored by their quoted text; those that
        cannot be re-anchored move to ``detached_codings`` (never deleted).
        """
        from .anchor import reanchor  # imported lazily: the anchoring module is optional for reads

        text = doc.text
        sha = _sha256(text)
        result = {"document": doc.name, "status": "unchanged", "reanchored": 0, "detached": 0}
        with self.write() as conn:
            if doc.participant is not None:
                self.upsert_participant(conn, doc.participant)
            row = conn.execute(sa.select(s.documents).where(s.documents.c.name == doc.name)).mappings().first()
            meta = json.loads(json.dumps(doc.metadata, default=str))
            values = dict(
                participant_id=doc.participant.id if doc.participant else None,
                text=text,
                length=len(text),
                sha256=sha,
                language=doc.language,
                metadata=meta,
                source_path=doc.source_path,
                imported_at=s.now(),
            )
            if row is None:
                doc_id = _inserted_id(conn.execute(s.documents.insert().values(name=doc.name, **values)))
                result["status"] = "added"
                self._audit(
                    conn, actor, "document.add", "document", doc.name, None, {"sha256": sha, "length": len(text)}
                )
            else:
                doc_id = int(row["id"])
                old_codings = (
                    conn.execute(sa.select(s.codings).where(s.codings.c.document_id == doc_id)).mappings().all()
                )
                if row["sha256"] == sha:
                    conn.execute(
                        s.documents.update()
                        .where(s.documents.c.id == doc_id)
                        .values(
                            participant_id=values["participant_id"],
                            language=doc.language,
                            metadata=meta,
                            source_path=doc.source_path,
                        )
                    )
                    result["status"] = "metadata"
                else:
                    result["status"] = "changed"
                    # Detach every coding first (the span constraint ties them to the old length),
                    # then put back each one that re-anchors, under its old id.
                    conn.execute(s.codings.delete().where(s.codings.c.document_id == doc_id))
                    conn.execute(s.segments.delete().where(s.segments.c.document_id == doc_id))
                    conn.execute(s.documents.update().where(s.documents.c.id == doc_id).values(**values))
                    as_codings = [
                        Coding(
                            doc.name,
                            r["start_pos"],
                            r["end_pos"],
                            r["code_id"],
                            r["annotator"],
                            r["memo"],
                            r["origin"],
                            r["quote"],
                            r["created_at"],
                        )
                        for r in old_codings
                    ]
                    anchored, detached = reanchor(row["text"], text, as_codings)
                    for r, new in pair_reanchored(old_codings, as_codings, anchored, detached):
                        if new is None:
                            conn.execute(
                                s.detached_codings.insert().values(
                                    id=r["id"],
                                    document_name=doc.name,
                                    start_pos=r["start_pos"],
                                    end_pos=r["end_pos"],
                                    code_id=r["code_id"],
                                    annotator=r["annotator"],
                                    memo=r["memo"],
                                    origin=r["origin"],
                                    quote=r["quote"],
                                    created_at=r["created_at"],
                                    status="detached",
                                    reason="the quoted text is no longer in the re-imported transcript",
                                    detached_at=s.now(),
                                )
                            )
                            continue
                        conn.execute(
                            s.codings.insert().values(
                                id=r["id"],
                                document_id=doc_id,
                                doc_length=len(text),
                                start_pos=new.start,
                                end_pos=new.end,
                                code_id=r["code_id"],
                                annotator=r["annotator"],
                                memo=r["memo"],
                                origin=r["origin"],
                                quote=text[new.start : new.end],
                                version=r["version"] + 1,
                                created_at=r["created_at"],
                                updated_at=s.now(),
                            )
                        )
                    result["reanchored"] = len(anchored)
                    result["detached"] = len(detached)
                    self._audit(
                        conn,
                        actor,
                        "document.reimport",
                        "document",
                        doc.name,
                        {"sha256": row["sha256"], "length": row["length"]},
                        {"sha256": sha, "length": len(text), "reanchored": len(anchored), "detached": len(detached)},
                    )
            if result["status"] in ("added", "changed"):
                if doc.segments:
                    conn.execute(
                        s.segments.insert(),
                        [
                            {
                                "document_id": doc_id,
                                "doc_length": len(text),
                                "kind": seg.kind,
                                "start_pos": seg.start,
                                "end_pos": seg.end,
                                "speaker": seg.speaker,
                            }
                            for seg in doc.segments
                        ],
                    )
            self._record_import(conn, source, "transcript", source_sha256)
        return result

    # ----------------------------------------------------------------- codings
    def _document_ids(self, conn: Connection) -> dict[str, tuple[int, int, str]]:
        return {
            r.name: (r.id, r.length, r.participant_id)
            for r in conn.execute(
                sa.select(s.documents.c.name, s.documents.c.id, s.documents.c.length, s.documents.c.participant_id)
            )
        }

    def _check_codings(
        self,
        conn: Connection,
        actor: Actor,
        items: Sequence[Coding],
        rows: Sequence[int | None] | None = None,
        source: str | None = None,
    ) -> list[dict]:
        docs = self._document_ids(conn)
        codes = {r[0] for r in conn.execute(sa.select(s.codes.c.id).where(s.codes.c.kind == "code"))}
        problems: list[Problem] = []
        values: list[dict[str, Any]] = []
        for i, c in enumerate(items):
            row_no = rows[i] if rows else None
            if c.annotator != actor.name and not actor.at_least("supervisor") and not actor.local:
                raise PermissionDenied(f"'{actor.name}' may not write codings as '{c.annotator}'.")
            if c.document not in docs:
                problems.append(
                    Problem(
                        f"Unknown document '{c.document}'.",
                        field="document",
                        hint=(did_you_mean(c.document, docs) or "") + f" Known documents: {valid_list(docs)}.",
                        path=source,
                        row=row_no,
                    )
                )
                continue
            if c.code not in codes:
                problems.append(
                    Problem(
                        f"Unknown code '{c.code}'.",
                        field="code",
                        hint=did_you_mean(c.code, codes) or "Add it to codebook.yaml first, or pick an existing code.",
                        path=source,
                        row=row_no,
                    )
                )
                continue
            doc_id, length, _ = docs[c.document]
            if not (0 <= c.start < c.end <= length):
                problems.append(
                    Problem(
                        f"Span {c.start}–{c.end} is outside document '{c.document}' (length {length}) or empty.",
                        field="start/end",
                        hint="Offsets are code points, start < end ≤ length.",
                        path=source,
                        row=row_no,
                    )
                )
                continue
            if c.origin not in ORIGINS:
                problems.append(
                    Problem(
                        f"Unknown origin '{c.origin}'.",
                        field="origin",
                        hint=f"Valid: {valid_list(ORIGINS)}.",
                        path=source,
                        row=row_no,
                    )
                )
                continue
            stamp = c.created_at or s.now()
            values.append(
                {
                    "document_id": doc_id,
                    "doc_length": length,
                    "start_pos": c.start,
                    "end_pos": c.end,
                    "code_id": c.code,
                    "annotator": c.annotator,
                    "memo": c.memo or "",
                    "origin": c.origin,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
        if problems:
            raise CodingError(problems)
        return values

    def add_codings(
        self,
        actor: Actor,
        items: Sequence[Coding],
        *,
        rows: Sequence[int | None] | None = None,
        source: str | None = None,
        source_sha256: str | None = None,
        skip_existing: bool = True,
    ) -> list[int]:
        """Add codings in ONE transaction (all or nothing).  Returns the new ids (existing
        identical codings are skipped when ``skip_existing``)."""
        with self.write() as conn:
            ids = self._insert_codings(conn, actor, list(items), rows=rows, source=source, skip_existing=skip_existing)
            self._record_import(conn, source, "codings", source_sha256)
        return ids

    def _insert_codings(
        self,
        conn: Connection,
        actor: Actor,
        items: list[Coding],
        *,
        rows: Sequence[int | None] | None = None,
        source: str | None = None,
        skip_existing: bool = True,
    ) -> list[int]:
        """Check and insert codings inside the caller's transaction; returns the new ids."""
        values = self._check_codings(conn, actor, items, rows, source)
        for annotator in {v["annotator"] for v in values}:
            self.ensure_user(conn, annotator)
        # Set-based rather than one SELECT + INSERT + audit INSERT per coding: building
        # three SQLAlchemy statements per row made a 60,000-row spreadsheet take minutes.
        texts: dict[int, str] = {}
        existing: dict[int, set[tuple]] = {}
        starts_of: dict[int, set[int]] = {}
        for v in values:
            starts_of.setdefault(v["document_id"], set()).add(v["start_pos"])
        for doc_id, starts in starts_of.items():
            texts[doc_id] = conn.execute(sa.select(s.documents.c.text).where(s.documents.c.id == doc_id)).scalar_one()
            # Only stored codings that start where a new one starts can be duplicates: fetch
            # just those (index on document_id, start_pos), not every coding of the document.
            ordered, found = sorted(starts), set[tuple[Any, ...]]()
            for lo in range(0, len(ordered), 500):
                found.update(
                    tuple(r)
                    for r in conn.execute(
                        sa.select(
                            s.codings.c.start_pos, s.codings.c.end_pos, s.codings.c.code_id, s.codings.c.annotator
                        ).where(s.codings.c.document_id == doc_id, s.codings.c.start_pos.in_(ordered[lo : lo + 500]))
                    )
                )
            existing[doc_id] = found
        new_rows: list[dict[str, Any]] = []
        for v in values:
            key = (v["start_pos"], v["end_pos"], v["code_id"], v["annotator"])
            if key in existing[v["document_id"]]:  # stored before, or earlier in this batch
                if skip_existing:
                    continue
                raise CodingError(
                    f"'{v['annotator']}' already coded this span with '{v['code_id']}'.",
                    hint="Edit the existing coding instead.",
                )
            existing[v["document_id"]].add(key)
            v["quote"] = texts[v["document_id"]][v["start_pos"] : v["end_pos"]]
            new_rows.append(v)
        ids: list[int] = []
        if new_rows:
            ids = [
                int(r[0])
                for r in conn.execute(
                    s.codings.insert().returning(s.codings.c.id, sort_by_parameter_order=True), new_rows
                )
            ]
            audit = []
            for new_id, v in zip(ids, new_rows):
                after = {k: v[k] for k in ("start_pos", "end_pos", "code_id", "annotator", "memo", "origin")}
                after["document_id"] = v["document_id"]
                audit.append(
                    {
                        "at": s.now(),
                        "actor": actor.name,
                        "action": "coding.add",
                        "entity": "coding",
                        "entity_id": str(new_id),
                        "before": None,
                        "after": after,
                    }
                )
            conn.execute(s.audit_log.insert(), audit)
        return ids

    def add_coding(self, actor: Actor, coding: Coding) -> int:
        ids = self.add_codings(actor, [coding], skip_existing=False)
        return ids[0]

    def get_coding(self, actor: Actor, coding_id: int) -> dict[str, Any] | None:
        with self.read() as conn:
            row = conn.execute(sa.select(s.codings).where(s.codings.c.id == coding_id)).mappings().first()
        if row is None:
            return None
        visible = self.visible_annotators(actor)
        if visible is not None and row["annotator"] not in visible:
            return None
        return dict(row)

    def _owned_row(self, conn: Connection, actor: Actor, coding_id: int) -> RowMapping:
        row = conn.execute(sa.select(s.codings).where(s.codings.c.id == coding_id)).mappings().first()
        if row is None:
            raise CodingError(f"Coding {coding_id} does not exist (it may have been deleted).")
        if row["annotator"] != actor.name and not actor.at_least("supervisor") and not actor.local:
            raise PermissionDenied(f"'{actor.name}' may not change a coding of '{row['annotator']}'.")
        return row

    def update_coding(
        self,
        actor: Actor,
        coding_id: int,
        *,
        expected_version: int | None = None,
        memo: str | None = None,
        code: str | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> int:
        """Change a coding; returns its new version.  A stale ``expected_version`` raises ConflictError."""
        with self.write() as conn:
            row = self._owned_row(conn, actor, coding_id)
            if expected_version is not None and row["version"] != expected_version:
                raise ConflictError(
                    f"Coding {coding_id} was changed by someone else since you loaded it.",
                    hint="Reload the page and apply your change again.",
                )
            values: dict[str, Any] = {}
            if memo is not None:
                values["memo"] = memo
            if code is not None:
                known = conn.execute(
                    sa.select(s.codes.c.id).where(s.codes.c.id == code, s.codes.c.kind == "code")
                ).scalar()
                if known is None:
                    all_codes = [r[0] for r in conn.execute(sa.select(s.codes.c.id).where(s.codes.c.kind == "code"))]
                    raise CodingError(f"Unknown code '{code}'.", hint=did_you_mean(code, all_codes))
                values["code_id"] = code
            if start is not None or end is not None:
                new_start = row["start_pos"] if start is None else start
                new_end = row["end_pos"] if end is None else end
                if not (0 <= new_start < new_end <= row["doc_length"]):
                    raise CodingError(
                        f"Span {new_start}–{new_end} is outside the document (length {row['doc_length']})."
                    )
                text = conn.execute(
                    sa.select(s.documents.c.text).where(s.documents.c.id == row["document_id"])
                ).scalar_one()
                values.update(start_pos=new_start, end_pos=new_end, quote=text[new_start:new_end])
            if not values:
                return int(row["version"])
            values.update(updated_at=s.now(), version=row["version"] + 1)
            try:
                res = conn.execute(
                    s.codings.update()
                    .where(s.codings.c.id == coding_id, s.codings.c.version == row["version"])
                    .values(**values)
                )
            except sa.exc.IntegrityError:
                raise CodingError("That change would duplicate an existing coding of the same span and code.") from None
            if res.rowcount != 1:
                raise ConflictError(
                    f"Coding {coding_id} was changed by someone else at the same time.",
                    hint="Reload and apply your change again.",
                )
            before = {k: row[k] for k in ("start_pos", "end_pos", "code_id", "memo", "version")}
            after = {k: values.get(k, row[k]) for k in ("start_pos", "end_pos", "code_id", "memo", "version")}
            self._audit(conn, actor, "coding.update", "coding", coding_id, before, after)
        return int(values["version"])

    def delete_coding(self, actor: Actor, coding_id: int) -> None:
        with self.write() as conn:
            row = self._owned_row(conn, actor, coding_id)
            conn.execute(s.codings.delete().where(s.codings.c.id == coding_id))
            before = {
                k: row[k]
                for k in (
                    "document_id",
                    "start_pos",
                    "end_pos",
                    "code_id",
                    "annotator",
                    "memo",
                    "origin",
                    "created_at",
                    "version",
                )
            }
            self._audit(conn, actor, "coding.delete", "coding", coding_id, before, None)

    def undo_last(self, actor: Actor) -> dict[str, Any] | None:
        """Undo ``actor``'s most recent coding change (add, update or delete) from the audit log."""
        with self.write() as conn:
            entry = (
                conn.execute(
                    sa.select(s.audit_log)
                    .where(
                        s.audit_log.c.actor == actor.name,
                        s.audit_log.c.undone_by.is_(None),
                        s.audit_log.c.action.in_(["coding.add", "coding.update", "coding.delete"]),
                    )
                    .order_by(s.audit_log.c.id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
            if entry is None:
                return None
            coding_id = int(entry["entity_id"])
            before, after = entry["before"], entry["after"]
            if entry["action"] == "coding.add":
                conn.execute(s.codings.delete().where(s.codings.c.id == coding_id))
            elif entry["action"] == "coding.delete":
                doc = conn.execute(
                    sa.select(s.documents.c.length, s.documents.c.text).where(s.documents.c.id == before["document_id"])
                ).first()
                if doc is None or before["end_pos"] > doc.length:
                    raise ConflictError("Cannot undo: the document changed since the coding was deleted.")
                self.ensure_user(conn, before["annotator"])
                conn.execute(
                    s.codings.insert().values(
                        id=coding_id,
                        document_id=before["document_id"],
                        doc_length=doc.length,
                        start_pos=before["start_pos"],
                        end_pos=before["end_pos"],
                        code_id=before["code_id"],
                        annotator=before["annotator"],
                        memo=before["memo"],
                        origin=before["origin"],
                        quote=doc.text[before["start_pos"] : before["end_pos"]],
                        created_at=before["created_at"],
                        updated_at=s.now(),
                        version=int(before.get("version", 1)) + 1,
                    )
                )
            else:
                row = conn.execute(sa.select(s.codings).where(s.codings.c.id == coding_id)).mappings().first()
                if row is None:
                    raise ConflictError("Cannot undo: the coding no longer exists.")
                conn.execute(
                    s.codings.update()
                    .where(s.codings.c.id == coding_id)
                    .values(
                        start_pos=before["start_pos"],
                        end_pos=before["end_pos"],
                        code_id=before["code_id"],
                        memo=before["memo"],
                        version=row["version"] + 1,
                        updated_at=s.now(),
                    )
                )
            undo_id = self._audit(conn, actor, "undo", "audit", entry["id"], after, before)
            conn.execute(s.audit_log.update().where(s.audit_log.c.id == entry["id"]).values(undone_by=undo_id))
            return {"undone": entry["action"], "coding_id": coding_id}

    def detached_frame(self) -> pd.DataFrame:
        with self.read() as conn:
            rows = conn.execute(sa.select(s.detached_codings).order_by(s.detached_codings.c.id)).mappings().all()
        return pd.DataFrame(rows, columns=[c.name for c in s.detached_codings.columns])

    # ----------------------------------------------------------------- suggestions
    def decide_suggestion(
        self,
        actor: Actor,
        document: str,
        start: int,
        end: int,
        code: str,
        source: str,
        decision: str,
        *,
        chosen_code: str | None = None,
        memo: str = "",
    ) -> int | None:
        """Accept or reject a suggestion in ONE transaction.  Accepting stores the coding (origin
        ``suggestion-accepted``, optionally with ``chosen_code`` instead) and the decision together;
        accepting another code also records the suggested one as rejected.  Returns the coding id."""
        with self.write() as conn:
            if decision == "rejected":
                self._record_decision(conn, actor, document, start, end, code, source, "rejected")
                return None
            chosen = chosen_code or code
            [coding_id] = self._insert_codings(
                conn,
                actor,
                [Coding(document, start, end, chosen, actor.name, memo, "suggestion-accepted")],
                skip_existing=False,
            )
            if chosen != code:
                self._record_decision(conn, actor, document, start, end, code, source, "rejected")
            self._record_decision(conn, actor, document, start, end, chosen, source, "accepted", coding_id)
            return coding_id

    def record_suggestion_decision(
        self,
        actor: Actor,
        document: str,
        start: int,
        end: int,
        code: str,
        source: str,
        decision: str,
        coding_id: int | None = None,
    ) -> None:
        with self.write() as conn:
            self._record_decision(conn, actor, document, start, end, code, source, decision, coding_id)

    def _record_decision(
        self,
        conn: Connection,
        actor: Actor,
        document: str,
        start: int,
        end: int,
        code: str,
        source: str,
        decision: str,
        coding_id: int | None = None,
    ) -> None:
        self.ensure_user(conn, actor.name)
        doc_id = conn.execute(sa.select(s.documents.c.id).where(s.documents.c.name == document)).scalar()
        if doc_id is None:
            raise CodingError(f"Unknown document '{document}'.")
        conn.execute(
            s.suggestion_decisions.delete().where(
                s.suggestion_decisions.c.annotator == actor.name,
                s.suggestion_decisions.c.document_id == doc_id,
                s.suggestion_decisions.c.start_pos == start,
                s.suggestion_decisions.c.end_pos == end,
                s.suggestion_decisions.c.code_id == code,
            )
        )
        conn.execute(
            s.suggestion_decisions.insert().values(
                annotator=actor.name,
                document_id=doc_id,
                start_pos=start,
                end_pos=end,
                code_id=code,
                source=source,
                decision=decision,
                coding_id=coding_id,
                decided_at=s.now(),
            )
        )
        self._audit(
            conn,
            actor,
            f"suggestion.{decision}",
            "suggestion",
            f"{document}:{start}-{end}:{code}",
            None,
            {"source": source, "coding_id": coding_id},
        )

    def suggestion_decisions_frame(self, actor: Actor) -> pd.DataFrame:
        q = (
            sa.select(
                s.documents.c.name.label("document"),
                s.suggestion_decisions.c.start_pos.label("start"),
                s.suggestion_decisions.c.end_pos.label("end"),
                s.suggestion_decisions.c.code_id.label("code"),
                s.suggestion_decisions.c.decision,
                s.suggestion_decisions.c.source,
            )
            .join(s.documents, s.documents.c.id == s.suggestion_decisions.c.document_id)
            .where(s.suggestion_decisions.c.annotator == actor.name)
        )
        with self.read() as conn:
            rows = conn.execute(q).mappings().all()
        return pd.DataFrame(rows, columns=["document", "start", "end", "code", "decision", "source"])

    # ----------------------------------------------------------------- frames
    def codings_frame(
        self, actor: Actor, annotators: Sequence[str] | None = None, documents: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Codings as a DataFrame (columns ``frames.CODING_COLUMNS``), filtered by what ``actor`` may see."""
        visible = self.visible_annotators(actor, annotators)
        c, d = s.codings, s.documents
        q = (
            sa.select(
                c.c.id.label("coding_id"),
                d.c.name.label("document"),
                d.c.participant_id.label("participant"),
                c.c.start_pos.label("start"),
                c.c.end_pos.label("end"),
                c.c.code_id.label("code"),
                c.c.annotator,
                c.c.memo,
                c.c.origin,
                c.c.created_at,
                c.c.quote,
            )
            .join(d, d.c.id == c.c.document_id)
            .order_by(c.c.id)
        )
        if visible is not None:
            q = q.where(c.c.annotator.in_(list(visible)))
        if documents is not None:
            q = q.where(d.c.name.in_(list(documents)))
        with self.read() as conn:
            result = conn.execute(q)
            frame = pd.DataFrame(result.fetchall(), columns=CODING_COLUMNS)
        for col in ("coding_id", "start", "end"):
            frame[col] = frame[col].astype("int64")
        return frame

    def segments_frame(self, documents: Sequence[str] | None = None) -> pd.DataFrame:
        g, d = s.segments, s.documents
        q = (
            sa.select(
                g.c.id.label("segment_id"),
                d.c.name.label("document"),
                g.c.kind,
                g.c.start_pos.label("start"),
                g.c.end_pos.label("end"),
                g.c.speaker,
            )
            .join(d, d.c.id == g.c.document_id)
            .order_by(d.c.name, g.c.kind, g.c.start_pos)
        )
        if documents is not None:
            q = q.where(d.c.name.in_(list(documents)))
        with self.read() as conn:
            # Plain DBAPI tuples (no Row objects): a large project has a million segments.
            rows = conn.execute(q).cursor.fetchall()
        return _columnwise_frame(rows, SEGMENT_COLUMNS, ("segment_id", "start", "end"))

    def documents_frame(self) -> pd.DataFrame:
        d = s.documents
        with self.read() as conn:
            rows = conn.execute(
                sa.select(
                    d.c.name.label("document"), d.c.participant_id.label("participant"), d.c.length, d.c.language
                ).order_by(d.c.name)
            ).fetchall()
        return pd.DataFrame(rows, columns=DOCUMENT_COLUMNS)

    def participants_frame(self) -> pd.DataFrame:
        with self.read() as conn:
            rows = conn.execute(sa.select(s.participants).order_by(s.participants.c.id)).mappings().all()
        keys: list[str] = []
        for r in rows:
            for k in r["attributes"] or {}:
                if k not in keys and k not in PARTICIPANT_COLUMNS:
                    keys.append(k)
        return pd.DataFrame(
            [
                {"participant": r["id"], "label": r["label"], **{k: (r["attributes"] or {}).get(k) for k in keys}}
                for r in rows
            ],
            columns=PARTICIPANT_COLUMNS + keys,
        )

    def analysis_data(self, actor: Actor, codebook: Codebook, annotators: Sequence[str] | None = None) -> AnalysisData:
        return AnalysisData(
            codebook=codebook,
            participants=self.participants_frame(),
            documents=self.documents_frame(),
            segments=self.segments_frame(),
            codings=self.codings_frame(actor, annotators),
            texts=LazyTexts(self),
        )

    def counts(self) -> dict[str, Any]:
        with self.read() as conn:

            def count(table: sa.Table) -> int:
                return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)

            by_annotator = {
                r[0]: int(r[1])
                for r in conn.execute(
                    sa.select(s.codings.c.annotator, sa.func.count())
                    .group_by(s.codings.c.annotator)
                    .order_by(s.codings.c.annotator)
                )
            }
            segs = {
                r[0]: int(r[1])
                for r in conn.execute(sa.select(s.segments.c.kind, sa.func.count()).group_by(s.segments.c.kind))
            }
            detached = {
                r[0]: int(r[1])
                for r in conn.execute(
                    sa.select(s.detached_codings.c.status, sa.func.count()).group_by(s.detached_codings.c.status)
                )
            }
            return {
                "participants": count(s.participants),
                "documents": count(s.documents),
                "segments": sum(segs.values()),
                "segments_by_kind": segs,
                "codings": count(s.codings),
                "codings_by_annotator": by_annotator,
                "detached": detached.get("detached", 0),
                "archived": detached.get("archived", 0),
            }


def _columnwise_frame(rows: Sequence[tuple], columns: Sequence[str], int_columns: Sequence[str]) -> pd.DataFrame:
    """The same frame as ``pd.DataFrame(rows, columns=columns)`` with ``int_columns`` as int64,
    built column by column: pandas' row-wise construction and type inference took 3-4 times
    longer on a million rows.  Text columns stay object arrays so pandas infers their dtype
    exactly as before (str, or object when all values are None)."""
    if not rows:
        frame = pd.DataFrame(rows, columns=list(columns))
        for col in int_columns:
            frame[col] = frame[col].astype("int64")
        return frame
    data = {
        name: np.array(values, dtype=np.int64 if name in int_columns else object)
        for name, values in zip(columns, zip(*rows))
    }
    return pd.DataFrame(data, columns=list(columns))


class LazyTexts(Mapping[str, str]):
    """Document texts fetched from the database on first access (keeps memory low on big projects)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[str, str] = {}
        self._names: list[str] | None = None

    def __getitem__(self, name: str) -> str:
        if name not in self._cache:
            text = self._store.document_text(name)
            if text is None:
                raise KeyError(name)
            self._cache[name] = text
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        if self._names is None:
            self._names = self._store.document_names()
        return iter(self._names)

    def __len__(self) -> int:
        if self._names is None:
            self._names = self._store.document_names()
        return len(self._names)


_Row = TypeVar("_Row")


def _inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT made."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the INSERT reported no primary key")
    return int(key[0])


def pair_reanchored(
    rows: Sequence[_Row],
    originals: Sequence[Coding],
    anchored: Sequence[Coding],
    detached: Sequence[Coding],
) -> Iterator[tuple[_Row, Coding | None]]:
    """Pair database rows with ``anchor.reanchor``'s result (None = detached).

    ``reanchor`` returns the detached originals themselves and the anchored ones in input order.
    """
    detached_ids = {id(c) for c in detached}
    pending = iter(anchored)
    for row, original in zip(rows, originals):
        yield row, (None if id(original) in detached_ids else next(pending))
