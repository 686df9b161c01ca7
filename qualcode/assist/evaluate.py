"""How well would the assistants have suggested what people actually coded?

Leave-one-participant-out cross-validation over the *coded* units (sentences or
paragraphs carrying at least one code, see :mod:`qualcode.assist.units`): for each
participant, the model is trained on everyone else's coded units — vectoriser
included, so nothing of the held-out interviews leaks into training — and ranks codes
and themes for the held-out participant's units.  Units of documents without a
participant form one group per document.

Three methods are scored on the same folds in one run:

* ``model`` — :class:`~qualcode.assist.learn.SuggestionModel`;
* ``majority`` — always the codes/themes most frequent in the training folds (by number
  of units carrying them; ties in codebook order);
* ``patterns`` — the codebook patterns alone: codes ranked by how many pattern matches
  the unit has (ties in codebook order), themes by the summed matches of their codes; a
  unit without any match is a miss at every k.  Patterns are not trained, so folds do not
  change them.

**Top-k accuracy for multi-label units**: a unit is a hit at k when *any* of its true
codes (themes) is among the method's first k; the accuracy is the fraction of hits.
**Per-theme precision/recall/F1** judge the top-1 theme: for theme t, precision = units
whose top-1 is t and truly carry t / units whose top-1 is t; recall = the same hits /
units truly carrying t; F1 their harmonic mean; an undefined ratio is reported as 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pandas as pd

from ..errors import Problem, QualcodeError
from ..frames import AnalysisData
from ..model import Codebook
from .learn import SuggestionModel
from .patterns import compile_patterns
from .units import annotator_codings, check_unit, theme_label, theme_of, unit_codes, unit_table

METHODS = ("model", "majority", "patterns")
METRICS = ("theme_top1", "theme_top3", "code_top1", "code_top3")
PER_THEME_COLUMNS = ["method", "theme", "theme_label", "support", "predicted", "precision", "recall", "f1"]
PREDICTION_COLUMNS = [
    "fold",
    "document",
    "participant",
    "start",
    "end",
    "method",
    "true_codes",
    "top_codes",
    "true_themes",
    "top_themes",
]


def lopo_folds(groups: Sequence[str]) -> list[tuple[str, list[int], list[int]]]:
    """Leave-one-group-out folds: (held-out group, training indices, test indices).

    >>> lopo_folds(["A", "B", "A"])
    [('A', [1], [0, 2]), ('B', [0, 2], [1])]
    """
    folds = []
    for held_out in sorted(set(groups)):
        train = [i for i, g in enumerate(groups) if g != held_out]
        test = [i for i, g in enumerate(groups) if g == held_out]
        folds.append((held_out, train, test))
    return folds


def _rank(counts: Counter, order: dict[str, int]) -> list[str]:
    return sorted((k for k, v in counts.items() if v > 0), key=lambda k: (-counts[k], order.get(k, 1 << 30), k))


def _hit(ranking: Sequence[str], truth: Iterable[str], k: int) -> bool:
    return bool(set(ranking[:k]) & set(truth))


def _run(
    data: AnalysisData,
    unit: str,
    annotators: Iterable[str] | None,
    seed: int,
    theme_level: str,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, int]:
    """Predictions of every method for every coded unit, and the number of folds.
    ``progress(done, total)`` is called before the first fold and after each one."""
    check_unit(unit)
    codebook = data.codebook
    units = unit_table(data, unit)
    labels = unit_codes(units, annotator_codings(data, annotators), codebook)
    coded = [i for i, codes in enumerate(labels) if codes]
    units = units.iloc[coded].reset_index(drop=True)
    labels = [labels[i] for i in coded]
    groups = [
        p if isinstance(p, str) and p else f"document:{d}" for p, d in zip(units["participant"], units["document"])
    ]
    if len(set(groups)) < 2:
        raise QualcodeError(
            Problem(
                f"Leave-one-participant-out evaluation needs coded {unit}s from at least two participants; "
                f"found {len(set(groups))}.",
                hint="Code interviews of more participants first.",
            )
        )
    code_order = {c: i for i, c in enumerate(codebook.codes)}
    theme_order = {t: i for i, t in enumerate(codebook.themes)}
    themes_of = [sorted({theme_of(codebook, c, theme_level) for c in codes}) for codes in labels]
    pattern_codes, pattern_themes = _pattern_rankings(units, codebook, theme_level, code_order, theme_order)
    texts = units["text"].tolist()
    rows: list[dict[str, Any]] = []
    folds = lopo_folds(groups)
    if progress is not None:
        progress(0, len(folds))
    for fold, (_held_out, train, test) in enumerate(folds, start=1):
        model = SuggestionModel(seed=seed, theme_level=theme_level)
        model.fit_units([texts[i] for i in train], [labels[i] for i in train], codebook)
        predicted = model.predict_units([texts[i] for i in test], top_k=3)
        majority_codes = _rank(Counter(c for i in train for c in labels[i]), code_order)[:3]
        majority_themes = _rank(Counter(t for i in train for t in themes_of[i]), theme_order)[:3]
        for i, pred in zip(test, predicted):
            base = {
                "fold": fold,
                "document": units.at[i, "document"],
                "participant": units.at[i, "participant"],
                "start": int(units.at[i, "start"]),
                "end": int(units.at[i, "end"]),
                "true_codes": sorted(labels[i], key=code_order.__getitem__),
                "true_themes": themes_of[i],
            }
            for method, codes, themes in (
                ("model", [c for c, _ in pred.codes], [t for t, _ in pred.themes]),
                ("majority", majority_codes, majority_themes),
                ("patterns", pattern_codes[i][:3], pattern_themes[i][:3]),
            ):
                rows.append({**base, "method": method, "top_codes": list(codes), "top_themes": list(themes)})
        if progress is not None:
            progress(fold, len(folds))
    return pd.DataFrame(rows, columns=PREDICTION_COLUMNS), len(folds)


def _pattern_rankings(
    units: pd.DataFrame, codebook: Codebook, theme_level: str, code_order: dict[str, int], theme_order: dict[str, int]
) -> tuple[list[list[str]], list[list[str]]]:
    codes_out, themes_out = [], []
    has_patterns = any(c.patterns for c in codebook.codes.values())
    for text, language in zip(units["text"], units["language"]):
        matches = compile_patterns(codebook, language).match_text(text) if has_patterns else []
        code_counts = Counter(m.code for m in matches)
        theme_counts: Counter = Counter()
        for code, n in code_counts.items():
            theme_counts[theme_of(codebook, code, theme_level)] += n
        codes_out.append(_rank(code_counts, code_order))
        themes_out.append(_rank(theme_counts, theme_order))
    return codes_out, themes_out


def _summary(predictions: pd.DataFrame, n_folds: int) -> pd.DataFrame:
    rows = []
    for method in METHODS:
        p = predictions.loc[predictions["method"] == method]
        n = len(p)
        row: dict[str, Any] = {"method": method}
        for kind in ("theme", "code"):
            for k in (1, 3):
                hits = sum(_hit(r, t, k) for r, t in zip(p[f"top_{kind}s"], p[f"true_{kind}s"]))
                row[f"{kind}_top{k}"] = hits / n if n else 0.0
        row["n_units"] = n
        row["n_folds"] = n_folds
        rows.append(row)
    return pd.DataFrame(rows, columns=["method", *METRICS, "n_units", "n_folds"])


def _per_theme(predictions: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    rows = []
    theme_order = {t: i for i, t in enumerate(codebook.themes)}
    for method in METHODS:
        p = predictions.loc[predictions["method"] == method]
        top1 = [r[0] if r else None for r in p["top_themes"]]
        truth = [set(t) for t in p["true_themes"]]
        themes = {t for s in truth for t in s} | {t for t in top1 if t is not None}
        for theme in sorted(themes, key=lambda t: (theme_order.get(t, 1 << 30), t)):
            support = sum(theme in s for s in truth)
            predicted = sum(t == theme for t in top1)
            tp = sum(t == theme and theme in s for t, s in zip(top1, truth))
            precision = tp / predicted if predicted else 0.0
            recall = tp / support if support else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            rows.append(
                {
                    "method": method,
                    "theme": theme,
                    "theme_label": theme_label(codebook, theme),
                    "support": support,
                    "predicted": predicted,
                    "precision": precision,
                    "recall": recall,
                    "f1": f1,
                }
            )
    return pd.DataFrame(rows, columns=PER_THEME_COLUMNS)


def evaluate_tables(
    data: AnalysisData,
    unit: str = "sentence",
    annotators: Iterable[str] | None = None,
    seed: int = 0,
    *,
    theme_level: str = "main",
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, pd.DataFrame]:
    """The evaluation as tables: ``summary`` (one row per method), ``per_theme``
    (precision/recall/F1 of the top-1 theme) and ``predictions`` (every unit × method).
    ``progress(done, total)``: called as the folds (one per participant) are done."""
    predictions, n_folds = _run(data, unit, annotators, seed, theme_level, progress)
    return {
        "summary": _summary(predictions, n_folds),
        "per_theme": _per_theme(predictions, data.codebook),
        "predictions": predictions,
    }


def evaluate(
    data: AnalysisData,
    unit: str = "sentence",
    annotators: Iterable[str] | None = None,
    seed: int = 0,
    *,
    theme_level: str = "main",
) -> dict[str, dict[str, Any]]:
    """Leave-one-participant-out scores, JSON-ready.

    Returns ``{"model": {...}, "majority": {...}, "patterns": {...}}``; each holds
    ``theme_top1``, ``theme_top3``, ``code_top1``, ``code_top3`` (fractions in [0, 1]),
    ``n_units``, ``n_folds`` and ``per_theme`` (records of theme, theme_label, support,
    predicted, precision, recall, f1).
    """
    tables = evaluate_tables(data, unit, annotators, seed, theme_level=theme_level)
    out: dict[str, dict[str, Any]] = {}
    for row in tables["summary"].to_dict("records"):
        method = row.pop("method")
        result: dict[str, Any] = {m: float(row[m]) for m in METRICS}
        result["n_units"] = int(row["n_units"])
        result["n_folds"] = int(row["n_folds"])
        per_theme = tables["per_theme"].loc[tables["per_theme"]["method"] == method].drop(columns="method")
        result["per_theme"] = [
            {
                "theme": str(r["theme"]),
                "theme_label": str(r["theme_label"]),
                "support": int(r["support"]),
                "predicted": int(r["predicted"]),
                "precision": float(r["precision"]),
                "recall": float(r["recall"]),
                "f1": float(r["f1"]),
            }
            for r in per_theme.to_dict("records")
        ]
        out[method] = result
    return out


__all__ = ["METHODS", "METRICS", "lopo_folds", "evaluate", "evaluate_tables"]
