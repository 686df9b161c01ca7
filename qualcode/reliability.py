"""Coding-level inter-coder reliability on an :class:`~qualcode.frames.AnalysisData`.

Three ways to line up two or more coders' codings (``unit=``):

* ``"sentence"`` | ``"paragraph"`` | ``"turn"`` — *units of analysis*.  A code is
  **present** in a unit for a coder when one of that coder's codings of the code
  overlaps the unit by at least one character (or covers at least ``min_overlap``
  of the unit's characters when ``min_overlap > 0``).  The units are **all**
  segments of that kind in every document that at least one of the chosen coders
  coded; a unit a coder left uncoded counts as *absent* for every code (so "both
  left it uncoded" is agreement).  Per code (and per theme: present when any of
  its codes is present, cross-cutting themes included) the report gives percent
  agreement, Cohen's kappa (2 coders) or Fleiss' kappa (3+), and Krippendorff's
  alpha (nominal, binary) with a Hayes & Krippendorff (2007) bootstrap interval.
* ``"character"`` — NVivo-comparable coding comparison: every character of a
  document is a unit; per code per document percent agreement and Cohen's kappa
  for two coders, plus a size-weighted average across documents.
* ``"match"`` — MAXQDA-comparable segment matching: a coded segment is matched
  when the other coder coded an overlapping segment with the same code whose
  overlap share (intersection / union of the two segments) is at least
  ``match_threshold``; agreement table and Brennan & Prediger's kappa.

Everything is vectorised (numpy searchsorted / bincount on the codings and the
segments table); statistics come from :mod:`qualcode.agreement`'s batched
functions, fed through sparse sufficient statistics so that 300 codes × 3 coders ×
100k units never becomes a dense array.  ``docs/methods.md`` documents the
formulas and how they relate to NVivo, ATLAS.ti and MAXQDA.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import agreement as ag
from .arrays import offsets, ranges, runs
from .errors import Problem, QualcodeError, did_you_mean, valid_list
from .frames import AnalysisData
from .model import Coding, Theme
from .scales import describe_scales, scale_rows, scales_of
from .vocabulary import AGREEMENT_UNITS, CONSENSUS, SEGMENT_KINDS

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


# --------------------------------------------------------------------------- selection
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


def _index_of(values: pd.Series, names: Sequence[str]) -> np.ndarray:
    """Position of each value in ``names`` (-1 if absent), hashing each distinct value once.

    ``Series.map(dict)`` iterates in Python over arrow-backed strings (pandas 3); factorising
    first keeps 2 million codings well under a second.
    """
    codes, uniques = pd.factorize(values.astype(str), sort=False)
    lookup = {n: i for i, n in enumerate(names)}
    table = np.array([lookup.get(str(u), -1) for u in uniques] + [-1], dtype=np.int64)
    return table[codes]  # factorize marks missing values as -1, which picks the trailing -1


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
    c = data.codings
    coder = _index_of(c["annotator"], coders)
    c = c.loc[coder >= 0]
    coder = coder[coder >= 0]
    doc_s = c["document"].astype(str)
    table_docs = list(data.documents["document"].astype(str))
    if documents is not None:
        known = list(dict.fromkeys(table_docs + sorted(set(doc_s.tolist()))))
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
        keep = doc_s.isin(wanted).to_numpy()
        c, coder, doc_s = c.loc[keep], coder[keep], doc_s[keep]
    pairs = pd.DataFrame({"document": doc_s.to_numpy(), "coder": coder}).drop_duplicates()
    by_doc = pairs.groupby("document")["coder"].nunique()
    coded_docs = set(by_doc.index.astype(str))
    skipped: dict[str, list[str]] = {}
    if scope == "common":
        full = set(by_doc.index[by_doc == len(coders)].astype(str))
        for d in [d for d in table_docs if d in coded_docs - full] + sorted(coded_docs - full - set(table_docs)):
            who = sorted(pairs.loc[pairs["document"] == d, "coder"].tolist())
            skipped[d] = [coders[i] for i in who]
        if not full:
            per = "; ".join(
                f"{a}: {', '.join(sorted(pairs.loc[pairs['coder'] == i, 'document'].astype(str)))[:200] or 'none'}"
                for i, a in enumerate(coders)
            )
            raise QualcodeError(
                Problem(
                    f"No document was coded by every chosen coder ({', '.join(coders)}), so there is nothing "
                    "to compare.",
                    field="documents",
                    hint=f"Coded documents — {per}. Have the coders code a common document, or compare with "
                    "scope='all' (CLI --scope all) to count a coder's uncoded documents as 'absent'.",
                )
            )
        keep = doc_s.isin(full).to_numpy()
        c, coder = c.loc[keep], coder[keep]
        coded_docs = full
    documents_given = documents is not None
    documents = [d for d in table_docs if d in coded_docs]
    documents += sorted(coded_docs - set(documents))  # codings of documents missing from the table
    lengths = dict(zip(data.documents["document"].astype(str), data.documents["length"]))
    doc_length = np.array([int(lengths.get(d, len(data.texts.get(d, "")))) for d in documents], dtype=np.int64)
    doc = _index_of(c["document"], documents)
    start = c["start"].to_numpy(dtype=np.int64)
    end = c["end"].to_numpy(dtype=np.int64)
    if len(doc):
        # codings may run past a stale length: the document is at least as long as its codings
        np.maximum.at(doc_length, doc, end)
    doc_offset = offsets(doc_length, gap=1)
    code_ids = list(data.codebook.codes)
    extra = sorted(set(pd.unique(c["code"].astype(str)).tolist()) - set(code_ids))
    code_ids += extra
    return _Frame(
        coders,
        documents,
        doc_length,
        doc_offset,
        coder,
        doc,
        start,
        end,
        _index_of(c["code"], code_ids),
        code_ids,
        "documents" if documents_given else scope,
        skipped,
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


# --------------------------------------------------------------------------- interval helpers
def _merge(group: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Union of intervals within each group → disjoint (group, start, end), sorted."""
    if len(group) == 0:
        return group, start, end
    span = int(max(end.max(), start.max())) + 2
    gs = group * span + start
    order = np.argsort(gs, kind="stable")
    g, gs = group[order], gs[order]
    ge = g * span + end[order]
    running = np.maximum.accumulate(ge)
    new = np.ones(len(g), dtype=bool)
    new[1:] = gs[1:] > running[:-1]  # touching intervals merge
    first = np.flatnonzero(new)
    merged_end = np.maximum.reduceat(ge, first)
    mg = g[first]
    return mg, gs[first] - mg * span, merged_end - mg * span


@dataclass
class _UnitTable:
    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    gstart: np.ndarray  # global coordinates (document offset + position)
    gend: np.ndarray
    run_end: np.ndarray  # running max of gend (units may overlap)


