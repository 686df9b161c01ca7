"""The workbench in a real browser: system Chromium driven by Playwright against a
``streamlit run`` subprocess on a free localhost port, on a small temporary project in
team mode with blind coding on.

Waits are event based (``wait_for_selector`` / ``expect``); nothing asserts on time.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make siblings importable
from browser_support import CHROMIUM, WAIT_MS, add_team_users, chromium, require_browser, serving
from conftest import require_service

from qualcode.app.screenshots import (
    TEXT_RECT_JS,
    free_port,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    require_browser()
    from test_app import PASSWORDS, make_project

    from qualcode.store import LOCAL_ADMIN

    root = tmp_path_factory.mktemp("browser") / "proj"
    project = make_project(root, hostile=True)
    add_team_users(project, (("alice", "annotator"), ("bob", "annotator"), ("sam", "supervisor")), PASSWORDS)
    project.store.set_setting(LOCAL_ADMIN, "team_mode", "true")
    project.store.set_setting(LOCAL_ADMIN, "blind_mode", "true")
    project.close()
    with serving(root) as url:
        yield url, root


@pytest.fixture(scope="module")
def browser(server: tuple[str, Path]):
    with chromium() as instance:
        yield instance


@pytest.fixture
def project(server: tuple[str, Path]):
    from qualcode.project import Project

    p = Project.open(server[1])
    yield p
    p.close()


def sign_in(browser, url: str, name: str, page_title: str | None = None):
    """A fresh browser context signed in as ``name`` (then on the page ``page_title`` of the
    navigation); returns (context, page, dialogs seen)."""
    from test_app import PASSWORDS

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    page.locator(".st-key-qc_sign_in_name input").fill(name)
    page.locator(".st-key-qc_sign_in_password input").fill(PASSWORDS[name])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("text=Signed in as", timeout=WAIT_MS)
    if page_title:
        page.locator("[data-testid=stSidebarNav] a", has_text=page_title).click()
    return context, page, dialogs


def open_document(page, name: str) -> None:
    ready = f"[data-testid=qc-transcript][data-ready='1'][data-document='{name}']"
    page.wait_for_selector("[data-testid=qc-transcript][data-ready='1']", timeout=WAIT_MS)
    for _ in range(3):  # a rerun that lands while the list is open closes it: open it again
        if page.locator(ready).count():
            break
        page.locator(".st-key-qc_document_picker input").click()
        page.keyboard.type(name)
        # The picker shows "participant label · file name" (or the file name alone).
        option = page.get_by_role("option", name=re.compile(rf"(^|· ){re.escape(name)}$"))
        try:
            option.wait_for(timeout=WAIT_MS // 3)
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: retry
            page.keyboard.press("Escape")
            continue
        option.click()
        page.wait_for_selector(ready, timeout=WAIT_MS)
    page.wait_for_selector(ready, timeout=WAIT_MS)


# True once the text is on screen where it will stay: the component is ready, web fonts are
# loaded and the needle's position did not change since the previous check (a cold start lays
# the page out more than once: sidebar, fonts, the first fragment rerun).
STABLE_TEXT_JS = (
    """([needle]) => {
  const root = document.querySelector('[data-testid=qc-transcript]');
  if (!root || root.dataset.ready !== '1' || document.fonts.status !== 'loaded') return false;
  const rect = (TEXT_RECT)([needle]);
  if (!rect) return false;
  const key = rect.map(Math.round).join(',');
  const same = window.__qcLastRect === key;
  window.__qcLastRect = key;
  return same;
}"""
).replace("TEXT_RECT", TEXT_RECT_JS)


# The pending selection drawn is ``n`` code points long (a drag over the needle, not a click).
SELECTION_OF_LENGTH_JS = """([n]) => {
  const el = document.querySelector("[data-testid=qc-transcript][data-ready='1']");
  const s = el && el.dataset.selection;
  if (!s) return false;
  const [a, b] = s.split("-").map(Number);
  return b - a === n;
}"""


def drag_select(page, needle: str, *, attempts: int = 3) -> None:
    """Drag over ``needle`` once the component is ready and the text stopped moving; the drag
    counts when the component draws a pending selection (``data-selection``) as long as the
    needle.  Else drag again: a drag the browser took for a click selects the sentence there
    instead (seen once in 20 runs of the browser suite)."""
    drawn = SELECTION_OF_LENGTH_JS
    for attempt in range(attempts):
        page.evaluate("() => { window.__qcLastRect = null; }")
        page.wait_for_function(STABLE_TEXT_JS, arg=[needle], timeout=WAIT_MS, polling=100)
        x1, y1, x2, y2 = page.evaluate(TEXT_RECT_JS, [needle])
        page.mouse.move(x1, y1)
        page.mouse.down()
        page.mouse.move((x1 + x2) / 2, (y1 + y2) / 2, steps=4)
        page.mouse.move(x2, y2, steps=4)
        page.mouse.up()
        try:
            page.wait_for_function(
                drawn, arg=[len(needle)], timeout=WAIT_MS // (3 if attempt + 1 < attempts else 1), polling=100
            )
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: the drag was not registered
            continue


def choose_code(page, typed: str) -> None:
    page.locator(".st-key-qc_codes input").click()
    page.keyboard.type(typed)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")


def apply_code(page, label_prefix: str, expected_codings: int) -> None:
    page.wait_for_selector("text=Selected", timeout=WAIT_MS)
    choose_code(page, label_prefix)
    page.locator(".st-key-qc_apply button").click()
    page.wait_for_selector(
        f"[data-testid=qc-transcript][data-ready='1'][data-codings='{expected_codings}']", timeout=WAIT_MS
    )


def codings_of(project, annotator: str):
    from qualcode.store import LOCAL_ADMIN

    frame = project.store.codings_frame(LOCAL_ADMIN)
    return frame.loc[frame["annotator"] == annotator]


def test_mouse_selection_applies_a_code_with_code_point_offsets(browser, server, project) -> None:
    url, _ = server
    context, page, _ = sign_in(browser, url, "alice")
    open_document(page, "expert_A")
    before = len(codings_of(project, "alice"))
    # The selection starts after an emoji (two UTF-16 units, one code point).
    drag_select(page, "and employers hire")
    apply_code(page, "Labour sh", before + 1)
    text = project.store.document_text("expert_A")
    row = codings_of(project, "alice").iloc[-1]
    start = text.index("and employers hire")
    assert (int(row["start"]), int(row["end"]), row["code"]) == (start, start + len("and employers hire"), "shortage")
    assert row["quote"] == "and employers hire"
    mark = page.locator(f"mark.qc-hl[data-coding-ids='{int(row['coding_id'])}']")
    assert mark.inner_text() == "and employers hire"
    assert (
        page.locator(f"[data-testid=qc-margin-label][data-coding-id='{int(row['coding_id'])}']").inner_text()
        == "Labour shortage"
    )
    context.close()


def test_blind_mode_in_two_browsers(browser, server, project) -> None:
    url, _ = server
    bob_ctx, bob, _ = sign_in(browser, url, "bob")
    open_document(bob, "expert_B")
    before = len(codings_of(project, "bob"))
    drag_select(bob, "Transit through the country grew.")
    apply_code(bob, "Transit", before + 1)
    bob_id = int(codings_of(project, "bob")["coding_id"].iloc[-1])

    alice_ctx, alice, _ = sign_in(browser, url, "alice")
    open_document(alice, "expert_B")
    assert alice.locator("text=Blind coding").count() >= 1
    assert alice.locator(f"mark.qc-hl[data-coding-ids*='{bob_id}']").count() == 0
    assert alice.locator(".st-key-qc_show_others").count() == 0

    sam_ctx, sam, _ = sign_in(browser, url, "sam")
    open_document(sam, "expert_B")
    sam.locator(".st-key-qc_show_others label").click()
    sam.wait_for_selector(f"[data-testid=qc-margin-label][data-coding-id='{bob_id}']", timeout=WAIT_MS)
    assert (
        sam.locator(f"[data-testid=qc-margin-label][data-coding-id='{bob_id}']").inner_text() == "bob: Transit country"
    )
    for ctx in (bob_ctx, alice_ctx, sam_ctx):
        ctx.close()


def test_excel_download_opens_with_openpyxl(browser, server, project) -> None:
    import openpyxl

    url, _ = server
    if codings_of(project, "bob").empty:  # the workbook needs codings; add one if run alone
        from qualcode.store import Actor

        text = project.store.document_text("expert_B")
        project.as_user(Actor("bob", "annotator")).add_coding("expert_B", 0, text.index(".") + 1, "transit")
    context, page, _ = sign_in(browser, url, "sam", "Reports")
    page.get_by_role("tab", name="Download").click()
    page.locator(".st-key-qc_build_excel button").click()
    page.wait_for_selector(".st-key-qc_download_excel button", timeout=120_000)
    with page.expect_download() as info:
        page.locator(".st-key-qc_download_excel button").click()
    download = info.value
    assert download.suggested_filename == "qualcode_report.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert "Codings" in workbook.sheetnames
    context.close()


def test_hostile_transcript_renders_inert(browser, server) -> None:
    url, _ = server
    context, page, dialogs = sign_in(browser, url, "alice")
    open_document(page, "hostile")
    body = page.locator("[data-testid=qc-transcript-text]")
    shown = body.inner_text()
    assert "<script>alert('pwned')</script>" in shown
    assert '<img src=x onerror="alert(1)">' in shown
    assert "**bold** [link](http://evil.example)" in shown
    assert body.locator("script, img, a, b, strong").count() == 0
    assert page.locator("img[src=x]").count() == 0
    # A click selects the sentence around it; the page stays inert.
    drag_select(page, "Look")
    page.wait_for_selector("text=Selected", timeout=WAIT_MS)
    assert dialogs == []
    context.close()


def test_upload_saves_under_interviews_with_a_safe_name(browser, server, project) -> None:
    url, root = server
    context, page, _ = sign_in(browser, url, "sam", "Interviews")
    page.get_by_text("Add transcripts", exact=True).first.click()  # the uploader is drawn once opened
    page.locator(".st-key-qc_upload_files input[type=file]").wait_for(state="attached", timeout=WAIT_MS)
    page.locator(".st-key-qc_upload_files input[type=file]").set_input_files(
        files=[
            {
                "name": "uploaded interview?.md",
                "mimeType": "text/markdown",
                "buffer": b"---\nparticipant: U\nlabel: Uploaded (U)\n---\nAn uploaded interview about transit.\n",
            }
        ]
    )
    # The file travels to the server first; a submit during the upload goes without the file (the
    # click was "lost" on a loaded machine).  Wait until the uploader lists it as uploaded.
    page.locator(".st-key-qc_upload_files [data-testid=stFileChip]").wait_for(timeout=WAIT_MS)
    page.wait_for_function(
        "() => !document.querySelector('.st-key-qc_upload_files [data-testid=stFileChipIconSpinner]')",
        timeout=WAIT_MS,
    )
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_selector("text=uploaded interview_: added", timeout=WAIT_MS)
    assert (root / "interviews" / "uploaded interview_.md").is_file()
    assert "uploaded interview_" in project.store.document_names()
    context.close()


def test_session_survives_a_reload_until_sign_out(browser, server) -> None:
    url, _ = server
    context, page, _ = sign_in(browser, url, "bob")
    # The server sets the cookie (HttpOnly: never in document.cookie; see test_browser_security.py).
    page.wait_for_function("document.documentElement.dataset.qcSessionCookie === 'set'", timeout=WAIT_MS)
    assert [c["httpOnly"] for c in context.cookies() if c["name"] == "qualcode_session"] == [True]
    page.reload()
    page.wait_for_selector("text=Signed in as", timeout=WAIT_MS)
    page.wait_for_selector("[data-testid=qc-transcript][data-ready='1']", timeout=WAIT_MS)
    page.locator(".st-key-qc_sign_out button").click()
    page.wait_for_selector(".st-key-qc_sign_in_name input", timeout=WAIT_MS)
    page.wait_for_function("document.documentElement.dataset.qcSessionCookie === 'clear'", timeout=WAIT_MS)
    assert not [c for c in context.cookies() if c["name"] == "qualcode_session"]
    page.reload()
    page.wait_for_selector(".st-key-qc_sign_in_name input", timeout=WAIT_MS)
    assert page.locator("text=Signed in as").count() == 0
    context.close()


def test_first_apply_click_after_escape_in_the_codes_box_codes(browser, server, project) -> None:
    """A long code label wraps the Codes box onto two lines while it has the focus; pressing the
    mouse on Apply takes the focus away and the box shrinks.  Apply must not move under the
    pointer (the click was lost: no request reached the server) - one click codes."""
    url, _ = server
    context, page, _ = sign_in(browser, url, "bob")
    context.pages[0].set_viewport_size({"width": 1366, "height": 768})
    open_document(page, "expert_A")
    before = int((codings_of(project, "bob")["document"] == "expert_A").sum())
    drag_select(page, "Factories lack workers")
    page.wait_for_selector("text=Selected", timeout=WAIT_MS)
    choose_code(page, "Recruitment of")
    apply = page.locator(".st-key-qc_apply button")
    box = apply.bounding_box()
    apply.click()  # once
    page.wait_for_selector(f"[data-testid=qc-transcript][data-ready='1'][data-codings='{before + 1}']", timeout=WAIT_MS)
    assert list(codings_of(project, "bob")["code"])[-1] == "recruitment"
    # The message is drawn in the same rerun, just after the transcript: wait for it, do not race it.
    page.locator(".st-key-qc_messages", has_text="Coded 1 passage").wait_for(timeout=WAIT_MS)
    assert apply.bounding_box() == box  # and it stays where it was for the next click
    assert page.get_by_role("button", name="Deploy").count() == 0  # client.toolbarMode = minimal
    assert page.locator("[data-testid=stMainMenu]").count() == 0
    context.close()


def test_type_ahead_matches_code_labels_not_theme_names(browser, server, project) -> None:
    """Typing "Border" + Enter picks the code labelled "Border checks", not the first code of
    the theme "Borders"; the theme is still shown beside each code."""
    url, _ = server
    context, page, _ = sign_in(browser, url, "bob")
    open_document(page, "expert_B")
    before = int((codings_of(project, "bob")["document"] == "expert_B").sum())
    drag_select(page, "Employers complain")
    page.wait_for_selector("text=Selected", timeout=WAIT_MS)
    page.locator(".st-key-qc_codes input").click()
    page.keyboard.type("Border")
    options = page.get_by_role("option")
    options.first.wait_for(timeout=WAIT_MS)
    shown = [" ".join(t.replace("\u200b", "").split()) for t in options.all_inner_texts()]
    assert shown == ["Border checks · in Borders"], shown
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.locator(".st-key-qc_apply button").click()
    page.wait_for_selector(f"[data-testid=qc-transcript][data-ready='1'][data-codings='{before + 1}']", timeout=WAIT_MS)
    assert list(codings_of(project, "bob")["code"])[-1] == "border_checks"
    context.close()


@pytest.fixture(scope="module")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The workbench in single-machine mode (no sign-in) on a project with two annotators."""
    require_service("Chromium", CHROMIUM.exists(), "apt-get install chromium")
    from test_app import add_codings, make_project

    root = tmp_path_factory.mktemp("browser_local") / "proj"
    project = make_project(root)
    add_codings(project)  # alice and bob: the alphabetically first is "alice"
    project.close()
    with serving(root) as url:
        yield url


