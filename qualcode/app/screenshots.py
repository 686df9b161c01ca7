"""Start the workbench in a subprocess and take the README screenshots with Playwright.

    python -m qualcode.app.screenshots [--project .] [--out docs/screenshots] [--pages a,b] [--width 1366]

The project folder's ``codebook.yaml`` and ``interviews/`` are copied to a temporary
folder first (the real project's database is never touched) and imported: the thesis
team's codings, nothing else.  The demo has no memos and no framework summaries, so the
copy gets a few, written for the screenshots from what the thesis and docs/thesis-demo.md
say (:data:`DEMO_MEMOS`, :data:`DEMO_SUMMARIES`, under the name "thesis-team"): an
illustration of the Memos and Framework pages, not the thesis team's own notes.

The demo has one coder, so the Agreement shot (``agreement-krippendorff-2011``) is taken
on docs/examples/krippendorff-2011 (published multi-coder data) by that folder's
``screenshot.py``.

Also used by ``tests/test_browser.py`` (:func:`free_port`, :func:`start_streamlit`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = {
    "code.png": "Code",
    "reports.png": "Reports",
    "saturation.png": "Reports",
    "framework.png": "Framework",
    "framework-cell.png": "Framework",
    "codebook.png": "Codebook",
    "browser.png": "Code browser",
    "memos.png": "Memos",
    "interviews.png": "Interviews",
}
TABS = {"reports.png": "Themes", "saturation.png": "Saturation"}  # the Reports tab each shot shows
# Taken by another script (a different project): name -> (script, its output file).
ELSEWHERE = {
    "agreement-krippendorff-2011.png": REPO / "docs" / "examples" / "krippendorff-2011" / "screenshot.py",
}
# Written for the screenshots (see the module docstring): (kind, target, title, text).
DEMO_MEMOS = [
    (
        "project",
        None,
        "What these transcripts are",
        "The nine transcripts hold only the excerpts the thesis publishes in Appendix B (English "
        "translations of Russian interviews); the full interviews are confidential. An expert count "
        "here counts those excerpts, not what each expert said in the whole interview.",
    ),
    (
        "code",
        "human_trafficking_issues",
        "Two sets of statistics",
        "Thesis, section 4.4: 'Both Experts (F) and (H) noted a significant problem in the "
        "discrepancy of statistics'. Compare the Ministry of Internal Affairs' figures with the NGOs'.",
    ),
    (
        "document",
        "expert_F",
        "An NGO's view",
        "Expert F speaks for the non-governmental organisations: no shelter for victims in Almaty, "
        "victims who trust NGOs more than the police, statistics that differ from the Ministry's.",
    ),
]
DEMO_SUMMARIES = [
    (
        "F",
        "human_trafficking",
        "Trafficking is latent: official statistics and appeals do not show the exploitation "
        "(brick factories in Almaty region); asks who sees the work of the some two hundred PEAs.",
    ),
]
WAIT_MS = 60_000

# Where a piece of text sits on screen: (x, y) of its first and last character, or null.
TEXT_RECT_JS = """([needle]) => {
  const root = document.querySelector('[data-testid=qc-transcript-text]');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const i = node.data.indexOf(needle);
    if (i < 0) continue;
    const first = document.createRange(); first.setStart(node, i); first.setEnd(node, i + 1);
    const last = document.createRange(); last.setStart(node, i + needle.length - 1); last.setEnd(node, i + needle.length);
    const a = first.getBoundingClientRect(), b = last.getBoundingClientRect();
    return [a.left + 1, a.top + a.height / 2, b.right - 1, b.top + b.height / 2];
  }
  return null;
}"""


# Scroll the transcript so that a piece of text sits in the middle of the window.
SCROLL_TO_TEXT_JS = """([needle]) => {
  const root = document.querySelector('[data-testid=qc-transcript-text]');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    if (node.data.indexOf(needle) < 0) continue;
    node.parentElement.scrollIntoView({block: 'center'});  // scrolls the page too: put it back
    const main = document.querySelector('[data-testid=stMain]');
    if (main) main.scrollTo(0, 0);
    window.scrollTo(0, 0);
    return true;
  }
  return false;
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_streamlit(
    project_dir: Path | None, port: int, log: Path, *, script: Path | None = None, startup_limit: float = 90.0
) -> subprocess.Popen:
    """``streamlit run`` a script (default: the workbench on ``project_dir``); returns once it answers
    its health check.  Also used by the browser benchmark (with its empty baseline app)."""
    script = script or REPO / "streamlit_app.py"
    env = dict(os.environ)
    env.pop("QUALCODE_DATABASE_URL", None)
    if project_dir is not None:
        env["QUALCODE_PROJECT"] = str(project_dir)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(script),
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
                "--client.toolbarMode",
                "minimal",
            ],
            cwd=str(script.parent),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + startup_limit
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return proc
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"streamlit did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def prepare_demo_copy(source: Path, target: Path) -> None:
    """Copy the project files, import them, and add the illustrative memos and summaries."""
    from ..project import Project
    from ..store import Actor

    target.mkdir(parents=True)
    shutil.copy2(source / "codebook.yaml", target / "codebook.yaml")
    shutil.copytree(source / "interviews", target / "interviews")
    project = Project.init(target)
    project.sync()
    if source == REPO:
        team = project.as_user(Actor("thesis-team", "supervisor", local=True))
        for kind, target_id, title, text in DEMO_MEMOS:
            team.add_memo(kind, target_id, text, title=title)
        for participant, theme, text in DEMO_SUMMARIES:
            team.set_framework_summary(participant, theme, text)
    project.close()


