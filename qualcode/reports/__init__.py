"""Counts, themes, expert consensus, matrices and co-occurrence: the reports engine.

Every report is a pure function of a :class:`qualcode.frames.AnalysisData` and returns a
pandas DataFrame.  ``df.attrs`` always carries:

``unit``
    what is counted (see the definitions below);
``uncoded``
    how text nobody coded is treated;
``description``
    one sentence saying what the table is.

Definitions used throughout (and in ``docs/methods.md``):

coding
    one row of ``data.codings``: an annotator attached a code to a span
    ``(document, start, end)``.
excerpt
    a *distinct* coded span ``(document, start, end)`` among the codings considered.
    Two annotators coding the same span, or one span coded with two codes of one
    theme, count as **one** excerpt for that theme (and one excerpt per code for code
    counts).  Spans that merely overlap are different excerpts.
expert / participant
    the interviewee whose document holds the excerpt.  ``experts_n`` is the number of
    distinct participants with at least one excerpt; ``experts`` lists their ids sorted
    in natural order ("A,B,F", "P2,P10") joined by ",".
theme membership
    a code belongs to its theme and to every ancestor theme (a code under a sub-theme
    counts for the sub-theme and the main theme), and to every cross-cutting theme that
    lists it.

Uncoded text is never counted: reports describe what was coded.  Participants with a
document but no codings are still listed (with zeros) in :func:`matrix` and count in the
denominator of :func:`consensus` shares.

``annotators=`` restricts every report to the codings of the given annotators (e.g.
``["consensus"]`` after adjudication); naming an annotator that has no codings is an error.

This package is a façade over its rooms: :mod:`.phrases` (natural order, "Six Experts (…)"),
:mod:`.pooling` (whose codings count, ``df.attrs``), :mod:`.coded` (the coded spans as arrays
and distinct-excerpt counting), :mod:`.counts` (frequencies, themes, consensus, matrix),
:mod:`.cooccurrence` and :mod:`.appendices` (quote and participant tables).  Import them from
``qualcode.reports``.
"""

from __future__ import annotations

from ..vocabulary import COOCCURRENCE_UNITS
from .appendices import PARTICIPANT_TABLE_COLUMNS, participant_table, quote_table, speaker_name
from .coded import _coded as _coded
from .coded import _labels as _labels
from .coded import _participant_order as _participant_order
from .cooccurrence import cooccurrence
from .counts import _unique_names as _unique_names
from .counts import code_frequencies, consensus, matrix, theme_table
from .phrases import _label_parts as _label_parts
from .phrases import _natural_sorted as _natural_sorted
from .phrases import _phrase_from_tags as _phrase_from_tags
from .phrases import experts_phrase, natural_key
from .pooling import ASSISTANT_PREFIXES as ASSISTANT_PREFIXES
from .pooling import EXCERPT_UNIT
from .pooling import UNCODED_NOT_COUNTED as UNCODED_NOT_COUNTED
from .pooling import Pooling as Pooling
from .pooling import _select as _select
from .pooling import is_assistant as is_assistant
from .pooling import pool as pool

__all__ = [
    "EXCERPT_UNIT",
    "COOCCURRENCE_UNITS",
    "PARTICIPANT_TABLE_COLUMNS",
    "natural_key",
    "experts_phrase",
    "speaker_name",
    "code_frequencies",
    "theme_table",
    "consensus",
    "matrix",
    "cooccurrence",
    "quote_table",
    "participant_table",
]