def chosen_name(page) -> str:
    """The annotator in the sidebar's name box ("" when none is chosen): the combobox input's value."""
    return page.locator(".st-key-qc_local_name_box input").input_value()


def test_single_machine_mode_asks_each_browser_for_the_name_and_remembers_it(browser, local_server) -> None:
    name_box = ".st-key-qc_local_name_box"
    supervisor = browser.new_context(viewport={"width": 1366, "height": 768})
    page = supervisor.new_page()
    page.goto(local_server)
    page.wait_for_selector("text=Who is coding?", timeout=WAIT_MS)
    assert page.locator("[data-testid=qc-transcript]").count() == 0  # nobody is pre-selected
    page.locator(f"{name_box} input").fill("sam")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=qc-transcript][data-ready='1']", timeout=WAIT_MS)
    page.wait_for_function("document.cookie.includes('qualcode_annotator=sam')", timeout=WAIT_MS)
    assert page.get_by_text("Component Error").count() == 0
    page.reload()  # a new session in the same browser: the name is remembered
    page.wait_for_selector("[data-testid=qc-transcript][data-ready='1']", timeout=WAIT_MS)
    assert chosen_name(page) == "sam"
    student = browser.new_context(viewport={"width": 1366, "height": 768})  # another browser
    other = student.new_page()
    other.goto(local_server)
    other.wait_for_selector("text=Who is coding?", timeout=WAIT_MS)
    assert chosen_name(other) == ""
    supervisor.close()
    student.close()


