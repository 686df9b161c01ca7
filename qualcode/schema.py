"""Database schema and recorded migrations (SQLite and PostgreSQL).

Integrity lives in the schema, not only in Python:

* span bounds: ``0 <= start_pos < end_pos <= doc_length`` where ``doc_length`` is tied to the
  document's real length by a composite foreign key ``(document_id, doc_length) ->
  documents(id, length)``, so no coding can point past the end of its text;
* foreign keys everywhere (SQLite enforces them with ``PRAGMA foreign_keys=ON``);
* no duplicate coding: ``UNIQUE(document_id, start_pos, end_pos, code_id, annotator)``;
* ids are never reused: SQLite tables with user-visible ids use ``AUTOINCREMENT`` (PostgreSQL
  sequences never go back), and :func:`seed_id_sequences` keeps every id the audit log, the
  detached codings or the removal archive still refer to out of reach (migrations 3 and 10,
  restore).

Migrations are a numbered list; each applied one is recorded in ``schema_migrations``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .vocabulary import MEMO_KINDS, ORIGINS, ROLES, SEGMENT_KINDS, sql_in

metadata = sa.MetaData()

ROLE_CHECK = sql_in("role", ROLES)
ORIGIN_CHECK = sql_in("origin", ORIGINS)
KIND_CHECK = sql_in("kind", SEGMENT_KINDS)
MEMO_KIND_CHECK = sql_in("kind", MEMO_KINDS)
# A memo has exactly the target its kind names: a document memo a document, a code memo a code
# (or theme), a project memo neither.
MEMO_TARGET_CHECK = (
    "(kind = 'document' AND document IS NOT NULL AND code_id IS NULL)"
    " OR (kind = 'code' AND code_id IS NOT NULL AND document IS NULL)"
    " OR (kind = 'project' AND document IS NULL AND code_id IS NULL)"
)

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
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),  # unused since v4
    sa.Column("locked_until", sa.String(40)),  # unused since v4: see sign_in_attempts
    sa.Column("disabled_at", sa.String(40)),  # v4: set = no sign-in, no session (qualcode user disable)
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
    sa.Column("last_seen_at", sa.String(40)),  # v4: idle sessions end
)

# v4: failed sign-ins, counted atomically per key ("user:NAME" for any name typed, known or
# not, and "client:ADDRESS"), before the password is checked.
sign_in_attempts = sa.Table(
    "sign_in_attempts",
    metadata,
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_at", sa.String(40), nullable=False),
    sa.Column("locked_until", sa.String(40)),
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
    sqlite_autoincrement=True,  # ids are never reused (a removed interview's id stays its own; migration 10)
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
    sqlite_autoincrement=True,
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
    sqlite_autoincrement=True,  # ids are never reused (undo and the app refer to codings by id)
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
    # Entries written by one user action (an import, a codebook merge) share a step; undo reverts
    # a whole step.  NULL: the entry is a step of its own.
    sa.Column("step", sa.String(40)),
    sa.Index("ix_audit_log_entity", "entity", "entity_id"),
    sa.Index("ix_audit_log_step", "step"),
    sqlite_autoincrement=True,
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
    sqlite_autoincrement=True,
)


# What another tool called the items imported from its REFI-QDA file (migration 7, refi):
# their GUIDs (kinds code, theme, set, user, source, case, variable), written back on export
# so NVivo or ATLAS.ti update their items instead of duplicating them, and the project's name
# (kind "project", item "name").
refi_ids = sa.Table(
    "refi_ids",
    metadata,
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("item", sa.String(300), primary_key=True),  # the qualcode id or name
    sa.Column("value", sa.String(300), nullable=False),  # the GUID as the other tool wrote it
)

# The consolidation trail (migration 5): one row per code merged into another, kept on the
# surviving code so "556 applications -> 226 unique codes -> 197 used" can be reproduced.
code_merges = sa.Table(
    "code_merges",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("target_id", sa.String(200), nullable=False, index=True),  # the surviving code
    sa.Column("source_id", sa.String(200), nullable=False),  # the code merged into it
    sa.Column("source_label", sa.Text, nullable=False),
    sa.Column("applications", sa.Integer, nullable=False),  # codings the merged code carried
    sa.Column("collapsed", sa.Integer, nullable=False, server_default="0"),  # of those, duplicates dropped
    sa.Column("recorded_applications", sa.Integer),  # its count recorded in the codebook, if any
    sa.Column("merged_at", sa.String(40), nullable=False),
    sa.Column("merged_by", sa.String(200), nullable=False),
    sa.CheckConstraint("applications >= 0 AND collapsed >= 0 AND collapsed <= applications", name="ck_code_merges_n"),
)


# The framework matrix's team summaries (migration 6, framework): one per (participant, theme),
# written in the app or with `qualcode framework summarize`.  Neither key is a foreign key on
# purpose: removing an interview (its participant goes) or a theme from codebook.yaml must never
# destroy or block on a summary the team wrote; such summaries are kept and listed as orphaned.
framework_summaries = sa.Table(
    "framework_summaries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("participant_id", sa.String(100), nullable=False),
    sa.Column("theme_id", sa.String(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),  # optimistic edits
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
    sa.CheckConstraint("length(participant_id) > 0", name="ck_framework_summaries_participant"),
    sa.CheckConstraint("length(theme_id) > 0", name="ck_framework_summaries_theme"),
    sa.CheckConstraint("length(text) > 0", name="ck_framework_summaries_text"),
    sa.CheckConstraint("version >= 1", name="ck_framework_summaries_version"),
    sa.UniqueConstraint("participant_id", "theme_id", name="uq_framework_summaries_cell"),
    sqlite_autoincrement=True,
)


# Document, code and project memos (migration 8, memos); a coding's memo is its ``memo`` column.
# The target is named, not a foreign key: a document memo stays when its interview is removed
# (as the interview's codings stay, archived) and is there again when the removal is undone; a
# code memo stays when its code leaves the codebook (a rename takes it along).  The store checks
# that the target exists when a memo is written.
memos = sa.Table(
    "memos",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("document", sa.String(300)),  # documents.name, for kind 'document'
    sa.Column("code_id", sa.String(200)),  # codes.id, for kind 'code'
    sa.Column("author", sa.String(200), nullable=False, index=True),
    sa.Column("title", sa.Text, nullable=False, server_default=""),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    sa.CheckConstraint(MEMO_KIND_CHECK, name="ck_memos_kind"),
    sa.CheckConstraint(MEMO_TARGET_CHECK, name="ck_memos_target"),
    sa.CheckConstraint("length(trim(text)) > 0", name="ck_memos_text"),
    sa.CheckConstraint("length(author) > 0", name="ck_memos_author"),
    sa.CheckConstraint("version >= 1", name="ck_memos_version"),
    sa.Index("ix_memos_document", "document"),
    sa.Index("ix_memos_code", "code_id"),
    sqlite_autoincrement=True,  # ids are never reused (undo and the audit log refer to memos by id)
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


# Tables whose ids users and the audit log see; SQLite must never hand one out twice.
NEVER_REUSED = (codings, audit_log, segments, suggestion_decisions)
# Tables created by later migrations whose ids are never reused either (AUTOINCREMENT from the
# start), and the audit-log entity naming their rows: the counters also pass those ids.
LATER_NEVER_REUSED = ((memos, "memo"),)


def _sqlite_table_sql(conn: Connection, name: str) -> str | None:
    return conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).scalar()


def _rebuild_sqlite_table(conn: Connection, table: sa.Table) -> None:
    """Recreate ``table`` from the current definition (AUTOINCREMENT), keeping every row and id.
    Nothing references these tables by foreign key, so renaming and dropping the old copy is safe
    inside the migration's transaction."""
    old = f"{table.name}__before_v3"
    conn.exec_driver_sql(f'ALTER TABLE "{table.name}" RENAME TO "{old}"')
    for (index,) in conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (old,)
    ).fetchall():
        conn.exec_driver_sql(f'DROP INDEX "{index}"')
    table.create(conn)
    present = {row[1] for row in conn.exec_driver_sql(f'PRAGMA table_info("{old}")')}
    columns = ", ".join(f'"{c.name}"' for c in table.columns if c.name in present)
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM "{old}"')
    conn.exec_driver_sql(f'DROP TABLE "{old}"')


