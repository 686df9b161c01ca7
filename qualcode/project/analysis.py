"""Analyses that need more than the analysis bundle: saturation, the consolidation trail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .reading import ReadingMixin

if TYPE_CHECKING:
    from ..frames import AnalysisData


class AnalysisMixin(ReadingMixin):
    def saturation(
        self, *, annotators: Sequence[str] | None = None, data: AnalysisData | None = None, **options: Any
    ) -> Any:
        """The saturation report (qualcode.saturation.saturation_report) on the codings the count
        reports count (consensus where it exists, else the human annotators; or ``annotators``).
        ``data``: the analysis bundle the caller already holds (``self.analysis_data()``)."""
        from ..reports import pool
        from ..saturation import saturation_report

        bundle = self.analysis_data() if data is None else data
        data, pooling = pool(bundle, self.check_annotators(annotators))
        return saturation_report(data, pooled=pooling.text, **options)

    def consolidation_trail(self) -> Any:
        """Every merge so far (oldest first), in report form (see qualcode.consolidation)."""
        from .. import consolidation

        raw = self.store.merge_trail()
        labels = {cid: c.label for cid, c in self.codebook.codes.items()}
        return consolidation.trail_frame(raw, labels)

    def consolidation_summary(self, annotators: Sequence[str] | None = None) -> dict[str, Any]:
        """Applications before → unique codes after → codes used (see qualcode.consolidation)."""
        from .. import consolidation

        return consolidation.summary(self.analysis_data(annotators), self.consolidation_trail())
