"""Agreement page (supervisors): inter-coder reliability and the disagreements, side by side.

Uses :func:`qualcode.reliability.intercoder_agreement` and :func:`~qualcode.reliability.disagreements`;
the unit and how uncoded text is treated are printed above the table (``describe``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ...export import to_csv
from ...reliability import (
    CONSENSUS,
    UNIT_KINDS,
    UNITS,
    describe,
    disagreements,
    intercoder_agreement,
)
from ...store import Actor
from .. import state
from ..components import tables


@st.cache_resource(max_entries=16, show_spinner="Computing agreement …")
def _agreement(
    _data: Any, url: str, actor: Actor, version: int, annotators: tuple[str, ...], unit: str, by: str, bootstrap: int
) -> pd.DataFrame:
    return intercoder_agreement(_data, annotators=list(annotators), unit=unit, by=by, bootstrap=bootstrap)


@st.cache_resource(max_entries=16, show_spinner="Finding disagreements …")
def _disagreements(
    _data: Any, url: str, actor: Actor, version: int, annotators: tuple[str, ...], unit: str
) -> pd.DataFrame:
    return disagreements(_data, annotators=list(annotators), unit=unit)


def coder_choice(data: Any, key: str) -> list[str]:
    """Pick at least two coders (default: every annotator except consensus)."""
    present = sorted(a for a in data.codings["annotator"].astype(str).unique())
    default = [a for a in present if a != CONSENSUS]
    return st.multiselect("Coders to compare", present, default=default, key=key)


def render() -> None:
    project = state.user_project()
    st.header("Inter-coder agreement")
    with state.user_errors():
        project.store.require(project.actor, "supervisor", "see inter-coder agreement")
        data = state.cached_analysis(project)
        version = state.data_version(project.store)
        cols = st.columns([3, 1, 1, 1])
        with cols[0]:
            coders = coder_choice(data, "qc_agr_coders")
        default_unit = project.store.get_setting("agreement_unit", "sentence") or "sentence"
        unit = cols[1].selectbox(
            "Unit", UNITS, index=UNITS.index(default_unit) if default_unit in UNITS else 0, key="qc_agr_unit"
        )
        by = cols[2].selectbox("Per", ["code", "theme", "both"], key="qc_agr_by")
        bootstrap = cols[3].selectbox(
            "Bootstrap samples",
            [0, 200, 1000],
            index=1,
            key="qc_agr_bootstrap",
            help="For the 95% interval of Krippendorff's alpha (0 = none).",
        )
        if len(coders) < 2:
            st.info("Choose at least two coders.")
            return
        table = _agreement(data, project.store.url, project.actor, version, tuple(coders), unit, by, int(bootstrap))
        st.info(state.escape_md(describe(table)))
        tables.dataframe(table, hide_index=True, width="stretch", key="qc_agr_table")
        st.download_button("Download agreement.csv", to_csv(table) or "", "agreement.csv", "text/csv", key="qc_agr_csv")
        if unit not in UNIT_KINDS:
            st.caption("Disagreements are listed per sentence, paragraph or turn; choose one of those units.")
            return
        st.subheader("Disagreements")
        dis = _disagreements(data, project.store.url, project.actor, version, tuple(coders), unit)
        st.caption(f"{len(dis)} unit × code disagreement(s). Resolve them on the Adjudicate page.")
        side = ["document", "participant", "text", "code_label"] + [
            f"codes_{c}" for c in coders if f"codes_{c}" in dis.columns
        ]
        tables.dataframe(
            dis[side],
            hide_index=True,
            width="stretch",
            key="qc_agr_dis",
            column_config={"text": st.column_config.TextColumn("text", width="large")},
        )
        if len(dis):
            pick = st.selectbox(
                "Look at one",
                list(range(len(dis))),
                key="qc_agr_pick",
                format_func=lambda i: (
                    f"{dis['document'].iloc[i]} {dis['unit_start'].iloc[i]}–"
                    f"{dis['unit_end'].iloc[i]} · {dis['code_label'].iloc[i]}"
                ),
            )
            row = dis.iloc[pick]
            st.text(str(row["text"]))
            columns = st.columns(len(coders))
            for col, coder in zip(columns, coders):
                with col:
                    st.markdown(f"**{state.escape_md(coder)}**")
                    st.text(str(row.get(f"codes_{coder}", "")) or "(nothing)")
