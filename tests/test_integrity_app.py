"""Data integrity through the workbench (#12): what a user's browser shows when something
unexpected fails, undo with two annotators in blind mode, confirmed codebook merges."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from qualcode.project import Project

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "streamlit_app.py")

CODEBOOK = """\
title: Integrity test codebook
themes:
  - id: borders
    label: Borders
    codes:
      - id: transit
        label: Transit country
      - id: visas
        label: Visa rules
  - id: labour
    label: Labour
    codes:
      - id: shortage
        label: Labour shortage
"""

INTERVIEW = """\
---
participant: A
label: Expert (A)
---
Kazakhstan is a transit country for many people. The visa rules changed in 2022.

Factories lack workers and employers hire migrants.
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "proj"
    p = Project.init(root)
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "interviews" / "expert_A.md").write_text(INTERVIEW, encoding="utf-8")
    p.sync()
    monkeypatch.setenv("QUALCODE_PROJECT", str(root))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    yield p
    p.close()


def app(name: str = "alice", role: str = "annotator", page: str = "code") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["qc_start_page"] = page
    at.session_state["qc_local_name"] = name
    at.session_state["qc_local_role"] = role
    return at


# --------------------------------------------------------------------------- no tracebacks
def test_an_unexpected_error_shows_no_traceback_or_raw_message(project: Project, monkeypatch) -> None:
    def broken(self: Project) -> None:
        raise RuntimeError('(psycopg.errors.InternalError) SECRET-DETAIL in "codings"')

    monkeypatch.setattr(Project, "undo", broken)
    at = app().run()
    assert not at.exception
    at.button(key="qc_undo").click().run()
    assert at.exception, "the failure should reach Streamlit's error display"
    shown = at.exception[0]
    assert "SECRET-DETAIL" not in shown.message and "psycopg" not in shown.message
    assert list(shown.stack_trace) == []
    assert "RuntimeError" not in (shown.proto.type or "")


