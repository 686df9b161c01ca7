"""Memos: document, code and project memos (the ``memos`` table), and coding memos as a list.

A coding's memo is its ``memo`` column (written with the coding, edited with
:meth:`~qualcode.store.codings.CodingsRoom.update_coding`); the memo browser lists it here
with the others.  Every memo write has its audit entry (entity ``memo``: ``memo.add``,
``memo.update``, ``memo.delete``), and :func:`revert_memo` (called by ``undo_last``) undoes
one: a deleted memo comes back with its id.

Who may do what: everyone reads (in blind mode an annotator sees only their own memos and
codings); every user writes memos under their own name; only the author, a supervisor or an
admin (or the owner of a single-machine project) changes or deletes a memo.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from .. import schema as s
from ..errors import MemoError, PermissionDenied, Problem, UndoRefused, did_you_mean, valid_list
from ..frames import MEMO_COLUMNS, empty_memos
from ..model import Memo
from ..vocabulary import MEMO_KINDS
from .core import Actor, inserted_id
from .users import UsersRoom

MEMO_UNDO = ("memo.add", "memo.update", "memo.delete")  # what undo_last reverts
_ROW_FIELDS = ("kind", "document", "code_id", "author", "title", "text", "version", "created_at", "updated_at")
MAX_TITLE = 300


def _snapshot(row: Mapping[str, Any] | RowMapping) -> dict[str, Any]:
    return {k: row[k] for k in _ROW_FIELDS}


def _target_of(row: Mapping[str, Any] | RowMapping) -> str | None:
    return row["document"] if row["kind"] == "document" else row["code_id"] if row["kind"] == "code" else None


class MemosRoom(UsersRoom):
    """Document, code and project memos; the coding memos read with them."""

    # ----------------------------------------------------------------- checks
    def _memo_values(self, conn: Connection, kind: str, target: str | None) -> dict[str, Any]:
        """The target columns for a memo of ``kind`` on ``target`` (MemoError naming what is wrong)."""
        if kind not in MEMO_KINDS:
            raise MemoError(
                Problem(
                    f"Unknown memo kind '{kind}'.",
                    field="kind",
                    hint=f"Valid kinds: {valid_list(MEMO_KINDS)}. A coding's memo is edited on the coding.",
                )
            )
        if kind == "project":
            if target:
                raise MemoError(
                    Problem(
                        f"A project memo has no target, but '{target}' was given.",
                        field="target",
                        hint="Leave the target out, or choose the document or code kind.",
                    )
                )
            return {"kind": kind, "document": None, "code_id": None}
        if not target:
            raise MemoError(
                Problem(
                    f"A {kind} memo needs the {kind} it is about.",
                    field=kind,
                    hint=f"Name the {kind} ({'the interview name' if kind == 'document' else 'the code id'}).",
                )
            )
        if kind == "document":
            names = [r[0] for r in conn.execute(sa.select(s.documents.c.name))]
            if target not in names:
                raise MemoError(
                    Problem(
                        f"Unknown document '{target}'.",
                        field="document",
                        hint=(did_you_mean(target, names) or "") + f" Known documents: {valid_list(names)}.",
                    )
                )
            return {"kind": kind, "document": target, "code_id": None}
        ids = [r[0] for r in conn.execute(sa.select(s.codes.c.id))]
        if target not in ids:
            raise MemoError(
                Problem(
                    f"Unknown code '{target}'.",
                    field="code",
                    hint=(did_you_mean(target, ids) or "") + f" Known codes and themes: {valid_list(ids)}.",
                )
            )
        return {"kind": kind, "document": None, "code_id": target}

    @staticmethod
    def _clean_text(text: str, title: str) -> tuple[str, str]:
        if not isinstance(text, str) or not text.strip():
            raise MemoError(Problem("The memo text is empty.", field="text", hint="Write the memo's text."))
        title = (title or "").strip()
        if len(title) > MAX_TITLE:
            raise MemoError(
                Problem(
                    f"The memo title has {len(title)} characters; at most {MAX_TITLE} are allowed.",
                    field="title",
                    hint="Shorten the title; the memo text can be as long as you like.",
                )
            )
        return text, title

    def _memo_row(self, conn: Connection, memo_id: int) -> RowMapping:
        row = conn.execute(sa.select(s.memos).where(s.memos.c.id == memo_id)).mappings().first()
        if row is None:
            raise MemoError(
                Problem(
                    f"Memo {memo_id} does not exist (it may have been deleted).",
                    field="memo",
                    hint="List the memos with 'qualcode memo list'.",
                )
            )
        return row

    @staticmethod
    def _may_change(actor: Actor, row: Mapping[str, Any] | RowMapping, what: str) -> None:
        if row["author"] != actor.name and not actor.at_least("supervisor") and not actor.local:
            raise PermissionDenied(
                f"'{actor.name}' may not {what} memo {row['id']} of '{row['author']}'; only its author, a "
                "supervisor or an admin may.",
                hint="Write a memo of your own instead.",
            )

    # ----------------------------------------------------------------- writes
    def add_memo(
        self,
        actor: Actor,
        kind: str,
        target: str | None,
        text: str,
        *,
        title: str = "",
        author: str | None = None,
        created_at: str | None = None,
        updated_at: str | None = None,
    ) -> int:
        """Store a new memo; returns its id.  ``author`` other than the actor (an import of
        another tool's memos) needs a supervisor."""
        text, title = self._clean_text(text, title)
        author = author or actor.name
        if author != actor.name and not actor.at_least("supervisor") and not actor.local:
            raise PermissionDenied(f"'{actor.name}' may not write memos as '{author}'.")
        with self.write() as conn:
            return self._insert_memo(conn, actor, kind, target, text, title, author, created_at, updated_at)

    def _insert_memo(
        self,
        conn: Connection,
        actor: Actor,
        kind: str,
        target: str | None,
        text: str,
        title: str,
        author: str,
        created_at: str | None = None,
        updated_at: str | None = None,
    ) -> int:
        values = self._memo_values(conn, kind, target)
        stamp = created_at or s.now()
        values.update(
            author=author, title=title, text=text, version=1, created_at=stamp, updated_at=updated_at or stamp
        )
        memo_id = inserted_id(conn.execute(s.memos.insert().values(**values)))
        self._audit(conn, actor, "memo.add", "memo", memo_id, None, values)
        return memo_id

    def add_memos(self, actor: Actor, memos: Sequence[Memo]) -> list[int]:
        """Store several memos in ONE transaction (all or nothing), e.g. those of an imported
        REFI-QDA project; supervisors (they may carry other authors)."""
        self.require(actor, "supervisor", "import memos")
        cleaned = [(m, *self._clean_text(m.text, m.title)) for m in memos]
        with self.write() as conn:
            return [
                self._insert_memo(
                    conn, actor, m.kind, m.target, text, title, m.author or actor.name, m.created_at, m.updated_at
                )
                for m, text, title in cleaned
            ]

    def update_memo(
        self,
        actor: Actor,
        memo_id: int,
        *,
        text: str | None = None,
        title: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Change a memo's text and/or title; returns its new version.  A stale
        ``expected_version`` (someone saved it since it was shown) raises ConflictError."""
        from ..errors import ConflictError

        with self.write() as conn:
            row = self._memo_row(conn, memo_id)
            self._may_change(actor, row, "edit")
            if expected_version is not None and row["version"] != expected_version:
                raise ConflictError(
                    f"Memo {memo_id} was changed by someone else since you loaded it.",
                    hint="Reload, read the other change, and apply yours again.",
                )
            new_text, new_title = self._clean_text(
                row["text"] if text is None else text, row["title"] if title is None else title
            )
            if new_text == row["text"] and new_title == row["title"]:
                return int(row["version"])
            version = int(row["version"]) + 1
            changes = {"text": new_text, "title": new_title, "version": version, "updated_at": s.now()}
            done = conn.execute(
                s.memos.update().where(s.memos.c.id == memo_id, s.memos.c.version == row["version"]).values(**changes)
            )
            if done.rowcount != 1:
                raise ConflictError(
                    f"Memo {memo_id} was changed by someone else at the same time.", hint="Reload and apply it again."
                )
            before = {k: row[k] for k in ("text", "title", "version", "updated_at")}
            self._audit(conn, actor, "memo.update", "memo", memo_id, before, changes)
        return version

    def delete_memo(self, actor: Actor, memo_id: int) -> dict[str, Any]:
        """Delete a memo (its author, supervisors, admins); the audit entry keeps all of it, so
        ``qualcode undo`` brings it back with the same id.  Returns the deleted memo."""
        with self.write() as conn:
            row = self._memo_row(conn, memo_id)
            self._may_change(actor, row, "delete")
            conn.execute(s.memos.delete().where(s.memos.c.id == memo_id))
            before = _snapshot(row)
            self._audit(conn, actor, "memo.delete", "memo", memo_id, before, None)
        return {"id": memo_id, **before}

    # ----------------------------------------------------------------- reads
    def _memo_visible(self, actor: Actor) -> list[str] | None:
        """Whose memos ``actor`` may read (None = everyone's): blind mode hides other coders' memos."""
        return self.visible_annotators(actor)

    def get_memo(self, actor: Actor, memo_id: int) -> dict[str, Any] | None:
        with self.read() as conn:
            row = conn.execute(sa.select(s.memos).where(s.memos.c.id == memo_id)).mappings().first()
        visible = self._memo_visible(actor)
        if row is None or (visible is not None and row["author"] not in visible):
            return None
        return dict(row)

    def memo_rows(
        self,
        actor: Actor,
        *,
        kinds: Sequence[str] | None = None,
        author: str | None = None,
        document: str | None = None,
        code: str | None = None,
    ) -> list[dict[str, Any]]:
        """Document, code and project memos ``actor`` may read, oldest first."""
        query = sa.select(s.memos).order_by(s.memos.c.id)
        if kinds is not None:
            query = query.where(s.memos.c.kind.in_(list(kinds)))
        if author is not None:
            query = query.where(s.memos.c.author == author)
        if document is not None:
            query = query.where(s.memos.c.document == document)
        if code is not None:
            query = query.where(s.memos.c.code_id == code)
        visible = self._memo_visible(actor)
        if visible is not None:
            query = query.where(s.memos.c.author.in_(visible))
        with self.read() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def coding_memo_rows(
        self,
        actor: Actor,
        *,
        author: str | None = None,
        document: str | None = None,
        code: str | None = None,
    ) -> list[dict[str, Any]]:
        """Codings with a memo ``actor`` may see: id, document, span, code, annotator, memo, quote."""
        c, d = s.codings, s.documents
        query = (
            sa.select(
                c.c.id,
                d.c.name.label("document"),
                c.c.start_pos,
                c.c.end_pos,
                c.c.code_id,
                c.c.annotator,
                c.c.memo,
                c.c.quote,
                c.c.version,
                c.c.created_at,
                c.c.updated_at,
            )
            .select_from(c.join(d, c.c.document_id == d.c.id))
            .where(c.c.memo != "")
            .order_by(d.c.name, c.c.start_pos, c.c.id)
        )
        if author is not None:
            query = query.where(c.c.annotator == author)
        if document is not None:
            query = query.where(d.c.name == document)
        if code is not None:
            query = query.where(c.c.code_id == code)
        visible = self.visible_annotators(actor)
        if visible is not None:
            query = query.where(c.c.annotator.in_(visible))
        with self.read() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def memo_counts_by_document(self, actor: Actor) -> dict[str, dict[str, int]]:
        """:meth:`memo_counts` of every interview with a memo, in two grouped queries."""
        visible = self.visible_annotators(actor)
        c, d, m = s.codings, s.documents, s.memos
        coding_q = (
            sa.select(d.c.name, sa.func.count())
            .select_from(c.join(d, c.c.document_id == d.c.id))
            .where(c.c.memo != "")
            .group_by(d.c.name)
        )
        doc_q = sa.select(m.c.document, sa.func.count()).where(m.c.kind == "document").group_by(m.c.document)
        if visible is not None:
            coding_q = coding_q.where(c.c.annotator.in_(visible))
            doc_q = doc_q.where(m.c.author.in_(visible))
        out: dict[str, dict[str, int]] = {}
        with self.read() as conn:
            for name, n in conn.execute(doc_q):
                out.setdefault(str(name), {"document": 0, "coding": 0})["document"] = int(n)
            for name, n in conn.execute(coding_q):
                out.setdefault(str(name), {"document": 0, "coding": 0})["coding"] = int(n)
        return out

    def memo_counts(self, actor: Actor, document: str) -> dict[str, int]:
        """How many memos ``actor`` may see on ``document``: ``{"document": n, "coding": n}``
        (the coding memos on its coded spans)."""
        visible = self.visible_annotators(actor)
        c, d = s.codings, s.documents
        coding_q = (
            sa.select(sa.func.count())
            .select_from(c.join(d, c.c.document_id == d.c.id))
            .where(d.c.name == document, c.c.memo != "")
        )
        doc_q = sa.select(sa.func.count()).select_from(s.memos).where(s.memos.c.document == document)
        if visible is not None:
            coding_q = coding_q.where(c.c.annotator.in_(visible))
            doc_q = doc_q.where(s.memos.c.author.in_(visible))
        with self.read() as conn:
            return {
                "document": int(conn.execute(doc_q).scalar() or 0),
                "coding": int(conn.execute(coding_q).scalar() or 0),
            }


def memos_frame(room: MemosRoom | UsersRoom, actor: Actor) -> pd.DataFrame:
    """The document, code and project memos ``actor`` may read, as :data:`qualcode.frames.MEMO_COLUMNS`
    (for the analysis bundle the exports read)."""
    query = sa.select(s.memos).order_by(s.memos.c.id)
    visible = room.visible_annotators(actor)
    if visible is not None:
        query = query.where(s.memos.c.author.in_(visible))
    with room.read() as conn:
        rows = [
            {
                "memo_id": r["id"],
                "kind": r["kind"],
                "target": _target_of(r),
                "author": r["author"],
                "title": r["title"],
                "text": r["text"],
                "created_at": r["created_at"],
                "updated_at": r["updated_at"],
            }
            for r in conn.execute(query).mappings()
        ]
    return pd.DataFrame(rows, columns=MEMO_COLUMNS) if rows else empty_memos()


def revert_memo(
    conn: Connection,
    actor: Actor,
    entry: Mapping[str, Any],
    audit: Callable[..., int],
) -> dict[str, Any]:
    """Undo one memo entry (add, update, delete) inside ``undo_last``'s savepoint, or raise
    UndoRefused when the memo changed since; returns what was undone (for the message)."""
    memo_id = int(entry["entity_id"])
    action = entry["action"].removeprefix("memo.")
    what = f"your {action} of memo {memo_id}"
    log = s.audit_log
    version = (entry["after"] or {}).get("version")
    for later in conn.execute(
        sa.select(log)
        .where(log.c.entity == "memo", log.c.entity_id == entry["entity_id"], log.c.id > entry["id"])
        .order_by(log.c.id)
    ).mappings():
        if later["action"] != "undo" and later["undone_by"] is None:
            raise UndoRefused(f"Cannot undo {what}: {later['actor']} changed it since ({later['action']}).")
        version = (later["after"] or {}).get("version", version)
    row = conn.execute(sa.select(s.memos).where(s.memos.c.id == memo_id)).mappings().first()
    before = entry["before"] or {}
    if action in ("add", "update"):
        if row is None:
            raise UndoRefused(f"Cannot undo {what}: that memo was deleted since.")
        if version is not None and row["version"] != version:
            raise UndoRefused(f"Cannot undo {what}: it was changed since (version {row['version']}).")
    if action == "add":
        assert row is not None
        conn.execute(s.memos.delete().where(s.memos.c.id == memo_id))
        undo_id = audit(conn, actor, "undo", "memo", memo_id, _snapshot(row), {"undoes": entry["id"]})
        kept = _snapshot(row)
    elif action == "update":
        assert row is not None
        restored = {
            "text": before["text"],
            "title": before["title"],
            "version": int(row["version"]) + 1,
            "updated_at": s.now(),
        }
        conn.execute(s.memos.update().where(s.memos.c.id == memo_id).values(**restored))
        undo_id = audit(
            conn,
            actor,
            "undo",
            "memo",
            memo_id,
            {k: row[k] for k in ("text", "title", "version")},
            {**restored, "undoes": entry["id"]},
        )
        kept = {**_snapshot(row), **restored}
    elif action == "delete":
        if row is not None:
            raise UndoRefused(f"Cannot undo {what}: a memo with that id exists again.")
        version = int(before.get("version", 1)) + 1
        values = {**{k: before[k] for k in _ROW_FIELDS if k in before}, "version": version, "updated_at": s.now()}
        conn.execute(s.memos.insert().values(id=memo_id, **values))
        undo_id = audit(conn, actor, "undo", "memo", memo_id, None, {**values, "undoes": entry["id"]})
        kept = values
    else:
        raise UndoRefused(f"Cannot undo '{entry['action']}' entries.")
    conn.execute(log.update().where(log.c.id == entry["id"]).values(undone_by=undo_id))
    return {"id": memo_id, "action": action, "kind": kept.get("kind"), "target": _target_of(kept)}


__all__ = ["MEMO_UNDO", "MemosRoom", "memos_frame", "revert_memo"]
