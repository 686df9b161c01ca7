"""The consolidation trail: which codes were merged into which, when, by whom, carrying how many
code applications — so a thesis's "556 code applications → 226 unique codes → 197 used" can
be reproduced from the project, not only its end state.

Rows live in the ``code_merges`` table (schema migration 5); :func:`record_merge` writes one
inside the merge's own transaction (``Project.merge_codes``).  :func:`trail_frame` reads them,
:func:`summary` gives the three numbers, :func:`trail_of` the rows behind one surviving code
(following chains: a code merged into a code that was later merged itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import schema as s
from .frames import AnalysisData

TRAIL_COLUMNS = [
    "code",
    "code_label",
    "merged_code",
    "merged_label",
    "applications",
    "collapsed",
    "recorded_applications",
    "merged_at",
    "merged_by",
]


def count_codings(conn: Connection, code_id: str) -> int:
    return int(conn.execute(sa.select(sa.func.count()).where(s.codings.c.code_id == code_id)).scalar() or 0)


def record_merge(
    conn: Connection,
    *,
    source_id: str,
    source_label: str,
    target_id: str,
    applications: int,
    collapsed: int,
    recorded: int | None,
    actor: str,
) -> None:
    conn.execute(
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


def forget_merge(conn: Connection, source_id: str, target_id: str) -> bool:
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


def follow_rename(conn: Connection, old_id: str, new_id: str) -> None:
    """A renamed surviving code keeps its trail."""
    conn.execute(s.code_merges.update().where(s.code_merges.c.target_id == old_id).values(target_id=new_id))


def read_trail(conn: Connection) -> pd.DataFrame:
    rows = conn.execute(sa.select(s.code_merges).order_by(s.code_merges.c.id)).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in s.code_merges.columns])


def trail_frame(raw: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """The stored rows in report form (oldest first); ``labels`` maps code ids to labels."""
    if not len(raw):
        return pd.DataFrame(columns=TRAIL_COLUMNS)
    out = pd.DataFrame(
        {
            "code": raw["target_id"].astype(str),
            "code_label": raw["target_id"].astype(str).map(lambda c: labels.get(c, "")),
            "merged_code": raw["source_id"].astype(str),
            "merged_label": raw["source_label"].astype(str),
            "applications": raw["applications"].astype("int64"),
            "collapsed": raw["collapsed"].astype("int64"),
            "recorded_applications": raw["recorded_applications"]
            .astype(object)
            .where(raw["recorded_applications"].notna(), None),
            "merged_at": raw["merged_at"].astype(str),
            "merged_by": raw["merged_by"].astype(str),
        }
    )
    return out[TRAIL_COLUMNS].reset_index(drop=True)


def trail_of(trail: pd.DataFrame, code_id: str) -> pd.DataFrame:
    """Rows of the codes that went into ``code_id``, directly or through earlier merges."""
    keep: set[Any] = set()
    seen: set[str] = set()
    frontier = {code_id}
    while frontier:
        seen |= frontier
        mask = trail["code"].isin(list(frontier))
        keep |= set(trail.index[mask])
        frontier = {str(c) for c in trail.loc[mask, "merged_code"]} - seen
    return trail.loc[sorted(keep)].reset_index(drop=True)


def summary(data: AnalysisData, trail: pd.DataFrame) -> dict[str, Any]:
    """The consolidation numbers of the project now.

    * ``applications``: code applications before consolidation = codings now + the duplicate
      codings that merges collapsed;
    * ``codes_before``: unique codes now + codes merged away;
    * ``unique_codes``: codes in the codebook;
    * ``codes_used``: codes with at least one coding;
    * ``recorded``: codes with an ``applications`` count recorded in the codebook, and their sum.
    """
    codebook = data.codebook
    codings = data.codings
    collapsed = int(trail["collapsed"].sum()) if len(trail) else 0
    used = set(codings["code"].astype(str)) & set(codebook.codes) if len(codings) else set()
    recorded = {cid: c.applications for cid, c in codebook.codes.items() if c.applications is not None}
    return {
        "applications": int(len(codings)) + collapsed,
        "codings": int(len(codings)),
        "collapsed": collapsed,
        "codes_before": len(codebook.codes) + int(trail["merged_code"].nunique() if len(trail) else 0),
        "merged": int(len(trail)),
        "unique_codes": len(codebook.codes),
        "codes_used": len(used),
        "recorded_codes": len(recorded),
        "recorded_applications": int(sum(v for v in recorded.values() if v is not None)),
    }


def summary_lines(info: Mapping[str, Any]) -> list[str]:
    lines = [
        f"{info['applications']} code applications → {info['unique_codes']} unique codes → "
        f"{info['codes_used']} codes used",
        f"  code applications: {info['codings']} codings now"
        + (f" + {info['collapsed']} duplicate(s) collapsed by merges" if info["collapsed"] else ""),
        f"  unique codes: {info['codes_before']} codes before merging, {info['merged']} merged away",
        "  codes used: codes with at least one coding",
    ]
    if info["recorded_codes"]:
        lines.append(
            f"  recorded in codebook.yaml (applications: count, source): {info['recorded_codes']} of "
            f"{info['unique_codes']} codes, {info['recorded_applications']} applications in all; the other codes "
            "have no recorded count"
        )
    return lines


__all__ = [
    "TRAIL_COLUMNS",
    "count_codings",
    "record_merge",
    "forget_merge",
    "follow_rename",
    "read_trail",
    "trail_frame",
    "trail_of",
    "summary",
    "summary_lines",
]
