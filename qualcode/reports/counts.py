"""Counts per code and theme, expert consensus, the participant × theme matrix."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import Problem, QualcodeError, did_you_mean, valid_list
from ..frames import AnalysisData
from .coded import _coded, _distinct, _expand, _joined, _key_stats, _labels, _participant_order, _phrases
from .phrases import _natural_sorted, natural_key
from .pooling import EXCERPT_UNIT, _attrs


def code_frequencies(
    data: AnalysisData, annotators: Iterable[str] | None = None, by_annotator: bool = False
) -> pd.DataFrame:
    """One row per code (codebook tree order; codes used but missing from the codebook last).

    Columns: code, label, theme (immediate theme id), theme_path (labels "Main > Sub"),
    codings, excerpts, experts_n, experts, experts_phrase; with ``by_annotator`` also
    ``codings:<annotator>`` and ``excerpts:<annotator>`` for each annotator.
    """
    x = _coded(data, annotators)
    idx, cb = x.idx, x.data.codebook
    n = len(idx.code_order)
    out = pd.DataFrame(
        {
            "code": idx.code_order,
            "label": [idx.code_label[c] for c in idx.code_order],
            "theme": [idx.code_theme[c] for c in idx.code_order],
            "theme_path": [" > ".join(cb.themes[t].label for t in idx.code_path[c]) for c in idx.code_order],
        }
    )
    out = pd.concat([out, _key_stats(x.code, x.span, x.part, n, x)], axis=1)
    out["experts_phrase"] = _phrases(out["experts"], _labels(x.data))
    if by_annotator:
        for a in sorted(range(len(x.anns)), key=lambda i: natural_key(x.anns[i])):
            m = x.ann == a
            out[f"codings:{x.anns[a]}"] = np.bincount(x.code[m], minlength=n).astype(np.int64)
            ks, _ = _distinct(x.code[m], x.span[m], x.n_spans)
            out[f"excerpts:{x.anns[a]}"] = np.bincount(ks, minlength=n).astype(np.int64)
    return _attrs(
        out,
        EXCERPT_UNIT + "; codings = coding rows (one per annotator and code)",
        "Codings, distinct excerpts and experts per code.",
        pooling=x.pooling,
    )


def theme_table(data: AnalysisData, annotators: Iterable[str] | None = None) -> pd.DataFrame:
    """One row per theme and sub-theme (depth-first file order), then per cross-cutting theme.

    Columns: theme_id, theme (label), parent ("" for main themes), kind ("theme" |
    "cross_cutting"), depth (0 main, 1 sub-theme …; cross-cutting 0), excerpts (distinct
    spans coded with any code under the theme, any depth), codings, experts_n, experts
    ("A,B,F"), experts_phrase ("Experts (A,B,F)"), codes (distinct codes used),
    code_list (their ids in codebook order, comma-joined).
    """
    x = _coded(data, annotators)
    idx = x.idx
    n = len(idx.theme_rows)
    out = pd.DataFrame(idx.theme_rows, columns=["theme_id", "theme", "parent", "kind", "depth"])
    rows, theme = _expand(x.code, idx)
    stats = _key_stats(theme, x.span[rows], x.part[rows], n, x)
    tc, cc = _distinct(theme, x.code[rows], len(idx.code_order))
    out = pd.concat([out, stats], axis=1)
    out["experts_phrase"] = _phrases(out["experts"], _labels(x.data))
    out["codes"] = np.bincount(tc, minlength=n).astype(np.int64)
    out["code_list"] = _joined(tc, cc, idx.code_order, n)
    cols = [
        "theme_id",
        "theme",
        "parent",
        "kind",
        "depth",
        "excerpts",
        "codings",
        "experts_n",
        "experts",
        "experts_phrase",
        "codes",
        "code_list",
    ]
    return _attrs(
        out[cols],
        EXCERPT_UNIT + "; a span coded with several codes of one theme counts once for it",
        "Excerpts, codings, experts and codes per theme, sub-theme and cross-cutting theme.",
        pooling=x.pooling,
    )


def _check_by(by: str) -> None:
    if by not in ("code", "theme"):
        raise QualcodeError(Problem(f"Unknown grouping by='{by}'.", field="by", hint="Use 'code' or 'theme'."))


def consensus(
    data: AnalysisData, by: str = "code", attribute: str | None = None, annotators: Iterable[str] | None = None
) -> pd.DataFrame:
    """How many participants raised each code (``by="code"``) or theme (``by="theme"``).

    Columns: <by> (id), label, participants_n, share (participants_n divided by the
    number of participants with a document), participants ("A,B,F"), phrase (prose,
    e.g. "six Experts (A,B,C,D,E,F)").  With ``attribute`` (any participant attribute,
    e.g. "organisation_type") two more columns per attribute value v:
    ``<attribute>=<v>`` (count) and ``<attribute>=<v> ids``; participants without the
    attribute are grouped under "(not set)".  ``df.attrs["totals"]`` gives the number of
    participants with a document per value (and "all").
    """
    _check_by(by)
    parts_df = data.participants
    if attribute is not None and (attribute not in parts_df.columns or attribute in ("participant", "label")):
        known = [c for c in parts_df.columns if c not in ("participant", "label")]
        raise QualcodeError(
            Problem(
                f"Participant attribute '{attribute}' does not exist.",
                field="attribute",
                hint=did_you_mean(attribute, known) or f"Known attributes: {valid_list(known)}.",
            )
        )
    x = _coded(data, annotators)
    idx = x.idx
    with_docs = set(x.data.documents["participant"].dropna().astype(str))
    n_total = len(with_docs) or len(x.parts)
    if by == "code":
        key, part = x.code, x.part
        base = pd.DataFrame({"code": idx.code_order, "label": [idx.code_label[c] for c in idx.code_order]})
    else:
        rows, key = _expand(x.code, idx)
        part = x.part[rows]
        base = pd.DataFrame(
            {"theme": [r["theme_id"] for r in idx.theme_rows], "label": [r["theme"] for r in idx.theme_rows]}
        )
    n = len(base)
    m = part >= 0
    kp, pp = _distinct(key[m], part[m], len(x.parts))
    base["participants_n"] = np.bincount(kp, minlength=n).astype(np.int64)
    base["share"] = base["participants_n"] / n_total if n_total else 0.0
    base["participants"] = _joined(kp, pp, x.parts, n)
    base["phrase"] = _phrases(base["participants"], _labels(x.data), prose=True)
    totals: dict[str, int] = {"all": n_total}
    if attribute is not None:
        raw = parts_df.set_index(parts_df["participant"].astype(str))[attribute]
        ok = raw.notna() & (raw.astype(str).str.strip() != "")
        values = raw.astype(object).where(ok, "(not set)").astype(str)
        value_of = np.array([values.get(p, "(not set)") for p in x.parts], dtype=object)
        for v in _natural_sorted(set(values.unique()) | set(value_of)):
            sel = value_of[pp] == v if len(pp) else np.zeros(0, dtype=bool)
            base[f"{attribute}={v}"] = np.bincount(kp[sel], minlength=n).astype(np.int64)
            base[f"{attribute}={v} ids"] = _joined(kp[sel], pp[sel], x.parts, n)
            totals[v] = sum(1 for p in with_docs if values.get(p, "(not set)") == v)
    return _attrs(
        base,
        "participants (distinct interviewees with at least one excerpt)",
        f"Expert consensus per {by}: how many participants raised it.",
        uncoded="participants without codings count in the share's denominator",
        totals=totals,
        attribute=attribute,
        pooling=x.pooling,
    )


def _unique_names(ids: Sequence[str], names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    return [n if seen[n] == 1 else f"{n} ({i})" for i, n in zip(ids, names)]


def matrix(
    data: AnalysisData,
    by: str = "theme",
    level: int = 1,
    presence: bool = False,
    annotators: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Participants × themes (or codes): number of excerpts, or 0/1 presence.

    Rows: every participant with a document (labels as index, natural order of ids).
    Columns (labels; ids in ``df.attrs["column_ids"]``): with ``by="theme"`` the themes at
    ``level`` (0 main themes, 1 sub-themes …), codes sitting higher up count for their
    deepest theme; with ``by="code"`` every code.  A cell counts the distinct excerpts of
    that participant coded with any code under the column.
    """
    _check_by(by)
    x = _coded(data, annotators)
    idx, cb = x.idx, x.data.codebook
    if by == "code":
        col_ids = list(idx.code_order)
        names = [idx.code_label[c] for c in col_ids]
        col_of_code = np.arange(len(col_ids))
    else:
        target = {c: p[min(level, len(p) - 1)] for c, p in idx.code_path.items() if p}
        used = set(target.values())
        col_ids = [
            r["theme_id"]
            for r in idx.theme_rows
            if r["kind"] == "theme" and (r["depth"] == level or (r["theme_id"] in used and r["depth"] < level))
        ]
        pos = {t: i for i, t in enumerate(col_ids)}
        names = [cb.themes[t].label for t in col_ids]
        col_of_code = np.array([pos.get(target.get(c, ""), -1) for c in idx.code_order], dtype=np.int64)
    rows = _participant_order(x.data)
    row_of_part = np.array([rows.index(p) if p in rows else -1 for p in x.parts] + [-1], dtype=np.int64)
    col = col_of_code[x.code] if len(x.code) else x.code
    m = (col >= 0) & (x.part >= 0)
    cs, ss = _distinct(col[m], x.span[m], x.n_spans)
    span_row = np.full(x.n_spans + 1, -1, dtype=np.int64)
    span_row[x.span] = row_of_part[x.part]  # a span lies in one document, so one participant
    r = span_row[ss]
    counts = (
        np.bincount(r * len(col_ids) + cs, minlength=len(rows) * len(col_ids))
        if len(cs)
        else np.zeros(len(rows) * len(col_ids), dtype=np.int64)
    )
    counts = counts.reshape(len(rows), len(col_ids)).astype(np.int64)
    if presence:
        counts = (counts > 0).astype(np.int64)
    labels = _labels(x.data)
    out = pd.DataFrame(
        counts,
        index=pd.Index([labels.get(p, p) for p in rows], name="participant"),
        columns=pd.Index(_unique_names(col_ids, names), name=by),
    )
    what = "presence (1 = at least one excerpt)" if presence else EXCERPT_UNIT
    return _attrs(
        out,
        what,
        f"Participants × {'codes' if by == 'code' else f'themes (level {level})'}.",
        uncoded="uncoded text is not counted; participants without codings show zeros",
        column_ids=col_ids,
        participant_ids=rows,
        pooling=x.pooling,
    )
