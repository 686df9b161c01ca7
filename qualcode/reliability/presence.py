"""Units of analysis (sentences, paragraphs, turns) and which codes each coder marked present
in each unit, as sparse sufficient statistics for :mod:`qualcode.agreement`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import agreement as ag
from ..arrays import ranges
from ..errors import Problem, QualcodeError
from ..frames import AnalysisData
from .frame import INTERVIEWER_SPEAKERS, _expand_to_items, _Frame, _index_of, _is_interviewer, _Items, _unique


def _merge(group: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Union of intervals within each group → disjoint (group, start, end), sorted."""
    if len(group) == 0:
        return group, start, end
    span = int(max(end.max(), start.max())) + 2
    gs = group * span + start
    order = np.argsort(gs, kind="stable")
    g, gs = group[order], gs[order]
    ge = g * span + end[order]
    running = np.maximum.accumulate(ge)
    new = np.ones(len(g), dtype=bool)
    new[1:] = gs[1:] > running[:-1]  # touching intervals merge
    first = np.flatnonzero(new)
    merged_end = np.maximum.reduceat(ge, first)
    mg = g[first]
    return mg, gs[first] - mg * span, merged_end - mg * span


@dataclass
class _UnitTable:
    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    gstart: np.ndarray  # global coordinates (document offset + position)
    gend: np.ndarray
    run_end: np.ndarray  # running max of gend (units may overlap)


def _units(
    data: AnalysisData, frame: _Frame, kind: str, interviewer: frozenset[str] | None = INTERVIEWER_SPEAKERS
) -> _UnitTable:
    """The units of ``kind`` in the compared documents; the interviewer's (speaker label in
    ``interviewer``) are left out unless ``interviewer`` is None.  ``kind="document"``: each
    compared document is one unit ("did the coder use this code in this interview", MAXQDA's
    code-existence comparison)."""
    if kind == "document":
        doc = np.arange(len(frame.documents), dtype=np.int64)
        start = np.zeros(len(doc), dtype=np.int64)
        end = np.maximum(frame.doc_length, 1)
        gstart, gend = frame.doc_offset + start, frame.doc_offset + end
        return _UnitTable(doc, start, end, gstart, gend, np.maximum.accumulate(gend) if len(gend) else gend)
    # Masks and plain arrays, not filtered frames: each .loc copied every column.
    seg = data.segments
    doc = _index_of(seg["document"], frame.documents)
    keep = (doc >= 0) & (_index_of(seg["kind"], [kind]) == 0)
    if interviewer is not None and keep.any():
        codes, uniques = pd.factorize(seg["speaker"], sort=False)
        flags = np.array([_is_interviewer(u, interviewer) for u in uniques] + [False], dtype=bool)
        keep &= ~flags[codes]
    start = seg["start"].to_numpy(dtype=np.int64)
    end = seg["end"].to_numpy(dtype=np.int64)
    keep &= end > start
    doc, start, end = doc[keep], start[keep], end[keep]
    gstart, gend = frame.doc_offset[doc] + start, frame.doc_offset[doc] + end
    if not _ascending(gstart, gend):  # the store's segments usually come in this order already
        order = np.lexsort((gend, gstart))
        doc, start, end, gstart, gend = doc[order], start[order], end[order], gstart[order], gend[order]
    run_end = np.maximum.accumulate(gend) if len(gend) else gend
    return _UnitTable(doc, start, end, gstart, gend, run_end)


def _ascending(first: np.ndarray, second: np.ndarray) -> bool:
    """Whether the pairs ``(first[i], second[i])`` are in ascending order.

    >>> _ascending(np.array([0, 0, 4]), np.array([2, 3, 5])), _ascending(np.array([0, 0]), np.array([3, 2]))
    (True, False)
    """
    step, then = np.diff(first), np.diff(second)
    return bool(((step > 0) | ((step == 0) & (then >= 0))).all())


def _no_units_error(data: AnalysisData, frame: _Frame, kind: str) -> QualcodeError:
    kinds = sorted(set(data.segments.loc[data.segments["document"].astype(str).isin(frame.documents), "kind"]))
    return QualcodeError(
        Problem(
            f"The coded documents have no '{kind}' segments, so there are no units to compare.",
            field="unit",
            hint=(
                f"Use unit='{kinds[0]}' (available: {', '.join(kinds)}) or unit='character'."
                if kinds
                else "Use unit='character' or unit='match', or re-import the documents so that they are segmented."
            ),
        )
    )


@dataclass
class _Presence:
    """Sparse presence: unique (item, coder, unit) triples where the item is present."""

    item: np.ndarray
    coder: np.ndarray
    unit: np.ndarray
    n_items: int
    n_coders: int
    n_units: int


@dataclass
class _Hits:
    """Every (interval, unit) pair sharing at least one character, and how many they share."""

    owner: np.ndarray  # index of the interval
    unit: np.ndarray
    overlap: np.ndarray


