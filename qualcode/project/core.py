"""The project's core: opening a folder, the acting user, paths, the loaded codebook.

:class:`ProjectCore` is the base every room of :class:`~qualcode.project.Project` builds on: the
root folder, the :class:`~qualcode.store.Store` and the acting :class:`~qualcode.store.Actor`,
role checks (:meth:`~ProjectCore.require`), and ``codebook.yaml`` read and hashed once
(:meth:`~ProjectCore.refresh_codebook` picks up outside changes, and
:meth:`~ProjectCore.reconcile_codebook` completes an edit a crash interrupted).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Self

from ..errors import ConfigError
from ..fileio import atomic_write
from ..model import Codebook
from ..store import LOCAL_ADMIN, Actor, Store, sqlite_url

STATE_DIR = ".qualcode"
CODEBOOK_FILE = "codebook.yaml"
INTERVIEWS_DIR = "interviews"
DATABASE_ENV = "QUALCODE_DATABASE_URL"

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


class ProjectCore:
    def __init__(self, root: Path, store: Store, actor: Actor) -> None:
        self.root = root
        self.store = store
        self.actor = actor
        self._loaded = _LoadedCodebook()
        self._pinned: tuple[str | None] | None = None  # as_of(sha): the version edits must start from
        # interviews/ entries skipped because they point outside the project (symlinks)
        self.outside_entries: list[str] = []

    @property
    def _codebook_sha(self) -> str | None:
        return None if self._loaded.value is None else self._loaded.value[1]

    @classmethod
    def open(
        cls, root: Path | str = ".", *, database_url: str | None = None, actor: Actor | None = None, create: bool = True
    ) -> Self:
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
    def init(cls, root: Path | str, **kwargs: Any) -> Self:
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

    def as_user(self, actor: Actor) -> Self:
        """The same project seen by another user (shares the store and the loaded codebook)."""
        other = type(self)(self.root, self.store, actor)
        other._loaded = self._loaded
        return other

    def as_of(self, codebook_sha: str | None) -> Self:
        """The same project whose codebook edits apply only while ``codebook.yaml`` is still the
        version ``codebook_sha`` (the one a page showed the user); otherwise they raise the
        "changed since you loaded it" ConflictError.  None: no check (nothing was shown)."""
        other = type(self)(self.root, self.store, self.actor)
        other._pinned = (codebook_sha,)  # until this view loads the codebook itself
        return other

    def close(self) -> None:
        self.store.dispose()

    def require(self, role: str, what: str) -> None:
        """Refuse (PermissionDenied) unless the acting user has ``role`` or higher."""
        self.store.require(self.actor, role, what)

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
