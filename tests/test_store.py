"""Storage: schema constraints, migrations, all-or-nothing writes, roles, blind mode, undo, audit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from qualcode import schema as s
from qualcode.errors import CodingError, ConflictError, PermissionDenied
from qualcode.model import Code, Codebook, Coding, CrossCut, ParsedDocument, Participant, Segment, Theme
from qualcode.store import Actor, Store

ADMIN = Actor("admin", "admin")
ALICE = Actor("alice", "annotator")
BOB = Actor("bob", "annotator")
SUPER = Actor("sue", "supervisor")

TEXT = "Kazakhstan is a transit country. Many people moved on to Europe.\n\nPEAs are not controlled."


def small_codebook() -> Codebook:
    return Codebook(
        themes={"trends": Theme("trends", "Trends"), "gaps": Theme("gaps", "Gaps")},
        codes={
            "transit": Code("transit", "Transit country", "trends"),
            "europe": Code("europe", "Onward to Europe", "trends"),
            "pea": Code("pea", "PEA control missing", "gaps"),
        },
        cross_cutting={"transit_migration": CrossCut("transit_migration", "Transit migration", ("transit", "europe"))},
    )


def doc(text: str = TEXT, name: str = "expert_A") -> ParsedDocument:
    return ParsedDocument(
        name=name,
        text=text,
        participant=Participant("A", "Expert (A)", {"role": "x"}),
        segments=[Segment("sentence", 0, 32), Segment("paragraph", 0, 65)],
    )


@pytest.fixture
def store(db_url: str) -> Store:
    st = Store(db_url)
    st.sync_codebook(small_codebook())
    st.upsert_document(ADMIN, doc())
    yield st
    st.dispose()


def test_migrations_are_recorded_and_idempotent(store: Store) -> None:
    assert store.schema_versions() == [v for v, _, _ in s.MIGRATIONS]
    with store.write() as conn:
        assert s.migrate(conn) == []


@pytest.mark.parametrize("start,end", [(-1, 5), (5, 5), (10, 4), (0, len(TEXT) + 1)])
def test_schema_refuses_spans_out_of_bounds(store: Store, start: int, end: int) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        with store.write() as conn:
            store.ensure_user(conn, "alice")
            doc_id = conn.execute(sa.select(s.documents.c.id)).scalar()
            conn.execute(
                s.codings.insert().values(
                    document_id=doc_id,
                    doc_length=len(TEXT),
                    start_pos=start,
                    end_pos=end,
                    code_id="transit",
                    annotator="alice",
                    quote="",
                    created_at="t",
                    updated_at="t",
                )
            )


def test_schema_ties_doc_length_to_the_document(store: Store) -> None:
    """A coding cannot lie about its document's length to escape the bound check."""
    with pytest.raises(sa.exc.IntegrityError):
        with store.write() as conn:
            store.ensure_user(conn, "alice")
            doc_id = conn.execute(sa.select(s.documents.c.id)).scalar()
            conn.execute(
                s.codings.insert().values(
                    document_id=doc_id,
                    doc_length=10**6,
                    start_pos=0,
                    end_pos=len(TEXT) + 50,
                    code_id="transit",
                    annotator="alice",
                    quote="",
                    created_at="t",
                    updated_at="t",
                )
            )


def test_schema_refuses_duplicates_and_unknown_codes(store: Store) -> None:
    store.add_coding(ALICE, Coding("expert_A", 0, 10, "transit", "alice"))
    with pytest.raises(CodingError, match="already coded"):
        store.add_coding(ALICE, Coding("expert_A", 0, 10, "transit", "alice"))
    with pytest.raises(sa.exc.IntegrityError):
        with store.write() as conn:
            doc_id = conn.execute(sa.select(s.documents.c.id)).scalar()
            conn.execute(
                s.codings.insert().values(
                    document_id=doc_id,
                    doc_length=len(TEXT),
                    start_pos=0,
                    end_pos=10,
                    code_id="nope",
                    annotator="alice",
                    quote="",
                    created_at="t",
                    updated_at="t",
                )
            )


def test_add_codings_is_all_or_nothing_and_lists_every_bad_row(store: Store) -> None:
    items = [
        Coding("expert_A", 0, 10, "transit", "alice"),
        Coding("expert_A", 0, 10, "trnsit", "alice"),
        Coding("expert_Z", 0, 10, "pea", "alice"),
        Coding("expert_A", 50, 5000, "pea", "alice"),
    ]
    with pytest.raises(CodingError) as info:
        store.add_codings(ALICE, items, rows=[2, 3, 4, 5], source="codings.csv")
    problems = info.value.problems
    assert [p.row for p in problems] == [3, 4, 5]
    assert "Did you mean 'transit'?" in str(problems[0])
    assert store.counts()["codings"] == 0