def _units(
    data: AnalysisData, frame: _Frame, kind: str, interviewer: frozenset[str] | None = INTERVIEWER_SPEAKERS
) -> _UnitTable:
    """The units of ``kind`` in the compared documents; the interviewer's (speaker label in
    ``interviewer``) are left out unless ``interviewer`` is None.  ``kind="document"``: each
    compared document is one unit ("did the coder use this code in this interview", MAXQDA's
    code-existence comparison)."""
    if kind == "document":
        doc = np.arange(len(frame.documents), dtype=np.int64)
        start = np.zeros(len(doc), dtype=np.int64)
        end = np.maximum(frame.doc_length, 1)
        gstart, gend = frame.doc_offset + start, frame.doc_offset + end
        return _UnitTable(doc, start, end, gstart, gend, np.maximum.accumulate(gend) if len(gend) else gend)
    seg = data.segments
    seg = seg.loc[(seg["kind"] == kind) & seg["document"].astype(str).isin(frame.documents)]
    if interviewer is not None and len(seg):
        codes, uniques = pd.factorize(seg["speaker"], sort=False)
        flags = np.array([_is_interviewer(u, interviewer) for u in uniques] + [False], dtype=bool)
        seg = seg.loc[~flags[codes]]
    doc = _index_of(seg["document"], frame.documents)
    start = seg["start"].to_numpy(dtype=np.int64)
    end = seg["end"].to_numpy(dtype=np.int64)
    keep = end > start
    doc, start, end = doc[keep], start[keep], end[keep]
    order = np.lexsort((end, start, doc))
    doc, start, end = doc[order], start[order], end[order]
    gstart, gend = frame.doc_offset[doc] + start, frame.doc_offset[doc] + end
    run_end = np.maximum.accumulate(gend) if len(gend) else gend
    return _UnitTable(doc, start, end, gstart, gend, run_end)


def _no_units_error(data: AnalysisData, frame: _Frame, kind: str) -> QualcodeError:
    kinds = sorted(set(data.segments.loc[data.segments["document"].astype(str).isin(frame.documents), "kind"]))
    return QualcodeError(
        Problem(
            f"The coded documents have no '{kind}' segments, so there are no units to compare.",
            field="unit",
            hint=(
                f"Use unit='{kinds[0]}' (available: {', '.join(kinds)}) or unit='character'."
                if kinds
                else "Use unit='character' or unit='match', or re-import the documents so that they are segmented."
            ),
        )
    )


# --------------------------------------------------------------------------- presence
@dataclass
class _Presence:
    """Sparse presence: unique (item, coder, unit) triples where the item is present."""

    item: np.ndarray
    coder: np.ndarray
    unit: np.ndarray
    n_items: int
    n_coders: int
    n_units: int


