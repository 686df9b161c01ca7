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
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import Problem, QualcodeError, did_you_mean, valid_list
from .frames import AnalysisData
from .model import SEGMENT_KINDS, Code, Codebook, Theme

EXCERPT_UNIT = "excerpt = distinct coded span (document, start, end)"
UNCODED_NOT_COUNTED = "uncoded text is not counted"
COOCCURRENCE_UNITS = ("overlap",) + SEGMENT_KINDS

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                 "ten", "eleven", "twelve")
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


def experts_phrase(ids: Iterable[str], labels: Mapping[str, str] | None = None, *,
                   prose: bool = False, noun: str | None = None) -> str:
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
    singular = noun or (nouns.pop() if len(nouns) == 1 else "Expert")
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


def _select(data: AnalysisData, annotators: Iterable[str] | None) -> AnalysisData:
    """Restrict to ``annotators``; refuse names that have no codings (a typo would
    otherwise silently produce an empty report)."""
    if annotators is None:
        return data
    if isinstance(annotators, str):
        annotators = [annotators]
    wanted = list(annotators)
    known = set(data.codings["annotator"].dropna().astype(str).unique())
    problems = []
    for name in wanted:
        if name not in known:
            hint = did_you_mean(name, known) or (
                f"Annotators with codings: {valid_list(known)}." if known else "There are no codings yet.")
            problems.append(Problem(f"Annotator '{name}' has no codings.", field="annotators", hint=hint))
    if problems:
        raise QualcodeError(problems)
    return data.with_annotators(wanted)


def _attrs(df: pd.DataFrame, unit: str, description: str, uncoded: str = UNCODED_NOT_COUNTED,
           **extra: object) -> pd.DataFrame:
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
    pairs: pd.DataFrame  # code, theme: a code's membership in every theme (ancestors + cross-cutting)


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
            rows.append({"theme_id": node.id, "theme": node.label, "parent": node.parent or "",
                         "kind": "theme", "depth": depth})
    for x in codebook.cross_cutting.values():
        rows.append({"theme_id": x.id, "theme": x.label, "parent": "", "kind": "cross_cutting", "depth": 0})
    pair_rows = [(c, t) for c in order for t in path[c]]
    pair_rows += [(c, x.id) for x in codebook.cross_cutting.values() for c in dict.fromkeys(x.codes)]
    pairs = pd.DataFrame(pair_rows, columns=["code", "theme"]).drop_duplicates(ignore_index=True)
    return _Index(order, label, theme, path, rows, pairs)


def _spans(data: AnalysisData) -> pd.DataFrame:
    """The codings columns reports need, with plain str/int dtypes."""
    c = data.codings
    out = pd.DataFrame({
        "document": c["document"].astype(str),
        "start": c["start"].astype("int64"),
        "end": c["end"].astype("int64"),
        "code": c["code"].astype(str),
        "participant": c["participant"].astype(object).where(c["participant"].notna(), None),
        "annotator": c["annotator"].astype(str),
    })
    return out


def _participant_order(data: AnalysisData) -> list[str]:
    """Participants who have a document (the consensus denominator), natural order;
    participants only seen in codings are appended."""
    with_docs = data.documents["participant"].dropna().astype(str)
    listed = _natural_sorted(with_docs)
    seen = _natural_sorted(data.codings["participant"].dropna().astype(str))
    return listed + [p for p in seen if p not in set(listed)]


def _labels(data: AnalysisData) -> dict[str, str]:
    p = data.participants
    return dict(zip(p["participant"].astype(str), p["label"].astype(str)))


