"""Whose codings a count report counts (:func:`pool`: consensus where it exists, else the human
annotators) and the ``df.attrs`` every report carries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import Problem, QualcodeError, did_you_mean, valid_list
from ..frames import AnalysisData
from ..vocabulary import CONSENSUS
from .phrases import natural_key

EXCERPT_UNIT = "excerpt = distinct coded span (document, start, end)"
UNCODED_NOT_COUNTED = "uncoded text is not counted"


# Annotator names that are software, not people (imported machine coding); never pooled by default.
ASSISTANT_PREFIXES = ("assistant", "model:", "pattern:", "auto:", "ai:", "llm:")


def is_assistant(annotator: str) -> bool:
    """Whether an annotator name belongs to software rather than a person.

    >>> [is_assistant(a) for a in ("assistant", "model:tfidf", "dana", "Assistant-2")]
    [True, True, False, True]
    """
    return str(annotator).casefold().startswith(ASSISTANT_PREFIXES)


@dataclass(frozen=True)
class Pooling:
    """Whose codings a count report pooled, and where."""

    annotators: tuple[str, ...]  # every annotator with a coding counted
    consensus_documents: tuple[str, ...]  # documents counted from the consensus layer only
    explicit: bool  # the caller named the annotators
    text: str  # one sentence for tables and exports


def pool(data: AnalysisData, annotators: Iterable[str] | None = None) -> tuple[AnalysisData, Pooling]:
    """The codings every count report counts (one rule for themes, codes, experts, matrix, …).

    With ``annotators`` given: exactly their codings (unknown names are an error).
    By default: per document, the **consensus layer** where the document has consensus
    (adjudicated) codings — so codings rejected in adjudication never count — and
    elsewhere every **human** annotator's codings (not the consensus, not assistants:
    names starting "assistant", "model:", "pattern:", …).  If nobody else coded,
    assistants' codings are pooled and the text says so.
    """
    c = data.codings
    names = c["annotator"].astype(str)
    if annotators is not None:
        if isinstance(annotators, str):
            annotators = [annotators]
        wanted = list(dict.fromkeys(str(a) for a in annotators))
        known = set(names.unique())
        problems = []
        for name in wanted:
            if name not in known:
                hint = did_you_mean(name, known) or (
                    f"Annotators with codings: {valid_list(known)}." if known else "There are no codings yet."
                )
                problems.append(Problem(f"Annotator '{name}' has no codings.", field="annotators", hint=hint))
        if problems:
            raise QualcodeError(problems)
        chosen = data.with_annotators(wanted)
        text = f"codings of {', '.join(wanted)} (as chosen)"
        return chosen, Pooling(tuple(wanted), (), True, text)
    # Decided once per distinct name and document, then spread by code: no per-row Python work.
    name_of_row, distinct = pd.factorize(names, use_na_sentinel=False)
    distinct_names = [str(n) for n in distinct]
    is_cons = np.array([n == CONSENSUS for n in distinct_names], dtype=bool)[name_of_row]
    assistant = np.array([is_assistant(n) for n in distinct_names], dtype=bool)[name_of_row]
    docs = c["document"].astype(str)
    doc_of_row, distinct_docs = pd.factorize(docs, use_na_sentinel=False)
    doc_has_consensus = np.zeros(len(distinct_docs), dtype=bool)
    doc_has_consensus[np.unique(doc_of_row[is_cons])] = True
    in_cons_doc = doc_has_consensus[doc_of_row]
    human = ~is_cons & ~assistant
    fallback = not (human | is_cons).any() and assistant.any()
    keep = np.where(in_cons_doc, is_cons, human | (assistant & fallback))
    kept_names = {distinct_names[i] for i in np.unique(name_of_row[keep])}
    humans = sorted({distinct_names[i] for i in np.unique(name_of_row[keep & ~is_cons])}, key=natural_key)
    cons_list = tuple(d for d in pd.unique(docs[is_cons]))
    parts = []
    if cons_list:
        shown = ", ".join(cons_list[:5]) + (f" and {len(cons_list) - 5} more" if len(cons_list) > 5 else "")
        parts.append(f"the consensus layer in the {len(cons_list)} adjudicated document(s) ({shown})")
    if humans:
        who = "assistant(s)" if fallback else "human annotator(s)"
        parts.append(f"{'elsewhere ' if cons_list else ''}every {who}' codings: {', '.join(humans)}")
    left = sorted(set(distinct_names) - kept_names, key=natural_key)
    text = "; ".join(parts) or "no codings"
    notes = ([f"not counted: {', '.join(left)}"] if left else []) + (
        ["the coders' own codings in adjudicated documents are replaced by the consensus"] if cons_list else []
    )
    if notes:
        text += f" ({'; '.join(notes)})"
    annotators_used = tuple(([CONSENSUS] if cons_list else []) + humans)
    restricted = AnalysisData(
        data.codebook,
        data.participants,
        data.documents,
        data.segments,
        c.loc[keep].reset_index(drop=True),
        data.texts,
        data.memos,
    )
    return restricted, Pooling(annotators_used, cons_list, False, text)


def _select(data: AnalysisData, annotators: Iterable[str] | None) -> AnalysisData:
    """The pooled codings (see :func:`pool`)."""
    return pool(data, annotators)[0]


def _attrs(
    df: pd.DataFrame,
    unit: str,
    description: str,
    uncoded: str = UNCODED_NOT_COUNTED,
    pooling: Pooling | None = None,
    **extra: object,
) -> pd.DataFrame:
    if pooling is not None:
        description = f"{description} Codings counted: {pooling.text}."
        extra = {"pooled": pooling.text, "annotators": list(pooling.annotators), **extra}
    df.attrs.update({"unit": unit, "uncoded": uncoded, "description": description, **extra})
    return df
