"""Where coders differ: one code's unit-by-unit table and the list of every disagreement."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .. import agreement as ag
from ..arrays import runs
from ..errors import Problem, QualcodeError, did_you_mean
from ..frames import AnalysisData
from .frame import (
    INTERVIEWER_SPEAKERS,
    UNCODED_UNITS,
    UNIT_KINDS,
    _check_choice,
    _Frame,
    _frame,
    _select_annotators,
    _unique,
)
from .presence import _code_presence, _no_units_error, _Presence, _units, _UnitTable


def code_table(
    data: AnalysisData,
    code: str,
    annotators: Sequence[str] | None = None,
    unit: str = "sentence",
    documents: Sequence[str] | None = None,
    scope: str = "common",
    include_interviewer: bool = False,
    other: str | None = None,
) -> pd.DataFrame:
    """One code's agreement table over the units: for two coders the confusion matrix (rows the
    first coder, columns the second: units marked present/absent), for more Krippendorff's
    coincidence matrix (pairable values; its off-diagonal cells are the disagreements alpha
    counts).  With ``other`` (a second code) each coder's value in a unit is "neither", "A
    only", "B only" or "both", so the table shows where one coder's A meets another's B (two
    codes confused).  Units and scope as in :func:`intercoder_agreement`."""
    _check_choice(unit, UNIT_KINDS, "unit")
    coders = _select_annotators(data, annotators)
    frame = _frame(data, coders, documents, scope)
    cids = []
    for name in [code] + ([other] if other is not None and other != code else []):
        cid = data.codebook.resolve(name) or (name if name in frame.code_ids else None)
        if cid is None or cid not in frame.code_ids:
            raise QualcodeError(
                Problem(f"Unknown code '{name}'.", field="code", hint=did_you_mean(name, frame.code_ids))
            )
        cids.append(cid)
    units = _units(data, frame, unit, None if include_interviewer else INTERVIEWER_SPEAKERS)
    if len(units.gstart) == 0:
        raise _no_units_error(data, frame, unit)
    p = _code_presence(frame, units, 0.0)
    value = np.zeros((len(coders), len(units.gstart)), dtype=np.int64)
    for bit, cid in enumerate(cids):
        mine = p.item == frame.code_ids.index(cid)
        value[p.coder[mine], p.unit[mine]] += 1 << bit
    if len(cids) == 1:
        labels = ["absent", "present"]
    else:
        names = [data.codebook.codes[c].label if c in data.codebook.codes else c for c in cids]
        labels = ["neither", f"{names[0]} only", f"{names[1]} only", "both"]
    k = len(labels)
    if len(coders) == 2:
        table = np.bincount(value[0] * k + value[1], minlength=k * k).reshape(k, k)
        df = pd.DataFrame(
            table, index=[f"{coders[0]}: {x}" for x in labels], columns=[f"{coders[1]}: {x}" for x in labels]
        )
        kind = f"confusion matrix: {unit}s by what {coders[0]} (rows) and {coders[1]} (columns) marked"
    else:
        o, used = ag.coincidence_matrix(value.astype(float))
        full = np.zeros((k, k))
        at = np.array([int(u) for u in used], dtype=np.int64)
        full[np.ix_(at, at)] = o
        df = pd.DataFrame(full, index=labels, columns=labels)
        kind = f"Krippendorff's coincidence matrix of pairable values over the {unit}s"
    df.attrs.update(
        {
            "unit": unit,
            "code": cids[0],
            "codes": cids,
            "kind": kind,
            "annotators": list(coders),
            "scope": frame.scope_text(),
        }
    )
    return df


def disagreements(
    data: AnalysisData,
    annotators: Sequence[str] | None = None,
    unit: str = "sentence",
    codes: Iterable[str] | None = None,
    documents: Sequence[str] | None = None,
    scope: str = "common",
    include_interviewer: bool = False,
) -> pd.DataFrame:
    """Every (unit, code) where the coders differ, ready for adjudication.

    Columns: document, participant, unit_start, unit_end, text, code, code_label,
    coders_with, coders_without (comma lists), then ``codes_<annotator>`` — each
    coder's codes in that unit — and an empty ``accept`` column to fill in and pass
    to :func:`adjudicate`.  Presence, ``documents``, ``scope`` and the interviewer's
    turns follow :func:`intercoder_agreement`.
    """
    _check_disagreement_unit(unit)
    coders = _select_annotators(data, annotators)
    frame = _frame(data, coders, documents, scope)
    units = _units(data, frame, unit, None if include_interviewer else INTERVIEWER_SPEAKERS)
    base_cols = _disagreement_columns(coders)
    if len(units.gstart) == 0:
        raise _no_units_error(data, frame, unit)
    p = _code_presence(frame, units, 0.0)
    wanted = _wanted_codes(data, frame, codes)
    n_c, n_u = len(coders), len(units.gstart)
    key = p.item * n_u + p.unit
    keys, k = _unique(key, return_counts=True)
    differ = keys[k < n_c]
    if wanted is not None:
        differ = differ[np.isin(differ // n_u, wanted)]
    attrs = {
        "unit": unit,
        "annotators": list(coders),
        "uncoded": UNCODED_UNITS.format(unit=unit),
        "documents": list(frame.documents),
        "documents_skipped": dict(frame.skipped),
        "scope": frame.scope_text(),
    }
    if len(differ) == 0:
        empty = pd.DataFrame(columns=base_cols)
        empty.attrs.update(attrs)
        return empty
    pattern, code_of, unit_of = _who_has(p, key, differ, n_u)
    units_needed = np.unique(unit_of)
    df = _disagreement_frame(data, frame, units, coders, pattern, code_of, unit_of, units_needed)
    lists = _codes_per_coder(p, frame, units_needed, n_c)
    where = np.searchsorted(units_needed, unit_of)
    for ci, a in enumerate(coders):
        df[f"codes_{a}"] = lists[where, ci]
    df["accept"] = None
    df = df[base_cols]
    df.attrs.update(attrs)
    return df


def _check_disagreement_unit(unit: str) -> None:
    """Disagreements are listed per predefined unit (sentence, paragraph, turn)."""
    if unit in ("character", "match"):
        raise QualcodeError(
            Problem(
                f"Disagreements are listed per sentence, paragraph or turn, not per {unit}.",
                field="unit",
                hint="Use unit='sentence' (or 'paragraph' / 'turn') for the disagreements table.",
            )
        )
    _check_choice(unit, UNIT_KINDS, "unit")


def _disagreement_columns(coders: list[str]) -> list[str]:
    """The columns of the disagreements table, in order."""
    return (
        [
            "document",
            "participant",
            "unit_start",
            "unit_end",
            "text",
            "code",
            "code_label",
            "coders_with",
            "coders_without",
        ]
        + [f"codes_{a}" for a in coders]
        + ["accept"]
    )


def _wanted_codes(data: AnalysisData, frame: _Frame, codes: Iterable[str] | None) -> list[int] | None:
    """The positions of the codes to list (None: all); an unknown code is refused."""
    if codes is None:
        return None
    wanted = []
    for name in codes:
        cid = data.codebook.resolve(name) or (name if name in frame.code_ids else None)
        if cid is None:
            raise QualcodeError(
                Problem(f"Unknown code '{name}'.", field="codes", hint=did_you_mean(name, frame.code_ids))
            )
        wanted.append(frame.code_ids.index(cid))
    return wanted


def _who_has(p: _Presence, key: np.ndarray, differ: np.ndarray, n_u: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who has each differing (code, unit) as a bit pattern per coder, with its code and unit,
    ordered by document (table order), position, codebook order."""
    pos = np.searchsorted(differ, key)
    hit = (pos < len(differ)) & (differ[np.minimum(pos, len(differ) - 1)] == key)
    pattern = np.zeros(len(differ), dtype=np.int64)
    np.add.at(pattern, pos[hit], 1 << p.coder[hit])
    code_of, unit_of = differ // n_u, differ % n_u
    order = np.lexsort((code_of, unit_of))
    return pattern[order], code_of[order], unit_of[order]


