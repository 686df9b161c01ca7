"""``unit="character"``: NVivo-comparable coding comparison, every character a unit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .. import agreement as ag
from ..arrays import ranges
from ..frames import AnalysisData
from .frame import (
    RESULT_COLUMNS,
    UNCODED_CHARACTERS,
    _expand_to_items,
    _Frame,
    _frame,
    _Items,
    _items,
    _select_annotators,
)
from .presence import _merge


def _merged_items(frame: _Frame, items: _Items) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Disjoint coverage per (item, coder, document): (item, coder, doc, start, end)."""
    rows, item = _expand_to_items(frame.code, items.code_items)
    n_docs, n_c = max(len(frame.documents), 1), len(frame.coders)
    group = (item * n_c + frame.coder[rows]) * n_docs + frame.doc[rows]
    g, s, e = _merge(group, frame.start[rows], frame.end[rows])
    return g // (n_c * n_docs), (g // n_docs) % n_c, g % n_docs, s, e


class _Counts(NamedTuple):
    """Characters per (item, document): both coders coded, only the first, only the second,
    neither; the document's length, percent agreement and Cohen's kappa."""

    both: np.ndarray
    first_only: np.ndarray
    second_only: np.ndarray
    neither: np.ndarray
    length: np.ndarray
    pa: np.ndarray
    kappa: np.ndarray


def _character_agreement(
    data: AnalysisData,
    annotators: Sequence[str] | None,
    by: str,
    documents: Sequence[str] | None = None,
    scope: str = "common",
) -> pd.DataFrame:
    coders = _select_annotators(data, annotators, exactly=2)
    frame = _frame(data, coders, documents, scope)
    items = _items(data, frame, by)
    n = _character_counts(frame, items)
    H = np.zeros((len(items.ids), 3, 3))
    H[:, 2, 2], H[:, 2, 1], H[:, 2, 0] = n.both.sum(1), n.first_only.sum(1) + n.second_only.sum(1), n.neither.sum(1)
    pooled_alpha = ag.alpha_from_binary_stats(ag.binary_stats(H))
    pooled_reasons = ag.binary_reasons_many(ag.binary_stats(H))
    rows = []
    for i in range(len(items.ids)):
        base = {
            "level": items.level[i],
            "id": items.ids[i],
            "label": items.labels[i],
            "unit": "character",
            "n_coders": 2,
            "kappa_kind": "cohen",
            "alpha_low": np.nan,
            "alpha_high": np.nan,
        }
        rows.extend(_document_rows(base, n, i, frame.documents))
        rows.append(_summary_row(base, n, i, len(frame.documents), pooled_alpha[i], pooled_reasons[i]))
    shown = [c for c in RESULT_COLUMNS if c != "codings_outside_units"]
    cols = shown[:3] + ["document"] + shown[3:] + ["chars_both", "chars_first_only", "chars_second_only"]
    df = pd.DataFrame(rows, columns=cols)
    df.attrs.update(_character_attrs(frame, coders))
    return df


def _character_counts(frame: _Frame, items: _Items) -> _Counts:
    """The four character counts per (item, document), from the two coders' disjoint coverage."""
    item, coder, doc, s, e = _merged_items(frame, items)
    n_items, n_docs = len(items.ids), len(frame.documents)
    cell = item * max(n_docs, 1) + doc
    length = e - s
    cov = np.zeros((2, n_items * n_docs))
    np.add.at(cov, (coder, cell), length)
    # intersection of the two coders' disjoint coverage, per (item, document)
    span = int(frame.doc_length.max()) + 2 if n_docs else 1
    first, second = coder == 0, coder == 1
    a_s, a_e = cell[first] * span + s[first], cell[first] * span + e[first]
    b_s, b_e = cell[second] * span + s[second], cell[second] * span + e[second]
    lo = np.searchsorted(b_e, a_s, side="right")
    hi = np.searchsorted(b_s, a_e, side="left")
    owner, partner = ranges(lo, hi)
    inter = np.clip(np.minimum(a_e[owner], b_e[partner]) - np.maximum(a_s[owner], b_s[partner]), 0, None)
    both = np.bincount(cell[first][owner], weights=inter, minlength=n_items * n_docs)
    doc_len = np.tile(frame.doc_length.astype(float), n_items)
    only_a, only_b = cov[0] - both, cov[1] - both
    neither = doc_len - both - only_a - only_b
    pa = (both + neither) / np.where(doc_len > 0, doc_len, np.nan)
    kappa = ag.cohen_from_counts(both, only_a, only_b, neither)
    shape = (n_items, n_docs)
    return _Counts(*(x.reshape(shape) for x in (both, only_a, only_b, neither, doc_len, pa, kappa)))


