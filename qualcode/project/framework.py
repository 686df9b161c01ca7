"""The framework matrix on a project: the matrix of the pooled codings and the team's summaries.

:class:`FrameworkMixin` is one of :class:`~qualcode.project.Project`'s bases (and of the export
room, whose workbook, appendix and REFI-QDA export carry the summaries).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import Problem, QualcodeError, did_you_mean, valid_list
from ..framework import join_hint
from .reading import ReadingMixin

if TYPE_CHECKING:  # pragma: no cover
    from ..frames import AnalysisData
    from ..framework import FrameworkMatrix


class FrameworkMixin(ReadingMixin):
    """``framework()``, ``framework_summaries()``, ``set_framework_summary()`` …"""

    def framework_summaries(self) -> pd.DataFrame:
        """Every stored summary the acting user may see (none for annotators during blind coding)."""
        return self.store.framework_summaries(self.actor)

    def framework(
        self,
        *,
        level: str = "theme",
        annotators: Sequence[str] | None = None,
        data: AnalysisData | None = None,
        **options: Any,
    ) -> FrameworkMatrix:
        """The framework matrix (qualcode.framework.framework_matrix) of the codings the count
        reports count (consensus where it exists, else the human annotators; or ``annotators``),
        with the stored summaries.  ``data``: the analysis bundle when already loaded."""
        from ..framework import check_level, framework_matrix

        check_level(level)
        return framework_matrix(
            self.analysis_data() if data is None else data,
            level=level,
            annotators=self.check_annotators(annotators),
            summaries=self.framework_summaries(),
            **options,
        )

    def resolve_participant(self, value: str) -> str:
        """A participant id from its id or its label ("A" or "Expert (A)", any case)."""
        frame = self.participants_frame()
        ids = [str(p) for p in frame["participant"]]
        labels = {str(lbl).casefold(): str(p) for p, lbl in zip(frame["participant"], frame["label"])}
        if value in ids:
            return value
        found = labels.get(value.casefold()) or next((p for p in ids if p.casefold() == value.casefold()), None)
        if found is not None:
            return found
        raise QualcodeError(
            Problem(
                f"Participant '{value}' does not exist.",
                field="participant",
                hint=join_hint(
                    did_you_mean(value, ids + [str(x) for x in frame["label"]]),
                    (f" Participants (id or label): {valid_list(ids)}." if ids else " Import interviews first."),
                ),
            )
        )

    def resolve_theme(self, value: str) -> str:
        """A theme id from its id or its label (any case)."""
        themes = self.codebook.themes
        if value in themes:
            return value
        for theme_id, theme in themes.items():
            if value.casefold() in (theme_id.casefold(), theme.label.casefold()):
                return theme_id
        raise QualcodeError(
            Problem(
                f"Theme '{value}' is not in the codebook.",
                field="theme",
                hint=join_hint(
                    did_you_mean(value, list(themes) + [t.label for t in themes.values()]),
                    f" Themes (id or label): {valid_list(list(themes))}.",
                ),
            )
        )

    def set_framework_summary(
        self, participant: str, theme: str, text: str, *, expected_version: int | None = None
    ) -> dict[str, Any]:
        """Write (blank ``text``: clear) the team's summary of one cell, audited.  ``participant`` and
        ``theme`` are ids or labels.  ``expected_version``: the version the caller showed (0: none);
        a cell changed since by someone else raises ConflictError and nothing is written.
        Annotators and up; during blind coding supervisors and admins only."""
        pid = self.resolve_participant(participant)
        tid = self.resolve_theme(theme)
        result = self.store.set_framework_summary(self.actor, pid, tid, text, expected_version=expected_version)
        return {**result, "participant": pid, "theme": tid}

    def import_framework_summaries(self, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """Summaries read from a REFI-QDA file (``RefiProject.framework_summaries``), authors and
        times kept (supervisors and admins); returns what was imported and what was skipped."""
        self.require("supervisor", "import framework summaries")
        if not rows:
            return {"imported": 0, "skipped": []}
        return self.store.import_framework_summaries(self.actor, rows)

    def framework_summary_history(self, participant: str, theme: str) -> pd.DataFrame:
        """Every audited change of one cell's summary, oldest first."""
        return self.store.framework_summary_history(
            self.actor, self.resolve_participant(participant), self.resolve_theme(theme)
        )

    def framework_notes(self) -> list[dict[str, Any]]:
        """The stored summaries with labels, for exports (REFI-QDA Notes): participant, participant
        label, theme, theme label, text, created/updated by and at."""
        frame = self.framework_summaries()
        if not len(frame):
            return []
        parts = self.participants_frame()
        plabel = dict(zip(parts["participant"].astype(str), parts["label"].astype(str)))
        themes = self.codebook.themes
        out = []
        for r in frame.to_dict("records"):
            theme = themes.get(str(r["theme_id"]))
            out.append(
                {
                    "participant": str(r["participant_id"]),
                    "participant_label": plabel.get(str(r["participant_id"]), str(r["participant_id"])),
                    "theme": str(r["theme_id"]),
                    "theme_label": theme.label if theme is not None else str(r["theme_id"]),
                    "text": str(r["text"]),
                    "created_by": str(r["created_by"]),
                    "created_at": str(r["created_at"]),
                    "updated_by": str(r["updated_by"]),
                    "updated_at": str(r["updated_at"]),
                }
            )
        return out


__all__ = ["FrameworkMixin"]