def test_qualcode_app_serves_the_workbench_not_a_page_list(browser, tmp_path: Path) -> None:
    """``./run app`` goes through ``qualcode app``: its real server must draw the workbench, not
    Streamlit's version-1 list of the modules in qualcode/app/pages/ (as it did when the page
    script was qualcode/app/main.py, which has pages/ beside it)."""
    import subprocess
    import urllib.request

    from test_app import make_project

    root = tmp_path / "proj"
    make_project(root).close()
    port = free_port()
    log_path = tmp_path / "app.log"
    code = "import sys; from qualcode.cli import main; sys.exit(main())"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "--project", str(root), "app", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        for _ in range(180):  # up to ~90 s for the server to answer its health check
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except OSError:
                assert proc.poll() is None, log_path.read_text(errors="replace")
                try:
                    proc.wait(timeout=0.5)
                except subprocess.TimeoutExpired:
                    pass
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}")
        page.wait_for_selector("text=Who is coding?", timeout=WAIT_MS)
        nav = [t.strip() for t in page.locator("[data-testid=stSidebarNav] a").all_inner_texts()]
        assert not {"adjudicate", "suggestions", "main"} & set(nav), nav
        context.close()
    finally:
        import os
        import signal

        os.killpg(proc.pid, signal.SIGTERM)  # qualcode app and the streamlit server it started
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


