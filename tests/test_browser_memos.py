"""The Memos page in a real browser (system Chromium, Playwright) on a small synthetic project in
team mode with blind coding on: a coder writes a project memo, reads it back, edits it; another
coder does not see it (blind mode).  Waits are event based."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make siblings importable
from browser_support import WAIT_MS, add_team_users, chromium, require_browser, serving, settled

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    require_browser()
    from test_app import PASSWORDS, make_project

    from qualcode.store import LOCAL_ADMIN

    root = tmp_path_factory.mktemp("browser_memos") / "proj"
    project = make_project(root)
    add_team_users(project, (("alice", "annotator"), ("bob", "annotator")), PASSWORDS)
    project.store.set_setting(LOCAL_ADMIN, "team_mode", "true")
    project.store.set_setting(LOCAL_ADMIN, "blind_mode", "true")
    project.close()
    with serving(root) as url:
        yield url, root


@pytest.fixture(scope="module")
def browser(server: tuple[str, Path]):
    with chromium() as instance:
        yield instance


def _sign_in(browser, url: str, name: str):  # type: ignore[no-untyped-def]
    from test_app import PASSWORDS

    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(url)
    page.locator(".st-key-qc_sign_in_name input").fill(name)
    page.locator(".st-key-qc_sign_in_password input").fill(PASSWORDS[name])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("text=Signed in as", timeout=WAIT_MS)
    page.locator("[data-testid=stSidebarNav] a", has_text="Memos").click()
    page.wait_for_selector("h2:has-text('Memos')", timeout=WAIT_MS)
    return context, page


def _open_expander(scope, label: str, inside: str) -> None:  # type: ignore[no-untyped-def]
    """Open the expander ``label`` until the element ``inside`` it shows (a click that lands
    during a rerun can be lost, e.g. on a cold start)."""
    target = scope.locator(inside)
    for _ in range(4):
        if target.is_visible():
            return
        scope.get_by_text(label, exact=True).first.click()
        try:
            target.wait_for(state="visible", timeout=WAIT_MS // 4)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: click again
            continue
    target.wait_for(state="visible", timeout=WAIT_MS)


def test_write_read_and_edit_a_memo_in_the_browser(server: tuple[str, Path], browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    from qualcode.project import Project

    url, root = server
    context, page = _sign_in(browser, url, "alice")
    _open_expander(page, "Write a memo", ".st-key-qc_memo_new_kind")
    page.locator(".st-key-qc_memo_new_kind").get_by_text("The project").click()
    # the project needs no target: the interview picker goes once the page has rerun
    page.wait_for_selector(".st-key-qc_memo_new_interview_picker", state="detached", timeout=WAIT_MS)
    settled(page, ".st-key-qc_memo_new_text textarea")  # the rerun after choosing the kind is over
    page.locator(".st-key-qc_memo_new_title input").fill("Synthetic plan")
    page.locator(".st-key-qc_memo_new_text textarea").fill("A synthetic project memo written in the browser.")
    settled(page, ".st-key-qc_memo_new_save button").click()
    card = page.locator("[class*='st-key-qc_memo_card_memo_']")
    expect(card).to_have_count(1, timeout=WAIT_MS)
    expect(card).to_contain_text("A synthetic project memo written in the browser.")
    expect(card).to_contain_text("Project memo · the project")
    expect(card).to_contain_text("by alice")
    project = Project.open(root)
    try:
        rows = project.memos_frame()
        assert list(zip(rows["kind"], rows["author"], rows["title"])) == [("project", "alice", "Synthetic plan")]
        memo_id = int(rows["memo_id"].iloc[0])
    finally:
        project.close()
    card.locator(f".st-key-qc_memo_editing_memo_{memo_id}").get_by_text("Edit or delete").click()
    box = settled(page, f".st-key-qc_memo_edit_text_memo_{memo_id} textarea")
    box.fill("Edited in the browser (synthetic).")
    settled(page, f".st-key-qc_memo_save_memo_{memo_id} button").click()
    expect(card.get_by_text("Edited in the browser (synthetic).").first).to_be_visible(timeout=WAIT_MS)
    context.close()

    context, page = _sign_in(browser, url, "bob")  # blind mode: bob sees his own memos only
    expect(page.get_by_text("No memos yet")).to_be_visible(timeout=WAIT_MS)
    assert page.locator("[class*='st-key-qc_memo_card_']").count() == 0
    context.close()