def test_unknown_document_names_every_stored_one_and_the_near_miss(store: Store) -> None:
    """The coding path reads only the named documents' rows; an unknown name still gets the
    full list and a did-you-mean in its hint."""
    store.upsert_document(ADMIN, doc(name="expert_B"))
    with pytest.raises(CodingError) as info:
        store.add_codings(
            ALICE, [Coding("expert_A", 0, 10, "transit", "alice"), Coding("expert_b", 0, 10, "pea", "alice")]
        )
    [problem] = info.value.problems
    message = str(problem)
    assert "Unknown document 'expert_b'" in message and "Did you mean 'expert_B'?" in message
    assert "'expert_A'" in message and "'expert_B'" in message
    assert store.counts()["codings"] == 0
    # Many documents in one batch (more than one IN list of 500 names).
    for i in range(520):
        store.upsert_document(ADMIN, doc(name=f"bulk_{i:03d}"))
    ids = store.add_codings(ALICE, [Coding(f"bulk_{i:03d}", 0, 10, "transit", "alice") for i in range(520)])
    assert len(ids) == 520


def test_quote_is_stored_from_the_text(store: Store) -> None:
    cid = store.add_coding(ALICE, Coding("expert_A", 16, 31, "transit", "alice"))
    assert store.get_coding(ALICE, cid)["quote"] == "transit country"


def test_annotator_cannot_touch_others_codings(store: Store) -> None:
    cid = store.add_coding(ALICE, Coding("expert_A", 0, 10, "transit", "alice"))
    with pytest.raises(PermissionDenied):
        store.update_coding(BOB, cid, memo="mine now")
    with pytest.raises(PermissionDenied):
        store.delete_coding(BOB, cid)
    with pytest.raises(PermissionDenied):
        store.add_coding(BOB, Coding("expert_A", 0, 10, "pea", "alice"))
    store.update_coding(SUPER, cid, memo="checked")  # supervisors may


def test_blind_mode_hides_other_annotators(store: Store) -> None:
    store.add_coding(ALICE, Coding("expert_A", 0, 10, "transit", "alice"))
    store.add_coding(BOB, Coding("expert_A", 0, 10, "pea", "bob"))
    assert set(store.codings_frame(ALICE)["annotator"]) == {"alice", "bob"}
    store.set_setting(ADMIN, "blind_mode", "true")
    assert set(store.codings_frame(ALICE)["annotator"]) == {"alice"}
    assert set(store.codings_frame(SUPER)["annotator"]) == {"alice", "bob"}
    with pytest.raises(PermissionDenied, match="Blind coding"):
        store.codings_frame(ALICE, annotators=["bob"])
    bob_coding = int(store.codings_frame(SUPER, annotators=["bob"])["coding_id"][0])
    assert store.get_coding(ALICE, bob_coding) is None
    store.set_setting(ADMIN, "blind_revealed", "true")
    assert set(store.codings_frame(ALICE)["annotator"]) == {"alice", "bob"}


def test_only_admins_change_settings(store: Store) -> None:
    with pytest.raises(PermissionDenied):
        store.set_setting(SUPER, "blind_mode", "false")


def test_optimistic_versioning_detects_lost_updates(store: Store) -> None:
    cid = store.add_coding(ALICE, Coding("expert_A", 0, 10, "transit", "alice"))
    v = store.get_coding(ALICE, cid)["version"]
    store.update_coding(ALICE, cid, memo="first", expected_version=v)
    with pytest.raises(ConflictError):
        store.update_coding(ALICE, cid, memo="second", expected_version=v)
    assert store.get_coding(ALICE, cid)["memo"] == "first"


def test_undo_add_update_delete(store: Store) -> None:
    cid = store.add_coding(ALICE, Coding("expert_A", 0, 10, "transit", "alice"))
    store.update_coding(ALICE, cid, memo="note", code="europe")
    store.delete_coding(ALICE, cid)
    assert store.undo_last(ALICE)["undone"] == "coding.delete"
    row = store.get_coding(ALICE, cid)
    assert (row["code_id"], row["memo"]) == ("europe", "note")
    assert store.undo_last(ALICE)["undone"] == "coding.update"
    row = store.get_coding(ALICE, cid)
    assert (row["code_id"], row["memo"]) == ("transit", "")
    assert store.undo_last(ALICE)["undone"] == "coding.add"
    assert store.get_coding(ALICE, cid) is None
    assert store.undo_last(ALICE) is None


def test_undo_is_per_user(store: Store) -> None:
    a = store.add_coding(ALICE, Coding("expert_A", 0, 10, "transit", "alice"))
    store.add_coding(BOB, Coding("expert_A", 0, 10, "pea", "bob"))
    store.undo_last(ALICE)
    assert store.get_coding(ALICE, a) is None
    assert list(store.codings_frame(SUPER)["annotator"]) == ["bob"]


