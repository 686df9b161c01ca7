"""Framework page: the framework matrix (Ritchie & Spencer) — participants × themes, each cell the
codes, short quotes and the team's summary — with the full excerpts of a chosen cell and its summary
edited in place.

Everything comes from ``Project.framework`` (the matrix of the pooled codings with the stored
summaries) and is written with ``Project.set_framework_summary`` (audited, optimistic: a summary
someone changed since the page showed it is not overwritten).  No SQL and no counting here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ...framework import FrameworkMatrix
from ...project import Project
from .. import state
from ..components import tables
from ..components.picker import picker

LEVEL_LABELS = {"theme": "Main themes", "subtheme": "Sub-themes"}
CELL_KEY = "qc_fw_cell"  # the (participant, theme) ids last picked in the grid
EXCERPTS_SHOWN = 10  # a cell's excerpts drawn at first (a busy cell has hundreds); "Show all" draws the rest
ALL_KEY = "qc_fw_all_excerpts"  # the cell whose excerpts are all shown
# Participants drawn in the grid at a time (one page; the picker below and the CSV hold every
# one): a grid row carries a cell's codes, quotes and summary for each theme, ~4 kB, sent on
# every visit, and the browser lays out every row sent.
GRID_ROWS = 10
PAGE_KEY = "qc_fw_page"  # the grid's page (1 = the first participants)


def _picked_cell(event: Any, result: FrameworkMatrix, first: int = 0) -> tuple[str, str] | None:
    """The (participant id, theme id) of the grid cell the user clicked, if any (``first``: the
    position of the grid page's first participant)."""
    try:
        cells = list(event["selection"]["cells"])
    except (KeyError, TypeError):
        return None
    if not cells:
        return None
    row, column = cells[0][0], cells[0][1]
    names = list(result.grid.columns)
    if column not in names or names.index(column) == 0:
        return None
    participants = result.grid.attrs["participant_ids"]
    themes = result.grid.attrs["column_ids"]
    row = first + int(row)
    if not 0 <= row < len(participants):
        return None
    return participants[row], themes[names.index(column) - 1]


def _show_all(participant: str, theme: str) -> None:
    st.session_state[ALL_KEY] = (participant, theme)


def _save(project: Project, participant: str, theme: str, key: str, version: int) -> None:
    text = st.session_state.get(key, "")
    result = state.run_action(project.set_framework_summary, participant, theme, text, expected_version=version)
    if result is not None:
        words = {"set": "Summary saved.", "clear": "Summary cleared.", "unchanged": "Summary unchanged."}
        state.flash("success", words[result["action"]])


def _cell_panel(project: Project, result: FrameworkMatrix, participant: str, theme: str) -> None:
    cell = result.cell(participant, theme)
    st.subheader(f"{cell['Participant']} · {cell['Theme']}")
    if cell["Codes"]:
        st.markdown("**Codes:** " + state.escape_md(cell["Codes"]))
    excerpts = result.excerpts(participant, theme)
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**Excerpts ({len(excerpts)})**")
        if not len(excerpts):
            st.caption("No coded excerpts of this participant in this theme.")
        everything = st.session_state.get(ALL_KEY) == (participant, theme)
        shown = excerpts if everything else excerpts.head(EXCERPTS_SHOWN)
        if len(shown):  # one element for all of them: the browser lays out one, not 25
            st.markdown(
                "\n\n".join(
                    f"> {state.escape_md(row.Quote)}\n\n"
                    f"{state.escape_md(f'{row.Document} {row.Start}–{row.End} · {row.Codes} · {row.Annotators}')}"
                    for row in shown.itertuples(index=False)
                )
            )
        if len(excerpts) > EXCERPTS_SHOWN and not everything:
            st.button(
                f"Show all {len(excerpts)} excerpts ({len(excerpts) - EXCERPTS_SHOWN} not shown)",
                key="qc_fw_show_all",
                on_click=_show_all,
                args=(participant, theme),
            )
    with right:
        st.markdown("**Team summary**")
        version = int(cell["summary_version"])
        key = f"qc_fw_text_{participant}_{theme}_{version}"
        may_write = not (project.blind_mode() and not project.revealed() and not project.actor.at_least("supervisor"))
        st.text_area(
            "Summary",
            value=cell["Summary"],
            key=key,
            height=180,
            label_visibility="collapsed",
            placeholder="What does this participant say about this theme? (a few sentences)",
            disabled=not may_write,
        )
        if cell["Summary by"]:
            st.caption(state.escape_md(f"Last changed by {cell['Summary by']}, {cell['Summary updated']} (UTC)."))
        if may_write:
            st.button(
                "Save summary",
                key="qc_fw_save",
                type="primary",
                on_click=_save,
                args=(project, participant, theme, key, version),
            )
        else:
            st.caption("Blind coding is on: supervisors write the summaries until the codings are revealed.")


def render() -> None:
    project = state.user_project()
    st.header("Framework matrix")
    with state.user_errors():
        version = project.data_version()
        data = state.cached_analysis(project, version)
        if data.documents.empty:
            st.info("No interviews yet. Import transcripts on the Interviews page first.")
            return
        cols = st.columns([1, 3])
        level = cols[0].radio(
            "Columns", list(LEVEL_LABELS), format_func=LEVEL_LABELS.__getitem__, key="qc_fw_level", horizontal=True
        )
        annotators_all = state.coded_annotators(project, version, data)
        chosen = cols[1].multiselect(
            "Annotators",
            annotators_all,
            key="qc_fw_annotators",
            placeholder="Pooled as in every report (consensus where adjudicated, else every human coder)",
        )
        # One matrix per data version (summaries are audited writes too), level and annotators.
        result = state.derived(
            project,
            version,
            "framework.matrix",
            lambda: project.framework(level=level, annotators=chosen or None, data=data),
            level,
            tuple(chosen),
        )
        if len(result.grid.columns) < 2:
            st.info("The codebook has no themes at this level.")
            return
        first = _grid_page(len(result.grid))
        rows = state.derived(
            project,
            version,
            "framework.grid_rows",
            lambda: result.grid.iloc[first : first + GRID_ROWS],
            level,
            tuple(chosen),
            first,
        )
        event = _grid(result, rows, first)
        participant, theme = _cell_choice(event, result, first)
        st.divider()
        _cell_panel(project, result, participant, theme)
        st.download_button(
            "Download the matrix (.csv, one row per cell)",
            lambda: _csv(result.cells.drop(columns=["participant_id", "theme_id", "summary_version"])),
            file_name=f"framework_matrix_{level}.csv",
            mime="text/csv",
            key="qc_fw_csv",
        )


def _grid_page(total: int) -> int:
    """The page picker of the grid (when the participants fill more than one page); the
    position of the page's first participant."""
    pages = max(1, -(-total // GRID_ROWS))
    if not 1 <= int(st.session_state.get(PAGE_KEY, 1)) <= pages:
        st.session_state[PAGE_KEY] = 1  # fewer participants than before
    if pages == 1:
        return 0
    page = st.number_input(
        f"Participants page (of {pages})",
        min_value=1,
        max_value=pages,
        step=1,
        key=PAGE_KEY,
        help=f"{GRID_ROWS} participants per page; the Participant box below and the CSV hold every one.",
    )
    return (int(page) - 1) * GRID_ROWS


def _grid(result: FrameworkMatrix, rows: pd.DataFrame | None = None, first: int = 0) -> Any:
    """The matrix, described, as a table whose cells can be clicked; the selection event.
    ``rows``: the grid's page (:data:`GRID_ROWS` participants from position ``first``) when the
    caller cached it."""
    grid = result.grid.iloc[first : first + GRID_ROWS] if rows is None else rows
    st.caption(state.escape_md(result.grid.attrs["description"]))
    for line in result.lines()[1:]:
        st.caption(state.escape_md(line))
    if len(result.grid) > len(grid):
        st.caption(
            f"Participants {first + 1}–{first + len(grid)} of {len(result.grid)} are drawn here; pick any cell "
            "below, and the CSV download holds every cell."
        )
    config = {"Participant": st.column_config.TextColumn("Participant", pinned=True, width="small")}
    for name in grid.columns[1:]:
        config[name] = st.column_config.TextColumn(name, width="large")
    event = tables.dataframe(
        grid,
        hide_index=True,
        width="stretch",
        # a grid per page: a cell picked on one page is not read as that position on another
        key="qc_fw_grid" if first == 0 else f"qc_fw_grid_{first}",
        column_config=config,
        row_height=110,
        height=min(40 + 110 * len(grid), 700),
        on_select="rerun",
        selection_mode="single-cell",
    )
    st.caption("Click a cell (or pick it below) to read its excerpts and write the team's summary.")
    return event


def _cell_choice(event: Any, result: FrameworkMatrix, first: int = 0) -> tuple[str, str]:
    """The cell to read: the one clicked (in the grid page from position ``first``), else the one
    picked in the two boxes (participant, theme)."""
    grid = result.grid
    participants = grid.attrs["participant_ids"]
    themes = grid.attrs["column_ids"]
    labels = dict(zip(participants, grid["Participant"]))
    theme_names = dict(zip(themes, grid.columns[1:]))
    picked = _picked_cell(event, result, first)
    if picked is not None and picked != st.session_state.get(CELL_KEY):
        st.session_state[CELL_KEY] = picked
        st.session_state["qc_fw_participant"], st.session_state["qc_fw_theme"] = picked
    for key, options in (("qc_fw_participant", participants), ("qc_fw_theme", themes)):
        if st.session_state.get(key) not in options:
            st.session_state[key] = options[0]
    pick = st.columns(2)
    with pick[0]:  # type-ahead: a selectbox drew every participant again on each rerun
        participant = picker("Participant", participants, format_func=labels.__getitem__, key="qc_fw_participant")
    participant = participant or participants[0]  # never None: the grid has participants
    theme = pick[1].selectbox("Theme", themes, format_func=theme_names.__getitem__, key="qc_fw_theme")
    return participant, theme


def _csv(df: Any) -> str:
    from ...export import to_csv

    return to_csv(df) or ""