# --------------------------------------------------------------------------- Code page features
def transcript_attr(page, name: str) -> str | None:
    return page.locator("[data-testid=qc-transcript]").get_attribute(name)


def test_find_box_highlights_hits_and_steps_through_them(browser, server, project) -> None:
    from qualcode.app.pages.code import search_hits

    url, _ = server
    context, page, _ = sign_in(browser, url, "alice")
    open_document(page, "expert_A")
    hits = search_hits(project.store.document_text("expert_A"), "an")
    assert len(hits) >= 3
    page.locator("[data-testid=qc-transcript-text]").click()  # focus out of any text box
    page.keyboard.press("/")  # the find key puts the cursor in the find box
    page.wait_for_function("document.activeElement && document.activeElement.closest('.st-key-qc_search')")
    page.keyboard.type("an")
    page.keyboard.press("Enter")
    page.wait_for_selector(
        f"[data-testid=qc-transcript][data-ready='1'][data-search-hits='{len(hits)}'][data-search-focus='0']",
        timeout=WAIT_MS,
    )
    assert page.evaluate("CSS.highlights.get('qc-search').size") == len(hits) - 1
    assert page.evaluate("CSS.highlights.get('qc-search-current').size") == 1
    assert page.locator(".st-key-qc_search_next").count() == 1
    page.wait_for_selector(f"text=1 of {len(hits)} matches", timeout=WAIT_MS)
    page.locator(".st-key-qc_search_next button").click()
    page.wait_for_selector("[data-testid=qc-transcript][data-search-focus='1']", timeout=WAIT_MS)
    page.wait_for_selector(f"text=2 of {len(hits)} matches", timeout=WAIT_MS)
    context.close()


