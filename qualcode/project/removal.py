"""Removing an interview from the project, and bringing it back."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import CodingError, Problem, did_you_mean, valid_list
from .core import STATE_DIR, ProjectCore


class RemovalMixin(ProjectCore):
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
