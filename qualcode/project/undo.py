"""Undo: the acting user's last step, whatever it was (a coding change, an import, a codebook
edit, an interview removed)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from ..errors import UndoRefused
from ..fileio import atomic_write
from .core import CODEBOOK_FILE, file_sha256
from .removal import RemovalMixin


class UndoMixin(RemovalMixin):
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
                self.invalidate_codebook()
        if written:
            self.store.clear_codebook_write(hashlib.sha256(written["data"]).hexdigest())
        return result
