"""The framework matrix (Ritchie & Spencer's framework method): what each participant said on each theme.

Rows are participants (every participant with a document, natural order of ids), columns the
themes of one level of the codebook tree — ``theme`` (main themes) or ``subtheme`` (the themes
one level down; a code sitting directly under a main theme counts for its main theme there, as in
:func:`qualcode.reports.matrix`).  A cell holds

* the **codes** that participant's codings carry in that theme, with the number of distinct
  excerpts of each (``Visa policy (2)``);
* up to ``max_quotes`` **short quotes** — distinct excerpts, in document order, cut to
  ``quote_chars`` characters, each with its source (``expert_A 120–250``);
* the team's **summary** of the cell (stored in the database, see
  :mod:`qualcode.store.framework`).

Codings are pooled as in every count report (:func:`qualcode.reports.pool`): the consensus layer
where a document was adjudicated, elsewhere every human annotator; rejected codings never count.
Codes outside every theme of the tree, and cross-cutting themes, are not columns (the frame's
``attrs`` say how many codings were left out).

Everything here is pure: an :class:`~qualcode.frames.AnalysisData` and the stored summaries in,
DataFrames out.

>>> from qualcode.model import Code, Codebook, Coding, ParsedDocument, Participant, Theme
>>> cb = Codebook(themes={"t": Theme("t", "Routes")}, codes={"c": Code("c", "Transit", theme="t")})
>>> doc = ParsedDocument("expert_A", "We go through Kazakhstan.", participant=Participant("A", "Expert (A)"))
>>> from qualcode.frames import make_analysis_data
>>> data = make_analysis_data(cb, [doc], [Coding("expert_A", 0, 24, "c", "ann1")])
>>> m = framework_matrix(data, summaries=[{"participant_id": "A", "theme_id": "t", "text": "Transit."}])
>>> m.grid.columns.tolist()
['Participant', 'Routes']
>>> print(m.grid.iloc[0, 1])
Codes: Transit (1)
“We go through Kazakhstan” (expert_A 0–24)
Summary: Transit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .errors import Problem, QualcodeError, did_you_mean, valid_list
from .frames import AnalysisData, is_missing
from .model import Code, Theme
from .reports import _labels, _participant_order, _unique_names, natural_key, pool

LEVELS = ("theme", "subtheme")
MAX_QUOTES = 3
QUOTE_CHARS = 160

CELL_COLUMNS = [
    "Participant",
    "Theme",
    "Codes",
    "Excerpts",
    "Quotes",
    "Summary",
    "Summary by",
    "Summary updated",
    "participant_id",
    "theme_id",
    "summary_version",
]
EXCERPT_COLUMNS = ["Participant", "Theme", "Document", "Start", "End", "Codes", "Annotators", "Quote"]


def join_hint(*parts: str | None) -> str:
    """Hint sentences joined by one space, the missing ones left out.

    >>> join_hint(None, " Use a or b.")
    'Use a or b.'
    """
    return " ".join(p.strip() for p in parts if p and p.strip())


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    """One line of at most ``limit`` characters, cut at a word where possible, "…" marking the cut.

    >>> shorten("a b  c", 10)
    'a b c'
    >>> shorten("The visa regime changed twice in one year", 20)
    'The visa regime…'
    """
    flat = " ".join(str(text).split())
    if len(flat) <= limit:
        return flat
    cut = flat[: max(limit - 1, 1)]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:.") + "…"


def check_level(level: str) -> str:
    """The level, or a named error listing the valid ones."""
    if level not in LEVELS:
        raise QualcodeError(
            Problem(
                f"Unknown framework level '{level}'.",
                field="level",
                hint=join_hint(
                    did_you_mean(level, LEVELS),
                    f" Use one of: {valid_list(LEVELS)} (theme = main themes, subtheme = one level down).",
                ),
            )
        )
    return level


def framework_columns(data: AnalysisData, level: str = "theme") -> list[str]:
    """The theme ids that are columns at ``level``, in codebook tree order."""
    check_level(level)
    cb = data.codebook
    depth = 0 if level == "theme" else 1
    out: list[str] = []
    for d, node in cb.iter_tree():
        if not isinstance(node, Theme):
            continue
        theme_id = node.id
        has_children = bool(cb.child_themes(theme_id))
        if d == depth or (d < depth and not has_children):
            out.append(theme_id)
        elif d < depth and any(c.theme == theme_id for c in cb.codes.values()):
            out.append(theme_id)  # codes directly under a main theme count for it at sub-theme level
    return out


def _column_of_code(data: AnalysisData, columns: Sequence[str]) -> dict[str, str]:
    """Each codebook code → the column (theme id) it counts for; codes outside them are absent."""
    cb = data.codebook
    wanted = set(columns)
    out: dict[str, str] = {}
    for code_id, code in cb.codes.items():
        path = cb.theme_path(code.theme) if code.theme else []
        for theme_id in reversed(path):  # the deepest column on the code's path
            if theme_id in wanted:
                out[code_id] = theme_id
                break
    return out


def _summary_frame(summaries: pd.DataFrame | Iterable[Mapping[str, Any]] | None) -> pd.DataFrame:
    cols = ["participant_id", "theme_id", "text", "version", "updated_by", "updated_at"]
    if summaries is None:
        return pd.DataFrame(columns=cols)
    frame = summaries.copy() if isinstance(summaries, pd.DataFrame) else pd.DataFrame(list(summaries))
    for c in cols:
        if c not in frame.columns:
            frame[c] = None
    frame["participant_id"] = frame["participant_id"].astype(str)
    frame["theme_id"] = frame["theme_id"].astype(str)
    return frame[cols]


_NO_ROWS = np.array([], dtype=np.intp)


def _positions(frame: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """(participant id, theme id) -> the positions of its rows in ``frame``, in frame order."""
    if frame.empty:
        return {}
    groups = frame.groupby([frame["participant_id"].astype(str), frame["theme_id"].astype(str)], sort=False).indices
    return {(str(p), str(t)): rows for (p, t), rows in groups.items()}


@dataclass(frozen=True)
class FrameworkMatrix:
    """The matrix in three shapes, and what it counted."""

    level: str
    grid: pd.DataFrame  # wide: "Participant", then one column per theme label; cell = codes, quotes, summary
    cells: pd.DataFrame  # long: one row per (participant, theme), CELL_COLUMNS
    excerpt_table: pd.DataFrame  # every distinct excerpt behind the cells, full quotes, EXCERPT_COLUMNS
    pooled: str  # whose codings were counted
    orphans: pd.DataFrame = field(default_factory=pd.DataFrame)  # summaries of no current row or theme

    def excerpts(self, participant: str, theme: str) -> pd.DataFrame:
        """The full excerpts of one cell (participant and theme ids), in document order."""
        rows = self._excerpt_rows.get((participant, theme), _NO_ROWS)
        return self.excerpt_table.iloc[rows][EXCERPT_COLUMNS].reset_index(drop=True)

    def cell(self, participant: str, theme: str) -> dict[str, Any]:
        """One row of :attr:`cells` as a dict (KeyError for an unknown cell)."""
        rows = self._cell_rows.get((participant, theme))
        if rows is None or not len(rows):
            raise KeyError((participant, theme))
        return dict(self.cells.iloc[int(rows[0])])

    # The row positions of each cell, found once per matrix: comparing every row's two ids on
    # each look-up was ~20 ms a visit of the Framework page on a thousand interviews.
    @cached_property
    def _excerpt_rows(self) -> dict[tuple[str, str], np.ndarray]:
        return _positions(self.excerpt_table)

    @cached_property
    def _cell_rows(self) -> dict[tuple[str, str], np.ndarray]:
        return _positions(self.cells)

    def lines(self) -> list[str]:
        """The plain-words notes printed under the table."""
        out = [f"Codings counted: {self.pooled}."]
        left = self.grid.attrs.get("left_out", 0)
        if left:
            out.append(f"{left} coding(s) carry codes outside the {self.level} columns and are not shown.")
        if len(self.orphans):
            out.append(
                f"{len(self.orphans)} stored summary(ies) belong to a participant or theme no longer in the project "
                "(kept, not shown): " + ", ".join(f"{r.participant_id}/{r.theme_id}" for r in self.orphans.itertuples())
            )
        return out


def framework_matrix(
    data: AnalysisData,
    *,
    level: str = "theme",
    annotators: Iterable[str] | None = None,
    summaries: pd.DataFrame | Iterable[Mapping[str, Any]] | None = None,
    max_quotes: int = MAX_QUOTES,
    quote_chars: int = QUOTE_CHARS,
) -> FrameworkMatrix:
    """The framework matrix of ``data`` (see the module text).

    ``summaries``: stored summaries (``participant_id``, ``theme_id``, ``text``, and optionally
    ``version``, ``updated_by``, ``updated_at``), e.g. ``Project.framework_summaries()``.
    """
    check_level(level)
    _check_quote_limits(max_quotes, quote_chars)
    pooled_data, pooling = pool(data, annotators)
    cb = data.codebook
    columns = framework_columns(data, level)
    labels_of = {t: cb.themes[t].label for t in columns}
    column_names = _unique_names(columns, [labels_of[t] for t in columns])
    rows = _participant_order(pooled_data)
    plabel = _labels(pooled_data)
    code_label = {c: code.label for c, code in cb.codes.items()}
    code_rank = {n.id: i for i, (_, n) in enumerate(cb.iter_tree()) if isinstance(n, Code)}
    ex, left_out = _excerpts(pooled_data, _column_of_code(data, columns), code_rank)

    stored = _summary_frame(summaries)
    by_cell = {(r.participant_id, r.theme_id): r for r in stored.itertuples(index=False)}
    in_grid = {(p, t) for p in rows for t in columns}
    all_themes = set(cb.themes)
    orphans = stored.loc[
        [(p not in rows) or (t not in all_themes) for p, t in zip(stored["participant_id"], stored["theme_id"])]
    ].reset_index(drop=True)

    ex_groups = {key: g for key, g in ex.groupby(["participant", "theme_id"], sort=False)} if len(ex) else {}
    cell_rows: list[dict[str, Any]] = []
    grid_rows: list[list[Any]] = []
    for pid in rows:
        label = plabel.get(pid, pid)
        grid_row: list[Any] = [label]
        for theme_id, name in zip(columns, column_names):
            codes_text, quotes_text, n = _cell_contents(
                ex_groups.get((pid, theme_id)), code_label, code_rank, max_quotes, quote_chars
            )
            cell = _cell_record(pid, label, theme_id, name, codes_text, quotes_text, n, by_cell.get((pid, theme_id)))
            cell_rows.append(cell)
            grid_row.append(_grid_text(codes_text, quotes_text, cell["Summary"]))
        grid_rows.append(grid_row)

    grid = pd.DataFrame(grid_rows, columns=["Participant", *column_names])
    cells = pd.DataFrame(cell_rows, columns=CELL_COLUMNS)
    excerpt_table = _excerpt_table(ex, plabel, columns, column_names, code_label)
    attrs = _matrix_attrs(level, max_quotes, pooling, columns, rows, left_out)
    attrs["cells_with_summary"] = sum(1 for k in by_cell if k in in_grid)
    for frame in (grid, cells, excerpt_table):
        frame.attrs.update(attrs)
    return FrameworkMatrix(level, grid, cells, excerpt_table, pooling.text, orphans)


def _check_quote_limits(max_quotes: int, quote_chars: int) -> None:
    """Refuse a negative number of quotes or quotes shorter than 10 characters."""
    if max_quotes < 0 or quote_chars < 10:
        raise QualcodeError(
            Problem(
                f"max_quotes must be 0 or more and quote_chars at least 10 (got {max_quotes}, {quote_chars}).",
                field="max_quotes",
                hint=f"The defaults are {MAX_QUOTES} quotes of {QUOTE_CHARS} characters.",
            )
        )


def _excerpts(
    pooled_data: AnalysisData, col_of: Mapping[str, str], code_rank: Mapping[str, int]
) -> tuple[pd.DataFrame, int]:
    """One row per distinct excerpt (document, start, end) within a cell, with the codes and
    annotators on it, in document order; and the number of codings outside every column."""
    c = pooled_data.codings.copy()
    c["theme_id"] = c["code"].astype(str).map(col_of)
    left_out = int(c["theme_id"].isna().sum())
    c = c.loc[c["theme_id"].notna() & c["participant"].notna()].copy()
    c["participant"] = c["participant"].astype(str)
    c["quote"] = c["quote"].where(c["quote"].notna(), "").astype(str)

    span = ["participant", "theme_id", "document", "start", "end"]
    if len(c):
        grouped = c.groupby(span, sort=False)
        ex = grouped.agg(
            codes=("code", lambda s: sorted(set(map(str, s)), key=lambda k: (code_rank.get(k, 10**9), natural_key(k)))),
            annotators=("annotator", lambda s: sorted(set(map(str, s)), key=natural_key)),
            quote=("quote", "first"),
        ).reset_index()
    else:
        ex = pd.DataFrame(columns=[*span, "codes", "annotators", "quote"])
    doc_rank = {d: i for i, d in enumerate(sorted(set(ex["document"].astype(str)), key=natural_key))}
    ex = ex.assign(_d=ex["document"].astype(str).map(doc_rank)).sort_values(["_d", "start", "end"], kind="stable")
    return ex.drop(columns="_d").reset_index(drop=True), left_out


def _cell_contents(
    g: pd.DataFrame | None,
    code_label: Mapping[str, str],
    code_rank: Mapping[str, int],
    max_quotes: int,
    quote_chars: int,
) -> tuple[str, str, int]:
    """One cell's excerpts ``g`` (None: none) as (codes with their counts, quotes, number of excerpts)."""
    if g is None:
        return "", "", 0
    n = len(g)
    counts: dict[str, int] = {}
    for codes in g["codes"]:
        for code in codes:
            counts[code] = counts.get(code, 0) + 1
    ordered = sorted(counts, key=lambda k: (code_rank.get(k, 10**9), natural_key(k)))
    codes_text = ", ".join(f"{code_label.get(k, k)} ({counts[k]})" for k in ordered)
    quotes = [
        f"“{shorten(q, quote_chars)}” ({d} {s}–{e})"
        for q, d, s, e in zip(g["quote"], g["document"], g["start"], g["end"])
    ][:max_quotes]
    if n > max_quotes and max_quotes:
        quotes.append(f"(+{n - max_quotes} more excerpt(s))")
    return codes_text, "\n".join(quotes), n


