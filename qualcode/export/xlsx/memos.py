"""The Memos sheet: every memo of the project, one row each."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ...frames import AnalysisData
from .writing import _Sheet

MEMO_KIND_ORDER = {"project": 0, "document": 1, "code": 2, "coding": 3}


def memos_table(data: AnalysisData) -> pd.DataFrame:
    """Every memo in the bundle, one row each: the project's, each interview's, each code's and
    each coding's (a coding's memo with its quote).  Columns: kind, about (the interview, the
    code's label or "the project"), participant, code (label), quote, author, title, memo,
    created, updated."""
    cb = data.codebook
    labels = {tid: t.label for tid, t in cb.themes.items()}
    labels.update({cid: c.label for cid, c in cb.codes.items()})
    participant_of = dict(zip(data.documents["document"].astype(str), data.documents["participant"]))
    names = dict(zip(data.participants["participant"].astype(str), data.participants["label"].astype(str)))

    def participant(document: Any) -> str:
        pid = participant_of.get(str(document))
        return names.get(str(pid), str(pid)) if pid is not None and not pd.isna(pid) else ""

    rows: list[dict[str, Any]] = []
    for m in data.memos.itertuples(index=False):
        kind, target = str(m.kind), m.target
        about = "the project" if kind == "project" else str(target)
        code = labels.get(str(target), str(target)) if kind == "code" else ""
        rows.append(
            {
                "kind": kind,
                "about": code or about,
                "participant": participant(target) if kind == "document" else "",
                "code": code,
                "quote": "",
                "author": m.author,
                "title": m.title,
                "memo": m.text,
                "created": m.created_at,
                "updated": m.updated_at,
                "_order": (MEMO_KIND_ORDER[kind], about, str(m.created_at)),
            }
        )
    codings = data.codings
    if "memo" in codings.columns and len(codings):
        with_memo = codings.loc[codings["memo"].fillna("").astype(str).str.strip() != ""]
        for c in with_memo.itertuples(index=False):
            rows.append(
                {
                    "kind": "coding",
                    "about": str(c.document),
                    "participant": participant(c.document),
                    "code": labels.get(str(c.code), str(c.code)),
                    "quote": c.quote,
                    "author": c.annotator,
                    "title": "",
                    "memo": c.memo,
                    "created": c.created_at,
                    "updated": None,
                    "_order": (MEMO_KIND_ORDER["coding"], str(c.document), f"{int(c.start):012d}"),
                }
            )
    rows.sort(key=lambda r: r["_order"])
    columns = ["kind", "about", "participant", "code", "quote", "author", "title", "memo", "created", "updated"]
    return pd.DataFrame([{k: r[k] for k in columns} for r in rows], columns=columns)


def _memos_sheet(data: AnalysisData) -> _Sheet:
    df = memos_table(data)
    note = (
        "Memos: the project's, each interview's, each code's and each coding's (with the coded quote), "
        "one row each, as written in qualcode (Memos page, 'qualcode memo'). "
        + ("No memos yet." if df.empty else f"{len(df)} memo(s).")
    )
    return _Sheet(
        "Memos",
        df,
        note,
        headers=["Kind", "About", "Participant", "Code", "Quote", "Author", "Title", "Memo", "Created", "Updated"],
        wrap=["quote", "memo", "title"] if len(df) <= 2000 else [],
        max_width={"about": 30, "code": 30, "quote": 50, "title": 30, "memo": 70},
    )
