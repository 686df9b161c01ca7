"""The per-code and per-theme agreement report (:func:`intercoder_agreement`) and its
plain-words summary (:func:`describe`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import agreement as ag
from ..errors import Problem, QualcodeError
from ..frames import AnalysisData
from ..scales import Scale, describe_scales, scale_rows, scales_of
from .character import _character_agreement
from .frame import (
    BY,
    INTERVIEWER_SPEAKERS,
    RESULT_COLUMNS,
    UNCODED_UNITS,
    UNIT_KINDS,
    UNITS,
    _check_choice,
    _expand_to_items,
    _Frame,
    _frame,
    _Items,
    _items,
    _select_annotators,
)
from .match import _match_agreement
from .presence import (
    _code_presence,
    _coding_hits,
    _item_presence,
    _no_units_error,
    _presence_statistics,
    _touching,
    _units,
)
from .spans import span_agreement


def intercoder_agreement(
    data: AnalysisData,
    annotators: Sequence[str] | None = None,
    unit: str = "sentence",
    by: str = "code",
    bootstrap: int = 1000,
    seed: int = 0,
    min_overlap: float = 0.0,
    match_threshold: float = 0.9,
    cap_draws: bool = True,
    documents: Sequence[str] | None = None,
    scope: str = "common",
    bootstrap_method: str = "units",
    include_interviewer: bool = False,
    scales: Sequence[str] | None = None,
    scale_level: str | None = None,
) -> pd.DataFrame:
    """Inter-coder reliability per code and/or theme (see the module docstring).

    ``annotators``: the coders to compare (default: every annotator except
    "consensus").  ``documents``: compare only these documents.  ``scope``: "common"
    (default) compares only the documents every chosen coder coded — a second coder
    who coded one interview is compared on that interview, not marked as disagreeing
    on the others; "all" takes every document any of them coded.  The documents used
    and those left out are in ``df.attrs["documents"]`` / ``["documents_skipped"]``.

    ``bootstrap``: bootstrap samples for alpha's 95% interval (0 = none);
    ``bootstrap_method`` "units" (default: resample the units,
    :func:`qualcode.agreement.bootstrap_alpha`) or "kalpha" (Hayes & Krippendorff's
    algorithm; ``cap_draws`` applies its 25·q cap).  ``min_overlap``: share of a unit's
    characters a coding must cover for the code to count as present (0 = at least one
    character).  ``match_threshold``: overlap share for ``unit="match"``.
    ``include_interviewer``: keep the interviewer's turns (speaker "Interviewer",
    "Q", "I", "Moderator", …) as units; by default they are left out, and codings
    that then touch no unit are counted in ``codings_outside_units``.
    ``scales``/``scale_level``: themes whose codes are the values of one variable get a
    row of level "scale" with alpha at that level (:mod:`qualcode.scales`): by default, with
    ``by`` "theme" or "both", every theme with ``scale:`` in ``codebook.yaml``, at its level
    and in its ``order:``; ``scales=[...]`` names themes, ``scale_level`` overrides the level.

    Returns one row per code/theme with the columns of ``RESULT_COLUMNS`` (the
    ``character`` unit adds ``document`` and character counts, ``match`` adds the
    agreement table).  ``df.attrs`` holds ``unit``, ``uncoded``, ``n_units``,
    ``annotators``, ``documents``, ``scope``, ``method`` and more; :func:`describe`
    renders them.
    """
    _check_arguments(unit, by, bootstrap_method, min_overlap, match_threshold, bootstrap, scales, scale_level)
    if unit == "character":
        return _character_agreement(data, annotators, by, documents, scope)
    if unit == "match":
        return _match_agreement(data, annotators, by, match_threshold, documents, scope)
    if unit == "span":
        return span_agreement(data, annotators, by, documents, scope, bootstrap, seed)
    coders = _select_annotators(data, annotators)
    frame = _frame(data, coders, documents, scope)
    units = _units(data, frame, unit, None if include_interviewer else INTERVIEWER_SPEAKERS)
    if len(units.gstart) == 0:
        raise _no_units_error(data, frame, unit)
    items = _items(data, frame, by)
    hits = _coding_hits(frame, units)
    code_p = _code_presence(frame, units, min_overlap, hits)
    res = _presence_statistics(_item_presence(code_p, items), bootstrap, seed, cap_draws, bootstrap_method)
    touching = _touching(frame, units, hits)  # per coding: does it overlap a unit
    outside = _outside_per_item(frame, items, touching)
    df = _result_frame(items, unit, len(units.gstart), len(coders), res, outside)
    scale_list = _scale_list(data, by, scales, scale_level)
    if scale_list:
        extra = scale_rows(code_p, frame.code_ids, scale_list, unit, len(coders), bootstrap, seed, bootstrap_method)
        df = pd.concat([df, extra[RESULT_COLUMNS]], ignore_index=True)
        df.attrs["scales"] = describe_scales(scale_list, unit)
    method = _method_text(unit, min_overlap, len(coders), bootstrap, bootstrap_method, seed, cap_draws)
    n_outside = int((~touching).sum())
    df.attrs.update(
        {
            "unit": unit,
            "uncoded": UNCODED_UNITS.format(unit=unit),
            "n_units": int(len(units.gstart)),
            "n_documents": len(frame.documents),
            "annotators": list(coders),
            "documents": list(frame.documents),
            "documents_skipped": dict(frame.skipped),
            "scope": frame.scope_text(),
            "interviewer": (
                "interviewer turns included as units"
                if include_interviewer
                else "interviewer turns (speaker Interviewer, Q, I, Moderator, …) left out of the units"
            ),
            "outside_units": (
                f"{n_outside} of {len(frame.start)} coding(s) touch no {unit} (a speaker label, the space between "
                f"{unit}s, a left-out interviewer turn) and are not counted; see codings_outside_units"
                if n_outside
                else f"every coding touches at least one {unit}"
            ),
            "n_outside_units": n_outside,
            "method": method,
            "bootstrap": int(bootstrap),
            "bootstrap_method": bootstrap_method,
            "seed": int(seed),
        }
    )
    return df


def _check_arguments(
    unit: str,
    by: str,
    bootstrap_method: str,
    min_overlap: float,
    match_threshold: float,
    bootstrap: int,
    scales: Sequence[str] | None,
    scale_level: str | None,
) -> None:
    """Refuse an unknown unit, by or bootstrap method, an out-of-range share or sample count,
    and scale rows for a unit that has no predefined units."""
    _check_choice(unit, UNITS, "unit")
    _check_choice(by, BY, "by")
    _check_choice(bootstrap_method, ag.BOOT_METHODS, "bootstrap_method")
    if not 0.0 <= min_overlap <= 1.0:
        raise QualcodeError(Problem(f"min_overlap must be between 0 and 1, got {min_overlap}.", field="min_overlap"))
    if not 0.0 < match_threshold <= 1.0:
        raise QualcodeError(
            Problem(f"match_threshold must be in (0, 1], got {match_threshold}.", field="match_threshold")
        )
    if bootstrap < 0:
        raise QualcodeError(Problem(f"bootstrap must be 0 or more samples, got {bootstrap}.", field="bootstrap"))
    if (scales is not None or scale_level is not None) and unit not in UNIT_KINDS + ("document",):
        raise QualcodeError(
            Problem(
                f"Scale rows (scales=, scale_level=; CLI --scale, --level) need predefined units, not unit='{unit}'.",
                field="unit",
                hint="Use unit='sentence', 'paragraph', 'turn' or 'document'; for spans see cuα (unit='span').",
            )
        )


def _outside_per_item(frame: _Frame, items: _Items, touching: np.ndarray) -> np.ndarray:
    """Per code/theme row, the codings that touch no unit (a theme counts those of its codes);
    ``touching``: per coding of the frame, whether it overlaps a unit (``_touching``)."""
    outside = np.zeros(len(items.ids), dtype=np.int64)
    rows, item = _expand_to_items(frame.code, items.code_items)
    if len(rows):
        np.add.at(outside, item, (~touching)[rows].astype(np.int64))
    return outside


def _result_frame(
    items: _Items, unit: str, n_units: int, n_coders: int, res: dict[str, Any], outside: np.ndarray
) -> pd.DataFrame:
    """The report's rows: one per code/theme, its statistics and a note on what was not counted."""
    notes = []
    for r, k in zip(res["reason"], outside):
        extra = f"{k} coding(s) touch no {unit} and are not counted" if k else ""
        notes.append("; ".join(x for x in (r, extra) if x))
    return pd.DataFrame(
        {
            "level": items.level,
            "id": items.ids,
            "label": items.labels,
            "unit": unit,
            "n_units": n_units,
            "n_coders": n_coders,
            "n_coded_units": res["n_coded_units"].astype(int),
            "percent_agreement": res["percent_agreement"],
            "kappa": res["kappa"],
            "kappa_kind": res["kappa_kind"],
            "alpha": res["alpha"],
            "alpha_low": res["alpha_low"],
            "alpha_high": res["alpha_high"],
            "codings_outside_units": outside,
            "note": notes,
        },
        columns=RESULT_COLUMNS,
    )


