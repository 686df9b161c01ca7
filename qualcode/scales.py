"""Agreement on a *scale*: a theme whose codes are the values of one variable.

A theme with ``scale: ordinal`` and ``order: [low, …, high]`` in ``codebook.yaml``
(docs/codebook-format.md, "Scales") says that its codes are mutually exclusive values of
one ordered variable — e.g. *against* < *mixed* < *for it*.  On predefined units
(sentences, paragraphs, turns, documents) each coder's value in a unit is the scale's code
that coder applied there (a code is applied as in the presence report: a coding of it
overlaps the unit, or covers ``min_overlap`` of it):

* no code of the scale → the coder gave the unit **no value** (missing, not "absent");
* two or more codes of the scale → the coder's value there is ambiguous: it is left out
  (missing) and counted in the row's note.

Krippendorff's alpha is then computed at the scale's level with the codebook's order
(:func:`qualcode.agreement.krippendorff_alpha` with ``order=``): ordinal alpha on the
ranks, interval and ratio alpha on the equally spaced ranks 1…K.  Units where fewer than
two coders gave a value drop out (alpha's rule for missing data), so the scale row
measures agreement on *which value*, given that coders coded the theme; whether they coded
it at all is the theme's own presence row.  Codes of the theme that ``order`` leaves out
(e.g. "unclear") are not values of the scale.

Without an order a theme's codes are labels with no order of their own: ordinal, interval
and ratio alpha refuse them with a message saying how to give one (alphabetical order is
never used; Krippendorff 2011's example C with words gives 0.702 alphabetically, 0.815 in
order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import agreement as ag
from .errors import Problem, QualcodeError, did_you_mean, valid_list
from .model import Codebook

LEVELS = ("nominal", "ordinal", "interval", "ratio")


@dataclass(frozen=True)
class Scale:
    """One theme taken as a variable: its level and its values (code ids, lowest first)."""

    theme: str
    label: str
    level: str
    values: tuple[str, ...]
    ordered: bool  # the values' order comes from the codebook's ``order:``

    def describe(self) -> str:
        sep = " < " if self.ordered else ", "
        return f"{self.label}: {self.level} alpha on {sep.join(self.values)}"


def scales_of(codebook: Codebook, themes: Sequence[str] | None = None, level: str | None = None) -> list[Scale]:
    """The scales to report: every theme with ``scale:`` in the codebook (``themes`` None), or
    the named themes.  ``level`` overrides each theme's own level.  A theme without ``order:``
    is refused for ordinal/interval/ratio alpha, with how to give one."""
    if level is not None and level not in LEVELS:
        raise QualcodeError(
            Problem(
                f"Unknown level '{level}'.",
                field="level",
                hint=did_you_mean(level, LEVELS) or f"Use one of {valid_list(LEVELS)}.",
            )
        )
    if themes is None:
        chosen = list(codebook.scales())
    else:
        chosen = list(dict.fromkeys(themes))
        unknown = [t for t in chosen if t not in codebook.themes]
        if unknown:
            raise QualcodeError(
                [
                    Problem(
                        f"Unknown theme '{t}'.",
                        field="scale",
                        hint=did_you_mean(t, codebook.themes) or f"Themes: {valid_list(codebook.themes)}.",
                    )
                    for t in unknown
                ]
            )
    out: list[Scale] = []
    for tid in chosen:
        theme = codebook.themes[tid]
        lvl = level or theme.scale or "nominal"
        own = tuple(c.id for c in codebook.codes.values() if c.theme == tid)
        if lvl != "nominal" and not theme.order:
            shown = ", ".join(own[:3]) + (", ..." if len(own) > 3 else "")
            raise QualcodeError(
                Problem(
                    f"{lvl} alpha on theme '{tid}' needs the order of its codes: they are labels "
                    f"({shown or 'no codes'}), not numbers, and are never sorted alphabetically.",
                    field="order",
                    hint=f"Give the theme 'scale: {lvl}' and 'order: [{shown or '...'}]' (lowest first) in "
                    "codebook.yaml (docs/codebook-format.md, 'Scales'), or use level 'nominal'.",
                )
            )
        values = theme.order or own
        out.append(Scale(tid, theme.label, lvl, tuple(values), bool(theme.order)))
    return out


def scale_matrix(
    presence_item: np.ndarray,
    presence_coder: np.ndarray,
    presence_unit: np.ndarray,
    code_ids: Sequence[str],
    n_coders: int,
    n_units: int,
    scale: Scale,
) -> tuple[np.ndarray, int]:
    """The coders × units matrix of the scale's values (code ids; None = no value) over the
    units where some coder gave one, and the number of (coder, unit) cells left out because
    the coder applied two or more of the scale's codes there.

    >>> m, ambiguous = scale_matrix(
    ...     np.array([0, 1, 1, 2]), np.array([0, 0, 1, 1]), np.array([3, 3, 3, 5]),
    ...     ["low", "high", "other"], 2, 6, Scale("t", "T", "ordinal", ("low", "high"), True))
    >>> m.tolist(), ambiguous
    ([[None], ['high']], 1)
    """
    rank = np.full(len(code_ids) + 1, -1, dtype=np.int64)
    where = {c: i for i, c in enumerate(code_ids)}
    for position, code in enumerate(scale.values):
        if code in where:
            rank[where[code]] = position
    r = rank[presence_item] if len(presence_item) else np.zeros(0, dtype=np.int64)
    keep = r >= 0
    coder, unit, r = presence_coder[keep], presence_unit[keep], r[keep]
    key = coder.astype(np.int64) * max(n_units, 1) + unit
    keys, first, counts = np.unique(key, return_index=True, return_counts=True)
    ambiguous = int((counts > 1).sum())
    single = counts == 1
    keys, value = keys[single], r[first[single]]
    used = np.unique(unit)
    matrix = np.full((n_coders, len(used)), None, dtype=object)
    labels = np.array(scale.values, dtype=object)
    rows, cols = keys // max(n_units, 1), np.searchsorted(used, keys % max(n_units, 1))
    matrix[rows, cols] = labels[value]
    return matrix, ambiguous


def scale_row(matrix: np.ndarray, scale: Scale, bootstrap: int, seed: int, method: str) -> dict[str, Any]:
    """Percent agreement and alpha (with its bootstrap interval) for one scale's matrix."""
    order = list(scale.values) if scale.ordered or scale.level != "nominal" else None
    pairable = int(((matrix != None).sum(axis=0) >= 2).sum()) if matrix.size else 0  # noqa: E711
    if not pairable:
        return {
            "n_units": 0,
            "percent_agreement": ag.NAN,
            "alpha": ag.NAN,
            "alpha_low": ag.NAN,
            "alpha_high": ag.NAN,
            "reason": ag.REASON_NO_PAIRS,
        }
    level: Any = scale.level
    reason = ag.explain_undefined(matrix, "alpha", level, order=order)
    if bootstrap and reason is None:
        est = ag.bootstrap_alpha(matrix, level, n_boot=bootstrap, seed=seed, method=method, order=order)  # type: ignore[arg-type]
        alpha, low, high = est.alpha, est.low, est.high
    else:
        alpha = ag.krippendorff_alpha(matrix, level, order=order) if reason is None else ag.NAN
        low = high = ag.NAN
    return {
        "n_units": pairable,
        "percent_agreement": ag.percent_agreement(matrix),
        "alpha": alpha,
        "alpha_low": low,
        "alpha_high": high,
        "reason": reason,
    }