def _code_presence(frame: _Frame, units: _UnitTable, min_overlap: float) -> _Presence:
    """Per (code, coder, unit): present when the coder's codings of the code cover ≥1
    character of the unit (or ≥ ``min_overlap`` of its characters)."""
    n_codes, n_coders, n_units = len(frame.code_ids), len(frame.coders), len(units.gstart)
    group = (frame.code * n_coders + frame.coder) * max(len(frame.documents), 1) + frame.doc
    g, s, e = _merge(group, frame.start, frame.end)
    doc = g % max(len(frame.documents), 1)
    code_coder = g // max(len(frame.documents), 1)
    gs, ge = frame.doc_offset[doc] + s, frame.doc_offset[doc] + e
    lo = np.searchsorted(units.run_end, gs, side="right")
    hi = np.searchsorted(units.gstart, ge, side="left")
    owner, unit = ranges(lo, hi)
    overlap = np.minimum(ge[owner], units.gend[unit]) - np.maximum(gs[owner], units.gstart[unit])
    ok = overlap > 0
    owner, unit, overlap = owner[ok], unit[ok], overlap[ok]
    key = code_coder[owner] * n_units + unit
    keys = _unique(key)
    if min_overlap > 0:
        keys, inverse = np.unique(key, return_inverse=True)
        covered = np.bincount(inverse, weights=overlap, minlength=len(keys))
        u = keys % max(n_units, 1)
        length = units.gend[u] - units.gstart[u]
        keys = keys[covered >= np.maximum(1.0, min_overlap * length - 1e-9)]
    unit_of = keys % max(n_units, 1)
    cc = keys // max(n_units, 1)
    return _Presence(cc // n_coders, cc % n_coders, unit_of, n_codes, n_coders, n_units)


def _outside_units(frame: _Frame, units: _UnitTable) -> np.ndarray:
    """Per code: how many of the chosen coders' codings overlap no unit at all.

    Such a coding (a speaker label, the gap between two sentences, an interviewer turn
    left out of the units) cannot make its code present anywhere, so it would otherwise
    drop out of sentence/paragraph/turn agreement without a trace.
    """
    return np.bincount(frame.code[~_touching(frame, units)], minlength=len(frame.code_ids))


def _item_presence(code_presence: _Presence, items: _Items) -> _Presence:
    rows, item = _expand_to_items(code_presence.item, items.code_items)
    coder, unit = code_presence.coder[rows], code_presence.unit[rows]
    n_c, n_u = code_presence.n_coders, code_presence.n_units
    key = _unique((item * n_c + coder) * max(n_u, 1) + unit)
    unit = key % max(n_u, 1)
    ic = key // max(n_u, 1)
    return _Presence(ic // n_c, ic % n_c, unit, len(items.ids), n_c, n_u)


def _presence_statistics(
    p: _Presence, n_boot: int, seed: int, cap_draws: bool, method: str = "units"
) -> dict[str, Any]:
    """The per-item statistics from sparse presence (no dense items × units array)."""
    n_items, n_c, n_u = p.n_items, p.n_coders, p.n_units
    side = n_c + 1
    key = p.item * max(n_u, 1) + p.unit
    keys, k = _unique(key, return_counts=True)
    item_of = keys // max(n_u, 1)
    hist = np.bincount(item_of * side + k, minlength=n_items * side).reshape(n_items, side)
    coded_units = hist.sum(axis=1)
    H = np.zeros((n_items, side, side))
    H[:, n_c, :] = hist
    H[:, n_c, 0] = n_u - coded_units  # units no coder marked: all absent
    stats = ag.binary_stats(H)
    cohen = None
    if n_c == 2:
        per_coder = np.bincount(p.item * 2 + p.coder, minlength=n_items * 2).reshape(n_items, 2)
        n11 = np.bincount(item_of[k == 2], minlength=n_items).astype(float)
        n10, n01 = per_coder[:, 0] - n11, per_coder[:, 1] - n11
        cohen = (n11, n10, n01, n_u - n11 - n10 - n01)
    out = ag.binary_agreement_many(
        stats,
        n_boot=n_boot,
        seed=seed,
        cap_draws=cap_draws,
        cohen=cohen,
        method="kalpha" if method == "kalpha" else "units",
        hist=H,
    )
    out["n_coded_units"] = coded_units
    return out


# --------------------------------------------------------------------------- main entry
def intercoder_agreement(
    data: AnalysisData,
    annotators: Sequence[str] | None = None,
    unit: str = "sentence",
    by: str = "code",
    bootstrap: int = 1000,
    seed: int = 0,
    min_overlap: float = 0.0,
    match_threshold: float = 0.9,
    cap_draws: bool = True,
    documents: Sequence[str] | None = None,
    scope: str = "common",
    bootstrap_method: str = "units",
    include_interviewer: bool = False,
    scales: Sequence[str] | None = None,
    scale_level: str | None = None,
) -> pd.DataFrame:
    """Inter-coder reliability per code and/or theme (see the module docstring).

    ``annotators``: the coders to compare (default: every annotator except
    "consensus").  ``documents``: compare only these documents.  ``scope``: "common"
    (default) compares only the documents every chosen coder coded — a second coder
    who coded one interview is compared on that interview, not marked as disagreeing
    on the others; "all" takes every document any of them coded.  The documents used
    and those left out are in ``df.attrs["documents"]`` / ``["documents_skipped"]``.

    ``bootstrap``: bootstrap samples for alpha's 95% interval (0 = none);
    ``bootstrap_method`` "units" (default: resample the units,
    :func:`qualcode.agreement.bootstrap_alpha`) or "kalpha" (Hayes & Krippendorff's
    algorithm; ``cap_draws`` applies its 25·q cap).  ``min_overlap``: share of a unit's
    characters a coding must cover for the code to count as present (0 = at least one
    character).  ``match_threshold``: overlap share for ``unit="match"``.
    ``include_interviewer``: keep the interviewer's turns (speaker "Interviewer",
    "Q", "I", "Moderator", …) as units; by default they are left out, and codings
    that then touch no unit are counted in ``codings_outside_units``.
    ``scales``/``scale_level``: themes whose codes are the values of one variable get a
    row of level "scale" with alpha at that level (:mod:`qualcode.scales`): by default, with
    ``by`` "theme" or "both", every theme with ``scale:`` in ``codebook.yaml``, at its level
    and in its ``order:``; ``scales=[...]`` names themes, ``scale_level`` overrides the level.

    Returns one row per code/theme with the columns of ``RESULT_COLUMNS`` (the
    ``character`` unit adds ``document`` and character counts, ``match`` adds the
    agreement table).  ``df.attrs`` holds ``unit``, ``uncoded``, ``n_units``,
    ``annotators``, ``documents``, ``scope``, ``method`` and more; :func:`describe`
    renders them.
    """
    _check_choice(unit, UNITS, "unit")
    _check_choice(by, BY, "by")
    _check_choice(bootstrap_method, ag.BOOT_METHODS, "bootstrap_method")
    if not 0.0 <= min_overlap <= 1.0:
        raise QualcodeError(Problem(f"min_overlap must be between 0 and 1, got {min_overlap}.", field="min_overlap"))
    if not 0.0 < match_threshold <= 1.0:
        raise QualcodeError(
            Problem(f"match_threshold must be in (0, 1], got {match_threshold}.", field="match_threshold")
        )
    if bootstrap < 0:
        raise QualcodeError(Problem(f"bootstrap must be 0 or more samples, got {bootstrap}.", field="bootstrap"))
    if (scales is not None or scale_level is not None) and unit not in UNIT_KINDS + ("document",):
        raise QualcodeError(
            Problem(
                f"Scale rows (scales=, scale_level=; CLI --scale, --level) need predefined units, not unit='{unit}'.",
                field="unit",
                hint="Use unit='sentence', 'paragraph', 'turn' or 'document'; for spans see cuα (unit='span').",
            )
        )
    if unit == "character":
        return _character_agreement(data, annotators, by, documents, scope)
    if unit == "match":
        return _match_agreement(data, annotators, by, match_threshold, documents, scope)
    if unit == "span":
        return span_agreement(data, annotators, by, documents, scope, bootstrap, seed)
    coders = _select_annotators(data, annotators)
    frame = _frame(data, coders, documents, scope)
    units = _units(data, frame, unit, None if include_interviewer else INTERVIEWER_SPEAKERS)
    if len(units.gstart) == 0:
        raise _no_units_error(data, frame, unit)
    items = _items(data, frame, by)
    code_p = _code_presence(frame, units, min_overlap)
    res = _presence_statistics(_item_presence(code_p, items), bootstrap, seed, cap_draws, bootstrap_method)
    outside_code = _outside_units(frame, units)
    outside = np.zeros(len(items.ids), dtype=np.int64)
    rows, item = _expand_to_items(frame.code, items.code_items)
    if len(rows):
        # a theme row counts each coding of its codes that touches no unit
        np.add.at(outside, item, (~_touching(frame, units))[rows].astype(np.int64))
    notes = []
    for r, k in zip(res["reason"], outside):
        extra = f"{k} coding(s) touch no {unit} and are not counted" if k else ""
        notes.append("; ".join(x for x in (r, extra) if x))
    df = pd.DataFrame(
        {
            "level": items.level,
            "id": items.ids,
            "label": items.labels,
            "unit": unit,
            "n_units": len(units.gstart),
            "n_coders": len(coders),
            "n_coded_units": res["n_coded_units"].astype(int),
            "percent_agreement": res["percent_agreement"],
            "kappa": res["kappa"],
            "kappa_kind": res["kappa_kind"],
            "alpha": res["alpha"],
            "alpha_low": res["alpha_low"],
            "alpha_high": res["alpha_high"],
            "codings_outside_units": outside,
            "note": notes,
        },
        columns=RESULT_COLUMNS,
    )
    wanted = scales is not None or scale_level is not None
    scale_list = scales_of(data.codebook, scales, scale_level) if wanted or by != "code" else []
    if wanted and not scale_list:
        raise QualcodeError(
            Problem(
                "No theme is a scale: codebook.yaml has no theme with 'scale:', and none was named.",
                field="scales",
                hint="Name the themes (scales=[...]; CLI --scale a,b) or give a theme 'scale:' and 'order:' "
                "(docs/codebook-format.md, 'Scales').",
            )
        )
    if scale_list:
        extra = scale_rows(code_p, frame.code_ids, scale_list, unit, len(coders), bootstrap, seed, bootstrap_method)
        df = pd.concat([df, extra[RESULT_COLUMNS]], ignore_index=True)
        df.attrs["scales"] = describe_scales(scale_list, unit)
    presence_rule = (
        "a code is present in a unit when one of the coder's codings of it overlaps the unit by at least one character"
        if min_overlap == 0
        else f"a code is present in a unit when the coder's codings of it cover at least "
        f"{min_overlap:.0%} of the unit's characters"
    )
    kappa = "Cohen's kappa" if len(coders) == 2 else "Fleiss' kappa (Gwet 2014 generalisation)"
    boot = (
        f"; {ag.bootstrap_method_text(bootstrap_method, bootstrap)}"
        + (
            f", seed {seed}{', 25·q cap on pairs drawn' if cap_draws else ', all pairs drawn'}"
            if bootstrap_method == "kalpha"
            else f", seed {seed}"
        )
        if bootstrap
        else "; no interval (bootstrap 0)"
    )
    n_outside = int(outside_code.sum())
    df.attrs.update(
        {
            "unit": unit,
            "uncoded": UNCODED_UNITS.format(unit=unit),
            "n_units": int(len(units.gstart)),
            "n_documents": len(frame.documents),
            "annotators": list(coders),
            "documents": list(frame.documents),
            "documents_skipped": dict(frame.skipped),
            "scope": frame.scope_text(),
            "interviewer": (
                "interviewer turns included as units"
                if include_interviewer
                else "interviewer turns (speaker Interviewer, Q, I, Moderator, …) left out of the units"
            ),
            "outside_units": (
                f"{n_outside} of {len(frame.start)} coding(s) touch no {unit} (a speaker label, the space between "
                f"{unit}s, a left-out interviewer turn) and are not counted; see codings_outside_units"
                if n_outside
                else f"every coding touches at least one {unit}"
            ),
            "n_outside_units": n_outside,
            "method": (
                f"presence/absence per {unit}: {presence_rule}; theme present when any of its codes is; "
                f"percent agreement = share of agreeing coder pairs per unit, averaged; {kappa}; "
                f"Krippendorff's alpha (nominal, binary){boot}"
            ),
            "bootstrap": int(bootstrap),
            "bootstrap_method": bootstrap_method,
            "seed": int(seed),
        }
    )
    return df


def _touching(frame: _Frame, units: _UnitTable) -> np.ndarray:
    """Per coding of the frame: does it overlap at least one unit?"""
    gs = frame.doc_offset[frame.doc] + frame.start
    ge = frame.doc_offset[frame.doc] + np.maximum(frame.end, frame.start)
    lo = np.searchsorted(units.run_end, gs, side="right")
    hi = np.searchsorted(units.gstart, ge, side="left")
    owner, unit = ranges(lo, hi)
    overlap = np.minimum(ge[owner], units.gend[unit]) - np.maximum(gs[owner], units.gstart[unit])
    touches = np.zeros(len(gs), dtype=bool)
    touches[owner[overlap > 0]] = True
    return touches


def describe(df: pd.DataFrame) -> str:
    """The report's settings from ``df.attrs`` as a few readable lines (for CLI/app/Excel)."""
    attrs = dict(getattr(df, "attrs", {}) or {})
    names = {
        "unit": "Unit",
        "n_units": "Units compared",
        "scope": "Documents",
        "annotators": "Coders",
        "uncoded": "Uncoded text",
        "interviewer": "Interviewer",
        "outside_units": "Codings outside units",
        "method": "Method",
        "exclusive": "Mutually exclusive codes (cuα)",
        "scales": "Scales",
        "match_threshold": "Match threshold",
    }
    lines = []
    for key, name in names.items():
        if key in attrs:
            value = attrs[key]
            if isinstance(value, (list, tuple)):
                value = ", ".join(map(str, value))
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- character unit
def _merged_items(frame: _Frame, items: _Items) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Disjoint coverage per (item, coder, document): (item, coder, doc, start, end)."""
    rows, item = _expand_to_items(frame.code, items.code_items)
    n_docs, n_c = max(len(frame.documents), 1), len(frame.coders)
    group = (item * n_c + frame.coder[rows]) * n_docs + frame.doc[rows]
    g, s, e = _merge(group, frame.start[rows], frame.end[rows])
    return g // (n_c * n_docs), (g // n_docs) % n_c, g % n_docs, s, e


def _character_agreement(
    data: AnalysisData,
    annotators: Sequence[str] | None,
    by: str,
    documents: Sequence[str] | None = None,
    scope: str = "common",
) -> pd.DataFrame:
    coders = _select_annotators(data, annotators, exactly=2)
    frame = _frame(data, coders, documents, scope)
    items = _items(data, frame, by)
    item, coder, doc, s, e = _merged_items(frame, items)
    n_items, n_docs = len(items.ids), len(frame.documents)
    cell = item * max(n_docs, 1) + doc
    length = e - s
    cov = np.zeros((2, n_items * n_docs))
    np.add.at(cov, (coder, cell), length)
    # intersection of the two coders' disjoint coverage, per (item, document)
    span = int(frame.doc_length.max()) + 2 if n_docs else 1
    first, second = coder == 0, coder == 1
    a_s, a_e = cell[first] * span + s[first], cell[first] * span + e[first]
    b_s, b_e = cell[second] * span + s[second], cell[second] * span + e[second]
    lo = np.searchsorted(b_e, a_s, side="right")
    hi = np.searchsorted(b_s, a_e, side="left")
    owner, partner = ranges(lo, hi)
    inter = np.clip(np.minimum(a_e[owner], b_e[partner]) - np.maximum(a_s[owner], b_s[partner]), 0, None)
    both = np.bincount(cell[first][owner], weights=inter, minlength=n_items * n_docs)
    doc_len = np.tile(frame.doc_length.astype(float), n_items)
    only_a, only_b = cov[0] - both, cov[1] - both
    neither = doc_len - both - only_a - only_b
    pa = (both + neither) / np.where(doc_len > 0, doc_len, np.nan)
    kappa = ag.cohen_from_counts(both, only_a, only_b, neither)

    rows = []
    shape = (n_items, n_docs)
    both2, a2, b2, n2 = (x.reshape(shape) for x in (both, only_a, only_b, neither))
    pa2, k2, len2 = pa.reshape(shape), kappa.reshape(shape), doc_len.reshape(shape)
    H = np.zeros((n_items, 3, 3))
    H[:, 2, 2], H[:, 2, 1], H[:, 2, 0] = both2.sum(1), a2.sum(1) + b2.sum(1), n2.sum(1)
    pooled_alpha = ag.alpha_from_binary_stats(ag.binary_stats(H))
    pooled_reasons = ag.binary_reasons_many(ag.binary_stats(H))
    for i in range(n_items):
        base = {
            "level": items.level[i],
            "id": items.ids[i],
            "label": items.labels[i],
            "unit": "character",
            "n_coders": 2,
            "kappa_kind": "cohen",
            "alpha_low": np.nan,
            "alpha_high": np.nan,
        }
        coded = np.flatnonzero((a2[i] + b2[i] + both2[i]) > 0)
        for d in coded:
            note = (
                ""
                if np.isfinite(k2[i, d])
                else ("kappa undefined: the code covers this whole document for both coders (no variation)")
            )
            rows.append(
                {
                    **base,
                    "document": frame.documents[d],
                    "n_units": int(len2[i, d]),
                    "n_coded_units": int(both2[i, d] + a2[i, d] + b2[i, d]),
                    "percent_agreement": pa2[i, d],
                    "kappa": k2[i, d],
                    "alpha": np.nan,
                    "chars_both": int(both2[i, d]),
                    "chars_first_only": int(a2[i, d]),
                    "chars_second_only": int(b2[i, d]),
                    "note": note,
                }
            )
        weights = len2[i]
        defined = np.isfinite(k2[i])
        mean_pa = float((pa2[i] * weights).sum() / weights.sum()) if weights.sum() > 0 else np.nan
        mean_k = float((k2[i][defined] * weights[defined]).sum() / weights[defined].sum()) if defined.any() else np.nan
        note = (
            f"size-weighted over {n_docs} documents; kappa averaged over the {int(defined.sum())} documents "
            f"where it is defined (NVivo counts documents neither coder coded as complete agreement); "
            f"alpha pooled over all characters"
        )
        if pooled_reasons[i]:
            note = f"{pooled_reasons[i]}; {note}"
        rows.append(
            {
                **base,
                "document": "(all documents, size-weighted)",
                "n_units": int(weights.sum()),
                "n_coded_units": int(both2[i].sum() + a2[i].sum() + b2[i].sum()),
                "percent_agreement": mean_pa,
                "kappa": mean_k,
                "alpha": pooled_alpha[i],
                "chars_both": int(both2[i].sum()),
                "chars_first_only": int(a2[i].sum()),
                "chars_second_only": int(b2[i].sum()),
                "note": note,
            }
        )
    shown = [c for c in RESULT_COLUMNS if c != "codings_outside_units"]
    cols = shown[:3] + ["document"] + shown[3:] + ["chars_both", "chars_first_only", "chars_second_only"]
    df = pd.DataFrame(rows, columns=cols)
    df.attrs.update(
        {
            "unit": "character",
            "uncoded": UNCODED_CHARACTERS,
            "n_units": int(frame.doc_length.sum()),
            "n_documents": n_docs,
            "annotators": list(coders),
            "documents": list(frame.documents),
            "documents_skipped": dict(frame.skipped),
            "scope": frame.scope_text(),
            "method": (
                "NVivo-style coding comparison: per code and document, percent agreement = (characters both "
                "coded + characters neither coded) / document length and Cohen's kappa on characters; "
                "summary rows average them weighted by document length; alpha = Krippendorff's binary "
                "alpha pooled over all characters (no bootstrap: characters are not independent units); "
                f"'first' = {coders[0]}, 'second' = {coders[1]}"
            ),
        }
    )
    return df


# --------------------------------------------------------------------------- match unit
def _match_agreement(
    data: AnalysisData,
    annotators: Sequence[str] | None,
    by: str,
    threshold: float,
    documents: Sequence[str] | None = None,
    scope: str = "common",
) -> pd.DataFrame:
    coders = _select_annotators(data, annotators, exactly=2)
    frame = _frame(data, coders, documents, scope)
    items = _items(data, frame, by)
    rows_idx, item = _expand_to_items(frame.code, items.code_items)
    coder, doc = frame.coder[rows_idx], frame.doc[rows_idx]
    start, end = frame.start[rows_idx], frame.end[rows_idx]
    keep = end > start
    item, coder, doc, start, end = item[keep], coder[keep], doc[keep], start[keep], end[keep]
    # candidate pairs: same (item, document) cell, second coder's segment starting before the first's
    # end and (running-max) ending after its start; no all-pairs merge
    cell = item * max(len(frame.documents), 1) + doc
    span = int(end.max()) + 2 if len(end) else 1
    first, second = np.flatnonzero(coder == 0), np.flatnonzero(coder == 1)
    b_order = second[np.argsort(cell[second] * span + start[second], kind="stable")]
    b_s = cell[b_order] * span + start[b_order]
    b_e = cell[b_order] * span + end[b_order]
    b_run = np.maximum.accumulate(b_e) if len(b_e) else b_e
    a_s, a_e = cell[first] * span + start[first], cell[first] * span + end[first]
    owner, partner = ranges(np.searchsorted(b_run, a_s, side="right"), np.searchsorted(b_s, a_e, side="left"))
    inter = np.clip(np.minimum(a_e[owner], b_e[partner]) - np.maximum(a_s[owner], b_s[partner]), 0, None)
    union = (a_e[owner] - a_s[owner]) + (b_e[partner] - b_s[partner]) - inter
    ok = (inter > 0) & (inter >= (threshold - 1e-12) * union)
    matched = np.zeros(len(item), dtype=bool)
    matched[first[owner[ok]]] = True
    matched[b_order[partner[ok]]] = True
    seg = pd.DataFrame({"item": item, "coder": coder, "matched": matched})
    first = seg.loc[seg["coder"] == 0]
    second = seg.loc[seg["coder"] == 1]
    n_items = len(items.ids)
    agree = np.bincount(seg.loc[seg["matched"], "item"], minlength=n_items).astype(float)
    only_a = np.bincount(first.loc[~first["matched"], "item"], minlength=n_items).astype(float)
    only_b = np.bincount(second.loc[~second["matched"], "item"], minlength=n_items).astype(float)
    # MAXQDA sets chance agreement to 1/number of codes compared (Brennan & Prediger 1981)
    q = sum(1 for lvl in items.level if lvl == "code") or n_items
    total = agree + only_a + only_b
    with np.errstate(divide="ignore", invalid="ignore"):
        pa = np.where(total > 0, agree / total, np.nan)
        kappa = (pa - 1.0 / q) / (1.0 - 1.0 / q) if q >= 2 else np.full(n_items, np.nan)
    notes = ["" if t > 0 else "neither coder coded a segment with this code" for t in total]
    if q < 2:
        notes = [f"{n}; " if n else "" for n in notes]
        notes = [n + "Brennan-Prediger kappa needs at least two codes (chance = 1/number of codes)" for n in notes]
    df = pd.DataFrame(
        {
            "level": items.level,
            "id": items.ids,
            "label": items.labels,
            "unit": "match",
            "n_units": total.astype(int),
            "n_coders": 2,
            "n_coded_units": total.astype(int),
            "percent_agreement": pa,
            "kappa": kappa,
            "kappa_kind": "brennan_prediger",
            "alpha": np.nan,
            "alpha_low": np.nan,
            "alpha_high": np.nan,
            "note": notes,
            "segments_matched": agree.astype(int),
            "segments_first_only": only_a.astype(int),
            "segments_second_only": only_b.astype(int),
        }
    )
    t_agree, t_a, t_b = (
        agree[np.array(items.level) == "code"].sum(),
        only_a[np.array(items.level) == "code"].sum(),
        only_b[np.array(items.level) == "code"].sum(),
    )
    t_total = t_agree + t_a + t_b
    t_pa = t_agree / t_total if t_total else np.nan
    overall = {
        "level": "all",
        "id": "*",
        "label": "All codes",
        "unit": "match",
        "n_units": int(t_total),
        "n_coders": 2,
        "n_coded_units": int(t_total),
        "percent_agreement": t_pa,
        "kappa": (t_pa - 1.0 / q) / (1.0 - 1.0 / q) if q >= 2 and t_total else np.nan,
        "kappa_kind": "brennan_prediger",
        "alpha": np.nan,
        "alpha_low": np.nan,
        "alpha_high": np.nan,
        "note": "codes pooled" if t_total else "no coded segments",
        "segments_matched": int(t_agree),
        "segments_first_only": int(t_a),
        "segments_second_only": int(t_b),
    }
    df = pd.concat([df, pd.DataFrame([overall])], ignore_index=True)
    df.attrs.update(
        {
            "unit": "match",
            "uncoded": UNCODED_MATCH,
            "n_units": int(t_total),
            "n_documents": len(frame.documents),
            "annotators": list(coders),
            "documents": list(frame.documents),
            "documents_skipped": dict(frame.skipped),
            "scope": frame.scope_text(),
            "match_threshold": threshold,
            "method": (
                f"MAXQDA-style segment matching: a segment is matched when the other coder coded the same "
                f"code (theme rows: any code of the theme) on a segment whose overlap share (intersection / "
                f"union) is at least {threshold:.0%}; percent agreement = matched / all segments; "
                f"Brennan & Prediger kappa with chance = 1/{q} (number of codes compared); "
                f"'first' = {coders[0]}, 'second' = {coders[1]}"
            ),
        }
    )
    return df


# --------------------------------------------------------------------------- one code's table
def code_table(
    data: AnalysisData,
    code: str,
    annotators: Sequence[str] | None = None,
    unit: str = "sentence",
    documents: Sequence[str] | None = None,
    scope: str = "common",
    include_interviewer: bool = False,
    other: str | None = None,
) -> pd.DataFrame:
    """One code's agreement table over the units: for two coders the confusion matrix (rows the
    first coder, columns the second: units marked present/absent), for more Krippendorff's
    coincidence matrix (pairable values; its off-diagonal cells are the disagreements alpha
    counts).  With ``other`` (a second code) each coder's value in a unit is "neither", "A
    only", "B only" or "both", so the table shows where one coder's A meets another's B (two
    codes confused).  Units and scope as in :func:`intercoder_agreement`."""
    _check_choice(unit, UNIT_KINDS, "unit")
    coders = _select_annotators(data, annotators)
    frame = _frame(data, coders, documents, scope)
    cids = []
    for name in [code] + ([other] if other is not None and other != code else []):
        cid = data.codebook.resolve(name) or (name if name in frame.code_ids else None)
        if cid is None or cid not in frame.code_ids:
            raise QualcodeError(
                Problem(f"Unknown code '{name}'.", field="code", hint=did_you_mean(name, frame.code_ids))
            )
        cids.append(cid)
    units = _units(data, frame, unit, None if include_interviewer else INTERVIEWER_SPEAKERS)
    if len(units.gstart) == 0:
        raise _no_units_error(data, frame, unit)
    p = _code_presence(frame, units, 0.0)
    value = np.zeros((len(coders), len(units.gstart)), dtype=np.int64)
    for bit, cid in enumerate(cids):
        mine = p.item == frame.code_ids.index(cid)
        value[p.coder[mine], p.unit[mine]] += 1 << bit
    if len(cids) == 1:
        labels = ["absent", "present"]
    else:
        names = [data.codebook.codes[c].label if c in data.codebook.codes else c for c in cids]
        labels = ["neither", f"{names[0]} only", f"{names[1]} only", "both"]
    k = len(labels)
    if len(coders) == 2:
        table = np.bincount(value[0] * k + value[1], minlength=k * k).reshape(k, k)
        df = pd.DataFrame(
            table, index=[f"{coders[0]}: {x}" for x in labels], columns=[f"{coders[1]}: {x}" for x in labels]
        )
        kind = f"confusion matrix: {unit}s by what {coders[0]} (rows) and {coders[1]} (columns) marked"
    else:
        o, used = ag.coincidence_matrix(value.astype(float))
        full = np.zeros((k, k))
        at = np.array([int(u) for u in used], dtype=np.int64)
        full[np.ix_(at, at)] = o
        df = pd.DataFrame(full, index=labels, columns=labels)
        kind = f"Krippendorff's coincidence matrix of pairable values over the {unit}s"
    df.attrs.update(
        {
            "unit": unit,
            "code": cids[0],
            "codes": cids,
            "kind": kind,
            "annotators": list(coders),
            "scope": frame.scope_text(),
        }
    )
    return df


# --------------------------------------------------------------------------- span unit (unitized alpha)
def span_agreement(
    data: AnalysisData,
    annotators: Sequence[str] | None = None,
    by: str = "theme",
    documents: Sequence[str] | None = None,
    scope: str = "common",
    bootstrap: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Krippendorff's unitizing alpha family on the coded spans (:mod:`qualcode.unitized`).

    Each document is a continuum of characters; documents are concatenated.  ``by="theme"``
    (or "both"): one row per theme, its own codes forming one semantic domain of mutually
    exclusive values — ``alpha`` is uα, ``binary_alpha`` |uα (agreement on what is coded at
    all), ``cu_alpha`` cuα (agreement on the codes where the spans coincide); the row "All
    themes" gives Cuα over the themes.  ``by="code"`` (or "both"): one row per code, the
    code against uncoded text (|uα = uα).  ``codes_exclusive`` lists the codes treated as
    mutually exclusive; ``conflicts`` counts places where one coder applied two codes of
    one theme to the same characters (resolved as :mod:`qualcode.unitized` says, and
    warned about in ``note``).  The interval resamples documents (bootstrap).
    """
    from . import unitized as un

    _check_choice(by, BY, "by")
    coders = _select_annotators(data, annotators)
    frame = _frame(data, coders, documents, scope)
    cb = data.codebook
    domains: list[tuple[str, str, str, list[str]]] = []  # (level, id, label, codes)
    if by in ("theme", "both"):
        for t in _theme_order(data):
            codes = [c for c in frame.code_ids if c in cb.codes and cb.codes[c].theme == t]
            if codes:
                domains.append(("theme", t, cb.themes[t].label if t in cb.themes else t, codes))
    if by in ("code", "both"):
        for c in frame.code_ids:
            domains.append(("code", c, cb.codes[c].label if c in cb.codes else c, [c]))
    code_pos = {c: i for i, c in enumerate(frame.code_ids)}
    rows = []
    theme_results = []
    for level, ident, label, codes in domains:
        wanted = np.isin(frame.code, [code_pos[c] for c in codes])
        per_doc = []
        for d in range(len(frame.documents)):
            sel = wanted & (frame.doc == d)
            spans = [
                (coders[int(k)], int(a), int(b), frame.code_ids[int(v)])
                for k, a, b, v in zip(frame.coder[sel], frame.start[sel], frame.end[sel], frame.code[sel])
                if b > a
            ]
            per_doc.append(un.unitized_parts(spans, 0, int(max(frame.doc_length[d], 1)), coders=coders, values=codes))
        total = per_doc[0]
        for part in per_doc[1:]:
            total = total + part
        res = un.alpha_from_parts(total)
        interval = un.unitized_bootstrap(per_doc, n_boot=bootstrap, seed=seed) if bootstrap else {}
        low, high = interval.get("alpha", (np.nan, np.nan))
        if level == "theme":
            theme_results.append(res)
        note = res.reason or ""
        if res.conflicts:
            where = "; ".join(f"{c.coder} {c.start}-{c.end}: {c.kept} and {c.dropped}" for c in res.conflicts[:3]) + (
                "; …" if len(res.conflicts) > 3 else ""
            )
            note = "; ".join(
                x
                for x in (
                    note,
                    f"warning: {len(res.conflicts)} place(s) where one coder applied two codes of this theme to "
                    f"the same text ({where}); cuα treats the codes as mutually exclusive",
                )
                if x
            )
        if len(frame.documents) < 2 and bootstrap:
            note = "; ".join(x for x in (note, "no interval: it resamples documents and there is one") if x)
        coded = float(total.ell[1:, :].sum())
        rows.append(
            {
                "level": level,
                "id": ident,
                "label": label,
                "unit": "span",
                "n_units": int(total.length),
                "n_coders": len(coders),
                "n_coded_units": int(round(coded * (len(coders) - 1) / max(len(coders), 1))),
                "percent_agreement": np.nan,
                "kappa": np.nan,
                "kappa_kind": "",
                "alpha": res.alpha,
                "alpha_low": low,
                "alpha_high": high,
                "binary_alpha": res.binary,
                "cu_alpha": res.cu if level == "theme" else np.nan,
                "codes_exclusive": ", ".join(codes) if level == "theme" else "",
                "conflicts": len(res.conflicts),
                "note": note,
            }
        )
    if theme_results:
        rows.append(
            {
                "level": "all",
                "id": "*",
                "label": "All themes (Cuα)",
                "unit": "span",
                "n_units": int(frame.doc_length.sum()),
                "n_coders": len(coders),
                "n_coded_units": 0,
                "percent_agreement": np.nan,
                "kappa": np.nan,
                "kappa_kind": "",
                "alpha": np.nan,
                "alpha_low": np.nan,
                "alpha_high": np.nan,
                "binary_alpha": np.nan,
                "cu_alpha": un.cu_over_domains(theme_results),
                "codes_exclusive": "",
                "conflicts": sum(len(r.conflicts) for r in theme_results),
                "note": "Cuα: coding given unitizing pooled over the themes (1 − ΣD_o/ΣD_e of their cuα)",
            }
        )
    df = pd.DataFrame(rows)
    exclusive = "; ".join(f"{r['label']}: {r['codes_exclusive']}" for r in rows if r["codes_exclusive"])
    df.attrs.update(
        {
            "unit": "span",
            "uncoded": "uncoded text is the gap value ∅: agreeing to leave text uncoded is agreement",
            "n_units": int(frame.doc_length.sum()),
            "n_documents": len(frame.documents),
            "annotators": list(coders),
            "documents": list(frame.documents),
            "documents_skipped": dict(frame.skipped),
            "scope": frame.scope_text(),
            "method": un.describe_unitized(frame.code_ids)
            + (
                f"; 95% interval from {bootstrap} bootstrap samples of the documents (percentile, seed {seed})"
                if bootstrap
                else "; no interval (bootstrap 0)"
            ),
            "exclusive": exclusive or "no theme has codes",
            "bootstrap": int(bootstrap),
            "seed": int(seed),
        }
    )
    return df


