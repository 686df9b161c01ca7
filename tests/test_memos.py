"""Memos (migration 8): document, code and project memos; coding memos in the memo browser;
roles, blind mode, audit, undo, rename, removal, migration.  Synthetic test data only."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from qualcode import schema as s
from qualcode.errors import ConflictError, MemoError, PermissionDenied, UndoRefused
from qualcode.model import Code, Codebook, Coding, ParsedDocument, Participant, Segment, Theme
from qualcode.store import Actor, Store

ADMIN = Actor("admin", "admin")
ALICE = Actor("alice", "annotator")
BOB = Actor("bob", "annotator")
SUE = Actor("sue", "supervisor")

TEXT = "Synthetic test transcript. The speaker talks about transit.\n\nA second paragraph."


def codebook() -> Codebook:
    return Codebook(
        themes={"trends": Theme("trends", "Trends")},
        codes={"transit": Code("transit", "Transit country", "trends"), "work": Code("work", "Work", "trends")},
    )


@pytest.fixture
def store(db_url: str) -> Store:
    st = Store(db_url)
    st.sync_codebook(codebook())
    st.upsert_document(
        ADMIN,
        ParsedDocument(
            name="synthetic_A",
            text=TEXT,
            participant=Participant("A", "Synthetic (A)", {}),
            segments=[Segment("sentence", 0, 26)],
        ),
    )
    yield st
    st.dispose()


# ----------------------------------------------------------------------------- schema
def test_schema_checks_kind_and_target(store: Store) -> None:
    base = dict(author="alice", text="x", created_at="t", updated_at="t")
    for bad in (
        dict(kind="coding", document=None, code_id=None),  # not a stored kind
        dict(kind="document", document=None, code_id=None),  # a document memo without a document
        dict(kind="code", document="synthetic_A", code_id=None),
        dict(kind="project", document=None, code_id="transit"),  # a project memo with a target
        dict(kind="document", document="synthetic_A", code_id="transit"),  # two targets
    ):
        with pytest.raises(sa.exc.IntegrityError):
            with store.write() as conn:
                conn.execute(s.memos.insert().values(**base, **bad))
    with pytest.raises(sa.exc.IntegrityError):  # empty text
        with store.write() as conn:
            conn.execute(s.memos.insert().values(kind="project", author="a", text="  ", created_at="t", updated_at="t"))


def test_memo_ids_are_never_reused(store: Store) -> None:
    first = store.add_memo(ALICE, "project", None, "one")
    second = store.add_memo(ALICE, "project", None, "two")
    store.delete_memo(ALICE, second)
    assert store.add_memo(ALICE, "project", None, "three") == second + 1 > first


def test_migration_8_upgrades_an_old_database(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    shutil.copy(Path(__file__).parent / "data" / "v2_project.db", db)  # written before migration 3
    store = Store(f"sqlite:///{db}")
    try:
        assert 8 in store.schema_versions()
        assert store.schema_versions() == sorted(v for v, _, _ in s.MIGRATIONS)
        with store.read() as conn:
            assert "AUTOINCREMENT" in s._sqlite_table_sql(conn, "memos").upper()
        memo = store.add_memo(Actor("alice", "annotator"), "document", "expert_A", "Added after the upgrade.")
        assert store.get_memo(ADMIN, memo)["document"] == "expert_A"
    finally:
        store.dispose()


def test_restored_audit_log_keeps_deleted_memo_ids_out_of_reach(store: Store) -> None:
    with store.write() as conn:
        conn.execute(
            s.audit_log.insert().values(at="t", actor="x", action="memo.delete", entity="memo", entity_id="41")
        )
        s.seed_id_sequences(conn)
    assert store.add_memo(ALICE, "project", None, "after a restore") == 42


# ----------------------------------------------------------------------------- store rules
def test_named_errors_for_bad_memos(store: Store) -> None:
    with pytest.raises(MemoError, match="Unknown document 'synthetic_B'.*synthetic_A"):
        store.add_memo(ALICE, "document", "synthetic_B", "text")
    with pytest.raises(MemoError, match="Unknown code 'transt'.*transit"):
        store.add_memo(ALICE, "code", "transt", "text")
    with pytest.raises(MemoError, match="Unknown memo kind 'coding'.*'code', 'document', 'project'"):
        store.add_memo(ALICE, "coding", "synthetic_A", "text")
    with pytest.raises(MemoError, match="empty"):
        store.add_memo(ALICE, "project", None, "   ")
    with pytest.raises(MemoError, match="needs the document"):
        store.add_memo(ALICE, "document", None, "text")
    with pytest.raises(MemoError, match="Memo 999 does not exist"):
        store.update_memo(ALICE, 999, text="x")


def test_authors_edit_their_own_supervisors_anyones(store: Store) -> None:
    memo = store.add_memo(ALICE, "code", "transit", "Alice's thought", title="Idea")
    with pytest.raises(PermissionDenied, match="only its author"):
        store.update_memo(BOB, memo, text="Bob's")
    with pytest.raises(PermissionDenied):
        store.delete_memo(BOB, memo)
    with pytest.raises(PermissionDenied, match="as 'alice'"):
        store.add_memo(BOB, "project", None, "x", author="alice")
    assert store.update_memo(SUE, memo, text="Sue's edit") == 2
    with pytest.raises(ConflictError):
        store.update_memo(ALICE, memo, text="stale", expected_version=1)
    assert store.get_memo(ALICE, memo)["text"] == "Sue's edit"
    assert store.get_memo(ALICE, memo)["author"] == "alice"  # an edit keeps the author


def test_every_memo_write_is_audited(store: Store) -> None:
    memo = store.add_memo(ALICE, "document", "synthetic_A", "first")
    store.update_memo(ALICE, memo, text="second")
    store.delete_memo(ALICE, memo)
    log = store.audit_frame()
    mine = log[log["entity"] == "memo"]
    assert list(mine["action"]) == ["memo.add", "memo.update", "memo.delete"]
    assert mine.iloc[1]["before"]["text"] == "first" and mine.iloc[1]["after"]["text"] == "second"
    assert mine.iloc[2]["before"]["text"] == "second"


def test_blind_mode_hides_other_coders_memos(store: Store) -> None:
    store.add_memo(ALICE, "project", None, "alice's")
    store.add_memo(BOB, "project", None, "bob's")
    store.set_setting(ADMIN, "blind_mode", "true")
    assert [r["text"] for r in store.memo_rows(ALICE)] == ["alice's"]
    assert len(store.memo_rows(SUE)) == 2


# ----------------------------------------------------------------------------- undo
def test_undo_brings_a_deleted_memo_back_with_its_id(store: Store) -> None:
    memo = store.add_memo(ALICE, "document", "synthetic_A", "keep me", title="Keep")
    store.delete_memo(ALICE, memo)
    assert store.get_memo(ALICE, memo) is None
    result = store.undo_last(ALICE)
    assert result["undone"] == "memo.delete" and result["memo_id"] == memo
    back = store.get_memo(ALICE, memo)
    assert (back["text"], back["title"], back["document"], back["author"]) == (
        "keep me",
        "Keep",
        "synthetic_A",
        "alice",
    )
    assert store.undo_last(ALICE)["undone"] == "memo.add"  # versions follow the undo chain
    assert store.get_memo(ALICE, memo) is None


def test_undo_of_an_edit_and_refusal_when_changed_since(store: Store) -> None:
    memo = store.add_memo(ALICE, "project", None, "v1")
    store.update_memo(ALICE, memo, text="v2")
    assert store.undo_last(ALICE)["undone"] == "memo.update"
    assert store.get_memo(ALICE, memo)["text"] == "v1"
    store.update_memo(ALICE, memo, text="v3")
    store.update_memo(SUE, memo, text="sue's")
    with pytest.raises(UndoRefused, match="sue changed it since"):
        store.undo_last(ALICE)
    assert store.get_memo(ALICE, memo)["text"] == "sue's"


def test_undo_takes_the_newest_step_codings_and_memos_alike(store: Store) -> None:
    coding = store.add_coding(ALICE, Coding("synthetic_A", 0, 9, "transit", "alice"))
    memo = store.add_memo(ALICE, "project", None, "after the coding")
    assert store.undo_last(ALICE)["memo_id"] == memo
    assert store.undo_last(ALICE)["coding_id"] == coding


def test_coding_memos_are_listed_and_counted(store: Store) -> None:
    store.add_coding(ALICE, Coding("synthetic_A", 0, 9, "transit", "alice", memo="why transit"))
    store.add_coding(BOB, Coding("synthetic_A", 10, 14, "work", "bob"))
    store.add_memo(BOB, "document", "synthetic_A", "about the interview")
    rows = store.coding_memo_rows(SUE)
    assert [(r["document"], r["code_id"], r["memo"], r["quote"]) for r in rows] == [
        ("synthetic_A", "transit", "why transit", "Synthetic")
    ]
    assert store.memo_counts(SUE, "synthetic_A") == {"document": 1, "coding": 1}
    store.set_setting(ADMIN, "blind_mode", "true")
    assert store.memo_counts(BOB, "synthetic_A") == {"document": 1, "coding": 0}


# ----------------------------------------------------------------------------- project and CLI
SYNTHETIC_INTERVIEW = (
    "---\nparticipant: S1\nlabel: Synthetic participant 1\n---\n"
    "This is a synthetic test transcript. It mentions transit and work.\n"
)


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """A tiny synthetic project: one made-up interview, two codes, one coding."""
    from qualcode.cli import main

    root = tmp_path / "study"
    assert main(["init", str(root)]) == 0
    (root / "interviews" / "synthetic_1.md").write_text(SYNTHETIC_INTERVIEW, encoding="utf-8")
    assert main(["--project", str(root), "import"]) == 0
    assert main(["--project", str(root), "codebook", "add", "transit", "Transit"]) == 0
    assert main(["--project", str(root), "codebook", "add", "work", "Work"]) == 0
    return root


def _project(root: Path, actor: Actor | None = None):  # type: ignore[no-untyped-def]
    from qualcode.project import Project

    return Project.open(root, actor=actor)


def test_memo_browser_lists_every_kind_with_filters(study: Path) -> None:
    p = _project(study)
    try:
        text = p.document_text("synthetic_1")
        start = text.index("transit")
        cid = p.add_coding("synthetic_1", start, start + 7, "transit")
        p.set_coding_memo(cid, "A coding memo")
        p.add_memo("document", "synthetic_1", "A document memo", title="First read")
        p.add_memo("code", "transit", "A code memo")
        p.add_memo("project", None, "A project memo")
        frame = p.memos_frame()
        assert sorted(frame["kind"]) == ["code", "coding", "document", "project"]
        coding = frame[frame["kind"] == "coding"].iloc[0]
        assert (coding["quote"], coding["code_label"], coding["coding_id"]) == ("transit", "Transit", cid)
        assert sorted(p.memos_frame(document="synthetic_1")["kind"]) == ["coding", "document"]
        assert sorted(p.memos_frame(code="transit")["kind"]) == ["code", "coding"]
        assert list(p.memos_frame(kinds=["project"])["text"]) == ["A project memo"]
        assert p.memo_counts("synthetic_1") == {"document": 1, "coding": 1}
        assert p.memo_counts_by_document() == {"synthetic_1": {"document": 1, "coding": 1}}
        with pytest.raises(MemoError, match="Unknown memo kind 'note'"):
            p.memos_frame(kinds=["note"])
    finally:
        p.close()


def test_a_renamed_code_keeps_its_memos_and_undo_puts_them_back(study: Path) -> None:
    p = _project(study)
    try:
        memo = p.add_memo("code", "transit", "About transit")
        p.rename_code("transit", new_id="passage")
        assert p.memo(memo)["code_id"] == "passage"
        p.undo()
        assert p.memo(memo)["code_id"] == "transit"
    finally:
        p.close()


def test_document_memos_outlive_a_removal_and_come_back_with_undo(study: Path) -> None:
    p = _project(study)
    try:
        memo = p.add_memo("document", "synthetic_1", "About the interview")
        p.remove_interview("synthetic_1")
        assert p.memo(memo) is not None  # kept, like the archived codings
        p.undo()
        assert p.document_memos("synthetic_1")[0]["id"] == memo
        assert p.undo()["undone"] == "memo.add"  # then the memo itself
    finally:
        p.close()


def test_cli_memo_add_list_edit_delete_undo(study: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from qualcode.cli import main

    base = ["--project", str(study), "--user", "alice"]
    assert main([*base, "memo", "add", "--document", "synthetic_1", "--title", "First", "Synthetic memo"]) == 0
    assert "Added memo 1 (document memo on synthetic_1)" in capsys.readouterr().out
    assert main([*base, "memo", "add", "--project", "Project note"]) == 0
    assert main([*base, "memo", "edit", "1", "Edited memo"]) == 0
    capsys.readouterr()
    assert main([*base, "memo", "list", "--kind", "document", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["title"], r["text"], r["author"]) for r in rows] == [("1", "First", "Edited memo", "alice")]
    assert main([*base, "memo", "delete", "1", "--yes"]) == 0
    assert main([*base, "undo"]) == 0
    assert "Undid delete of memo 1" in capsys.readouterr().out
    assert main([*base, "memo", "list"]) == 0
    out = capsys.readouterr().out
    assert "Edited memo" in out and "Project note" in out


def test_cli_memo_of_a_coding(study: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from qualcode.cli import main

    p = _project(study)
    try:
        cid = p.add_coding("synthetic_1", 0, 4, "work")
    finally:
        p.close()
    base = ["--project", str(study)]
    assert main([*base, "memo", "add", "--coding", str(cid), "Why this?"]) == 0
    assert main([*base, "memo", "add", "--coding", str(cid), "Again"]) == 2
    assert f"memo edit --coding {cid}" in capsys.readouterr().err
    assert main([*base, "memo", "edit", "--coding", str(cid), "Because."]) == 0
    capsys.readouterr()
    assert main([*base, "memo", "list", "--kind", "coding"]) == 0
    assert "Because." in capsys.readouterr().out
    assert main([*base, "memo", "delete", "--coding", str(cid), "--yes"]) == 0
    capsys.readouterr()
    assert main([*base, "memo", "list", "--kind", "coding"]) == 0
    assert "No memos." in capsys.readouterr().out


@pytest.mark.parametrize(
    "args,expected",
    [
        (["memo", "add", "--document", "synthetic_2", "x"], "Unknown document 'synthetic_2'"),
        (["memo", "add", "--code", "transt", "x"], "Did you mean 'transit'"),
        (["memo", "add", "--document", "synthetic_1", "--project", "x"], "exactly one of"),
        (["memo", "add", "x"], "exactly one of"),
        (["memo", "add", "--project", "   "], "The memo text is empty"),
        (["memo", "edit", "seven", "x"], "'seven' is not a memo id"),
        (["memo", "edit", "99", "x"], "Memo 99 does not exist"),
        (["memo", "delete", "99", "--yes"], "Memo 99 does not exist"),
        (["memo", "list", "--kind", "note"], "'note' is not one of 'coding', 'document', 'code', 'project'"),
        (["memo", "list", "--document", "synthetic_2"], "Known documents: 'synthetic_1'"),
        (["memo", "add", "--coding", "999", "x"], "Coding 999 does not exist"),
    ],
)
def test_cli_memo_errors_are_named_exit_2(
    study: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    from qualcode.cli import main

    assert main(["--project", str(study), *args]) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert "Traceback" not in err


# ----------------------------------------------------------------------------- exports
def _synthetic_data():  # type: ignore[no-untyped-def]
    import dataclasses

    import pandas as pd

    from qualcode.frames import MEMO_COLUMNS, make_analysis_data

    doc = ParsedDocument("synthetic_A", TEXT, Participant("A", "Synthetic (A)", {}))
    data = make_analysis_data(
        codebook(), [doc], [Coding("synthetic_A", 0, 9, "transit", "alice", memo="=a coding memo, formula-looking")]
    )
    memos = pd.DataFrame(
        [
            (1, "project", None, "sue", "Plan", "A synthetic project memo", "2026-01-01T00:00:00+00:00", None),
            (2, "document", "synthetic_A", "alice", "", "A synthetic document memo", "2026-01-02T00:00:00+00:00", None),
            (3, "code", "transit", "bob", "Boundary", "A synthetic code memo", "2026-01-03T00:00:00+00:00", None),
        ],
        columns=MEMO_COLUMNS,
    )
    return dataclasses.replace(data, memos=memos)


def test_the_workbook_has_a_memos_sheet(tmp_path: Path) -> None:
    import openpyxl

    from qualcode.export.xlsx import export_workbook

    path = export_workbook(_synthetic_data(), tmp_path / "w.xlsx", bootstrap=20)
    ws = openpyxl.load_workbook(path)["Memos"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][:8] == ["Kind", "About", "Participant", "Code", "Quote", "Author", "Title", "Memo"]
    body = [(r[0], r[1], r[2], r[3], r[4], r[5], r[7]) for r in rows[1:]]
    assert body == [
        ("project", "the project", None, None, None, "sue", "A synthetic project memo"),
        ("document", "synthetic_A", "Synthetic (A)", None, None, "alice", "A synthetic document memo"),
        ("code", "Transit country", None, "Transit country", None, "bob", "A synthetic code memo"),
        (
            "coding",
            "synthetic_A",
            "Synthetic (A)",
            "Transit country",
            "Synthetic",
            "alice",
            "=a coding memo, formula-looking",
        ),
    ]
    assert ws["H5"].data_type == "s"  # a memo is text, never a formula
    assert ws["A1"].comment is not None and "4 memo(s)" in ws["A1"].comment.text


REFI_DATA = Path(__file__).parent / "data" / "refi"


def test_refi_export_writes_memos_as_notes_where_the_schema_puts_them(tmp_path: Path) -> None:
    import zipfile

    from lxml import etree

    from qualcode.refi import export_qdpx, import_qdpx

    path = tmp_path / "memos.qdpx"
    export_qdpx(_synthetic_data(), path)
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("project.qde"))
    etree.XMLSchema(etree.parse(str(REFI_DATA / "Project-mrt2019.xsd"))).assertValid(root)
    ns = {"q": "urn:QDA-XML:project:1.0"}
    notes = {n.get("guid"): n for n in root.iterfind("q:Notes/q:Note", ns)}

    def note_of(element: etree._Element) -> list[str]:
        return [
            notes[r.get("targetGUID")].findtext("q:PlainTextContent", namespaces=ns)
            for r in element.findall("q:NoteRef", ns)
        ]

    assert note_of(root) == ["A synthetic project memo"]
    assert note_of(root.find("q:Sources/q:TextSource", ns)) == ["A synthetic document memo"]
    code = next(c for c in root.iter("{*}Code") if c.get("name") == "Transit country")
    assert note_of(code) == ["A synthetic code memo"]
    assert note_of(root.find(".//q:Coding", ns)) == ["=a coding memo, formula-looking"]
    users = {u.get("guid"): u.get("name") for u in root.iterfind("q:Users/q:User", ns)}
    assert {users[n.get("creatingUser")] for n in notes.values()} == {"alice", "bob", "sue"}
    named = {n.get("name") for n in notes.values()}
    assert {"Plan", "Boundary", "Memo on interview synthetic_A"} <= named

    back = import_qdpx(path)  # and read back as memos
    got = {(m.kind, m.target, m.text, m.author, m.title) for m in back.memos}
    assert got == {
        ("project", None, "A synthetic project memo", "sue", "Plan"),
        ("document", "synthetic_A", "A synthetic document memo", "alice", "Memo on interview synthetic_A"),
        ("code", "transit", "A synthetic code memo", "bob", "Boundary"),
    }
    assert [c.memo for c in back.codings] == ["=a coding memo, formula-looking"]
    assert not any("note" in w for w in back.warnings)


def test_atlas_free_memos_become_project_memos() -> None:
    from qualcode.refi import import_qdpx

    project = import_qdpx(REFI_DATA / "atlasti-8.4-standard-project.qde")
    memos = {m.title: m for m in project.memos}
    assert set(memos) == {"Research Plan", "My favorite Coke ad"}
    plan = memos["Research Plan"]
    assert plan.kind == "project" and plan.target is None
    assert plan.text.startswith("This is a great project") and "day to day log" in plan.text  # its comment too
    assert plan.created_at == "2018-03-27T19:38:46Z" and plan.updated_at == "2018-03-27T19:41:09Z"
    assert any("2 notes" in w and "became project memos" in w for w in project.warnings)


def test_refi_import_stores_the_memos_and_exports_them_with_their_guids(study: Path, tmp_path: Path) -> None:
    import zipfile

    from qualcode.exchange import import_refi_into
    from qualcode.project import Project

    source = _project(study)
    try:
        source.add_memo("document", "synthetic_1", "Synthetic document memo", title="About S1")
        source.add_memo("project", None, "Synthetic project memo")
        source.export_qdpx(tmp_path / "out.qdpx")
    finally:
        source.close()
    fresh = Project.init(tmp_path / "fresh")
    try:
        summary = import_refi_into(fresh, tmp_path / "out.qdpx")
        assert "2 memos" in summary
        frame = fresh.memos_frame()
        assert sorted(zip(frame["kind"], frame["text"])) == [
            ("document", "Synthetic document memo"),
            ("project", "Synthetic project memo"),
        ]
        fresh.export_qdpx(tmp_path / "again.qdpx")
    finally:
        fresh.close()

    def note_guids(path: Path) -> set[str]:
        from lxml import etree

        with zipfile.ZipFile(path) as archive:
            root = etree.fromstring(archive.read("project.qde"))
        return {n.get("guid") for n in root.iter("{*}Note")}

    assert note_guids(tmp_path / "again.qdpx") == note_guids(tmp_path / "out.qdpx")  # the same notes, not new ones