def seed_id_sequences(conn: Connection) -> None:
    """Move each id counter past every id still referred to: the rows themselves, and for
    codings also the detached codings and the audit log (a deleted coding's id must not go to
    someone else's new coding, or undo would act on the wrong one).  Never moves a counter back."""
    sqlite = conn.dialect.name == "sqlite"
    numeric = "entity_id GLOB '[0-9]*'" if sqlite else "entity_id ~ '^[0-9]+$'"
    floors: dict[str, int] = {}
    for table in NEVER_REUSED:
        floors[table.name] = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar() or 0)
    present = set(sa.inspect(conn).get_table_names())
    for table, entity in LATER_NEVER_REUSED:
        if table.name not in present:  # seeded by migration 3 before the table exists
            continue
        floors[table.name] = max(
            int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar() or 0),
            int(
                conn.exec_driver_sql(
                    "SELECT COALESCE(MAX(CAST(entity_id AS INTEGER)), 0) FROM audit_log "
                    f"WHERE entity = '{entity}' AND {numeric}"
                ).scalar()
                or 0
            ),
        )
    floors["codings"] = max(
        floors["codings"],
        int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(detached_codings.c.id), 0))).scalar() or 0),
        int(
            conn.exec_driver_sql(
                f"SELECT COALESCE(MAX(CAST(entity_id AS INTEGER)), 0) FROM audit_log WHERE entity = 'coding' AND {numeric}"
            ).scalar()
            or 0
        ),
    )
    if not sqlite or "AUTOINCREMENT" in (_sqlite_table_sql(conn, documents.name) or "").upper():
        floors[documents.name] = _documents_floor(conn)
    for name, floor in floors.items():
        if sqlite:
            current = conn.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = ?", (name,)).scalar()
            if current is None:
                conn.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, floor))
            elif current < floor:
                conn.exec_driver_sql("UPDATE sqlite_sequence SET seq = ? WHERE name = ?", (floor, name))
        else:
            sequence = conn.exec_driver_sql(f"SELECT pg_get_serial_sequence('{name}', 'id')").scalar()
            last, called = conn.exec_driver_sql(f"SELECT last_value, is_called FROM {sequence}").one()
            if floor > (last if called else last - 1):
                conn.exec_driver_sql(f"SELECT setval('{sequence}', {floor}, true)")


