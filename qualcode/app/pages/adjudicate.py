"""Adjudicate page (supervisors): decide each disagreement; the result is the consensus set.

Decisions go through :func:`qualcode.reliability.adjudicate` (units every coder agreed on are
included) and are stored with :meth:`qualcode.project.Project.save_consensus` in one
transaction under the annotator "consensus".
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ...reliability import UNIT_KINDS, adjudicate
from .. import state
from ..components import tables
from .agreement import FOCUS_KEY, _disagreements, coder_choice, document_choice, passage

ACCEPT_CHOICES = ["", "yes", "no"]
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
        edited = _decisions_editor(shown)
        if st.button("Save consensus", key="qc_adj_save", type="primary"):
            _save_consensus(project, data, dis, edited, coders, unit, documents, scope, interviewer)


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
    """The columns the editor shows, the decision as "", "yes" or "no"."""
    table = dis.copy()
    table["accept"] = table["accept"].astype(object).where(table["accept"].notna(), "").astype(str)
    return table[SHOWN]


def _decisions_editor(table: pd.DataFrame) -> pd.DataFrame:
    """The disagreements (:func:`_decisions_table`) with an editable yes/no column; the edited table."""
    st.caption(
        "For each row choose **yes** (the code belongs in the consensus), **no**, or leave it empty "
        "(undecided). Units every coder coded alike are added automatically."
    )
    shown = SHOWN
    edited = tables.data_editor(
        table,
        hide_index=True,
        width="stretch",
        key="qc_adj_editor",
        disabled=[c for c in shown if c != "accept"],
        column_config={
            **{c: COLUMN_NAMES[c] for c in shown if c not in ("accept", "text")},
            "accept": st.column_config.SelectboxColumn(COLUMN_NAMES["accept"], options=ACCEPT_CHOICES),
            "text": st.column_config.TextColumn(COLUMN_NAMES["text"], width="large"),
        },
    )
    decided = int((edited["accept"].fillna("") != "").sum())
    st.caption(f"{decided} of {len(edited)} decided.")
    return edited


def _save_consensus(
    project: Any,
    data: Any,
    dis: pd.DataFrame,
    edited: pd.DataFrame,
    coders: list[str],
    unit: str,
    documents: tuple[str, ...] | None,
    scope: str,
    interviewer: bool,
) -> None:
    """The decisions (with the units every coder coded alike) saved as consensus codings."""
    decisions = pd.concat(
        [
            dis[["document", "unit_start", "unit_end", "code"]].reset_index(drop=True),
            edited[["accept"]].reset_index(drop=True),
        ],
        axis=1,
    )
    codings = adjudicate(
        data,
        decisions,
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
