"""Codings: checks, set-based inserts, edits with optimistic versions, delete, undo."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from .. import schema as s
from ..errors import (
    CodingError,
    ConflictError,
    PermissionDenied,
    Problem,
    QualcodeError,
    UndoRefused,
    did_you_mean,
    from_database,
    valid_list,
)
from ..model import ORIGINS, Coding, ParsedDocument
from .core import Actor
from .documents import DocumentsRoom
from .framework import move_framework_summaries
from .memos import MEMO_UNDO, revert_memo
from .users import UsersRoom

CODING_UNDO = ("coding.add", "coding.update", "coding.delete", "coding.archive")  # what undo_last reverts
UNDOABLE = (*CODING_UNDO, *MEMO_UNDO, "codebook.file")  # a step holding one of these can be undone


class CodingsRoom(UsersRoom, DocumentsRoom):
    """Codings and their undo log; the detached codings re-imports leave behind."""

    # ----------------------------------------------------------------- codings
    def _document_ids(self, conn: Connection, names: Iterable[str]) -> dict[str, tuple[int, int, str]]:
        """(id, length, participant) of the named documents that exist.  Only those rows: a scan
        of the whole table walks every stored transcript's text pages (10 ms per coding on a
        1,000-interview project)."""
        wanted, found = sorted(set(names)), {}
        columns = (s.documents.c.name, s.documents.c.id, s.documents.c.length, s.documents.c.participant_id)
        for lo in range(0, len(wanted), 500):
            chunk = wanted[lo : lo + 500]
            for r in conn.execute(sa.select(*columns).where(s.documents.c.name.in_(chunk))):
                found[r.name] = (r.id, r.length, r.participant_id)
        return found

    def _all_document_names(self, conn: Connection) -> list[str]:
        """Every document's name (for the hint of an unknown-document error)."""
        return [r[0] for r in conn.execute(sa.select(s.documents.c.name).order_by(s.documents.c.name))]

    def _check_codings(
        self,
        conn: Connection,
        actor: Actor,
        items: Sequence[Coding],
        rows: Sequence[int | None] | None = None,
        source: str | None = None,
    ) -> list[dict]:
        docs = self._document_ids(conn, (c.document for c in items))
        known = docs if all(c.document in docs for c in items) else self._all_document_names(conn)
        codes = {r[0] for r in conn.execute(sa.select(s.codes.c.id).where(s.codes.c.kind == "code"))}
        problems: list[Problem] = []
        values: list[dict[str, Any]] = []
        for i, c in enumerate(items):
            row_no = rows[i] if rows else None
            loc: dict[str, Any] = dict(path=source, row=row_no)
            if c.annotator != actor.name and not actor.at_least("supervisor") and not actor.local:
                raise PermissionDenied(f"'{actor.name}' may not write codings as '{c.annotator}'.")
            problem = _coding_problem(c, docs, known, codes, loc)
            if problem is not None:
                problems.append(problem)
                continue
            doc_id, length, _ = docs[c.document]
            values.append(_coding_values(c, doc_id, length))
        if problems:
            raise CodingError(problems)
        return values

    def add_codings(
        self,
        actor: Actor,
        items: Sequence[Coding],
        *,
        rows: Sequence[int | None] | None = None,
        source: str | None = None,
        source_sha256: str | None = None,
        skip_existing: bool = True,
        step: str | None = None,
    ) -> list[int]:
        """Add codings in ONE transaction (all or nothing).  Returns the new ids (existing
        identical codings are skipped when ``skip_existing``).  ``step``: the undo step to join
        (one import of several files is undone as one step)."""
        with self.write(step=step) as conn:
            ids = self._insert_codings(conn, actor, list(items), rows=rows, source=source, skip_existing=skip_existing)
            self._record_import(conn, source, "codings", source_sha256)
        return ids

    def upsert_document_with_codings(
        self,
        actor: Actor,
        doc: ParsedDocument,
        codings: Sequence[Coding],
        *,
        coder: Actor,
        source: str | None = None,
        source_sha256: str | None = None,
        codings_source: str | None = None,
        step: str | None = None,
    ) -> tuple[dict[str, Any], list[int]]:
        """A transcript and the codings its file carries (Word comments, by ``coder``) in ONE
        transaction: both are stored or neither.  The codings join the undo step ``step``."""
        ids: list[int] = []

        def insert(conn: Connection) -> None:
            if codings:
                if step is not None:
                    conn.info["qualcode_step"] = step
                ids.extend(self._insert_codings(conn, coder, list(codings), source=codings_source))

        result = self.upsert_document(actor, doc, source=source, source_sha256=source_sha256, then=insert)
        return result, ids

    def _insert_codings(
        self,
        conn: Connection,
        actor: Actor,
        items: list[Coding],
        *,
        rows: Sequence[int | None] | None = None,
        source: str | None = None,
        skip_existing: bool = True,
    ) -> list[int]:
        """Check and insert codings inside the caller's transaction; returns the new ids."""
        values = self._check_codings(conn, actor, items, rows, source)
        for annotator in {v["annotator"] for v in values}:
            self.ensure_user(conn, annotator)
        # Set-based rather than one SELECT + INSERT + audit INSERT per coding: building
        # three SQLAlchemy statements per row made a 60,000-row spreadsheet take minutes.
        texts, existing = _texts_and_existing(conn, values)
        new_rows = _new_coding_rows(values, texts, existing, skip_existing)
        ids: list[int] = []
        if new_rows:
            ids = self._store_coding_rows(conn, new_rows)
            conn.execute(s.audit_log.insert(), _coding_add_audit(conn, actor, ids, new_rows))
        return ids

    def _store_coding_rows(self, conn: Connection, new_rows: list[dict[str, Any]]) -> list[int]:
        """INSERT the checked rows in one statement; a lost race becomes the named clash error."""
        try:
            with conn.begin_nested():
                return [
                    int(r[0])
                    for r in conn.execute(
                        s.codings.insert().returning(s.codings.c.id, sort_by_parameter_order=True), new_rows
                    )
                ]
        except sa.exc.IntegrityError as exc:
            raise self._clash(conn, new_rows, exc) from None

    def _clash(self, conn: Connection, rows: Sequence[dict[str, Any]], exc: sa.exc.IntegrityError) -> QualcodeError:
        """The named error for an INSERT that lost a race: another session stored the same coding
        between this one's duplicate check and its insert (PostgreSQL; SQLite writers queue)."""
        for v in rows:
            taken = conn.execute(
                sa.select(s.codings.c.id).where(
                    s.codings.c.document_id == v["document_id"],
                    s.codings.c.start_pos == v["start_pos"],
                    s.codings.c.end_pos == v["end_pos"],
                    s.codings.c.code_id == v["code_id"],
                    s.codings.c.annotator == v["annotator"],
                )
            ).scalar()
            if taken is not None:
                return CodingError(
                    f"'{v['annotator']}' already coded this span with '{v['code_id']}' (coding {taken}, saved by "
                    "another session at the same moment); nothing of this batch was saved.",
                    hint="Reload: the coding is there. Add the others again if you still want them.",
                )
        return from_database(exc)

    def add_coding(self, actor: Actor, coding: Coding) -> int:
        ids = self.add_codings(actor, [coding], skip_existing=False)
        return ids[0]

    def get_coding(self, actor: Actor, coding_id: int) -> dict[str, Any] | None:
        with self.read() as conn:
            row = conn.execute(sa.select(s.codings).where(s.codings.c.id == coding_id)).mappings().first()
        if row is None:
            return None
        visible = self.visible_annotators(actor)
        if visible is not None and row["annotator"] not in visible:
            return None
        return dict(row)

    def _owned_row(self, conn: Connection, actor: Actor, coding_id: int) -> RowMapping:
        row = conn.execute(sa.select(s.codings).where(s.codings.c.id == coding_id)).mappings().first()
        if row is None:
            raise CodingError(f"Coding {coding_id} does not exist (it may have been deleted).")
        if row["annotator"] != actor.name and not actor.at_least("supervisor") and not actor.local:
            raise PermissionDenied(f"'{actor.name}' may not change a coding of '{row['annotator']}'.")
        return row

    def update_coding(
        self,
        actor: Actor,
        coding_id: int,
        *,
        expected_version: int | None = None,
        memo: str | None = None,
        code: str | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> int:
        """Change a coding; returns its new version.  A stale ``expected_version`` raises ConflictError."""
        with self.write() as conn:
            row = self._owned_row(conn, actor, coding_id)
            if expected_version is not None and row["version"] != expected_version:
                raise ConflictError(
                    f"Coding {coding_id} was changed by someone else since you loaded it.",
                    hint="Reload the page and apply your change again.",
                )
            values: dict[str, Any] = {}
            if memo is not None:
                values["memo"] = memo
            if code is not None:
                known = conn.execute(
                    sa.select(s.codes.c.id).where(s.codes.c.id == code, s.codes.c.kind == "code")
                ).scalar()
                if known is None:
                    all_codes = [r[0] for r in conn.execute(sa.select(s.codes.c.id).where(s.codes.c.kind == "code"))]
                    raise CodingError(f"Unknown code '{code}'.", hint=did_you_mean(code, all_codes))
                values["code_id"] = code
            if start is not None or end is not None:
                new_start = row["start_pos"] if start is None else start
                new_end = row["end_pos"] if end is None else end
                if not (0 <= new_start < new_end <= row["doc_length"]):
                    raise CodingError(
                        f"Span {new_start}–{new_end} is outside the document (length {row['doc_length']})."
                    )
                text = conn.execute(
                    sa.select(s.documents.c.text).where(s.documents.c.id == row["document_id"])
                ).scalar_one()
                values.update(start_pos=new_start, end_pos=new_end, quote=text[new_start:new_end])
            if not values:
                return int(row["version"])
            values.update(updated_at=s.now(), version=row["version"] + 1)
            try:
                res = conn.execute(
                    s.codings.update()
                    .where(s.codings.c.id == coding_id, s.codings.c.version == row["version"])
                    .values(**values)
                )
            except sa.exc.IntegrityError:
                raise CodingError("That change would duplicate an existing coding of the same span and code.") from None
            if res.rowcount != 1:
                raise ConflictError(
                    f"Coding {coding_id} was changed by someone else at the same time.",
                    hint="Reload and apply your change again.",
                )
            before = {k: row[k] for k in ("start_pos", "end_pos", "code_id", "memo", "version")}
            after = {k: values.get(k, row[k]) for k in ("start_pos", "end_pos", "code_id", "memo", "version")}
            self._audit(conn, actor, "coding.update", "coding", coding_id, before, after)
        return int(values["version"])

    def delete_coding(self, actor: Actor, coding_id: int) -> None:
        with self.write() as conn:
            row = self._owned_row(conn, actor, coding_id)
            conn.execute(s.codings.delete().where(s.codings.c.id == coding_id))
            before = {
                k: row[k]
                for k in (
                    "document_id",
                    "start_pos",
                    "end_pos",
                    "code_id",
                    "annotator",
                    "memo",
                    "origin",
                    "created_at",
                    "version",
                )
            }
            self._audit(conn, actor, "coding.delete", "coding", coding_id, before, None)

    def undo_last(self, actor: Actor, *, restore_codebook: Any = None) -> dict[str, Any] | None:
        """Undo ``actor``'s most recent step from the audit log: one coding change (add, edit,
        delete), every coding of one import, or a codebook edit with every coding it moved.
        None when there is nothing to undo.

        Undo acts only on what that step wrote, as that step left it: if a coding was since
        changed (by anyone, or by a re-import or codebook merge) or deleted, or putting it back
        would clash with what is stored now, nothing is undone and
        :class:`~qualcode.errors.UndoRefused` says why.  The refused step is then passed over, so
        the next undo goes to the step before it.  A codebook step needs ``restore_codebook``
        (``Project.undo`` passes it: codebook.yaml goes back too).
        """
        with self.write() as conn:
            entries = self._step_entries(conn, actor)
            if not entries:
                return None
            codebook_entry = next((e for e in entries if e["action"] == "codebook.file"), None)
            codings = [e for e in entries if e["entity"] == "coding" and e["action"] in CODING_UNDO]
            memos = [e for e in entries if e["entity"] == "memo" and e["action"] in MEMO_UNDO]
            try:
                with conn.begin_nested():  # all of the step, or none of it
                    memos_undone = self._undo_step(
                        conn, actor, entries, codebook_entry, codings, memos, restore_codebook
                    )
            except UndoRefused as exc:
                refusal = self._refuse_step(conn, actor, entries, exc)
            else:
                return _undo_result(entries, codebook_entry, codings, memos_undone)
        raise refusal

    def _step_entries(self, conn: Connection, actor: Actor) -> list[Any]:
        """The audit entries of ``actor``'s newest undoable step, newest first, with the step's
        other entries (merge record, trail, …)."""
        entries = self._last_step(conn, actor, UNDOABLE)
        if entries and entries[0]["step"] is not None:
            entries = list(
                conn.execute(
                    sa.select(s.audit_log)
                    .where(
                        s.audit_log.c.step == entries[0]["step"],
                        s.audit_log.c.actor == actor.name,
                        s.audit_log.c.undone_by.is_(None),
                    )
                    .order_by(s.audit_log.c.id.desc())
                ).mappings()
            )
        return entries

    def _undo_step(
        self,
        conn: Connection,
        actor: Actor,
        entries: list[Any],
        codebook_entry: Any,
        codings: list[Any],
        memos: list[Any],
        restore_codebook: Any,
    ) -> list[dict[str, Any]]:
        """Revert every entry of the step inside the caller's savepoint and mark the rest undone;
        the memos undone.  UndoRefused if any part cannot be."""
        finish = None
        if codebook_entry is not None:
            if restore_codebook is None:
                raise UndoRefused("Your last step changed codebook.yaml: undo it with 'qualcode undo'.")
            finish = restore_codebook(conn, codebook_entry)
        for entry in codings:
            self._revert_coding(conn, actor, entry)
        memos_undone = [revert_memo(conn, actor, entry, self._audit) for entry in memos]
        _revert_consolidation(conn, entries)
        if finish is not None:
            finish(conn)
        rest = [e["id"] for e in entries if e not in codings and e not in memos]
        if rest:
            mark = self._audit(conn, actor, "undo", "audit", entries[-1]["id"], None, {"entries": rest})
            conn.execute(s.audit_log.update().where(s.audit_log.c.id.in_(rest)).values(undone_by=mark))
        return memos_undone

    def _refuse_step(self, conn: Connection, actor: Actor, entries: list[Any], exc: UndoRefused) -> UndoRefused:
        """Log the refusal and pass the step over (the next undo goes to the step before it)."""
        refusal = UndoRefused(
            exc.problems[0].message,
            hint="Nothing was undone. This change is passed over: Undo now goes to your change before it.",
        )
        mark = self._audit(
            conn, actor, "undo.refused", "audit", entries[0]["id"], None, {"reason": exc.problems[0].message}
        )
        conn.execute(
            s.audit_log.update().where(s.audit_log.c.id.in_([e["id"] for e in entries])).values(undone_by=mark)
        )
        return refusal

    def _last_step(self, conn: Connection, actor: Actor, actions: Sequence[str]) -> list[Any]:
        """The audit entries of ``actor``'s newest step not yet undone (newest first): those with
        the step id of the newest undoable entry (entries from before steps existed stand alone)."""
        log = s.audit_log
        mine = sa.and_(log.c.actor == actor.name, log.c.undone_by.is_(None), log.c.action.in_(list(actions)))
        newest = conn.execute(sa.select(log).where(mine).order_by(log.c.id.desc()).limit(1)).mappings().first()
        if newest is None or newest["step"] is None:
            return [newest] if newest is not None else []
        return list(
            conn.execute(sa.select(log).where(mine, log.c.step == newest["step"]).order_by(log.c.id.desc())).mappings()
        )

    def _changed_since(self, conn: Connection, entry: Mapping[str, Any]) -> tuple[str | None, int | None]:
        """Whether coding ``entry`` wrote was changed after it: ``(who changed it, or None;
        the version the audit log says it has now, or None if unknown)``."""
        log = s.audit_log
        later = conn.execute(
            sa.select(log)
            .where(log.c.entity == "coding", log.c.entity_id == entry["entity_id"], log.c.id > entry["id"])
            .order_by(log.c.id)
        ).mappings()
        version = (entry["after"] or {}).get("version")
        for row in later:
            if row["action"] != "undo" and row["undone_by"] is None:
                return f"{row['actor']} ({row['action'].removeprefix('coding.')})", None
            version = (row["after"] or {}).get("version", version)
        return None, version

    def _revert_coding(self, conn: Connection, actor: Actor, entry: Mapping[str, Any]) -> None:
        """Revert one coding entry inside the caller's savepoint (UndoRefused if it cannot be)."""
        coding_id = int(entry["entity_id"])
        action = entry["action"].removeprefix("coding.")
        what = f"your {action} of coding {coding_id}"
        row = conn.execute(sa.select(s.codings).where(s.codings.c.id == coding_id)).mappings().first()
        if action in ("add", "update"):
            self._check_unchanged(conn, entry, row, action, what)
        if action == "add":
            assert row is not None
            undo_id = self._undo_add(conn, actor, entry, row)
        elif action == "update":
            assert row is not None
            undo_id = self._undo_update(conn, actor, entry, row, what)
        elif action in ("delete", "archive"):
            if row is not None:
                raise UndoRefused(f"Cannot undo {what}: a coding with that id exists again.")
            undo_id = self._undo_delete(conn, actor, entry, what)
        else:
            raise UndoRefused(f"Cannot undo '{entry['action']}' entries.")
        undone = conn.execute(
            s.audit_log.update()
            .where(s.audit_log.c.id == entry["id"], s.audit_log.c.undone_by.is_(None))
            .values(undone_by=undo_id)
        )
        if undone.rowcount != 1:
            raise UndoRefused(f"Cannot undo {what}: it is being undone at the same moment elsewhere.")

    def _check_unchanged(
        self, conn: Connection, entry: Mapping[str, Any], row: RowMapping | None, action: str, what: str
    ) -> None:
        """An added or edited coding can be reverted only while it is still as that entry left it."""
        coding_id = int(entry["entity_id"])
        if row is None:
            raise UndoRefused(f"Cannot undo {what}: that coding was deleted or detached since.")
        owner = (entry["after"] or {}).get("annotator", row["annotator"]) if action == "add" else row["annotator"]
        if row["annotator"] != owner:
            raise UndoRefused(f"Cannot undo {what}: coding {coding_id} is now {row['annotator']}'s coding.")
        changer, version = self._changed_since(conn, entry)
        if changer is not None:
            raise UndoRefused(f"Cannot undo {what}: {changer} changed it since.")
        if version is not None and row["version"] != version:
            raise UndoRefused(
                f"Cannot undo {what}: it was changed since (version {row['version']}, your change left "
                f"version {version}), e.g. re-anchored by a transcript re-import or moved by a code merge."
            )

    def _undo_add(self, conn: Connection, actor: Actor, entry: Mapping[str, Any], row: RowMapping) -> int:
        """Delete the added coding; the id of the undo's audit entry."""
        coding_id = int(entry["entity_id"])
        conn.execute(s.codings.delete().where(s.codings.c.id == coding_id))
        return self._audit(
            conn,
            actor,
            "undo",
            "coding",
            coding_id,
            dict(entry["after"] or {}, version=row["version"]),
            {"undoes": entry["id"]},
        )

    def _undo_update(self, conn: Connection, actor: Actor, entry: Mapping[str, Any], row: RowMapping, what: str) -> int:
        """Put the edited coding's old span, code and memo back; the id of the undo's audit entry."""
        coding_id = int(entry["entity_id"])
        before = entry["before"]
        text = conn.execute(sa.select(s.documents.c.text).where(s.documents.c.id == row["document_id"])).scalar()
        text = text or ""
        restored = {k: before[k] for k in ("start_pos", "end_pos", "code_id", "memo")}
        if not 0 <= restored["start_pos"] < restored["end_pos"] <= row["doc_length"]:
            raise UndoRefused(f"Cannot undo {what}: its old span no longer fits the document.")
        self._put_back(
            conn,
            what,
            s.codings.update()
            .where(s.codings.c.id == coding_id, s.codings.c.version == row["version"])
            .values(
                **restored,
                quote=text[restored["start_pos"] : restored["end_pos"]],
                version=row["version"] + 1,
                updated_at=s.now(),
            ),
            restored["code_id"],
            row["annotator"],
        )
        return self._audit(
            conn,
            actor,
            "undo",
            "coding",
            coding_id,
            {k: row[k] for k in ("start_pos", "end_pos", "code_id", "memo", "version")},
            {**restored, "version": row["version"] + 1, "undoes": entry["id"]},
        )

    def _undo_delete(self, conn: Connection, actor: Actor, entry: Mapping[str, Any], what: str) -> int:
        """Insert the deleted (or archived) coding again under its id; the id of the undo's audit entry."""
        coding_id = int(entry["entity_id"])
        before = entry["before"]
        doc = conn.execute(
            sa.select(s.documents.c.length, s.documents.c.text).where(s.documents.c.id == before["document_id"])
        ).first()
        if doc is None or before["end_pos"] > doc.length:
            raise UndoRefused(f"Cannot undo {what}: the transcript changed since the coding was deleted.")
        self.ensure_user(conn, before["annotator"])
        version = int(before.get("version", 1)) + 1
        self._put_back(
            conn,
            what,
            s.codings.insert().values(
                id=coding_id,
                document_id=before["document_id"],
                doc_length=doc.length,
                start_pos=before["start_pos"],
                end_pos=before["end_pos"],
                code_id=before["code_id"],
                annotator=before["annotator"],
                memo=before["memo"],
                origin=before["origin"],
                quote=doc.text[before["start_pos"] : before["end_pos"]],
                created_at=before["created_at"],
                updated_at=s.now(),
                version=version,
            ),
            before["code_id"],
            before["annotator"],
        )
        if entry["action"].removeprefix("coding.") == "archive":
            conn.execute(s.detached_codings.delete().where(s.detached_codings.c.id == coding_id))
        return self._audit(
            conn, actor, "undo", "coding", coding_id, None, {**before, "version": version, "undoes": entry["id"]}
        )

    def _put_back(self, conn: Connection, what: str, statement: Any, code_id: str, annotator: str) -> None:
        """Run an undo's UPDATE/INSERT; a clash with the codings stored now is a refusal, not a raw error."""
        known = conn.execute(sa.select(s.codes.c.id).where(s.codes.c.id == code_id)).scalar()
        if known is None:
            raise UndoRefused(f"Cannot undo {what}: its code '{code_id}' is no longer in the codebook.")
        try:
            with conn.begin_nested():
                result = conn.execute(statement)
        except sa.exc.IntegrityError:
            raise UndoRefused(
                f"Cannot undo {what}: {annotator} has coded that span with '{code_id}' again since."
            ) from None
        if statement.is_update and result.rowcount != 1:  # the version guard did not match
            raise UndoRefused(f"Cannot undo {what}: it was changed at the same moment elsewhere.")

    def detached_frame(self) -> pd.DataFrame:
        with self.read() as conn:
            rows = conn.execute(sa.select(s.detached_codings).order_by(s.detached_codings.c.id)).mappings().all()
        return pd.DataFrame(rows, columns=[c.name for c in s.detached_codings.columns])


def _revert_consolidation(conn: Connection, entries: list[Any]) -> None:
    """Undo a step's code merges (their merge records) and renames (merge targets, memos and
    framework summaries move back to the old id)."""
    for entry in entries:
        if entry["action"] == "consolidation.merge" and entry["entity_id"] is not None:
            conn.execute(s.code_merges.delete().where(s.code_merges.c.id == int(entry["entity_id"])))
        elif entry["action"] == "consolidation.rename":
            conn.execute(
                s.code_merges.update()
                .where(s.code_merges.c.target_id == entry["after"]["id"])
                .values(target_id=entry["before"]["id"])
            )
            conn.execute(
                s.memos.update().where(s.memos.c.code_id == entry["after"]["id"]).values(code_id=entry["before"]["id"])
            )
            move_framework_summaries(conn, entry["after"]["id"], entry["before"]["id"])


def _undo_result(
    entries: list[Any], codebook_entry: Any, codings: list[Any], memos_undone: list[dict[str, Any]]
) -> dict[str, Any]:
    """What :meth:`CodingsRoom.undo_last` returns for a step undone: what it was, the codings
    (or memo) put back, and a message."""
    coding_ids = [int(e["entity_id"]) for e in codings]
    actions = sorted({e["action"] for e in codings})
    if codebook_entry is not None:
        change = next((e for e in entries if e["entity"] == "codebook" and e is not codebook_entry), None)
        what = change["action"].removeprefix("codebook.") if change else "change"
        return {
            "undone": f"codebook.{what}",
            "coding_id": None,
            "coding_ids": coding_ids,
            "message": f"Undid the codebook {what} ({len(coding_ids)} coding(s) put back as they were).",
        }
    if memos_undone and not codings:
        first = memos_undone[0]
        about = f" on {first['target']}" if first["target"] else ""
        return {
            "undone": f"memo.{first['action']}",
            "coding_id": None,
            "coding_ids": [],
            "memo_id": first["id"],
            "message": f"Undid {first['action']} of memo {first['id']} ({first['kind']} memo{about}).",
        }
    single = len(codings) == 1
    undone = actions[0] if single else "import"
    return {
        "undone": undone,
        "coding_id": coding_ids[0] if single else None,
        "coding_ids": coding_ids,
        "message": (
            f"Undid {undone.removeprefix('coding.')} of coding {coding_ids[0]}."
            if single
            else f"Undid one step: {len(codings)} codings ({', '.join(actions)})."
        ),
    }


def _coding_problem(
    c: Coding,
    docs: Mapping[str, tuple[int, int, str]],
    known: Collection[str],
    codes: set[str],
    loc: dict[str, Any],
) -> Problem | None:
    """The first thing wrong with one coding (unknown document/code, bad span, unknown origin);
    ``known``: every document name, for the hint."""
    if c.document not in docs:
        return Problem(
            f"Unknown document '{c.document}'.",
            field="document",
            hint=(did_you_mean(c.document, known) or "") + f" Known documents: {valid_list(known)}.",
            **loc,
        )
    if c.code not in codes:
        return Problem(
            f"Unknown code '{c.code}'.",
            field="code",
            hint=did_you_mean(c.code, codes) or "Add it to codebook.yaml first, or pick an existing code.",
            **loc,
        )
    _, length, _ = docs[c.document]
    if not (0 <= c.start < c.end <= length):
        return Problem(
            f"Span {c.start}–{c.end} is outside document '{c.document}' (length {length}) or empty.",
            field="start/end",
            hint="Offsets are code points, start < end ≤ length.",
            **loc,
        )
    if c.origin not in ORIGINS:
        return Problem(f"Unknown origin '{c.origin}'.", field="origin", hint=f"Valid: {valid_list(ORIGINS)}.", **loc)
    return None


def _coding_values(c: Coding, doc_id: int, length: int) -> dict[str, Any]:
    """The codings-table row for one checked coding (no quote yet)."""
    stamp = c.created_at or s.now()
    return {
        "document_id": doc_id,
        "doc_length": length,
        "start_pos": c.start,
        "end_pos": c.end,
        "code_id": c.code,
        "annotator": c.annotator,
        "memo": c.memo or "",
        "origin": c.origin,
        "created_at": stamp,
        "updated_at": stamp,
    }


def _texts_and_existing(
    conn: Connection, values: Sequence[dict[str, Any]]
) -> tuple[dict[int, str], dict[int, set[tuple]]]:
    """Each touched document's text, and the (start, end, code, annotator) keys already stored
    at the starts the new codings use."""
    texts: dict[int, str] = {}
    existing: dict[int, set[tuple]] = {}
    starts_of: dict[int, set[int]] = {}
    for v in values:
        starts_of.setdefault(v["document_id"], set()).add(v["start_pos"])
    for doc_id, starts in starts_of.items():
        texts[doc_id] = conn.execute(sa.select(s.documents.c.text).where(s.documents.c.id == doc_id)).scalar_one()
        existing[doc_id] = _stored_keys_at(conn, doc_id, starts)
    return texts, existing


def _stored_keys_at(conn: Connection, doc_id: int, starts: set[int]) -> set[tuple]:
    """Only stored codings that start where a new one starts can be duplicates: fetch just
    those (index on document_id, start_pos), not every coding of the document."""
    ordered, found = sorted(starts), set[tuple]()
    for lo in range(0, len(ordered), 500):
        found.update(
            tuple(r)
            for r in conn.execute(
                sa.select(s.codings.c.start_pos, s.codings.c.end_pos, s.codings.c.code_id, s.codings.c.annotator).where(
                    s.codings.c.document_id == doc_id, s.codings.c.start_pos.in_(ordered[lo : lo + 500])
                )
            )
        )
    return found


def _new_coding_rows(
    values: Sequence[dict[str, Any]],
    texts: Mapping[int, str],
    existing: dict[int, set[tuple]],
    skip_existing: bool,
) -> list[dict[str, Any]]:
    """The rows to insert, with their quotes: duplicates are skipped or refused."""
    new_rows: list[dict[str, Any]] = []
    for v in values:
        key = (v["start_pos"], v["end_pos"], v["code_id"], v["annotator"])
        if key in existing[v["document_id"]]:  # stored before, or earlier in this batch
            if skip_existing:
                continue
            raise CodingError(
                f"'{v['annotator']}' already coded this span with '{v['code_id']}'.",
                hint="Edit the existing coding instead.",
            )
        existing[v["document_id"]].add(key)
        v["quote"] = texts[v["document_id"]][v["start_pos"] : v["end_pos"]]
        new_rows.append(v)
    return new_rows


def _coding_add_audit(
    conn: Connection, actor: Actor, ids: Sequence[int], new_rows: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One coding.add audit row per new coding, in the caller's undo step."""
    audit = []
    for new_id, v in zip(ids, new_rows):
        after = {k: v[k] for k in ("start_pos", "end_pos", "code_id", "annotator", "memo", "origin")}
        after.update(document_id=v["document_id"], version=1)
        audit.append(
            {
                "at": s.now(),
                "actor": actor.name,
                "action": "coding.add",
                "entity": "coding",
                "entity_id": str(new_id),
                "before": None,
                "after": after,
                "step": conn.info.get("qualcode_step"),
            }
        )
    return audit