def test_coding_keys_apply_a_recent_code_and_undo(browser, server, project) -> None:
    """Apply a code once with the Codes box; then with another passage selected the key 1
    applies it again, and U undoes.  Apply stays where it was between the clicks."""
    url, _ = server
    context, page, _ = sign_in(browser, url, "bob")
    open_document(page, "expert_A")
    before = int(transcript_attr(page, "data-codings") or 0)
    apply = page.locator(".st-key-qc_apply button")
    drag_select(page, "Kazakhstan is a transit")
    box = apply.bounding_box()
    apply_code(page, "Transit", before + 1)
    page.locator(".st-key-qc_messages", has_text="Coded 1 passage with Transit country").wait_for(timeout=WAIT_MS)
    assert apply.bounding_box() == box
    page.locator(".st-key-qc_shortcuts", has_text="1 Transit country").wait_for(timeout=WAIT_MS)
    drag_select(page, "employers hire migrants")
    page.wait_for_selector("text=Selected", timeout=WAIT_MS)
    page.keyboard.press("1")
    page.wait_for_selector(f"[data-testid=qc-transcript][data-ready='1'][data-codings='{before + 2}']", timeout=WAIT_MS)
    text = project.store.document_text("expert_A")
    row = codings_of(project, "bob").iloc[-1]
    start = text.index("employers hire migrants")
    assert (row["code"], int(row["start"]), int(row["end"])) == (
        "transit",
        start,
        start + len("employers hire migrants"),
    )
    assert apply.bounding_box() == box
    page.keyboard.press("u")
    page.wait_for_selector(f"[data-testid=qc-transcript][data-ready='1'][data-codings='{before + 1}']", timeout=WAIT_MS)
    assert int(row["coding_id"]) not in codings_of(project, "bob")["coding_id"].tolist()
    context.close()