def _cell_record(
    pid: str, label: str, theme_id: str, name: str, codes_text: str, quotes_text: str, n: int, summary: Any
) -> dict[str, Any]:
    """One row of the cells table: the cell's contents and its stored summary (None: none)."""
    return {
        "Participant": label,
        "Theme": name,
        "Codes": codes_text,
        "Excerpts": n,
        "Quotes": quotes_text,
        "Summary": "" if summary is None or is_missing(summary.text) else str(summary.text),
        "Summary by": "" if summary is None or is_missing(summary.updated_by) else str(summary.updated_by),
        "Summary updated": ""
        if summary is None or is_missing(summary.updated_at)
        else str(summary.updated_at)[:19].replace("T", " "),
        "participant_id": pid,
        "theme_id": theme_id,
        "summary_version": 0 if summary is None or is_missing(summary.version) else int(summary.version),
    }


def _grid_text(codes_text: str, quotes_text: str, summary_text: str) -> str:
    """A cell of the wide grid: its codes, quotes and summary, one block each."""
    parts = []
    if codes_text:
        parts.append(f"Codes: {codes_text}")
    if quotes_text:
        parts.append(quotes_text)
    if summary_text:
        parts.append(f"Summary: {summary_text}")
    return "\n".join(parts)


def _excerpt_table(
    ex: pd.DataFrame,
    plabel: Mapping[str, str],
    columns: list[str],
    column_names: list[str],
    code_label: Mapping[str, str],
) -> pd.DataFrame:
    """The excerpts with human names: participant, theme, source, codes, annotators, quote."""
    return pd.DataFrame(
        {
            "Participant": [plabel.get(p, p) for p in ex["participant"]],
            "Theme": [column_names[columns.index(t)] for t in ex["theme_id"]],
            "Document": ex["document"].astype(str),
            "Start": ex["start"].astype("int64"),
            "End": ex["end"].astype("int64"),
            "Codes": [", ".join(code_label.get(k, k) for k in ks) for ks in ex["codes"]],
            "Annotators": [", ".join(a) for a in ex["annotators"]],
            "Quote": ex["quote"].astype(str),
            "participant_id": ex["participant"].astype(str),
            "theme_id": ex["theme_id"].astype(str),
        }
    )


def _matrix_attrs(
    level: str, max_quotes: int, pooling: Any, columns: list[str], rows: list[str], left_out: int
) -> dict[str, Any]:
    """The attrs the three tables share: unit, description, pooling, level, ids, left-out codings."""
    what = "main themes" if level == "theme" else "sub-themes (codes directly under a main theme count for it)"
    description = (
        f"Framework matrix: participants × {what}; each cell the codes (distinct excerpts each), up to "
        f"{max_quotes} short quotes with their source, and the team's summary. Codings counted: {pooling.text}."
    )
    return {
        "unit": "excerpt = distinct coded span (document, start, end) of the participant in the theme",
        "description": description,
        "pooled": pooling.text,
        "annotators": list(pooling.annotators),
        "level": level,
        "column_ids": columns,
        "participant_ids": rows,
        "left_out": left_out,
    }


__all__ = [
    "CELL_COLUMNS",
    "EXCERPT_COLUMNS",
    "LEVELS",
    "FrameworkMatrix",
    "check_level",
    "framework_columns",
    "framework_matrix",
    "shorten",
]
