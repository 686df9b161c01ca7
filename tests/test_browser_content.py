"""The content pages in a real browser (system Chromium, Playwright) at 1366 px: the Code
browser's "Open in context" scrolls the transcript to the excerpt, excerpts wrap, the Codebook
page opens a code's card (and its edit form) right under the code, nothing runs off-screen.

Data: the app tests' small labelled project plus one long, plainly synthetic interview
("Filler sentence N.") so that an excerpt lies below the transcript's first screen."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make siblings importable
from browser_support import WAIT_MS, chromium, click_settled, require_browser, serving, settled

pytestmark = pytest.mark.browser

WIDTH = 1366
LONG = (
    "---\nparticipant: L\nlabel: Long test interview (L)\n---\n"
    + "\n\n".join(f"Filler sentence {i} of a synthetic test transcript." for i in range(1, 301))
    + "\n\nThe border queue took nine hours, and everyone waited in the cold without any shelter or water.\n"
)
NEEDLE = "The border queue took nine hours"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, dict]]:
    require_browser()
    from test_app import add_codings, make_project

    from qualcode.store import Actor

    root = tmp_path_factory.mktemp("browser_content") / "proj"
    (root / "interviews").mkdir(parents=True)
    project = make_project(root)
    (root / "interviews" / "long_L.md").write_text(LONG, encoding="utf-8")
    project.sync()
    add_codings(project)
    hostile = "<img src=x onerror=window.__pwned=1> **bold** <script>window.__pwned=2</script>"
    project.add_code("hostile_code", "Hostile " + hostile, "borders", description=hostile)
    project.edit_codebook_node("borders", description=hostile)
    text = project.document_text("long_L") or ""
    start = text.index(NEEDLE)
    end = text.index("water.") + len("water.")
    coding = project.as_user(Actor("alice", "annotator", local=True)).add_coding(
        "long_L", start, end, "border_checks", memo="Queue at the crossing."
    )
    project.close()
    with serving(root) as url:
        yield url, root, {"start": start, "end": end, "coding_id": coding}


@pytest.fixture(scope="module")
def browser(server):  # type: ignore[no-untyped-def]
    with chromium() as instance:
        yield instance


def open_page(browser, url: str, title: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": WIDTH, "height": 800})
    page = context.new_page()
    page.goto(url)
    page.locator(".st-key-qc_local_name_box input").fill("alice")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=qc-transcript][data-ready='1']", timeout=WAIT_MS)
    page.locator("[data-testid=stSidebarNav] a", has_text=title).first.click()
    return context, page


def choose(page, key: str, typed: str, option: str) -> None:  # type: ignore[no-untyped-def]
    page.locator(f".st-key-{key} input").click()
    page.keyboard.type(typed)
    page.get_by_role("option", name=option).first.click()


FITS_JS = (
    "() => { const m = document.querySelector('[data-testid=stMain]') || document.body;"
    " return m.scrollWidth <= m.clientWidth + 1 && document.documentElement.scrollWidth <= innerWidth + 1; }"
)


def no_horizontal_overflow(page) -> bool:  # type: ignore[no-untyped-def]
    """The page fits its width once it has settled (a rerun can overflow for a frame while
    Streamlit swaps elements): wait for it, and fail only if it never fits."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(FITS_JS, timeout=WAIT_MS)
    except PlaywrightTimeout:
        return False
    return True


def test_open_in_context_scrolls_the_transcript_to_the_excerpt(browser, server) -> None:  # type: ignore[no-untyped-def]
    url, _, coding = server
    context, page = open_page(browser, url, "Code browser")
    page.wait_for_selector("text=Code browser", timeout=WAIT_MS)
    choose(page, "qc_br_node", "Border checks", "Border checks")
    from playwright.sync_api import expect

    page.locator(f".st-key-qc_br_excerpt_{coding['coding_id']}").filter(has_text=NEEDLE).wait_for(timeout=WAIT_MS)
    # The rerun for the chosen code is over (a keyed card can briefly hold the previous code's quote).
    card = settled(page, f".st-key-qc_br_excerpt_{coding['coding_id']}")
    expect(card).to_contain_text(NEEDLE, timeout=WAIT_MS)
    expect(card).to_contain_text("Queue at the crossing.", timeout=WAIT_MS)
    box = card.bounding_box()
    assert box is not None and box["x"] + box["width"] <= WIDTH  # the card fits; the long quote wraps
    assert no_horizontal_overflow(page)
    page.locator(f".st-key-qc_br_open_{coding['coding_id']} button").click()
    span = f"{coding['start']}-{coding['end']}"
    page.wait_for_selector(
        f"[data-testid=qc-transcript][data-document='long_L'][data-selection='{span}'][data-focused='{span}']",
        timeout=WAIT_MS,
    )
    visible = page.evaluate(
        """() => {
        const scroller = document.querySelector('[data-testid=qc-transcript] .qc-scroll');
        const box = document.querySelector('[data-testid=qc-transcript] .qc-pending');
        const a = scroller.getBoundingClientRect(), b = box.getBoundingClientRect();
        return [scroller.scrollTop, b.top >= a.top && b.bottom <= a.bottom];
    }"""
    )
    assert visible[0] > 0 and visible[1], visible  # scrolled down, the excerpt inside the visible part
    context.close()


