"""Vectorised helpers on integer arrays, shared by :mod:`qualcode.reports` and :mod:`qualcode.reliability`.

The counting code keeps returning to three idioms, each written once here:

* lay runs (documents, a code's themes) end to end: :func:`offsets`, :func:`pointers`;
* expand ranges into their members without a Python loop: :func:`ranges`;
* find the runs of equal values in a sorted array: :func:`runs`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


def offsets(lengths: npt.ArrayLike, gap: int = 0) -> IntArray:
    """Where each run starts when runs of these lengths are laid end to end, ``gap`` apart.

    >>> offsets([3, 0, 2]).tolist()
    [0, 3, 3]
    >>> offsets([3, 0, 2], gap=1).tolist()  # documents on one line, one character apart
    [0, 4, 5]
    >>> offsets([]).tolist()
    []
    """
    widths = np.asarray(lengths, dtype=np.int64) + gap
    out = np.zeros(len(widths), dtype=np.int64)
    np.cumsum(widths[:-1], out=out[1:])
    return out


def pointers(lengths: npt.ArrayLike) -> IntArray:
    """CSR row pointers: run ``i`` occupies ``[ptr[i], ptr[i + 1])`` (one more value than runs).

    >>> pointers([2, 0, 3]).tolist()
    [0, 2, 2, 5]
    >>> pointers([]).tolist()
    [0]
    """
    counts = np.asarray(lengths, dtype=np.int64)
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def ranges(lo: npt.ArrayLike, hi: npt.ArrayLike) -> tuple[IntArray, IntArray]:
    """For each ``i`` the integers ``lo[i] .. hi[i] - 1``, as ``(owner i, value)`` pairs.

    A range with ``hi <= lo`` is empty.  Pairs come in owner order, values ascending.

    >>> owner, value = ranges([5, 0, 2, 9], [7, 0, 5, 8])
    >>> owner.tolist(), value.tolist()
    ([0, 0, 2, 2, 2], [5, 6, 2, 3, 4])
    >>> [a.tolist() for a in ranges([], [])]
    [[], []]
    """
    start = np.asarray(lo, dtype=np.int64)
    counts = np.clip(np.asarray(hi, dtype=np.int64) - start, 0, None)
    owner = np.repeat(np.arange(len(start), dtype=np.int64), counts)
    within = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(offsets(counts), counts)
    return owner, start[owner] + within


def runs(sorted_keys: npt.ArrayLike) -> tuple[IntArray, IntArray]:
    """Start and end (exclusive) of each run of equal values in a sorted array.

    >>> starts, ends = runs([1, 1, 4, 7, 7, 7])
    >>> starts.tolist(), ends.tolist()
    ([0, 2, 3], [2, 3, 6])
    >>> [a.tolist() for a in runs([])]
    [[], []]
    """
    keys = np.asarray(sorted_keys)
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    new = np.ones(len(keys), dtype=bool)
    new[1:] = keys[1:] != keys[:-1]
    starts = np.flatnonzero(new).astype(np.int64)
    return starts, np.append(starts[1:], len(keys)).astype(np.int64)


__all__ = ["IntArray", "offsets", "pointers", "ranges", "runs"]
