"""The codebook mirror: codebook.yaml's codes in the ``codes`` table, merges and archiving."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from .. import schema as s
from ..model import Codebook
from .core import Actor, StoreCore

# What a coding change records in the audit log (undo restores these).
_AUDITED_FIELDS = ("start_pos", "end_pos", "code_id", "memo", "version")


class CodebookMirrorRoom(StoreCore):
    """Keeps ``codes`` in step with the codebook file; moves codings on merge and delete."""

    # ----------------------------------------------------------------- codebook mirror
    def sync_codebook(self, codebook: Codebook) -> dict[str, int]:
        """Mirror the codebook into ``codes``.  Codes gone from the file but still used by codings
        are kept (flagged ``in_codebook = false``) so no coding is ever orphaned."""
        with self.write() as conn:
            return self.mirror_codebook(conn, codebook)

    def mirror_codebook(self, conn: Connection, codebook: Codebook) -> dict[str, int]:
        """:meth:`sync_codebook` inside the caller's transaction."""
        rows = _codebook_rows(codebook)
        existing = {r.id: r for r in conn.execute(sa.select(s.codes))}
        wanted = {r["id"] for r in rows}
        for r in rows:
            if r["id"] in existing:
                conn.execute(s.codes.update().where(s.codes.c.id == r["id"]).values(**r))
            else:
                conn.execute(s.codes.insert().values(**r))
        used = {r[0] for r in conn.execute(sa.select(s.codings.c.code_id).distinct())}
        gone = set(existing) - wanted
        removed = 0
        for code_id in gone:
            if code_id in used:
                conn.execute(s.codes.update().where(s.codes.c.id == code_id).values(in_codebook=False))
            else:
                conn.execute(s.codes.delete().where(s.codes.c.id == code_id))
                removed += 1
        return {"codes": len(rows), "removed": removed, "orphaned": len(gone & used)}

    def orphan_codes(self) -> list[str]:
        with self.read() as conn:
            return [
                r[0]
                for r in conn.execute(
                    sa.select(s.codes.c.id).where(s.codes.c.in_codebook == sa.false()).order_by(s.codes.c.id)
                )
            ]

    def code_usage(self, code_id: str) -> int:
        with self.read() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(s.codings).where(s.codings.c.code_id == code_id)
                ).scalar()
                or 0
            )

    def rename_code_id(self, conn: Connection, actor: Actor, old_id: str, new_id: str) -> None:
        """Give a code a new id inside the caller's transaction; its codings follow (one audit
        entry each, so undo can put them back)."""
        # The new code row must exist first, so insert it, move the codings, drop the old row.
        old = conn.execute(sa.select(s.codes).where(s.codes.c.id == old_id)).mappings().first()
        if old is not None:
            conn.execute(s.codes.insert().values(**{**dict(old), "id": new_id}))
            self.recode(conn, actor, old_id, new_id)
            conn.execute(s.codes.delete().where(s.codes.c.id == old_id))

    def reassign_code(self, conn: Connection, actor: Actor, source: str, target: str) -> int:
        """Move every coding of ``source`` to ``target`` (merge); duplicates collapse into one.
        Each coding's change gets its own audit entry (in the merge's undo step), so undo can put
        every coding back as it was."""
        rows = conn.execute(sa.select(s.codings).where(s.codings.c.code_id == source)).mappings().all()
        moved = 0
        for row in rows:
            dup = (
                conn.execute(
                    sa.select(s.codings).where(
                        s.codings.c.document_id == row["document_id"],
                        s.codings.c.start_pos == row["start_pos"],
                        s.codings.c.end_pos == row["end_pos"],
                        s.codings.c.code_id == target,
                        s.codings.c.annotator == row["annotator"],
                    )
                )
                .mappings()
                .first()
            )
            if dup is not None:
                # Same span already has the target code: keep one coding, keep the memo text.
                if row["memo"]:
                    self._update_coding_audited(conn, actor, dup, memo=(dup["memo"] + "\n" + row["memo"]).strip())
                conn.execute(s.codings.delete().where(s.codings.c.id == row["id"]))
                self._audit(conn, actor, "coding.delete", "coding", row["id"], _row_snapshot(row), None)
            else:
                self._update_coding_audited(conn, actor, row, code_id=target)
            moved += 1
        self._audit(conn, actor, "codebook.merge", "code", source, {"code": source, "codings": moved}, {"code": target})
        return moved

    def recode(self, conn: Connection, actor: Actor, old_id: str, new_id: str) -> int:
        """Codings of a renamed code follow its new id (one audit entry each, for undo)."""
        rows = conn.execute(sa.select(s.codings).where(s.codings.c.code_id == old_id)).mappings().all()
        for row in rows:
            self._update_coding_audited(conn, actor, row, code_id=new_id)
        return len(rows)

    def _update_coding_audited(self, conn: Connection, actor: Actor, row: RowMapping, **changes: Any) -> None:
        """Change one coding (new version) with its ``coding.update`` audit entry, so that undo
        can put it back exactly."""
        version = row["version"] + 1
        conn.execute(
            s.codings.update().where(s.codings.c.id == row["id"]).values(**changes, updated_at=s.now(), version=version)
        )
        before = {k: row[k] for k in _AUDITED_FIELDS}
        self._audit(
            conn, actor, "coding.update", "coding", row["id"], before, {**before, **changes, "version": version}
        )

    def archive_codings_of(self, conn: Connection, actor: Actor, code_id: str, reason: str) -> int:
        rows = (
            conn.execute(
                sa.select(s.codings, s.documents.c.name.label("document_name"))
                .join(s.documents, s.documents.c.id == s.codings.c.document_id)
                .where(s.codings.c.code_id == code_id)
            )
            .mappings()
            .all()
        )
        for row in rows:
            self._move_to_detached(conn, row, row["document_name"], "archived", reason)
            self._audit(conn, actor, "coding.archive", "coding", row["id"], _row_snapshot(row), None)
        self._audit(conn, actor, "codebook.delete", "code", code_id, {"codings_archived": len(rows)}, None)
        return len(rows)

    # ----------------------------------------------------------------- codebook.yaml write intent
    # A codebook change commits to the database first, with the file's new content recorded
    # here in the same transaction, and only then replaces codebook.yaml.  A crash in between
    # leaves this record; Project.open completes the file from it (see Project.reconcile_codebook).
    PENDING_KEY = "codebook_pending_write"

    def record_codebook_write(self, conn: Connection, before_sha: str | None, data: bytes) -> None:
        import hashlib
        import json

        value = json.dumps(
            {"before": before_sha, "after": hashlib.sha256(data).hexdigest(), "text": data.decode("utf-8")}
        )
        conn.execute(s.settings.delete().where(s.settings.c.key == self.PENDING_KEY))
        conn.execute(s.settings.insert().values(key=self.PENDING_KEY, value=value))

    def pending_codebook_write(self) -> dict[str, Any] | None:
        import json

        with self.read() as conn:
            value = conn.execute(sa.select(s.settings.c.value).where(s.settings.c.key == self.PENDING_KEY)).scalar()
        return None if value is None else json.loads(value)

    def clear_codebook_write(self, after_sha: str) -> None:
        """Forget the record once codebook.yaml holds that content (a newer record stays)."""
        import json

        with self.write() as conn:
            value = conn.execute(sa.select(s.settings.c.value).where(s.settings.c.key == self.PENDING_KEY)).scalar()
            if value is not None and json.loads(value)["after"] == after_sha:
                conn.execute(s.settings.delete().where(s.settings.c.key == self.PENDING_KEY))