def test_codebook_card_and_edit_form_open_under_the_code(browser, server) -> None:  # type: ignore[no-untyped-def]
    url, _, _ = server
    context, page = open_page(browser, url, "Codebook")
    node = page.locator(".st-key-qc_cb_node_visas button")
    node.wait_for(timeout=WAIT_MS)
    assert no_horizontal_overflow(page)
    click_settled(page, ".st-key-qc_cb_node_visas button", ".st-key-qc_cb_card_visas")
    card = page.locator(".st-key-qc_cb_card_visas")
    below = page.locator(".st-key-qc_cb_node_border_checks button")  # the next code of the theme
    node_box, card_box, next_box = node.bounding_box(), card.bounding_box(), below.bounding_box()
    assert node_box and card_box and next_box
    assert 0 <= card_box["y"] - (node_box["y"] + node_box["height"]) < 40  # right under the code …
    assert card_box["y"] + card_box["height"] <= next_box["y"] + 1  # … before the next one
    click_settled(
        page, ".st-key-qc_cb_card_visas summary:has-text('Edit this code')", ".st-key-qc_cb_edit_label_visas input"
    )
    label = page.locator(".st-key-qc_cb_edit_label_visas input")
    label_box, card_box, next_box = label.bounding_box(), card.bounding_box(), below.bounding_box()
    assert label_box and card_box and next_box
    assert card_box["y"] < label_box["y"] < card_box["y"] + card_box["height"] <= next_box["y"] + 1  # in the card
    assert no_horizontal_overflow(page)
    # Opening the edit form reran the page: click the next node once that run is over.
    click_settled(page, ".st-key-qc_cb_node_hostile_code button", ".st-key-qc_cb_card_hostile_code")
    tree = page.locator(".st-key-qc_cb_tree")
    assert "<img src=x onerror=window.__pwned=1>" in tree.inner_text()  # shown as text …
    assert tree.locator("img, script").count() == 0  # … never as HTML
    assert page.evaluate("() => window.__pwned === undefined")
    context.close()


# [is the coding's first mark laid out (not in a skipped section), label top - mark top on screen (px)].
LINE_AND_LABEL_JS = """([id]) => {
  const mark = document.querySelector(`mark.qc-hl[data-coding-ids~='${id}']`);
  const label = document.querySelector(`[data-testid=qc-margin-label][data-coding-id='${id}']`);
  if (!mark || !label) return null;
  return [mark.checkVisibility({contentVisibilityAuto: true}),
    label.getBoundingClientRect().top - mark.getBoundingClientRect().top];
}"""


def test_lines_off_screen_are_not_laid_out_and_labels_follow_when_scrolled_to(browser, server) -> None:  # type: ignore[no-untyped-def]
    """A long transcript lays out only the lines near the view (content-visibility); a coding far
    below still has its margin label, which sits beside its highlight once it is scrolled to."""
    url, _, coding = server
    context, page = open_page(browser, url, "Code")
    choose(page, "qc_document_picker", "long_L", "Long test interview (L) · long_L")
    page.wait_for_selector("[data-testid=qc-transcript][data-ready='1'][data-document='long_L']", timeout=WAIT_MS)
    cid = coding["coding_id"]
    page.wait_for_function(f"() => !!document.querySelector(\"[data-testid=qc-margin-label][data-coding-id='{cid}']\")")
    laid_out, _ = page.evaluate(LINE_AND_LABEL_JS, [cid])
    assert laid_out is False  # the last section, 300 paragraphs down, is skipped
    # Its label is in the page but not laid out either (display: none until near the view):
    # a thousand labels laid out cost ~70 ms each time the transcript was put back on the page.
    label_shown = f"document.querySelector(\"[data-testid=qc-margin-label][data-coding-id='{cid}']\").checkVisibility()"
    assert page.evaluate(label_shown) is False
    page.evaluate(
        f"document.querySelector(\"mark.qc-hl[data-coding-ids~='{cid}']\").scrollIntoView({{block: 'center'}})"
    )
    page.wait_for_function(
        """([id]) => { const r = (LINE_AND_LABEL)([id]); return !!r && r[0] && Math.abs(r[1]) <= 1; }""".replace(
            "LINE_AND_LABEL", LINE_AND_LABEL_JS
        ),
        arg=[cid],
        timeout=WAIT_MS,
    )
    assert page.evaluate(label_shown) is True
    context.close()
