"""Suggestion decisions: accept (stores the coding) or reject, one transaction each."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema as s
from ..errors import CodingError
from ..model import Coding
from .codings import CodingsRoom
from .core import Actor


class SuggestionsRoom(CodingsRoom):
    """What each annotator accepted or rejected of the assistant's suggestions."""

    # ----------------------------------------------------------------- suggestions
    def decide_suggestion(
        self,
        actor: Actor,
        document: str,
        start: int,
        end: int,
        code: str,
        source: str,
        decision: str,
        *,
        chosen_code: str | None = None,
        memo: str = "",
    ) -> int | None:
        """Accept or reject a suggestion in ONE transaction.  Accepting stores the coding (origin
        ``suggestion-accepted``, optionally with ``chosen_code`` instead) and the decision together;
        accepting another code also records the suggested one as rejected.  Returns the coding id."""
        with self.write() as conn:
            if decision == "rejected":
                self._record_decision(conn, actor, document, start, end, code, source, "rejected")
                return None
            chosen = chosen_code or code
            [coding_id] = self._insert_codings(
                conn,
                actor,
                [Coding(document, start, end, chosen, actor.name, memo, "suggestion-accepted")],
                skip_existing=False,
            )
            if chosen != code:
                self._record_decision(conn, actor, document, start, end, code, source, "rejected")
            self._record_decision(conn, actor, document, start, end, chosen, source, "accepted", coding_id)
            return coding_id

    def record_suggestion_decision(
        self,
        actor: Actor,
        document: str,
        start: int,
        end: int,
        code: str,
        source: str,
        decision: str,
        coding_id: int | None = None,
    ) -> None:
        with self.write() as conn:
            self._record_decision(conn, actor, document, start, end, code, source, decision, coding_id)

    def _record_decision(
        self,
        conn: Connection,
        actor: Actor,
        document: str,
        start: int,
        end: int,
        code: str,
        source: str,
        decision: str,
        coding_id: int | None = None,
    ) -> None:
        self.ensure_user(conn, actor.name)
        doc_id = conn.execute(sa.select(s.documents.c.id).where(s.documents.c.name == document)).scalar()
        if doc_id is None:
            raise CodingError(f"Unknown document '{document}'.")
        conn.execute(
            s.suggestion_decisions.delete().where(
                s.suggestion_decisions.c.annotator == actor.name,
                s.suggestion_decisions.c.document_id == doc_id,
                s.suggestion_decisions.c.start_pos == start,
                s.suggestion_decisions.c.end_pos == end,
                s.suggestion_decisions.c.code_id == code,
            )
        )
        conn.execute(
            s.suggestion_decisions.insert().values(
                annotator=actor.name,
                document_id=doc_id,
                start_pos=start,
                end_pos=end,
                code_id=code,
                source=source,
                decision=decision,
                coding_id=coding_id,
                decided_at=s.now(),
            )
        )
        self._audit(
            conn,
            actor,
            f"suggestion.{decision}",
            "suggestion",
            f"{document}:{start}-{end}:{code}",
            None,
            {"source": source, "coding_id": coding_id},
        )

    def suggestion_decisions_frame(self, actor: Actor) -> pd.DataFrame:
        q = (
            sa.select(
                s.documents.c.name.label("document"),
                s.suggestion_decisions.c.start_pos.label("start"),
                s.suggestion_decisions.c.end_pos.label("end"),
                s.suggestion_decisions.c.code_id.label("code"),
                s.suggestion_decisions.c.decision,
                s.suggestion_decisions.c.source,
            )
            .join(s.documents, s.documents.c.id == s.suggestion_decisions.c.document_id)
            .where(s.suggestion_decisions.c.annotator == actor.name)
        )
        with self.read() as conn:
            rows = conn.execute(q).mappings().all()
        return pd.DataFrame(rows, columns=["document", "start", "end", "code", "decision", "source"])
