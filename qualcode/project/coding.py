"""Writing codings and documents: add, edit, delete, suggestions decided, consensus saved."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from ..model import Coding, ParsedDocument
from ..store import CONSENSUS
from .core import ProjectCore


class CodingMixin(ProjectCore):
    def add_coding(
        self,
        document: str,
        start: int,
        end: int,
        code: str,
        *,
        memo: str = "",
        origin: str = "manual",
        annotator: str | None = None,
    ) -> int:
        code_id = self.codebook.resolve(code) or code
        return self.store.add_coding(
            self.actor, Coding(document, start, end, code_id, annotator or self.actor.name, memo, origin)
        )

    def update_coding(self, coding_id: int, **changes: Any) -> int:
        return self.store.update_coding(self.actor, coding_id, **changes)

    def delete_coding(self, coding_id: int) -> None:
        self.store.delete_coding(self.actor, coding_id)

    def add_codings(
        self,
        items: Sequence[Coding],
        *,
        rows: Sequence[int | None] | None = None,
        source: str | None = None,
        source_sha256: str | None = None,
        skip_existing: bool = True,
    ) -> list[int]:
        """Add codings in one transaction (all or nothing); returns the new ids."""
        return self.store.add_codings(
            self.actor, items, rows=rows, source=source, source_sha256=source_sha256, skip_existing=skip_existing
        )

    def upsert_document(
        self, doc: ParsedDocument, *, source: str | None = None, source_sha256: str | None = None
    ) -> dict[str, Any]:
        """Insert or replace one document (codings of a changed text are re-anchored or detached)."""
        return self.store.upsert_document(self.actor, doc, source=source, source_sha256=source_sha256)

    def coding(self, coding_id: int) -> dict[str, Any] | None:
        """One coding's row, if the acting user may see it."""
        return self.store.get_coding(self.actor, coding_id)

    def decide_suggestion(
        self,
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
        """Accept (stores the coding) or reject a suggestion in one transaction; the coding id."""
        return self.store.decide_suggestion(
            self.actor, document, start, end, code, source, decision, chosen_code=chosen_code, memo=memo
        )

    def suggestion_decisions_frame(self) -> pd.DataFrame:
        """The acting user's accepted and rejected suggestions."""
        return self.store.suggestion_decisions_frame(self.actor)

    def save_consensus(self, codings: Iterable[Coding]) -> list[int]:
        """Store adjudicated codings under the annotator 'consensus' (supervisors only)."""
        self.store.require(self.actor, "supervisor", "adjudicate disagreements")
        items = [Coding(c.document, c.start, c.end, c.code, CONSENSUS, c.memo, "adjudicated") for c in codings]
        return self.store.add_codings(self.actor, items)
