"""qualcode.arrays against plain-Python definitions of the same idioms."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from qualcode.arrays import offsets, pointers, ranges, runs

small_ints = st.lists(st.integers(min_value=0, max_value=20), max_size=30)


@given(small_ints, st.integers(min_value=0, max_value=3))
def test_offsets_and_pointers_lay_runs_end_to_end(lengths: list[int], gap: int) -> None:
    starts = [sum(n + gap for n in lengths[:i]) for i in range(len(lengths))]
    assert offsets(lengths, gap=gap).tolist() == starts
    assert pointers(lengths).tolist() == [0, *itertools.accumulate(lengths)]
    assert offsets(lengths).dtype == pointers(lengths).dtype == np.int64


@given(st.lists(st.tuples(st.integers(-5, 40), st.integers(-5, 40)), max_size=30))
def test_ranges_lists_every_member_of_every_range(bounds: list[tuple[int, int]]) -> None:
    lo, hi = [b[0] for b in bounds], [b[1] for b in bounds]
    owner, value = ranges(np.array(lo, dtype=np.int64), np.array(hi, dtype=np.int64))
    expected = [(i, v) for i, (a, b) in enumerate(bounds) for v in range(a, b)]
    assert list(zip(owner.tolist(), value.tolist())) == expected


@given(st.lists(st.integers(0, 6), max_size=40))
def test_runs_are_the_groups_of_equal_sorted_values(values: list[int]) -> None:
    keys = sorted(values)
    starts, ends = runs(np.array(keys, dtype=np.int64))
    groups = [list(g) for _, g in itertools.groupby(keys)]
    assert [keys[a:b] for a, b in zip(starts.tolist(), ends.tolist())] == groups
