"""Suggestions page: how well the assistants would have done (leave-one-participant-out).

Shows :func:`qualcode.assist.evaluate_tables` for the model, the majority baseline and the
codebook patterns.  Computed on demand (it trains one model per participant).
"""

from __future__ import annotations

import streamlit as st

from .. import state
from ..components import tables as show

RESULT_KEY = "qc_eval_result"


def render() -> None:
    project = state.user_project()
    st.header("Suggestions: evaluation")
    try:
        from ...assist import UNIT_KINDS, evaluate_tables
    except ImportError as exc:
        st.info(
            f"The suggestion assistants are not available in this installation ({exc}), so there is "
            "nothing to evaluate."
        )
        return
    st.caption(
        "Leave-one-participant-out: for each interviewee the model learns from everyone else's coded "
        "units and predicts theirs; top-1/top-3 accuracy for themes and codes, against a majority "
        "baseline and the codebook's patterns. Uses only the codings you may see."
    )
    cols = st.columns([1, 2, 1])
    unit = cols[0].selectbox("Unit", UNIT_KINDS, key="qc_eval_unit")
    with state.user_errors():
        version = project.data_version()
        data = state.cached_analysis(project, version)
        annotators = state.coded_annotators(project, version, data)
        chosen = cols[1].multiselect(
            "Annotators (ground truth)", annotators, key="qc_eval_annotators", placeholder="All"
        )
        version = project.data_version()
        if cols[2].button("Evaluate", key="qc_eval_run", type="primary"):
            bar = st.progress(0.0, text="Preparing the units …")

            def step(done: int, total: int) -> None:
                bar.progress(
                    done / total if total else 1.0, text=f"Trained {done} of {total} models (one per participant)"
                )

            tables = evaluate_tables(data, unit=unit, annotators=chosen or None, seed=0, progress=step)
            bar.empty()
            st.session_state[RESULT_KEY] = (version, unit, tuple(chosen), tables)
        stored = st.session_state.get(RESULT_KEY)
        if not stored:
            st.info("Press Evaluate to run it.")
            return
        done_version, done_unit, done_ann, tables = stored
        if (done_version, done_unit, done_ann) != (version, unit, tuple(chosen)):
            st.caption("The data or settings changed since this evaluation; press Evaluate to refresh.")
        st.subheader("Summary")
        show.dataframe(tables["summary"], hide_index=True, width="stretch", key="qc_eval_summary")
        st.subheader("Per theme (top-1)")
        show.dataframe(tables["per_theme"], hide_index=True, width="stretch", key="qc_eval_per_theme")
