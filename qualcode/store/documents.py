"""Documents, participants, segments and the import record."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema as s
from ..model import Coding, ParsedDocument, Participant
from .core import Actor, StoreCore, _sha256, inserted_id


class DocumentsRoom(StoreCore):
    """Transcripts in the database: insert, re-import with re-anchoring, look-ups."""

    # ----------------------------------------------------------------- documents
    def document_names(self) -> list[str]:
        with self.read() as conn:
            return [r[0] for r in conn.execute(sa.select(s.documents.c.name).order_by(s.documents.c.name))]

    def document_text(self, name: str) -> str | None:
        with self.read() as conn:
            return conn.execute(sa.select(s.documents.c.text).where(s.documents.c.name == name)).scalar()

    def document_sources(self) -> list[tuple[str, str | None, int]]:
        """``(document, source_path, number of codings)`` for every stored document."""
        counts = (
            sa.select(s.codings.c.document_id, sa.func.count().label("n")).group_by(s.codings.c.document_id).subquery()
        )
        with self.read() as conn:
            rows = conn.execute(
                sa.select(s.documents.c.name, s.documents.c.source_path, sa.func.coalesce(counts.c.n, 0))
                .outerjoin(counts, counts.c.document_id == s.documents.c.id)
                .order_by(s.documents.c.name)
            ).all()
        return [(r[0], r[1], int(r[2])) for r in rows]

    def document_row(self, name: str) -> dict[str, Any] | None:
        with self.read() as conn:
            row = conn.execute(sa.select(s.documents).where(s.documents.c.name == name)).mappings().first()
        return dict(row) if row else None

    def document_sha(self, name: str) -> str | None:
        """The SHA-256 of a stored document's text (None: no such document)."""
        with self.read() as conn:
            return conn.execute(sa.select(s.documents.c.sha256).where(s.documents.c.name == name)).scalar()

    def import_source_sha(self, source: str) -> str | None:
        with self.read() as conn:
            return conn.execute(sa.select(s.imports.c.sha256).where(s.imports.c.source == source)).scalar()

    def _record_import(self, conn: Connection, source: str | None, kind: str, sha256: str | None) -> None:
        if not source or not sha256:
            return
        conn.execute(s.imports.delete().where(s.imports.c.source == source))
        conn.execute(s.imports.insert().values(source=source, kind=kind, sha256=sha256, imported_at=s.now()))

    def upsert_participant(self, conn: Connection, participant: Participant) -> None:
        attrs = json.loads(json.dumps(participant.attributes, default=str))
        row = conn.execute(sa.select(s.participants).where(s.participants.c.id == participant.id)).first()
        if row is None:
            conn.execute(s.participants.insert().values(id=participant.id, label=participant.label, attributes=attrs))
        else:
            conn.execute(
                s.participants.update()
                .where(s.participants.c.id == participant.id)
                .values(label=participant.label, attributes=attrs)
            )

    def upsert_document(
        self,
        actor: Actor,
        doc: ParsedDocument,
        *,
        source: str | None = None,
        source_sha256: str | None = None,
        then: Callable[[Connection], object] | None = None,
    ) -> dict[str, Any]:
        """Insert or replace a document, its segments and its participant, in one transaction
        (``then(conn)`` runs last inside it: what must be stored with the document or not at all).

        When the text changed, existing codings are re-anchored by their quoted text; those that
        cannot be re-anchored move to ``detached_codings`` (never deleted).
        """
        from ..anchor import reanchor  # imported lazily: the anchoring module is optional for reads

        text = doc.text
        sha = _sha256(text)
        result = {"document": doc.name, "status": "unchanged", "reanchored": 0, "detached": 0}
        with self.write() as conn:
            if doc.participant is not None:
                self.upsert_participant(conn, doc.participant)
            row = conn.execute(sa.select(s.documents).where(s.documents.c.name == doc.name)).mappings().first()
            meta = json.loads(json.dumps(doc.metadata, default=str))
            values = dict(
                participant_id=doc.participant.id if doc.participant else None,
                text=text,
                length=len(text),
                sha256=sha,
                language=doc.language,
                metadata=meta,
                source_path=doc.source_path,
                imported_at=s.now(),
            )
            if row is None:
                doc_id = inserted_id(conn.execute(s.documents.insert().values(name=doc.name, **values)))
                result["status"] = "added"
                self._audit(
                    conn, actor, "document.add", "document", doc.name, None, {"sha256": sha, "length": len(text)}
                )
            else:
                doc_id = int(row["id"])
                old_codings = (
                    conn.execute(sa.select(s.codings).where(s.codings.c.document_id == doc_id)).mappings().all()
                )
                if row["sha256"] == sha:
                    conn.execute(
                        s.documents.update()
                        .where(s.documents.c.id == doc_id)
                        .values(
                            participant_id=values["participant_id"],
                            language=doc.language,
                            metadata=meta,
                            source_path=doc.source_path,
                        )
                    )
                    result["status"] = "metadata"
                else:
                    result["status"] = "changed"
                    # Detach every coding first (the span constraint ties them to the old length),
                    # then put back each one that re-anchors, under its old id.
                    conn.execute(s.codings.delete().where(s.codings.c.document_id == doc_id))
                    conn.execute(s.segments.delete().where(s.segments.c.document_id == doc_id))
                    conn.execute(s.documents.update().where(s.documents.c.id == doc_id).values(**values))
                    as_codings = [
                        Coding(
                            doc.name,
                            r["start_pos"],
                            r["end_pos"],
                            r["code_id"],
                            r["annotator"],
                            r["memo"],
                            r["origin"],
                            r["quote"],
                            r["created_at"],
                        )
                        for r in old_codings
                    ]
                    placements = reanchor(row["text"], text, as_codings)  # aligned with old_codings
                    for r, placement in zip(old_codings, placements, strict=True):
                        new = placement.coding
                        if new is None:
                            self._insert_detached(conn, r, doc.name, "detached", placement.reason)
                            continue
                        conn.execute(
                            s.codings.insert().values(
                                id=r["id"],
                                document_id=doc_id,
                                doc_length=len(text),
                                start_pos=new.start,
                                end_pos=new.end,
                                code_id=r["code_id"],
                                annotator=r["annotator"],
                                memo=r["memo"],
                                origin=r["origin"],
                                quote=text[new.start : new.end],
                                version=r["version"] + 1,
                                created_at=r["created_at"],
                                updated_at=s.now(),
                            )
                        )
                    detached = sum(1 for p in placements if p.detached)
                    result["reanchored"] = len(placements) - detached
                    result["detached"] = detached
                    self._audit(
                        conn,
                        actor,
                        "document.reimport",
                        "document",
                        doc.name,
                        {"sha256": row["sha256"], "length": row["length"]},
                        {"sha256": sha, "length": len(text), "reanchored": result["reanchored"], "detached": detached},
                    )
            if result["status"] in ("added", "changed"):
                if doc.segments:
                    conn.execute(
                        s.segments.insert(),
                        [
                            {
                                "document_id": doc_id,
                                "doc_length": len(text),
                                "kind": seg.kind,
                                "start_pos": seg.start,
                                "end_pos": seg.end,
                                "speaker": seg.speaker,
                            }
                            for seg in doc.segments
                        ],
                    )
            self._record_import(conn, source, "transcript", source_sha256)
            if then is not None:
                then(conn)
        return result
