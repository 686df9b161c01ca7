"""Interviews page: upload transcripts into the project's interviews/ folder and import them;
your coding progress per interview, the interviews, the participants and the interview memos
(tabs: only the open one runs).

Uploads are untrusted: the file name is reduced to a plain name (no folders, no '..', no
leading dot, only letters, digits, space, '.', '-' and '_'), the file is written only
inside ``interviews/``, an existing file is replaced only when the user confirms, and if
the import fails every file written is restored, so nothing is left half-imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from ...errors import QualcodeError
from ...importers import SUPPORTED_SUFFIXES
from ...progress import progress_table
from ...project import Project
from ...reports import participant_table
from ...uploads import safe_file_name, save_and_import, target_path, write_new_file
from ...vocabulary import SEGMENT_KINDS
from .. import state
from ..components import refi_import, tables
from ..components.picker import picker


def _remove(name: str) -> None:
    project = state.user_project()
    result = state.run_action(project.remove_interview, name)
    if result is not None:
        st.session_state["qc_int_remove_confirm"] = False
        state.flash(
            "success",
            f"Removed the interview {name}: {result['codings_archived']} coding(s) archived"
            + (f", its file moved to {result['moved_to']}" if result.get("moved_to") else "")
            + ". Undo brings it back.",
        )


def _undo_removal() -> None:
    project = state.user_project()
    result = state.run_action(project.undo)
    if result is None:
        if not st.session_state.get(state.MESSAGE_KEY):
            state.flash("warning", "Nothing to undo.")
    elif result.get("undone") == "document.remove":
        state.flash(
            "success", f"Restored the interview {result['document']} with {result['codings_restored']} coding(s)."
        )
    else:
        state.flash("success", str(result.get("message") or "Undid your last change."))


def _remove_panel(project: Project) -> None:
    # Runs only while open (on_change=rerun): its picker lists every interview.
    with st.expander("Remove an interview", key="qc_int_remove_open", on_change="rerun") as box:
        if box.open is False:
            return
        names = project.document_names()
        st.caption(
            "The interview leaves every report; its codings are archived (kept, listed by qualcode status) "
            "and its file moves to .qualcode/removed/. Undo brings everything back."
        )
        name = st.selectbox("Interview to remove", names, index=None, key="qc_int_remove_name")
        sure = st.checkbox("Yes, remove it and archive its codings", key="qc_int_remove_confirm")
        cols = st.columns(2)
        cols[0].button(
            "Remove",
            key="qc_int_remove",
            type="primary",
            disabled=not (name and sure),
            on_click=_remove,
            args=(name,),
        )
        cols[1].button("Undo", key="qc_int_remove_undo", on_click=_undo_removal)


UPLOAD_OPEN_KEY = "qc_int_upload_open"
TABS = ["Your coding progress", "Interviews", "Participants", "Interview memos"]
TAB_KEY = "qc_int_tab"

__all__ = ["progress_table", "render", "safe_file_name", "save_and_import", "target_path", "write_new_file"]


def render() -> None:
    project = state.user_project()
    opened = state.open_project()
    st.header("Interviews")
    _sync_notes(opened)
    if project.actor.at_least("supervisor"):
        _upload_panel(project)
        _rescan_button(project, opened)
        refi_import.render(project)
        _remove_panel(project)
    else:
        st.caption("Supervisors add interviews.")
    _missing_panel(project)
    with state.user_errors():
        version = project.data_version()
        # Only the open tab runs (on_change="rerun"): a visit sends one table, not three and the memos.
        tabs = st.tabs(TABS, key=TAB_KEY, on_change="rerun")
        draw: list[Callable[[], None]] = [
            lambda: _progress_panel(project, state.cached_analysis(project, version), version),
            lambda: _documents_table(project, version),
            lambda: _participants_table(project, state.cached_analysis(project, version), version),
            lambda: _memos_panel(project),
        ]
        for tab, fill in zip(tabs, draw):
            if tab.open is not False:  # None: a Streamlit that runs every tab
                with tab:
                    fill()


def _sync_notes(opened: Any) -> None:
    """What happened when the app imported the project folder: refused files, warnings, files outside."""
    if opened.sync_error:
        if opened.sync_report is not None:  # only these files were left out
            st.warning(
                "When the app started, the files below could not be imported (the other new files were): "
                "fix them and press *Re-scan the project folder*."
            )
        else:
            st.warning(
                "When the app started, the project folder could not be imported: fix the files below and "
                "press *Re-scan the project folder* (the interviews already imported are unchanged)."
            )
        not_imported = pd.DataFrame(opened.not_imported, columns=["File", "Problem"])
        tables.dataframe(not_imported, hide_index=True, width="stretch", key="qc_int_not_imported")
    if opened.sync_report is not None and opened.sync_report.warnings:
        with st.expander(f"Imported with {len(opened.sync_report.warnings)} warning(s)"):
            for warning in opened.sync_report.warnings:
                st.text(warning)
    if opened.sync_report is not None and opened.sync_report.outside:
        st.warning(state.escape_md(opened.sync_report.outside_warning().capitalize() + "."))


def _upload_panel(project: Project) -> None:
    """Supervisors upload transcripts: each file's outcome is reported.  Drawn only while its
    expander is open (on_change=rerun): the uploader and its form are then not laid out on every
    visit to the page."""
    box = st.expander("Add transcripts", icon=":material/upload_file:", key=UPLOAD_OPEN_KEY, on_change="rerun")
    if box.open is False:
        return
    with box:
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
        if not (submitted and uploads):
            return
        try:
            results = project.add_interview_files(
                [(f.name, f.getvalue()) for f in uploads], overwrite=overwrite, progress=state.progress_bar()
            )
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


def _rescan_button(project: Project, opened: Any) -> None:
    """Re-import the project folder; the outcome is kept for :func:`_sync_notes`."""
    if st.button(
        "Re-scan the project folder",
        key="qc_rescan",
        help="Import new or changed files from codebook.yaml and interviews/.",
    ):
        try:
            report = project.sync(progress=state.progress_bar())
        except QualcodeError as exc:
            state.show_error(exc)
            opened.sync_error, opened.not_imported = str(exc), state.refused_files(project, exc)
        else:
            not_imported = report.refused_error()
            state.flash("warning" if not_imported else "success", report.summary())
            opened.sync_error = str(not_imported) if not_imported else None
            opened.not_imported = state.refused_files(project, not_imported) if not_imported else []
            opened.sync_report = report
            st.rerun()


def _missing_panel(project: Project) -> None:
    """Interviews whose file disappeared from the project folder."""
    missing = project.missing_transcripts()
    if missing:
        st.warning(
            f"{len(missing)} interview file(s) disappeared from the project folder; they are still in every "
            "report until you remove them (below, or: qualcode remove NAME)."
        )
        tables.dataframe(
            pd.DataFrame(missing, columns=["Interview", "Missing file", "Codings"]),
            hide_index=True,
            width="stretch",
            key="qc_int_missing",
        )


def _documents_shown(docs: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """The interviews, each with its participant's label first."""
    labels = dict(zip(people["participant"].astype(str), people["label"].astype(str)))
    shown = docs.assign(participant_label=docs["participant"].astype(str).map(labels).fillna(""))
    first = ["participant_label", "document"]
    return shown[first + [c for c in shown.columns if c not in first]]


