"""Retrieval of coded segments: the excerpts of a code or theme, and how much each node holds.

Pure functions of an :class:`~qualcode.frames.AnalysisData` (no I/O): the Code browser, the
Codebook page, ``qualcode export excerpts`` and the .docx/.md export read these.

``excerpts`` lists codings (one row per coding: annotator, memo), like NVivo's "coding
references" or ATLAS.ti's quotations; the counts of :func:`node_counts` follow the reports'
definitions (:mod:`qualcode.reports`: an excerpt is a distinct coded span, codings are pooled
as every count report pools them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .errors import Problem, QualcodeError, did_you_mean
from .frames import AnalysisData
from .model import Code, Codebook, Theme

PATH_SEP = " › "

EXCERPT_COLUMNS = [
    "participant_label",
    "code_path",
    "quote",
    "annotator",
    "memo",
    "participant",
    "document",
    "code",
    "start",
    "end",
    "coding_id",
]


def node_kind(codebook: Codebook, node: str) -> str:
    """'code', 'theme' or 'cross_cutting' (an unknown id is a located error)."""
    if node in codebook.codes:
        return "code"
    if node in codebook.themes:
        return "theme"
    if node in codebook.cross_cutting:
        return "cross_cutting"
    known = list(codebook.codes) + list(codebook.themes) + list(codebook.cross_cutting)
    raise QualcodeError(
        Problem(
            f"'{node}' is not a code, theme or cross-cutting theme of the codebook.",
            field="code",
            hint=did_you_mean(node, known) or "List them with: qualcode codebook check (or see the Codebook page).",
        )
    )


def resolve_node(codebook: Codebook, name: str) -> str:
    """A node id for an id, a code label or alias, or a theme label (case-insensitive)."""
    if name in codebook.codes or name in codebook.themes or name in codebook.cross_cutting:
        return name
    code = codebook.resolve(name)
    if code is not None:
        return code
    key = name.strip().casefold()
    for theme in codebook.themes.values():
        if theme.label.casefold() == key or any(a.casefold() == key for a in theme.aliases):
            return theme.id
    for cross in codebook.cross_cutting.values():
        if cross.label.casefold() == key:
            return cross.id
    node_kind(codebook, name)  # raises the located error
    return name  # pragma: no cover


def node_label(codebook: Codebook, node: str) -> str:
    """The label of a code, theme or cross-cutting theme (the id for an unknown node)."""
    for table in (codebook.codes, codebook.themes, codebook.cross_cutting):
        if node in table:
            return table[node].label
    return node


def node_path(codebook: Codebook, node: str, sep: str = PATH_SEP) -> str:
    """'Theme › Sub-theme › Code' for a code or theme; a cross-cutting theme's label."""
    if node in codebook.codes:
        return codebook.code_path_labels(node, sep=sep)
    if node in codebook.themes:
        return sep.join(codebook.themes[t].label for t in codebook.theme_path(node))
    return node_label(codebook, node)


def members(codebook: Codebook, node: str | None) -> list[str] | None:
    """The code ids a node stands for (itself, every code under a theme, a cross-cutting set)."""
    if node is None:
        return None
    if node in codebook.codes:
        return [node]
    return codebook.codes_in(node)


def tree_nodes(codebook: Codebook) -> list[tuple[int, str, str]]:
    """(depth, kind, id) in tree order (themes with their codes), then cross-cutting themes."""
    rows: list[tuple[int, str, str]] = []
    for depth, node in codebook.iter_tree():
        rows.append((depth, "theme" if isinstance(node, Theme) else "code", node.id))
    rows += [(0, "cross_cutting", x) for x in codebook.cross_cutting]
    return rows


def _natural(value: object) -> tuple:
    from .reports import natural_key

    return natural_key(value)


