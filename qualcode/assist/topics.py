"""Candidate topics in what nobody has coded yet: proposals for new codes.

The uncoded units (sentences or paragraphs no coding carries, see
:mod:`qualcode.assist.units`) are turned into TF-IDF vectors of words and word pairs —
letters only, without the spaCy stop words of the documents' languages — and factorised
by non-negative matrix factorisation (NMF) into ``n_topics`` topics.  Each topic lists
its heaviest terms and the units that load most on it, so a person can decide whether
it deserves a code (inductive coding).  Seeded and deterministic.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Problem, QualcodeError
from ..frames import AnalysisData
from .units import annotator_codings, check_unit, unit_codes, unit_table

TOPIC_COLUMNS = ["topic", "label", "top_terms", "n_units", "examples"]
_WORD = r"(?u)\b[^\W\d_]{2,}\b"  # words of two or more letters: no numbers, no underscores


def stop_words(languages: Iterable[str]) -> set[str]:
    """spaCy's stop words for each language it knows, as the topic tokeniser splits them.

    >>> {"the", "ll"} <= stop_words(["en"])   # "'ll" is split like the texts are
    True
    """
    import spacy

    words: set[str] = set()
    for lang in set(languages):
        try:
            listed = spacy.util.get_lang_class(lang).Defaults.stop_words
        except (ImportError, KeyError, ValueError):  # unknown language code
            continue
        for word in listed:
            words.update(re.findall(_WORD, word.lower()))
    return words


def candidate_topics(
    data: AnalysisData,
    n_topics: int = 8,
    unit: str = "sentence",
    annotators: Iterable[str] | None = None,
    seed: int = 0,
    *,
    n_terms: int = 8,
    n_examples: int = 3,
) -> pd.DataFrame:
    """Topics found in the uncoded units, largest first.

    Columns: ``topic`` (1, 2, …), ``label`` (its three top terms), ``top_terms`` (list of
    up to ``n_terms`` terms, heaviest first), ``n_units`` (units whose strongest topic
    it is) and ``examples`` (up to ``n_examples`` dicts with ``document``,
    ``participant`` label and ``text``, the units loading most on it).  Fewer than
    ``n_topics`` rows come back when there are fewer uncoded units or distinct terms.
    A unit counts as coded when a coding of ``annotators`` (anyone's when None) carries it.
    """
    check_unit(unit)
    if n_topics < 1:
        raise QualcodeError(Problem(f"n_topics must be at least 1, got {n_topics}.", field="n_topics"))
    units = unit_table(data, unit)
    labels = unit_codes(units, annotator_codings(data, annotators), data.codebook)
    units = units.loc[[not codes for codes in labels]].reset_index(drop=True)
    empty = pd.DataFrame(columns=TOPIC_COLUMNS)
    if not len(units):
        return empty

    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectoriser = TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        token_pattern=_WORD,
        sublinear_tf=True,
        stop_words=sorted(stop_words(units["language"])) or None,
    )
    try:
        x = vectoriser.fit_transform(units["text"].tolist())
    except ValueError:  # nothing but stop words and numbers
        return empty
    n = min(n_topics, x.shape[0], x.shape[1])
    from threadpoolctl import threadpool_limits

    # Single-threaded: tiny problems, and thread pools oversubscribe a busy machine.
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")  # ConvergenceWarning on tiny corpora is harmless here
        nmf = NMF(n_components=n, init="nndsvda", random_state=seed, max_iter=1000)
        weights = nmf.fit_transform(x)
    terms = vectoriser.get_feature_names_out()
    strongest = weights.argmax(axis=1)
    loaded = weights.max(axis=1) > 0
    rows = [
        _topic_row(
            data,
            units,
            terms,
            nmf.components_[t],
            weights[:, t],
            ((strongest == t) & loaded).sum(),
            n_terms,
            n_examples,
        )
        for t in range(n)
    ]
    rows.sort(key=lambda r: -r["n_units"])  # stable: NMF order breaks ties
    for number, row in enumerate(rows, start=1):
        row["topic"] = number
    return pd.DataFrame(rows, columns=TOPIC_COLUMNS)


def _topic_row(
    data: AnalysisData,
    units: pd.DataFrame,
    terms: Any,
    component: np.ndarray,
    loading: np.ndarray,
    n_units: Any,
    n_terms: int,
    n_examples: int,
) -> dict[str, Any]:
    """One topic: its heaviest terms, the number of units it is strongest in, and the units
    loading most on it as examples."""
    top = [str(terms[j]) for j in np.argsort(-component, kind="stable")[:n_terms] if component[j] > 0]
    order = [i for i in np.argsort(-loading, kind="stable")[:n_examples] if loading[i] > 0]
    examples = [
        {
            "document": str(units.at[i, "document"]),
            "participant": _participant_label(data, units.at[i, "participant"]),
            "text": str(units.at[i, "text"]),
        }
        for i in order
    ]
    return {"label": " / ".join(top[:3]), "top_terms": top, "n_units": int(n_units), "examples": examples}


def _participant_label(data: AnalysisData, pid) -> str:
    return data.participant_label(pid) if isinstance(pid, str) and pid else ""


__all__ = ["candidate_topics", "stop_words", "TOPIC_COLUMNS"]
