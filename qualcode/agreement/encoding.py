"""Reliability data as a coders × units matrix: missing values, category codes, the shared
types (levels, weights) and the words of an undefined coefficient."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

Level = Literal["nominal", "ordinal", "interval", "ratio"]
Weights = Literal["linear", "quadratic"] | None
SingleRated = Literal["drop", "prevalence"]

LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")
DEFAULT_ALPHA_MIN: tuple[float, ...] = (0.9, 0.8, 0.7, 0.667, 0.6, 0.5)
NAN = float("nan")

# Reasons shared by the scalar and batched functions (reports show them verbatim).
REASON_NO_PAIRS = "no unit was rated by two or more coders, so there is nothing to compare"
REASON_NO_VARIATION = "no variation: every pairable value is {value}, so chance-corrected agreement is 0/0 (undefined)"
REASON_ONE_CATEGORY = "only one category is possible, so chance agreement is 1 and the coefficient is 0/0"


def _is_missing(values: np.ndarray) -> np.ndarray:
    """Element-wise missing test for object or numeric arrays."""
    if values.dtype.kind in "fc":
        return np.isnan(values)
    if values.dtype.kind in "iub":
        return np.zeros(values.shape, dtype=bool)
    return np.asarray(pd.isna(values), dtype=bool)


def _as_matrix(data: Any) -> np.ndarray:
    """Reliability data as a 2-D numpy array (coders × units)."""
    if isinstance(data, pd.DataFrame):
        arr = data.to_numpy()
    elif isinstance(data, np.ndarray):
        arr = data
    else:
        rows = [list(r) for r in data]
        if rows and len({len(r) for r in rows}) != 1:
            raise ValueError(
                "every coder's row must have the same number of units "
                f"(got row lengths {sorted({len(r) for r in rows})})"
            )
        arr = np.array(rows, dtype=object) if rows else np.empty((0, 0), dtype=object)
        flat = arr.ravel()
        numeric = [isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in flat]
        if flat.size and all(n or v is None for n, v in zip(numeric, flat)):
            # numbers (with None for missing): a fast numeric array; ints stay ints when complete
            if all(numeric) and all(isinstance(v, (int, np.integer)) for v in flat):
                arr = np.array(rows, dtype=np.int64)
            else:
                arr = np.array([[np.nan if v is None else float(v) for v in r] for r in rows], dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"reliability data must be 2-D (coders × units), got shape {arr.shape}")
    return arr


@dataclass(frozen=True)
class _Encoded:
    codes: np.ndarray  # int64 [coders, units], -1 = missing
    categories: list[Any]  # category value of each code, sorted when sortable
    ordered: bool  # True if categories could be sorted


def _encode(data: Any, order: Sequence[Any] | None = None) -> _Encoded:
    arr = _as_matrix(data)
    missing = _is_missing(arr)
    present = arr[~missing]
    codes = np.full(arr.shape, -1, dtype=np.int64)
    if order is not None:
        return _encode_in_order(arr, missing, present, codes, order)
    if present.size == 0:
        return _Encoded(codes, [], True)
    try:
        cats, inverse = np.unique(present, return_inverse=True)
        categories, ordered = list(cats.tolist()), True
    except TypeError:  # mixed, unorderable labels: order of first appearance
        inverse, uniques = pd.factorize(pd.Series(present, dtype=object), sort=False)
        categories, ordered = list(uniques), False
    codes[~missing] = np.asarray(inverse).ravel()
    return _Encoded(codes, categories, ordered)


def _encode_in_order(
    arr: np.ndarray, missing: np.ndarray, present: np.ndarray, codes: np.ndarray, order: Sequence[Any]
) -> _Encoded:
    """Codes by position in an explicit ``order`` (every category listed, used or not)."""
    categories = list(order)
    if len(set(map(_hashable, categories))) != len(categories):
        raise ValueError(f"order lists a category twice: {categories!r}")
    position = {_hashable(c): i for i, c in enumerate(categories)}
    values = [_hashable(v) for v in present.tolist()]
    unknown = sorted({repr(v) for v in values if v not in position})
    if unknown:
        raise ValueError(f"values {', '.join(unknown[:5])} are not in order={categories!r}; list every category")
    codes[~missing] = np.array([position[v] for v in values], dtype=np.int64)
    return _Encoded(codes, categories, True)


def _hashable(value: Any) -> Any:
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 1.0 only because NaN forced a float array
    return value


def _numeric(categories: Sequence[Any]) -> bool:
    return all(
        isinstance(c, (int, float, np.integer, np.floating)) and not isinstance(c, (bool, np.bool_)) for c in categories
    )


def _unit_counts(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """counts[u, c]: how many coders gave unit ``u`` category ``c`` (bincount, no loops)."""
    n_units = codes.shape[1]
    unit_idx = np.broadcast_to(np.arange(n_units), codes.shape)
    ok = codes >= 0
    flat = unit_idx[ok] * n_categories + codes[ok]
    return np.bincount(flat, minlength=n_units * n_categories).reshape(n_units, n_categories).astype(float)


def _describe_value(value: Any) -> str:
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 1.0 only because NaN forced a float array
    return repr(value)
