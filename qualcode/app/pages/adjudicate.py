"""Adjudicate page (supervisors): decide each disagreement; the result is the consensus set.

Decisions go through :func:`qualcode.reliability.adjudicate` (units every coder agreed on are
included) and are stored with :meth:`qualcode.project.Project.save_consensus` in one
transaction under the annotator "consensus".

The disagreements are decided one page (:data:`PAGE_ROWS` rows) at a time.  Each decision is
kept in the session by its row's identity (unit, document, unit start and end, code), never by
its position in the table, so a decision stays with its passage whatever page it is made on and
however the list changes (a write elsewhere, another filter); *Save consensus* stores the
decisions of every row listed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from ...reliability import UNIT_KINDS, adjudicate
from .. import state
from ..components import tables
from .agreement import FOCUS_KEY, _disagreements, coder_choice, document_choice, passage

ACCEPT_CHOICES = ["", "yes", "no"]
PAGE_ROWS = 100  # rows of the decisions editor sent per visit (a large project has thousands)
PAGE_KEY = "qc_adj_page"  # the page of the editor shown (1 = the first; "Send to Adjudicate" resets it)
DECISIONS_KEY = "qc_adj_decisions"  # {(unit, document, unit_start, unit_end, code): "yes" | "no"}
ID_COLUMNS = ["document", "unit_start", "unit_end", "code"]
COLUMN_NAMES = {
    "document": "Document",
    "participant": "Participant",
    "text": "Text",
    "code_label": "Code",
    "coders_with": "Coded by",
    "coders_without": "Not coded by",
    "accept": "In the consensus?",
}


def render() -> None:
    project = state.user_project()
    st.header("Adjudicate disagreements")
    with state.user_errors():
        project.require("supervisor", "adjudicate disagreements")
        version = project.data_version()
        data = state.cached_analysis(project, version)
        view = (project, version)
        cols = st.columns([3, 1])
        with cols[0]:
            coders = coder_choice(data, "qc_adj_coders", view)
        unit = cols[1].selectbox("Unit", UNIT_KINDS, key="qc_adj_unit")
        if len(coders) < 2:
            st.info("Choose at least two coders.")
            return
        documents, scope = document_choice(data, coders, "qc_adj", view)
        interviewer = st.checkbox("Count interviewer turns as units", key="qc_adj_interviewer")
        dis = _disagreements(
            data,
            project.database_url,
            project.actor,
            version,
            tuple(coders),
            unit,
            documents,
            scope,
            interviewer,
        )
        st.caption(state.escape_md(f"Documents: {dis.attrs.get('scope', '')}"))
        dis = _focus_first(dis, coders)
        if dis.empty:
            st.success("The coders agree on every unit; saving the consensus stores their shared codings.")
        shown = state.derived(
            project,
            version,
            "adjudicate.decisions",
            lambda: _decisions_table(dis),
            tuple(coders),
            unit,
            documents,
            scope,
            interviewer,
            repr(st.session_state.get(FOCUS_KEY)),  # the row sent from the Agreement page comes first
        )

        def listed() -> frozenset[tuple[Any, ...]]:  # every row's identity, once per version and choice
            return state.derived(
                project,
                version,
                "adjudicate.ids",
                lambda: frozenset(row_ids(shown, unit)),
                tuple(coders),
                unit,
                documents,
                scope,
                interviewer,
            )

        _decisions_editor(shown, unit, listed)
        if st.button("Save consensus", key="qc_adj_save", type="primary"):
            _save_consensus(project, data, dis, coders, unit, documents, scope, interviewer)


def _focus_first(dis: pd.DataFrame, coders: list[str]) -> pd.DataFrame:
    """The disagreement sent from the Agreement page moved to the top and shown side by side."""
    focus = st.session_state.get(FOCUS_KEY)
    if not (focus and len(dis)):
        return dis
    hit = (
        (dis["document"] == focus["document"])
        & (dis["unit_start"] == focus["unit_start"])
        & (dis["code"] == focus["code"])
    )
    if not hit.any():
        st.caption("The passage sent from the Agreement page is no longer a disagreement here.")
        return dis
    dis = pd.concat([dis[hit], dis[~hit]], ignore_index=True)
    with st.container(border=True, key="qc_adj_focus_panel"):
        st.info(
            state.escape_md(
                f"Sent from the Agreement page: {dis['code_label'].iloc[0]} in {focus['document']} "
                f"({focus['unit_start']}–{focus['unit_end']}) is the first row."
            )
        )
        passage(dis.iloc[0], coders)
    return dis


SHOWN = ["document", "participant", "text", "code_label", "coders_with", "coders_without", "accept"]


def _decisions_table(dis: pd.DataFrame) -> pd.DataFrame:
    """The columns the editor shows (the decision as "", "yes" or "no") and the rows' identities
    (:data:`ID_COLUMNS`, not shown) by which the decisions are kept."""
    table = dis.copy()
    table["accept"] = table["accept"].astype(object).where(table["accept"].notna(), "").astype(str)
    return table[SHOWN + [c for c in ID_COLUMNS if c not in SHOWN]].reset_index(drop=True)


def row_ids(table: pd.DataFrame, unit: str) -> list[tuple[Any, ...]]:
    """Each row's identity: (unit, document, unit start, unit end, code)."""
    return [
        (unit, str(d), int(s), int(e), str(c))
        for d, s, e, c in zip(table["document"], table["unit_start"], table["unit_end"], table["code"])
    ]