def scale_rows(
    presence: Any,
    code_ids: Sequence[str],
    scales: Sequence[Scale],
    unit: str,
    n_coders: int,
    bootstrap: int,
    seed: int,
    method: str,
) -> pd.DataFrame:
    """One agreement row per scale (level "scale"), from the per-code presence triples of
    :mod:`qualcode.reliability` (``item`` = code index, ``coder``, ``unit``)."""
    rows = []
    for i, scale in enumerate(scales):
        matrix, ambiguous = scale_matrix(
            presence.item, presence.coder, presence.unit, code_ids, n_coders, presence.n_units, scale
        )
        stats = scale_row(matrix, scale, bootstrap, seed + 7919 * (i + 1), method)
        notes = [stats["reason"]] if stats["reason"] else []
        if ambiguous:
            notes.append(
                f"{ambiguous} time(s) a coder applied two or more of the scale's codes to one {unit}; "
                "those values are left out"
            )
        rows.append(
            {
                "level": "scale",
                "id": scale.theme,
                "label": f"{scale.label} ({scale.level} scale)",
                "unit": unit,
                "n_units": stats["n_units"],
                "n_coders": n_coders,
                "n_coded_units": int(matrix.shape[1]),
                "percent_agreement": stats["percent_agreement"],
                "kappa": ag.NAN,
                "kappa_kind": "",
                "alpha": stats["alpha"],
                "alpha_low": stats["alpha_low"],
                "alpha_high": stats["alpha_high"],
                "codings_outside_units": 0,
                "note": "; ".join(notes),
            }
        )
    return pd.DataFrame(rows)


def describe_scales(scales: Sequence[Scale], unit: str) -> str:
    """The ``scales`` line of a report: which themes were taken as scales, and how."""
    shown = "; ".join(s.describe() for s in scales)
    return (
        f"{shown} (a coder's value in a {unit} is the scale's code they applied there; none applied = no value; "
        "units with fewer than two values drop out)"
    )


__all__ = ["LEVELS", "Scale", "describe_scales", "scale_matrix", "scale_row", "scale_rows", "scales_of"]
