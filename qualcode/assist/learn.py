"""A model that learns from coded units and suggests codes for uncoded ones.

Training data: every unit (sentence or paragraph, see :mod:`qualcode.assist.units`)
that carries at least one code; its text is the input, the set of codes it carries the
target.  Features are TF-IDF of words (1–2 grams) and of characters inside word
boundaries (3–5 grams, which also catches inflected forms).  Two models are fitted on
them:

* codes — one binary classifier per code (one-vs-rest).  Logistic regression
  (liblinear's dual solver: units are far fewer than features) by default; with ``estimator="svm"`` (or ``"auto"`` and at least ``svm_min_units``
  units) a linear SVM calibrated by ``CalibratedClassifierCV`` (sigmoid,
  ``calibration_folds`` stratified folds).  A code with fewer positive (or negative)
  units than folds cannot be calibrated and falls back to logistic regression; a code
  that is on every unit or on none gets a constant probability.
* themes — one multinomial logistic regression over the main themes
  (``theme_level="main"``) or the codes' own (sub-)themes (``"sub"``); a unit with
  codes under several themes counts once per theme.

Everything is seeded and deterministic.  The model only *suggests*: nothing here
writes codings.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import Problem, QualcodeError, did_you_mean, valid_list
from ..frames import AnalysisData
from ..model import Codebook
from .units import annotator_codings, check_unit, theme_label, theme_of, unit_codes, unit_table

if TYPE_CHECKING:  # scikit-learn is imported lazily: it takes a while to load
    from sklearn.pipeline import FeatureUnion

ESTIMATORS = ("auto", "logreg", "svm")
THEME_LEVELS = ("main", "sub")
ORDERS = ("document", "uncertainty")
UNCERTAINTIES = ("margin", "entropy")
MODEL_SUGGESTION_COLUMNS = [
    "document",
    "participant",
    "start",
    "end",
    "text",
    "code",
    "code_label",
    "theme",
    "theme_label",
    "confidence",
    "theme_confidence",
    "rank",
    "margin",
    "reason",
    "source",
]


@dataclass(frozen=True)
class UnitPrediction:
    """The model's view of one unit: top codes and themes with probabilities, best first.

    ``margin`` is the top code's probability minus the runner-up's (small = unsure);
    ``entropy`` is the Shannon entropy (nats) of the code probabilities normalised to sum to 1.
    """

    codes: tuple[tuple[str, float], ...]
    themes: tuple[tuple[str, float], ...]
    margin: float
    entropy: float


def _choice(value: str, valid: Sequence[str], name: str) -> None:
    if value not in valid:
        hint = did_you_mean(value, valid) or f"Use one of {valid_list(valid)}."
        raise QualcodeError(Problem(f"Unknown {name} '{value}'.", field=name, hint=hint))


def _features() -> FeatureUnion:
    """Word 1–2 gram and in-word character 3–5 gram TF-IDF, side by side (deterministic)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)),
        ]
    )


class _Constant:
    """A 'classifier' for a label that is on every training unit or on none."""

    def __init__(self, p: float) -> None:
        self.p = p

    def positive_proba(self, x) -> np.ndarray:
        return np.full(x.shape[0], self.p)


class _Binary:
    def __init__(self, estimator) -> None:
        self.estimator = estimator

    def positive_proba(self, x) -> np.ndarray:
        proba = self.estimator.predict_proba(x)
        return proba[:, list(self.estimator.classes_).index(1)]


