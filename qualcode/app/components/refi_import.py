"""Import from another tool: a REFI-QDA project (.qdpx) or codebook (.qdc), supervisors only.

The same import as ``qualcode import FILE.qdpx|FILE.qdc``, with the same summary and the same
warnings (each one a line, with counts); a bad file shows its named error and stores nothing.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from pathlib import Path

import streamlit as st

from ...errors import InputFileError, Problem, QualcodeError
from ...project import Project
from .. import state

OPEN_KEY = "qc_refi_open"
KINDS = {".qdpx": "project", ".qde": "project", ".qdc": "codebook"}


def import_upload(project: Project, name: str, content: bytes) -> str:
    """Import one uploaded REFI-QDA file; returns the CLI's summary (first line) and warnings."""
    from ...exchange import import_codebook_into, import_refi_into

    project.require("supervisor", "import from another tool")
    suffix = Path(name).suffix.lower()
    if suffix not in KINDS:
        raise InputFileError(
            Problem(
                "is not a REFI-QDA file.",
                path=name,
                hint="Choose a project export (.qdpx) or a codebook (.qdc) from NVivo, ATLAS.ti, MAXQDA, Taguette …",
            )
        )
    # Read from a private temporary copy (the importers check the archive before storing anything).
    with tempfile.TemporaryDirectory(prefix="qualcode-refi-") as folder:
        # the upload's own name (no folders, plain characters), so messages name it
        path = Path(folder) / (re.sub(r"[^\w.\- ]", "_", Path(name).name).lstrip(".") or "upload" + suffix)
        path.write_bytes(content)
        try:
            if KINDS[suffix] == "codebook":
                return import_codebook_into(project, path)
            return import_refi_into(project, path)
        except InputFileError as exc:  # name the upload, not the temporary copy
            problems = [
                dataclasses.replace(p, path=p.path.replace(str(path), name)) if p.path else p for p in exc.problems
            ]
            raise InputFileError(problems) from None


def render(project: Project) -> None:
    """The import section (nothing for annotators)."""
    if not project.actor.at_least("supervisor"):
        return
    # Drawn only while open (on_change=rerun): the uploader is not laid out on every visit.
    box = st.expander(
        "Import from another tool (REFI-QDA .qdpx project or .qdc codebook)", key=OPEN_KEY, on_change="rerun"
    )
    if box.open is False:
        return
    with box:
        st.caption(
            "A project goes into a project without documents or codes; a codebook into one without codes. "
            "Positions NVivo counts in UTF-16 are converted; everything that cannot come across is listed."
        )
        with st.form("qc_refi_import", clear_on_submit=True):
            upload = st.file_uploader("REFI-QDA file", type=["qdpx", "qdc", "qde"], key="qc_refi_file")
            submitted = st.form_submit_button("Import")
        if submitted and upload is not None:
            try:
                summary = import_upload(project, upload.name, upload.getvalue())
            except QualcodeError as exc:
                state.show_error(exc)
            else:
                head, *warnings = summary.splitlines()
                st.success(state.escape_md(head))
                for warning in warnings:
                    st.warning(state.escape_md(warning))


__all__ = ["import_upload", "render"]
