"""Documents, participants, segments and the import record."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
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
        text = doc.text
        sha = _sha256(text)
        result = {"document": doc.name, "status": "unchanged", "reanchored": 0, "detached": 0}
        with self.write() as conn:
            if doc.participant is not None:
                self.upsert_participant(conn, doc.participant)
            row = conn.execute(sa.select(s.documents).where(s.documents.c.name == doc.name)).mappings().first()
            meta = json.loads(json.dumps(doc.metadata, default=str))
            values = _document_values(doc, sha, meta)
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
                    _update_document_metadata(conn, doc_id, doc, values["participant_id"], meta)
                    result["status"] = "metadata"
                else:
                    result["status"] = "changed"
                    self._replace_text(conn, actor, doc, row, doc_id, values, old_codings, result)
            if result["status"] in ("added", "changed"):
                _insert_segments(conn, doc_id, doc)
            self._record_import(conn, source, "transcript", source_sha256)
            if then is not None:
                then(conn)
        return result

    def _replace_text(
        self,
        conn: Connection,
        actor: Actor,
        doc: ParsedDocument,
        row: Any,
        doc_id: int,
        values: dict[str, Any],
        old_codings: Sequence[Any],
        result: dict[str, Any],
    ) -> None:
        """A re-import with new text: store it, re-anchor the codings by their quotes (those that
        cannot be move to ``detached_codings``), and audit the counts in ``result``."""
        text = doc.text
        # Detach every coding first (the span constraint ties them to the old length),
        # then put back each one that re-anchors, under its old id.
        conn.execute(s.codings.delete().where(s.codings.c.document_id == doc_id))
        conn.execute(s.segments.delete().where(s.segments.c.document_id == doc_id))
        conn.execute(s.documents.update().where(s.documents.c.id == doc_id).values(**values))
        placements = self._reanchor_codings(conn, doc, row["text"], doc_id, old_codings)
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
            {"sha256": values["sha256"], "length": len(text), "reanchored": result["reanchored"], "detached": detached},
        )

    def _reanchor_codings(
        self, conn: Connection, doc: ParsedDocument, old_text: str, doc_id: int, old_codings: Sequence[Any]
    ) -> list[Any]:
        """Put back each old coding that re-anchors in the new text, under its old id (version
        + 1); the others go to ``detached_codings``.  Returns the placements."""
        from ..anchor import reanchor  # imported lazily: the anchoring module is optional for reads

        text = doc.text
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
        placements = reanchor(old_text, text, as_codings)  # aligned with old_codings
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
        return list(placements)


def _document_values(doc: ParsedDocument, sha: str, meta: Any) -> dict[str, Any]:
    """The documents-table columns a (re-)import sets, the name aside."""
    return dict(
        participant_id=doc.participant.id if doc.participant else None,
        text=doc.text,
        length=len(doc.text),
        sha256=sha,
        language=doc.language,
        metadata=meta,
        source_path=doc.source_path,
        imported_at=s.now(),
    )


def _update_document_metadata(
    conn: Connection, doc_id: int, doc: ParsedDocument, participant_id: str | None, meta: Any
) -> None:
    """Same text re-imported: only the participant, language, metadata and path change."""
    conn.execute(
        s.documents.update()
        .where(s.documents.c.id == doc_id)
        .values(participant_id=participant_id, language=doc.language, metadata=meta, source_path=doc.source_path)
    )


def _insert_segments(conn: Connection, doc_id: int, doc: ParsedDocument) -> None:
    """The document's segments (speaker turns, headings), when it has any."""
    if doc.segments:
        conn.execute(
            s.segments.insert(),
            [
                {
                    "document_id": doc_id,
                    "doc_length": len(doc.text),
                    "kind": seg.kind,
                    "start_pos": seg.start,
                    "end_pos": seg.end,
                    "speaker": seg.speaker,
                }
                for seg in doc.segments
            ],
        )