def _hits(gs: np.ndarray, ge: np.ndarray, units: _UnitTable) -> _Hits:
    """The units each interval ``[gs, ge)`` (global coordinates) overlaps.

    The intervals are looked up in position order: numpy's binary search on sorted
    needles is about three times faster than on the same needles in code order.
    """
    ge = np.maximum(ge, gs)
    order = np.argsort(gs, kind="stable")
    lo = np.empty(len(gs), dtype=np.int64)
    hi = np.empty(len(gs), dtype=np.int64)
    lo[order] = np.searchsorted(units.run_end, gs[order], side="right")
    hi[order] = np.searchsorted(units.gstart, ge[order], side="left")
    owner, unit = ranges(lo, hi)
    overlap = np.minimum(ge[owner], units.gend[unit]) - np.maximum(gs[owner], units.gstart[unit])
    ok = overlap > 0
    return _Hits(owner[ok], unit[ok], overlap[ok])


def _coding_hits(frame: _Frame, units: _UnitTable) -> _Hits:
    """The units each coding of the frame overlaps."""
    gs = frame.doc_offset[frame.doc] + frame.start
    return _hits(gs, frame.doc_offset[frame.doc] + frame.end, units)


def _code_presence(frame: _Frame, units: _UnitTable, min_overlap: float, hits: _Hits | None = None) -> _Presence:
    """Per (code, coder, unit): present when the coder's codings of the code cover ≥1
    character of the unit (or ≥ ``min_overlap`` of its characters).  ``hits``: the
    frame's :func:`_coding_hits`, when the caller already has them."""
    n_codes, n_coders, n_units = len(frame.code_ids), len(frame.coders), len(units.gstart)
    if min_overlap > 0:
        # a share of the unit: overlapping codings of one code are merged first, so that
        # the characters they share count once
        n_docs = max(len(frame.documents), 1)
        g, s, e = _merge((frame.code * n_coders + frame.coder) * n_docs + frame.doc, frame.start, frame.end)
        offset = frame.doc_offset[g % n_docs]
        merged = _hits(offset + s, offset + e, units)
        key = (g // n_docs)[merged.owner] * n_units + merged.unit
        keys, inverse = np.unique(key, return_inverse=True)
        covered = np.bincount(inverse, weights=merged.overlap, minlength=len(keys))
        u = keys % max(n_units, 1)
        length = units.gend[u] - units.gstart[u]
        keys = keys[covered >= np.maximum(1.0, min_overlap * length - 1e-9)]
    else:
        # at least one character: a unit one coding touches is present (no merge needed)
        hits = hits if hits is not None else _coding_hits(frame, units)
        code_coder = frame.code * n_coders + frame.coder
        keys = _unique(code_coder[hits.owner] * n_units + hits.unit)
    unit_of = keys % max(n_units, 1)
    cc = keys // max(n_units, 1)
    return _Presence(cc // n_coders, cc % n_coders, unit_of, n_codes, n_coders, n_units)


def _item_presence(code_presence: _Presence, items: _Items) -> _Presence:
    rows, item = _expand_to_items(code_presence.item, items.code_items)
    coder, unit = code_presence.coder[rows], code_presence.unit[rows]
    n_c, n_u = code_presence.n_coders, code_presence.n_units
    key = _unique((item * n_c + coder) * max(n_u, 1) + unit)
    unit = key % max(n_u, 1)
    ic = key // max(n_u, 1)
    return _Presence(ic // n_c, ic % n_c, unit, len(items.ids), n_c, n_u)


def _presence_statistics(
    p: _Presence, n_boot: int, seed: int, cap_draws: bool, method: str = "units"
) -> dict[str, Any]:
    """The per-item statistics from sparse presence (no dense items × units array)."""
    n_items, n_c, n_u = p.n_items, p.n_coders, p.n_units
    side = n_c + 1
    key = p.item * max(n_u, 1) + p.unit
    keys, k = _unique(key, return_counts=True)
    item_of = keys // max(n_u, 1)
    hist = np.bincount(item_of * side + k, minlength=n_items * side).reshape(n_items, side)
    coded_units = hist.sum(axis=1)
    H = np.zeros((n_items, side, side))
    H[:, n_c, :] = hist
    H[:, n_c, 0] = n_u - coded_units  # units no coder marked: all absent
    stats = ag.binary_stats(H)
    cohen = None
    if n_c == 2:
        per_coder = np.bincount(p.item * 2 + p.coder, minlength=n_items * 2).reshape(n_items, 2)
        n11 = np.bincount(item_of[k == 2], minlength=n_items).astype(float)
        n10, n01 = per_coder[:, 0] - n11, per_coder[:, 1] - n11
        cohen = (n11, n10, n01, n_u - n11 - n10 - n01)
    out = ag.binary_agreement_many(
        stats,
        n_boot=n_boot,
        seed=seed,
        cap_draws=cap_draws,
        cohen=cohen,
        method="kalpha" if method == "kalpha" else "units",
        hist=H,
    )
    out["n_coded_units"] = coded_units
    return out


def _touching(frame: _Frame, units: _UnitTable, hits: _Hits | None = None) -> np.ndarray:
    """Per coding of the frame: does it overlap at least one unit?"""
    hits = hits if hits is not None else _coding_hits(frame, units)
    touches = np.zeros(len(frame.start), dtype=bool)
    touches[hits.owner] = True
    return touches
