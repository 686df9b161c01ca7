"""The analysis bundle: everything reports, agreement, exports and assistants read.

Reports are pure functions of an :class:`AnalysisData`; the project/store layer builds
one from the database (``Project.analysis_data()``), tests build small ones by hand
with :func:`make_analysis_data`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .model import Codebook, Coding, ParsedDocument, Participant

PARTICIPANT_COLUMNS = ["participant", "label"]  # + one column per attribute
DOCUMENT_COLUMNS = ["document", "participant", "length", "language"]
SEGMENT_COLUMNS = ["segment_id", "document", "kind", "start", "end", "speaker"]
CODING_COLUMNS = [
    "coding_id",
    "document",
    "participant",
    "start",
    "end",
    "code",
    "annotator",
    "memo",
    "origin",
    "created_at",
    "quote",
]
# Document, code and project memos (a coding's memo is its ``memo`` column); ``target`` is the
# document name or code id (None for a project memo).
MEMO_COLUMNS = ["memo_id", "kind", "target", "author", "title", "text", "created_at", "updated_at"]


def empty_memos() -> pd.DataFrame:
    return pd.DataFrame(columns=MEMO_COLUMNS)


def is_missing(value: object) -> bool:
    """True for None, NaN, NaT and pandas NA; False for everything else (lists and strings too).

    >>> [is_missing(v) for v in (None, float("nan"), pd.NaT, "", 0, [1])]
    [True, True, True, False, False, False]
    """
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-likes: pd.isna is element-wise
        return False


@dataclass
class AnalysisData:
    codebook: Codebook
    participants: pd.DataFrame
    documents: pd.DataFrame
    segments: pd.DataFrame
    codings: pd.DataFrame
    texts: Mapping[str, str] = field(default_factory=dict)  # document name -> text
    memos: pd.DataFrame = field(default_factory=empty_memos)  # MEMO_COLUMNS, as the user may read them

    def participant_label(self, pid: str) -> str:
        row = self.participants.loc[self.participants["participant"] == pid]
        return str(row["label"].iloc[0]) if len(row) else str(pid)

    def with_annotators(self, annotators: Iterable[str] | None) -> AnalysisData:
        """A copy restricted to the given annotators (None keeps all)."""
        if annotators is None:
            return self
        keep = self.codings["annotator"].isin(list(annotators))
        return AnalysisData(
            self.codebook,
            self.participants,
            self.documents,
            self.segments,
            self.codings.loc[keep].reset_index(drop=True),
            self.texts,
            self.memos,
        )


def make_analysis_data(
    codebook: Codebook, documents: Iterable[ParsedDocument], codings: Iterable[Coding]
) -> AnalysisData:
    """Build an AnalysisData in memory (tests, notebooks, benchmarks)."""
    docs = list(documents)
    documents_df = pd.DataFrame(
        [
            {
                "document": d.name,
                "participant": d.participant.id if d.participant else None,
                "length": len(d.text),
                "language": d.language,
            }
            for d in docs
        ],
        columns=DOCUMENT_COLUMNS,
    )
    texts = {d.name: d.text for d in docs}
    return AnalysisData(
        codebook, _participant_frame(docs), documents_df, _segment_frame(docs), _coding_frame(docs, codings), texts
    )


def _participant_frame(docs: list[ParsedDocument]) -> pd.DataFrame:
    """The documents' participants (first seen wins), with every attribute any of them has."""
    parts: dict[str, Participant] = {}
    for d in docs:
        if d.participant is not None:
            parts.setdefault(d.participant.id, d.participant)
    attr_keys: list[str] = []
    for p in parts.values():
        for k in p.attributes:
            if k not in attr_keys and k not in PARTICIPANT_COLUMNS:
                attr_keys.append(k)
    return pd.DataFrame(
        [
            {"participant": p.id, "label": p.label, **{k: p.attributes.get(k) for k in attr_keys}}
            for p in parts.values()
        ],
        columns=PARTICIPANT_COLUMNS + attr_keys,
    )


def _segment_frame(docs: list[ParsedDocument]) -> pd.DataFrame:
    """Every document's segments, numbered from 1."""
    seg_rows: list[dict[str, Any]] = []
    for d in docs:
        for s in d.segments:
            seg_rows.append(
                {
                    "segment_id": len(seg_rows) + 1,
                    "document": d.name,
                    "kind": s.kind,
                    "start": s.start,
                    "end": s.end,
                    "speaker": s.speaker,
                }
            )
    return pd.DataFrame(seg_rows, columns=SEGMENT_COLUMNS)


def _coding_frame(docs: list[ParsedDocument], codings: Iterable[Coding]) -> pd.DataFrame:
    """The codings numbered from 1, with their participant and quote (from the text when not given)."""
    doc_part = {d.name: (d.participant.id if d.participant else None) for d in docs}
    texts = {d.name: d.text for d in docs}
    rows = []
    for i, c in enumerate(codings, start=1):
        rows.append(
            {
                "coding_id": i,
                "document": c.document,
                "participant": doc_part.get(c.document),
                "start": c.start,
                "end": c.end,
                "code": c.code,
                "annotator": c.annotator,
                "memo": c.memo,
                "origin": c.origin,
                "created_at": c.created_at,
                "quote": c.quote if c.quote is not None else texts.get(c.document, "")[c.start : c.end],
            }
        )
    codings_df = pd.DataFrame(rows, columns=CODING_COLUMNS)
    for col in ("start", "end", "coding_id"):
        codings_df[col] = codings_df[col].astype("int64")
    return codings_df


__all__ = [
    "AnalysisData",
    "make_analysis_data",
    "PARTICIPANT_COLUMNS",
    "DOCUMENT_COLUMNS",
    "SEGMENT_COLUMNS",
    "CODING_COLUMNS",
]
