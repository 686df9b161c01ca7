"""Assisted coding: suggestions that a person accepts or rejects.

Nothing in this package writes a coding.  Pattern matches
(:func:`pattern_suggestions`) and the learned model (:class:`SuggestionModel`) return
DataFrames of suggestions with a ``reason``; :func:`suggestions_from_frame` turns rows
into :class:`Suggestion` records, and :meth:`Suggestion.to_coding` makes the coding the
project layer stores once a person accepts it (origin ``"suggestion-accepted"``).
:func:`evaluate` measures how well each assistant would have done
(leave-one-participant-out), and :func:`candidate_topics` proposes new codes from
what is still uncoded.
"""

from .evaluate import METHODS, METRICS, evaluate, evaluate_tables, lopo_folds
from .learn import SuggestionModel, UnitPrediction
from .patterns import PatternMatch, compile_patterns, crude_stem, match_patterns, parse_patterns, pattern_suggestions
from .suggestion import Suggestion, suggestions_from_frame
from .topics import candidate_topics
from .units import UNIT_KINDS, split_units, unit_table

__all__ = [
    "Suggestion",
    "suggestions_from_frame",
    "pattern_suggestions",
    "match_patterns",
    "compile_patterns",
    "parse_patterns",
    "crude_stem",
    "PatternMatch",
    "SuggestionModel",
    "UnitPrediction",
    "evaluate",
    "evaluate_tables",
    "lopo_folds",
    "METHODS",
    "METRICS",
    "candidate_topics",
    "UNIT_KINDS",
    "unit_table",
    "split_units",
]
