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
    lengths = dict(zip(data.documents["document"].astype(str), data.documents["length"]))
    problems: list[Problem] = []
    out: dict[tuple[str, int, int, str], Coding] = {}
    for i, row in enumerate(table.to_dict("records"), start=1):
        accept = row["accept"]
        if accept is None or (isinstance(accept, float) and math.isnan(accept)) or accept == "":
            continue
        accept_bool = _as_bool(accept)
        if accept_bool is None:
            problems.append(
                Problem(f"accept must be yes/no (true/false, 1/0), got {accept!r}.", row=i + 1, field="accept")
            )
            continue
        doc, cid = str(row["document"]), data.codebook.resolve(str(row["code"]))
        if doc not in lengths:
            problems.append(
                Problem(
                    f"Unknown document '{doc}'.", row=i + 1, field="document", hint=did_you_mean(doc, list(lengths))
                )
            )
            continue
        if cid is None:
            problems.append(
                Problem(
                    f"Unknown code '{row['code']}'.",
                    row=i + 1,
                    field="code",
                    hint=did_you_mean(str(row["code"]), list(data.codebook.codes)),
                )
            )
            continue
        s, e = int(row["unit_start"]), int(row["unit_end"])
        if not 0 <= s < e <= int(lengths[doc]):
            problems.append(
                Problem(
                    f"Offsets {s}-{e} are outside document '{doc}' (length {lengths[doc]}).",
                    row=i + 1,
                    field="unit_start",
                )
            )
            continue
        if accept_bool:
            out[(doc, s, e, cid)] = _consensus(data, doc, s, e, cid)
        else:
            out.pop((doc, s, e, cid), None)
    if problems:
        raise QualcodeError(problems)
    if include_agreed:
        coders = _select_annotators(data, annotators)
        frame = _frame(data, coders, documents, scope)
        units = _units(data, frame, unit, None if include_interviewer else INTERVIEWER_SPEAKERS)
        p = _code_presence(frame, units, 0.0)
        n_u = max(len(units.gstart), 1)
        keys, k = _unique(p.item * n_u + p.unit, return_counts=True)
        for key in keys[k == len(coders)]:
            u, cid = int(key % n_u), frame.code_ids[int(key // n_u)]
            doc, s, e = frame.documents[int(units.doc[u])], int(units.start[u]), int(units.end[u])
            out.setdefault((doc, s, e, cid), _consensus(data, doc, s, e, cid))
    return sorted(out.values(), key=lambda c: (c.document, c.start, c.end, c.code))


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