def excerpts(
    data: AnalysisData,
    node: str | None = None,
    *,
    participants: Sequence[str] | None = None,
    annotators: Sequence[str] | None = None,
    attribute: str | None = None,
    values: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per coding of ``node`` (a code, a theme at any depth with every code under it, or a
    cross-cutting theme; None: every coding), filtered by participants, annotators and a
    participant attribute's values; participants in natural order, then document and position.

    Columns (:data:`EXCERPT_COLUMNS`): participant_label ("Expert (A)"), code_path ("Theme ›
    Sub-theme › Code"), quote (the full coded text), annotator, memo ("" when none), then the
    technical ones: participant, document, code, start, end (code points), coding_id.
    """
    codebook = data.codebook
    codings = data.codings
    wanted = members(codebook, node)
    if wanted is not None:
        codings = codings.loc[codings["code"].isin(wanted)]
    if participants:
        codings = codings.loc[codings["participant"].astype(str).isin(list(participants))]
    if annotators:
        codings = codings.loc[codings["annotator"].isin(list(annotators))]
    if attribute and values and attribute in data.participants.columns:
        frame = data.participants
        keep = frame.loc[frame[attribute].astype(str).isin(list(values)), "participant"].astype(str)
        codings = codings.loc[codings["participant"].astype(str).isin(set(keep))]
    labels = dict(zip(data.participants["participant"].astype(str), data.participants["label"].astype(str)))
    c = codings.reset_index(drop=True)
    code = c["code"].astype(str)
    pid = c["participant"].astype("string").fillna("")
    out = pd.DataFrame(
        {
            "participant_label": pid.map(labels).fillna(pid),
            "code_path": code.map(_paths(codebook, code.unique())),
            "quote": c["quote"].astype("string").fillna(""),
            "annotator": c["annotator"].astype("string"),
            "memo": c["memo"].astype("string").fillna(""),
            "participant": pid,
            "document": c["document"].astype("string"),
            "code": code,
            "start": c["start"].astype("int64"),
            "end": c["end"].astype("int64"),
            "coding_id": c["coding_id"].astype("int64"),
        },
        columns=EXCERPT_COLUMNS,
    )
    if out.empty:
        return out
    # Natural order of participants and documents, ranked once per distinct value (vectorised sort):
    # the same span's codings with one code stay together (one card in the Code browser).
    part_rank = _ranks(out["participant"])
    doc_rank = _ranks(out["document"])
    order = np.lexsort(
        (
            out["coding_id"].to_numpy(),
            out["code"].to_numpy(),
            out["end"].to_numpy(),
            out["start"].to_numpy(),
            doc_rank,
            part_rank,
        )
    )
    return out.iloc[order].reset_index(drop=True)


def _paths(codebook: Codebook, codes: Sequence[str]) -> dict[str, str]:
    return {c: node_path(codebook, c) if c in codebook.codes else f"{c} (not in the codebook)" for c in codes}


def _ranks(values: pd.Series) -> np.ndarray:
    """Each value's position in the natural order of the distinct values ("" — unknown — last)."""
    distinct = sorted(values.unique(), key=lambda v: (v == "", _natural(v)))
    rank = {v: i for i, v in enumerate(distinct)}
    return values.map(rank).to_numpy(dtype=np.int64)


def node_counts(data: AnalysisData) -> pd.DataFrame:
    """Per code, theme and cross-cutting theme (index: node id): kind, codings, excerpts and
    participants, counted as the Reports page counts them (:func:`qualcode.reports.theme_table`,
    :func:`qualcode.reports.code_frequencies`, pooled the same way); ``attrs["pooled"]`` says
    whose codings were counted."""
    from . import reports

    pooled, pooling = reports.pool(data)  # once: both tables count exactly these codings
    names = list(pooling.annotators)
    codes = reports.code_frequencies(pooled, names)
    themes = reports.theme_table(pooled, names)
    rows = [
        pd.DataFrame(
            {
                "node": codes["code"],
                "kind": "code",
                "codings": codes["codings"],
                "excerpts": codes["excerpts"],
                "participants": codes["experts_n"],
            }
        ),
        pd.DataFrame(
            {
                "node": themes["theme_id"],
                "kind": themes["kind"],
                "codings": themes["codings"],
                "excerpts": themes["excerpts"],
                "participants": themes["experts_n"],
            }
        ),
    ]
    out = pd.concat(rows, ignore_index=True).drop_duplicates("node").set_index("node")
    out.attrs.update({"pooled": pooling.text, "unit": codes.attrs.get("unit", "")})
    return out


def theme_choices(codebook: Codebook, *, top_level: bool = True, indent: str = "\u2003") -> dict[str, str]:
    """Themes in tree order with labels indented by depth (for pickers that show the hierarchy);
    ``top_level`` adds "" = "(top level)" first."""
    out: dict[str, str] = {"": "(top level)"} if top_level else {}
    for depth, node in codebook.iter_tree():
        if isinstance(node, Theme):
            out[node.id] = indent * 2 * depth + node.label
    return out


def code_choices(codebook: Codebook, indent: str = "\u2003") -> dict[str, str]:
    """Every code and theme in tree order, labels indented by depth ("▸" marks a theme)."""
    out: dict[str, str] = {}
    for depth, node in codebook.iter_tree():
        if isinstance(node, Theme):
            out[node.id] = indent * 2 * depth + "▸ " + node.label
        elif isinstance(node, Code):
            out[node.id] = indent * 2 * depth + node.label
    for cross in codebook.cross_cutting.values():
        out[cross.id] = "◆ " + cross.label + " (cross-cutting)"
    return out


__all__ = [
    "EXCERPT_COLUMNS",
    "PATH_SEP",
    "code_choices",
    "excerpts",
    "members",
    "node_counts",
    "node_kind",
    "node_label",
    "node_path",
    "resolve_node",
    "theme_choices",
    "tree_nodes",
]
