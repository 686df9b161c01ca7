"""``unit="match"``: MAXQDA-comparable segment matching by overlap share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..arrays import ranges
from ..frames import AnalysisData
from .frame import UNCODED_MATCH, _expand_to_items, _Frame, _frame, _Items, _items, _select_annotators


def _match_agreement(
    data: AnalysisData,
    annotators: Sequence[str] | None,
    by: str,
    threshold: float,
    documents: Sequence[str] | None = None,
    scope: str = "common",
) -> pd.DataFrame:
    coders = _select_annotators(data, annotators, exactly=2)
    frame = _frame(data, coders, documents, scope)
    items = _items(data, frame, by)
    item, coder, matched = _matched_segments(frame, items, threshold)
    seg = pd.DataFrame({"item": item, "coder": coder, "matched": matched})
    first = seg.loc[seg["coder"] == 0]
    second = seg.loc[seg["coder"] == 1]
    n_items = len(items.ids)
    agree = np.bincount(seg.loc[seg["matched"], "item"], minlength=n_items).astype(float)
    only_a = np.bincount(first.loc[~first["matched"], "item"], minlength=n_items).astype(float)
    only_b = np.bincount(second.loc[~second["matched"], "item"], minlength=n_items).astype(float)
    # MAXQDA sets chance agreement to 1/number of codes compared (Brennan & Prediger 1981)
    q = sum(1 for lvl in items.level if lvl == "code") or n_items
    df = _item_rows(items, agree, only_a, only_b, q)
    is_code = np.array(items.level) == "code"
    overall = _overall_row(agree[is_code].sum(), only_a[is_code].sum(), only_b[is_code].sum(), q)
    df = pd.concat([df, pd.DataFrame([overall])], ignore_index=True)
    df.attrs.update(
        {
            "unit": "match",
            "uncoded": UNCODED_MATCH,
            "n_units": overall["n_units"],
            "n_documents": len(frame.documents),
            "annotators": list(coders),
            "documents": list(frame.documents),
            "documents_skipped": dict(frame.skipped),
            "scope": frame.scope_text(),
            "match_threshold": threshold,
            "method": (
                f"MAXQDA-style segment matching: a segment is matched when the other coder coded the same "
                f"code (theme rows: any code of the theme) on a segment whose overlap share (intersection / "
                f"union) is at least {threshold:.0%}; percent agreement = matched / all segments; "
                f"Brennan & Prediger kappa with chance = 1/{q} (number of codes compared); "
                f"'first' = {coders[0]}, 'second' = {coders[1]}"
            ),
        }
    )
    return df


def _matched_segments(frame: _Frame, items: _Items, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each non-empty segment per item as (item, coder, matched): matched when the other coder
    has a segment in the same (item, document) whose overlap share reaches ``threshold``."""
    rows_idx, item = _expand_to_items(frame.code, items.code_items)
    coder, doc = frame.coder[rows_idx], frame.doc[rows_idx]
    start, end = frame.start[rows_idx], frame.end[rows_idx]
    keep = end > start
    item, coder, doc, start, end = item[keep], coder[keep], doc[keep], start[keep], end[keep]
    # candidate pairs: same (item, document) cell, second coder's segment starting before the first's
    # end and (running-max) ending after its start; no all-pairs merge
    cell = item * max(len(frame.documents), 1) + doc
    span = int(end.max()) + 2 if len(end) else 1
    first, second = np.flatnonzero(coder == 0), np.flatnonzero(coder == 1)
    b_order = second[np.argsort(cell[second] * span + start[second], kind="stable")]
    b_s = cell[b_order] * span + start[b_order]
    b_e = cell[b_order] * span + end[b_order]
    b_run = np.maximum.accumulate(b_e) if len(b_e) else b_e
    a_s, a_e = cell[first] * span + start[first], cell[first] * span + end[first]
    owner, partner = ranges(np.searchsorted(b_run, a_s, side="right"), np.searchsorted(b_s, a_e, side="left"))
    inter = np.clip(np.minimum(a_e[owner], b_e[partner]) - np.maximum(a_s[owner], b_s[partner]), 0, None)
    union = (a_e[owner] - a_s[owner]) + (b_e[partner] - b_s[partner]) - inter
    ok = (inter > 0) & (inter >= (threshold - 1e-12) * union)
    matched = np.zeros(len(item), dtype=bool)
    matched[first[owner[ok]]] = True
    matched[b_order[partner[ok]]] = True
    return item, coder, matched


def _item_rows(items: _Items, agree: np.ndarray, only_a: np.ndarray, only_b: np.ndarray, q: int) -> pd.DataFrame:
    """One row per code/theme: matched and unmatched segments, percent agreement, kappa."""
    n_items = len(items.ids)
    total = agree + only_a + only_b
    with np.errstate(divide="ignore", invalid="ignore"):
        pa = np.where(total > 0, agree / total, np.nan)
        kappa = (pa - 1.0 / q) / (1.0 - 1.0 / q) if q >= 2 else np.full(n_items, np.nan)
    notes = ["" if t > 0 else "neither coder coded a segment with this code" for t in total]
    if q < 2:
        notes = [f"{n}; " if n else "" for n in notes]
        notes = [n + "Brennan-Prediger kappa needs at least two codes (chance = 1/number of codes)" for n in notes]
    return pd.DataFrame(
        {
            "level": items.level,
            "id": items.ids,
            "label": items.labels,
            "unit": "match",
            "n_units": total.astype(int),
            "n_coders": 2,
            "n_coded_units": total.astype(int),
            "percent_agreement": pa,
            "kappa": kappa,
            "kappa_kind": "brennan_prediger",
            "alpha": np.nan,
            "alpha_low": np.nan,
            "alpha_high": np.nan,
            "note": notes,
            "segments_matched": agree.astype(int),
            "segments_first_only": only_a.astype(int),
            "segments_second_only": only_b.astype(int),
        }
    )


def _overall_row(t_agree: float, t_a: float, t_b: float, q: int) -> dict[str, Any]:
    """The row "All codes": the codes' segments pooled."""
    t_total = t_agree + t_a + t_b
    t_pa = t_agree / t_total if t_total else np.nan
    return {
        "level": "all",
        "id": "*",
        "label": "All codes",
        "unit": "match",
        "n_units": int(t_total),
        "n_coders": 2,
        "n_coded_units": int(t_total),
        "percent_agreement": t_pa,
        "kappa": (t_pa - 1.0 / q) / (1.0 - 1.0 / q) if q >= 2 and t_total else np.nan,
        "kappa_kind": "brennan_prediger",
        "alpha": np.nan,
        "alpha_low": np.nan,
        "alpha_high": np.nan,
        "note": "codes pooled" if t_total else "no coded segments",
        "segments_matched": int(t_agree),
        "segments_first_only": int(t_a),
        "segments_second_only": int(t_b),
    }
