"""Importing: the whole folder (:meth:`ImportsMixin.sync`), named files, transcripts and the
codings in their Word comments; everything is checked before anything is stored."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..errors import CodingError, InputFileError, Problem, did_you_mean
from ..model import Codebook, Coding, ParsedDocument
from ..slug import slugify
from ..store import LOCAL_ADMIN
from .core import file_sha256
from .folder import SPREADSHEET_SUFFIXES, FolderMixin, SyncReport
from .spreadsheets import SpreadsheetsMixin

if TYPE_CHECKING:
    from . import Project

Progress = Callable[[str, int, int], None]  # (label, done, total)

# ("transcripts", SyncReport) | ("codings", (path, n)) | ("refi", summary) | ("codebook", summary)
ImportStep = Callable[[str, Any], None]


@dataclass
class ImportResult:
    """What :meth:`Project.import_paths` stored, step by step."""

    transcripts: SyncReport | None = None
    codings: dict[Path, int] = field(default_factory=dict)  # spreadsheet -> codings imported
    refi: list[str] = field(default_factory=list)  # one summary per REFI-QDA project
    codebooks: list[str] = field(default_factory=list)  # one summary per REFI-QDA codebook (.qdc)


class ImportsMixin(SpreadsheetsMixin, FolderMixin):
    def sync(
        self, *, progress: Progress | None = None, force: bool = False, create_unknown_codes: bool = False
    ) -> SyncReport:
        """Bring the database up to date with the folder: codebook, transcripts, codings spreadsheets.

        Everything is read and checked first.  Each transcript is its own unit: a bad one is
        left out and listed in ``report.refused`` (with its located problems), the good ones are
        stored.  A bad codings spreadsheet stores nothing: one error lists every problem.
        """
        from ..store.core import new_step

        report = SyncReport()
        step = new_step()  # the codings of one import are undone as one step
        codebook = self.refresh_codebook()  # the file as it is now, validated before anything is written
        self.outside_entries = []
        sheets: list[tuple[Path, str]] = []
        for sheet in self.spreadsheet_files():
            rel = self.relative(sheet)
            sha = file_sha256(sheet)
            if not force and self.store.import_source_sha(rel) == sha:
                report.skipped.append(rel)
                continue
            sheets.append((sheet, sha))
        report.codebook = self.store.sync_codebook(codebook)
        # The spreadsheets are checked against the stored and the new transcripts before any
        # transcript is stored, so a bad spreadsheet leaves the new transcripts out too.
        checked: dict[Path, tuple[list[Coding], list[int]]] = {}

        def check(docs: list[ParsedDocument]) -> None:
            checked.update(self.check_spreadsheets([s for s, _ in sheets], docs))

        self.import_transcripts(
            self.interview_files(),
            progress=progress,
            force=force,
            report=report,
            create_unknown_codes=create_unknown_codes,
            before_store=check,
            step=step,
        )
        for sheet, sha in sheets:  # store what was checked above (resolved once, not twice)
            codings, rows = checked[sheet]
            rel = self.relative(sheet)
            report.codings_imported[rel] = len(
                self.store.add_codings(self.actor, codings, rows=rows, source=rel, source_sha256=sha, step=step)
            )
        if report.documents or report.codings_imported:
            self.store.analyze()  # fresh planner statistics after bulk changes
        report.outside += [e for e in self.outside_entries if e not in report.outside]
        report.missing = self.missing_transcripts()
        return report

    def import_paths(
        self,
        paths: Sequence[Path | str],
        *,
        codings: Sequence[Path | str] = (),
        progress: Progress | None = None,
        force: bool = False,
        create_unknown_codes: bool = False,
        on_step: ImportStep | None = None,
    ) -> ImportResult:
        """Import the named files: transcripts (and folders of them), codings spreadsheets
        (``.csv``/``.xlsx``, and every one of ``codings``), REFI-QDA projects (``.qdpx``/``.qde``) and
        REFI-QDA codebooks (``.qdc``).

        Every sheet is checked (against the stored and the new transcripts) before anything is
        stored: a bad sheet leaves the transcripts and the other sheets out too.  A bad transcript
        is left out alone (``result.transcripts.refused``).  ``on_step``
        hears of each step as soon as it is stored (the CLI prints it).
        """
        from ..importers import SUPPORTED_SUFFIXES

        self.sync_codebook()
        transcripts: list[Path] = []
        sheets = [Path(c) for c in codings]
        refi: list[Path] = []
        codebooks: list[Path] = []
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                transcripts += sorted(p for p in path.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES)
            elif path.suffix.lower() in SPREADSHEET_SUFFIXES:
                sheets.append(path)
            elif path.suffix.lower() in (".qdpx", ".qde"):  # a REFI-QDA project, zipped or bare
                refi.append(path)
            elif path.suffix.lower() == ".qdc":  # a REFI-QDA codebook
                codebooks.append(path)
            else:
                transcripts.append(path)
        result = ImportResult()
        step: ImportStep = on_step or (lambda kind, value: None)

        def check_sheets(docs: list[ParsedDocument]) -> None:
            self.check_spreadsheets(sheets, docs)

        if transcripts:
            result.transcripts = self.import_transcripts(
                transcripts,
                progress=progress,
                force=force,
                create_unknown_codes=create_unknown_codes,
                before_store=check_sheets,
            )
            step("transcripts", result.transcripts)
        else:
            self.check_spreadsheets(sheets)
        for sheet in sheets:
            result.codings[sheet] = len(self.import_codings(sheet))
            step("codings", (sheet, result.codings[sheet]))
        for archive in refi:
            from ..exchange import import_refi_into

            result.refi.append(import_refi_into(cast("Project", self), archive))
            step("refi", result.refi[-1])
        for codebook_file in codebooks:
            from ..exchange import import_codebook_into

            result.codebooks.append(import_codebook_into(cast("Project", self), codebook_file))
            step("codebook", result.codebooks[-1])
        return result

    def import_transcripts(
        self,
        paths: Sequence[Path],
        *,
        progress: Progress | None = None,
        force: bool = False,
        report: SyncReport | None = None,
        create_unknown_codes: bool = False,
        before_store: Callable[[list[ParsedDocument]], None] | None = None,
        step: str | None = None,
        all_or_nothing: bool = False,
    ) -> SyncReport:
        """Read, check and store transcripts, each its own unit: a file that cannot be read or is
        refused (a date that does not exist, bytes that are not text, a comment naming an unknown
        code, a name another new file gives too) is listed in ``report.refused`` with its located
        problems, and nothing of it is stored; the good files are imported.  With
        ``all_or_nothing`` (uploads) one bad file refuses them all, with one InputFileError.

        ``before_store(docs)`` may raise InputFileError to veto the whole import after the good
        files were read and checked, before anything is stored (a bad codings spreadsheet)."""
        report = report or SyncReport()
        refused: dict[str, list[Problem]] = {}
        todo = self._transcripts_to_read(paths, force, report, refused)
        good = _read_transcripts(todo, refused)
        _refuse_same_names(good, refused)
        good = [(item, doc) for item, doc in good if item[1] not in refused]
        embedded, unknown = self._resolve_embedded_codings(good, refused, create_unknown_codes)
        kept = [i for i, (item, _) in enumerate(good) if item[1] not in refused]
        good, embedded = [good[i] for i in kept], [embedded[i] for i in kept]
        problems = [p for found in refused.values() for p in found]
        if all_or_nothing and problems:
            raise InputFileError(problems)
        docs = [doc for _, doc in good]
        if before_store is not None:
            try:
                before_store(docs)
            except InputFileError as exc:  # a bad sheet holds back the whole import
                raise InputFileError(problems + exc.problems) from None
        self._create_codes({label: slug for label, slug in unknown.items() if slug not in self.codebook.codes})
        self._store_transcripts(
            good, embedded, report, refused, progress=progress, step=step, all_or_nothing=all_or_nothing
        )
        for rel, found in refused.items():
            report.refused.setdefault(rel, []).extend(found)
        return report

    def _transcripts_to_read(
        self, paths: Sequence[Path], force: bool, report: SyncReport, refused: dict[str, list[Problem]]
    ) -> list[tuple[Path, str, str]]:
        """(path, relative path, sha256) of each file to read: links out of the project, missing
        files (``refused``) and files unchanged since their import (unless ``force``) are not."""
        todo: list[tuple[Path, str, str]] = []
        for path in paths:
            path = Path(path)
            if self.lies_in_project(path) and self.outside_project(
                path
            ):  # e.g. interviews/x.md -> /etc/passwd: never read
                entry = f"{self.relative_unresolved(path)} -> {os.path.realpath(path)}"
                if entry not in report.outside:
                    report.outside.append(entry)
                continue
            if not path.is_file():
                refused.setdefault(str(path), []).append(
                    Problem("File not found.", path=str(path), hint="Check the path; transcripts live in interviews/.")
                )
                continue
            rel = self.relative(path)
            sha = file_sha256(path)
            if not force and self.store.import_source_sha(rel) == sha:
                report.skipped.append(rel)
                continue
            todo.append((path, rel, sha))
        return todo

    def _store_transcripts(
        self,
        good: list[tuple[tuple[Path, str, str], ParsedDocument]],
        embedded: list[list[Coding]],
        report: SyncReport,
        refused: dict[str, list[Problem]],
        *,
        progress: Progress | None,
        step: str | None,
        all_or_nothing: bool,
    ) -> None:
        """Store each checked transcript with its comments' codings (both or neither); a file
        whose codings are refused is left out (``refused``), or, ``all_or_nothing``, raises."""
        for i, (((_path, rel, sha), doc), codings) in enumerate(zip(good, embedded)):
            doc.source_path = rel
            try:  # the transcript and its comments' codings: both or neither
                stored, ids = self.store.upsert_document_with_codings(
                    self.actor,
                    doc,
                    codings,
                    coder=LOCAL_ADMIN if self.actor.local else self.actor,
                    source=rel,
                    source_sha256=sha,
                    codings_source=f"{rel}#comments",
                    step=step,
                )
            except (CodingError, InputFileError) as exc:  # this file's codings refused: the file is left out
                if all_or_nothing:
                    raise
                refused.setdefault(rel, []).extend(replace(p, path=p.path or rel) for p in exc.problems)
                continue
            report.documents.append(stored)
            report.warnings.extend(str(w) for w in doc.warnings)  # of the files imported
            if codings:
                report.codings_imported[f"{rel} (comments)"] = len(ids)
            if progress:
                progress("Importing interviews", i + 1, len(good))

    def _resolve_embedded_codings(
        self,
        good: list[tuple[tuple[Path, str, str], ParsedDocument]],
        refused: dict[str, list[Problem]],
        create_unknown: bool,
    ) -> tuple[list[list[Coding]], dict[str, str]]:
        """Word/Google Docs comments name codes by id, label or alias: resolve them, or refuse the
        file naming an unknown one (``refused``).  Returns each file's codings and, with
        ``create_unknown``, the codes to create (label -> id) for the files not refused."""
        codebook = self.codebook
        result: list[list[Coding]] = []
        unknown: dict[str, str] = {}
        wanted: list[set[str]] = []
        for (_path, rel, _), doc in good:
            resolved: list[Coding] = []
            names_new: set[str] = set()
            for c in doc.codings:
                # The comment's first line names the code; further lines are the coder's memo.
                name, _, rest = c.code.strip().partition("\n")
                name = name.strip()
                memo = "\n".join(x for x in (rest.strip(), c.memo) if x)
                code = codebook.resolve(name)
                if code is None and create_unknown:
                    if name not in unknown:
                        unknown[name] = _new_code_id(name, codebook, unknown.values())
                    code = unknown[name]
                    names_new.add(name)
                if code is None:
                    names = list(codebook.codes) + [x.label for x in codebook.codes.values()]
                    refused.setdefault(rel, []).append(
                        Problem(
                            f"Comment by '{c.annotator}' names unknown code '{name}'.",
                            path=rel,
                            field="comment",
                            hint=(did_you_mean(name, names) or "")
                            + " Fix the comment, add the code to codebook.yaml, or import with --create-codes "
                            "to create it under 'Uncategorised'.",
                        )
                    )
                    continue
                resolved.append(Coding(doc.name, c.start, c.end, code, c.annotator, memo, "imported"))
            result.append(resolved)
            wanted.append(names_new)
        needed = {n for ((_, rel, _), _doc), names in zip(good, wanted) if rel not in refused for n in names}
        return result, {label: slug for label, slug in unknown.items() if label in needed}

    def _create_codes(self, new: dict[str, str]) -> None:
        """Add the codes (label -> id) Word comments named to codebook.yaml and the database as
        one unit (a codebook edit: the database commits first, then the file is written; a
        failure changes neither; ``undo`` takes them back)."""
        if not new:
            return

        def add(handle: Any) -> dict[str, Any]:
            for label, slug in new.items():
                handle.add_code(slug, label, None, description="Created from a Word comment during import.")
            return {"action": "add", "id": ", ".join(new.values()), "before": None, "after": dict(new)}

        cast("Project", self)._edit_codebook(add)

    def add_interview_files(
        self, files: list[tuple[str, bytes]], *, overwrite: bool = False, progress: Progress | None = None
    ) -> list[dict[str, Any]]:
        """Write uploaded transcripts ``(file name, content)`` into interviews/ and import them in one
        go (supervisors); every file written is restored if the import fails.  See :mod:`qualcode.uploads`."""
        from ..uploads import save_and_import

        return save_and_import(cast("Project", self), files, overwrite=overwrite, progress=progress)


def _new_code_id(name: str, codebook: Codebook, new_ids: Iterable[str]) -> str:
    """The id for a code named only in a Word comment: its slug, which may be an existing code's
    id (the comment then codes that code), else unique among the codes this import creates."""
    base = slugify(name)
    if base in codebook.codes:
        return base
    taken = set(new_ids) | set(codebook.codes)
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def _read_transcripts(
    todo: list[tuple[Path, str, str]], refused: dict[str, list[Problem]]
) -> list[tuple[tuple[Path, str, str], ParsedDocument]]:
    """Read the files; one that cannot be read is listed in ``refused`` with its problems."""
    from ..importers import read_each

    results = read_each([p for p, _, _ in todo]) if todo else []
    good: list[tuple[tuple[Path, str, str], ParsedDocument]] = []
    for item, result in zip(todo, results):
        if isinstance(result, InputFileError):
            refused.setdefault(item[1], []).extend(result.problems)
        else:
            good.append((item, result))
    return good


def _refuse_same_names(
    good: list[tuple[tuple[Path, str, str], ParsedDocument]], refused: dict[str, list[Problem]]
) -> None:
    """Files giving the same document name: which one is meant is the user's call, so neither
    is imported (each is listed in ``refused``)."""
    by_name: dict[str, list[str]] = {}
    for (_path, rel, _), doc in good:
        by_name.setdefault(doc.name, []).append(rel)
    for name, rels in by_name.items():
        if len(rels) > 1:  # which one is meant is the user's call: neither is imported
            for rel in rels:
                refused.setdefault(rel, []).append(
                    Problem(
                        f"Two files give the same document name '{name}' ({' and '.join(rels)}).",
                        path=rel,
                        hint="Rename one of them; the file stem is the document name.",
                    )
                )
