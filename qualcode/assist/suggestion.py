"""The suggestion record a person accepts or rejects.

The assistants return DataFrames; :func:`suggestions_from_frame` turns their rows into
:class:`Suggestion` records.  Accepting one is the project layer's job: it calls
:meth:`Suggestion.to_coding` with the person's name and stores the result.  The library
never turns a suggestion into a coding by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..model import Coding


@dataclass(frozen=True)
class Suggestion:
    """A proposed coding of ``document[start:end]`` with ``code``, and why."""

    document: str
    start: int
    end: int
    code: str
    source: str  # "pattern" or "model"
    reason: str
    score: float = 1.0  # 1.0 for patterns, the model's probability otherwise
    participant: str | None = None
    code_label: str = ""
    text: str | None = None  # the suggested unit's text
    matched_text: str | None = None  # what the pattern matched (patterns only)

    def to_coding(self, annotator: str, *, created_at: str | None = None) -> Coding:
        """The coding to store once ``annotator`` accepts this suggestion.

        >>> s = Suggestion("expert_A", 0, 12, "transit_country", "pattern", "pattern 'transit' (phrase) matched 'transit'")
        >>> c = s.to_coding("dana")
        >>> (c.code, c.annotator, c.origin, c.memo)
        ('transit_country', 'dana', 'suggestion-accepted', "pattern 'transit' (phrase) matched 'transit'")
        """
        return Coding(
            document=self.document,
            start=self.start,
            end=self.end,
            code=self.code,
            annotator=annotator,
            memo=self.reason,
            origin="suggestion-accepted",
            quote=self.text,
            created_at=created_at,
        )


def suggestions_from_frame(frame: pd.DataFrame) -> list[Suggestion]:
    """Suggestion records from a pattern or model suggestion DataFrame."""
    out = []
    for row in frame.to_dict("records"):
        score = row.get("score", row.get("confidence", 1.0))
        out.append(
            Suggestion(
                document=str(row["document"]),
                start=int(row["start"]),
                end=int(row["end"]),
                code=str(row["code"]),
                source=str(row.get("source", "")),
                reason=str(row.get("reason", "")),
                score=float(score),
                participant=_opt_str(row.get("participant")),
                code_label=str(row.get("code_label", "")),
                text=_opt_str(row.get("text")),
                matched_text=_opt_str(row.get("matched_text")),
            )
        )
    return out


def _opt_str(value: Any) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


__all__ = ["Suggestion", "suggestions_from_frame"]