# --------------------------------------------------------------------------- disagreements
def disagreements(
    data: AnalysisData,
    annotators: Sequence[str] | None = None,
    unit: str = "sentence",
    codes: Iterable[str] | None = None,
    documents: Sequence[str] | None = None,
    scope: str = "common",
    include_interviewer: bool = False,
) -> pd.DataFrame:
    """Every (unit, code) where the coders differ, ready for adjudication.

    Columns: document, participant, unit_start, unit_end, text, code, code_label,
    coders_with, coders_without (comma lists), then ``codes_<annotator>`` — each
    coder's codes in that unit — and an empty ``accept`` column to fill in and pass
    to :func:`adjudicate`.  Presence, ``documents``, ``scope`` and the interviewer's
    turns follow :func:`intercoder_agreement`.
    """
    if unit in ("character", "match"):
        raise QualcodeError(
            Problem(
                f"Disagreements are listed per sentence, paragraph or turn, not per {unit}.",
                field="unit",
                hint="Use unit='sentence' (or 'paragraph' / 'turn') for the disagreements table.",
            )
        )
    _check_choice(unit, UNIT_KINDS, "unit")
    coders = _select_annotators(data, annotators)
    frame = _frame(data, coders, documents, scope)
    units = _units(data, frame, unit, None if include_interviewer else INTERVIEWER_SPEAKERS)
    base_cols = (
        [
            "document",
            "participant",
            "unit_start",
            "unit_end",
            "text",
            "code",
            "code_label",
            "coders_with",
            "coders_without",
        ]
        + [f"codes_{a}" for a in coders]
        + ["accept"]
    )
    if len(units.gstart) == 0:
        raise _no_units_error(data, frame, unit)
    p = _code_presence(frame, units, 0.0)
    wanted = None
    if codes is not None:
        wanted = []
        for name in codes:
            cid = data.codebook.resolve(name) or (name if name in frame.code_ids else None)
            if cid is None:
                raise QualcodeError(
                    Problem(f"Unknown code '{name}'.", field="codes", hint=did_you_mean(name, frame.code_ids))
                )
            wanted.append(frame.code_ids.index(cid))
    n_c, n_u = len(coders), len(units.gstart)
    key = p.item * n_u + p.unit
    keys, k = _unique(key, return_counts=True)
    differ = keys[k < n_c]
    if wanted is not None:
        differ = differ[np.isin(differ // n_u, wanted)]
    attrs = {
        "unit": unit,
        "annotators": list(coders),
        "uncoded": UNCODED_UNITS.format(unit=unit),
        "documents": list(frame.documents),
        "documents_skipped": dict(frame.skipped),
        "scope": frame.scope_text(),
    }
    if len(differ) == 0:
        empty = pd.DataFrame(columns=base_cols)
        empty.attrs.update(attrs)
        return empty
    # who has each differing (code, unit): a bit pattern per row, rendered once per pattern
    pos = np.searchsorted(differ, key)
    hit = (pos < len(differ)) & (differ[np.minimum(pos, len(differ) - 1)] == key)
    pattern = np.zeros(len(differ), dtype=np.int64)
    np.add.at(pattern, pos[hit], 1 << p.coder[hit])
    code_of, unit_of = differ // n_u, differ % n_u
    order = np.lexsort((code_of, unit_of))  # document (table order), position, codebook order
    pattern, code_of, unit_of = pattern[order], code_of[order], unit_of[order]
    patterns = np.unique(pattern)
    with_text = {int(b): ", ".join(a for j, a in enumerate(coders) if b >> j & 1) for b in patterns}
    without_text = {int(b): ", ".join(a for j, a in enumerate(coders) if not b >> j & 1) for b in patterns}
    code_arr = np.array(frame.code_ids, dtype=object)
    labels = np.array(
        [data.codebook.codes[c].label if c in data.codebook.codes else c for c in frame.code_ids], dtype=object
    )
    doc_names = np.array(frame.documents, dtype=object)
    doc_part = dict(zip(data.documents["document"].astype(str), data.documents["participant"]))
    docs_of = doc_names[units.doc[unit_of]]
    starts, ends = units.start[unit_of], units.end[unit_of]
    units_needed = np.unique(unit_of)
    text_of = {
        int(u): data.texts.get(frame.documents[int(units.doc[u])], "")[int(units.start[u]) : int(units.end[u])]
        for u in units_needed
    }
    df = pd.DataFrame(
        {
            "document": docs_of,
            "participant": [doc_part.get(d) for d in docs_of],
            "unit_start": starts,
            "unit_end": ends,
            "text": [text_of[int(u)] for u in unit_of],
            "code": code_arr[code_of],
            "code_label": labels[code_of],
            "coders_with": [with_text[int(b)] for b in pattern],
            "coders_without": [without_text[int(b)] for b in pattern],
        }
    )
    # each coder's codes in each listed unit (codebook order): sort once, join per group
    in_rows = np.isin(p.unit, units_needed)
    lu, lc, lcode = p.unit[in_rows], p.coder[in_rows], p.item[in_rows]
    order = np.lexsort((lcode, lc, lu))
    lu, lc, names = lu[order], lc[order], code_arr[lcode[order]].tolist()
    starts_g, ends_g = runs(lu * n_c + lc)
    lists = np.full((len(units_needed), n_c), "", dtype=object)
    if len(lu):
        rows_g = np.searchsorted(units_needed, lu[starts_g])
        for r, c_i, a, b in zip(rows_g.tolist(), lc[starts_g].tolist(), starts_g.tolist(), ends_g.tolist()):
            lists[r, c_i] = ", ".join(names[a:b])
    where = np.searchsorted(units_needed, unit_of)
    for ci, a in enumerate(coders):
        df[f"codes_{a}"] = lists[where, ci]
    df["accept"] = None
    df = df[base_cols]
    df.attrs.update(attrs)
    return df


def adjudicate(
    data: AnalysisData,
    decisions: pd.DataFrame | Iterable[Mapping[str, Any]],
    annotators: Sequence[str] | None = None,
    unit: str = "sentence",
    include_agreed: bool = True,
    documents: Sequence[str] | None = None,
    scope: str = "common",
    include_interviewer: bool = False,
) -> list[Coding]:
    """Consensus codings from adjudication decisions.

    ``decisions``: rows with ``document, unit_start, unit_end, code, accept`` (e.g.
    the :func:`disagreements` table with ``accept`` filled in).  Each accepted row
    becomes a :class:`~qualcode.model.Coding` over the unit with annotator
    "consensus" and origin "adjudicated".  With ``include_agreed`` the units where
    every chosen coder applied a code are added too, so that the consensus is a
    complete coding (then report with ``annotators=["consensus"]``).  Rows whose
    ``accept`` is empty are undecided and skipped; rejected rows add nothing.
    """
    table = decisions if isinstance(decisions, pd.DataFrame) else pd.DataFrame(list(decisions))
    needed = ["document", "unit_start", "unit_end", "code", "accept"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise QualcodeError(
            Problem(
                f"Decisions lack column(s) {', '.join(missing)}.",
                field="decisions",
                hint=f"Give {', '.join(needed)} (the disagreements() table has them).",
            )
        )
    lengths = dict(zip(data.documents["document"].astype(str), data.documents["length"]))
    problems: list[Problem] = []
    out: dict[tuple[str, int, int, str], Coding] = {}
    for i, row in enumerate(table.to_dict("records"), start=1):
        accept = row["accept"]
        if accept is None or (isinstance(accept, float) and math.isnan(accept)) or accept == "":
            continue
        accept_bool = _as_bool(accept)
        if accept_bool is None:
            problems.append(
                Problem(f"accept must be yes/no (true/false, 1/0), got {accept!r}.", row=i + 1, field="accept")
            )
            continue
        doc, cid = str(row["document"]), data.codebook.resolve(str(row["code"]))
        if doc not in lengths:
            problems.append(
                Problem(
                    f"Unknown document '{doc}'.", row=i + 1, field="document", hint=did_you_mean(doc, list(lengths))
                )
            )
            continue
        if cid is None:
            problems.append(
                Problem(
                    f"Unknown code '{row['code']}'.",
                    row=i + 1,
                    field="code",
                    hint=did_you_mean(str(row["code"]), list(data.codebook.codes)),
                )
            )
            continue
        s, e = int(row["unit_start"]), int(row["unit_end"])
        if not 0 <= s < e <= int(lengths[doc]):
            problems.append(
                Problem(
                    f"Offsets {s}-{e} are outside document '{doc}' (length {lengths[doc]}).",
                    row=i + 1,
                    field="unit_start",
                )
            )
            continue
        if accept_bool:
            out[(doc, s, e, cid)] = _consensus(data, doc, s, e, cid)
        else:
            out.pop((doc, s, e, cid), None)
    if problems:
        raise QualcodeError(problems)
    if include_agreed:
        coders = _select_annotators(data, annotators)
        frame = _frame(data, coders, documents, scope)
        units = _units(data, frame, unit, None if include_interviewer else INTERVIEWER_SPEAKERS)
        p = _code_presence(frame, units, 0.0)
        n_u = max(len(units.gstart), 1)
        keys, k = _unique(p.item * n_u + p.unit, return_counts=True)
        for key in keys[k == len(coders)]:
            u, cid = int(key % n_u), frame.code_ids[int(key // n_u)]
            doc, s, e = frame.documents[int(units.doc[u])], int(units.start[u]), int(units.end[u])
            out.setdefault((doc, s, e, cid), _consensus(data, doc, s, e, cid))
    return sorted(out.values(), key=lambda c: (c.document, c.start, c.end, c.code))


def _consensus(data: AnalysisData, doc: str, start: int, end: int, code: str) -> Coding:
    return Coding(
        document=doc,
        start=start,
        end=end,
        code=code,
        annotator=CONSENSUS,
        origin="adjudicated",
        quote=data.texts.get(doc, "")[start:end] if data.texts else None,
    )


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().casefold()
    if text in {"yes", "y", "true", "t", "1", "accept", "x", "да"}:
        return True
    if text in {"no", "n", "false", "f", "0", "reject", "нет"}:
        return False
    return None


__all__ = [
    "intercoder_agreement",
    "span_agreement",
    "code_table",
    "describe",
    "disagreements",
    "adjudicate",
    "UNITS",
    "UNIT_KINDS",
    "SCOPES",
    "INTERVIEWER_SPEAKERS",
    "RESULT_COLUMNS",
    "CONSENSUS",
]
