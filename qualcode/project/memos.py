"""Memos through the front door: document, code and project memos, coding memos, the memo browser.

:class:`MemosMixin` is one of :class:`~qualcode.project.Project`'s bases.  Roles (see
:mod:`qualcode.store.memos`): everyone reads (blind mode: an annotator sees only their own
memos and codings), every user writes memos under their own name, the author or a supervisor
or admin edits and deletes one.  Every change is audited and undone by ``qualcode undo``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import MemoError, Problem, QualcodeError, valid_list
from ..model import Memo
from ..vocabulary import MEMO_BROWSER_KINDS

if TYPE_CHECKING:
    from ..model import Codebook
    from ..store import Actor, Store

# The memo browser's columns, in the order people read them.
MEMO_COLUMNS = [
    "kind",
    "document",
    "code",
    "code_label",
    "author",
    "title",
    "text",
    "quote",
    "start",
    "end",
    "memo_id",
    "coding_id",
    "version",
    "created_at",
    "updated_at",
]


def _check_kinds(kinds: Sequence[str] | None) -> list[str] | None:
    if kinds is None:
        return None
    wrong = [k for k in kinds if k not in MEMO_BROWSER_KINDS]
    if wrong:
        raise MemoError(
            Problem(
                f"Unknown memo kind '{wrong[0]}'.",
                field="kind",
                hint=f"Valid kinds: {valid_list(MEMO_BROWSER_KINDS)}.",
            )
        )
    return list(kinds)


class MemosMixin:
    """Memos of documents, codes, the project and codings."""

    if TYPE_CHECKING:
        store: Store
        actor: Actor

        @property
        def codebook(self) -> Codebook: ...

        def require(self, role: str, what: str) -> None: ...

    # ------------------------------------------------------------------ writing
    def add_memo(self, kind: str, target: str | None, text: str, *, title: str = "") -> int:
        """A new memo of ``kind`` (document, code, project) on ``target`` (the interview name,
        the code or theme id, None for the project) under the acting user's name; returns its id."""
        self.require("annotator", "write memos")
        return self.store.add_memo(self.actor, kind, target, text, title=title)

    def edit_memo(
        self, memo_id: int, *, text: str | None = None, title: str | None = None, expected_version: int | None = None
    ) -> int:
        """Change a memo's text or title (its author, supervisors, admins); returns its new version."""
        self.require("annotator", "edit memos")
        return self.store.update_memo(self.actor, memo_id, text=text, title=title, expected_version=expected_version)

    def delete_memo(self, memo_id: int) -> dict[str, Any]:
        """Delete a memo (its author, supervisors, admins); ``qualcode undo`` brings it back."""
        self.require("annotator", "delete memos")
        return self.store.delete_memo(self.actor, memo_id)

    def set_coding_memo(self, coding_id: int, memo: str, *, expected_version: int | None = None) -> int:
        """Write (or, with "", clear) the memo of a coding: the coding's own edit, audited and
        undoable as every coding change; returns the coding's new version."""
        self.require("annotator", "write memos")
        return self.store.update_coding(self.actor, coding_id, memo=memo, expected_version=expected_version)

    def import_memos(self, memos: Sequence[Memo]) -> list[int]:
        """Store memos read from another tool (REFI-QDA Notes) in one transaction (supervisors)."""
        self.require("supervisor", "import memos")
        return self.store.add_memos(self.actor, memos) if memos else []

    # ------------------------------------------------------------------ reading
    def memo(self, memo_id: int) -> dict[str, Any] | None:
        """One document, code or project memo as stored (None if absent or hidden by blind mode)."""
        return self.store.get_memo(self.actor, memo_id)

    def memo_rows(self, kinds: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Document, code and project memos as stored (the exports use these)."""
        return self.store.memo_rows(self.actor, kinds=kinds)

    def memos_frame(
        self,
        *,
        kinds: Sequence[str] | None = None,
        author: str | None = None,
        document: str | None = None,
        code: str | None = None,
    ) -> pd.DataFrame:
        """The memo browser: every memo the acting user may read, coding memos included, one
        row each (:data:`MEMO_COLUMNS`), filtered by kind, author, interview and code.  A code
        filter keeps that code's memos and the memos of its codings; an interview filter that
        interview's memo and the memos of its codings."""
        wanted = _check_kinds(kinds)
        labels = self._memo_code_labels()
        rows: list[dict[str, Any]] = []
        stored_kinds = None if wanted is None else [k for k in wanted if k != "coding"]
        if stored_kinds is None or stored_kinds:
            for r in self.store.memo_rows(self.actor, kinds=stored_kinds, author=author):
                if document is not None and r["document"] != document:
                    continue
                if code is not None and r["code_id"] != code:
                    continue
                rows.append(
                    {
                        "kind": r["kind"],
                        "document": r["document"],
                        "code": r["code_id"],
                        "code_label": labels.get(r["code_id"]) if r["code_id"] else None,
                        "author": r["author"],
                        "title": r["title"],
                        "text": r["text"],
                        "quote": None,
                        "start": None,
                        "end": None,
                        "memo_id": r["id"],
                        "coding_id": None,
                        "version": r["version"],
                        "created_at": r["created_at"],
                        "updated_at": r["updated_at"],
                    }
                )
        if wanted is None or "coding" in wanted:
            for r in self.store.coding_memo_rows(self.actor, author=author, document=document, code=code):
                rows.append(
                    {
                        "kind": "coding",
                        "document": r["document"],
                        "code": r["code_id"],
                        "code_label": labels.get(r["code_id"]),
                        "author": r["annotator"],
                        "title": "",
                        "text": r["memo"],
                        "quote": r["quote"],
                        "start": r["start_pos"],
                        "end": r["end_pos"],
                        "memo_id": None,
                        "coding_id": r["id"],
                        "version": r["version"],
                        "created_at": r["created_at"],
                        "updated_at": r["updated_at"],
                    }
                )
        frame = pd.DataFrame(rows, columns=MEMO_COLUMNS)
        for column in ("start", "end", "memo_id", "coding_id"):
            frame[column] = frame[column].astype("Int64")
        return frame

    def memo_counts(self, document: str) -> dict[str, int]:
        """How many memos the acting user may see on one interview: ``{"document": n, "coding": n}``
        (its document memos; its codings with a memo)."""
        return self.store.memo_counts(self.actor, document)

    def memo_counts_by_document(self) -> dict[str, dict[str, int]]:
        """:meth:`memo_counts` for every interview that has a memo (e.g. for the interview picker)."""
        return self.store.memo_counts_by_document(self.actor)

    def document_memos(self, document: str) -> list[dict[str, Any]]:
        """The memos of one interview (not its coding memos), oldest first."""
        return self.store.memo_rows(self.actor, kinds=["document"], document=document)

    def code_memos(self, code: str) -> list[dict[str, Any]]:
        """The memos of one code or theme, oldest first."""
        return self.store.memo_rows(self.actor, kinds=["code"], code=code)

    def project_memos(self) -> list[dict[str, Any]]:
        """The project memos, oldest first."""
        return self.store.memo_rows(self.actor, kinds=["project"])

    def _memo_code_labels(self) -> dict[str, str]:
        try:
            codebook = self.codebook
        except QualcodeError:  # a broken codebook.yaml must not hide the memos: ids are shown instead
            return {}
        labels = {tid: t.label for tid, t in codebook.themes.items()}
        labels.update({cid: c.label for cid, c in codebook.codes.items()})
        labels.update({xid: x.label for xid, x in codebook.cross_cutting.items()})
        return labels


__all__ = ["MEMO_COLUMNS", "MemosMixin"]
