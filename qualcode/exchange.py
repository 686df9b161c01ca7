"""Bring a REFI-QDA project (.qdpx from NVivo, ATLAS.ti, MAXQDA, QualCoder …) into a qualcode project.

The REFI file's codebook becomes ``codebook.yaml``; its text sources become documents
(segmented like any transcript); its codings keep their creating user, so agreement can be
computed on projects coded elsewhere.  It goes into a *fresh* project only: merging two
codebooks silently is how work gets lost.
"""

from __future__ import annotations

import os
from pathlib import Path

from .codebook import dump_codebook
from .errors import ConfigError
from .project import Project
from .segment import segment_many


def import_refi_into(project: Project, path: str | os.PathLike[str]) -> str:
    """Import a .qdpx (or bare .qde) into an empty project; returns a summary with every data-loss warning."""
    from .refi import import_qdpx

    project.require("admin", "import a whole REFI-QDA project")
    refi = import_qdpx(path)  # reads and validates everything before anything is written
    counts = project.counts()
    current = project.codebook if project.codebook_path.exists() else None
    if counts["documents"] or counts["codings"] or (current is not None and current.codes):
        raise ConfigError(
            f"This project already has {counts['documents']} documents, {counts['codings']} codings and "
            f"{len(current.codes) if current else 0} codes; a REFI-QDA project is imported into a fresh one.",
            hint=f"Run: qualcode init NEW && qualcode --project NEW import {Path(path).name}",
        )
    segments = segment_many([d.text for d in refi.documents], [d.language for d in refi.documents])
    for doc, segs in zip(refi.documents, segments):
        doc.segments = segs
    original = project.codebook_path.read_bytes() if project.codebook_path.exists() else None
    try:
        _atomic_write(project.codebook_path, dump_codebook(refi.codebook).encode("utf-8"))
        project.invalidate_codebook()
        project.sync_codebook()
        for doc in refi.documents:
            project.upsert_document(doc, source=f"{Path(path).name}#{doc.name}")
        ids = project.add_codings(refi.codings, source=str(Path(path).name))
    except BaseException:
        # The project was empty: undo everything this import wrote, file and database.
        project.clear_project_data()
        if original is None:
            project.codebook_path.unlink(missing_ok=True)
        else:
            _atomic_write(project.codebook_path, original)
        project.invalidate_codebook()
        if original is not None:
            project.sync_codebook()
        raise
    lines = [
        f"Imported {len(refi.documents)} documents, {len(refi.codebook.codes)} codes, {len(ids)} codings "
        f"by {len(set(c.annotator for c in refi.codings))} users from {Path(path).name}."
    ]
    lines += [f"Warning: {w}" for w in refi.warnings]
    return "\n".join(lines)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.refi.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


__all__ = ["import_refi_into"]