class SuggestionModel:
    """Learn codes and themes from coded units; suggest them for uncoded ones.

    >>> model = SuggestionModel(seed=0)       # then model.fit(data) and model.suggest(data)
    >>> model.estimator, model.theme_level
    ('auto', 'main')
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        theme_level: str = "main",
        estimator: str = "auto",
        svm_min_units: int = 200,
        calibration_folds: int = 3,
        C: float = 10.0,
    ) -> None:
        _choice(estimator, ESTIMATORS, "estimator")
        _choice(theme_level, THEME_LEVELS, "theme_level")
        self.seed = seed
        self.theme_level = theme_level
        self.estimator = estimator
        self.svm_min_units = svm_min_units
        self.calibration_folds = calibration_folds
        self.C = C
        self.codebook: Codebook | None = None
        self.unit = "sentence"
        self.codes_: list[str] = []
        self.themes_: list[str] = []
        self.code_estimators_: dict[str, str] = {}  # code -> "logreg" | "svm" | "constant"
        self.n_units_ = 0
        self._features: FeatureUnion | None = None
        self._code_models: dict[str, _Constant | _Binary] = {}
        self._theme_model = None

    # ------------------------------------------------------------------ fitting
    def fit(
        self, data: AnalysisData, unit: str = "sentence", annotators: Iterable[str] | None = None
    ) -> SuggestionModel:
        """Fit on every unit of ``data`` that carries a code (of the given annotators)."""
        check_unit(unit)
        units = unit_table(data, unit)
        labels = unit_codes(units, annotator_codings(data, annotators), data.codebook)
        coded = [i for i, codes in enumerate(labels) if codes]
        if not coded:
            raise QualcodeError(
                Problem(
                    f"No coded {unit}s to learn from.",
                    hint="Code a few passages first" + (", or choose other annotators." if annotators else "."),
                )
            )
        self.unit = unit
        return self.fit_units([units["text"].iloc[i] for i in coded], [labels[i] for i in coded], data.codebook)

    def fit_units(
        self, texts: Sequence[str], code_sets: Sequence[Iterable[str]], codebook: Codebook
    ) -> SuggestionModel:
        """Fit on unit texts and the code ids each carries (evaluation calls this per fold)."""
        code_sets = [frozenset(c for c in codes if c in codebook.codes) for codes in code_sets]
        if len(texts) != len(code_sets):
            raise ValueError("texts and code_sets differ in length")
        keep = [i for i, codes in enumerate(code_sets) if codes]
        if not keep:
            raise QualcodeError(Problem("No coded units to learn from.", hint="Code a few passages first."))
        texts = [str(texts[i]) for i in keep]
        code_sets = [code_sets[i] for i in keep]
        self.codebook = codebook
        self.n_units_ = len(texts)
        self.codes_ = [c for c in codebook.codes if any(c in s for s in code_sets)]
        theme_sets = [sorted({theme_of(codebook, c, self.theme_level) for c in s}) for s in code_sets]
        self.themes_ = sorted(
            {t for s in theme_sets for t in s},
            key=lambda t: (list(codebook.themes).index(t) if t in codebook.themes else 1 << 30, t),
        )
        self._features = _features()
        try:
            x = self._features.fit_transform(texts)
        except ValueError as exc:  # e.g. only punctuation: empty vocabulary
            raise QualcodeError(
                Problem(f"Cannot learn from these units: {exc}.", hint="Code passages that contain words.")
            ) from exc
        use_svm = self.estimator == "svm" or (self.estimator == "auto" and len(texts) >= self.svm_min_units)
        self._code_models, self.code_estimators_ = {}, {}
        with _single_thread():
            for code in self.codes_:
                y = np.array([1 if code in s else 0 for s in code_sets])
                self._code_models[code], self.code_estimators_[code] = self._fit_binary(x, y, use_svm)
            self._theme_model = self._fit_themes(x, theme_sets)
        return self

    def _binary_logreg(self):
        from sklearn.linear_model import LogisticRegression

        # Units are far fewer than features, where liblinear's dual solver is the fast one
        # (a codebook of 200 codes fits 200 of these).
        return LogisticRegression(C=self.C, solver="liblinear", dual=True, max_iter=5000, random_state=self.seed)

    def _multiclass_logreg(self):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.C, max_iter=2000, tol=1e-3, random_state=self.seed)

    def _fit_binary(self, x, y: np.ndarray, use_svm: bool) -> tuple[_Constant | _Binary, str]:
        positives = int(y.sum())
        negatives = len(y) - positives
        if positives == 0 or negatives == 0:
            return _Constant(float(positives > 0)), "constant"
        if use_svm and min(positives, negatives) >= self.calibration_folds:
            from sklearn.calibration import CalibratedClassifierCV
            from sklearn.model_selection import StratifiedKFold
            from sklearn.svm import LinearSVC

            folds = StratifiedKFold(n_splits=self.calibration_folds)  # no shuffling: deterministic
            model = CalibratedClassifierCV(LinearSVC(C=1.0, random_state=self.seed), cv=folds, method="sigmoid")
            return _Binary(model.fit(x, y)), "svm"
        return _Binary(self._binary_logreg().fit(x, y)), "logreg"

    def _fit_themes(self, x, theme_sets: list[list[str]]):
        if len(self.themes_) < 2:
            return None  # one theme: probability 1
        rows = [i for i, themes in enumerate(theme_sets) for _ in themes]
        y = [t for themes in theme_sets for t in themes]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            return self._multiclass_logreg().fit(x[rows], y)

    # ------------------------------------------------------------------ predicting
    def _check_fitted(self) -> tuple[FeatureUnion, Codebook]:
        """The fitted feature extractor and the codebook it was fitted with."""
        if self._features is None or self.codebook is None:
            raise RuntimeError("SuggestionModel is not fitted yet: call fit() or fit_units() first")
        return self._features, self.codebook

    def code_probabilities(self, texts: Sequence[str]) -> pd.DataFrame:
        """Units × codes probability table (one-vs-rest: rows need not sum to 1)."""
        features, _ = self._check_fitted()
        x = features.transform([str(t) for t in texts])
        with _single_thread():
            cols = {code: self._code_models[code].positive_proba(x) for code in self.codes_}
        return pd.DataFrame(cols, columns=self.codes_, index=range(len(texts)), dtype="float64")

    def theme_probabilities(self, texts: Sequence[str]) -> pd.DataFrame:
        """Units × themes probability table (multiclass: rows sum to 1)."""
        features, _ = self._check_fitted()
        if self._theme_model is None:
            return pd.DataFrame(1.0, columns=self.themes_, index=range(len(texts)))
        x = features.transform([str(t) for t in texts])
        with _single_thread():
            proba = self._theme_model.predict_proba(x)
        order = [list(self._theme_model.classes_).index(t) for t in self.themes_]
        return pd.DataFrame(proba[:, order], columns=self.themes_, index=range(len(texts)))

    def predict_units(self, texts: Sequence[str], top_k: int = 3) -> list[UnitPrediction]:
        """Top-k codes and themes, with probabilities, for each text."""
        codes = self.code_probabilities(texts).to_numpy()
        themes = self.theme_probabilities(texts).to_numpy()
        out = []
        for c_row, t_row in zip(codes, themes):
            c_rank = _ranking(c_row)
            t_rank = _ranking(t_row)
            top = c_row[c_rank[:2]].tolist() + [0.0, 0.0]
            out.append(
                UnitPrediction(
                    codes=tuple((self.codes_[i], float(c_row[i])) for i in c_rank[:top_k]),
                    themes=tuple((self.themes_[i], float(t_row[i])) for i in t_rank[:top_k]),
                    margin=float(top[0] - top[1]),
                    entropy=_entropy(c_row),
                )
            )
        return out

    def suggest(
        self,
        data: AnalysisData,
        annotator: str | None = None,
        top_k: int = 3,
        order: str = "document",
        documents: Iterable[str] | None = None,
        uncertainty: str = "margin",
    ) -> pd.DataFrame:
        """Suggest the top-k codes for every unit the annotator has not coded.

        A unit counts as coded when a coding of ``annotator`` (of anyone when None) carries
        it.  One row per unit and rank.  ``order="document"`` keeps text order;
        ``order="uncertainty"`` puts the units the model is least sure about first
        (ascending margin between its two most probable codes, or with
        ``uncertainty="entropy"`` descending entropy of its code probabilities): coding
        those teaches it most.  Ties keep text order.
        """
        _, fitted_codebook = self._check_fitted()
        _choice(order, ORDERS, "order")
        _choice(uncertainty, UNCERTAINTIES, "uncertainty")
        units = unit_table(data, self.unit, documents)
        labels = unit_codes(units, annotator_codings(data, annotator), data.codebook)
        units = units.loc[[not codes for codes in labels]].reset_index(drop=True)
        if not len(units) or not self.codes_:
            return pd.DataFrame(columns=MODEL_SUGGESTION_COLUMNS)
        predictions = self.predict_units(units["text"].tolist(), top_k=top_k)
        themes = self.theme_probabilities(units["text"].tolist())
        units["margin"] = [p.margin for p in predictions]
        units["neg_entropy"] = [-p.entropy for p in predictions]
        units["position"] = range(len(units))
        if order == "uncertainty":
            key = "margin" if uncertainty == "margin" else "neg_entropy"
            units = units.sort_values([key, "position"], kind="stable")
        codebook = data.codebook
        rows = []
        for u in units.itertuples(index=False):
            pred = predictions[u.position]
            for rank, (code, p) in enumerate(pred.codes, start=1):
                theme = theme_of(fitted_codebook, code, self.theme_level) if code in fitted_codebook.codes else ""
                rows.append(
                    {
                        "document": u.document,
                        "participant": u.participant,
                        "start": u.start,
                        "end": u.end,
                        "text": u.text,
                        "code": code,
                        "code_label": codebook.codes[code].label if code in codebook.codes else code,
                        "theme": theme,
                        "theme_label": theme_label(codebook, theme),
                        "confidence": p,
                        "theme_confidence": float(themes.at[u.position, theme]) if theme in themes.columns else 0.0,
                        "rank": rank,
                        "margin": pred.margin,
                        "reason": f"model: top-{rank} of {top_k} for this {self.unit}, p={p:.2f} (margin {pred.margin:.2f})",
                        "source": "model",
                    }
                )
        out = pd.DataFrame(rows, columns=MODEL_SUGGESTION_COLUMNS)
        for col in ("start", "end", "rank"):
            out[col] = out[col].astype("int64")
        return out


def _single_thread():
    """Run BLAS/OpenMP single-threaded: these problems are tiny, and on a busy machine
    (a shared server, the app plus a CLI run) thread pools oversubscribe the cores —
    logistic regression was measured 15 times slower with two threads than with one."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _ranking(row: np.ndarray) -> list[int]:
    """Indices by descending probability; ties keep codebook order (stable)."""
    return sorted(range(len(row)), key=lambda i: -row[i])


def _entropy(row: np.ndarray) -> float:
    total = float(row.sum())
    if total <= 0:
        return 0.0
    return float(-sum((p / total) * math.log(p / total) for p in row if p > 0))


__all__ = [
    "SuggestionModel",
    "UnitPrediction",
    "ESTIMATORS",
    "THEME_LEVELS",
    "ORDERS",
    "UNCERTAINTIES",
    "MODEL_SUGGESTION_COLUMNS",
]