def test_memo_mark_on_a_coded_span(browser, server, project) -> None:
    from qualcode.store import Actor

    url, _ = server
    text = project.store.document_text("expert_B")
    s = text.index("Employers complain")
    coding_id = project.as_user(Actor("alice", "annotator")).add_coding(
        "expert_B", s, s + len("Employers complain"), "shortage", memo="Ask which sectors"
    )
    context, page, _ = sign_in(browser, url, "alice")
    open_document(page, "expert_B")
    label = page.locator(f"[data-testid=qc-margin-label][data-coding-id='{coding_id}']")
    label.wait_for(timeout=WAIT_MS)
    assert label.get_attribute("data-memo") == "1"
    assert label.inner_text().startswith("\u270e")
    assert "Memo: Ask which sectors" in (label.get_attribute("title") or "")
    mark = page.locator(f"mark.qc-hl[data-coding-ids*='{coding_id}']").first
    assert "qc-memo" in (mark.get_attribute("class") or "")
    context.close()


def test_a_click_on_a_margin_label_opens_the_codings_panel_at_that_coding(browser, server, project) -> None:
    """The panels are one pills control (none open at first): a click on a coding's margin
    label opens *Codings* with that coding chosen for editing."""
    from qualcode.store import Actor

    url, _ = server
    text = project.store.document_text("expert_B")
    s = text.index("a labour shortage")
    coding_id = project.as_user(Actor("alice", "annotator")).add_coding(
        "expert_B", s, s + len("a labour shortage"), "shortage"
    )
    context, page, _ = sign_in(browser, url, "alice")
    open_document(page, "expert_B")
    assert page.locator(".st-key-qc_panel_box").count() == 0
    page.locator(f"[data-testid=qc-margin-label][data-coding-id='{coding_id}']").click()
    # The form of that very coding (its code box is keyed by the coding's id).
    page.locator(f".st-key-qc_panel_box .st-key-qc_edit_code_{coding_id}").wait_for(timeout=WAIT_MS)
    context.close()


def test_back_on_the_code_page_the_transcript_is_put_back_not_rebuilt(browser, server, project) -> None:
    url, _ = server
    context, page, _ = sign_in(browser, url, "alice")
    open_document(page, "expert_A")
    page.evaluate("document.querySelector('[data-testid=qc-transcript]').__qcMarker = 'kept'")
    page.locator("[data-testid=stSidebarNav] a").filter(has=page.get_by_text("Codebook", exact=True)).click()
    page.wait_for_selector("[data-testid=qc-transcript]", state="detached", timeout=WAIT_MS)
    page.locator("[data-testid=stSidebarNav] a").filter(has=page.get_by_text("Code", exact=True)).click()
    page.wait_for_selector("[data-testid=qc-transcript][data-ready='1'][data-document='expert_A']", timeout=WAIT_MS)
    assert page.evaluate("document.querySelector('[data-testid=qc-transcript]').__qcMarker") == "kept"
    # ... and it still works: a drag selects
    drag_select(page, "and employers hire")
    page.wait_for_selector("text=Selected", timeout=WAIT_MS)
    context.close()


