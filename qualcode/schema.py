"""Database schema and recorded migrations (SQLite and PostgreSQL).

Integrity lives in the schema, not only in Python:

* span bounds: ``0 <= start_pos < end_pos <= doc_length`` where ``doc_length`` is tied to the
  document's real length by a composite foreign key ``(document_id, doc_length) ->
  documents(id, length)``, so no coding can point past the end of its text;
* foreign keys everywhere (SQLite enforces them with ``PRAGMA foreign_keys=ON``);
* no duplicate coding: ``UNIQUE(document_id, start_pos, end_pos, code_id, annotator)``.

Migrations are a numbered list; each applied one is recorded in ``schema_migrations``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .vocabulary import ORIGINS, ROLES, SEGMENT_KINDS, sql_in

metadata = sa.MetaData()

ROLE_CHECK = sql_in("role", ROLES)
ORIGIN_CHECK = sql_in("origin", ORIGINS)
KIND_CHECK = sql_in("kind", SEGMENT_KINDS)

schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.String(40), nullable=False),
)

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("role", sa.String(20), nullable=False, server_default="annotator"),
    sa.Column("password_hash", sa.Text),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", sa.String(40)),
    sa.CheckConstraint(ROLE_CHECK, name="ck_users_role"),
    sa.CheckConstraint("length(name) > 0", name="ck_users_name"),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_name", sa.String(200), sa.ForeignKey("users.name", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("expires_at", sa.String(40), nullable=False),
)

participants = sa.Table(
    "participants",
    metadata,
    sa.Column("id", sa.String(100), primary_key=True),
    sa.Column("label", sa.String(300), nullable=False),
    sa.Column("attributes", sa.JSON, nullable=False, default=dict),
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(300), nullable=False, unique=True),
    sa.Column("participant_id", sa.String(100), sa.ForeignKey("participants.id"), index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("length", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("language", sa.String(10), nullable=False, server_default="en"),
    sa.Column("metadata", sa.JSON, nullable=False, default=dict),
    sa.Column("source_path", sa.Text),
    sa.Column("imported_at", sa.String(40), nullable=False),
    sa.CheckConstraint("length >= 0", name="ck_documents_length"),
    sa.UniqueConstraint("id", "length", name="uq_documents_id_length"),
)

segments = sa.Table(
    "segments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("document_id", sa.Integer, nullable=False),
    sa.Column("doc_length", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("start_pos", sa.Integer, nullable=False),
    sa.Column("end_pos", sa.Integer, nullable=False),
    sa.Column("speaker", sa.String(300)),
    sa.ForeignKeyConstraint(
        ["document_id", "doc_length"],
        ["documents.id", "documents.length"],
        ondelete="CASCADE",
        name="fk_segments_document",
    ),
    sa.CheckConstraint("start_pos >= 0 AND start_pos < end_pos AND end_pos <= doc_length", name="ck_segments_span"),
    sa.CheckConstraint(KIND_CHECK, name="ck_segments_kind"),
    sa.Index("ix_segments_document_kind", "document_id", "kind", "start_pos"),
)

codes = sa.Table(
    "codes",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),  # theme | code | cross_cutting
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("parent_id", sa.String(200)),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("in_codebook", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("data", sa.JSON, nullable=False, default=dict),
    sa.CheckConstraint("kind IN ('theme', 'code', 'cross_cutting')", name="ck_codes_kind"),
    sa.CheckConstraint("length(label) > 0", name="ck_codes_label"),
)

codings = sa.Table(
    "codings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("document_id", sa.Integer, nullable=False),
    sa.Column("doc_length", sa.Integer, nullable=False),
    sa.Column("start_pos", sa.Integer, nullable=False),
    sa.Column("end_pos", sa.Integer, nullable=False),
    sa.Column("code_id", sa.String(200), sa.ForeignKey("codes.id", onupdate="CASCADE"), nullable=False, index=True),
    sa.Column("annotator", sa.String(200), sa.ForeignKey("users.name", onupdate="CASCADE"), nullable=False, index=True),
    sa.Column("memo", sa.Text, nullable=False, server_default=""),
    sa.Column("origin", sa.String(30), nullable=False, server_default="manual"),
    sa.Column("quote", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    sa.ForeignKeyConstraint(
        ["document_id", "doc_length"], ["documents.id", "documents.length"], name="fk_codings_document"
    ),
    sa.CheckConstraint("start_pos >= 0 AND start_pos < end_pos AND end_pos <= doc_length", name="ck_codings_span"),
    sa.CheckConstraint(ORIGIN_CHECK, name="ck_codings_origin"),
    sa.UniqueConstraint(
        "document_id", "start_pos", "end_pos", "code_id", "annotator", name="uq_codings_span_code_annotator"
    ),
    sa.Index("ix_codings_document", "document_id", "start_pos"),
)

# Codings that no longer fit their document (re-import changed the text and re-anchoring failed)
# or whose code was force-deleted.  They are never destroyed: listed by `qualcode status`.
detached_codings = sa.Table(
    "detached_codings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # the coding's former id
    sa.Column("document_name", sa.String(300), nullable=False),
    sa.Column("start_pos", sa.Integer, nullable=False),
    sa.Column("end_pos", sa.Integer, nullable=False),
    sa.Column("code_id", sa.String(200), nullable=False),
    sa.Column("annotator", sa.String(200), nullable=False),
    sa.Column("memo", sa.Text, nullable=False, server_default=""),
    sa.Column("origin", sa.String(30), nullable=False),
    sa.Column("quote", sa.Text, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # detached | archived
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("detached_at", sa.String(40), nullable=False),
    sa.CheckConstraint("status IN ('detached', 'archived')", name="ck_detached_status"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False, index=True),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("entity_id", sa.String(300)),
    sa.Column("before", sa.JSON),
    sa.Column("after", sa.JSON),
    sa.Column("undone_by", sa.Integer),
)

imports = sa.Table(
    "imports",
    metadata,
    sa.Column("source", sa.Text, primary_key=True),  # project-relative path
    sa.Column("kind", sa.String(20), nullable=False),  # transcript | codings
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("imported_at", sa.String(40), nullable=False),
)

suggestion_decisions = sa.Table(
    "suggestion_decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("annotator", sa.String(200), sa.ForeignKey("users.name"), nullable=False),
    sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    sa.Column("start_pos", sa.Integer, nullable=False),
    sa.Column("end_pos", sa.Integer, nullable=False),
    sa.Column("code_id", sa.String(200), nullable=False),
    sa.Column("source", sa.String(30), nullable=False),
    sa.Column("decision", sa.String(10), nullable=False),
    sa.Column("coding_id", sa.Integer),
    sa.Column("decided_at", sa.String(40), nullable=False),
    sa.CheckConstraint("decision IN ('accepted', 'rejected')", name="ck_suggestion_decision"),
    sa.UniqueConstraint("annotator", "document_id", "start_pos", "end_pos", "code_id", name="uq_suggestion_decision"),
)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


# ------------------------------------------------------------------------------------ migrations
def _v1_initial(conn: Connection) -> None:
    tables = [
        schema_migrations,
        settings,
        users,
        sessions,
        participants,
        documents,
        segments,
        codes,
        codings,
        detached_codings,
        audit_log,
        imports,
    ]
    metadata.create_all(conn, tables=tables)


def _v2_suggestion_decisions(conn: Connection) -> None:
    metadata.create_all(conn, tables=[suggestion_decisions])


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "initial schema", _v1_initial),
    (2, "suggestion decisions", _v2_suggestion_decisions),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def applied_versions(conn: Connection) -> set[int]:
    if not sa.inspect(conn).has_table("schema_migrations"):
        return set()
    return {row[0] for row in conn.execute(sa.select(schema_migrations.c.version))}


def migrate(conn: Connection) -> list[int]:
    """Apply every migration not yet recorded; return the versions applied now."""
    done = applied_versions(conn)
    applied: list[int] = []
    for version, name, step in MIGRATIONS:
        if version in done:
            continue
        step(conn)
        conn.execute(schema_migrations.insert().values(version=version, name=name, applied_at=now()))
        applied.append(version)
    return applied
