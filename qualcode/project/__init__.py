"""A qualcode project folder: ``codebook.yaml``, ``interviews/`` and the state folder ``.qualcode/``.

:class:`Project` ties the codebook file, the importers and the :class:`~qualcode.store.Store`
together.  The CLI and the Streamlit app are thin shells over it; so is a Jupyter notebook::

    from qualcode.project import Project
    from qualcode import reports
    p = Project.open("path/to/project")
    p.sync()                                   # codebook + interviews + codings spreadsheets
    reports.theme_table(p.analysis_data())     # a pandas DataFrame
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import (
    CodebookError,
    CodingError,
    ConfigError,
    ConflictError,
    InputFileError,
    Problem,
    UndoRefused,
    did_you_mean,
    valid_list,
)
from ..fileio import atomic_write
from ..frames import AnalysisData
from ..model import Codebook, Coding, ParsedDocument, Participant
from ..slug import slugify
from ..store import CONSENSUS, LOCAL_ADMIN, Actor, Snapshot, Store, sqlite_url
from .workbench import WorkbenchMixin

STATE_DIR = ".qualcode"
CODEBOOK_FILE = "codebook.yaml"
INTERVIEWS_DIR = "interviews"
DATABASE_ENV = "QUALCODE_DATABASE_URL"
SPREADSHEET_SUFFIXES = (".csv", ".xlsx")

Progress = Callable[[str, int, int], None]  # (label, done, total)

STARTER_CODEBOOK = """\
# qualcode codebook: themes → sub-themes → codes.  See docs/codebook-format.md.
title: New qualcode project
themes:
  - id: uncategorised
    label: Uncategorised
    description: Codes created while coding, not yet placed in a theme.
    codes: []
cross_cutting: []
"""


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


# ("transcripts", SyncReport) | ("codings", (path, n)) | ("refi", summary) | ("codebook", summary)
ImportStep = Callable[[str, Any], None]


@dataclass
class ImportResult:
    """What :meth:`Project.import_paths` stored, step by step."""

    transcripts: SyncReport | None = None
    codings: dict[Path, int] = field(default_factory=dict)  # spreadsheet -> codings imported
    refi: list[str] = field(default_factory=list)  # one summary per REFI-QDA project
    codebooks: list[str] = field(default_factory=list)  # one summary per REFI-QDA codebook (.qdc)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find_root(start: Path | str = ".") -> Path:
    """The nearest folder at or above ``start`` holding ``codebook.yaml`` (else ``start`` itself)."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / CODEBOOK_FILE).is_file():
            return folder
    return start


class _LoadedCodebook:
    """The parsed codebook.yaml and the SHA-256 of the bytes it was parsed from, shared by a
    project and its :meth:`Project.as_user` views (one assignment, so readers never see a torn pair)."""

    def __init__(self) -> None:
        self.value: tuple[Codebook, str] | None = None