def test_interview_picker_types_ahead_and_picks_with_the_keyboard(browser, server, project) -> None:
    """The type-ahead picker (components/picker.py): typing narrows the list to the matching
    interviews, Down and Enter pick one, Escape drops what was typed and keeps the interview,
    and a click on an option picks it."""
    from playwright.sync_api import expect

    url, _ = server
    context, page, _ = sign_in(browser, url, "alice")
    open_document(page, "expert_A")
    box = page.locator(".st-key-qc_document_picker input[role=combobox]")
    options = page.locator(".st-key-qc_document_picker [role=option]")
    box.click()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(options).to_have_count(len(project.store.document_names()))  # every interview
    page.keyboard.type("EXPERT_")  # any part of the label, in any case
    expect(options).to_have_count(2)
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=qc-transcript][data-ready='1'][data-document='expert_B']", timeout=WAIT_MS)
    expect(box).to_have_value(re.compile(r"expert_B$"))
    expect(box).to_have_attribute("aria-expanded", "false")

    box.click()
    page.keyboard.type("hostile")
    expect(options).to_have_count(1)
    page.keyboard.press("Escape")
    expect(options).to_have_count(0)
    expect(box).to_have_value(re.compile(r"expert_B$"))  # the current interview, not what was typed
    assert page.locator("[data-testid=qc-transcript][data-document='expert_B']").count() == 1

    box.click()
    page.keyboard.type("no such interview")
    expect(page.locator(".st-key-qc_document_picker li", has_text="No match")).to_have_count(1)
    page.keyboard.press("Enter")  # nothing to pick: nothing happens
    page.keyboard.press("Escape")
    box.click()
    options.filter(has_text="expert_A").click()
    page.wait_for_selector("[data-testid=qc-transcript][data-ready='1'][data-document='expert_A']", timeout=WAIT_MS)
    expect(box).to_have_value(re.compile(r"expert_A$"))
    context.close()


def test_interview_picker_shows_a_hostile_label_as_text(browser, tmp_path: Path) -> None:
    """Participant labels come from front matter: the picker puts them in as text, so markup in
    a label is shown literally and runs nothing (in the list and in the box)."""
    from playwright.sync_api import expect
    from test_app import make_project

    root = tmp_path / "proj"
    project = make_project(root)
    (root / "interviews" / "evil.md").write_text(
        "---\nparticipant: X\nlabel: '<img src=x onerror=\"window.__qcPwned=1\"> Evil <b>bold</b>'\n---\n"
        "Interviewer: Hello.\n\nParticipant X: Hi.\n",
        encoding="utf-8",
    )
    project.sync()
    project.close()
    with serving(root) as url:
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        page = context.new_page()
        page.goto(url)
        page.locator(".st-key-qc_local_name_box input").fill("sam")
        page.keyboard.press("Enter")
        page.wait_for_selector("[data-testid=qc-transcript][data-ready='1']", timeout=WAIT_MS)
        box = page.locator(".st-key-qc_document_picker input[role=combobox]")
        box.click()
        page.keyboard.type("evil")
        option = page.locator(".st-key-qc_document_picker [role=option]")
        expect(option).to_have_count(1)
        expect(option).to_have_text('<img src=x onerror="window.__qcPwned=1"> Evil <b>bold</b> · evil')
        option.click()
        page.wait_for_selector("[data-testid=qc-transcript][data-ready='1'][data-document='evil']", timeout=WAIT_MS)
        expect(box).to_have_value('<img src=x onerror="window.__qcPwned=1"> Evil <b>bold</b> · evil')
        assert page.locator(".st-key-qc_document_picker img, .st-key-qc_document_picker b").count() == 0
        assert page.evaluate("window.__qcPwned") is None
        context.close()