def _group_experts(df: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per ``key``: experts_n and experts ("A,B,F", natural order)."""
    d = df[[key, "participant"]].dropna().drop_duplicates()
    if d.empty:
        return pd.DataFrame({"experts_n": pd.Series(dtype="int64"), "experts": pd.Series(dtype=object)})
    order = {p: i for i, p in enumerate(_natural_sorted(d["participant"]))}
    d = d.assign(_rank=d["participant"].map(order)).sort_values([key, "_rank"])
    g = d.groupby(key, sort=False)["participant"]
    return pd.DataFrame({"experts_n": g.size(), "experts": g.agg(",".join)})


def _count_by(df: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per ``key``: codings (rows) and excerpts (distinct spans)."""
    codings = df.groupby(key, sort=False).size().rename("codings")
    excerpts = df.drop_duplicates([key] + _SPAN).groupby(key, sort=False).size().rename("excerpts")
    return pd.concat([codings, excerpts], axis=1)


def _fill(df: pd.DataFrame, ints: Sequence[str], strs: Sequence[str]) -> pd.DataFrame:
    for col in ints:
        df[col] = df[col].fillna(0).astype("int64")
    for col in strs:
        df[col] = df[col].astype(object).where(df[col].notna(), "")
    return df


def _phrases(experts: pd.Series, labels: Mapping[str, str], prose: bool = False) -> list[str]:
    return [experts_phrase(e.split(",") if e else [], labels, prose=prose) for e in experts]


# --------------------------------------------------------------------------- reports
def code_frequencies(data: AnalysisData, annotators: Iterable[str] | None = None,
                     by_annotator: bool = False) -> pd.DataFrame:
    """One row per code (codebook tree order; codes used but missing from the codebook last).

    Columns: code, label, theme (immediate theme id), theme_path (labels "Main > Sub"),
    codings, excerpts, experts_n, experts, experts_phrase; with ``by_annotator`` also
    ``codings:<annotator>`` and ``excerpts:<annotator>`` for each annotator.
    """
    data = _select(data, annotators)
    spans = _spans(data)
    idx = _index(data.codebook, spans["code"].unique())
    cb = data.codebook
    out = pd.DataFrame({
        "code": idx.code_order,
        "label": [idx.code_label[c] for c in idx.code_order],
        "theme": [idx.code_theme[c] for c in idx.code_order],
        "theme_path": [" > ".join(cb.themes[t].label for t in idx.code_path[c]) for c in idx.code_order],
    }).set_index("code", drop=False)
    out = out.join(_count_by(spans, "code")).join(_group_experts(spans, "code"))
    out = _fill(out, ["codings", "excerpts", "experts_n"], ["experts"])
    out["experts_phrase"] = _phrases(out["experts"], _labels(data))
    if by_annotator:
        for ann in _natural_sorted(spans["annotator"]):
            sub = _count_by(spans[spans["annotator"] == ann], "code")
            out[f"codings:{ann}"] = sub["codings"].reindex(out.index).fillna(0).astype("int64")
            out[f"excerpts:{ann}"] = sub["excerpts"].reindex(out.index).fillna(0).astype("int64")
    out = out.reset_index(drop=True)
    return _attrs(out, EXCERPT_UNIT + "; codings = coding rows (one per annotator and code)",
                  "Codings, distinct excerpts and experts per code.")


def _theme_spans(spans: pd.DataFrame, idx: _Index) -> pd.DataFrame:
    """One row per (coding, theme it counts for): ancestors and cross-cutting themes."""
    return spans.merge(idx.pairs, on="code", how="inner")


def theme_table(data: AnalysisData, annotators: Iterable[str] | None = None) -> pd.DataFrame:
    """One row per theme and sub-theme (depth-first file order), then per cross-cutting theme.

    Columns: theme_id, theme (label), parent ("" for main themes), kind ("theme" |
    "cross_cutting"), depth (0 main, 1 sub-theme …; cross-cutting 0), excerpts (distinct
    spans coded with any code under the theme, any depth), codings, experts_n, experts
    ("A,B,F"), experts_phrase ("Experts (A,B,F)"), codes (distinct codes used),
    code_list (their ids in codebook order, comma-joined).
    """
    data = _select(data, annotators)
    spans = _spans(data)
    idx = _index(data.codebook, spans["code"].unique())
    ts = _theme_spans(spans, idx)
    out = pd.DataFrame(idx.theme_rows, columns=["theme_id", "theme", "parent", "kind", "depth"])
    out = out.set_index("theme_id", drop=False)
    used = ts[["theme", "code"]].drop_duplicates()
    rank = {c: i for i, c in enumerate(idx.code_order)}
    used = used.assign(_r=used["code"].map(rank)).sort_values(["theme", "_r"])
    g = used.groupby("theme", sort=False)["code"]
    codes = pd.DataFrame({"codes": g.size(), "code_list": g.agg(",".join)})
    out = out.join(_count_by(ts, "theme")).join(_group_experts(ts, "theme")).join(codes)
    out = _fill(out, ["excerpts", "codings", "experts_n", "codes"], ["experts", "code_list"])
    out["experts_phrase"] = _phrases(out["experts"], _labels(data))
    cols = ["theme_id", "theme", "parent", "kind", "depth", "excerpts", "codings", "experts_n",
            "experts", "experts_phrase", "codes", "code_list"]
    out = out[cols].reset_index(drop=True)
    return _attrs(out, EXCERPT_UNIT + "; a span coded with several codes of one theme counts once for it",
                  "Excerpts, codings, experts and codes per theme, sub-theme and cross-cutting theme.")


def consensus(data: AnalysisData, by: str = "code", attribute: str | None = None,
              annotators: Iterable[str] | None = None) -> pd.DataFrame:
    """How many participants raised each code (``by="code"``) or theme (``by="theme"``).

    Columns: <by> (id), label, participants_n, share (participants_n divided by the
    number of participants with a document), participants ("A,B,F"), phrase (prose,
    e.g. "six Experts (A,B,C,D,E,F)").  With ``attribute`` (any participant attribute,
    e.g. "organisation_type") two more columns per attribute value v:
    ``<attribute>=<v>`` (count) and ``<attribute>=<v> ids``; participants without the
    attribute are grouped under "(not set)".  ``df.attrs["totals"]`` gives the number of
    participants with a document per value (and "all").
    """
    if by not in ("code", "theme"):
        raise QualcodeError(Problem(f"Unknown grouping by='{by}'.", field="by", hint="Use 'code' or 'theme'."))
    data = _select(data, annotators)
    spans = _spans(data)
    idx = _index(data.codebook, spans["code"].unique())
    everyone = _participant_order(data)
    with_docs = set(data.documents["participant"].dropna().astype(str))
    n_total = len(with_docs) or len(everyone)
    labels = _labels(data)
    if by == "code":
        keyed = spans.rename(columns={"code": "key"})
        base = pd.DataFrame({"code": idx.code_order, "label": [idx.code_label[c] for c in idx.code_order]})
    else:
        keyed = _theme_spans(spans, idx).rename(columns={"theme": "key"})
        base = pd.DataFrame({"theme": [r["theme_id"] for r in idx.theme_rows],
                             "label": [r["theme"] for r in idx.theme_rows]})
    base.index = base[by]
    experts = _group_experts(keyed, "key")
    base = base.join(experts.rename(columns={"experts_n": "participants_n", "experts": "participants"}))
    base = _fill(base, ["participants_n"], ["participants"])
    base["share"] = base["participants_n"] / n_total if n_total else 0.0
    base["phrase"] = _phrases(base["participants"], labels, prose=True)
    base = base[[by, "label", "participants_n", "share", "participants", "phrase"]]
    totals: dict[str, int] = {"all": n_total}
    if attribute is not None:
        parts = data.participants
        if attribute not in parts.columns or attribute in ("participant", "label"):
            known = [c for c in parts.columns if c not in ("participant", "label")]
            raise QualcodeError(Problem(
                f"Participant attribute '{attribute}' does not exist.", field="attribute",
                hint=did_you_mean(attribute, known) or f"Known attributes: {valid_list(known)}."))
        values = parts.set_index(parts["participant"].astype(str))[attribute]
        values = values.astype(object).where(values.notna() & (values.astype(str).str.strip() != ""), "(not set)")
        values = values.astype(str)
        kv = keyed[["key", "participant"]].dropna().drop_duplicates()
        kv = kv.assign(_v=kv["participant"].map(values).fillna("(not set)"))
        for v in _natural_sorted(values.unique()):
            sub = _group_experts(kv[kv["_v"] == v], "key")
            base[f"{attribute}={v}"] = sub["experts_n"].reindex(base.index).fillna(0).astype("int64")
            base[f"{attribute}={v} ids"] = sub["experts"].reindex(base.index).astype(object).fillna("")
            totals[v] = int(sum(1 for p in with_docs if values.get(p, "(not set)") == v))
    base = base.reset_index(drop=True)
    return _attrs(base, "participants (distinct interviewees with at least one excerpt)",
                  f"Expert consensus per {by}: how many participants raised it.",
                  uncoded="participants without codings count in the share's denominator",
                  totals=totals, attribute=attribute)


def _column_for(idx: _Index, cb: Codebook, level: int) -> dict[str, str]:
    """code → theme id at ``level`` of its path (its deepest theme when the path is shorter)."""
    out = {}
    for c, path in idx.code_path.items():
        if path:
            out[c] = path[min(level, len(path) - 1)]
    return out


def _unique_names(ids: Sequence[str], names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    return [n if seen[n] == 1 else f"{n} ({i})" for i, n in zip(ids, names)]


def matrix(data: AnalysisData, by: str = "theme", level: int = 1, presence: bool = False,
           annotators: Iterable[str] | None = None) -> pd.DataFrame:
    """Participants × themes (or codes): number of excerpts, or 0/1 presence.

    Rows: every participant with a document (labels as index, natural order of ids).
    Columns (labels; ids in ``df.attrs["column_ids"]``): with ``by="theme"`` the themes at
    ``level`` (0 main themes, 1 sub-themes …), codes sitting higher up count for their
    deepest theme; with ``by="code"`` every code.  A cell counts the distinct excerpts of
    that participant coded with any code under the column.
    """
    if by not in ("code", "theme"):
        raise QualcodeError(Problem(f"Unknown grouping by='{by}'.", field="by", hint="Use 'code' or 'theme'."))
    data = _select(data, annotators)
    spans = _spans(data)
    cb = data.codebook
    idx = _index(cb, spans["code"].unique())
    if by == "code":
        col_ids = list(idx.code_order)
        names = [idx.code_label[c] for c in col_ids]
        spans = spans.assign(col=spans["code"])
    else:
        mapping = _column_for(idx, cb, level)
        used_cols = set(mapping.values())
        col_ids = [r["theme_id"] for r in idx.theme_rows if r["kind"] == "theme" and
                   (r["depth"] == level or (r["theme_id"] in used_cols and r["depth"] < level))]
        names = [cb.themes[t].label for t in col_ids]
        spans = spans.assign(col=spans["code"].map(mapping))
    spans = spans.dropna(subset=["col", "participant"]).drop_duplicates(["col", "participant"] + _SPAN)
    rows = _participant_order(data)
    counts = pd.crosstab(spans["participant"], spans["col"]) if len(spans) else pd.DataFrame()
    counts = counts.reindex(index=rows, columns=col_ids, fill_value=0).fillna(0).astype("int64")
    if presence:
        counts = (counts > 0).astype("int64")
    labels = _labels(data)
    counts.index = pd.Index([labels.get(p, p) for p in rows], name="participant")
    counts.columns = pd.Index(_unique_names(col_ids, names), name=by)
    what = "presence (1 = at least one excerpt)" if presence else EXCERPT_UNIT
    return _attrs(counts, what, f"Participants × {'codes' if by == 'code' else f'themes (level {level})'}.",
                  uncoded="uncoded text is not counted; participants without codings show zeros",
                  column_ids=col_ids, participant_ids=rows)


# --------------------------------------------------------------------------- co-occurrence
def _global_offsets(data: AnalysisData, spans: pd.DataFrame, segs: pd.DataFrame) -> pd.Series:
    """Document → offset placing every document on one line, separated by a gap, so a
    single sorted array (and np.searchsorted) serves all documents at once."""
    ext = pd.concat([
        data.documents.set_index(data.documents["document"].astype(str))["length"].astype("float64"),
        spans.groupby("document")["end"].max().astype("float64"),
        segs.groupby("document")["end"].max().astype("float64") if len(segs) else pd.Series(dtype="float64"),
    ], axis=1).max(axis=1).fillna(0).astype("int64")
    sizes = ext + 1
    return (sizes.cumsum() - sizes).astype("int64")


def _units(data: AnalysisData, spans: pd.DataFrame, unit: str) -> tuple[np.ndarray, np.ndarray, int]:
    """(row index into ``spans``, unit id) incidences, and the number of units.

    ``overlap``: units are overlap clusters — maximal runs of excerpts in one document
    chained by overlapping spans.  Segment kinds: a coding belongs to every segment of
    that kind it intersects (shares at least one character with)."""
    if unit == "overlap":
        seg = pd.DataFrame(columns=["document", "end"])
        off = _global_offsets(data, spans, seg)
        gs = spans["document"].map(off).to_numpy() + spans["start"].to_numpy()
        ge = spans["document"].map(off).to_numpy() + spans["end"].to_numpy()
        order = np.lexsort((ge, gs))
        s, e = gs[order], ge[order]
        running_end = np.maximum.accumulate(e) if len(e) else e
        new = np.ones(len(s), dtype=bool)
        if len(s) > 1:
            new[1:] = s[1:] >= running_end[:-1]
        cluster = np.cumsum(new) - 1
        unit_of = np.empty(len(s), dtype=np.int64)
        unit_of[order] = cluster
        return np.arange(len(spans)), unit_of, int(cluster[-1] + 1) if len(s) else 0
    segs = data.segments[data.segments["kind"] == unit]
    segs = pd.DataFrame({"document": segs["document"].astype(str), "start": segs["start"].astype("int64"),
                         "end": segs["end"].astype("int64")})
    missing = sorted(set(spans["document"]) - set(segs["document"]), key=natural_key)
    if missing:
        raise QualcodeError([Problem(
            f"Document '{d}' has no '{unit}' segments, so co-occurrence by {unit} cannot be computed.",
            field="unit", hint="Re-import the document, or use unit='overlap'.") for d in missing[:20]])
    off = _global_offsets(data, spans, segs)
    s0 = segs["document"].map(off).to_numpy() + segs["start"].to_numpy()
    s1 = segs["document"].map(off).to_numpy() + segs["end"].to_numpy()
    order = np.argsort(s0, kind="stable")
    s0, s1 = s0[order], np.maximum.accumulate(s1[order])  # monotone ends even if segments nest
    c0 = spans["document"].map(off).to_numpy() + spans["start"].to_numpy()
    c1 = spans["document"].map(off).to_numpy() + spans["end"].to_numpy()
    first = np.searchsorted(s1, c0, side="right")  # first segment ending after the coding starts
    last = np.searchsorted(s0, c1, side="left") - 1  # last segment starting before it ends
    n = np.clip(last - first + 1, 0, None)
    rows = np.repeat(np.arange(len(spans)), n)
    within = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return rows, np.repeat(first, n) + within, len(s0)


def cooccurrence(data: AnalysisData, unit: str = "overlap", annotators: Iterable[str] | None = None,
                 by: str = "code") -> pd.DataFrame:
    """Pairs of codes (or themes) that occur in the same unit of text.

    Units: ``"sentence"``, ``"paragraph"``, ``"turn"`` are the document's segments of that
    kind (a coding belongs to every segment it shares a character with); ``"overlap"``
    units are overlap clusters (maximal chains of overlapping excerpts in one document,
    so an excerpt belongs to exactly one cluster).

    Long table, one row per unordered pair with ``n > 0`` (``a`` before ``b`` in codebook
    order; with ``by="theme"`` every theme and sub-theme, pairs of a theme and its own
    ancestor left out).  Columns: ``<by>_a``, ``<by>_b``, label_a, label_b,

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
        raise QualcodeError(Problem(f"Unknown unit '{unit}'.", field="unit",
                                    hint=(did_you_mean(unit, COOCCURRENCE_UNITS) or "") +
                                    f" Valid units: {valid_list(COOCCURRENCE_UNITS)}."))
    if by not in ("code", "theme"):
        raise QualcodeError(Problem(f"Unknown grouping by='{by}'.", field="by", hint="Use 'code' or 'theme'."))
    from scipy import sparse  # scikit-learn's dependency; imported lazily (heavy)

    data = _select(data, annotators)
    spans = _spans(data).drop_duplicates(["code"] + _SPAN, ignore_index=True)
    cb = data.codebook
    idx = _index(cb, spans["code"].unique())
    if by == "code":
        items = list(idx.code_order)
        labels = [idx.code_label[c] for c in items]
        member = pd.DataFrame({"code": items, "item": items})
    else:
        items = [r["theme_id"] for r in idx.theme_rows if r["kind"] == "theme"]
        labels = [cb.themes[t].label for t in items]
        member = idx.pairs[idx.pairs["theme"].isin(set(items))].rename(columns={"theme": "item"})
    code_pos = {c: i for i, c in enumerate(idx.code_order)}
    item_pos = {t: i for i, t in enumerate(items)}
    ci = spans["code"].map(code_pos).to_numpy()
    # code → item incidence (codes × items), then excerpts per item (distinct spans)
    t_rows = member["code"].map(code_pos).to_numpy()
    t_cols = member["item"].map(item_pos).to_numpy()
    T = sparse.csr_matrix((np.ones(len(member)), (t_rows, t_cols)), shape=(len(code_pos), len(items)))
    ex = spans[["code"] + _SPAN].merge(member, on="code").drop_duplicates(["item"] + _SPAN)
    excerpts = ex.groupby("item").size().reindex(items, fill_value=0).to_numpy()

    rows, unit_ids, n_units = _units(data, spans, unit)
    M = sparse.csr_matrix((np.ones(len(rows)), (unit_ids, ci[rows])), shape=(max(n_units, 1), len(code_pos)))
    U = (M @ T)
    U.data[:] = 1.0  # presence of each item in each unit
    C = (U.T @ U).toarray()
    present = np.diag(C).copy()
    a, b = np.nonzero(np.triu(C, k=1))
    if by == "theme":
        anc = {(item_pos[t], item_pos[x]) for t in items for x in cb.theme_path(t)[:-1] if x in item_pos}
        keep = np.array([(i, j) not in anc and (j, i) not in anc for i, j in zip(a, b)], dtype=bool)
        a, b = a[keep], b[keep]
    n = C[a, b]
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = n / (present[a] + present[b] - n)
        den = excerpts[a] + excerpts[b] - n
        cc = np.where(den > 0, n / np.where(den > 0, den, 1), np.nan)
    out = pd.DataFrame({
        f"{by}_a": np.array(items, dtype=object)[a] if len(a) else [],
        f"{by}_b": np.array(items, dtype=object)[b] if len(b) else [],
        "label_a": np.array(labels, dtype=object)[a] if len(a) else [],
        "label_b": np.array(labels, dtype=object)[b] if len(b) else [],
        "n": n.astype("int64"), "n_a": present[a].astype("int64"), "n_b": present[b].astype("int64"),
        "excerpts_a": excerpts[a].astype("int64"), "excerpts_b": excerpts[b].astype("int64"),
        "jaccard": jac.astype("float64"), "c_coefficient": cc.astype("float64"),
    })
    out = out.assign(_a=a, _b=b).sort_values(["n", "_a", "_b"], ascending=[False, True, True])
    out = out.drop(columns=["_a", "_b"]).reset_index(drop=True)
    what = ("overlap clusters (maximal chains of overlapping excerpts in a document)" if unit == "overlap"
            else f"{unit} segments (a coding counts in every {unit} it touches)")
    return _attrs(out, what, f"Co-occurrence of {by}s per {unit}: counts, Jaccard and c-coefficient.",
                  uncoded="units without any coding are not counted (they do not change n, jaccard or c)",
                  n_units=int(n_units), cooccurrence_unit=unit)


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


def quote_table(data: AnalysisData, annotators: Iterable[str] | None = None,
                max_quotes: int | None = None) -> pd.DataFrame:
    """Appendix B ("Codebook") form: one row per code in codebook order.

    Columns: theme (main theme label), sub_theme (labels of the deeper themes, " > "
    joined; "" for codes directly under a main theme), code (id), label, quotes (distinct
    excerpts as ``Expert A: '…'``, participants in natural order then by position, blank
    line between quotes, at most ``max_quotes``), codings, excerpts, experts ("A,B").
    """
    data = _select(data, annotators)
    cb = data.codebook
    c = data.codings
    spans = _spans(data)
    spans["quote"] = c["quote"].astype(object).where(c["quote"].notna(), "").astype(str).to_numpy()
    idx = _index(cb, spans["code"].unique())
    freq = code_frequencies(data)  # already restricted
    freq = freq.set_index("code")
    distinct = spans.drop_duplicates(["code"] + _SPAN).copy()
    order = {p: i for i, p in enumerate(_participant_order(data))}
    distinct["_r"] = distinct["participant"].map(order).fillna(len(order))
    distinct = distinct.sort_values(["code", "_r", "document", "start", "end"])
    if max_quotes is not None:
        distinct = distinct.groupby("code", sort=False).head(max_quotes)
    speakers = {p: speaker_name(lbl) for p, lbl in _labels(data).items()}
    who = distinct["participant"].map(speakers).fillna(distinct["participant"]).fillna("Unknown").astype(str)
    text = distinct["quote"].str.replace(r"\s+", " ", regex=True).str.strip()
    distinct["q"] = who + ": '" + text + "'"
    quotes = distinct.groupby("code", sort=False)["q"].agg("\n\n".join)
    rows = []
    for code in idx.code_order:
        path = idx.code_path[code]
        rows.append({"theme": cb.themes[path[0]].label if path else "",
                     "sub_theme": " > ".join(cb.themes[t].label for t in path[1:]),
                     "code": code, "label": idx.code_label[code]})
    out = pd.DataFrame(rows, columns=["theme", "sub_theme", "code", "label"])
    out["quotes"] = out["code"].map(quotes).astype(object).fillna("")
    out["codings"] = out["code"].map(freq["codings"]).fillna(0).astype("int64")
    out["excerpts"] = out["code"].map(freq["excerpts"]).fillna(0).astype("int64")
    out["experts"] = out["code"].map(freq["experts"]).astype(object).fillna("")
    return _attrs(out, EXCERPT_UNIT + " (quotes are distinct excerpts)",
                  "Codebook with example quotes (thesis Appendix B).")


PARTICIPANT_TABLE_COLUMNS = ["participant", "label", "role", "organisation", "organisation_type",
                             "date", "place", "mode"]


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
    return _attrs(p, "participant", "List of interviewees (thesis Appendix A).",
                  uncoded="not applicable")


__all__ = ["EXCERPT_UNIT", "COOCCURRENCE_UNITS", "PARTICIPANT_TABLE_COLUMNS", "natural_key",
           "experts_phrase", "speaker_name", "code_frequencies", "theme_table", "consensus",
           "matrix", "cooccurrence", "quote_table", "participant_table"]
