"""What every browser test module shares: the system Chromium, a served project, the users of a
team project.  (Not a test module: no ``test_`` prefix.)"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # collected by --doctest-modules too: find conftest
from conftest import require_service  # noqa: E402

from qualcode.app.screenshots import CHROMIUM_ARGS, free_port, start_streamlit, stop

CHROMIUM = Path("/usr/bin/chromium")
WAIT_MS = 30_000


def require_browser() -> None:
    """Chromium and Playwright: a failure in CI, a skip with the fix elsewhere."""
    require_service("Chromium", CHROMIUM.exists(), "apt-get install chromium")
    pytest.importorskip("playwright")


def add_team_users(project: Any, users: Iterable[tuple[str, str]], passwords: Mapping[str, str]) -> None:
    """Add (name, role) users with their test passwords (cheap scrypt: tests only)."""
    from qualcode.auth import hash_password
    from qualcode.store import LOCAL_ADMIN

    for name, role in users:
        project.store.add_user(LOCAL_ADMIN, name, role, hash_password(passwords[name], n=2**10))


@contextmanager
def serving(root: Path) -> Iterator[str]:
    """The workbench on ``root`` on a free loopback port; yields its URL, stops it afterwards."""
    port = free_port()
    proc = start_streamlit(root, port, root.parent / "streamlit.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless system Chromium (Playwright), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def settled(page: Any, selector: str) -> Any:
    """The one element ``selector`` once a rerun is over.  While Streamlit reruns, the stale copy
    of an element and its new one can both be in the page, or a keyed container can briefly hold
    the previous run's children: wait for the run to end, then for exactly one match."""
    from playwright.sync_api import expect

    page.wait_for_selector("[data-testid=stStatusWidget]", state="detached", timeout=WAIT_MS)
    expect(page.locator(selector)).to_have_count(1, timeout=WAIT_MS)
    return page.locator(selector)


def click_settled(page: Any, target: str, shows: str) -> None:
    """Click ``target`` once the current run is over, then wait for ``shows``.  A click that lands
    while Streamlit swaps the element (during a rerun an earlier action started, e.g. opening an
    expander with on_change) can be lost; not repeated, since many targets toggle."""
    settled(page, target).click()
    page.locator(shows).wait_for(timeout=WAIT_MS)
