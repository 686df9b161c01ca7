"""Read-only frames for analysis: codings, segments, documents, participants, counts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from .. import schema as s
from ..frames import CODING_COLUMNS, DOCUMENT_COLUMNS, PARTICIPANT_COLUMNS, SEGMENT_COLUMNS, AnalysisData
from ..model import Codebook
from .core import Actor
from .documents import DocumentsRoom
from .memos import memos_frame
from .users import UsersRoom


class FramesRoom(UsersRoom, DocumentsRoom):
    """DataFrames (``frames.*_COLUMNS``) filtered by what the actor may see."""

    # ----------------------------------------------------------------- frames
    def codings_frame(
        self, actor: Actor, annotators: Sequence[str] | None = None, documents: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Codings as a DataFrame (columns ``frames.CODING_COLUMNS``), filtered by what ``actor`` may see."""
        visible = self.visible_annotators(actor, annotators)
        c, d = s.codings, s.documents
        q = (
            sa.select(
                c.c.id.label("coding_id"),
                d.c.name.label("document"),
                d.c.participant_id.label("participant"),
                c.c.start_pos.label("start"),
                c.c.end_pos.label("end"),
                c.c.code_id.label("code"),
                c.c.annotator,
                c.c.memo,
                c.c.origin,
                c.c.created_at,
                c.c.quote,
            )
            .join(d, d.c.id == c.c.document_id)
            .order_by(c.c.id)
        )
        if visible is not None:
            q = q.where(c.c.annotator.in_(list(visible)))
        if documents is not None:
            q = q.where(d.c.name.in_(list(documents)))
        with self.read() as conn:
            result = conn.execute(q)
            frame = pd.DataFrame(result.fetchall(), columns=CODING_COLUMNS)
        for col in ("coding_id", "start", "end"):
            frame[col] = frame[col].astype("int64")
        return frame

    def segments_frame(self, documents: Sequence[str] | None = None) -> pd.DataFrame:
        g, d = s.segments, s.documents
        q = (
            sa.select(
                g.c.id.label("segment_id"),
                d.c.name.label("document"),
                g.c.kind,
                g.c.start_pos.label("start"),
                g.c.end_pos.label("end"),
                g.c.speaker,
            )
            .join(d, d.c.id == g.c.document_id)
            .order_by(d.c.name, g.c.kind, g.c.start_pos)
        )
        if documents is not None:
            q = q.where(d.c.name.in_(list(documents)))
        with self.read() as conn:
            # Plain DBAPI tuples (no Row objects): a large project has a million segments.
            rows = conn.execute(q).cursor.fetchall()
        return _columnwise_frame(rows, SEGMENT_COLUMNS, ("segment_id", "start", "end"))

    def documents_frame(self) -> pd.DataFrame:
        d = s.documents
        with self.read() as conn:
            rows = conn.execute(
                sa.select(
                    d.c.name.label("document"), d.c.participant_id.label("participant"), d.c.length, d.c.language
                ).order_by(d.c.name)
            ).fetchall()
        return pd.DataFrame(rows, columns=DOCUMENT_COLUMNS)

    def participants_frame(self) -> pd.DataFrame:
        with self.read() as conn:
            rows = conn.execute(sa.select(s.participants).order_by(s.participants.c.id)).mappings().all()
        keys: list[str] = []
        for r in rows:
            for k in r["attributes"] or {}:
                if k not in keys and k not in PARTICIPANT_COLUMNS:
                    keys.append(k)
        return pd.DataFrame(
            [
                {"participant": r["id"], "label": r["label"], **{k: (r["attributes"] or {}).get(k) for k in keys}}
                for r in rows
            ],
            columns=PARTICIPANT_COLUMNS + keys,
        )

    def analysis_data(self, actor: Actor, codebook: Codebook, annotators: Sequence[str] | None = None) -> AnalysisData:
        return AnalysisData(
            codebook=codebook,
            participants=self.participants_frame(),
            documents=self.documents_frame(),
            segments=self.segments_frame(),
            codings=self.codings_frame(actor, annotators),
            texts=LazyTexts(self),
            memos=memos_frame(self, actor),
        )

    def counts(self) -> dict[str, Any]:
        with self.read() as conn:

            def count(table: sa.Table) -> int:
                return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)

            by_annotator = {
                r[0]: int(r[1])
                for r in conn.execute(
                    sa.select(s.codings.c.annotator, sa.func.count())
                    .group_by(s.codings.c.annotator)
                    .order_by(s.codings.c.annotator)
                )
            }
            segs = {
                r[0]: int(r[1])
                for r in conn.execute(sa.select(s.segments.c.kind, sa.func.count()).group_by(s.segments.c.kind))
            }
            detached: dict[str, int] = {
                r[0]: int(r[1])
                for r in conn.execute(
                    sa.select(s.detached_codings.c.status, sa.func.count()).group_by(s.detached_codings.c.status)
                )
            }
            return {
                "participants": count(s.participants),
                "documents": count(s.documents),
                "segments": sum(segs.values()),
                "segments_by_kind": segs,
                "codings": count(s.codings),
                "codings_by_annotator": by_annotator,
                "detached": detached.get("detached", 0),
                "archived": detached.get("archived", 0),
            }


def _columnwise_frame(rows: Sequence[tuple], columns: Sequence[str], int_columns: Sequence[str]) -> pd.DataFrame:
    """The same frame as ``pd.DataFrame(rows, columns=columns)`` with ``int_columns`` as int64,
    built column by column: pandas' row-wise construction and type inference took 3-4 times
    longer on a million rows.  Text columns stay object arrays so pandas infers their dtype
    exactly as before (str, or object when all values are None)."""
    if not rows:
        frame = pd.DataFrame(rows, columns=list(columns))
        for col in int_columns:
            frame[col] = frame[col].astype("int64")
        return frame
    data = {
        name: np.array(values, dtype=np.int64 if name in int_columns else object)
        for name, values in zip(columns, zip(*rows))
    }
    return pd.DataFrame(data, columns=list(columns))


class LazyTexts(Mapping[str, str]):
    """Document texts fetched from the database on first access (keeps memory low on big projects)."""

    def __init__(self, store: DocumentsRoom) -> None:
        self._store = store
        self._cache: dict[str, str] = {}
        self._names: list[str] | None = None

    def __getitem__(self, name: str) -> str:
        if name not in self._cache:
            text = self._store.document_text(name)
            if text is None:
                raise KeyError(name)
            self._cache[name] = text
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        if self._names is None:
            self._names = self._store.document_names()
        return iter(self._names)

    def __len__(self) -> int:
        if self._names is None:
            self._names = self._store.document_names()
        return len(self._names)
