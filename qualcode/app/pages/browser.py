"""Code browser: every excerpt of a code or theme across interviews, with filters.

Reads the analysis bundle as the user may see it (blind mode: an annotator sees only their
own codings).  Quotes are shown in a dataframe, i.e. as text.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ...frames import AnalysisData
from ...model import Codebook
from .. import state
from ..components import tables


def excerpts(
    data: AnalysisData,
    node: str | None,
    participants: list[str] | None = None,
    annotators: list[str] | None = None,
    attribute: str | None = None,
    values: list[str] | None = None,
) -> pd.DataFrame:
    """Codings of a code, a theme (any depth) or a cross-cutting theme, filtered; one row each."""
    codebook = data.codebook
    codings = data.codings
    if node is not None:
        members = [node] if node in codebook.codes else codebook.codes_in(node)
        codings = codings.loc[codings["code"].isin(members)]
    if participants:
        codings = codings.loc[codings["participant"].astype(str).isin(participants)]
    if annotators:
        codings = codings.loc[codings["annotator"].isin(annotators)]
    if attribute and values:
        frame = data.participants
        keep = frame.loc[frame[attribute].astype(str).isin(values), "participant"].astype(str)
        codings = codings.loc[codings["participant"].astype(str).isin(set(keep))]
    out = pd.DataFrame(
        {
            "participant": codings["participant"].astype(object),
            "document": codings["document"],
            "code": [codebook.codes[c].label if c in codebook.codes else c for c in codings["code"]],
            "quote": codings["quote"].astype(str),
            "annotator": codings["annotator"],
            "memo": codings["memo"],
            "start": codings["start"],
            "end": codings["end"],
        }
    )
    return out.sort_values(["participant", "document", "start"], na_position="last").reset_index(drop=True)


def node_options(codebook: Codebook) -> list[str]:
    return list(codebook.themes) + list(codebook.cross_cutting) + list(codebook.codes)


def node_label(codebook: Codebook, node: str) -> str:
    if node in codebook.themes:
        return "Theme: " + " > ".join(codebook.themes[t].label for t in codebook.theme_path(node))
    if node in codebook.cross_cutting:
        return "Cross-cutting: " + codebook.cross_cutting[node].label
    return "Code: " + codebook.codes[node].label


def render() -> None:
    project = state.user_project()
    st.header("Code browser")
    with state.user_errors():
        data = state.cached_analysis(project)
        codebook = data.codebook
        cols = st.columns([3, 2, 2])
        node = cols[0].selectbox(
            "Code or theme",
            node_options(codebook),
            index=None,
            key="qc_br_node",
            format_func=lambda n: node_label(codebook, n),
            placeholder="All codes",
        )
        participants = sorted(data.participants["participant"].astype(str).tolist())
        chosen_parts = cols[1].multiselect("Participants", participants, key="qc_br_participants")
        annotators = sorted(data.codings["annotator"].unique().tolist())
        chosen_anns = cols[2].multiselect("Annotators", annotators, key="qc_br_annotators")
        attrs = [c for c in data.participants.columns if c not in ("participant", "label")]
        attribute, values = None, None
        if attrs:
            a_cols = st.columns([2, 5])
            attribute = a_cols[0].selectbox("Attribute", attrs, index=None, key="qc_br_attribute")
            if attribute:
                options = sorted(data.participants[attribute].dropna().astype(str).unique().tolist())
                values = a_cols[1].multiselect("Values", options, key="qc_br_values")
        table = excerpts(data, node, chosen_parts, chosen_anns, attribute, values)
        st.caption(f"{len(table)} excerpt(s)")
        tables.dataframe(
            table,
            hide_index=True,
            width="stretch",
            key="qc_br_table",
            column_config={"quote": st.column_config.TextColumn("quote", width="large")},
        )