def _row_snapshot(row: Any) -> dict[str, Any]:
    """What undo needs to put a deleted or archived coding back."""
    keys = ("document_id", "start_pos", "end_pos", "code_id", "annotator", "memo", "origin", "created_at", "version")
    return {k: row[k] for k in keys}


def _codebook_rows(codebook: Codebook) -> list[dict[str, Any]]:
    """The rows of the codes table for ``codebook``: its themes, codes and cross-cutting
    themes, in that order, numbered by position."""
    rows: list[dict[str, Any]] = []
    for theme in codebook.themes.values():
        rows.append(
            {
                "id": theme.id,
                "kind": "theme",
                "label": theme.label,
                "parent_id": theme.parent,
                "data": {"description": theme.description, "color": theme.color, "aliases": list(theme.aliases)},
            }
        )
    for code in codebook.codes.values():
        rows.append(
            {
                "id": code.id,
                "kind": "code",
                "label": code.label,
                "parent_id": code.theme,
                "data": {
                    "description": code.description,
                    "include": code.include,
                    "exclude": code.exclude,
                    "examples": list(code.examples),
                    "aliases": list(code.aliases),
                    "patterns": list(code.patterns),
                },
            }
        )
    for cc in codebook.cross_cutting.values():
        rows.append(
            {
                "id": cc.id,
                "kind": "cross_cutting",
                "label": cc.label,
                "parent_id": None,
                "data": {"description": cc.description, "codes": list(cc.codes)},
            }
        )
    return [
        {
            "id": r["id"],
            "kind": r["kind"],
            "label": r["label"],
            "parent_id": r["parent_id"],
            "position": pos,
            "in_codebook": True,
            "data": r["data"],
        }
        for pos, r in enumerate(rows, start=1)
    ]
