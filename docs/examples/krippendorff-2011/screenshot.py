"""The README's screenshot of this example on the Agreement page (forest plot), 1366 pixels wide.

    python docs/examples/krippendorff-2011/screenshot.py [--out docs/screenshots/agreement-krippendorff-2011.png]

Copies this folder's codebook.yaml and interviews/ (the published data, see make_example.py)
to a temporary project, imports them, starts the workbench there and photographs the
Agreement page with Playwright and the system Chromium (as qualcode/app/screenshots.py does).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from qualcode.app.screenshots import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, free_port, start_streamlit, stop
from qualcode.project import Project

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]


def prepare(target: Path) -> None:
    target.mkdir(parents=True)
    shutil.copy2(HERE / "codebook.yaml", target / "codebook.yaml")
    shutil.copytree(HERE / "interviews", target / "interviews")
    project = Project.init(target)
    project.sync()
    project.close()


def take(project_dir: Path, out: Path, width: int = 1366, height: int = 1100) -> Path:
    from playwright.sync_api import sync_playwright

    out.parent.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = start_streamlit(project_dir, port, project_dir.parent / "streamlit.log")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator(".st-key-qc_local_name_box input").fill("reviewer")
            page.keyboard.press("Enter")
            page.wait_for_selector("[data-testid=qc-transcript][data-ready='1']", timeout=WAIT_MS)
            page.locator("[data-testid=stSidebarNav] a", has_text="Agreement").click()
            # Only the open tab is drawn: open the forest plot's.
            page.get_by_role("tab", name="Forest plot").click(timeout=WAIT_MS)
            page.wait_for_selector("text=Alpha per code and theme", timeout=WAIT_MS)
            page.wait_for_selector(
                "[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg", timeout=WAIT_MS
            )
            page.wait_for_selector("text=Disagreements", timeout=WAIT_MS)
            page.wait_for_load_state("networkidle")
            page.wait_for_selector("[data-testid=stStatusWidget]", state="detached", timeout=WAIT_MS)
            page.wait_for_timeout(800)  # let the chart finish drawing
            page.screenshot(path=str(out))
            browser.close()
    finally:
        stop(proc)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots" / "agreement-krippendorff-2011.png"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "krippendorff-2011"
        prepare(copy)
        print(f"wrote {take(copy, Path(args.out))}")


if __name__ == "__main__":
    main()
