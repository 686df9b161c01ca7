"""Replacing the whole codebook.yaml (a REFI-QDA project or codebook imported) together with
what the database stores for it, as one unit (see :meth:`CodebookReplaceMixin.replace_codebook`)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from typing import TypeVar

from ..errors import QualcodeError
from ..fileio import atomic_write
from ..model import Codebook
from .core import CODEBOOK_FILE, ProjectCore

T = TypeVar("T")

REPLACE_ACTION = "codebook.replace"  # not an undoable step: undo of an import is clearing the project


class CodebookReplaceMixin(ProjectCore):
    def replace_codebook(
        self,
        codebook: Codebook,
        store_rest: Callable[[], T],
        *,
        undo: Callable[[], None] | None = None,
        what: str = "import a codebook",
    ) -> T:
        """Make ``codebook`` the project's codebook.yaml together with the database work of
        ``store_rest()`` (documents, codings, memos …), as one unit.

        Under the file's lock: the ``codes`` mirror of the new codebook is stored, then
        ``store_rest()`` runs, then one last transaction records the file's new content; only
        after that commit is codebook.yaml replaced.  If anything before it fails (a database
        that is full or gone), the file was never touched: ``undo()`` takes back what was stored
        and the mirror is set back to the file (when the database still answers; otherwise the
        next import mirrors the file again).  A crash after the last commit leaves the record,
        from which :meth:`reconcile_codebook` (every open) completes the file.
        """
        from ..codebook import dump_codebook, parse_codebook
        from ..codebook.lock import _FileLock
        from ..faults import crash_point

        self.require("supervisor", what)
        self.reconcile_codebook()
        data = dump_codebook(codebook).encode("utf-8")
        with _FileLock(self.codebook_path):
            original = self.codebook_path.read_bytes() if self.codebook_path.exists() else None
            before_sha = hashlib.sha256(original).hexdigest() if original is not None else None
            try:
                self.store.sync_codebook(codebook)
                result = store_rest()
                crash_point("codebook-replace-before-commit")
                with self.store.write() as conn:
                    self.store._audit(
                        conn,
                        self.actor,
                        REPLACE_ACTION,
                        "codebook",
                        CODEBOOK_FILE,
                        {"sha256": before_sha},
                        {"sha256": hashlib.sha256(data).hexdigest(), "codes": len(codebook.codes)},
                    )
                    self.store.record_codebook_write(conn, before_sha, data)
            except BaseException:
                with contextlib.suppress(Exception):  # the database may be the thing that failed
                    if undo is not None:
                        undo()
                    self.store.sync_codebook(
                        parse_codebook(original.decode("utf-8"), str(self.codebook_path))
                        if original is not None
                        else Codebook()
                    )
                self.invalidate_codebook()
                raise
            crash_point("codebook-between-writes")  # committed, file not yet replaced
            try:
                atomic_write(self.codebook_path, data)
            except OSError as exc:  # the record stays: the next open writes the file
                raise QualcodeError(
                    f"cannot write {CODEBOOK_FILE}: {exc.strerror}; the database has the import.",
                    path=str(self.codebook_path),
                    hint="Make the folder writable and run 'qualcode status': it writes the file.",
                ) from None
            crash_point("codebook-after-file")
            self.invalidate_codebook()
        self.store.clear_codebook_write(hashlib.sha256(data).hexdigest())
        self.refresh_codebook()
        return result


__all__ = ["REPLACE_ACTION", "CodebookReplaceMixin"]
