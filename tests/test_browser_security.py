"""Security in a real browser (system Chromium through Playwright against ``streamlit run``):
no request leaves the machine, single-machine mode refuses other machines, and the team-mode
session cookie is invisible to JavaScript and dies with the account."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make siblings importable
from browser_support import WAIT_MS, add_team_users, chromium, require_browser, serving
from conftest import require_service

from qualcode.app.screenshots import free_port, stop

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
PAGES = ["Code", "Codebook", "Code browser", "Reports", "Agreement", "Adjudicate", "Interviews", "Suggestions", "Admin"]


@pytest.fixture(scope="module")
def team_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    require_browser()
    from test_app import PASSWORDS, add_codings, make_project

    from qualcode.store import LOCAL_ADMIN

    root = tmp_path_factory.mktemp("browser_security") / "proj"
    project = make_project(root)
    add_team_users(
        project, (("alice", "annotator"), ("bob", "annotator"), ("sam", "supervisor"), ("root", "admin")), PASSWORDS
    )
    add_codings(project)
    project.store.set_setting(LOCAL_ADMIN, "team_mode", "true")
    project.close()
    with serving(root) as url:
        yield url, root


@pytest.fixture(scope="module")
def browser(team_server: tuple[str, Path]):  # type: ignore[no-untyped-def]
    with chromium() as instance:
        yield instance


def offline_context(browser):  # type: ignore[no-untyped-def]
    """A browser context in which every request to another machine is blocked and recorded."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    blocked: list[str] = []

    def route(route) -> None:  # type: ignore[no-untyped-def]
        host = urlparse(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    return context, blocked


def sign_in(page, url: str, name: str) -> None:  # type: ignore[no-untyped-def]
    from test_app import PASSWORDS

    page.goto(url)
    page.locator(".st-key-qc_sign_in_name input").fill(name)
    page.locator(".st-key-qc_sign_in_password input").fill(PASSWORDS[name])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("text=Signed in as", timeout=WAIT_MS)


# ------------------------------------------------------------------------------ h. no request leaves
def test_no_request_leaves_the_machine_on_any_page(browser, team_server: tuple[str, Path]) -> None:  # type: ignore[no-untyped-def]
    url, _ = team_server
    context, blocked = offline_context(browser)
    page = context.new_page()
    sign_in(page, url, "root")
    seen = []
    for title in PAGES:
        page.locator("[data-testid=stSidebarNav] a", has_text=title).first.click()
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)  # late favicon/font/icon requests
        seen.append(title)
        assert not blocked, f"after opening {seen}: {blocked}"
    page.locator("[data-testid=stSidebarNav] a", has_text="Reports").first.click()
    page.get_by_role("tab", name="Heatmap").click()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    assert not blocked, blocked
    favicon = page.evaluate("() => [...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
    assert favicon and all(urlparse(h).hostname in LOOPBACK or h.startswith("data:") for h in favicon), favicon
    context.close()


# ------------------------------------------------------------------------------ a. remote browsers
def _own_address() -> str | None:
    """This machine's first non-loopback IPv4 address (None when it has none)."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("192.0.2.1", 9))  # no packet is sent: picks the outgoing interface
            address = sock.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_single_machine_mode_refuses_a_browser_on_another_machine(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Even a plain ``streamlit run --server.address 0.0.0.0`` (not qualcode app) serves a
    single-machine project only to this computer."""
    from test_app import make_project

    address = _own_address()
    require_service("a non-loopback network address", address is not None, "a machine with a network interface")
    make_project(tmp_path / "proj").close()
    port = free_port()
    env = {**os.environ, "QUALCODE_PROJECT": str(tmp_path / "proj")}
    env.pop("QUALCODE_DATABASE_URL", None)
    log = open(tmp_path / "streamlit.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "streamlit", "run", str(REPO / "streamlit_app.py")),
            *("--server.port", str(port), "--server.address", "0.0.0.0", "--server.headless", "true"),
            *("--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "streamlit.log").read_text()
                time.sleep(0.3)
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"http://{address}:{port}")
        page.wait_for_selector("text=single-machine mode: it serves only the computer", timeout=WAIT_MS)
        assert page.locator("text=Pick or type your annotator name").count() == 0
        assert page.locator("[data-testid=stSidebarNav]").count() == 0
        local = context.new_page()
        local.goto(f"http://127.0.0.1:{port}")
        local.wait_for_selector("text=Pick or type your annotator name", timeout=WAIT_MS)
        context.close()
    finally:
        stop(proc)
        log.close()


# ------------------------------------------------------------------------------ c. sessions
def _session_cookies(context) -> list[dict]:  # type: ignore[no-untyped-def]
    return [c for c in context.cookies() if c["name"].endswith("qualcode_session")]


def _wait_cookie(page, action: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(f"() => document.documentElement.dataset.qcSessionCookie === '{action}'", timeout=WAIT_MS)


def test_session_cookie_is_server_set_httponly_and_rotated(browser, team_server: tuple[str, Path]) -> None:  # type: ignore[no-untyped-def]
    from qualcode.auth import SESSION_LIFETIME, resume_session
    from qualcode.project import Project

    url, root = team_server
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, url, "alice")
    _wait_cookie(page, "set")
    cookies = _session_cookies(context)
    assert len(cookies) == 1, cookies
    cookie = cookies[0]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/_stcore/stream"
    assert 0 < cookie["expires"] - time.time() <= SESSION_LIFETIME.total_seconds() + 60
    assert "qualcode_session" not in page.evaluate("() => document.cookie")  # no page script can read it
    assert cookie["value"] not in page.content()
    page.reload()  # the server-set cookie carries the session over a reload
    page.wait_for_selector("text=Signed in as", timeout=WAIT_MS)
    first = cookie["value"]
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector("text=Team mode: sign in", timeout=WAIT_MS)
    _wait_cookie(page, "clear")
    assert _session_cookies(context) == []
    project = Project.open(root)
    try:
        assert resume_session(project.store, first) is None
        sign_in(page, url, "alice")
        _wait_cookie(page, "set")
        second = _session_cookies(context)[0]["value"]
        assert second != first and resume_session(project.store, second) is not None  # a new token per sign-in
        # A replayed old cookie gets nowhere.
        thief = browser.new_context()
        thief.add_cookies([{**cookie, "value": first}])
        stolen = thief.new_page()
        stolen.goto(url)
        stolen.wait_for_selector("text=Team mode: sign in", timeout=WAIT_MS)
        thief.close()
    finally:
        project.close()
    context.close()


def test_a_disabled_users_open_session_is_refused_at_the_next_click(browser, team_server: tuple[str, Path]) -> None:  # type: ignore[no-untyped-def]
    from qualcode.project import Project
    from qualcode.store import LOCAL_ADMIN

    url, root = team_server
    bob_context = browser.new_context()
    bob = bob_context.new_page()
    sign_in(bob, url, "bob")
    _wait_cookie(bob, "set")
    sam_context = browser.new_context()
    sam = sam_context.new_page()
    sign_in(sam, url, "sam")
    bob_cookie = _session_cookies(bob_context)[0]
    res = subprocess.run(
        [sys.executable, "-c", "import sys; from qualcode.cli import main; sys.exit(main())"]
        + ["--project", str(root), "user", "disable", "bob"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0 and "1 open session(s) ended" in res.stdout, res.stdout + res.stderr
    try:
        bob.locator("[data-testid=stSidebarNav] a", has_text="Reports").first.click()  # his next interaction
        bob.wait_for_selector("text=Your session ended", timeout=WAIT_MS)
        bob.wait_for_selector("text=Signed in as", state="detached", timeout=WAIT_MS)
        assert bob.locator("text=Team mode: sign in").count() == 1
        # The cookie cannot bring him back, and a sign-in is refused like a wrong password.
        again = browser.new_context()
        again.add_cookies([bob_cookie])
        page = again.new_page()
        page.goto(url)
        page.wait_for_selector("text=Team mode: sign in", timeout=WAIT_MS)
        again.close()
        sign_page = bob_context.new_page()
        sign_page.goto(url)
        from test_app import PASSWORDS

        sign_page.locator(".st-key-qc_sign_in_name input").fill("bob")
        sign_page.locator(".st-key-qc_sign_in_password input").fill(PASSWORDS["bob"])
        sign_page.get_by_role("button", name="Sign in").click()
        sign_page.wait_for_selector("text=Unknown user name or wrong password", timeout=WAIT_MS)
        # Sam, signed in at the same time, carries on.
        sam.locator("[data-testid=stSidebarNav] a", has_text="Reports").first.click()
        sam.wait_for_selector("text=Signed in as", timeout=WAIT_MS)
        assert sam.locator("text=Your session ended").count() == 0
    finally:
        project = Project.open(root)
        project.store.disable_user(LOCAL_ADMIN, "bob", disabled=False)
        project.close()
        bob_context.close()
        sam_context.close()