def _documents_floor(conn: Connection) -> int:
    """The highest document id stored or named by the removal archive (the ``document.remove``
    audit entries keep the removed row, id included, so that undo puts it back under that id)."""
    floor = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(documents.c.id), 0))).scalar() or 0)
    removed = conn.execute(sa.select(audit_log.c.before).where(audit_log.c.action == "document.remove"))
    for (before,) in removed:
        row = before.get("document") if isinstance(before, dict) else None
        if isinstance(row, dict) and isinstance(row.get("id"), int):
            floor = max(floor, row["id"])
    return floor


def _v3_ids_never_reused(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for table in NEVER_REUSED:
            sql = _sqlite_table_sql(conn, table.name)
            if sql is not None and "AUTOINCREMENT" not in sql.upper():
                _rebuild_sqlite_table(conn, table)
    else:
        conn.exec_driver_sql("ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS step VARCHAR(40)")
    for index in audit_log.indexes:
        index.create(conn, checkfirst=True)
    seed_id_sequences(conn)


def _add_missing_columns(conn: Connection, table: sa.Table, names: list[str]) -> None:
    """ALTER TABLE … ADD COLUMN for the columns a database created before them lacks (a
    database created now already has them: v1 creates the tables as defined above)."""
    present = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
    for name in names:
        if name not in present:
            column = table.c[name]
            kind = column.type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{name}" {kind}')


def scrub_user_audit(before: object) -> object:
    """An audit-log ``before`` value of a user change without the password hash (and without
    the sign-in counters): only whether a password was set is kept.

    >>> scrub_user_audit({"name": "a", "role": "admin", "password_hash": "scrypt$…", "failed_logins": 2})
    {'name': 'a', 'role': 'admin', 'password_set': True}
    >>> scrub_user_audit(None) is None
    True
    """
    if not isinstance(before, dict):
        return before
    clean = {k: v for k, v in before.items() if k not in ("password_hash", "failed_logins", "locked_until")}
    if "password_hash" in before:
        clean["password_set"] = before["password_hash"] is not None
    return clean


def _v4_access(conn: Connection) -> None:
    """Disabled users, session activity, sign-in attempts; password hashes out of the audit log."""
    _add_missing_columns(conn, users, ["disabled_at"])
    _add_missing_columns(conn, sessions, ["last_seen_at"])
    metadata.create_all(conn, tables=[sign_in_attempts])
    rows = conn.execute(sa.select(audit_log.c.id, audit_log.c.before).where(audit_log.c.entity == "user")).all()
    for row in rows:
        if isinstance(row.before, dict) and "password_hash" in row.before:
            conn.execute(audit_log.update().where(audit_log.c.id == row.id).values(before=scrub_user_audit(row.before)))


def _v6_framework_summaries(conn: Connection) -> None:
    metadata.create_all(conn, tables=[framework_summaries])


def _v7_refi_ids(conn: Connection) -> None:
    metadata.create_all(conn, tables=[refi_ids])


def _v5_consolidation_trail(conn: Connection) -> None:
    metadata.create_all(conn, tables=[code_merges])


def _v8_memos(conn: Connection) -> None:
    metadata.create_all(conn, tables=[memos])


def _v10_document_ids_never_reused(conn: Connection) -> None:
    """SQLite: rebuild ``documents`` with AUTOINCREMENT, so that a removed interview's id never
    goes to a new one (undo of the removal puts it back under that id).  ``segments`` and
    ``codings`` refer to it by foreign key, so this is SQLite's "create new, copy, drop old,
    rename new" procedure, with foreign keys off (:meth:`StoreCore._migrate`) and checked after.
    PostgreSQL's sequences never go back; on both, the counter is moved past every id stored
    or named by the removal archive."""
    if conn.dialect.name == "sqlite":
        sql = _sqlite_table_sql(conn, documents.name)
        if sql is not None and "AUTOINCREMENT" not in sql.upper():
            if conn.exec_driver_sql("PRAGMA foreign_keys").scalar():
                raise RuntimeError("migration 10 needs foreign keys off (see StoreCore._migrate)")
            new = f"{documents.name}__v10"
            create = str(sa.schema.CreateTable(documents).compile(dialect=conn.dialect)).strip()
            head = f"CREATE TABLE {documents.name} ("
            if not create.startswith(head):
                raise RuntimeError(f"unexpected DDL for {documents.name}: {create[:80]}")
            conn.exec_driver_sql(f'CREATE TABLE "{new}" (' + create[len(head) :])
            present = {row[1] for row in conn.exec_driver_sql(f'PRAGMA table_info("{documents.name}")')}
            columns = ", ".join(f'"{c.name}"' for c in documents.columns if c.name in present)
            conn.exec_driver_sql(f'INSERT INTO "{new}" ({columns}) SELECT {columns} FROM "{documents.name}"')
            conn.exec_driver_sql(f'DROP TABLE "{documents.name}"')
            conn.exec_driver_sql(f'ALTER TABLE "{new}" RENAME TO "{documents.name}"')
            for index in documents.indexes:
                index.create(conn, checkfirst=True)
    seed_id_sequences(conn)


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "initial schema", _v1_initial),
    (2, "suggestion decisions", _v2_suggestion_decisions),
    (3, "ids never reused (AUTOINCREMENT), audit steps", _v3_ids_never_reused),
    (4, "access: disabled users, session activity, sign-in attempts, no password hashes in the audit log", _v4_access),
    (5, "consolidation trail", _v5_consolidation_trail),
    (6, "framework matrix summaries", _v6_framework_summaries),
    (7, "REFI-QDA GUIDs of imported items", _v7_refi_ids),
    (8, "document, code and project memos", _v8_memos),
    (10, "document ids never reused (AUTOINCREMENT)", _v10_document_ids_never_reused),
]
SCHEMA_VERSION = max(version for version, _, _ in MIGRATIONS)


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
