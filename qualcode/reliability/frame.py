"""The chosen coders' codings as arrays (:class:`_Frame`), the codes or themes compared
(:class:`_Items`), and the checks and fixed words every agreement report shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..arrays import offsets, ranges, runs
from ..errors import Problem, QualcodeError, did_you_mean, valid_list
from ..frames import AnalysisData
from ..model import Theme
from ..vocabulary import AGREEMENT_UNITS, CONSENSUS, SEGMENT_KINDS

UNIT_KINDS = SEGMENT_KINDS
UNITS = AGREEMENT_UNITS
BY = ("code", "theme", "both")

RESULT_COLUMNS = [
    "level",
    "id",
    "label",
    "unit",
    "n_units",
    "n_coders",
    "n_coded_units",
    "percent_agreement",
    "kappa",
    "kappa_kind",
    "alpha",
    "alpha_low",
    "alpha_high",
    "codings_outside_units",
    "note",
]

UNCODED_UNITS = (
    "every {unit} of each compared document is a unit; a unit a coder did not code counts as "
    "'absent' for every code (both coders leaving it uncoded is agreement)"
)
UNCODED_CHARACTERS = (
    "every character of each compared document is a unit; uncoded characters count as 'not coded' "
    "(agreement when both left them uncoded)"
)
UNCODED_MATCH = (
    "only coded segments are compared; text neither coder coded does not enter the table "
    "(MAXQDA's segment approach has no 'both uncoded' cell)"
)


def _select_annotators(data: AnalysisData, annotators: Sequence[str] | None, exactly: int | None = None) -> list[str]:
    present = [a for a in pd.unique(data.codings["annotator"].astype(str))]
    if annotators is None:
        chosen = [a for a in present if a != CONSENSUS] or present
        chosen = sorted(chosen)
    else:
        chosen = list(dict.fromkeys(str(a) for a in annotators))
        problems = []
        for a in chosen:
            if a not in present:
                hint = did_you_mean(a, present) or f"Annotators with codings: {valid_list(present)}."
                problems.append(Problem(f"Annotator '{a}' has no codings.", field="annotators", hint=hint))
        if problems:
            raise QualcodeError(problems)
    if len(chosen) < 2:
        raise QualcodeError(
            Problem(
                f"Inter-coder agreement needs at least two annotators, got {len(chosen)} ({', '.join(chosen) or 'none'}).",
                field="annotators",
                hint="Import or enter a second coder's codings, or name two annotators.",
            )
        )
    if exactly is not None and len(chosen) != exactly:
        raise QualcodeError(
            Problem(
                f"This comparison is between exactly {exactly} coders (as in NVivo and MAXQDA), got {len(chosen)}: "
                f"{', '.join(chosen)}.",
                field="annotators",
                hint="Pick two with annotators=[...] (CLI: --annotators a,b).",
            )
        )
    return chosen


def _check_choice(value: str, valid: Sequence[str], field: str) -> None:
    if value not in valid:
        raise QualcodeError(
            Problem(
                f"Unknown {field} '{value}'.",
                field=field,
                hint=did_you_mean(value, valid) or f"Use one of {valid_list(valid)}.",
            )
        )


SCOPES = ("common", "all")
# Speaker labels taken as the interviewer's (casefolded, trailing digits ignored); see _is_interviewer.
INTERVIEWER_SPEAKERS = frozenset(
    {"interviewer", "moderator", "facilitator", "question", "q", "i", "host", "интервьюер", "модератор", "вопрос", "и"}
)


def _is_interviewer(speaker: object, names: frozenset[str]) -> bool:
    """Whether a turn's speaker label is the interviewer's ("Interviewer", "Q", "I", "Moderator 2").

    >>> [_is_interviewer(s, INTERVIEWER_SPEAKERS) for s in ("Interviewer", "Q", "Expert A", None, "Moderator 2")]
    [True, True, False, False, True]
    """
    if not isinstance(speaker, str):
        return False
    return speaker.strip().rstrip("0123456789 ").casefold() in names


@dataclass
class _Frame:
    """The codings, documents and items (codes or themes) of one comparison."""

    coders: list[str]
    documents: list[str]
    doc_length: np.ndarray  # int64 per document
    doc_offset: np.ndarray  # int64 global coordinate of each document's first character
    # codings of the chosen coders in those documents
    coder: np.ndarray
    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    code: np.ndarray  # index into code_ids
    code_ids: list[str]
    scope: str = "all"
    skipped: dict[str, list[str]] = field(default_factory=dict)  # document -> the chosen coders who coded it

    def scope_text(self) -> str:
        """Which documents were compared, in words (printed by every agreement report)."""
        n = len(self.documents)
        if self.scope == "documents":
            head = f"the {n} chosen document(s)"
        elif self.scope == "common":
            head = f"the {n} document(s) every chosen coder coded"
        else:
            head = f"the {n} document(s) at least one chosen coder coded (a coder's uncoded document counts as absent)"
        if not self.skipped:
            return head
        shown = "; ".join(f"{d} (coded only by {', '.join(c)})" for d, c in list(self.skipped.items())[:10])
        more = f"; and {len(self.skipped) - 10} more" if len(self.skipped) > 10 else ""
        return f"{head}; left out {len(self.skipped)} coded by only some coders: {shown}{more}"


def _factorize(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Per value the position of its distinct value (-1 if missing), and those values as text.

    Each distinct value is hashed once (``Series.map(dict)`` iterates in Python over
    arrow-backed strings in pandas 3).
    """
    codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int64, copy=False), [str(u) for u in uniques]


