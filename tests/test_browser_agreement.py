"""The Agreement page's "Send to Adjudicate" in a real browser (system Chromium, Playwright,
single-machine mode): one click on a disagreement opens the Adjudicate page on that passage."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make siblings importable
from browser_support import CHROMIUM, require_browser, serving

from qualcode.app.screenshots import CHROMIUM_ARGS

pytestmark = pytest.mark.browser

WAIT_MS = 60_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_browser()
    from test_app import add_codings, make_project

    root = tmp_path_factory.mktemp("browser_agreement") / "proj"
    project = make_project(root)
    add_codings(project)  # alice codes "The visa rules …" as visas in expert_A, bob does not
    project.close()
    with serving(root) as url:
        yield url


def test_send_to_adjudicate_opens_that_passage(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(server)
        page.wait_for_selector("text=Who is coding?", timeout=WAIT_MS)
        page.locator(".st-key-qc_local_name_box input").fill("sam")  # role: supervisor (default)
        page.keyboard.press("Enter")
        page.wait_for_selector("[data-testid=qc-transcript][data-ready='1']", timeout=WAIT_MS)
        page.locator("[data-testid=stSidebarNav] a", has_text="Agreement").click()
        page.get_by_role("tab", name="Disagreements").click(timeout=WAIT_MS)  # only the open tab is drawn
        page.wait_for_selector("text=Disagreements, worst code first", timeout=WAIT_MS)
        passage = page.locator(".st-key-qc_agr_passage")
        expect(passage).to_contain_text("The visa rules changed", timeout=WAIT_MS)
        page.locator(".st-key-qc_agr_send button").click()
        page.wait_for_url("**/adjudicate", timeout=WAIT_MS)
        expect(page.get_by_role("heading", name="Adjudicate disagreements")).to_be_visible(timeout=WAIT_MS)
        focus = page.locator(".st-key-qc_adj_focus_panel")
        expect(focus).to_contain_text("Sent from the Agreement page", timeout=WAIT_MS)
        expect(focus).to_contain_text("Visa rules")
        expect(focus).to_contain_text("The visa rules changed")
        expect(focus).to_contain_text("expert_A")
        # the filters came along: the two coders and that one document
        expect(page.locator(".st-key-qc_adj_coders")).to_contain_text("alice")
        expect(page.locator(".st-key-qc_adj_coders")).to_contain_text("bob")
        docs = page.locator(".st-key-qc_adj_docs_box")  # the document filter's button says which …
        expect(docs).to_contain_text("Documents: expert_A")
        docs.get_by_role("button").first.click()  # … and its list, drawn once opened, has it chosen
        expect(page.locator(".st-key-qc_adj_docs")).to_contain_text("expert_A", timeout=WAIT_MS)
        assert page.get_by_text("Component Error").count() == 0
        assert page.locator("[data-testid=stException]").count() == 0
        browser.close()
