"""Interviews page: upload transcripts into the project's interviews/ folder and import them;
the participants table.

Uploads are untrusted: the file name is reduced to a plain name (no folders, no '..', no
leading dot, only letters, digits, space, '.', '-' and '_'), the file is written only
inside ``interviews/``, an existing file is replaced only when the user confirms, and if
the import fails every file written is restored, so nothing is left half-imported.
"""

from __future__ import annotations

import streamlit as st

from ...errors import QualcodeError
from ...importers import SUPPORTED_SUFFIXES
from ...progress import progress_table
from ...reports import participant_table
from ...uploads import safe_file_name, save_and_import, target_path, write_new_file
from .. import state
from ..components import refi_import, tables

__all__ = ["progress_table", "render", "safe_file_name", "save_and_import", "target_path", "write_new_file"]


def render() -> None:
    project = state.user_project()
    opened = state.open_project()
    st.header("Interviews")
    if opened.sync_error:
        st.warning("When the app started, some files in the project folder could not be imported:")
        st.text(opened.sync_error)
    if opened.sync_report is not None and opened.sync_report.outside:
        st.warning(state.escape_md(opened.sync_report.outside_warning().capitalize() + "."))
    if project.actor.at_least("supervisor"):
        with st.form("qc_upload", clear_on_submit=True):
            uploads = st.file_uploader(
                "Add transcripts",
                type=[s.lstrip(".") for s in SUPPORTED_SUFFIXES],
                accept_multiple_files=True,
                key="qc_upload_files",
                help="Markdown/text with YAML front matter, Word, WebVTT or SubRip.",
            )
            overwrite = st.checkbox("Replace existing files with the same name", key="qc_upload_overwrite")
            submitted = st.form_submit_button("Upload and import", type="primary")
        if submitted and uploads:
            try:
                results = project.add_interview_files([(f.name, f.getvalue()) for f in uploads], overwrite=overwrite)
            except QualcodeError as exc:
                state.show_error(exc)
            else:
                for r in results:
                    st.success(
                        state.escape_md(
                            f"{r['document']}: {r['status']}"
                            + (f", {r['detached']} coding(s) detached" if r.get("detached") else "")
                        )
                    )
        if st.button(
            "Re-scan the project folder",
            key="qc_rescan",
            help="Import new or changed files from codebook.yaml and interviews/.",
        ):
            with state.user_errors():
                report = project.sync()
                st.success(state.escape_md(report.summary()))
        refi_import.render(project)
    else:
        st.caption("Supervisors add interviews.")
    with state.user_errors():
        docs = state.documents(project)
        st.subheader(f"Interviews ({len(docs)})")
        tables.dataframe(docs, hide_index=True, width="stretch", key="qc_int_documents")
        data = state.cached_analysis(project)
        st.subheader("Your coding progress")
        unit = st.selectbox("Unit", ["sentence", "paragraph", "turn"], key="qc_int_unit")
        tables.dataframe(
            progress_table(data, project.actor.name, unit),
            hide_index=True,
            width="stretch",
            key="qc_int_progress",
            column_config={
                "share": st.column_config.ProgressColumn("share", min_value=0.0, max_value=1.0, format="percent")
            },
        )
        st.subheader("Participants")
        tables.dataframe(participant_table(data), hide_index=True, width="stretch", key="qc_int_participants")
