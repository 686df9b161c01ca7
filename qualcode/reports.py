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
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .arrays import offsets, pointers, ranges, runs
from .errors import Problem, QualcodeError, did_you_mean, valid_list
from .frames import AnalysisData
from .model import Code, Codebook, Theme
from .vocabulary import CONSENSUS, COOCCURRENCE_UNITS

EXCERPT_UNIT = "excerpt = distinct coded span (document, start, end)"
UNCODED_NOT_COUNTED = "uncoded text is not counted"

_NUMBER_WORDS = (
    "no",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)
_LABEL_TAG = re.compile(r"^\s*(?P<noun>[^()]*?)\s*\((?P<tag>[^()]+)\)\s*$")
_SPAN = ["document", "start", "end"]


# --------------------------------------------------------------------------- helpers
def natural_key(value: object) -> tuple:
    """Sort key that orders "P2" before "P10" and "A" before "B".

    >>> sorted(["P10", "P2", "A"], key=natural_key)
    ['A', 'P2', 'P10']
    """
    parts = re.split(r"(\d+)", str(value))
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold()) for p in parts if p)


def _natural_sorted(values: Iterable[object]) -> list[str]:
    return sorted({str(v) for v in values}, key=natural_key)


def _label_parts(label: str | None) -> tuple[str | None, str | None]:
    """("Expert", "A") for "Expert (A)"; (None, None) when the label has no "(tag)"."""
    if not label:
        return None, None
    m = _LABEL_TAG.match(str(label))
    if not m:
        return None, None
    return (m.group("noun") or None), m.group("tag").strip()


def _plural(noun: str) -> str:
    if noun.endswith("s"):
        return noun
    if noun.endswith("y") and not noun.endswith(("ay", "ey", "oy", "uy")):
        return noun[:-1] + "ies"
    return noun + "s"


def experts_phrase(
    ids: Iterable[str], labels: Mapping[str, str] | None = None, *, prose: bool = False, noun: str | None = None
) -> str:
    """The thesis notation for a set of participants.

    ``ids`` are participant ids (duplicates and order do not matter).  ``labels`` maps an
    id to its display label; when a label reads like ``"Expert (A)"`` the text in
    parentheses is used as the tag and the word before it as the noun, so ids need not be
    the letters printed in the thesis.  ``noun`` overrides the noun (default "Expert").

    Short form (tables, footnotes): ``Experts (A,B,F)``.

    >>> experts_phrase(["H", "F"])
    'Experts (F,H)'
    >>> experts_phrase(["C"])
    'Expert (C)'
    >>> experts_phrase([])
    'no Experts'
    >>> experts_phrase(["e1", "e2"], labels={"e1": "Expert (A)", "e2": "Expert (B)"})
    'Experts (A,B)'

    Prose form (running text), with number words up to twelve:

    >>> experts_phrase(["C"], prose=True)
    'Expert (C)'
    >>> experts_phrase(["H", "F"], prose=True)
    'Both Experts (F) and (H)'
    >>> experts_phrase("FEDCBA", prose=True)
    'six Experts (A,B,C,D,E,F)'
    >>> experts_phrase([f"P{i}" for i in range(1, 14)], prose=True, noun="Participant")
    '13 Participants (P1,P2,P3,P4,P5,P6,P7,P8,P9,P10,P11,P12,P13)'
    >>> experts_phrase([], prose=True)
    'no Experts'
    """
    labels = labels or {}
    tags: list[str] = []
    nouns: set[str] = set()
    for pid in {str(i) for i in ids}:
        label_noun, tag = _label_parts(labels.get(pid))
        tags.append(tag or pid)
        if label_noun:
            nouns.add(label_noun)
    tags = sorted(set(tags), key=natural_key)
    return _phrase_from_tags(tags, noun or (nouns.pop() if len(nouns) == 1 else "Expert"), prose)