def test_every_way_of_starting_the_app_hides_error_details(monkeypatch, tmp_path: Path) -> None:
    import subprocess

    from qualcode import cli

    calls: list[list[str]] = []
    monkeypatch.setattr(subprocess, "call", lambda args, **kw: calls.append(list(args)) or 0)
    (tmp_path / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        cli.main(["--project", str(tmp_path), "app"])
    assert exited.value.code == 0
    [args] = calls
    assert args[args.index("--client.showErrorDetails") + 1] == "none"
    run_script = (REPO / "run").read_text(encoding="utf-8")
    assert "qualcode --project . app" in run_script  # ./run app starts the app through qualcode app
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"


def test_no_full_garbage_collection_after_every_run(monkeypatch, tmp_path: Path) -> None:
    """Streamlit's default gc.collect(2) after each run cost ~150 ms per click on a large project:
    every way of starting the app turns it off, and main() does when nothing set it."""
    import subprocess

    from streamlit import config
    from streamlit.config_option import ConfigOption

    from qualcode import cli
    from qualcode.app import main

    calls: list[list[str]] = []
    monkeypatch.setattr(subprocess, "call", lambda args, **kw: calls.append(list(args)) or 0)
    (tmp_path / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    with pytest.raises(SystemExit):
        cli.main(["--project", str(tmp_path), "app"])
    [args] = calls
    assert args[args.index("--runner.postScriptGC") + 1] == "false"
    settings = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["runner"]["postScriptGC"] is False
    before = config.get_option("runner.postScriptGC"), config.get_where_defined("runner.postScriptGC")
    try:
        config.set_option("runner.postScriptGC", True, where_defined=ConfigOption.DEFAULT_DEFINITION)
        main.skip_full_collection_after_each_run()
        assert config.get_option("runner.postScriptGC") is False
        config.set_option("runner.postScriptGC", True, where_defined="a config file")  # chosen explicitly: kept
        main.skip_full_collection_after_each_run()
        assert config.get_option("runner.postScriptGC") is True
    finally:
        config.set_option("runner.postScriptGC", before[0], where_defined=before[1])


def test_the_imported_heap_is_frozen_once_and_again_only_after_new_imports(monkeypatch) -> None:
    """main() freezes the live objects after a page's run so that full collections skip them, but
    not after every click: only when modules were imported since."""
    import gc
    import sys

    from qualcode.app import main

    frozen: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(len(sys.modules)))
    monkeypatch.setattr(main, "_FROZEN_AT_MODULES", 0)
    assert main.freeze_imported_objects() is True
    assert main.freeze_imported_objects() is False  # nothing imported since
    monkeypatch.setitem(sys.modules, "qualcode_test_new_module", type(sys)("qualcode_test_new_module"))
    assert main.freeze_imported_objects() is True
    assert len(frozen) == 2


# --------------------------------------------------------------------------- undo, two annotators, blind mode
PASSWORDS = {"alice": "alice-password-1", "bob": "bob-password-22"}


def team_blind(project: Project) -> None:
    from qualcode.auth import hash_password
    from qualcode.store import LOCAL_ADMIN

    for name in PASSWORDS:
        project.store.add_user(LOCAL_ADMIN, name, "annotator", hash_password(PASSWORDS[name], n=2**10))
    project.store.set_setting(LOCAL_ADMIN, "team_mode", "true")
    project.store.set_setting(LOCAL_ADMIN, "blind_mode", "true")


def signed_in(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["qc_start_page"] = "code"
    at.run()
    at.text_input(key="qc_sign_in_name").input(name)
    at.text_input(key="qc_sign_in_password").input(PASSWORDS[name])
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def apply_code(at: AppTest, containing: str, code: str) -> None:
    import json

    from qualcode.app.components.transcript import decoded

    data = decoded(
        json.loads(
            next(e for e in at.get("bidi_component") if e.proto.component_name == "qualcode_transcript").proto.json
        )
    )
    index = next(i for i, (s, e) in enumerate(data["segments"]) if s <= data["text"].index(containing) < e)
    if not at.toggle(key="qc_keyboard_select").value:
        at.toggle(key="qc_keyboard_select").set_value(True).run()
    at.selectbox(key="qc_segment_pick").select(index).run()
    at.multiselect(key="qc_codes").select(code).run()
    at.button(key="qc_apply").click().run()
    assert not at.exception, [e.value for e in at.exception]


def codings_of(project: Project, annotator: str) -> list[tuple[int, str]]:
    from qualcode.store import LOCAL_ADMIN

    frame = project.store.codings_frame(LOCAL_ADMIN)
    frame = frame[frame["annotator"] == annotator]
    return list(zip(frame["coding_id"], frame["code"]))


def messages(at: AppTest) -> str:
    shown = "\n".join(str(m.value) for kind in ("error", "warning", "success") for m in getattr(at, kind))
    return shown.replace("\\", "")  # markdown escapes


def test_undo_after_delete_with_two_annotators_in_blind_mode(project: Project) -> None:
    team_blind(project)
    alice, bob = signed_in("alice"), signed_in("bob")
    apply_code(alice, "Factories", "shortage")
    [(mine, _)] = codings_of(project, "alice")
    alice.session_state["qc_panel"] = "Codings"  # the panel is drawn while chosen
    alice.run()
    alice.selectbox(key="qc_edit_coding").select(mine).run()
    alice.button(key="qc_edit_delete").click().run()
    assert codings_of(project, "alice") == []
    apply_code(bob, "Factories", "shortage")  # SQLite used to give bob alice's freed id
    [(bobs, _)] = codings_of(project, "bob")
    alice.button(key="qc_undo").click().run()
    assert not alice.exception, [e.value for e in alice.exception]  # was: a raw IntegrityError, every time
    assert codings_of(project, "alice") == [(mine, "shortage")]
    assert codings_of(project, "bob") == [(bobs, "shortage")]
    assert "Undid delete" in messages(alice)


def test_undo_never_deletes_another_annotators_coding_in_blind_mode(project: Project) -> None:
    team_blind(project)
    alice, bob = signed_in("alice"), signed_in("bob")
    apply_code(alice, "Factories", "shortage")
    [(mine, _)] = codings_of(project, "alice")
    # alice's coding leaves the database without an audit entry of hers: the transcript is edited
    # and her sentence is gone (detached, kept for her to re-place)
    path = project.interviews_dir / "expert_A.md"
    path.write_text(
        INTERVIEW.replace("Factories lack workers and employers hire migrants.", "Employers hire."), "utf-8"
    )
    project.sync()
    assert codings_of(project, "alice") == []
    bob.run()
    apply_code(bob, "Employers", "shortage")  # may get alice's old id on a database that reuses ids
    [(bobs, _)] = codings_of(project, "bob")
    assert bobs != mine
    alice.button(key="qc_undo").click().run()
    assert not alice.exception, [e.value for e in alice.exception]
    assert f"Cannot undo your add of coding {mine}: that coding was deleted or detached since" in messages(alice)
    assert codings_of(project, "bob") == [(bobs, "shortage")]  # bob's coding untouched


# --------------------------------------------------------------------------- merge: confirmation and undo
def test_merge_asks_for_confirmation_and_undo_reverts_it(project: Project) -> None:
    from qualcode.store import Actor

    text = project.store.document_text("expert_A") or ""
    start = text.index("Kazakhstan")
    coding = project.as_user(Actor("sam", "supervisor", local=True)).add_coding(
        "expert_A", start, start + 10, "transit"
    )
    before = project.codebook_path.read_bytes()
    at = app("sam", "supervisor", page="codebook")
    at.session_state["qc_cb_more"] = True  # "More changes" open: its forms run only while open
    at.run()
    at.selectbox(key="qc_cb_merge_source").select("transit")
    at.selectbox(key="qc_cb_merge_target").select("visas")
    next(b for b in at.button if b.label == "Merge").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Nothing merged yet: merging moves all 1 coding(s)" in messages(at)
    assert project.codebook_path.read_bytes() == before  # the unconfirmed click changed nothing
    at.selectbox(key="qc_cb_merge_source").select("transit")
    at.selectbox(key="qc_cb_merge_target").select("visas")
    at.checkbox(key="qc_cb_merge_confirm").check()
    next(b for b in at.button if b.label == "Merge").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "transit" not in project.refresh_codebook().codes  # the app's edit, read from the file
    assert codings_of(project, "sam") == [(coding, "visas")]
    code_page = app("sam", "supervisor").run()
    code_page.button(key="qc_undo").click().run()  # the merge was sam's last step
    assert not code_page.exception, [e.value for e in code_page.exception]
    assert "Undid the codebook merge" in messages(code_page)
    assert project.codebook_path.read_bytes() == before
    assert codings_of(project, "sam") == [(coding, "transit")]
