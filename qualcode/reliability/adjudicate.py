"""Adjudication: turning decisions on disagreements into consensus codings."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Problem, QualcodeError, did_you_mean
from ..frames import AnalysisData
from ..model import Coding
from ..vocabulary import CONSENSUS
from .frame import INTERVIEWER_SPEAKERS, _frame, _select_annotators, _unique
from .presence import _code_presence, _units


def adjudicate(
    data: AnalysisData,
    decisions: pd.DataFrame | Iterable[Mapping[str, Any]],
    annotators: Sequence[str] | None = None,
    unit: str = "sentence",
    include_agreed: bool = True,
    documents: Sequence[str] | None = None,
    scope: str = "common",
    include_interviewer: bool = False,
) -> list[Coding]:
    """Consensus codings from adjudication decisions.

    ``decisions``: rows with ``document, unit_start, unit_end, code, accept`` (e.g.
    the :func:`disagreements` table with ``accept`` filled in).  Each accepted row
    becomes a :class:`~qualcode.model.Coding` over the unit with annotator
    "consensus" and origin "adjudicated".  With ``include_agreed`` the units where
    every chosen coder applied a code are added too, so that the consensus is a
    complete coding (then report with ``annotators=["consensus"]``).  Rows whose
    ``accept`` is empty are undecided and skipped; rejected rows add nothing.
    """
    table = _decision_table(decisions)
    lengths = dict(zip(data.documents["document"].astype(str), data.documents["length"]))
    problems: list[Problem] = []
    out: dict[tuple[str, int, int, str], Coding] = {}
    for i, row in enumerate(table.to_dict("records"), start=1):
        decision = _decision(data, lengths, row, i + 1)
        if decision is None:
            continue
        if isinstance(decision, Problem):
            problems.append(decision)
            continue
        (doc, s, e, cid), accept_bool = decision
        if accept_bool:
            out[(doc, s, e, cid)] = _consensus(data, doc, s, e, cid)
        else:
            out.pop((doc, s, e, cid), None)
    if problems:
        raise QualcodeError(problems)
    if include_agreed:
        for doc, s, e, cid in _agreed(data, annotators, unit, documents, scope, include_interviewer):
            out.setdefault((doc, s, e, cid), _consensus(data, doc, s, e, cid))
    return sorted(out.values(), key=lambda c: (c.document, c.start, c.end, c.code))


def _decision_table(decisions: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The decisions as a table with the columns adjudication needs (refused without them)."""
    table = decisions if isinstance(decisions, pd.DataFrame) else pd.DataFrame(list(decisions))
    needed = ["document", "unit_start", "unit_end", "code", "accept"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise QualcodeError(
            Problem(
                f"Decisions lack column(s) {', '.join(missing)}.",
                field="decisions",
                hint=f"Give {', '.join(needed)} (the disagreements() table has them).",
            )
        )
    return table


def _decision(
    data: AnalysisData, lengths: Mapping[str, Any], row: Mapping[Any, Any], number: int
) -> tuple[tuple[str, int, int, str], bool] | Problem | None:
    """One decision row as ((document, start, end, code), accepted); None when undecided
    (``accept`` empty); the Problem when the row is wrong (``number``: its row)."""
    accept = row["accept"]
    if accept is None or (isinstance(accept, float) and math.isnan(accept)) or accept == "":
        return None
    accept_bool = _as_bool(accept)
    if accept_bool is None:
        return Problem(f"accept must be yes/no (true/false, 1/0), got {accept!r}.", row=number, field="accept")
    doc, cid = str(row["document"]), data.codebook.resolve(str(row["code"]))
    if doc not in lengths:
        return Problem(
            f"Unknown document '{doc}'.", row=number, field="document", hint=did_you_mean(doc, list(lengths))
        )
    if cid is None:
        return Problem(
            f"Unknown code '{row['code']}'.",
            row=number,
            field="code",
            hint=did_you_mean(str(row["code"]), list(data.codebook.codes)),
        )
    s, e = int(row["unit_start"]), int(row["unit_end"])
    if not 0 <= s < e <= int(lengths[doc]):
        return Problem(
            f"Offsets {s}-{e} are outside document '{doc}' (length {lengths[doc]}).",
            row=number,
            field="unit_start",
        )
    return (doc, s, e, cid), accept_bool


def _agreed(
    data: AnalysisData,
    annotators: Sequence[str] | None,
    unit: str,
    documents: Sequence[str] | None,
    scope: str,
    include_interviewer: bool,
) -> list[tuple[str, int, int, str]]:
    """(document, start, end, code) of every unit where every chosen coder applied the code."""
    coders = _select_annotators(data, annotators)
    frame = _frame(data, coders, documents, scope)
    units = _units(data, frame, unit, None if include_interviewer else INTERVIEWER_SPEAKERS)
    p = _code_presence(frame, units, 0.0)
    n_u = max(len(units.gstart), 1)
    keys, k = _unique(p.item * n_u + p.unit, return_counts=True)
    agreed = []
    for key in keys[k == len(coders)]:
        u, cid = int(key % n_u), frame.code_ids[int(key // n_u)]
        agreed.append((frame.documents[int(units.doc[u])], int(units.start[u]), int(units.end[u]), cid))
    return agreed


def _consensus(data: AnalysisData, doc: str, start: int, end: int, code: str) -> Coding:
    return Coding(
        document=doc,
        start=start,
        end=end,
        code=code,
        annotator=CONSENSUS,
        origin="adjudicated",
        quote=data.texts.get(doc, "")[start:end] if data.texts else None,
    )


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().casefold()
    if text in {"yes", "y", "true", "t", "1", "accept", "x", "да"}:
        return True
    if text in {"no", "n", "false", "f", "0", "reject", "нет"}:
        return False
    return None