def _scale_list(data: AnalysisData, by: str, scales: Sequence[str] | None, scale_level: str | None) -> list[Scale]:
    """The scales that get a row; refused when some were asked for and there are none."""
    wanted = scales is not None or scale_level is not None
    scale_list = scales_of(data.codebook, scales, scale_level) if wanted or by != "code" else []
    if wanted and not scale_list:
        raise QualcodeError(
            Problem(
                "No theme is a scale: codebook.yaml has no theme with 'scale:', and none was named.",
                field="scales",
                hint="Name the themes (scales=[...]; CLI --scale a,b) or give a theme 'scale:' and 'order:' "
                "(docs/codebook-format.md, 'Scales').",
            )
        )
    return scale_list


def _method_text(
    unit: str, min_overlap: float, n_coders: int, bootstrap: int, bootstrap_method: str, seed: int, cap_draws: bool
) -> str:
    """The method in words: the presence rule, the coefficients and the interval."""
    presence_rule = (
        "a code is present in a unit when one of the coder's codings of it overlaps the unit by at least one character"
        if min_overlap == 0
        else f"a code is present in a unit when the coder's codings of it cover at least "
        f"{min_overlap:.0%} of the unit's characters"
    )
    kappa = "Cohen's kappa" if n_coders == 2 else "Fleiss' kappa (Gwet 2014 generalisation)"
    boot = (
        f"; {ag.bootstrap_method_text(bootstrap_method, bootstrap)}"
        + (
            f", seed {seed}{', 25·q cap on pairs drawn' if cap_draws else ', all pairs drawn'}"
            if bootstrap_method == "kalpha"
            else f", seed {seed}"
        )
        if bootstrap
        else "; no interval (bootstrap 0)"
    )
    return (
        f"presence/absence per {unit}: {presence_rule}; theme present when any of its codes is; "
        f"percent agreement = share of agreeing coder pairs per unit, averaged; {kappa}; "
        f"Krippendorff's alpha (nominal, binary){boot}"
    )


def describe(df: pd.DataFrame) -> str:
    """The report's settings from ``df.attrs`` as a few readable lines (for CLI/app/Excel)."""
    attrs = dict(getattr(df, "attrs", {}) or {})
    names = {
        "unit": "Unit",
        "n_units": "Units compared",
        "scope": "Documents",
        "annotators": "Coders",
        "uncoded": "Uncoded text",
        "interviewer": "Interviewer",
        "outside_units": "Codings outside units",
        "method": "Method",
        "exclusive": "Mutually exclusive codes (cuα)",
        "scales": "Scales",
        "match_threshold": "Match threshold",
    }
    lines = []
    for key, name in names.items():
        if key in attrs:
            value = attrs[key]
            if isinstance(value, (list, tuple)):
                value = ", ".join(map(str, value))
            lines.append(f"{name}: {value}")
    return "\n".join(lines)
