"""The Framework page in a real browser (system Chromium, Playwright, ``streamlit run``) on the
synthetic project of tests/test_framework.py (invented texts, no research data): click a grid cell,
read its excerpts, write its summary, and find it stored and audited."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make siblings importable
from browser_support import CHROMIUM, WAIT_MS, require_browser, serving

from qualcode.app.screenshots import CHROMIUM_ARGS

pytestmark = pytest.mark.browser

PASSWORD = "sam-password-333"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    require_browser()
    from test_framework import make_synthetic

    from qualcode.auth import hash_password
    from qualcode.store import LOCAL_ADMIN

    root = tmp_path_factory.mktemp("browser_framework") / "synthetic"
    project = make_synthetic(root)
    project.store.add_user(LOCAL_ADMIN, "sam", "supervisor", hash_password(PASSWORD, n=2**10))
    project.store.set_setting(LOCAL_ADMIN, "team_mode", "true")
    project.close()
    with serving(root) as url:
        yield url, root


def test_click_a_cell_read_its_excerpts_and_save_its_summary(server: tuple[str, Path], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    from qualcode.project import Project

    url, root = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.goto(url)
        page.locator(".st-key-qc_sign_in_name input").fill("sam")
        page.locator(".st-key-qc_sign_in_password input").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("text=Signed in as", timeout=WAIT_MS)
        page.locator("[data-testid=stSidebarNav] a", has_text="Framework").click()
        page.wait_for_selector("h2:has-text('Framework matrix')", timeout=WAIT_MS)
        grid = page.locator(".st-key-qc_fw_grid [data-testid=stDataFrameResizable]")
        grid.wait_for(timeout=WAIT_MS)
        page.screenshot(path=str(tmp_path / "framework.png"))  # for a look when it fails
        # The grid is a canvas: click inside row 1 (Person (P1)) near the right edge, in "Policy".
        box = grid.bounding_box()
        assert box is not None
        header = 35
        row_height = 110
        x = box["x"] + box["width"] - 60
        y = box["y"] + header + row_height / 2
        page.mouse.click(x, y)
        expect(page.get_by_text("Person (P1) · Policy")).to_be_visible(timeout=WAIT_MS)
        expect(page.locator("blockquote", has_text="Visas are slow")).to_be_visible(timeout=WAIT_MS)
        area = page.locator(".st-key-qc_fw_text_P1_policy_0 textarea")
        area.fill("Synthetic summary: visas are slow.")
        area.press("Tab")  # commit the text area before the button's rerun
        page.get_by_role("button", name="Save summary").click()
        expect(page.get_by_text("Summary saved.")).to_be_visible(timeout=WAIT_MS)
        browser.close()
    project = Project.open(root)
    try:
        stored = project.framework_summaries()
        assert stored[["participant_id", "theme_id", "text", "updated_by"]].to_dict("records") == [
            {
                "participant_id": "P1",
                "theme_id": "policy",
                "text": "Synthetic summary: visas are slow.",
                "updated_by": "sam",
            }
        ]
    finally:
        project.close()
