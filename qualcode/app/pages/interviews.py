"""Interviews page: upload transcripts into the project's interviews/ folder and import them;
the participants table.

Uploads are untrusted: the file name is reduced to a plain name (no folders, no '..', no
leading dot, only letters, digits, space, '.', '-' and '_'), the file is written only
inside ``interviews/``, an existing file is replaced only when the user confirms, and if
the import fails every file written is restored, so nothing is left half-imported.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd
import streamlit as st

from ...errors import InputFileError, Problem, QualcodeError
from ...fileio import atomic_write
from ...frames import AnalysisData
from ...importers import SUPPORTED_SUFFIXES
from ...project import Project
from ...reports import participant_table
from ...vocabulary import SEGMENT_KINDS
from .. import state
from ..components import refi_import, tables

MAX_NAME_LENGTH = 120
_UNSAFE = re.compile(r"[^\w .\-]", re.UNICODE)


def safe_file_name(name: str) -> str:
    """A plain file name from an uploaded file's name, or raise InputFileError.

    >>> safe_file_name("../../etc/passwd.md"), safe_file_name("C:\\\\x\\\\Int A?.docx")
    ('passwd.md', 'Int A_.docx')
    """
    base = unicodedata.normalize("NFC", str(name)).replace("\\", "/").split("/")[-1]
    base = _UNSAFE.sub("_", base).strip(" .")
    base = re.sub(r"\.{2,}", ".", base)
    suffix = Path(base).suffix.lower()
    if not base or base.startswith(".") or not Path(base).stem.strip(" ._"):
        raise InputFileError(
            Problem(
                f"The file name '{name}' is not usable.",
                path=str(name),
                hint="Rename the file, e.g. 'interview_A.md', and upload it again.",
            )
        )
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputFileError(
            Problem(
                f"'{name}' is not a transcript type qualcode reads.",
                path=str(name),
                hint=f"Supported: {', '.join(SUPPORTED_SUFFIXES)}.",
            )
        )
    if len(base) > MAX_NAME_LENGTH:
        base = Path(base).stem[: MAX_NAME_LENGTH - len(suffix)] + suffix
    return base


def target_path(project: Project, name: str) -> Path:
    """Where an upload goes: directly inside interviews/, never anywhere else (a symlinked
    interviews/ folder or a symlink planted under the upload's name is refused)."""
    folder = project.interviews_dir.resolve()
    if project.outside_project(project.interviews_dir):
        raise InputFileError(
            Problem(
                f"Refusing to write '{name}': interviews/ points outside the project (to {folder}).",
                path=str(name),
                hint="Replace the symlinked interviews/ folder with a real folder.",
            )
        )
    path = (folder / safe_file_name(name)).resolve()
    if path.parent != folder:
        raise InputFileError(Problem(f"Refusing to write '{name}' outside the interviews folder.", path=str(name)))
    return path


def write_new_file(folder: Path, name: str, content: bytes) -> None:
    """Write ``content`` to ``folder/name`` through a fresh temporary file (``mkstemp``:
    O_CREAT|O_EXCL, so never through a planted symlink), then rename it into place (a rename
    replaces a symlink at ``name`` itself, never the file it points to)."""
    atomic_write(folder / name, content)


def save_and_import(project: Project, files: list[tuple[str, bytes]], *, overwrite: bool) -> list[dict]:
    """Write the uploads under interviews/ and import them in one go; undo the writes on failure."""
    project.store.require(project.actor, "supervisor", "add interviews")
    targets: list[tuple[Path, bytes]] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    for name, content in files:
        try:
            path = target_path(project, name)
        except InputFileError as exc:
            problems.extend(exc.problems)
            continue
        if path in seen:
            problems.append(Problem(f"Two uploads are both named '{path.name}'.", path=name))
        elif path.exists() and not overwrite:
            problems.append(
                Problem(
                    f"interviews/{path.name} already exists.",
                    path=name,
                    hint="Tick 'Replace existing files' to overwrite it (its codings are "
                    "re-anchored to the new text), or rename the upload.",
                )
            )
        seen.add(path)
        targets.append((path, content))
    if problems:
        raise InputFileError(problems)
    project.interviews_dir.mkdir(parents=True, exist_ok=True)
    backups: dict[Path, bytes | None] = {}
    try:
        for path, content in targets:
            backups[path] = path.read_bytes() if path.exists() else None
            write_new_file(path.parent, path.name, content)
        report = project.import_transcripts([p for p, _ in targets])
    except BaseException:
        for path, old in backups.items():
            if old is None:
                path.unlink(missing_ok=True)
            else:
                write_new_file(path.parent, path.name, old)
        raise
    return report.documents


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
        state.flash("success", "Undid your last coding change.")


def _remove_panel(project: Project) -> None:
    with st.expander("Remove an interview"):
        names = project.store.document_names()
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


def progress_table(data: AnalysisData, annotator: str, unit: str) -> pd.DataFrame:
    """Per interview: how many segments of ``unit`` the annotator has coded (any overlap)."""
    from .code import coded_segments

    segments = data.segments.loc[data.segments["kind"] == unit]
    codings = data.codings.loc[data.codings["annotator"] == annotator]
    by_doc_codings = dict(tuple(codings.groupby("document"))) if not codings.empty else {}
    by_doc_segments = dict(tuple(segments.groupby("document"))) if not segments.empty else {}
    rows = []
    for name in data.documents["document"]:
        segs = by_doc_segments.get(name, segments.iloc[0:0])
        coded = int(coded_segments(segs, by_doc_codings.get(name, codings.iloc[0:0])).sum())
        total = len(segs)
        rows.append(
            {
                "document": name,
                f"{unit}s": total,
                "coded": coded,
                "uncoded": total - coded,
                "share": coded / total if total else 0.0,
            }
        )
    return pd.DataFrame(rows, columns=["document", f"{unit}s", "coded", "uncoded", "share"])


def render() -> None:
    project = state.user_project()
    opened = state.open_project()
    st.header("Interviews")
    if opened.sync_error:
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
                results = save_and_import(project, [(f.name, f.getvalue()) for f in uploads], overwrite=overwrite)
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
            try:
                report = project.sync()
            except QualcodeError as exc:
                state.show_error(exc)
                opened.sync_error, opened.not_imported = str(exc), state.refused_files(project, exc)
            else:
                state.flash("success", report.summary())
                opened.sync_error, opened.not_imported, opened.sync_report = None, [], report
                st.rerun()
        refi_import.render(project)
        _remove_panel(project)
    else:
        st.caption("Supervisors add interviews.")
    missing = project.missing_files()
    if missing:
        st.warning(
            f"{len(missing)} interview file(s) disappeared from the project folder; they are still in every "
            "report until you remove them (below, or: qualcode remove NAME)."
        )
        tables.dataframe(
            pd.DataFrame([(m["document"], m["file"]) for m in missing], columns=["Interview", "Missing file"]),
            hide_index=True,
            width="stretch",
            key="qc_int_missing",
        )
    with state.user_errors():
        docs = state.documents(project.store)
        st.subheader(f"Interviews ({len(docs)})")
        tables.dataframe(docs, hide_index=True, width="stretch", key="qc_int_documents")
        data = state.cached_analysis(project)
        st.subheader("Your coding progress")
        unit = st.selectbox("Unit", SEGMENT_KINDS, key="qc_int_unit")
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
