"""Reads for the Code page: one document's codings, quickly.

The Code page reads the open interview's codings on every rerun (each Apply, each click on a
margin label), so this read is on the path the user waits for.  ``FramesRoom.codings_frame``
builds its DataFrame row by row (pandas infers every cell's type); with a few hundred codings
that was most of the page's server time.  This room reads by the document index only and
builds the same frame column by column.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from .. import schema as s
from ..frames import CODING_COLUMNS
from .core import Actor
from .frames import _columnwise_frame
from .users import UsersRoom


class WorkbenchRoom(UsersRoom):
    """One document's codings as ``actor`` may see them (blind mode applies)."""

    def document_codings_frame(
        self, actor: Actor, document: str, annotators: Sequence[str] | None = None, *, ids: Sequence[int] | None = None
    ) -> pd.DataFrame:
        """The same frame as ``codings_frame(actor, annotators, [document])`` (same columns, dtypes
        and order), or only its codings ``ids``.  The annotator filter is written so that no index
        can serve it (``coalesce(annotator, '')``): the planner then always takes the document
        index, where the annotator index would scan every coding that annotator ever made."""
        visible = self.visible_annotators(actor, annotators)
        c, d = s.codings, s.documents
        doc_id = sa.select(d.c.id).where(d.c.name == document).scalar_subquery()
        q = (
            sa.select(
                c.c.id,
                sa.literal(document),
                sa.select(d.c.participant_id).where(d.c.name == document).scalar_subquery(),
                c.c.start_pos,
                c.c.end_pos,
                c.c.code_id,
                c.c.annotator,
                c.c.memo,
                c.c.origin,
                c.c.created_at,
                c.c.quote,
            )
            .where(c.c.document_id == doc_id)
            .order_by(c.c.id)
        )
        if visible is not None:
            q = q.where(sa.func.coalesce(c.c.annotator, "").in_(list(visible)))
        if ids is not None:
            q = q.where(c.c.id.in_([int(i) for i in ids]))
        with self.read() as conn:  # the driver's rows as they are: SQLAlchemy's per-row wrapping was a third
            rows = conn.execute(q).cursor.fetchall()
        return _columnwise_frame(rows, CODING_COLUMNS, ("coding_id", "start", "end"))

    def only_codings_added_since(self, version: int, ids: Sequence[int]) -> int | None:
        """The data version now if every write after ``version`` was the addition of the codings
        ``ids`` (and nothing else, by anyone), else None: then a frame read at ``version`` plus
        those codings is the frame now (the Code page's Apply reads 2 rows, not the document's
        hundreds)."""
        a = s.audit_log
        with self.read() as conn:
            # One row more than ours is enough to say no (a cache read long ago must not load the log).
            q = sa.select(a.c.id, a.c.action, a.c.entity_id).where(a.c.id > int(version)).order_by(a.c.id)
            rows = conn.execute(q.limit(len(ids) + 1)).fetchall()
        want = {str(int(i)) for i in ids}
        if not rows or any(action != "coding.add" for _, action, _ in rows):
            return None
        if {str(entity) for _, _, entity in rows} != want or len(rows) != len(want):
            return None
        return int(max(r[0] for r in rows))

    def interview_choices(self) -> list[tuple[str, str | None, str | None]]:
        """``(document, participant id, participant label)`` of every interview, by name: what
        the interview picker shows, in one query (two frames were read for it after each write)."""
        d, p = s.documents, s.participants
        q = (
            sa.select(d.c.name, d.c.participant_id, p.c.label)
            .select_from(d.outerjoin(p, p.c.id == d.c.participant_id))
            .order_by(d.c.name)
        )
        with self.read() as conn:
            return [(r[0], r[1], r[2]) for r in conn.execute(q).cursor.fetchall()]


__all__ = ["WorkbenchRoom"]
