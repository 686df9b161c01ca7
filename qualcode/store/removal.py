"""Removing an interview from the project, and undoing that.

A removed interview leaves every report and denominator: its document, segments and
suggestion decisions are deleted, and so is its participant when no other interview belongs to
them.  Its codings are never destroyed: they move to ``detached_codings`` with status
``archived`` (listed by ``qualcode status``).  The audit entry ``document.remove`` keeps the
rows needed to put everything back, so :meth:`RemovalRoom.restore_document` (``qualcode undo``)
restores the interview with the same ids, its codings included.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .. import schema as s
from ..errors import ConflictError
from .codings import CODING_UNDO
from .core import Actor
from .memos import MEMO_UNDO
from .users import UsersRoom

REMOVE_ACTION = "document.remove"


def _plain_rows(rows: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in rows]


class RemovalRoom(UsersRoom):
    """Remove an interview (its codings archived) and restore it."""

    def remove_document(self, actor: Actor, name: str, *, reason: str, moved_to: str | None = None) -> dict[str, Any]:
        """Remove document ``name`` in one transaction; returns what was removed (counts, audit id)."""
        self.require(actor, "supervisor", "remove interviews")
        with self.write() as conn:
            doc = conn.execute(sa.select(s.documents).where(s.documents.c.name == name)).mappings().first()
            if doc is None:
                raise ConflictError(f"The interview '{name}' is not in the project (removed already?).")
            doc_id = doc["id"]
            segments = _plain_rows(
                conn.execute(sa.select(s.segments).where(s.segments.c.document_id == doc_id)).mappings()
            )
            codings = _plain_rows(
                conn.execute(sa.select(s.codings).where(s.codings.c.document_id == doc_id)).mappings()
            )
            decisions = _plain_rows(
                conn.execute(
                    sa.select(s.suggestion_decisions).where(s.suggestion_decisions.c.document_id == doc_id)
                ).mappings()
            )
            participant = None
            pid = doc["participant_id"]
            if pid is not None:
                others = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(s.documents)
                    .where(s.documents.c.participant_id == pid, s.documents.c.id != doc_id)
                ).scalar()
                if not others:
                    found = conn.execute(sa.select(s.participants).where(s.participants.c.id == pid)).mappings().first()
                    participant = dict(found) if found else None
            source = doc["source_path"]
            imported = (
                conn.execute(sa.select(s.imports).where(s.imports.c.source == source)).mappings().first()
                if source
                else None
            )
            for coding in codings:
                self._insert_detached(conn, coding, name, "archived", reason)
            conn.execute(s.codings.delete().where(s.codings.c.document_id == doc_id))
            conn.execute(s.suggestion_decisions.delete().where(s.suggestion_decisions.c.document_id == doc_id))
            conn.execute(s.segments.delete().where(s.segments.c.document_id == doc_id))
            conn.execute(s.documents.delete().where(s.documents.c.id == doc_id))
            if imported is not None:
                conn.execute(s.imports.delete().where(s.imports.c.source == source))
            if participant is not None:
                conn.execute(s.participants.delete().where(s.participants.c.id == pid))
            before = {
                "document": dict(doc),
                "segments": segments,
                "codings": codings,
                "decisions": decisions,
                "participant": participant,
                "import": dict(imported) if imported else None,
            }
            after = {"reason": reason, "moved_to": moved_to, "codings_archived": len(codings)}
            audit_id = self._audit(conn, actor, REMOVE_ACTION, "document", name, before, after)
        return {"document": name, "codings_archived": len(codings), "audit_id": audit_id, "moved_to": moved_to}

    def last_removal(self, actor: Actor) -> dict[str, Any] | None:
        """The audit entry of ``actor``'s latest removal when it is newer than their latest coding
        change not yet undone (so that ``undo`` takes the most recent step), else None."""
        undoable = [*CODING_UNDO, *MEMO_UNDO, REMOVE_ACTION]
        with self.read() as conn:
            entry = (
                conn.execute(
                    sa.select(s.audit_log.c.id, s.audit_log.c.action, s.audit_log.c.entity_id, s.audit_log.c.after)
                    .where(
                        s.audit_log.c.actor == actor.name,
                        s.audit_log.c.undone_by.is_(None),
                        s.audit_log.c.action.in_(undoable),
                    )
                    .order_by(s.audit_log.c.id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
        return dict(entry) if entry is not None and entry["action"] == REMOVE_ACTION else None

    def restore_document(self, actor: Actor, audit_id: int) -> dict[str, Any]:
        """Undo the removal recorded in audit entry ``audit_id``: the same document, segments,
        participant, import record, suggestion decisions and codings (same ids) come back."""
        self.require(actor, "supervisor", "restore interviews")
        with self.write() as conn:
            entry = conn.execute(sa.select(s.audit_log).where(s.audit_log.c.id == audit_id)).mappings().first()
            if entry is None or entry["action"] != REMOVE_ACTION or entry["undone_by"] is not None:
                raise ConflictError("Nothing to restore: that removal was undone already.")
            before = entry["before"]
            doc = before["document"]
            if conn.execute(sa.select(s.documents.c.id).where(s.documents.c.name == doc["name"])).first():
                raise ConflictError(
                    f"Cannot undo the removal of '{doc['name']}': an interview of that name was imported since.",
                    hint="Remove or rename the new one first.",
                )
            if (
                before.get("participant")
                and not conn.execute(
                    sa.select(s.participants.c.id).where(s.participants.c.id == before["participant"]["id"])
                ).first()
            ):
                conn.execute(s.participants.insert().values(**before["participant"]))
            conn.execute(s.documents.insert().values(**doc))
            if before["segments"]:
                conn.execute(s.segments.insert(), before["segments"])
            if before.get("import"):
                imp = before["import"]
                conn.execute(s.imports.delete().where(s.imports.c.source == imp["source"]))
                conn.execute(s.imports.insert().values(**imp))
            ids = [c["id"] for c in before["codings"]]
            for coding in before["codings"]:
                self.ensure_user(conn, coding["annotator"])
            if before["codings"]:
                conn.execute(s.codings.insert(), before["codings"])
                conn.execute(
                    s.detached_codings.delete().where(
                        s.detached_codings.c.id.in_(ids), s.detached_codings.c.status == "archived"
                    )
                )
            if before["decisions"]:
                conn.execute(s.suggestion_decisions.insert(), before["decisions"])
            undo_id = self._audit(conn, actor, "undo", "audit", audit_id, entry["after"], None)
            conn.execute(s.audit_log.update().where(s.audit_log.c.id == audit_id).values(undone_by=undo_id))
        return {
            "undone": REMOVE_ACTION,
            "document": doc["name"],
            "codings_restored": len(ids),
            "moved_to": (entry["after"] or {}).get("moved_to"),
            "source_path": doc.get("source_path"),
            "message": f"Restored the interview {doc['name']} with {len(ids)} coding(s).",
        }


__all__ = ["REMOVE_ACTION", "RemovalRoom"]