def _documents_table(project: Project, version: int) -> None:
    docs = state.documents(project, version)
    st.subheader(f"Interviews ({len(docs)})")
    people = state.participants(project, version)
    tables.dataframe(
        state.derived(project, version, "interviews.documents", lambda: _documents_shown(docs, people)),
        hide_index=True,
        width="stretch",
        key="qc_int_documents",
        technical=["participant"],
        names={"participant": "Participant id"},
    )


def _progress_panel(project: Project, data: Any, version: int) -> None:
    st.subheader("Your coding progress")
    unit = st.selectbox("Unit", SEGMENT_KINDS, key="qc_int_unit")
    tables.dataframe(
        state.derived(
            project, version, "interviews.progress", lambda: progress_table(data, project.actor.name, unit), unit
        ),
        hide_index=True,
        width="stretch",
        key="qc_int_progress",
        column_config={
            "share": st.column_config.ProgressColumn("Share", min_value=0.0, max_value=1.0, format="percent")
        },
    )


def _participants_shown(data: Any) -> pd.DataFrame:
    people = participant_table(data)
    first = ["label", "participant"]
    return people[first + [c for c in people.columns if c not in first]]


def _participants_table(project: Project, data: Any, version: int) -> None:
    st.subheader("Participants")
    tables.dataframe(
        state.derived(project, version, "interviews.participants", lambda: _participants_shown(data)),
        hide_index=True,
        width="stretch",
        key="qc_int_participants",
        names={"label": "Name", "participant": "Id"},
    )


def _memos_panel(project: Project) -> None:
    """The memos of one interview (read, add, edit your own): the Memos page lists all of them."""
    from .memos import memo_panel

    st.subheader("Interview memos")
    names = project.document_names()
    if not names:
        st.caption("No interviews yet.")
        return
    name = picker("Interview", names, key="qc_int_memo_document")  # type-ahead: a thousand interviews
    if name is not None:
        memo_panel(project, "document", name, key="qc_int_memo_new")
