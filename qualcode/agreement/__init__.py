"""Inter-coder agreement statistics: pure, typed, vectorised (numpy).

Reliability data are laid out as in Krippendorff (2011): a **coders × units**
matrix (rows are coders, columns are units).  A missing value is ``None`` or
``NaN`` (``pd.NA`` too).  Values may be category labels of any hashable type or
numbers.  Every function returns a plain ``float``; a statistic that is
mathematically undefined (nothing to compare, no variation, …) returns
``float('nan')`` — never a made-up 1.0 — and :func:`explain_undefined` says why.

Two families of functions:

* scalar functions on one variable (``krippendorff_alpha``, ``cohen_kappa``,
  ``fleiss_kappa``, ``scott_pi``, ``gwet_ac1``, ``brennan_prediger``,
  ``percent_agreement``, ``holsti``, ``bootstrap_alpha``);
* batched functions for the presence/absence (0/1) case used by the per-code
  report, vectorised over codes: ``binary_alpha_many``, ``percent_agreement_many``,
  ``fleiss_kappa_many``, ``cohen_kappa_many``, ``brennan_prediger_many``,
  ``binary_bootstrap_alpha_many`` and ``binary_reasons_many``.  They take
  ``presence[codes, coders, units]`` (1.0 present, 0.0 absent, NaN missing).

The batched functions reduce the data to a tiny table ``H[code, m, k]``: the
number of units rated by ``m`` coders of whom ``k`` marked the code present.
Every multi-coder binary statistic is a function of that table, which is also
how :mod:`qualcode.reliability` feeds sparse codings in without ever building a
dense codes × units matrix.

References are given in each docstring and collected in ``docs/methods.md``.

This package is a façade: the functions live in :mod:`.encoding` (the matrix, missing values,
shared types), :mod:`.alpha` (Krippendorff's alpha, :func:`explain_undefined`), :mod:`.bootstrap`
(alpha's intervals), :mod:`.kappa` (the kappa family, percent agreement, Holsti),
:mod:`.estimates` (standard errors, Conger), :mod:`.binary` and :mod:`.binary_bootstrap` (the
batched presence/absence statistics); Krippendorff's unitizing alpha for span coding in
:mod:`qualcode.unitized`.  Import them from ``qualcode.agreement``.
"""

from __future__ import annotations

# Krippendorff's unitizing alpha family for span coding lives in its own module.
from ..unitized import UnitizedAlpha, unitized_alpha
from .alpha import coincidence_matrix, explain_undefined, krippendorff_alpha
from .binary import (
    BinaryStats,
    alpha_from_binary_stats,
    binary_alpha_many,
    binary_reasons_many,
    binary_stats,
    brennan_prediger_many,
    cohen_from_counts,
    cohen_kappa_many,
    fleiss_kappa_many,
    percent_agreement_many,
    presence_histogram,
)
from .binary_bootstrap import binary_agreement_many, binary_bootstrap_alpha_many
from .bootstrap import BOOT_METHODS, AlphaEstimate, bootstrap_alpha, bootstrap_method_text
from .bootstrap import BootMethod as BootMethod
from .encoding import DEFAULT_ALPHA_MIN, LEVELS
from .encoding import NAN as NAN
from .encoding import REASON_NO_PAIRS as REASON_NO_PAIRS
from .encoding import REASON_NO_VARIATION as REASON_NO_VARIATION
from .encoding import REASON_ONE_CATEGORY as REASON_ONE_CATEGORY
from .encoding import Level as Level
from .encoding import SingleRated as SingleRated
from .encoding import Weights as Weights
from .estimates import STATISTICS_WITH_SE, CoefficientEstimate, coefficient_estimate, conger_kappa
from .kappa import brennan_prediger, cohen_kappa, fleiss_kappa, gwet_ac1, holsti, percent_agreement, scott_pi

__all__ = [
    "UnitizedAlpha",
    "unitized_alpha",
    "AlphaEstimate",
    "BinaryStats",
    "LEVELS",
    "DEFAULT_ALPHA_MIN",
    "krippendorff_alpha",
    "coincidence_matrix",
    "bootstrap_alpha",
    "cohen_kappa",
    "fleiss_kappa",
    "scott_pi",
    "gwet_ac1",
    "brennan_prediger",
    "conger_kappa",
    "coefficient_estimate",
    "CoefficientEstimate",
    "STATISTICS_WITH_SE",
    "percent_agreement",
    "holsti",
    "explain_undefined",
    "presence_histogram",
    "binary_stats",
    "alpha_from_binary_stats",
    "binary_alpha_many",
    "percent_agreement_many",
    "fleiss_kappa_many",
    "brennan_prediger_many",
    "cohen_from_counts",
    "cohen_kappa_many",
    "binary_agreement_many",
    "binary_reasons_many",
    "binary_bootstrap_alpha_many",
    "bootstrap_method_text",
    "BOOT_METHODS",
]
