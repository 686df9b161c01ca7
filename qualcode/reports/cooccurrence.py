"""Code co-occurrence: counts, Jaccard and ATLAS.ti's c-coefficient, per overlap or per unit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..arrays import offsets, ranges
from ..errors import Problem, QualcodeError, did_you_mean, valid_list
from ..frames import AnalysisData
from ..vocabulary import COOCCURRENCE_UNITS
from .coded import _Coded, _coded, _distinct, _expand, _first_rows, _unique_sorted
from .counts import _check_by
from .phrases import natural_key
from .pooling import _attrs


def _units(x: _Coded, rows_in: np.ndarray, unit: str) -> tuple[np.ndarray, np.ndarray, int]:
    """(position in ``rows_in``, unit id) incidences, and the number of units.

    Documents are laid end to end on one line (with a gap) so that one sorted array and
    np.searchsorted serve all documents at once.  ``overlap``: units are overlap clusters —
    maximal chains of overlapping excerpts in one document.  Segment kinds: a coding
    belongs to every segment of that kind it shares at least one character with."""
    data = x.data
    n_docs = len(x.doc_names)
    ext = np.zeros(n_docs, dtype=np.int64)
    lengths = data.documents.set_index(data.documents["document"].astype(str))["length"]
    ext = np.maximum(ext, lengths.reindex(x.doc_names).fillna(0).to_numpy(dtype=np.int64))
    np.maximum.at(ext, x.doc, x.end)
    doc, start, end = x.doc[rows_in], x.start[rows_in], x.end[rows_in]
    if unit == "overlap":
        off = offsets(ext, gap=1)
        gs, ge = off[doc] + start, off[doc] + end
        order = np.lexsort((ge, gs))
        s, e = gs[order], ge[order]
        new = np.ones(len(s), dtype=bool)
        if len(s) > 1:
            new[1:] = s[1:] >= np.maximum.accumulate(e)[:-1]
        unit_of = np.empty(len(s), dtype=np.int64)
        unit_of[order] = np.cumsum(new) - 1
        return np.arange(len(rows_in)), unit_of, int(new.sum())
    segs = data.segments[data.segments["kind"] == unit]
    sdoc = pd.Index(x.doc_names).get_indexer(segs["document"].astype(str))
    keep = sdoc >= 0
    sdoc = sdoc[keep].astype(np.int64)
    s0 = segs["start"].to_numpy(dtype=np.int64)[keep]
    s1 = segs["end"].to_numpy(dtype=np.int64)[keep]
    missing = sorted(
        {x.doc_names[d] for d in _unique_sorted(doc)} - {x.doc_names[d] for d in _unique_sorted(sdoc)}, key=natural_key
    )
    if missing:
        raise QualcodeError(
            [
                Problem(
                    f"Document '{d}' has no '{unit}' segments, so co-occurrence by {unit} cannot be computed.",
                    field="unit",
                    hint="Re-import the document, or use unit='overlap'.",
                )
                for d in missing[:20]
            ]
        )
    np.maximum.at(ext, sdoc, s1)
    off = offsets(ext, gap=1)
    g0, g1 = off[sdoc] + s0, off[sdoc] + s1
    order = np.argsort(g0, kind="stable")
    g0, g1 = g0[order], np.maximum.accumulate(g1[order])  # monotone ends even if segments nest
    c0, c1 = off[doc] + start, off[doc] + end
    first = np.searchsorted(g1, c0, side="right")  # first segment ending after the coding starts
    last = np.searchsorted(g0, c1, side="left") - 1  # last segment starting before it ends
    rows, segment = ranges(first, last + 1)
    return rows, segment, len(g0)


def cooccurrence(
    data: AnalysisData, unit: str = "overlap", annotators: Iterable[str] | None = None, by: str = "code"
) -> pd.DataFrame:
    """Pairs of codes (or themes) that occur in the same unit of text.

    Units: ``"sentence"``, ``"paragraph"``, ``"turn"`` are the document's segments of that
    kind (a coding belongs to every segment it shares a character with); ``"overlap"``
    units are overlap clusters (maximal chains of overlapping excerpts in one document,
    so an excerpt belongs to exactly one cluster).

    Long table, one row per unordered pair with ``n > 0`` (``a`` before ``b`` in codebook
    order; with ``by="theme"`` every theme and sub-theme, pairs of a theme and its own
    ancestor left out), most frequent first.  Columns: ``<by>_a``, ``<by>_b``, label_a,
    label_b,

    n
        number of units containing both a and b;
    n_a, n_b
        number of units containing a (resp. b);
    excerpts_a, excerpts_b
        number of distinct excerpts coded a (resp. b);
    jaccard
        ``n / (n_a + n_b - n)``: of the units mentioning either, the share mentioning both;
    c_coefficient
        ATLAS.ti's c-coefficient ``n12 / (n1 + n2 - n12)`` with ``n12 = n`` and code
        frequencies ``n1, n2`` = excerpts (quotations) as in ATLAS.ti.  For ``overlap`` it
        is at most 1; with segment units an excerpt can span several units and, as in
        ATLAS.ti, it can exceed 1 (NaN when the denominator is not positive).
    """
    _check_unit(unit)
    _check_by(by)
    from scipy import sparse  # a scikit-learn dependency; imported lazily because it is heavy

    x = _coded(data, annotators)
    n_codes = len(x.idx.code_order)
    # one row per distinct (code, span): annotators repeating a coding add nothing
    first_rows = _first_rows(x.code * max(x.n_spans, 1) + x.span)
    code, span = x.code[first_rows], x.span[first_rows]
    items, labels, t_rows, t_cols = _items(x, by)
    n_items = len(items)
    T = sparse.csr_matrix((np.ones(len(t_rows)), (t_rows, t_cols)), shape=(n_codes, n_items))
    excerpts = _excerpts(T, code, span, x.n_spans, n_items)

    rows, unit_ids, n_units = _units(x, first_rows, unit)
    M = sparse.csr_matrix((np.ones(len(rows)), (unit_ids, code[rows])), shape=(max(n_units, 1), n_codes))
    U = (M @ T).tocsr()
    U.data[:] = 1.0  # presence of each item in each unit
    C = (U.T @ U).toarray()
    present = np.diag(C).astype(np.int64)
    a, b = np.nonzero(np.triu(C, k=1))
    if by == "theme" and len(a):
        a, b = _without_ancestors(a, b, items, x.data.codebook)
    out = _pair_table(by, items, labels, a, b, C[a, b].astype(np.int64), present, excerpts)
    what = (
        "overlap clusters (maximal chains of overlapping excerpts in a document)"
        if unit == "overlap"
        else f"{unit} segments (a coding counts in every {unit} it touches)"
    )
    return _attrs(
        out,
        what,
        f"Co-occurrence of {by}s per {unit}: counts, Jaccard and c-coefficient.",
        uncoded="units without any coding are not counted (they do not change n, jaccard or c)",
        n_units=int(n_units),
        cooccurrence_unit=unit,
        pooling=x.pooling,
    )


def _check_unit(unit: str) -> None:
    if unit not in COOCCURRENCE_UNITS:
        raise QualcodeError(
            Problem(
                f"Unknown unit '{unit}'.",
                field="unit",
                hint=(did_you_mean(unit, COOCCURRENCE_UNITS) or "")
                + f" Valid units: {valid_list(COOCCURRENCE_UNITS)}.",
            )
        )


def _items(x: _Coded, by: str) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """The items compared (codes, or themes and sub-themes) with their labels, and the
    (code, item) incidences: a code counts for its theme and every theme above it."""
    idx = x.idx
    n_codes = len(idx.code_order)
    if by == "code":
        return list(idx.code_order), [idx.code_label[c] for c in idx.code_order], np.arange(n_codes), np.arange(n_codes)
    keep_rows = [i for i, r in enumerate(idx.theme_rows) if r["kind"] == "theme"]
    items = [idx.theme_rows[i]["theme_id"] for i in keep_rows]
    labels = [idx.theme_rows[i]["theme"] for i in keep_rows]
    remap = np.full(len(idx.theme_rows), -1, dtype=np.int64)
    remap[keep_rows] = np.arange(len(keep_rows))
    r, th = _expand(np.arange(n_codes), idx)
    ok = remap[th] >= 0
    return items, labels, r[ok], remap[th[ok]]


def _excerpts(T: Any, code: np.ndarray, span: np.ndarray, n_spans: int, n_items: int) -> np.ndarray:
    """Excerpts per item: distinct (item, span)."""
    T_coo = T.tocsr()
    er, at = ranges(T_coo.indptr[code], T_coo.indptr[code + 1])
    e_item = T_coo.indices[at]
    ei, _ = _distinct(e_item, span[er], n_spans)
    return np.bincount(ei, minlength=n_items).astype(np.int64)


def _without_ancestors(a: np.ndarray, b: np.ndarray, items: list[str], cb: Any) -> tuple[np.ndarray, np.ndarray]:
    """The pairs left when a theme paired with its own ancestor is left out."""
    anc = {(items.index(t), items.index(p)) for t in items for p in cb.theme_path(t)[:-1] if p in items}
    keep = np.array([(i, j) not in anc and (j, i) not in anc for i, j in zip(a, b)], dtype=bool)
    return a[keep], b[keep]


def _pair_table(
    by: str,
    items: list[str],
    labels: list[str],
    a: np.ndarray,
    b: np.ndarray,
    n: np.ndarray,
    present: np.ndarray,
    excerpts: np.ndarray,
) -> pd.DataFrame:
    """One row per pair (a, b) with its counts, Jaccard and c-coefficient, most frequent first."""
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = n / (present[a] + present[b] - n)
        den = excerpts[a] + excerpts[b] - n
        cc = np.where(den > 0, n / np.where(den > 0, den, 1), np.nan)
    items_arr, labels_arr = np.asarray(items, dtype=object), np.asarray(labels, dtype=object)
    out = pd.DataFrame(
        {
            f"{by}_a": items_arr[a],
            f"{by}_b": items_arr[b],
            "label_a": labels_arr[a],
            "label_b": labels_arr[b],
            "n": n,
            "n_a": present[a],
            "n_b": present[b],
            "excerpts_a": excerpts[a],
            "excerpts_b": excerpts[b],
            "jaccard": jac.astype("float64"),
            "c_coefficient": cc.astype("float64"),
        }
    )
    order = np.lexsort((b, a, -n))
    return out.iloc[order].reset_index(drop=True)