def _phrase_from_tags(tags: Sequence[str], singular: str, prose: bool) -> str:
    """The phrase for already sorted, distinct tags."""
    plural = _plural(singular)
    n = len(tags)
    if n == 0:
        return f"no {plural}"
    if n == 1:
        return f"{singular} ({tags[0]})"
    if not prose:
        return f"{plural} ({','.join(tags)})"
    if n == 2:
        return f"Both {plural} ({tags[0]}) and ({tags[1]})"
    count = _NUMBER_WORDS[n] if n < len(_NUMBER_WORDS) else str(n)
    return f"{count} {plural} ({','.join(tags)})"


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
    is_cons = (names == CONSENSUS).to_numpy()
    assistant = names.map(is_assistant).to_numpy(dtype=bool) if len(names) else np.zeros(0, dtype=bool)
    docs = c["document"].astype(str)
    consensus_docs = set(docs[is_cons].unique())
    in_cons_doc = docs.isin(consensus_docs).to_numpy()
    human = ~is_cons & ~assistant
    fallback = not (human | is_cons).any() and assistant.any()
    keep = np.where(in_cons_doc, is_cons, human | (assistant & fallback))
    kept = names[keep]
    humans = sorted(set(kept[~is_cons[keep]]), key=natural_key)
    cons_list = tuple(d for d in pd.unique(docs[is_cons]))
    parts = []
    if cons_list:
        shown = ", ".join(cons_list[:5]) + (f" and {len(cons_list) - 5} more" if len(cons_list) > 5 else "")
        parts.append(f"the consensus layer in the {len(cons_list)} adjudicated document(s) ({shown})")
    if humans:
        who = "assistant(s)" if fallback else "human annotator(s)"
        parts.append(f"{'elsewhere ' if cons_list else ''}every {who}' codings: {', '.join(humans)}")
    left = sorted(set(names) - set(kept), key=natural_key)
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


@dataclass(frozen=True)
class _Index:
    """Codebook lookups computed once per report call (no per-row codebook walks)."""

    code_order: list[str]  # codebook codes in tree order, then unknown codes used in codings
    code_label: dict[str, str]
    code_theme: dict[str, str]  # immediate theme id ("" for top-level/unknown codes)
    code_path: dict[str, list[str]]  # theme ids main → immediate
    theme_rows: list[dict]  # theme_id, theme, parent, kind, depth (tree order, then cross-cutting)
    mem_ptr: np.ndarray  # CSR over codes: themes of code i are mem_theme[mem_ptr[i]:mem_ptr[i+1]]
    mem_theme: np.ndarray  # row numbers in theme_rows (ancestors and cross-cutting themes)


def _index(codebook: Codebook, used_codes: Iterable[str] = ()) -> _Index:
    tree_codes = [node.id for _, node in codebook.iter_tree() if isinstance(node, Code)]
    in_tree = set(tree_codes)
    tree_codes += [c for c in codebook.codes if c not in in_tree]
    extra = [c for c in _natural_sorted(used_codes) if c not in codebook.codes]
    order = tree_codes + extra
    label = {c: codebook.codes[c].label if c in codebook.codes else c for c in order}
    theme = {c: (codebook.codes[c].theme or "") if c in codebook.codes else "" for c in order}
    path = {c: codebook.theme_path(codebook.codes[c].theme) if c in codebook.codes else [] for c in order}
    rows: list[dict] = []
    for depth, node in codebook.iter_tree():
        if isinstance(node, Theme):
            rows.append(
                {"theme_id": node.id, "theme": node.label, "parent": node.parent or "", "kind": "theme", "depth": depth}
            )
    for x in codebook.cross_cutting.values():
        rows.append({"theme_id": x.id, "theme": x.label, "parent": "", "kind": "cross_cutting", "depth": 0})
    row_of = {r["theme_id"]: i for i, r in enumerate(rows)}
    member = {c: [row_of[t] for t in codebook.themes_of(c) if t in row_of] for c in order}
    ptr = pointers([len(member[c]) for c in order])
    flat = np.array([t for c in order for t in member[c]], dtype=np.int64)
    return _Index(order, label, theme, path, rows, ptr, flat)


def _participant_order(data: AnalysisData) -> list[str]:
    """Participants who have a document (the consensus denominator), natural order;
    participants only seen in codings are appended."""
    listed = _natural_sorted(data.documents["participant"].dropna().astype(str).unique())
    known = set(listed)
    seen = _natural_sorted(data.codings["participant"].dropna().astype(str).unique())
    return listed + [p for p in seen if p not in known]


def _labels(data: AnalysisData) -> dict[str, str]:
    p = data.participants
    return dict(zip(p["participant"].astype(str), p["label"].astype(str)))


@dataclass
class _Coded:
    """The selected codings as integer arrays: every count is a numpy operation on these."""

    data: AnalysisData
    idx: _Index
    code: np.ndarray  # position in idx.code_order
    doc: np.ndarray  # position in doc_names
    doc_names: list[str]
    start: np.ndarray
    end: np.ndarray
    part: np.ndarray  # position in parts (natural order of ids), -1 when unknown
    parts: list[str]
    ann: np.ndarray  # position in anns
    anns: list[str]
    span: np.ndarray  # excerpt id: same (document, start, end) ⇔ same id
    n_spans: int
    pooling: Pooling | None = None


