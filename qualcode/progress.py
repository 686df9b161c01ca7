"""Coding progress: how many segments (sentences, paragraphs, turns) an annotator has coded.

A segment counts as coded when any of the annotator's codings overlaps it.  The Code page
shows this for the open interview, the Interviews page for every interview.

>>> import pandas as pd
>>> segments = pd.DataFrame({"start": [0, 10, 20], "end": [10, 20, 30]})
>>> codings = pd.DataFrame({"start": [12], "end": [25]})
>>> coded_segments(segments, codings).tolist()
[False, True, True]
>>> segment_progress(segments, codings)
(2, 3)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .frames import AnalysisData


def coded_segments(segments: pd.DataFrame, codings: pd.DataFrame) -> np.ndarray:
    """Boolean per segment: does any coding overlap it?"""
    if segments.empty:
        return np.zeros(0, dtype=bool)
    if codings.empty:
        return np.zeros(len(segments), dtype=bool)
    seg_s, seg_e = segments["start"].to_numpy(), segments["end"].to_numpy()
    order = np.argsort(codings["start"].to_numpy(), kind="stable")
    c_s = codings["start"].to_numpy()[order]
    c_e = np.maximum.accumulate(codings["end"].to_numpy()[order])
    # The codings starting before a segment's end: does the furthest of them reach past its start?
    k = np.searchsorted(c_s, seg_e, side="left")
    reach = np.where(k > 0, c_e[np.maximum(k - 1, 0)], -1)
    return reach > seg_s


def segment_progress(segments: pd.DataFrame, codings: pd.DataFrame) -> tuple[int, int]:
    """(coded, total) segments of one document."""
    return int(coded_segments(segments, codings).sum()), len(segments)


def progress_table(data: AnalysisData, annotator: str, unit: str) -> pd.DataFrame:
    """Per interview: how many segments of ``unit`` the annotator has coded (any overlap)."""
    segments = data.segments.loc[data.segments["kind"] == unit]
    codings = data.codings.loc[data.codings["annotator"] == annotator]
    by_doc_codings = dict(tuple(codings.groupby("document"))) if not codings.empty else {}
    by_doc_segments = dict(tuple(segments.groupby("document"))) if not segments.empty else {}
    rows = []
    for name in data.documents["document"]:
        segs = by_doc_segments.get(name, segments.iloc[0:0])
        coded, total = segment_progress(segs, by_doc_codings.get(name, codings.iloc[0:0]))
        rows.append(
            {
                "document": name,
                f"{unit}s": total,
                "coded": coded,
                "uncoded": total - coded,
                "share": coded / total if total else 0.0,
            }
        )
    return pd.DataFrame(rows, columns=["document", f"{unit}s", "coded", "uncoded", "share"])


__all__ = ["coded_segments", "progress_table", "segment_progress"]
