"""Suggestion queue for one annotator: the assistants' proposals minus what they already decided.

Nothing here codes behind anyone's back: :func:`accept` stores a coding (origin
``suggestion-accepted``) only when a person names the suggestion, and :func:`reject`
remembers a "no" so the same proposal is not shown again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar

import pandas as pd

from .errors import CodingError, did_you_mean

SOURCES = ("patterns", "model")


class _Span(Protocol):
    @property
    def document(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def code(self) -> str: ...


T = TypeVar("T", bound=_Span)


def suggestion_id(source: str, document: str, start: int, end: int, code: str) -> str:
    """A short stable id, e.g. ``p-1a2b3c4d`` (pattern) or ``m-…`` (model)."""
    digest = hashlib.sha1(f"{document}\x1f{start}\x1f{end}\x1f{code}".encode()).hexdigest()[:8]
    return f"{source[0]}-{digest}"


def undecided_mask(project: Any, spans: Iterable[tuple[str, int, int, str]]) -> list[bool]:
    """For each ``(document, start, end, code)``: True while the acting user has neither accepted
    nor rejected that suggestion (the one rule behind the CLI queue and the Code page)."""
    decided = project.suggestion_decisions_frame()
    keys = set(zip(decided["document"], decided["start"], decided["end"], decided["code"]))
    return [(d, int(s), int(e), c) not in keys for d, s, e, c in spans]


def undecided(project: Any, suggestions: Iterable[T]) -> list[T]:
    """The suggestions (objects with ``document``, ``start``, ``end``, ``code``) still open for the acting user."""
    items = list(suggestions)
    keep = undecided_mask(project, ((sg.document, sg.start, sg.end, sg.code) for sg in items))
    return [sg for sg, ok in zip(items, keep) if ok]


def queue(
    project: Any,
    source: str = "patterns",
    *,
    documents: Sequence[str] | None = None,
    top_k: int = 3,
    order: str = "document",
) -> pd.DataFrame:
    """Open suggestions for the project's current user (blind mode respected: only their codings are used)."""
    from .assist import SuggestionModel, pattern_suggestions

    if source not in SOURCES:
        raise CodingError(f"Unknown suggestion source '{source}'.", hint=f"Use one of {', '.join(SOURCES)}.")
    annotator = project.actor.name
    data = project.analysis_data(annotators=[annotator])
    if source == "patterns":
        frame = pattern_suggestions(data, annotator=annotator, documents=documents)
    else:
        training = project.analysis_data()  # all codings the user may see
        model = SuggestionModel(seed=0).fit(training)
        frame = model.suggest(data, annotator=annotator, top_k=top_k, order=order, documents=documents)
    if frame.empty:
        frame = frame.assign(suggestion_id=pd.Series(dtype=str))
    else:
        frame = frame.assign(
            suggestion_id=[
                suggestion_id(source, d, int(s), int(e), c)
                for d, s, e, c in zip(frame["document"], frame["start"], frame["end"], frame["code"])
            ]
        )
    if len(frame):
        frame = frame.loc[undecided_mask(project, zip(frame["document"], frame["start"], frame["end"], frame["code"]))]
    cols = ["suggestion_id"] + [c for c in frame.columns if c != "suggestion_id"]
    return frame[cols].reset_index(drop=True)


def _find(frame: pd.DataFrame, ids: Iterable[str]) -> list[pd.Series]:
    rows = []
    known = list(frame["suggestion_id"]) if len(frame) else []
    for sid in ids:
        hit = frame[frame["suggestion_id"] == sid] if len(frame) else frame
        if hit.empty:
            raise CodingError(
                f"No open suggestion '{sid}'.",
                hint=(did_you_mean(sid, known) or "") + " List them with 'qualcode suggest patterns' (or 'model').",
            )
        rows.append(hit.iloc[0])
    return rows


def accept(
    project: Any, ids: Sequence[str], *, code: str | None = None, documents: Sequence[str] | None = None
) -> list[int]:
    """Turn the named suggestions into codings (optionally with another code) and record the decision."""
    source = "model" if all(i.startswith("m-") for i in ids) else "patterns"
    rows = _find(queue(project, source, documents=documents), ids)
    new_ids = []
    for row in rows:
        chosen = project.codebook.resolve(code) if code else row["code"]
        if chosen is None:
            raise CodingError(f"Unknown code '{code}'.", hint=did_you_mean(code or "", project.codebook.codes))
        cid = project.decide_suggestion(
            row["document"],
            int(row["start"]),
            int(row["end"]),
            row["code"],
            source,
            "accepted",
            chosen_code=chosen,
            memo=str(row.get("reason", "")),
        )
        new_ids.append(cid)
    return new_ids


def reject(project: Any, ids: Sequence[str], *, documents: Sequence[str] | None = None) -> int:
    source = "model" if all(i.startswith("m-") for i in ids) else "patterns"
    rows = _find(queue(project, source, documents=documents), ids)
    for row in rows:
        project.decide_suggestion(row["document"], int(row["start"]), int(row["end"]), row["code"], source, "rejected")
    return len(rows)


__all__ = ["queue", "accept", "reject", "suggestion_id", "undecided", "undecided_mask", "SOURCES"]