def decisions() -> dict[tuple[Any, ...], str]:
    """This session's decisions so far, by row identity (:func:`row_ids`)."""
    return st.session_state.setdefault(DECISIONS_KEY, {})


def remember(edited_rows: dict[Any, dict[str, Any]], ids: list[tuple[Any, ...]]) -> None:
    """Keep the decisions edited in one page of the editor (``edited_rows``: the page's row
    position → changed cells) under those rows' identities ``ids`` (the page's rows in order)."""
    store = decisions()
    for position, cells in edited_rows.items():
        if "accept" not in cells or not 0 <= int(position) < len(ids):
            continue
        value = cells["accept"] or ""
        if value in ("yes", "no"):
            store[ids[int(position)]] = value
        else:
            store.pop(ids[int(position)], None)


def _page_rows(total: int) -> tuple[int, int]:
    """The picker of the editor's page (when there is more than one) and that page's row range."""
    pages = max(1, -(-total // PAGE_ROWS))
    if not 1 <= int(st.session_state.get(PAGE_KEY, 1)) <= pages:
        st.session_state[PAGE_KEY] = 1  # the list changed under the old page
    page = 1
    if pages > 1:
        page = int(
            st.number_input(
                f"Page (of {pages})",
                min_value=1,
                max_value=pages,
                step=1,
                key=PAGE_KEY,
                help=f"{PAGE_ROWS} disagreements per page; decisions made on every page are saved together.",
            )
        )
    first = (page - 1) * PAGE_ROWS
    return first, min(total, first + PAGE_ROWS)


def _decisions_editor(
    table: pd.DataFrame, unit: str, listed: Callable[[], frozenset[tuple[Any, ...]]] | None = None
) -> None:
    """One page of the disagreements (:func:`_decisions_table`) with an editable yes/no column;
    each edit is kept under its row's identity (:func:`remember`).  ``listed()``: every row's
    identity (cached by the caller), to count the decided rows."""
    st.caption(
        "For each row choose **yes** (the code belongs in the consensus), **no**, or leave it empty "
        "(undecided). Units every coder coded alike are added automatically."
    )
    first, last = _page_rows(len(table))
    rows = table.iloc[first:last]
    ids = row_ids(rows, unit)
    store = decisions()
    page = rows[SHOWN].copy()
    page["accept"] = [store.get(i, "") for i in ids]
    if len(table) > PAGE_ROWS:
        st.caption(f"Rows {first + 1}–{last} of {len(table)}.")
    # a widget per set of rows: an edit never carries over to another page's row at that position
    editor_key = "qc_adj_editor_" + hashlib.sha1(repr(ids).encode()).hexdigest()[:16]
    tables.data_editor(
        page.reset_index(drop=True),
        hide_index=True,
        width="stretch",
        key=editor_key,
        disabled=[c for c in SHOWN if c != "accept"],
        column_config={
            **{c: COLUMN_NAMES[c] for c in SHOWN if c not in ("accept", "text")},
            "accept": st.column_config.SelectboxColumn(COLUMN_NAMES["accept"], options=ACCEPT_CHOICES),
            "text": st.column_config.TextColumn(COLUMN_NAMES["text"], width="large"),
        },
    )
    edits = st.session_state.get(editor_key) or {}
    remember(dict(edits.get("edited_rows", {})), ids)  # this page's edits, under its rows' identities
    rows_listed = (listed() if listed is not None else frozenset(row_ids(table, unit))) if store else frozenset()
    decided = sum(1 for i in store if i in rows_listed)
    st.caption(f"{decided} of {len(table)} decided.")


def _save_consensus(
    project: Any,
    data: Any,
    dis: pd.DataFrame,
    coders: list[str],
    unit: str,
    documents: tuple[str, ...] | None,
    scope: str,
    interviewer: bool,
) -> None:
    """The decisions of every listed row (with the units every coder coded alike) saved as
    consensus codings."""
    chosen = dis[ID_COLUMNS].reset_index(drop=True)
    store = decisions()
    chosen["accept"] = [store.get(i, "") for i in row_ids(chosen, unit)]  # by identity, not position
    codings = adjudicate(
        data,
        chosen,
        annotators=coders,
        unit=unit,
        include_agreed=True,
        documents=list(documents) if documents else None,
        scope=scope,
        include_interviewer=interviewer,
    )
    ids = project.save_consensus(codings)
    st.success(
        f"Saved {len(ids)} new consensus coding(s) ({len(codings)} in the consensus set). "
        "Report them with the annotator 'consensus'."
    )