def test_audit_log_accounts_for_every_change(store: Store) -> None:
    cid = store.add_coding(ALICE, Coding("expert_A", 0, 10, "transit", "alice"))
    store.update_coding(ALICE, cid, memo="m")
    store.delete_coding(ALICE, cid)
    log = store.audit_frame()
    coding_rows = log[log["entity"] == "coding"]
    assert list(coding_rows["action"]) == ["coding.add", "coding.update", "coding.delete"]
    assert coding_rows.iloc[1]["before"]["memo"] == "" and coding_rows.iloc[1]["after"]["memo"] == "m"
    # an annotator sees only their own audit entries
    assert set(store.audit_frame(ALICE)["actor"]) == {"alice"}


def test_reimport_reanchors_and_detaches_never_deletes(store: Store) -> None:
    keep = store.add_coding(ALICE, Coding("expert_A", 16, 31, "transit", "alice"))
    pea_at = TEXT.index("PEAs")
    gone = store.add_coding(ALICE, Coding("expert_A", pea_at, len(TEXT), "pea", "alice", memo="important"))
    new_text = "Preface added here.\n\n" + TEXT.replace("PEAs are not controlled.", "Nothing else.")
    result = store.upsert_document(ADMIN, doc(new_text))
    assert result["status"] == "changed" and result["reanchored"] == 1 and result["detached"] == 1
    row = store.get_coding(ALICE, keep)
    assert new_text[row["start_pos"] : row["end_pos"]] == "transit country"
    assert store.get_coding(ALICE, gone) is None
    detached = store.detached_frame()
    assert list(detached["id"]) == [gone]
    assert detached.iloc[0]["memo"] == "important" and detached.iloc[0]["quote"] == "PEAs are not controlled."
    assert store.counts()["detached"] == 1


def test_codebook_sync_keeps_codes_still_in_use(store: Store) -> None:
    store.add_coding(ALICE, Coding("expert_A", 0, 10, "pea", "alice"))
    cb = small_codebook()
    del cb.codes["pea"]
    del cb.codes["europe"]
    cb.cross_cutting["transit_migration"] = CrossCut("transit_migration", "Transit migration", ("transit",))
    store.sync_codebook(cb)
    assert store.orphan_codes() == ["pea"]
    assert store.counts()["codings"] == 1


def test_analysis_data_frames(store: Store) -> None:
    store.add_coding(ALICE, Coding("expert_A", 16, 31, "transit", "alice"))
    data = store.analysis_data(ADMIN, small_codebook())
    assert list(data.codings["quote"]) == ["transit country"]
    assert list(data.codings["participant"]) == ["A"]
    assert set(data.segments["kind"]) == {"sentence", "paragraph"}
    assert data.participants.loc[0, "role"] == "x"
    assert data.texts["expert_A"] == TEXT


def test_accepting_a_suggestion_is_one_transaction(store: Store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full while recording the decision")

    monkeypatch.setattr(store, "_record_decision", fail)
    with pytest.raises(RuntimeError):
        store.decide_suggestion(ALICE, "expert_A", 0, 32, "transit", "patterns", "accepted")
    assert store.counts()["codings"] == 0
    monkeypatch.undo()
    cid = store.decide_suggestion(ALICE, "expert_A", 0, 32, "transit", "patterns", "accepted", chosen_code="europe")
    assert store.get_coding(ALICE, cid)["origin"] == "suggestion-accepted"
    decided = store.suggestion_decisions_frame(ALICE)
    assert sorted(zip(decided["code"], decided["decision"])) == [("europe", "accepted"), ("transit", "rejected")]


def test_only_codings_added_since_names_the_version_only_when_nothing_else_was_written(store: Store) -> None:
    """The Code page appends its own new codings to a cached frame only when the audit log after
    the frame's version holds exactly their additions: any other write (another coding, an edit
    of one) means reading the document afresh."""
    before = store.data_version()
    ids = store.add_codings(ALICE, [Coding("expert_A", 0, 10, "transit", "alice")])
    assert store.only_codings_added_since(before, ids) == store.data_version()
    frame = store.document_codings_frame(ALICE, "expert_A", ["alice"], ids=ids)
    assert frame["coding_id"].tolist() == ids
    assert frame.equals(store.document_codings_frame(ALICE, "expert_A", ["alice"]))
    assert store.only_codings_added_since(before, ids + [ids[0] + 1]) is None  # not all of them were written
    mine = store.data_version()
    other = store.add_coding(ALICE, Coding("expert_A", 16, 31, "transit", "alice"))
    assert store.only_codings_added_since(before, ids) is None  # another addition after ours
    store.update_coding(ALICE, other, memo="edited")
    assert store.only_codings_added_since(mine, [other]) is None  # an edit is not an addition
    assert store.only_codings_added_since(store.data_version(), ids) is None  # nothing written since
    assert store.only_codings_added_since(0, ids) is None  # a version long ago: the whole log is not ours
