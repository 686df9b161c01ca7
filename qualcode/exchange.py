"""Bring a REFI-QDA project (.qdpx from NVivo, ATLAS.ti, MAXQDA, QualCoder …) into a qualcode project.

The REFI file's codebook becomes ``codebook.yaml``; its text sources become documents
(segmented like any transcript); its codings keep their creating user, so agreement can be
computed on projects coded elsewhere.  It goes into a *fresh* project only: merging two
codebooks silently is how work gets lost.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .project import Project
from .refi.reader import RefiProject
from .segment import segment_many


def import_refi_into(project: Project, path: str | os.PathLike[str]) -> str:
    """Import a .qdpx (or bare .qde) into an empty project; returns a summary with every data-loss warning."""
    from .refi import import_qdpx

    project.require("supervisor", "import a whole REFI-QDA project")
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

    def store_rest() -> tuple[list[int], list[int], dict[str, Any]]:
        for doc in refi.documents:
            project.upsert_document(doc, source=f"{Path(path).name}#{doc.name}")
        ids = project.add_codings(refi.codings, source=str(Path(path).name))
        memo_ids = project.import_memos(refi.memos)
        summaries = project.import_framework_summaries(refi.framework_summaries)
        _keep_the_rest(project, refi, memo_ids)
        return ids, memo_ids, summaries

    # codebook.yaml is replaced only after everything is stored; a failure changes neither.
    ids, memo_ids, summaries = project.replace_codebook(
        refi.codebook, store_rest, undo=project.clear_project_data, what="import a whole REFI-QDA project"
    )
    lines = [
        f"Imported {len(refi.documents)} documents, {len(refi.codebook.codes)} codes, {len(ids)} codings "
        f"by {len(set(c.annotator for c in refi.codings))} users from {Path(path).name}"
        + (f", and {len(memo_ids)} memos." if memo_ids else ".")
    ]
    if summaries["imported"]:
        lines.append(f"Framework matrix: {summaries['imported']} summaries.")
    if summaries["skipped"]:
        lines.append(
            f"Warning: {len(summaries['skipped'])} framework summaries were not imported: "
            + ", ".join(summaries["skipped"][:10])
        )
    lines += [f"Warning: {w}" for w in refi.warnings]
    return "\n".join(lines)


def _keep_the_rest(project: Project, refi: RefiProject, memo_ids: list[int]) -> None:
    """Cases without documents, users without codings, the project's name and the other
    tool's GUIDs (written back on export, so that tool updates instead of duplicating)."""
    from .refi.common import GUID_PATTERN

    project.add_people(refi.participants, refi.users)
    kept = dict(refi.guids)
    kept.update(
        {("memo", str(i)): guid for i, guid in zip(memo_ids, refi.memo_guids) if GUID_PATTERN.match(guid or "")}
    )
    if refi.name:
        kept[("project", "name")] = refi.name
    project.remember_refi_ids(kept)


def import_codebook_into(project: Project, path: str | os.PathLike[str]) -> str:
    """Import a REFI-QDA codebook (``.qdc`` from Taguette, ATLAS.ti, MAXQDA, NVivo …) as
    ``codebook.yaml`` of a project that has no codes yet; returns a summary with every warning."""
    from .refi import import_qdc_with_guids

    project.require("supervisor", "import a REFI-QDA codebook")
    codebook, guids, warnings = import_qdc_with_guids(path)  # read and checked before anything is written
    current = project.codebook if project.codebook_path.exists() else None
    if current is not None and current.codes:
        raise ConfigError(
            f"{project.codebook_path.name} already has {len(current.codes)} codes; a REFI-QDA codebook is "
            "imported into a project without codes, so nothing is merged silently.",
            hint=f"Move {project.codebook_path.name} aside (or start a new project with qualcode init NEW) "
            f"and run the import again: qualcode import {Path(path).name}",
        )
    # codebook.yaml is replaced only after the database has the codes and the GUIDs.
    project.replace_codebook(codebook, lambda: project.remember_refi_ids(guids), what="import a REFI-QDA codebook")
    lines = [
        f"Imported {len(codebook.themes)} themes, {len(codebook.codes)} codes and "
        f"{len(codebook.cross_cutting)} cross-cutting themes from {Path(path).name} into {project.codebook_path.name}."
    ]
    return "\n".join(lines + [f"Warning: {w}" for w in warnings])


__all__ = ["import_codebook_into", "import_refi_into"]