class Project(WorkbenchMixin):
    def __init__(self, root: Path, store: Store, actor: Actor) -> None:
        self.root = root
        self.store = store
        self.actor = actor
        self._loaded = _LoadedCodebook()
        self._pinned: tuple[str | None] | None = None  # as_of(sha): the version edits must start from
        # interviews/ entries skipped because they point outside the project (symlinks)
        self.outside_entries: list[str] = []

    @property
    def _codebook(self) -> Codebook | None:
        return None if self._loaded.value is None else self._loaded.value[0]

    @_codebook.setter
    def _codebook(self, value: None) -> None:  # old spelling of invalidate_codebook(), kept for callers
        if value is not None:
            raise TypeError("set the codebook by editing codebook.yaml; only None (forget it) is allowed")
        self.invalidate_codebook()

    @property
    def _codebook_sha(self) -> str | None:
        return None if self._loaded.value is None else self._loaded.value[1]

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls, root: Path | str = ".", *, database_url: str | None = None, actor: Actor | None = None, create: bool = True
    ) -> Project:
        root = Path(root).resolve()
        if not root.is_dir():
            raise ConfigError(f"Project folder '{root}' does not exist.", hint="Create it with 'qualcode init DIR'.")
        url = database_url or os.environ.get(DATABASE_ENV)
        if not url:
            state = root / STATE_DIR
            state.mkdir(exist_ok=True)
            url = sqlite_url(state / "qualcode.db")
        project = cls(root, Store(url, create=create), actor or LOCAL_ADMIN)
        if create:
            project.reconcile_codebook()
        return project

    @classmethod
    def init(cls, root: Path | str, **kwargs: Any) -> Project:
        """Create the folder structure of a new project (existing files are left as they are)."""
        root = Path(root).resolve()
        root.mkdir(parents=True, exist_ok=True)
        (root / INTERVIEWS_DIR).mkdir(exist_ok=True)
        (root / STATE_DIR).mkdir(exist_ok=True)
        if not (root / CODEBOOK_FILE).exists():
            (root / CODEBOOK_FILE).write_text(STARTER_CODEBOOK, encoding="utf-8")
        gitignore = root / ".gitignore"
        lines = gitignore.read_text(encoding="utf-8").splitlines() if gitignore.exists() else []
        wanted = [entry for entry in (f"{STATE_DIR}/", f"{CODEBOOK_FILE}.lock") if entry not in lines]
        if wanted:
            gitignore.write_text("\n".join(lines + wanted) + "\n", encoding="utf-8")
        return cls.open(root, **kwargs)

    def as_user(self, actor: Actor) -> Project:
        """The same project seen by another user (shares the store and the loaded codebook)."""
        other = Project(self.root, self.store, actor)
        other._loaded = self._loaded
        return other

    def as_of(self, codebook_sha: str | None) -> Project:
        """The same project whose codebook edits apply only while ``codebook.yaml`` is still the
        version ``codebook_sha`` (the one a page showed the user); otherwise they raise the
        "changed since you loaded it" ConflictError.  None: no check (nothing was shown)."""
        other = Project(self.root, self.store, self.actor)
        other._pinned = (codebook_sha,)  # until this view loads the codebook itself
        return other

    def close(self) -> None:
        self.store.dispose()

    # ------------------------------------------------------------------ roles, settings, users
    def require(self, role: str, what: str) -> None:
        """Refuse (PermissionDenied) unless the acting user has ``role`` or higher."""
        self.store.require(self.actor, role, what)

    def setting(self, key: str, default: str | None = None) -> str | None:
        return self.store.get_setting(key, default)

    def set_setting(self, key: str, value: str) -> None:
        """Change a project setting (admins; checked against ``store.SETTINGS``)."""
        self.store.set_setting(self.actor, key, value)

    def blind_mode(self) -> bool:
        return self.store.blind_mode()

    def revealed(self) -> bool:
        return self.store.revealed()

    def team_mode(self) -> bool:
        from ..auth import team_mode

        return team_mode(self.store)

    def visible_annotators(self, requested: Sequence[str] | None = None) -> list[str] | None:
        """Annotators whose codings the acting user may see (None = all)."""
        return self.store.visible_annotators(self.actor, requested)

    def add_user(self, name: str, role: str = "annotator", password_hash: str | None = None) -> None:
        """Add or update a user (admins)."""
        self.store.add_user(self.actor, name, role, password_hash)

    def disable_user(self, name: str, *, disabled: bool = True) -> int:
        """Refuse (or allow again) a user's sign-in; their open sessions end (admins).  Returns how many."""
        return self.store.disable_user(self.actor, name, disabled=disabled)

    def remove_user(self, name: str) -> str:
        """Remove a user's account (a name with codings stays, disabled); admins."""
        return self.store.remove_user(self.actor, name)

    def unlock_user(self, name: str) -> bool:
        """End a sign-in pause after failed attempts (admins); True when there was one."""
        return self.store.unlock_user(self.actor, name)

    def user(self, name: str) -> dict[str, Any] | None:
        return self.store.get_user(name)

    def users_frame(self) -> pd.DataFrame:
        return self.store.users_frame()

    def audit_frame(self) -> pd.DataFrame:
        """The audit log as the acting user may see it (annotators: their own entries)."""
        return self.store.audit_frame(self.actor)

    # ------------------------------------------------------------------ sign-in (team mode)
    def sign_in(self, name: str, password: str, *, client: str | None = None) -> Actor:
        """Check a password (team mode); ``client``: the browser's address for the per-client limit."""
        from ..auth import sign_in

        return sign_in(self.store, name, password, client=client)

    def create_session(self, actor: Actor) -> str:
        from ..auth import create_session

        return create_session(self.store, actor)

    def resume_session(self, token: str) -> Actor | None:
        from ..auth import resume_session

        return resume_session(self.store, token)

    def end_session(self, token: str) -> None:
        from ..auth import end_session

        end_session(self.store, token)

    # ------------------------------------------------------------------ database as a whole
    @property
    def database_url(self) -> str:
        """The database URL (with its password: for cache keys, never for display)."""
        return self.store.url

    @property
    def database_backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.store.backend

    def data_version(self) -> int:
        """Changes on every write (the newest audit-log id): a cache key for reads."""
        return self.store.data_version()

    def counts(self) -> dict[str, Any]:
        return self.store.counts()

    def analyze(self) -> None:
        """Refresh the database's planner statistics (SQLite; after bulk changes)."""
        self.store.analyze()

    def copy_sqlite_database(self, path: Path) -> None:
        """SQLite's online backup of the whole database into ``path`` (admins)."""
        self.require("admin", "back up the whole project")
        self.store.copy_sqlite_to(path)

    def database_snapshot(self) -> AbstractContextManager[Snapshot]:
        """Every table as of one moment, for a portable backup (admins)."""
        self.require("admin", "back up the whole project")
        return self.store.snapshot()

    def replace_database(self, tables: Sequence[Any], rows: dict[str, list[dict[str, Any]]], *, source: str) -> None:
        """Empty ``tables`` and load ``rows`` in one transaction (admins; restoring a backup)."""
        self.require("admin", "restore a backup")
        self.store.replace_all(tables, rows, source=source)

    def clear_project_data(self) -> None:
        """Remove every document, coding, participant, import, code and REFI-QDA id (supervisors;
        undoes an import into an empty project)."""
        self.require("supervisor", "clear the project's data")
        self.store.clear_project_data()

    def add_people(self, participants: Sequence[Participant], users: Sequence[str]) -> None:
        """Store participants and users that come without documents or codings (supervisors)."""
        self.require("supervisor", "add participants and users")
        self.store.add_people(participants, users)

    def remember_refi_ids(self, ids: Mapping[tuple[str, str], str]) -> None:
        """Keep what an imported REFI-QDA file called its items (written back on export)."""
        self.store.remember_refi_ids(self.actor, ids)

    # ------------------------------------------------------------------ paths
    @property
    def codebook_path(self) -> Path:
        return self.root / CODEBOOK_FILE

    @property
    def interviews_dir(self) -> Path:
        return self.root / INTERVIEWS_DIR

    def relative(self, path: Path) -> str:
        try:
            return str(Path(path).resolve().relative_to(self.root))
        except ValueError:
            return str(Path(path).resolve())

    # ------------------------------------------------------------------ codebook
    @property
    def codebook(self) -> Codebook:
        """The codebook as last loaded.  The file is read and hashed once, not on every access:
        :meth:`refresh_codebook` picks up outside changes (the app once per rerun, :meth:`sync`
        at its start), :meth:`invalidate_codebook` forgets the parsed copy after an edit."""
        loaded = self._loaded.value
        return loaded[0] if loaded is not None else self._load_codebook()

    def _load_codebook(self, sha: str | None = None) -> Codebook:
        """Parse codebook.yaml (``sha``: its hash, when the caller just took it)."""
        from ..codebook import load_codebook

        if not self.codebook_path.exists():
            raise ConfigError(
                f"No {CODEBOOK_FILE} in '{self.root}'.",
                hint="Run 'qualcode init' here, or pass --project to the right folder.",
            )
        sha = sha or file_sha256(self.codebook_path)
        codebook = load_codebook(self.codebook_path)
        self._loaded.value = (codebook, sha)
        self._pinned = None
        return codebook

    def refresh_codebook(self) -> Codebook:
        """Re-read codebook.yaml if it changed since it was loaded (one hash when it did not).
        A broken file raises, and every later access raises too until it is fixed."""
        loaded = self._loaded.value
        sha = file_sha256(self.codebook_path) if loaded is not None and self.codebook_path.exists() else None
        if loaded is not None and sha == loaded[1]:
            return loaded[0]
        self.invalidate_codebook()
        return self._load_codebook(sha)

    def invalidate_codebook(self) -> None:
        """Forget the parsed codebook: the next access reads the file again (after editing it)."""
        self._loaded.value = None

    @property
    def codebook_version(self) -> str:
        """The SHA-256 of codebook.yaml as loaded: changes whenever the codebook does."""
        _ = self.codebook
        return self._codebook_sha or ""

    def sync_codebook(self) -> dict[str, int]:
        """Mirror codebook.yaml as it is now into the database."""
        return self.store.sync_codebook(self.refresh_codebook())

    def _edit_codebook(
        self, operation: Callable[[Any], dict[str, Any]], db_step: Callable[[Any, dict[str, Any]], object] | None = None
    ) -> dict[str, Any]:
        """Apply a codebook change to the file and the database as one unit.

        Under the file's lock: the change is made and checked in memory, then ONE database
        transaction does the database side (``db_step``, the ``codes`` mirror, the audit entries)
        and records the file's new content; only after that commit is codebook.yaml replaced.
        A crash or failed COMMIT before the commit changes nothing; a crash after it leaves the
        record, from which :meth:`reconcile_codebook` (run by every :meth:`open`) completes the
        file.  The file and the database never disagree about which codes exist.
        """
        from ..codebook import edit_codebook
        from ..faults import crash_point

        self.store.require(self.actor, "supervisor", "change the codebook")
        # what this user last loaded or was shown (None: never looked)
        seen = self._pinned[0] if self._pinned is not None else self._codebook_sha
        self.reconcile_codebook()
        self.invalidate_codebook()
        with edit_codebook(self.codebook_path) as handle:
            if seen is not None and handle.sha256 != seen:
                raise ConflictError(
                    f"{CODEBOOK_FILE} changed since you loaded it (another supervisor or an editor "
                    "saved it); your change was not applied.",
                    hint="Reload the codebook, check the other change, and apply yours again.",
                )
            before_sha = handle.sha256
            original = self.codebook_path.read_bytes()
            change = operation(handle)
            data = handle.prepare()
            if data is None:
                return change
            with self.store.write() as conn:
                if db_step is not None:
                    db_step(conn, change)
                self.store.mirror_codebook(conn, handle.codebook)
                self.store._audit(
                    conn,
                    self.actor,
                    f"codebook.{change.get('action', 'change')}",
                    "codebook",
                    change.get("id") or change.get("action"),
                    change.get("before"),
                    change.get("after"),
                )
                self.store._audit(
                    conn,
                    self.actor,
                    "codebook.file",
                    "codebook",
                    CODEBOOK_FILE,
                    {"sha256": before_sha, "text": original.decode("utf-8")},
                    {"sha256": hashlib.sha256(data).hexdigest(), "text": data.decode("utf-8")},
                )
                self.store.record_codebook_write(conn, before_sha, data)
            crash_point("codebook-between-writes")  # committed, file not yet replaced
            handle.write_prepared(data)
            crash_point("codebook-after-file")
        self.store.clear_codebook_write(hashlib.sha256(data).hexdigest())
        # This user wrote the new file, so it is what they have seen: a second edit in a row is
        # not a conflict with their own first one.
        self.refresh_codebook()
        return change

    def reconcile_codebook(self) -> str | None:
        """Finish a codebook change that was committed to the database but not yet written to
        codebook.yaml (the process died in between).  Returns what was done, or None."""
        from ..codebook.lock import _FileLock

        pending = self.store.pending_codebook_write()
        if pending is None:
            return None
        with _FileLock(self.codebook_path):
            pending = self.store.pending_codebook_write()  # the writer may have finished meanwhile
            if pending is None:
                return None
            current = file_sha256(self.codebook_path) if self.codebook_path.exists() else None
            outcome = None
            if current == pending["before"]:
                atomic_write(self.codebook_path, pending["text"].encode("utf-8"))
                self.invalidate_codebook()
                outcome = "completed"
            elif current != pending["after"]:
                outcome = "superseded"  # edited by hand since: the file wins, codes it lacks show as orphans
            self.store.clear_codebook_write(pending["after"])
        return outcome

    def add_code(self, code_id: str, label: str, theme: str | None = None, **fields: Any) -> dict[str, Any]:
        return self._edit_codebook(lambda h: h.add_code(code_id, label, theme, **fields))

    def add_theme(self, theme_id: str, label: str, parent: str | None = None, **fields: Any) -> dict[str, Any]:
        return self._edit_codebook(lambda h: h.add_theme(theme_id, label, parent, **fields))

    def rename_code(self, old_id: str, new_id: str | None = None, new_label: str | None = None) -> dict[str, Any]:
        def db_step(conn: Any, change: dict[str, Any]) -> None:
            if new_id and new_id != old_id:
                self.store.rename_code_id(conn, self.actor, old_id, new_id)
                self.store.follow_rename(conn, old_id, new_id)
                self.store._audit(
                    conn, self.actor, "consolidation.rename", "code", old_id, {"id": old_id}, {"id": new_id}
                )

        return self._edit_codebook(lambda h: h.rename(old_id, new_id=new_id, new_label=new_label), db_step)

    def move(self, node_id: str, new_parent: str | None) -> dict[str, Any]:
        return self._edit_codebook(lambda h: h.move(node_id, new_parent))

    def merge_codes(self, source: str, target: str) -> dict[str, Any]:
        """Merge code ``source`` into ``target`` and record it in the consolidation trail."""

        merged = self.codebook.codes.get(source)

        def db_step(conn: Any, change: dict[str, Any]) -> None:
            before = self.store.count_codings_of(conn, target)
            moved = self.store.reassign_code(conn, self.actor, source, target)
            after = self.store.count_codings_of(conn, target)
            trail_id = self.store.record_merge(
                conn,
                source_id=source,
                source_label=merged.label if merged is not None else source,
                target_id=target,
                applications=moved,
                collapsed=before + moved - after,
                recorded=merged.applications if merged is not None else None,
                actor=self.actor.name,
            )
            self.store._audit(conn, self.actor, "consolidation.merge", "code_merges", trail_id, None, {"id": trail_id})

        return self._edit_codebook(lambda h: h.merge(source, target), db_step)

    def code_usage(self, code_id: str) -> int:
        """How many codings use ``code_id`` (every annotator's)."""
        return self.store.code_usage(code_id)

    def consolidation_trail(self) -> Any:
        """Every merge so far (oldest first), in report form (see qualcode.consolidation)."""
        from .. import consolidation

        raw = self.store.merge_trail()
        labels = {cid: c.label for cid, c in self.codebook.codes.items()}
        return consolidation.trail_frame(raw, labels)

    def consolidation_summary(self, annotators: Sequence[str] | None = None) -> dict[str, Any]:
        """Applications before → unique codes after → codes used (see qualcode.consolidation)."""
        from .. import consolidation

        return consolidation.summary(self.analysis_data(annotators), self.consolidation_trail())

    def delete_code(self, code_id: str, *, force: bool = False) -> dict[str, Any]:
        used = self.store.code_usage(code_id)
        if used and not force:
            raise CodebookError(
                Problem(
                    f"Code '{code_id}' is used by {used} coding(s); deleting it is refused.",
                    path=str(self.codebook_path),
                    hint="Merge it into another code instead (qualcode codebook merge), or pass --force to "
                    "delete it and archive its codings (kept, listed by 'qualcode status').",
                )
            )

        def db_step(conn: Any, change: dict[str, Any]) -> None:
            if used:
                self.store.archive_codings_of(conn, self.actor, code_id, f"code '{code_id}' was deleted")

        return self._edit_codebook(lambda h: h.delete(code_id), db_step)

    # ------------------------------------------------------------------ importing
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

    def sync(
        self, *, progress: Progress | None = None, force: bool = False, create_unknown_codes: bool = False
    ) -> SyncReport:
        """Bring the database up to date with the folder: codebook, transcripts, codings spreadsheets.

        Everything is read and checked first; if any file is bad, nothing is stored and one
        error lists every problem.
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
        stored: a bad sheet leaves the transcripts and the other sheets out too.  ``on_step``
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

            result.refi.append(import_refi_into(self, archive))
            step("refi", result.refi[-1])
        for codebook_file in codebooks:
            from ..exchange import import_codebook_into

            result.codebooks.append(import_codebook_into(self, codebook_file))
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
    ) -> SyncReport:
        """Read, check and store transcripts.  ``before_store(docs)`` may raise InputFileError to
        veto the import after the files were read and checked, before anything is stored."""
        from ..importers import read_documents

        report = report or SyncReport()
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
                raise InputFileError(
                    Problem("File not found.", path=str(path), hint="Check the path; transcripts live in interviews/.")
                )
            rel = self.relative(path)
            sha = file_sha256(path)
            if not force and self.store.import_source_sha(rel) == sha:
                report.skipped.append(rel)
                continue
            todo.append((path, rel, sha))
        if not todo:
            if before_store is not None:
                before_store([])
            return report
        docs = read_documents([p for p, _, _ in todo])  # raises one error for every bad file
        report.warnings.extend(str(w) for doc in docs for w in doc.warnings)
        names: dict[str, str] = {}
        problems: list[Problem] = []
        for (_path, _rel, _), doc in zip(todo, docs):
            if doc.name in names:
                problems.append(
                    Problem(
                        f"Two files give the same document name '{doc.name}' ({names[doc.name]} and {rel}).",
                        path=rel,
                        hint="Rename one of them; the file stem is the document name.",
                    )
                )
            names[doc.name] = rel
        if before_store is not None:
            try:
                before_store(docs)
            except InputFileError as exc:
                problems.extend(exc.problems)
        embedded = self._resolve_embedded_codings(docs, todo, problems, create_unknown_codes)
        if problems:
            raise InputFileError(problems)
        for i, ((_path, rel, sha), doc) in enumerate(zip(todo, docs)):
            doc.source_path = rel
            result = self.store.upsert_document(self.actor, doc, source=rel, source_sha256=sha)
            report.documents.append(result)
            if embedded[i]:
                ids = self.store.add_codings(
                    LOCAL_ADMIN if self.actor.local else self.actor, embedded[i], source=f"{rel}#comments", step=step
                )
                report.codings_imported[f"{rel} (comments)"] = len(ids)
            if progress:
                progress("Importing interviews", i + 1, len(todo))
        return report

    def _resolve_embedded_codings(
        self,
        docs: list[ParsedDocument],
        todo: list[tuple[Path, str, str]],
        problems: list[Problem],
        create_unknown: bool,
    ) -> list[list[Coding]]:
        """Word/Google Docs comments name codes by id, label or alias: resolve or report them."""
        codebook = self.codebook
        result: list[list[Coding]] = []
        unknown: dict[str, str] = {}
        for (_path, rel, _), doc in zip(todo, docs):
            resolved: list[Coding] = []
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
                if code is None:
                    names = list(codebook.codes) + [x.label for x in codebook.codes.values()]
                    problems.append(
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
        if unknown and not problems:
            from ..codebook import edit_codebook

            with edit_codebook(self.codebook_path) as handle:
                for label, slug in unknown.items():
                    if slug not in codebook.codes:
                        handle.add_code(slug, label, None, description="Created from a Word comment during import.")
            self.invalidate_codebook()
            self.store.sync_codebook(self.codebook)
        return result

    def add_interview_files(self, files: list[tuple[str, bytes]], *, overwrite: bool = False) -> list[dict[str, Any]]:
        """Write uploaded transcripts ``(file name, content)`` into interviews/ and import them in one
        go (supervisors); every file written is restored if the import fails.  See :mod:`qualcode.uploads`."""
        from ..uploads import save_and_import

        return save_and_import(self, files, overwrite=overwrite)

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

    # ------------------------------------------------------------------ coding
    def add_coding(
        self,
        document: str,
        start: int,
        end: int,
        code: str,
        *,
        memo: str = "",
        origin: str = "manual",
        annotator: str | None = None,
    ) -> int:
        code_id = self.codebook.resolve(code) or code
        return self.store.add_coding(
            self.actor, Coding(document, start, end, code_id, annotator or self.actor.name, memo, origin)
        )

    def update_coding(self, coding_id: int, **changes: Any) -> int:
        return self.store.update_coding(self.actor, coding_id, **changes)

    def delete_coding(self, coding_id: int) -> None:
        self.store.delete_coding(self.actor, coding_id)

    def undo(self) -> dict[str, Any] | None:
        """Undo your last step: a coding change, a whole import, or a codebook edit (merge, rename,
        delete, …: codebook.yaml and every coding it moved go back together).  Refused with
        UndoRefused when what it would revert changed since."""
        removal = self.store.last_removal(self.actor)
        if removal is not None:  # the latest step was removing an interview: bring it back
            return self.restore_interview(int(removal["id"]))
        from ..codebook import parse_codebook
        from ..codebook.lock import _FileLock

        self.reconcile_codebook()
        removal = self.store.last_removal(self.actor)
        if removal is not None:  # the latest step was removing an interview: bring it back
            return self.restore_interview(int(removal["id"]))
        written: dict[str, Any] = {}

        def restore_codebook(conn: Any, entry: dict[str, Any]) -> Callable[[Any], object]:
            """Inside undo's transaction: check codebook.yaml is as the step left it, mirror the
            codebook as it was before (so reverted codings find their codes), record the file write."""
            after, before = entry["after"], entry["before"]
            current = file_sha256(self.codebook_path) if self.codebook_path.exists() else None
            if current != after["sha256"]:
                raise UndoRefused(
                    f"Cannot undo your codebook change: {CODEBOOK_FILE} was changed since (another edit or an editor)."
                )
            old = parse_codebook(before["text"], str(self.codebook_path))
            self.store.mirror_codebook(conn, old)
            self.store.record_codebook_write(conn, after["sha256"], before["text"].encode("utf-8"))
            written.update(data=before["text"].encode("utf-8"))
            return lambda c: self.store.mirror_codebook(c, old)

        with _FileLock(self.codebook_path):
            result = self.store.undo_last(self.actor, restore_codebook=restore_codebook)
            if written:
                atomic_write(self.codebook_path, written["data"])
                self._codebook = None
        if written:
            self.store.clear_codebook_write(hashlib.sha256(written["data"]).hexdigest())
        return result

    # ------------------------------------------------------------------ removing interviews
    def remove_interview(self, name: str) -> dict[str, Any]:
        """Remove an interview from the project (supervisors): it leaves every report; its
        codings are archived (``qualcode status`` lists them); its file, if still in the
        project folder, moves to ``.qualcode/removed/`` so the next import does not bring it
        back.  Audited; ``undo`` restores all of it."""
        self.store.require(self.actor, "supervisor", "remove interviews")
        row = self.store.document_row(name)
        if row is None:
            names = self.store.document_names()
            raise CodingError(
                Problem(
                    f"No interview named '{name}'.",
                    field="document",
                    hint=(did_you_mean(name, names) or "") + f" Interviews: {valid_list(names)}.",
                )
            )
        source = self.root / row["source_path"] if row.get("source_path") else None
        moved: Path | None = None
        if source is not None and source.is_file() and self._inside_project(source):
            removed_dir = self.root / STATE_DIR / "removed"
            removed_dir.mkdir(parents=True, exist_ok=True)
            moved = removed_dir / f"{row['id']}-{source.name}"
            os.replace(source, moved)
        try:
            return self.store.remove_document(
                self.actor,
                name,
                reason=f"interview '{name}' was removed",
                moved_to=self.relative(moved) if moved else None,
            )
        except BaseException:
            if moved is not None and source is not None:
                os.replace(moved, source)
            raise

    def restore_interview(self, audit_id: int) -> dict[str, Any]:
        """Undo a removal (its audit entry): the interview, its codings and its file come back."""
        result = self.store.restore_document(self.actor, audit_id)
        moved, original = result.get("moved_to"), result.get("source_path")
        if moved and original:
            src, dst = self.root / moved, self.root / original
            if src.is_file() and not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
        return result

    def _inside_project(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.root)
        except ValueError:
            return False
        return True

    def missing_files(self) -> list[dict[str, Any]]:
        """Interviews whose file disappeared from the project folder (still in the database and in
        every report until removed with :meth:`remove_interview`)."""
        return [
            {"document": name, "file": source, "codings": codings}
            for name, source, codings in self.missing_transcripts()
        ]

    def add_codings(
        self,
        items: Sequence[Coding],
        *,
        rows: Sequence[int | None] | None = None,
        source: str | None = None,
        source_sha256: str | None = None,
        skip_existing: bool = True,
    ) -> list[int]:
        """Add codings in one transaction (all or nothing); returns the new ids."""
        return self.store.add_codings(
            self.actor, items, rows=rows, source=source, source_sha256=source_sha256, skip_existing=skip_existing
        )

    def upsert_document(
        self, doc: ParsedDocument, *, source: str | None = None, source_sha256: str | None = None
    ) -> dict[str, Any]:
        """Insert or replace one document (codings of a changed text are re-anchored or detached)."""
        return self.store.upsert_document(self.actor, doc, source=source, source_sha256=source_sha256)

    def coding(self, coding_id: int) -> dict[str, Any] | None:
        """One coding's row, if the acting user may see it."""
        return self.store.get_coding(self.actor, coding_id)

    def decide_suggestion(
        self,
        document: str,
        start: int,
        end: int,
        code: str,
        source: str,
        decision: str,
        *,
        chosen_code: str | None = None,
        memo: str = "",
    ) -> int | None:
        """Accept (stores the coding) or reject a suggestion in one transaction; the coding id."""
        return self.store.decide_suggestion(
            self.actor, document, start, end, code, source, decision, chosen_code=chosen_code, memo=memo
        )

    def suggestion_decisions_frame(self) -> pd.DataFrame:
        """The acting user's accepted and rejected suggestions."""
        return self.store.suggestion_decisions_frame(self.actor)

    def save_consensus(self, codings: Iterable[Coding]) -> list[int]:
        """Store adjudicated codings under the annotator 'consensus' (supervisors only)."""
        self.store.require(self.actor, "supervisor", "adjudicate disagreements")
        items = [Coding(c.document, c.start, c.end, c.code, CONSENSUS, c.memo, "adjudicated") for c in codings]
        return self.store.add_codings(self.actor, items)

    # ------------------------------------------------------------------ reading
    def document_names(self) -> list[str]:
        return self.store.document_names()

    def document_text(self, name: str) -> str | None:
        return self.store.document_text(name)

    def document_row(self, name: str) -> dict[str, Any] | None:
        return self.store.document_row(name)

    def document_sha(self, name: str) -> str | None:
        """The SHA-256 of a stored document's text (None: no such document)."""
        return self.store.document_sha(name)

    def documents_frame(self) -> pd.DataFrame:
        return self.store.documents_frame()

    def participants_frame(self) -> pd.DataFrame:
        return self.store.participants_frame()

    def segments_frame(self, documents: Sequence[str] | None = None) -> pd.DataFrame:
        return self.store.segments_frame(documents)

    def detached_frame(self) -> pd.DataFrame:
        return self.store.detached_frame()

    def codings_frame(
        self, annotators: Sequence[str] | None = None, documents: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Codings the acting user may see (blind mode applies)."""
        return self.store.codings_frame(self.actor, annotators, documents)

    def document_codings(self, document: str, annotators: Sequence[str] | None = None) -> pd.DataFrame:
        """One document's codings that the acting user may see, of ``annotators`` (None = all visible).

        When the user may see everyone, the annotator filter is applied here rather than in SQL:
        filtering by document alone lets the database use the document index (a big project has
        hundreds of thousands of codings per annotator).
        """
        if self.visible_annotators() is None:
            frame = self.codings_frame(documents=[document])
            if annotators is not None:
                frame = frame.loc[frame["annotator"].isin(annotators)].reset_index(drop=True)
            return frame
        return self.codings_frame(annotators=annotators, documents=[document])

    def analysis_data(self, annotators: Sequence[str] | None = None) -> AnalysisData:
        """Everything reports need, as the current user may see it (blind mode applies)."""
        return self.store.analysis_data(self.actor, self.codebook, annotators)

    def check_annotators(self, annotators: Sequence[str] | None) -> list[str] | None:
        """Refuse annotator names with no codings (a typo would otherwise give a table of zeros)."""
        if not annotators:
            return None
        known = sorted(self.store.counts()["codings_by_annotator"])
        missing = [a for a in annotators if a not in known]
        if missing:
            raise CodingError(
                Problem(
                    f"No codings by {', '.join(repr(m) for m in missing)}.",
                    field="annotators",
                    hint=(did_you_mean(missing[0], known) or "") + f" Annotators with codings: {valid_list(known)}.",
                )
            )
        return list(annotators)

    def export_xlsx(self, path: Path | str, **options: Any) -> Path:
        """The appendix workbook of the whole project (supervisors and admins)."""
        from ..export.xlsx import export_workbook

        self.require("supervisor", "export the whole project")
        export_workbook(self.analysis_data(), path, **options)
        return Path(path)

    def xlsx_bytes(self, *, data: AnalysisData | None = None, **options: Any) -> bytes:
        """The workbook of :meth:`export_xlsx` as bytes, e.g. for a download (supervisors and admins).
        ``data``: this project's analysis bundle as the acting user sees it, when already loaded."""
        from ..export.xlsx import workbook_bytes

        self.require("supervisor", "export the whole project")
        return workbook_bytes(self.analysis_data() if data is None else data, **options)

    def appendix_settings(self) -> Any:
        """The ``appendix:`` settings of codebook.yaml (thesis layout by default)."""
        from ..export.appendix import settings_from

        return settings_from(self.codebook.appendix, str(self.codebook_path))

    def saturation(self, *, annotators: Sequence[str] | None = None, **options: Any) -> Any:
        """The saturation report (qualcode.saturation.saturation_report) on the codings the count
        reports count (consensus where it exists, else the human annotators; or ``annotators``)."""
        from ..reports import pool
        from ..saturation import saturation_report

        data, pooling = pool(self.analysis_data(), self.check_annotators(annotators))
        return saturation_report(data, pooled=pooling.text, **options)

    def export_appendix(
        self, path: Path | str, *, annotators: Sequence[str] | None = None, findings: bool = True
    ) -> Path:
        """Appendix A (interviewees) and B (codebook) as .docx or .xlsx (supervisors and admins);
        the .docx also holds the Findings section."""
        from ..export.appendix import export_appendix
        from ..findings import findings_blocks

        self.store.require(self.actor, "supervisor", "export the whole project")
        settings = self.appendix_settings()
        from ..reports import pool

        data, _ = pool(self.analysis_data(), self.check_annotators(annotators))
        blocks = findings_blocks(data) if findings and str(path).lower().endswith(".docx") else None
        return export_appendix(data, path, settings, findings=blocks, trail=self.consolidation_trail())

    def export_qdpx(
        self, path: Path | str, *, target: str | None = None, offsets: str | None = None, qualcode_block: bool = False
    ) -> Path:
        """A REFI-QDA project of everything (supervisors and admins), positions counted for
        ``target`` (a tool in refi.TOOL_OPTIONS) or as ``offsets`` ("codepoints", "utf16");
        GUIDs and the name of an imported project are written back."""
        import dataclasses

        from ..refi import TOOL_OPTIONS, export_qdpx

        self.store.require(self.actor, "supervisor", "export the whole project")
        kept = self.store.refi_ids()
        options = TOOL_OPTIONS[target or "standard"]
        options = dataclasses.replace(
            options,
            offsets=offsets or options.offsets,
            guids=kept,
            source_variables=self.store.source_variables(),
            qualcode_block=qualcode_block,
        )
        name = kept.get(("project", "name")) or self.root.name
        export_qdpx(self.analysis_data(), path, project_name=name, options=options)
        return Path(path)

    def export_qdc(self, path: Path | str, *, qualcode_block: bool = False) -> Path:
        """The codebook as REFI-QDA (.qdc), with the GUIDs of imported codes written back."""
        from ..refi import export_qdc

        export_qdc(self.codebook, path, self.store.refi_ids(), qualcode_block=qualcode_block)
        return Path(path)

    def status(self) -> dict[str, Any]:
        counts = self.store.counts()
        counts["orphan_codes"] = self.store.orphan_codes()
        counts["database"] = self.store._safe_url()
        counts["schema_versions"] = self.store.schema_versions()
        counts["missing_transcripts"] = [
            {"document": name, "file": source, "codings": codings}
            for name, source, codings in self.missing_transcripts()
        ]
        counts["missing_files"] = self.missing_files()
        return counts


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


__all__ = ["Project", "SyncReport", "find_root", "STATE_DIR", "CODEBOOK_FILE", "INTERVIEWS_DIR", "DATABASE_ENV"]
