"""Codebook edits: codebook.yaml and the database changed as one unit (see :meth:`CodebookEditsMixin._edit_codebook`)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from ..errors import CodebookError, ConflictError, Problem
from .core import CODEBOOK_FILE, ProjectCore


class CodebookEditsMixin(ProjectCore):
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