def _document_rows(base: dict[str, Any], n: _Counts, i: int, documents: list[str]) -> list[dict[str, Any]]:
    """Item ``i``'s rows for the documents either coder coded it in."""
    rows = []
    coded = np.flatnonzero((n.first_only[i] + n.second_only[i] + n.both[i]) > 0)
    for d in coded:
        note = (
            ""
            if np.isfinite(n.kappa[i, d])
            else ("kappa undefined: the code covers this whole document for both coders (no variation)")
        )
        rows.append(
            {
                **base,
                "document": documents[d],
                "n_units": int(n.length[i, d]),
                "n_coded_units": int(n.both[i, d] + n.first_only[i, d] + n.second_only[i, d]),
                "percent_agreement": n.pa[i, d],
                "kappa": n.kappa[i, d],
                "alpha": np.nan,
                "chars_both": int(n.both[i, d]),
                "chars_first_only": int(n.first_only[i, d]),
                "chars_second_only": int(n.second_only[i, d]),
                "note": note,
            }
        )
    return rows


def _summary_row(
    base: dict[str, Any], n: _Counts, i: int, n_docs: int, alpha: float, reason: str | None
) -> dict[str, Any]:
    """Item ``i``'s summary row: percent agreement and kappa averaged by document length, alpha pooled."""
    weights = n.length[i]
    defined = np.isfinite(n.kappa[i])
    mean_pa = float((n.pa[i] * weights).sum() / weights.sum()) if weights.sum() > 0 else np.nan
    mean_k = float((n.kappa[i][defined] * weights[defined]).sum() / weights[defined].sum()) if defined.any() else np.nan
    note = (
        f"size-weighted over {n_docs} documents; kappa averaged over the {int(defined.sum())} documents "
        f"where it is defined (NVivo counts documents neither coder coded as complete agreement); "
        f"alpha pooled over all characters"
    )
    if reason:
        note = f"{reason}; {note}"
    return {
        **base,
        "document": "(all documents, size-weighted)",
        "n_units": int(weights.sum()),
        "n_coded_units": int(n.both[i].sum() + n.first_only[i].sum() + n.second_only[i].sum()),
        "percent_agreement": mean_pa,
        "kappa": mean_k,
        "alpha": alpha,
        "chars_both": int(n.both[i].sum()),
        "chars_first_only": int(n.first_only[i].sum()),
        "chars_second_only": int(n.second_only[i].sum()),
        "note": note,
    }


def _character_attrs(frame: _Frame, coders: list[str]) -> dict[str, Any]:
    """The report's attrs: what was compared and how."""
    return {
        "unit": "character",
        "uncoded": UNCODED_CHARACTERS,
        "n_units": int(frame.doc_length.sum()),
        "n_documents": len(frame.documents),
        "annotators": list(coders),
        "documents": list(frame.documents),
        "documents_skipped": dict(frame.skipped),
        "scope": frame.scope_text(),
        "method": (
            "NVivo-style coding comparison: per code and document, percent agreement = (characters both "
            "coded + characters neither coded) / document length and Cohen's kappa on characters; "
            "summary rows average them weighted by document length; alpha = Krippendorff's binary "
            "alpha pooled over all characters (no bootstrap: characters are not independent units); "
            f"'first' = {coders[0]}, 'second' = {coders[1]}"
        ),
    }
