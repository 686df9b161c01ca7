"""Project reads for the workbench's Code page (see :mod:`qualcode.store.workbench`)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..store import Actor, Store


class WorkbenchMixin:
    store: Store
    actor: Actor

    def document_codings_view(self, document: str, annotators: Sequence[str] | None = None) -> pd.DataFrame:
        """One document's codings that the acting user may see, of ``annotators`` (None = all
        visible): the frame of ``document_codings``, read by the document index and built
        column by column (the Code page reads it on every rerun)."""
        return self.store.document_codings_frame(self.actor, document, annotators)

    def only_codings_added_since(self, version: int, ids: Sequence[int]) -> int | None:
        """The data version now when nothing but the addition of the codings ``ids`` was written
        after ``version`` (a frame read then plus these rows is the frame now), else None."""
        return self.store.only_codings_added_since(version, ids)

    def document_codings_by_id(
        self, document: str, ids: Sequence[int], annotators: Sequence[str] | None
    ) -> pd.DataFrame:
        """The rows of :meth:`document_codings_view` for the codings ``ids`` only."""
        return self.store.document_codings_frame(self.actor, document, annotators, ids=ids)

    def interview_choices(self) -> list[tuple[str, str | None, str | None]]:
        """``(document, participant id, participant label)`` of every interview, by name."""
        return self.store.interview_choices()


__all__ = ["WorkbenchMixin"]
