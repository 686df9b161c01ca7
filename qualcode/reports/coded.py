"""The coded spans as arrays (:class:`_Coded`) with the codebook index, and the distinct-excerpt
counting every count report shares."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..arrays import pointers, ranges
from ..frames import AnalysisData
from ..model import Code, Codebook, Theme
from .phrases import _label_parts, _natural_sorted, _phrase_from_tags, natural_key
from .pooling import Pooling, pool

_SPAN = ["document", "start", "end"]


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
