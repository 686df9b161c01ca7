"""The framework matrix's team summaries (table ``framework_summaries``, migration 6).

One summary per (participant, theme).  Every change is one audit-log entry
(``framework.summary.set`` / ``framework.summary.clear``, entity ``framework_summary``, id
``PARTICIPANT/THEME``) holding the text before and after, so the history of a cell can be read
back and nothing a team wrote is lost without trace.  Edits are optimistic: a caller that shows a
summary passes the version it showed, and a summary changed meanwhile by someone else is refused
(ConflictError) instead of being overwritten.

Who may write: every role from ``annotator`` (the coders) up; in blind mode, before the codings are
revealed, only supervisors and admins (a summary describes everyone's codings).  The same rule
decides who may read them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema as s
from ..errors import ConflictError, PermissionDenied, Problem, QualcodeError, did_you_mean, valid_list
from .core import Actor
from .users import UsersRoom

SUMMARY_ENTITY = "framework_summary"
SUMMARY_COLUMNS = [c.name for c in s.framework_summaries.columns]
MAX_SUMMARY_CHARS = 20_000


def summary_key(participant: str, theme: str) -> str:
    """The audit log's entity id of one cell's summary.

    >>> summary_key("A", "migration")
    'A/migration'
    """
    return f"{participant}/{theme}"


def join_hint(*parts: str | None) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def move_framework_summaries(conn: Connection, old_theme: str, new_theme: str) -> int:
    """A theme whose id changes keeps its summaries (inside the caller's transaction; also run
    backwards by undo).  A cell that already has a summary under the new id keeps both: the old
    one stays under the old id, listed as orphaned, never overwritten."""
    t = s.framework_summaries
    taken = sa.select(t.c.participant_id).where(t.c.theme_id == new_theme).scalar_subquery()
    done = conn.execute(
        t.update().where(t.c.theme_id == old_theme, t.c.participant_id.not_in(taken)).values(theme_id=new_theme)
    )
    return int(done.rowcount or 0)


class FrameworkRoom(UsersRoom):
    """Reads and writes the framework matrix's summaries."""

    def _framework_blind(self, actor: Actor) -> bool:
        """True when ``actor`` may not see the team's summaries (blind mode, not revealed)."""
        return not actor.at_least("supervisor") and self.blind_mode() and not self.revealed()

    def framework_summaries(self, actor: Actor) -> pd.DataFrame:
        """Every stored summary the actor may see (the table's columns), by participant and theme."""
        if self._framework_blind(actor):
            return pd.DataFrame(columns=SUMMARY_COLUMNS)
        t = s.framework_summaries
        with self.read() as conn:
            rows = conn.execute(sa.select(t).order_by(t.c.participant_id, t.c.theme_id)).mappings().all()
        return pd.DataFrame([dict(r) for r in rows], columns=SUMMARY_COLUMNS)

    def framework_summary(self, actor: Actor, participant: str, theme: str) -> dict[str, Any] | None:
        """One cell's summary row, or None."""
        if self._framework_blind(actor):
            return None
        with self.read() as conn:
            return self._summary_row(conn, participant, theme)

    @staticmethod
    def _summary_row(conn: Connection, participant: str, theme: str) -> dict[str, Any] | None:
        t = s.framework_summaries
        row = (
            conn.execute(sa.select(t).where(t.c.participant_id == participant, t.c.theme_id == theme))
            .mappings()
            .first()
        )
        return dict(row) if row is not None else None

    def _check_cell(self, conn: Connection, participant: str, theme: str) -> None:
        """Refuse an unknown participant or theme, naming the valid ones."""
        problems = []
        known = [r[0] for r in conn.execute(sa.select(s.participants.c.id).order_by(s.participants.c.id))]
        if participant not in known:
            problems.append(
                Problem(
                    f"Participant '{participant}' does not exist.",
                    field="participant",
                    hint=join_hint(
                        did_you_mean(participant, known),
                        (f" Participants: {valid_list(known)}." if known else " Import interviews first."),
                    ),
                )
            )
        themes = [
            r[0]
            for r in conn.execute(
                sa.select(s.codes.c.id)
                .where(s.codes.c.kind == "theme", s.codes.c.in_codebook == sa.true())
                .order_by(s.codes.c.position)
            )
        ]
        if theme not in themes:
            problems.append(
                Problem(
                    f"Theme '{theme}' is not a theme of the codebook.",
                    field="theme",
                    hint=join_hint(
                        did_you_mean(theme, themes),
                        (f" Themes: {valid_list(themes)}." if themes else " Add themes to codebook.yaml first."),
                    ),
                )
            )
        if problems:
            raise QualcodeError(problems)

    def set_framework_summary(
        self, actor: Actor, participant: str, theme: str, text: str, *, expected_version: int | None = None
    ) -> dict[str, Any]:
        """Write (or, with blank ``text``, clear) the summary of one cell, audited.

        ``expected_version``: the version the caller showed (0 = it showed no summary); a
        different stored version means someone changed the cell since, and nothing is written.
        Returns ``{"action": "set" | "clear" | "unchanged", "version": …, "summary": row or None}``.
        """
        text = self._check_summary_write(actor, text)
        t = s.framework_summaries
        key = summary_key(participant, theme)
        with self.write() as conn:
            self._check_cell(conn, participant, theme)
            row = self._summary_row(conn, participant, theme)
            stored = 0 if row is None else int(row["version"])
            if expected_version is not None and expected_version != stored:
                who = f" by {row['updated_by']} at {row['updated_at']}" if row is not None else " (it was cleared)"
                raise ConflictError(
                    f"The summary of participant '{participant}' on theme '{theme}' was changed since you opened "
                    f"it{who}; your text was not saved.",
                    hint="Reload the cell, read the other change, and write yours again.",
                )
            before = None if row is None else {"text": row["text"], "version": stored, "updated_by": row["updated_by"]}
            if not text:
                if row is None:
                    return {"action": "unchanged", "version": 0, "summary": None}
                conn.execute(t.delete().where(t.c.id == row["id"]))
                self._audit(conn, actor, "framework.summary.clear", SUMMARY_ENTITY, key, before, None)
                return {"action": "clear", "version": 0, "summary": None}
            if row is not None and row["text"] == text:
                return {"action": "unchanged", "version": stored, "summary": row}
            _write_summary(conn, actor, participant, theme, text, row, stored)
            after = {"text": text, "version": stored + 1, "updated_by": actor.name}
            self._audit(conn, actor, "framework.summary.set", SUMMARY_ENTITY, key, before, after)
            return {"action": "set", "version": stored + 1, "summary": self._summary_row(conn, participant, theme)}

    def _check_summary_write(self, actor: Actor, text: str) -> str:
        """May ``actor`` write a summary now, and is ``text`` short enough?  The text stripped."""
        self.require(actor, "annotator", "write framework summaries")
        if self._framework_blind(actor):
            raise PermissionDenied(
                f"User '{actor.name}' may not write framework summaries while blind coding is on "
                "(a summary describes everyone's codings).",
                hint="A supervisor writes them, or an admin reveals the codings first (qualcode set blind_revealed true).",
            )
        text = (text or "").strip()
        if len(text) > MAX_SUMMARY_CHARS:
            raise QualcodeError(
                Problem(
                    f"The summary has {len(text)} characters; at most {MAX_SUMMARY_CHARS} are kept.",
                    field="text",
                    hint="Shorten it: a framework summary is a few sentences; quotes stay in the codings.",
                )
            )
        return text

    def import_framework_summaries(self, actor: Actor, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Store summaries read from a REFI-QDA file (participant, theme, text, author, created,
        modified) in one transaction, keeping their authors and times; supervisors and admins.
        Cells that already have a summary, or whose participant or theme does not exist, are
        skipped and named.  Returns ``{"imported": n, "skipped": ["P/theme (why)", …]}``."""
        self.require(actor, "supervisor", "import framework summaries")
        t = s.framework_summaries
        imported, skipped = 0, []
        with self.write() as conn:
            participants = {r[0] for r in conn.execute(sa.select(s.participants.c.id))}
            themes = {r[0] for r in conn.execute(sa.select(s.codes.c.id).where(s.codes.c.kind == "theme"))}
            for row in rows:
                participant, theme = str(row["participant"]), str(row["theme"])
                text = str(row.get("text") or "").strip()[:MAX_SUMMARY_CHARS]
                key = summary_key(participant, theme)
                why = (
                    "no such participant"
                    if participant not in participants
                    else "no such theme"
                    if theme not in themes
                    else "empty"
                    if not text
                    else "the cell already has a summary"
                    if self._summary_row(conn, participant, theme) is not None
                    else None
                )
                if why is not None:
                    skipped.append(f"{key} ({why})")
                    continue
                author = str(row.get("author") or actor.name)
                created = str(row.get("created") or s.now())
                values = dict(
                    participant_id=participant,
                    theme_id=theme,
                    text=text,
                    version=1,
                    created_at=created,
                    created_by=author,
                    updated_at=str(row.get("modified") or created),
                    updated_by=author,
                )
                conn.execute(t.insert().values(**values))
                after = {"text": text, "version": 1, "updated_by": author}
                self._audit(conn, actor, "framework.summary.import", SUMMARY_ENTITY, key, None, after)
                imported += 1
        return {"imported": imported, "skipped": skipped}

    def framework_summary_history(self, actor: Actor, participant: str, theme: str) -> pd.DataFrame:
        """The audit trail of one cell's summary, oldest first (at, actor, action, before, after)."""
        if self._framework_blind(actor):
            return pd.DataFrame(columns=["at", "actor", "action", "before", "after"])
        log = s.audit_log
        with self.read() as conn:
            rows = (
                conn.execute(
                    sa.select(log.c.at, log.c.actor, log.c.action, log.c.before, log.c.after)
                    .where(log.c.entity == SUMMARY_ENTITY, log.c.entity_id == summary_key(participant, theme))
                    .order_by(log.c.id)
                )
                .mappings()
                .all()
            )
        return pd.DataFrame([dict(r) for r in rows], columns=["at", "actor", "action", "before", "after"])


__all__ = ["FrameworkRoom", "SUMMARY_ENTITY", "move_framework_summaries", "summary_key"]


def _write_summary(
    conn: Connection, actor: Actor, participant: str, theme: str, text: str, row: Any, stored: int
) -> None:
    """Insert the cell's first summary, or update the stored one if it is still at version ``stored``."""
    t = s.framework_summaries
    now = s.now()
    if row is None:
        conn.execute(
            t.insert().values(
                participant_id=participant,
                theme_id=theme,
                text=text,
                version=1,
                created_at=now,
                created_by=actor.name,
                updated_at=now,
                updated_by=actor.name,
            )
        )
        return
    done = conn.execute(
        t.update()
        .where(t.c.id == row["id"], t.c.version == stored)
        .values(text=text, version=stored + 1, updated_at=now, updated_by=actor.name)
    )
    if done.rowcount != 1:  # PostgreSQL: another transaction won the race
        raise ConflictError(
            f"The summary of participant '{participant}' on theme '{theme}' was changed at the same "
            "moment elsewhere; your text was not saved.",
            hint="Reload the cell and write yours again.",
        )