def _lookup(distinct: list[str], names: Sequence[str]) -> np.ndarray:
    """Position in ``names`` of each distinct value (-1 if absent), and a trailing -1 that a
    missing value's code (-1) picks."""
    position = {n: i for i, n in enumerate(names)}
    return np.array([position.get(u, -1) for u in distinct] + [-1], dtype=np.int64)


def _index_of(values: pd.Series, names: Sequence[str]) -> np.ndarray:
    """Position of each value in ``names`` (-1 if absent or missing)."""
    codes, distinct = _factorize(values)
    return _lookup(distinct, names)[codes]


def _unique(keys: np.ndarray, return_counts: bool = False) -> Any:
    """Sorted unique int64 keys (sort-based: faster than numpy's hash path on millions of keys)."""
    k = np.sort(keys, kind="stable")
    if len(k) == 0:
        return (k, np.zeros(0, dtype=np.int64)) if return_counts else k
    starts, ends = runs(k)
    return (k[starts], ends - starts) if return_counts else k[starts]


def _frame(
    data: AnalysisData, coders: list[str], documents: Sequence[str] | None = None, scope: str = "common"
) -> _Frame:
    """The comparison's codings and documents.

    ``scope="common"`` (default) compares only the documents every chosen coder coded
    (has at least one coding in); ``"all"`` every document at least one of them coded.
    ``documents`` restricts the candidates to those names (then scope applies to them).
    """
    _check_choice(scope, SCOPES, "scope")
    # Integer codes of the text columns and one array of row numbers, not filtered frames:
    # each .loc copied every column kept (over half of this function on a small project).
    codings = data.codings
    coder_all = _index_of(codings["annotator"], coders)
    rows = np.flatnonzero(coder_all >= 0)
    doc_all, doc_names = _factorize(codings["document"])
    coder, doc_code = coder_all[rows], doc_all[rows]
    table_docs = list(data.documents["document"].astype(str))
    if documents is not None:
        keep = _wanted_documents(documents, table_docs, doc_names, doc_code)
        rows, coder, doc_code = rows[keep], coder[keep], doc_code[keep]
    # Which coders coded each document, from integer keys.
    n_coders = max(len(coders), 1)
    known = doc_code >= 0
    pair_keys = np.unique(doc_code[known] * n_coders + coder[known])
    per_doc = np.bincount(pair_keys // n_coders, minlength=len(doc_names))
    coded_docs = {doc_names[i] for i in np.flatnonzero(per_doc)}
    skipped: dict[str, list[str]] = {}
    if scope == "common":
        full_code = np.flatnonzero(per_doc == len(coders))
        full = {doc_names[i] for i in full_code}
        names = np.asarray(doc_names, dtype=object)
        pairs = pd.DataFrame({"document": names[pair_keys // n_coders], "coder": pair_keys % n_coders})
        skipped = _skipped(pairs, coders, table_docs, coded_docs - full)
        if not full:
            raise _no_common_document(pairs, coders)
        keep = np.isin(doc_code, full_code)
        rows, coder, doc_code = rows[keep], coder[keep], doc_code[keep]
        coded_docs = full
    documents_given = documents is not None
    documents = [d for d in table_docs if d in coded_docs]
    documents += sorted(coded_docs - set(documents))  # codings of documents missing from the table
    lengths = dict(zip(table_docs, data.documents["length"].tolist()))
    doc_length = np.array([int(lengths.get(d, len(data.texts.get(d, "")))) for d in documents], dtype=np.int64)
    doc = _lookup(doc_names, documents)[doc_code]
    start = codings["start"].to_numpy(dtype=np.int64)[rows]
    end = codings["end"].to_numpy(dtype=np.int64)[rows]
    if len(doc):
        # codings may run past a stale length: the document is at least as long as its codings
        np.maximum.at(doc_length, doc, end)
    doc_offset = offsets(doc_length, gap=1)
    code_all, code_names = _factorize(codings["code"])
    code_code = code_all[rows]
    code_ids = list(data.codebook.codes)
    used = {code_names[i] for i in np.unique(code_code[code_code >= 0])}
    code_ids += sorted(used - set(code_ids))
    return _Frame(
        coders,
        documents,
        doc_length,
        doc_offset,
        coder,
        doc,
        start,
        end,
        _lookup(code_names, code_ids)[code_code],
        code_ids,
        "documents" if documents_given else scope,
        skipped,
    )


def _wanted_documents(
    documents: Sequence[str], table_docs: list[str], doc_names: list[str], doc_code: np.ndarray
) -> np.ndarray:
    """Which codings (``doc_code``: index into ``doc_names``) are in the named documents; an
    unknown name is refused."""
    present = {doc_names[i] for i in np.unique(doc_code[doc_code >= 0])}
    known = list(dict.fromkeys(table_docs + sorted(present)))
    wanted = list(dict.fromkeys(str(d) for d in documents))
    problems = [
        Problem(
            f"Unknown document '{d}'.",
            field="documents",
            hint=did_you_mean(d, known) or f"Documents: {valid_list(known)}.",
        )
        for d in wanted
        if d not in known
    ]
    if problems:
        raise QualcodeError(problems)
    chosen = set(wanted)
    return np.isin(doc_code, [i for i, n in enumerate(doc_names) if n in chosen])


def _skipped(pairs: pd.DataFrame, coders: list[str], table_docs: list[str], partial: set[str]) -> dict[str, list[str]]:
    """The documents only some coders coded (table order, then the rest by name), each with its coders."""
    skipped: dict[str, list[str]] = {}
    for d in [d for d in table_docs if d in partial] + sorted(partial - set(table_docs)):
        who = sorted(pairs.loc[pairs["document"] == d, "coder"].tolist())
        skipped[d] = [coders[i] for i in who]
    return skipped


def _no_common_document(pairs: pd.DataFrame, coders: list[str]) -> QualcodeError:
    """No document was coded by every chosen coder: say which each coded."""
    per = "; ".join(
        f"{a}: {', '.join(sorted(pairs.loc[pairs['coder'] == i, 'document'].astype(str)))[:200] or 'none'}"
        for i, a in enumerate(coders)
    )
    return QualcodeError(
        Problem(
            f"No document was coded by every chosen coder ({', '.join(coders)}), so there is nothing to compare.",
            field="documents",
            hint=f"Coded documents — {per}. Have the coders code a common document, or compare with "
            "scope='all' (CLI --scope all) to count a coder's uncoded documents as 'absent'.",
        )
    )


@dataclass
class _Items:
    level: list[str]  # "code" | "theme" per item
    ids: list[str]
    labels: list[str]
    code_items: list[np.ndarray]  # per code index: item indices it belongs to


def _theme_order(data: AnalysisData) -> list[str]:
    order = [node.id for _, node in data.codebook.iter_tree() if isinstance(node, Theme)]
    return order + [t for t in data.codebook.themes if t not in order]


def _items(data: AnalysisData, frame: _Frame, by: str) -> _Items:
    """The rows of the report: codes, themes (incl. cross-cutting), or both in tree order."""
    cb = data.codebook
    code_label = {cid: (cb.codes[cid].label if cid in cb.codes else cid) for cid in frame.code_ids}
    theme_ids = _theme_order(data) + list(cb.cross_cutting)
    theme_label = {
        **{t: th.label for t, th in cb.themes.items()},
        **{x: xc.label for x, xc in cb.cross_cutting.items()},
    }
    if by == "code":
        order = [("code", cid) for cid in frame.code_ids]
    elif by == "theme":
        order = [("theme", t) for t in theme_ids]
    else:
        order = []
        for _, node in cb.iter_tree():
            order.append(("theme" if isinstance(node, Theme) else "code", node.id))
        seen = set(order)
        order += [("theme", t) for t in theme_ids if ("theme", t) not in seen]
        order += [("code", cid) for cid in frame.code_ids if ("code", cid) not in seen]
    index = {key: i for i, key in enumerate(order)}
    code_items: list[np.ndarray] = []
    for cid in frame.code_ids:
        targets = []
        if ("code", cid) in index:
            targets.append(index[("code", cid)])
        for t in cb.themes_of(cid):
            if ("theme", t) in index:
                targets.append(index[("theme", t)])
        code_items.append(np.array(sorted(set(targets)), dtype=np.int64))
    labels = [code_label[i] if lvl == "code" else theme_label.get(i, i) for lvl, i in order]
    return _Items([lvl for lvl, _ in order], [i for _, i in order], labels, code_items)


def _expand_to_items(code_idx: np.ndarray, code_items: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(row index into the input, item index) for every item each code belongs to."""
    n_per_code = np.array([len(x) for x in code_items], dtype=np.int64)
    if len(code_idx) == 0 or n_per_code.sum() == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    flat_items = np.concatenate(code_items) if len(code_items) else np.empty(0, dtype=np.int64)
    first = offsets(n_per_code)[code_idx]
    rows, at = ranges(first, first + n_per_code[code_idx])
    return rows, flat_items[at]
