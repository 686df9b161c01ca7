"""Transcripts uploaded through the app, into the project's interviews/ folder.

Uploads are untrusted: the file name is reduced to a plain name (no folders, no '..', no
leading dot, only letters, digits, space, '.', '-' and '_'), the file is written only
inside ``interviews/``, an existing file is replaced only when the user confirms, and if
the import fails every file written is restored, so nothing is left half-imported.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputFileError, Problem
from .importers import SUPPORTED_SUFFIXES

if TYPE_CHECKING:
    from .project import Project

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
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, folder / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_and_import(
    project: Project,
    files: list[tuple[str, bytes]],
    *,
    overwrite: bool,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Write the uploads under interviews/ and import them in one go; undo the writes on failure.
    ``progress(label, done, total)`` as the files are written and imported."""
    project.require("supervisor", "add interviews")
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
        for i, (path, content) in enumerate(targets):
            backups[path] = path.read_bytes() if path.exists() else None
            write_new_file(path.parent, path.name, content)
            if progress is not None:
                progress("Saving files", i + 1, len(targets))
        report = project.import_transcripts([p for p, _ in targets], progress=progress, all_or_nothing=True)
    except BaseException:
        for path, old in backups.items():
            if old is None:
                path.unlink(missing_ok=True)
            else:
                write_new_file(path.parent, path.name, old)
        raise
    return report.documents


__all__ = ["MAX_NAME_LENGTH", "safe_file_name", "save_and_import", "target_path", "write_new_file"]
