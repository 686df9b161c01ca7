"""Coding-level inter-coder reliability on an :class:`~qualcode.frames.AnalysisData`.

Three ways to line up two or more coders' codings (``unit=``):

* ``"sentence"`` | ``"paragraph"`` | ``"turn"`` — *units of analysis*.  A code is
  **present** in a unit for a coder when one of that coder's codings of the code
  overlaps the unit by at least one character (or covers at least ``min_overlap``
  of the unit's characters when ``min_overlap > 0``).  The units are **all**
  segments of that kind in every document that at least one of the chosen coders
  coded; a unit a coder left uncoded counts as *absent* for every code (so "both
  left it uncoded" is agreement).  Per code (and per theme: present when any of
  its codes is present, cross-cutting themes included) the report gives percent
  agreement, Cohen's kappa (2 coders) or Fleiss' kappa (3+), and Krippendorff's
  alpha (nominal, binary) with a Hayes & Krippendorff (2007) bootstrap interval.
* ``"character"`` — NVivo-comparable coding comparison: every character of a
  document is a unit; per code per document percent agreement and Cohen's kappa
  for two coders, plus a size-weighted average across documents.
* ``"match"`` — MAXQDA-comparable segment matching: a coded segment is matched
  when the other coder coded an overlapping segment with the same code whose
  overlap share (intersection / union of the two segments) is at least
  ``match_threshold``; agreement table and Brennan & Prediger's kappa.

Everything is vectorised (numpy searchsorted / bincount on the codings and the
segments table); statistics come from :mod:`qualcode.agreement`'s batched
functions, fed through sparse sufficient statistics so that 300 codes × 3 coders ×
100k units never becomes a dense array.  ``docs/methods.md`` documents the
formulas and how they relate to NVivo, ATLAS.ti and MAXQDA.

This package is a façade over its rooms: :mod:`.frame` (the chosen coders' codings as arrays,
the codes or themes compared, the shared checks), :mod:`.presence` (units and which codes are
present in each), :mod:`.intercoder` (:func:`intercoder_agreement`, :func:`describe`),
:mod:`.character`, :mod:`.match` and :mod:`.spans` (the other three ``unit=`` families),
:mod:`.disagreements` (:func:`code_table`, :func:`disagreements`) and :mod:`.adjudicate`.
Import them from ``qualcode.reliability``.
"""

from __future__ import annotations

from ..vocabulary import CONSENSUS
from .adjudicate import adjudicate
from .disagreements import code_table, disagreements
from .frame import BY as BY
from .frame import INTERVIEWER_SPEAKERS, RESULT_COLUMNS, SCOPES, UNIT_KINDS, UNITS
from .frame import UNCODED_CHARACTERS as UNCODED_CHARACTERS
from .frame import UNCODED_MATCH as UNCODED_MATCH
from .frame import UNCODED_UNITS as UNCODED_UNITS
from .intercoder import describe, intercoder_agreement
from .spans import span_agreement

__all__ = [
    "intercoder_agreement",
    "span_agreement",
    "code_table",
    "describe",
    "disagreements",
    "adjudicate",
    "UNITS",
    "UNIT_KINDS",
    "SCOPES",
    "INTERVIEWER_SPEAKERS",
    "RESULT_COLUMNS",
    "CONSENSUS",
]