def _code_page_scene(page) -> None:
    """A realistic moment: a sentence clicked (selected) and a code typed into the type-ahead."""
    needle = "Almaty is, after all"
    page.evaluate(SCROLL_TO_TEXT_JS, [needle])  # at 1366 px the sentence starts below the fold
    page.wait_for_timeout(300)
    rect = page.evaluate(TEXT_RECT_JS, [needle])
    if rect is None:
        return
    page.mouse.click(rect[0] + 20, rect[1])
    page.wait_for_selector("[data-testid=qc-transcript]:not([data-selection=''])", timeout=WAIT_MS)
    page.locator(".st-key-qc_codes input").click()
    page.keyboard.type("Business")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.locator(".st-key-qc_memo input").click()


def _codebook_scene(page) -> None:
    """The tree opened at a sub-theme, one code's card open under it (definition, excerpts, edit)."""
    page.locator("[data-testid=stExpander] summary", has_text="Evolving Migration Trends").first.click()
    sub = "[data-testid=stExpander] summary:has-text('Migration Trends and Patterns')"
    page.wait_for_selector(sub, timeout=WAIT_MS)
    page.locator(sub).first.click()
    node = ".st-key-qc_cb_node_trend_change button"
    page.wait_for_selector(node, timeout=WAIT_MS)
    page.locator(node).click()
    page.wait_for_selector(".st-key-qc_cb_card_trend_change", timeout=WAIT_MS)
    page.wait_for_selector("[data-testid=stStatusWidget]", state="detached", timeout=WAIT_MS)
    page.locator(
        "[data-testid=stExpander] summary", has_text="Migration Trends and Patterns"
    ).first.scroll_into_view_if_needed()
    page.evaluate("() => { const m = document.querySelector('[data-testid=stMain]'); if (m) m.scrollBy(0, -150); }")


def _browser_scene(page) -> None:
    """A sub-theme's excerpts: every code under it, grouped by participant."""
    page.locator(".st-key-qc_br_node input").click()
    page.keyboard.type("Migration Trends and Patterns")
    page.get_by_role("option", name="Migration Trends and Patterns").first.click()
    page.wait_for_selector("text=Evolving Migration Trends › Migration Trends and Patterns —", timeout=WAIT_MS)


def _select(page, key: str, option: str) -> None:
    page.locator(f".st-key-{key} input").click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option).first.click()
    page.wait_for_selector("[data-testid=stStatusWidget]", state="detached", timeout=WAIT_MS)


def _framework_cell_scene(page) -> None:
    """One cell opened under the matrix: Expert (F) on Human Trafficking, excerpts and the summary."""
    _select(page, "qc_fw_participant_picker", "Expert (F)")
    _select(page, "qc_fw_theme", "Human Trafficking")
    heading = page.locator("h3:has-text('Expert (F) · Human Trafficking')").first
    heading.wait_for(timeout=WAIT_MS)
    page.locator(".st-key-qc_fw_participant_picker").scroll_into_view_if_needed()
    page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]');"
        " const t = document.querySelector('.st-key-qc_fw_participant_picker');"
        " if (m && t) m.scrollBy(0, t.getBoundingClientRect().top - 40); }"
    )


