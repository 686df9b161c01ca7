"""The consolidation trail's table (``code_merges``): one row per code merge (see :mod:`qualcode.consolidation`)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema as s
from .core import StoreCore, inserted_id
from .framework import move_framework_summaries


class MergesRoom(StoreCore):
    """Writes and reads the merges recorded by ``Project.merge_codes``."""

    def count_codings_of(self, conn: Connection, code_id: str) -> int:
        """Codings of ``code_id``, inside the caller's transaction."""
        return int(conn.execute(sa.select(sa.func.count()).where(s.codings.c.code_id == code_id)).scalar() or 0)

    def record_merge(
        self,
        conn: Connection,
        *,
        source_id: str,
        source_label: str,
        target_id: str,
        applications: int,
        collapsed: int,
        recorded: int | None,
        actor: str,
    ) -> int:
        """Record one merge; returns the trail row's id (the merge's audit entry names it, for undo)."""
        result = conn.execute(
            s.code_merges.insert().values(
                target_id=target_id,
                source_id=source_id,
                source_label=source_label,
                applications=applications,
                collapsed=collapsed,
                recorded_applications=recorded,
                merged_at=s.now(),
                merged_by=actor,
            )
        )
        return inserted_id(result)

    def forget_merge(self, conn: Connection, source_id: str, target_id: str) -> bool:
        """Drop the latest trail row of merging ``source_id`` into ``target_id`` (for undoing that
        merge in the same transaction); False when there is none."""
        latest = conn.execute(
            sa.select(sa.func.max(s.code_merges.c.id)).where(
                s.code_merges.c.source_id == source_id, s.code_merges.c.target_id == target_id
            )
        ).scalar()
        if latest is None:
            return False
        conn.execute(s.code_merges.delete().where(s.code_merges.c.id == latest))
        return True

    def follow_rename(self, conn: Connection, old_id: str, new_id: str) -> None:
        """A renamed surviving code keeps its trail."""
        conn.execute(s.code_merges.update().where(s.code_merges.c.target_id == old_id).values(target_id=new_id))
        conn.execute(s.memos.update().where(s.memos.c.code_id == old_id).values(code_id=new_id))  # its memos too
        move_framework_summaries(conn, old_id, new_id)  # a renamed theme keeps its summaries

    def merge_trail(self) -> pd.DataFrame:
        """Every stored merge, oldest first (the ``code_merges`` columns)."""
        with self.read() as conn:
            rows = conn.execute(sa.select(s.code_merges).order_by(s.code_merges.c.id)).mappings().all()
        return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in s.code_merges.columns])
