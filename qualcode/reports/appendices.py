"""The appendix tables: the quote table (Appendix B) and the participant table (Appendix A)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..arrays import runs
from ..frames import AnalysisData
from .coded import _coded, _first_rows, _key_stats, _labels
from .phrases import _label_parts, natural_key
from .pooling import EXCERPT_UNIT, _attrs


def speaker_name(label: str) -> str:
    """The quote prefix for a participant label: "Expert (A)" → "Expert A".

    >>> speaker_name("Expert (A)"), speaker_name("Dr Smith")
    ('Expert A', 'Dr Smith')
    """
    noun, tag = _label_parts(label)
    if tag is None:
        return str(label)
    return f"{noun} {tag}" if noun else tag


def quote_table(
    data: AnalysisData, annotators: Iterable[str] | None = None, max_quotes: int | None = None
) -> pd.DataFrame:
    """Appendix B ("Codebook") form: one row per code in codebook order.

    Columns: theme (main theme label), sub_theme (labels of the deeper themes, " > "
    joined; "" for codes directly under a main theme), code (id), label, quotes (distinct
    excerpts as ``Expert A: '…'``, participants in natural order then document and
    position, blank line between quotes, at most ``max_quotes``), codings, excerpts,
    experts ("A,B").
    """
    x = _coded(data, annotators)
    idx, cb = x.idx, x.data.codebook
    n = len(idx.code_order)
    stats = _key_stats(x.code, x.span, x.part, n, x)
    first_rows = _first_rows(x.code * max(x.n_spans, 1) + x.span)
    doc_rank = np.zeros(len(x.doc_names), dtype=np.int64)
    doc_rank[sorted(range(len(x.doc_names)), key=lambda i: natural_key(x.doc_names[i]))] = np.arange(len(x.doc_names))
    r = first_rows
    part_key = np.where(x.part[r] >= 0, x.part[r], len(x.parts))
    order = r[np.lexsort((x.end[r], x.start[r], doc_rank[x.doc[r]] if len(r) else r, part_key, x.code[r]))]
    codes_sorted = x.code[order]
    if max_quotes is not None and len(order):
        group_start = np.searchsorted(codes_sorted, codes_sorted, side="left")
        sel = (np.arange(len(order)) - group_start) < max_quotes
        order, codes_sorted = order[sel], codes_sorted[sel]
    c = x.data.codings
    quotes = c["quote"].iloc[order].astype(object).where(c["quote"].iloc[order].notna(), "").astype(str)
    text = quotes.str.replace(r"\s+", " ", regex=True).str.strip().to_numpy(dtype=object)
    labels = _labels(x.data)
    speaker = np.array([speaker_name(labels.get(p, p)) for p in x.parts] + ["Unknown"], dtype=object)
    who = speaker[np.where(x.part[order] >= 0, x.part[order], len(x.parts))]
    lines = [f"{w}: '{t}'" for w, t in zip(who, text)]
    joined = [""] * n
    if len(order):
        for s, e in zip(*runs(codes_sorted)):
            joined[int(codes_sorted[s])] = "\n\n".join(lines[s:e])
    rows = []
    for code in idx.code_order:
        path = idx.code_path[code]
        rows.append(
            {
                "theme": cb.themes[path[0]].label if path else "",
                "sub_theme": " > ".join(cb.themes[t].label for t in path[1:]),
                "code": code,
                "label": idx.code_label[code],
            }
        )
    out = pd.DataFrame(rows, columns=["theme", "sub_theme", "code", "label"])
    out["quotes"] = joined
    for col in ("codings", "excerpts", "experts"):
        out[col] = stats[col]
    return _attrs(
        out,
        EXCERPT_UNIT + " (quotes are distinct excerpts)",
        "Codebook with example quotes (thesis Appendix B).",
        pooling=x.pooling,
    )


PARTICIPANT_TABLE_COLUMNS = [
    "participant",
    "label",
    "role",
    "organisation",
    "organisation_type",
    "date",
    "place",
    "mode",
]


def participant_table(data: AnalysisData) -> pd.DataFrame:
    """Appendix A ("List of interviewees") form, natural order of participant ids.

    Columns: participant, label, role, organisation, organisation_type, date, place, mode
    (empty when the attribute is not recorded), then any other participant attributes,
    then documents (number of documents of the participant).
    """
    p = data.participants.copy()
    p["participant"] = p["participant"].astype(str)
    for col in PARTICIPANT_TABLE_COLUMNS:
        if col not in p.columns:
            p[col] = ""
    extra = [c for c in p.columns if c not in PARTICIPANT_TABLE_COLUMNS]
    p = p[PARTICIPANT_TABLE_COLUMNS + extra]
    p = p.astype(object).where(p.notna(), "")
    docs = data.documents["participant"].dropna().astype(str).value_counts()
    p["documents"] = p["participant"].map(docs).fillna(0).astype("int64")
    p = p.iloc[sorted(range(len(p)), key=lambda i: natural_key(p["participant"].iloc[i]))]
    p = p.reset_index(drop=True)
    return _attrs(p, "participant", "List of interviewees (thesis Appendix A).", uncoded="not applicable")