def _memos_scene(page) -> None:
    """The memo browser with the project, code and interview memos listed."""
    page.wait_for_selector("text=What these transcripts are", timeout=WAIT_MS)


def _interviews_scene(page) -> None:
    """Scrolled past the upload form to the tabs, the coding progress open (the page's first tab;
    only the open tab is drawn)."""
    page.locator("h3:has-text('Your coding progress')").first.wait_for(timeout=WAIT_MS)
    page.locator("[data-testid=stTabs]").first.scroll_into_view_if_needed()
    page.evaluate("() => { const m = document.querySelector('[data-testid=stMain]'); if (m) m.scrollBy(0, -8); }")


def take(project_dir: Path, out: Path, pages: list[str] | None = None, width: int = 1366) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = start_streamlit(project_dir, port, project_dir.parent / "streamlit.log")
    written: list[Path] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": width, "height": 950})
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator(".st-key-qc_local_name_box input").fill("thesis-team")
            page.keyboard.press("Enter")
            page.wait_for_selector("[data-testid=qc-transcript][data-ready='1']", timeout=WAIT_MS)
            if pages is None or "code" in pages:
                _code_page_scene(page)
            for name, title in SCREENSHOTS.items():
                if pages is not None and name.removesuffix(".png") not in pages:
                    continue
                if title != "Code" and name != "saturation.png":  # saturation: still on Reports
                    page.locator("[data-testid=stSidebarNav] a", has_text=title).click()
                    page.wait_for_selector(
                        f"h2:has-text('{title}'), h1:has-text('{title}')", timeout=WAIT_MS
                    ) if title != "Codebook" else page.wait_for_selector("text=Cross-cutting themes", timeout=WAIT_MS)
                if name in TABS:
                    page.get_by_role("tab", name=TABS[name]).click()
                    shown = (
                        "[data-testid=stVegaLiteChart] canvas:visible, [data-testid=stVegaLiteChart] svg:visible, "
                        "[data-testid=stDataFrameResizable]:visible"
                    )
                    page.locator(shown).first.wait_for(timeout=WAIT_MS)
                if title == "Framework":
                    page.wait_for_selector(".st-key-qc_fw_grid [data-testid=stDataFrameResizable]", timeout=WAIT_MS)
                if name == "framework-cell.png":
                    _framework_cell_scene(page)
                if title == "Agreement":
                    page.wait_for_selector("text=Disagreements", timeout=WAIT_MS)
                if title == "Codebook":
                    _codebook_scene(page)
                if title == "Code browser":
                    _browser_scene(page)
                if title == "Memos":
                    _memos_scene(page)
                if title == "Interviews":
                    _interviews_scene(page)
                page.wait_for_load_state("networkidle")
                page.wait_for_selector("[data-testid=stStatusWidget]", state="detached", timeout=WAIT_MS)
                page.wait_for_timeout(800)  # let progress bars and charts finish their animation
                path = out / name
                page.screenshot(path=str(path))
                written.append(path)
            browser.close()
    finally:
        stop(proc)
    return written


def main(argv: list[str] | None = None) -> None:
    names = [*SCREENSHOTS, *ELSEWHERE]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", default=str(REPO), help="project folder (default: the thesis demo)")
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    parser.add_argument("--width", type=int, default=1366, help="browser width in pixels (default: 1366)")
    parser.add_argument("--pages", help="comma-separated screenshots to take (default: all): " + ", ".join(names))
    args = parser.parse_args(argv)
    pages = [p.strip().removesuffix(".png") for p in args.pages.split(",")] if args.pages else None
    unknown = sorted(set(pages or []) - {n.removesuffix(".png") for n in names})
    if unknown:
        parser.error(f"unknown screenshot(s) {', '.join(unknown)}; choose from {', '.join(names)}")
    here = [p for p in pages or SCREENSHOTS if p + ".png" in SCREENSHOTS or p in SCREENSHOTS]
    if here:
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(args.project).resolve()
            copy = Path(tmp) / ("thesis-demo" if source == REPO else source.name)
            prepare_demo_copy(source, copy)
            for path in take(copy, Path(args.out), [p.removesuffix(".png") for p in here], args.width):
                print(f"wrote {path}")
    for name, script in ELSEWHERE.items():
        if pages is None or name.removesuffix(".png") in pages:
            out = Path(args.out) / name
            subprocess.run([sys.executable, str(script), "--out", str(out)], check=True)


if __name__ == "__main__":
    main()
