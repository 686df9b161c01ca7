"""Reading the project's data as the acting user may see it (blind mode applies)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..errors import CodingError, Problem, did_you_mean, valid_list
from ..frames import AnalysisData
from .access import AccessMixin


class ReadingMixin(AccessMixin):
    def document_names(self) -> list[str]:
        return self.store.document_names()

    def document_text(self, name: str) -> str | None:
        return self.store.document_text(name)

    def document_row(self, name: str) -> dict[str, Any] | None:
        return self.store.document_row(name)

    def document_sha(self, name: str) -> str | None:
        """The SHA-256 of a stored document's text (None: no such document)."""
        return self.store.document_sha(name)

    def documents_frame(self) -> pd.DataFrame:
        return self.store.documents_frame()

    def participants_frame(self) -> pd.DataFrame:
        return self.store.participants_frame()

    def segments_frame(self, documents: Sequence[str] | None = None) -> pd.DataFrame:
        return self.store.segments_frame(documents)

    def detached_frame(self) -> pd.DataFrame:
        return self.store.detached_frame()

    def codings_frame(
        self, annotators: Sequence[str] | None = None, documents: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Codings the acting user may see (blind mode applies)."""
        return self.store.codings_frame(self.actor, annotators, documents)

    def document_codings(self, document: str, annotators: Sequence[str] | None = None) -> pd.DataFrame:
        """One document's codings that the acting user may see, of ``annotators`` (None = all visible).

        When the user may see everyone, the annotator filter is applied here rather than in SQL:
        filtering by document alone lets the database use the document index (a big project has
        hundreds of thousands of codings per annotator).
        """
        if self.visible_annotators() is None:
            frame = self.codings_frame(documents=[document])
            if annotators is not None:
                frame = frame.loc[frame["annotator"].isin(annotators)].reset_index(drop=True)
            return frame
        return self.codings_frame(annotators=annotators, documents=[document])

    def analysis_data(self, annotators: Sequence[str] | None = None) -> AnalysisData:
        """Everything reports need, as the current user may see it (blind mode applies)."""
        return self.store.analysis_data(self.actor, self.codebook, annotators)

    def check_annotators(self, annotators: Sequence[str] | None) -> list[str] | None:
        """Refuse annotator names with no codings (a typo would otherwise give a table of zeros)."""
        if not annotators:
            return None
        known = sorted(self.store.counts()["codings_by_annotator"])
        missing = [a for a in annotators if a not in known]
        if missing:
            raise CodingError(
                Problem(
                    f"No codings by {', '.join(repr(m) for m in missing)}.",
                    field="annotators",
                    hint=(did_you_mean(missing[0], known) or "") + f" Annotators with codings: {valid_list(known)}.",
                )
            )
        return list(annotators)