def _disagreement_frame(
    data: AnalysisData,
    frame: _Frame,
    units: _UnitTable,
    coders: list[str],
    pattern: np.ndarray,
    code_of: np.ndarray,
    unit_of: np.ndarray,
    units_needed: np.ndarray,
) -> pd.DataFrame:
    """One row per disagreement: where, its text, the code, and who coded it and who did not
    (each bit pattern rendered once)."""
    patterns = np.unique(pattern)
    with_text = {int(b): ", ".join(a for j, a in enumerate(coders) if b >> j & 1) for b in patterns}
    without_text = {int(b): ", ".join(a for j, a in enumerate(coders) if not b >> j & 1) for b in patterns}
    code_arr = np.array(frame.code_ids, dtype=object)
    labels = np.array(
        [data.codebook.codes[c].label if c in data.codebook.codes else c for c in frame.code_ids], dtype=object
    )
    doc_names = np.array(frame.documents, dtype=object)
    doc_part = dict(zip(data.documents["document"].astype(str), data.documents["participant"]))
    docs_of = doc_names[units.doc[unit_of]]
    starts, ends = units.start[unit_of], units.end[unit_of]
    text_of = {
        int(u): data.texts.get(frame.documents[int(units.doc[u])], "")[int(units.start[u]) : int(units.end[u])]
        for u in units_needed
    }
    return pd.DataFrame(
        {
            "document": docs_of,
            "participant": [doc_part.get(d) for d in docs_of],
            "unit_start": starts,
            "unit_end": ends,
            "text": [text_of[int(u)] for u in unit_of],
            "code": code_arr[code_of],
            "code_label": labels[code_of],
            "coders_with": [with_text[int(b)] for b in pattern],
            "coders_without": [without_text[int(b)] for b in pattern],
        }
    )


def _codes_per_coder(p: _Presence, frame: _Frame, units_needed: np.ndarray, n_c: int) -> np.ndarray:
    """Each coder's codes in each listed unit (codebook order), a units × coders array of comma
    lists: sort once, join per group."""
    code_arr = np.array(frame.code_ids, dtype=object)
    in_rows = np.isin(p.unit, units_needed)
    lu, lc, lcode = p.unit[in_rows], p.coder[in_rows], p.item[in_rows]
    order = np.lexsort((lcode, lc, lu))
    lu, lc, names = lu[order], lc[order], code_arr[lcode[order]].tolist()
    starts_g, ends_g = runs(lu * n_c + lc)
    lists = np.full((len(units_needed), n_c), "", dtype=object)
    if len(lu):
        rows_g = np.searchsorted(units_needed, lu[starts_g])
        for r, c_i, a, b in zip(rows_g.tolist(), lc[starts_g].tolist(), starts_g.tolist(), ends_g.tolist()):
            lists[r, c_i] = ", ".join(names[a:b])
    return lists
