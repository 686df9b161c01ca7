"""The interviews folder: which files it holds, which stored transcripts it lost, and what
an import found (:class:`SyncReport`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputFileError, Problem
from .core import INTERVIEWS_DIR, ProjectCore

SPREADSHEET_SUFFIXES = (".csv", ".xlsx")


@dataclass
class SyncReport:
    codebook: dict[str, int] = field(default_factory=dict)
    documents: list[dict[str, Any]] = field(default_factory=list)
    codings_imported: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # imported anyway: no front matter, misspelt keys
    outside: list[str] = field(default_factory=list)  # "interviews/x.md -> /etc/passwd": never read
    # stored transcripts whose file is gone from the folder: (document, file, codings)
    missing: list[tuple[str, str, int]] = field(default_factory=list)
    # transcripts not imported, each its own unit (the good ones were): file -> what is wrong
    refused: dict[str, list[Problem]] = field(default_factory=dict)

    def not_imported(self) -> list[str]:
        """The transcript files this import refused (each named with its problems by :meth:`refused_error`)."""
        return list(self.refused)

    def refused_error(self) -> InputFileError | None:
        """One named error listing every problem of every refused file (None: nothing was refused)."""
        problems = [p for found in self.refused.values() for p in found]
        return InputFileError(problems) if problems else None

    def summary(self) -> str:
        added = sum(1 for d in self.documents if d["status"] == "added")
        changed = sum(1 for d in self.documents if d["status"] == "changed")
        detached = sum(d.get("detached", 0) for d in self.documents)
        parts = [
            f"codebook: {self.codebook.get('codes', 0)} entries",
            f"documents: {added} added, {changed} changed, {len(self.skipped)} unchanged",
        ]
        if self.codings_imported:
            parts.append("codings imported: " + ", ".join(f"{k} {v}" for k, v in self.codings_imported.items()))
        if detached:
            parts.append(f"{detached} codings detached (see 'qualcode status')")
        if self.outside:
            parts.append(self.outside_warning())
        if self.refused:
            n = len(self.refused)
            parts.append(f"not imported: {n} file{'' if n == 1 else 's'} ({', '.join(self.refused)}; see the error)")
        text = "; ".join(parts)
        if self.missing_warning():
            text += "\n" + self.missing_warning()
        return text

    def missing_warning(self) -> str:
        """What ``import`` says about transcripts that disappeared from the folder ("" if none)."""
        return missing_transcripts_warning(self.missing)

    def outside_warning(self) -> str:
        return (
            f"skipped {len(self.outside)} entr{'y' if len(self.outside) == 1 else 'ies'} of interviews/ that "
            f"point outside the project (not read): {', '.join(self.outside)}"
        )


def missing_transcripts_warning(missing: Sequence[tuple[str, str, int]]) -> str:
    if not missing:
        return ""
    coded = [m for m in missing if m[2]]
    listed = "; ".join(
        f"{source} (document '{name}', {n} coding{'' if n == 1 else 's'})" for name, source, n in missing
    )
    return (
        f"Warning: {len(missing)} imported transcript file{'' if len(missing) == 1 else 's'} "
        f"{'is' if len(missing) == 1 else 'are'} missing from the project folder: {listed}. "
        + (f"The {sum(m[2] for m in coded)} codings on them are kept in the database. " if coded else "")
        + "Put the file back (or restore it from git), or remove the interview on purpose "
        + f"(qualcode remove {' '.join(name for name, _, _ in missing)})."
    )


class FolderMixin(ProjectCore):
    def interview_files(self) -> list[Path]:
        from ..importers import SUPPORTED_SUFFIXES

        return self._folder_files(lambda p: p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith("."))

    def spreadsheet_files(self) -> list[Path]:
        return self._folder_files(
            lambda p: p.suffix.lower() in SPREADSHEET_SUFFIXES and not p.name.startswith(("~$", "."))
        )

    def _folder_files(self, wanted: Callable[[Path], bool]) -> list[Path]:
        """Files in interviews/ that ``wanted`` accepts, never one whose real location is outside
        the project (a symlink to /etc/passwd, or a symlinked folder): those are recorded in
        :attr:`outside_entries` and skipped."""
        if not self.interviews_dir.is_dir():
            return []
        found: list[Path] = []
        for path in sorted(self.interviews_dir.rglob("*")):
            linked_folder = path.is_symlink() and path.is_dir()  # rglob does not descend into it
            if not wanted(path) and not linked_folder:
                continue
            if self.outside_project(path):
                if path.is_symlink():
                    target = os.readlink(path)
                else:
                    target = str(path.resolve())
                entry = f"{self.relative_unresolved(path)} -> {target}"
                if entry not in self.outside_entries:
                    self.outside_entries.append(entry)
                continue
            if path.is_file() and wanted(path):
                found.append(path)
        return found

    def outside_project(self, path: Path) -> bool:
        """True when ``path`` (lying in the project folder) really points outside it."""
        try:
            Path(path).resolve().relative_to(self.root)
        except ValueError:
            return True
        return False

    def lies_in_project(self, path: Path) -> bool:
        """True when ``path`` is spelled as a place in the project folder (symlinks not followed)."""
        try:
            Path(os.path.abspath(path)).relative_to(self.root)
        except ValueError:
            return False
        return True

    def relative_unresolved(self, path: Path) -> str:
        try:
            return str(Path(os.path.abspath(path)).relative_to(self.root))
        except ValueError:
            return str(path)

    def missing_transcripts(self) -> list[tuple[str, str, int]]:
        """Stored transcripts whose file is no longer in the project folder: ``(document, file,
        codings)``.  Their codings are kept; ``import`` and ``status`` name them."""
        missing = []
        for name, source, codings in self.store.document_sources():
            # only files imported from the folder (REFI-QDA imports name their project instead)
            if not source or not (source.startswith(f"{INTERVIEWS_DIR}/") or Path(source).is_absolute()):
                continue
            if not (self.root / source).is_file():
                missing.append((name, source, codings))
        return missing

    def missing_files(self) -> list[dict[str, Any]]:
        """Interviews whose file disappeared from the project folder (still in the database and in
        every report until removed with :meth:`remove_interview`)."""
        return [
            {"document": name, "file": source, "codings": codings}
            for name, source, codings in self.missing_transcripts()
        ]
