"""Codings spreadsheets (CSV/XLSX): checked against the stored and new transcripts, then imported."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import InputFileError, Problem
from ..model import Coding, ParsedDocument
from .core import ProjectCore, file_sha256


class SpreadsheetsMixin(ProjectCore):
    def import_codings(self, path: Path | str, *, sha256: str | None = None, annotator: str | None = None) -> list[int]:
        """Import a codings spreadsheet (CSV/XLSX) in one transaction; returns new coding ids."""
        from ..codings_import import read_rows, resolve_rows

        path = Path(path)
        if not path.is_file():
            raise InputFileError(Problem("File not found.", path=str(path)))
        rel = self.relative(path)
        rows = read_rows(path)
        texts, documents_of = self._document_index()
        codings, numbers = resolve_rows(
            rows,
            path=rel,
            codebook=self.codebook,
            texts=texts,
            documents_of=documents_of,
            default_annotator=annotator or self.actor.name,
        )
        return self.store.add_codings(
            self.actor, codings, rows=numbers, source=rel, source_sha256=sha256 or file_sha256(path)
        )

    def _document_index(self, new_docs: Sequence[ParsedDocument] = ()) -> tuple[dict[str, str], dict[str, list[str]]]:
        """Texts by document name and document names by participant: stored, overlaid with ``new_docs``."""
        documents = self.store.documents_frame()
        participant_of = {
            name: str(pid) for name, pid in zip(documents["document"], documents["participant"]) if pid is not None
        }
        texts = {name: self.store.document_text(name) or "" for name in documents["document"]}
        for doc in new_docs:
            texts[doc.name] = doc.text
            participant_of.pop(doc.name, None)
            if doc.participant is not None:
                participant_of[doc.name] = str(doc.participant.id)
        documents_of: dict[str, list[str]] = {}
        for name, pid in participant_of.items():
            documents_of.setdefault(pid, []).append(name)
        return texts, documents_of

    def check_spreadsheets(
        self, paths: Sequence[Path | str], new_docs: Sequence[ParsedDocument] = ()
    ) -> dict[Path, tuple[list[Coding], list[int]]]:
        """Check codings spreadsheets against the stored transcripts and ``new_docs`` (not yet
        stored); raise one InputFileError for every bad row of every sheet.  Stores nothing;
        returns each sheet's resolved codings and their row numbers."""
        from ..codings_import import read_rows, resolve_rows

        resolved: dict[Path, tuple[list[Coding], list[int]]] = {}
        if not paths:
            return resolved
        texts, documents_of = self._document_index(new_docs)
        problems: list[Problem] = []
        for path in map(Path, paths):
            if not path.is_file():
                problems.append(Problem("File not found.", path=str(path)))
                continue
            try:
                resolved[path] = resolve_rows(
                    read_rows(path),
                    path=self.relative(path),
                    codebook=self.codebook,
                    texts=texts,
                    documents_of=documents_of,
                    default_annotator=self.actor.name,
                )
            except InputFileError as exc:
                problems.extend(exc.problems)
        if problems:
            raise InputFileError(problems)
        return resolved