def _coded(data: AnalysisData, annotators: Iterable[str] | None) -> _Coded:
    data, pooling = pool(data, annotators)
    c = data.codings
    code_s = c["code"].astype(str)
    idx = _index(data.codebook, code_s.unique())
    code = pd.Categorical(code_s, categories=idx.code_order).codes.astype(np.int64)
    doc, doc_names = pd.factorize(c["document"].astype(str))
    parts = _natural_sorted(set(_participant_order(data)))
    part = pd.Categorical(c["participant"].astype("string"), categories=parts).codes.astype(np.int64)
    ann, anns = pd.factorize(c["annotator"].astype(str))
    start = c["start"].to_numpy(dtype=np.int64)
    end = c["end"].to_numpy(dtype=np.int64)
    doc = doc.astype(np.int64)
    span, uniq = pd.factorize(_span_keys(doc, start, end))
    span = span.astype(np.int64)
    return _Coded(
        data,
        idx,
        code,
        doc,
        list(doc_names),
        start,
        end,
        part,
        parts,
        ann.astype(np.int64),
        list(anns),
        span,
        len(uniq),
        pooling,
    )


def _unique_sorted(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based: far faster than np.unique's hashing here)."""
    s = np.sort(keys)
    if len(s) < 2:
        return s
    return s[np.concatenate(([True], s[1:] != s[:-1]))]


def _first_rows(keys: np.ndarray) -> np.ndarray:
    """Index of the first occurrence of every distinct key, in key order."""
    order = np.argsort(keys, kind="stable")
    s = keys[order]
    if len(s) < 2:
        return order
    return order[np.concatenate(([True], s[1:] != s[:-1]))]


def _span_keys(doc: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """One int64 (or, for huge offsets, tuple) key per (document, start, end)."""
    base = int(max(start.max(initial=0), end.max(initial=0))) + 1
    if len(doc) and (int(doc.max()) + 1) * base * base < 2**62:
        return (doc * base + start) * base + end
    return pd.MultiIndex.from_arrays([doc, start, end]).to_flat_index().to_numpy()


def _distinct(a: np.ndarray, b: np.ndarray, nb: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (a, b) pairs sorted by a then b."""
    nb = max(nb, 1)
    u = _unique_sorted(a.astype(np.int64) * nb + b)
    return u // nb, u % nb


def _joined(keys: np.ndarray, values: np.ndarray, names: Sequence[str], n_keys: int) -> list[str]:
    """Per key, the names of its values joined by "," (input sorted by key then value)."""
    out = [""] * n_keys
    if len(keys) == 0:
        return out
    arr = np.asarray(names, dtype=object)
    bounds = np.flatnonzero(np.diff(keys)) + 1
    for chunk_k, chunk_v in zip(np.split(keys, bounds), np.split(values, bounds)):
        out[int(chunk_k[0])] = ",".join(arr[chunk_v])
    return out


def _expand(code: np.ndarray, idx: _Index) -> tuple[np.ndarray, np.ndarray]:
    """(row, theme row) for every coding row and every theme its code counts for."""
    rows, at = ranges(idx.mem_ptr[code], idx.mem_ptr[code + 1])
    return rows, idx.mem_theme[at]


def _key_stats(key: np.ndarray, span: np.ndarray, part: np.ndarray, n_keys: int, x: _Coded) -> pd.DataFrame:
    """Per key 0..n_keys-1: codings (rows), excerpts (distinct spans), experts_n, experts."""
    codings = np.bincount(key, minlength=n_keys)
    ks, _ = _distinct(key, span, x.n_spans)
    m = part >= 0
    kp, pp = _distinct(key[m], part[m], len(x.parts))
    return pd.DataFrame(
        {
            "codings": codings.astype(np.int64),
            "excerpts": np.bincount(ks, minlength=n_keys).astype(np.int64),
            "experts_n": np.bincount(kp, minlength=n_keys).astype(np.int64),
            "experts": _joined(kp, pp, x.parts, n_keys),
        }
    )


def _phrases(experts: Iterable[str], labels: Mapping[str, str], prose: bool = False) -> list[str]:
    """experts_phrase for many "A,B" strings, parsing each participant label once."""
    parsed = {pid: _label_parts(lbl) for pid, lbl in labels.items()}
    nouns = {n for n, _ in parsed.values() if n}
    singular = nouns.pop() if len(nouns) == 1 else "Expert"
    key_cache: dict[str, tuple] = {}

    def tags_of(ids: str) -> list[str]:
        tags = {(parsed.get(i, (None, None))[1] or i) for i in ids.split(",")} if ids else set()
        for t in tags:
            if t not in key_cache:
                key_cache[t] = natural_key(t)
        return sorted(tags, key=key_cache.__getitem__)

    return [_phrase_from_tags(tags_of(e), singular, prose) for e in experts]


# --------------------------------------------------------------------------- reports
def code_frequencies(
    data: AnalysisData, annotators: Iterable[str] | None = None, by_annotator: bool = False
) -> pd.DataFrame:
    """One row per code (codebook tree order; codes used but missing from the codebook last).

    Columns: code, label, theme (immediate theme id), theme_path (labels "Main > Sub"),
    codings, excerpts, experts_n, experts, experts_phrase; with ``by_annotator`` also
    ``codings:<annotator>`` and ``excerpts:<annotator>`` for each annotator.
    """
    x = _coded(data, annotators)
    idx, cb = x.idx, x.data.codebook
    n = len(idx.code_order)
    out = pd.DataFrame(
        {
            "code": idx.code_order,
            "label": [idx.code_label[c] for c in idx.code_order],
            "theme": [idx.code_theme[c] for c in idx.code_order],
            "theme_path": [" > ".join(cb.themes[t].label for t in idx.code_path[c]) for c in idx.code_order],
        }
    )
    out = pd.concat([out, _key_stats(x.code, x.span, x.part, n, x)], axis=1)
    out["experts_phrase"] = _phrases(out["experts"], _labels(x.data))
    if by_annotator:
        for a in sorted(range(len(x.anns)), key=lambda i: natural_key(x.anns[i])):
            m = x.ann == a
            out[f"codings:{x.anns[a]}"] = np.bincount(x.code[m], minlength=n).astype(np.int64)
            ks, _ = _distinct(x.code[m], x.span[m], x.n_spans)
            out[f"excerpts:{x.anns[a]}"] = np.bincount(ks, minlength=n).astype(np.int64)
    return _attrs(
        out,
        EXCERPT_UNIT + "; codings = coding rows (one per annotator and code)",
        "Codings, distinct excerpts and experts per code.",
        pooling=x.pooling,
    )


def theme_table(data: AnalysisData, annotators: Iterable[str] | None = None) -> pd.DataFrame:
    """One row per theme and sub-theme (depth-first file order), then per cross-cutting theme.

    Columns: theme_id, theme (label), parent ("" for main themes), kind ("theme" |
    "cross_cutting"), depth (0 main, 1 sub-theme …; cross-cutting 0), excerpts (distinct
    spans coded with any code under the theme, any depth), codings, experts_n, experts
    ("A,B,F"), experts_phrase ("Experts (A,B,F)"), codes (distinct codes used),
    code_list (their ids in codebook order, comma-joined).
    """
    x = _coded(data, annotators)
    idx = x.idx
    n = len(idx.theme_rows)
    out = pd.DataFrame(idx.theme_rows, columns=["theme_id", "theme", "parent", "kind", "depth"])
    rows, theme = _expand(x.code, idx)
    stats = _key_stats(theme, x.span[rows], x.part[rows], n, x)
    tc, cc = _distinct(theme, x.code[rows], len(idx.code_order))
    out = pd.concat([out, stats], axis=1)
    out["experts_phrase"] = _phrases(out["experts"], _labels(x.data))
    out["codes"] = np.bincount(tc, minlength=n).astype(np.int64)
    out["code_list"] = _joined(tc, cc, idx.code_order, n)
    cols = [
        "theme_id",
        "theme",
        "parent",
        "kind",
        "depth",
        "excerpts",
        "codings",
        "experts_n",
        "experts",
        "experts_phrase",
        "codes",
        "code_list",
    ]
    return _attrs(
        out[cols],
        EXCERPT_UNIT + "; a span coded with several codes of one theme counts once for it",
        "Excerpts, codings, experts and codes per theme, sub-theme and cross-cutting theme.",
        pooling=x.pooling,
    )


def _check_by(by: str) -> None:
    if by not in ("code", "theme"):
        raise QualcodeError(Problem(f"Unknown grouping by='{by}'.", field="by", hint="Use 'code' or 'theme'."))


def consensus(
    data: AnalysisData, by: str = "code", attribute: str | None = None, annotators: Iterable[str] | None = None
) -> pd.DataFrame:
    """How many participants raised each code (``by="code"``) or theme (``by="theme"``).

    Columns: <by> (id), label, participants_n, share (participants_n divided by the
    number of participants with a document), participants ("A,B,F"), phrase (prose,
    e.g. "six Experts (A,B,C,D,E,F)").  With ``attribute`` (any participant attribute,
    e.g. "organisation_type") two more columns per attribute value v:
    ``<attribute>=<v>`` (count) and ``<attribute>=<v> ids``; participants without the
    attribute are grouped under "(not set)".  ``df.attrs["totals"]`` gives the number of
    participants with a document per value (and "all").
    """
    _check_by(by)
    parts_df = data.participants
    if attribute is not None and (attribute not in parts_df.columns or attribute in ("participant", "label")):
        known = [c for c in parts_df.columns if c not in ("participant", "label")]
        raise QualcodeError(
            Problem(
                f"Participant attribute '{attribute}' does not exist.",
                field="attribute",
                hint=did_you_mean(attribute, known) or f"Known attributes: {valid_list(known)}.",
            )
        )
    x = _coded(data, annotators)
    idx = x.idx
    with_docs = set(x.data.documents["participant"].dropna().astype(str))
    n_total = len(with_docs) or len(x.parts)
    if by == "code":
        key, part = x.code, x.part
        base = pd.DataFrame({"code": idx.code_order, "label": [idx.code_label[c] for c in idx.code_order]})
    else:
        rows, key = _expand(x.code, idx)
        part = x.part[rows]
        base = pd.DataFrame(
            {"theme": [r["theme_id"] for r in idx.theme_rows], "label": [r["theme"] for r in idx.theme_rows]}
        )
    n = len(base)
    m = part >= 0
    kp, pp = _distinct(key[m], part[m], len(x.parts))
    base["participants_n"] = np.bincount(kp, minlength=n).astype(np.int64)
    base["share"] = base["participants_n"] / n_total if n_total else 0.0
    base["participants"] = _joined(kp, pp, x.parts, n)
    base["phrase"] = _phrases(base["participants"], _labels(x.data), prose=True)
    totals: dict[str, int] = {"all": n_total}
    if attribute is not None:
        raw = parts_df.set_index(parts_df["participant"].astype(str))[attribute]
        ok = raw.notna() & (raw.astype(str).str.strip() != "")
        values = raw.astype(object).where(ok, "(not set)").astype(str)
        value_of = np.array([values.get(p, "(not set)") for p in x.parts], dtype=object)
        for v in _natural_sorted(set(values.unique()) | set(value_of)):
            sel = value_of[pp] == v if len(pp) else np.zeros(0, dtype=bool)
            base[f"{attribute}={v}"] = np.bincount(kp[sel], minlength=n).astype(np.int64)
            base[f"{attribute}={v} ids"] = _joined(kp[sel], pp[sel], x.parts, n)
            totals[v] = sum(1 for p in with_docs if values.get(p, "(not set)") == v)
    return _attrs(
        base,
        "participants (distinct interviewees with at least one excerpt)",
        f"Expert consensus per {by}: how many participants raised it.",
        uncoded="participants without codings count in the share's denominator",
        totals=totals,
        attribute=attribute,
        pooling=x.pooling,
    )


def _unique_names(ids: Sequence[str], names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    return [n if seen[n] == 1 else f"{n} ({i})" for i, n in zip(ids, names)]


def matrix(
    data: AnalysisData,
    by: str = "theme",
    level: int = 1,
    presence: bool = False,
    annotators: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Participants × themes (or codes): number of excerpts, or 0/1 presence.

    Rows: every participant with a document (labels as index, natural order of ids).
    Columns (labels; ids in ``df.attrs["column_ids"]``): with ``by="theme"`` the themes at
    ``level`` (0 main themes, 1 sub-themes …), codes sitting higher up count for their
    deepest theme; with ``by="code"`` every code.  A cell counts the distinct excerpts of
    that participant coded with any code under the column.
    """
    _check_by(by)
    x = _coded(data, annotators)
    idx, cb = x.idx, x.data.codebook
    if by == "code":
        col_ids = list(idx.code_order)
        names = [idx.code_label[c] for c in col_ids]
        col_of_code = np.arange(len(col_ids))
    else:
        target = {c: p[min(level, len(p) - 1)] for c, p in idx.code_path.items() if p}
        used = set(target.values())
        col_ids = [
            r["theme_id"]
            for r in idx.theme_rows
            if r["kind"] == "theme" and (r["depth"] == level or (r["theme_id"] in used and r["depth"] < level))
        ]
        pos = {t: i for i, t in enumerate(col_ids)}
        names = [cb.themes[t].label for t in col_ids]
        col_of_code = np.array([pos.get(target.get(c, ""), -1) for c in idx.code_order], dtype=np.int64)
    rows = _participant_order(x.data)
    row_of_part = np.array([rows.index(p) if p in rows else -1 for p in x.parts] + [-1], dtype=np.int64)
    col = col_of_code[x.code] if len(x.code) else x.code
    m = (col >= 0) & (x.part >= 0)
    cs, ss = _distinct(col[m], x.span[m], x.n_spans)
    span_row = np.full(x.n_spans + 1, -1, dtype=np.int64)
    span_row[x.span] = row_of_part[x.part]  # a span lies in one document, so one participant
    r = span_row[ss]
    counts = (
        np.bincount(r * len(col_ids) + cs, minlength=len(rows) * len(col_ids))
        if len(cs)
        else np.zeros(len(rows) * len(col_ids), dtype=np.int64)
    )
    counts = counts.reshape(len(rows), len(col_ids)).astype(np.int64)
    if presence:
        counts = (counts > 0).astype(np.int64)
    labels = _labels(x.data)
    out = pd.DataFrame(
        counts,
        index=pd.Index([labels.get(p, p) for p in rows], name="participant"),
        columns=pd.Index(_unique_names(col_ids, names), name=by),
    )
    what = "presence (1 = at least one excerpt)" if presence else EXCERPT_UNIT
    return _attrs(
        out,
        what,
        f"Participants × {'codes' if by == 'code' else f'themes (level {level})'}.",
        uncoded="uncoded text is not counted; participants without codings show zeros",
        column_ids=col_ids,
        participant_ids=rows,
        pooling=x.pooling,
    )


# --------------------------------------------------------------------------- co-occurrence
def _units(x: _Coded, rows_in: np.ndarray, unit: str) -> tuple[np.ndarray, np.ndarray, int]:
    """(position in ``rows_in``, unit id) incidences, and the number of units.

    Documents are laid end to end on one line (with a gap) so that one sorted array and
    np.searchsorted serve all documents at once.  ``overlap``: units are overlap clusters —
    maximal chains of overlapping excerpts in one document.  Segment kinds: a coding
    belongs to every segment of that kind it shares at least one character with."""
    data = x.data
    n_docs = len(x.doc_names)
    ext = np.zeros(n_docs, dtype=np.int64)
    lengths = data.documents.set_index(data.documents["document"].astype(str))["length"]
    ext = np.maximum(ext, lengths.reindex(x.doc_names).fillna(0).to_numpy(dtype=np.int64))
    np.maximum.at(ext, x.doc, x.end)
    doc, start, end = x.doc[rows_in], x.start[rows_in], x.end[rows_in]
    if unit == "overlap":
        off = offsets(ext, gap=1)
        gs, ge = off[doc] + start, off[doc] + end
        order = np.lexsort((ge, gs))
        s, e = gs[order], ge[order]
        new = np.ones(len(s), dtype=bool)
        if len(s) > 1:
            new[1:] = s[1:] >= np.maximum.accumulate(e)[:-1]
        unit_of = np.empty(len(s), dtype=np.int64)
        unit_of[order] = np.cumsum(new) - 1
        return np.arange(len(rows_in)), unit_of, int(new.sum())
    segs = data.segments[data.segments["kind"] == unit]
    sdoc = pd.Index(x.doc_names).get_indexer(segs["document"].astype(str))
    keep = sdoc >= 0
    sdoc = sdoc[keep].astype(np.int64)
    s0 = segs["start"].to_numpy(dtype=np.int64)[keep]
    s1 = segs["end"].to_numpy(dtype=np.int64)[keep]
    missing = sorted(
        {x.doc_names[d] for d in _unique_sorted(doc)} - {x.doc_names[d] for d in _unique_sorted(sdoc)}, key=natural_key
    )
    if missing:
        raise QualcodeError(
            [
                Problem(
                    f"Document '{d}' has no '{unit}' segments, so co-occurrence by {unit} cannot be computed.",
                    field="unit",
                    hint="Re-import the document, or use unit='overlap'.",
                )
                for d in missing[:20]
            ]
        )
    np.maximum.at(ext, sdoc, s1)
    off = offsets(ext, gap=1)
    g0, g1 = off[sdoc] + s0, off[sdoc] + s1
    order = np.argsort(g0, kind="stable")
    g0, g1 = g0[order], np.maximum.accumulate(g1[order])  # monotone ends even if segments nest
    c0, c1 = off[doc] + start, off[doc] + end
    first = np.searchsorted(g1, c0, side="right")  # first segment ending after the coding starts
    last = np.searchsorted(g0, c1, side="left") - 1  # last segment starting before it ends
    rows, segment = ranges(first, last + 1)
    return rows, segment, len(g0)


def cooccurrence(
    data: AnalysisData, unit: str = "overlap", annotators: Iterable[str] | None = None, by: str = "code"
) -> pd.DataFrame:
    """Pairs of codes (or themes) that occur in the same unit of text.

    Units: ``"sentence"``, ``"paragraph"``, ``"turn"`` are the document's segments of that
    kind (a coding belongs to every segment it shares a character with); ``"overlap"``
    units are overlap clusters (maximal chains of overlapping excerpts in one document,
    so an excerpt belongs to exactly one cluster).

    Long table, one row per unordered pair with ``n > 0`` (``a`` before ``b`` in codebook
    order; with ``by="theme"`` every theme and sub-theme, pairs of a theme and its own
    ancestor left out), most frequent first.  Columns: ``<by>_a``, ``<by>_b``, label_a,
    label_b,

    n
        number of units containing both a and b;
    n_a, n_b
        number of units containing a (resp. b);
    excerpts_a, excerpts_b
        number of distinct excerpts coded a (resp. b);
    jaccard
        ``n / (n_a + n_b - n)``: of the units mentioning either, the share mentioning both;
    c_coefficient
        ATLAS.ti's c-coefficient ``n12 / (n1 + n2 - n12)`` with ``n12 = n`` and code
        frequencies ``n1, n2`` = excerpts (quotations) as in ATLAS.ti.  For ``overlap`` it
        is at most 1; with segment units an excerpt can span several units and, as in
        ATLAS.ti, it can exceed 1 (NaN when the denominator is not positive).
    """
    if unit not in COOCCURRENCE_UNITS:
        raise QualcodeError(
            Problem(
                f"Unknown unit '{unit}'.",
                field="unit",
                hint=(did_you_mean(unit, COOCCURRENCE_UNITS) or "")
                + f" Valid units: {valid_list(COOCCURRENCE_UNITS)}.",
            )
        )
    _check_by(by)
    from scipy import sparse  # a scikit-learn dependency; imported lazily because it is heavy

    x = _coded(data, annotators)
    idx, cb = x.idx, x.data.codebook
    n_codes = len(idx.code_order)
    # one row per distinct (code, span): annotators repeating a coding add nothing
    first_rows = _first_rows(x.code * max(x.n_spans, 1) + x.span)
    code, span = x.code[first_rows], x.span[first_rows]
    if by == "code":
        items, labels = list(idx.code_order), [idx.code_label[c] for c in idx.code_order]
        t_rows, t_cols = np.arange(n_codes), np.arange(n_codes)
    else:
        keep_rows = [i for i, r in enumerate(idx.theme_rows) if r["kind"] == "theme"]
        items = [idx.theme_rows[i]["theme_id"] for i in keep_rows]
        labels = [idx.theme_rows[i]["theme"] for i in keep_rows]
        remap = np.full(len(idx.theme_rows), -1, dtype=np.int64)
        remap[keep_rows] = np.arange(len(keep_rows))
        r, th = _expand(np.arange(n_codes), idx)
        ok = remap[th] >= 0
        t_rows, t_cols = r[ok], remap[th[ok]]
    n_items = len(items)
    T = sparse.csr_matrix((np.ones(len(t_rows)), (t_rows, t_cols)), shape=(n_codes, n_items))
    # excerpts per item: distinct (item, span)
    T_coo = T.tocsr()
    er, at = ranges(T_coo.indptr[code], T_coo.indptr[code + 1])
    e_item = T_coo.indices[at]
    ei, _ = _distinct(e_item, span[er], x.n_spans)
    excerpts = np.bincount(ei, minlength=n_items).astype(np.int64)

    rows, unit_ids, n_units = _units(x, first_rows, unit)
    M = sparse.csr_matrix((np.ones(len(rows)), (unit_ids, code[rows])), shape=(max(n_units, 1), n_codes))
    U = (M @ T).tocsr()
    U.data[:] = 1.0  # presence of each item in each unit
    C = (U.T @ U).toarray()
    present = np.diag(C).astype(np.int64)
    a, b = np.nonzero(np.triu(C, k=1))
    if by == "theme" and len(a):
        anc = {(items.index(t), items.index(p)) for t in items for p in cb.theme_path(t)[:-1] if p in items}
        keep = np.array([(i, j) not in anc and (j, i) not in anc for i, j in zip(a, b)], dtype=bool)
        a, b = a[keep], b[keep]
    n = C[a, b].astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = n / (present[a] + present[b] - n)
        den = excerpts[a] + excerpts[b] - n
        cc = np.where(den > 0, n / np.where(den > 0, den, 1), np.nan)
    items_arr, labels_arr = np.asarray(items, dtype=object), np.asarray(labels, dtype=object)
    out = pd.DataFrame(
        {
            f"{by}_a": items_arr[a],
            f"{by}_b": items_arr[b],
            "label_a": labels_arr[a],
            "label_b": labels_arr[b],
            "n": n,
            "n_a": present[a],
            "n_b": present[b],
            "excerpts_a": excerpts[a],
            "excerpts_b": excerpts[b],
            "jaccard": jac.astype("float64"),
            "c_coefficient": cc.astype("float64"),
        }
    )
    order = np.lexsort((b, a, -n))
    out = out.iloc[order].reset_index(drop=True)
    what = (
        "overlap clusters (maximal chains of overlapping excerpts in a document)"
        if unit == "overlap"
        else f"{unit} segments (a coding counts in every {unit} it touches)"
    )
    return _attrs(
        out,
        what,
        f"Co-occurrence of {by}s per {unit}: counts, Jaccard and c-coefficient.",
        uncoded="units without any coding are not counted (they do not change n, jaccard or c)",
        n_units=int(n_units),
        cooccurrence_unit=unit,
        pooling=x.pooling,
    )


# --------------------------------------------------------------------------- appendices
def speaker_name(label: str) -> str:
    """The quote prefix for a participant label: "Expert (A)" → "Expert A".

    >>> speaker_name("Expert (A)"), speaker_name("Dr Smith")
    ('Expert A', 'Dr Smith')
    """
    noun, tag = _label_parts(label)
    if tag is None:
        return str(label)
    return f"{noun} {tag}" if noun else tag


def quote_table(
    data: AnalysisData, annotators: Iterable[str] | None = None, max_quotes: int | None = None
) -> pd.DataFrame:
    """Appendix B ("Codebook") form: one row per code in codebook order.

    Columns: theme (main theme label), sub_theme (labels of the deeper themes, " > "
    joined; "" for codes directly under a main theme), code (id), label, quotes (distinct
    excerpts as ``Expert A: '…'``, participants in natural order then document and
    position, blank line between quotes, at most ``max_quotes``), codings, excerpts,
    experts ("A,B").
    """
    x = _coded(data, annotators)
    idx, cb = x.idx, x.data.codebook
    n = len(idx.code_order)
    stats = _key_stats(x.code, x.span, x.part, n, x)
    first_rows = _first_rows(x.code * max(x.n_spans, 1) + x.span)
    doc_rank = np.zeros(len(x.doc_names), dtype=np.int64)
    doc_rank[sorted(range(len(x.doc_names)), key=lambda i: natural_key(x.doc_names[i]))] = np.arange(len(x.doc_names))
    r = first_rows
    part_key = np.where(x.part[r] >= 0, x.part[r], len(x.parts))
    order = r[np.lexsort((x.end[r], x.start[r], doc_rank[x.doc[r]] if len(r) else r, part_key, x.code[r]))]
    codes_sorted = x.code[order]
    if max_quotes is not None and len(order):
        group_start = np.searchsorted(codes_sorted, codes_sorted, side="left")
        sel = (np.arange(len(order)) - group_start) < max_quotes
        order, codes_sorted = order[sel], codes_sorted[sel]
    c = x.data.codings
    quotes = c["quote"].iloc[order].astype(object).where(c["quote"].iloc[order].notna(), "").astype(str)
    text = quotes.str.replace(r"\s+", " ", regex=True).str.strip().to_numpy(dtype=object)
    labels = _labels(x.data)
    speaker = np.array([speaker_name(labels.get(p, p)) for p in x.parts] + ["Unknown"], dtype=object)
    who = speaker[np.where(x.part[order] >= 0, x.part[order], len(x.parts))]
    lines = [f"{w}: '{t}'" for w, t in zip(who, text)]
    joined = [""] * n
    if len(order):
        for s, e in zip(*runs(codes_sorted)):
            joined[int(codes_sorted[s])] = "\n\n".join(lines[s:e])
    rows = []
    for code in idx.code_order:
        path = idx.code_path[code]
        rows.append(
            {
                "theme": cb.themes[path[0]].label if path else "",
                "sub_theme": " > ".join(cb.themes[t].label for t in path[1:]),
                "code": code,
                "label": idx.code_label[code],
            }
        )
    out = pd.DataFrame(rows, columns=["theme", "sub_theme", "code", "label"])
    out["quotes"] = joined
    for col in ("codings", "excerpts", "experts"):
        out[col] = stats[col]
    return _attrs(
        out,
        EXCERPT_UNIT + " (quotes are distinct excerpts)",
        "Codebook with example quotes (thesis Appendix B).",
        pooling=x.pooling,
    )


PARTICIPANT_TABLE_COLUMNS = [
    "participant",
    "label",
    "role",
    "organisation",
    "organisation_type",
    "date",
    "place",
    "mode",
]


def participant_table(data: AnalysisData) -> pd.DataFrame:
    """Appendix A ("List of interviewees") form, natural order of participant ids.

    Columns: participant, label, role, organisation, organisation_type, date, place, mode
    (empty when the attribute is not recorded), then any other participant attributes,
    then documents (number of documents of the participant).
    """
    p = data.participants.copy()
    p["participant"] = p["participant"].astype(str)
    for col in PARTICIPANT_TABLE_COLUMNS:
        if col not in p.columns:
            p[col] = ""
    extra = [c for c in p.columns if c not in PARTICIPANT_TABLE_COLUMNS]
    p = p[PARTICIPANT_TABLE_COLUMNS + extra]
    p = p.astype(object).where(p.notna(), "")
    docs = data.documents["participant"].dropna().astype(str).value_counts()
    p["documents"] = p["participant"].map(docs).fillna(0).astype("int64")
    p = p.iloc[sorted(range(len(p)), key=lambda i: natural_key(p["participant"].iloc[i]))]
    p = p.reset_index(drop=True)
    return _attrs(p, "participant", "List of interviewees (thesis Appendix A).", uncoded="not applicable")


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
