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
    paths = {
        c: node_path(codebook, c) if c in codebook.codes else f"{c} (not in the codebook)" for c in set(codings["code"])
    }
    participant = codings["participant"].astype(object)
    out = pd.DataFrame(
        {
            "participant_label": [labels.get(str(p), str(p)) if p is not None and p == p else "" for p in participant],
            "code_path": [paths[c] for c in codings["code"]],
            "quote": codings["quote"].astype(object).where(codings["quote"].notna(), "").astype(str),
            "annotator": codings["annotator"].astype(str),
            "memo": codings["memo"].astype(object).where(codings["memo"].notna(), "").astype(str),
            "participant": participant.where(participant.notna(), ""),
            "document": codings["document"].astype(str),
            "code": codings["code"].astype(str),
            "start": codings["start"].astype("int64"),
            "end": codings["end"].astype("int64"),
            "coding_id": codings["coding_id"].astype("int64"),
        },
        columns=EXCERPT_COLUMNS,
    )
    order = sorted(
        range(len(out)),
        key=lambda i: (_natural(out["participant"].iat[i]), _natural(out["document"].iat[i]), out["start"].iat[i]),
    )
    return out.iloc[order].reset_index(drop=True)


def node_counts(data: AnalysisData) -> pd.DataFrame:
    """Per code, theme and cross-cutting theme (index: node id): kind, codings, excerpts and
    participants, counted as the Reports page counts them (:func:`qualcode.reports.theme_table`,
    :func:`qualcode.reports.code_frequencies`, pooled the same way); ``attrs["pooled"]`` says
    whose codings were counted."""
    from . import reports

    codes = reports.code_frequencies(data)
    themes = reports.theme_table(data)
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
    out.attrs.update({"pooled": codes.attrs.get("pooled", ""), "unit": codes.attrs.get("unit", "")})
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
