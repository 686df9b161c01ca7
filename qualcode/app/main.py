"""The qualcode workbench (Streamlit).  ``qualcode app`` and ``streamlit run streamlit_app.py`` run this.

Two modes:

* **single-machine mode** (default: the project's ``team_mode`` setting is not "true").  The
  person at the keyboard owns the database file.  They type or pick an annotator name and a
  role in the sidebar (default: supervisor); they act as ``Actor(name, role, local=True)``.
  The role still switches pages and blind mode still hides other annotators' codings from
  the *annotator* role, but there is no password: anyone with the folder owns the data.
* **team mode** (``qualcode user add`` turns it on).  Users sign in with a password
  (``qualcode.auth.sign_in``: scrypt hashes, lock-out after repeated failures) or, when the
  app's ``secrets.toml`` has an ``[auth]`` section, with OpenID Connect (``st.login``); the
  OIDC e-mail address (else the name) must be a qualcode user name.  Each user acts as
  ``Actor(name, role)``; the store enforces roles and blind mode for every read and write.

Pages by role: annotator: Code, Codebook, Code browser, Memos, Reports, Framework, Interviews, Suggestions;
supervisor adds Agreement and Adjudicate; admin adds Admin.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from qualcode.app import state
from qualcode.app.components.annotator_cookie import remember_annotator, remembered_annotator
from qualcode.app.components.session_cookie import issue as issue_cookie_code
from qualcode.app.components.session_cookie import read_session_cookie, send_to_browser
from qualcode.auth import SESSION_LIFETIME
from qualcode.errors import QualcodeError
from qualcode.model import ROLES
from qualcode.project import Project
from qualcode.store import Actor
from qualcode.vocabulary import CONSENSUS, LOCAL_USER

SESSION_TOKEN_KEY = "qc_session_token"  # server-side only; the browser holds it in an HttpOnly cookie
DEAD_TOKEN_KEY = "qc_dead_session"  # a token found ended: not offered again by this connection's cookie
COOKIE_CODE_KEY = "qc_cookie_code"  # (action, one-time code) for the browser to post to /qualcode/session
PAGE_ICON = Path(__file__).resolve().parent / "assets" / "icon.png"
LOCAL_NAME_KEY = "qc_local_name"  # single-machine mode: who is coding in this browser session
REMEMBERED_KEY = "qc_local_name_remembered"  # the name last written to this browser's cookie
START_PAGE_KEY = "qc_start_page"  # optional: url_path of the page to open first (tests, links)


def _oidc_configured() -> bool:
    """True when secrets.toml has an ``[auth]`` section (st.login can be used)."""
    from streamlit.errors import StreamlitSecretNotFoundError

    try:
        return "auth" in st.secrets
    except (StreamlitSecretNotFoundError, FileNotFoundError):  # no secrets file: OIDC not configured
        return False


def _blank() -> None:
    """The only page before sign-in (nothing on it: main() drew the form or message)."""


def _no_pages() -> None:
    """Declare a page list for a refused browser: without st.navigation Streamlit would list the
    files of qualcode/app/pages/ (next to main.py) in the sidebar."""
    st.navigation([st.Page(_blank, title="qualcode", url_path="start", default=True)], position="hidden")


def _remote_client() -> bool:
    """True when the browser connects from another machine (Streamlit reports None for loopback).

    ``qualcode app`` listens on 127.0.0.1 only in single-machine mode; this catches a plain
    ``streamlit run --server.address 0.0.0.0`` too."""
    try:
        ip = st.context.ip_address
    except (AttributeError, RuntimeError):  # no browser connection (bare runs)
        return False
    return isinstance(ip, str) and bool(ip)  # AppTest's stand-in runtime gives no string


# ------------------------------------------------------------------------------ sign-in
def _local_actor() -> Actor | None:
    """Single-machine mode: the annotator name and role come from the sidebar.

    Nobody is pre-selected: a new browser is asked for the name (it used to get the
    alphabetically first annotator, so a supervisor coded as the student).  The name given is
    remembered in this browser (:mod:`qualcode.app.components.annotator_cookie`), never on the
    server, so two people on two browsers each keep their own.
    """
    project = state.open_project().project
    known = [n for n in state.users(project)["name"].tolist() if n not in (LOCAL_USER, CONSENSUS)]
    if LOCAL_NAME_KEY not in st.session_state:
        remembered = remembered_annotator()
        if remembered:
            st.session_state[LOCAL_NAME_KEY] = remembered
            st.session_state[REMEMBERED_KEY] = remembered
    with st.sidebar:
        st.caption(
            ":material/computer: **Single-machine mode** — no sign-in; whoever uses this computer owns the data."
        )
        current = st.session_state.get(LOCAL_NAME_KEY) or ""
        if current and current not in known:  # a name typed earlier, not yet used for a coding
            known.append(current)
        name = st.selectbox(
            "Annotator (you)",
            options=known,
            index=known.index(current) if current in known else None,
            accept_new_options=True,
            placeholder="Type your name",
            key="qc_local_name_box",
            help="Your codings are stored under this name; this browser remembers it. Type a new name to start.",
        )
        role = st.selectbox(
            "Role",
            ROLES,
            index=ROLES.index(st.session_state.get("qc_local_role", "supervisor")),
            key="qc_local_role_box",
            help="Single-machine mode lets you choose; team mode takes the role from your account.",
        )
        name = (name or "").strip()
        if name != st.session_state.get(REMEMBERED_KEY, ""):
            remember_annotator(name)
            st.session_state[REMEMBERED_KEY] = name
    st.session_state[LOCAL_NAME_KEY] = name
    st.session_state["qc_local_role"] = role
    return Actor(name, role, local=True) if name else None


def _client_address() -> str | None:
    """The browser's address for the per-client sign-in limit (None: this machine).  Behind a
    reverse proxy on this machine, the address the proxy put last into X-Forwarded-For."""
    try:
        ip = st.context.ip_address
        headers = st.context.headers
    except (AttributeError, RuntimeError):
        return None
    if isinstance(ip, str) and ip:
        return ip
    forwarded = headers.get("X-Forwarded-For") if headers else None
    if isinstance(forwarded, str) and forwarded.strip():
        return forwarded.split(",")[-1].strip()[:100]
    return None


def _queue_cookie(action: str, token: str | None = None) -> None:
    """Have the browser set (server-side, HttpOnly) or clear its session cookie: see session_cookie.py."""
    code = issue_cookie_code(action, token, int(SESSION_LIFETIME.total_seconds()) if token else 0)
    st.session_state[COOKIE_CODE_KEY] = (action, code)


def _send_cookie() -> None:
    pending = st.session_state.get(COOKIE_CODE_KEY)
    if pending:
        send_to_browser(*pending)


def _team_actor() -> Actor | None:
    """Team mode: a live session, or the sign-in form (returns None while signed out).

    The session is checked in the database on **every** rerun (expiry, idle time, current
    role, disabled or removed user), so a change by an admin takes effect at the next click."""
    project = state.open_project().project
    token = st.session_state.get(SESSION_TOKEN_KEY)
    if token is None:  # a reload: the HttpOnly cookie came with this connection
        cookie = read_session_cookie()
        if cookie and cookie != st.session_state.get(DEAD_TOKEN_KEY):
            token = cookie
    if token:
        actor = project.resume_session(token)
        if actor is not None:
            st.session_state[SESSION_TOKEN_KEY] = token
            return actor
        st.session_state[DEAD_TOKEN_KEY] = token
        st.session_state.pop(SESSION_TOKEN_KEY, None)
        st.session_state.pop(state.ACTOR_KEY, None)
        _queue_cookie("clear")
        st.info("Your session ended; please sign in again.")
    if _oidc_configured() and getattr(st.user, "is_logged_in", False):
        ident = str(st.user.get("email") or st.user.get("name") or "")
        user = project.user(ident) if ident else None
        if user is not None and user.get("disabled_at") is None:
            return Actor(user["name"], user["role"])
        st.error(
            state.escape_md(f"'{ident}' signed in with the identity provider but is not a qualcode user.")
            + "  \nAsk an admin to add you (qualcode user add NAME)."
        )
        st.button("Sign out", on_click=st.logout)
        return None
    _sign_in_form(project)
    return None


def _sign_in_form(project: Project) -> None:
    _send_cookie()  # e.g. clearing the cookie after sign-out
    st.title("qualcode")
    st.caption("Team mode: sign in with the account an admin created for you.")
    with st.form("qc_sign_in"):
        name = st.text_input("User name", key="qc_sign_in_name")
        password = st.text_input("Password", type="password", key="qc_sign_in_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            actor = project.sign_in(name.strip(), password, client=_client_address())
        except QualcodeError as exc:
            state.show_error(exc)
        else:
            # A new token at every sign-in; the session this browser held before (if any) ends.
            for old in {st.session_state.get(SESSION_TOKEN_KEY), read_session_cookie()} - {None}:
                project.end_session(str(old))
            token = project.create_session(actor)
            st.session_state[SESSION_TOKEN_KEY] = token
            st.session_state[state.ACTOR_KEY] = actor
            _queue_cookie("set", token)
            st.rerun()
    if _oidc_configured():
        st.divider()
        st.button("Sign in with your organisation", on_click=st.login)


def _sign_out() -> None:
    token = st.session_state.pop(SESSION_TOKEN_KEY, None)
    if token:
        state.open_project().project.end_session(token)
        st.session_state[DEAD_TOKEN_KEY] = token
    _queue_cookie("clear")
    st.session_state.pop(state.ACTOR_KEY, None)


# ------------------------------------------------------------------------------ navigation
def _pages(actor: Actor) -> list[st.Page]:
    from qualcode.app.pages import (
        adjudicate,
        admin,
        agreement,
        browser,
        code,
        codebook,
        framework,
        interviews,
        memos,
        reports,
        suggestions,
    )

    table: list[tuple[Callable[[], None], str, str, str, str]] = [
        (code.render, "Code", "code", ":material/edit_note:", "annotator"),
        (codebook.render, "Codebook", "codebook", ":material/menu_book:", "annotator"),
        (browser.render, "Code browser", "browser", ":material/search:", "annotator"),
        (memos.render, "Memos", "memos", ":material/sticky_note_2:", "annotator"),
        (reports.render, "Reports", "reports", ":material/bar_chart:", "annotator"),
        (framework.render, "Framework", "framework", ":material/table_view:", "annotator"),
        (agreement.render, "Agreement", "agreement", ":material/handshake:", "supervisor"),
        (adjudicate.render, "Adjudicate", "adjudicate", ":material/balance:", "supervisor"),
        (interviews.render, "Interviews", "interviews", ":material/folder_open:", "annotator"),
        (suggestions.render, "Suggestions", "suggestions", ":material/lightbulb:", "annotator"),
        (admin.render, "Admin", "admin", ":material/admin_panel_settings:", "admin"),
    ]
    start = st.session_state.get(START_PAGE_KEY, "code")
    allowed = [row for row in table if actor.at_least(row[4])]
    if start not in [row[2] for row in allowed]:
        start = "code"
    return [
        st.Page(fn, title=title, url_path=path, icon=icon, default=(path == start))
        for fn, title, path, icon, _ in allowed
    ]


def hide_error_details() -> None:
    """No traceback or raw error text reaches a browser: an uncaught error shows Streamlit's
    generic message and the full traceback goes to the server console only.  (qualcode's own
    errors are shown readably by the pages.)  ``qualcode app``, ``./run app`` and the repository's
    ``.streamlit/config.toml`` set the same; an explicitly chosen value wins."""
    from streamlit import config

    if not config.is_manually_set("client.showErrorDetails"):
        st.set_option("client.showErrorDetails", "none")
    # A coding tool, not a dashboard under development: no "Deploy" button, no developer menu.
    if not config.is_manually_set("client.toolbarMode"):
        st.set_option("client.toolbarMode", "minimal")


def skip_full_collection_after_each_run() -> None:
    """No full garbage collection after every script run (Streamlit's ``runner.postScriptGC``).

    Streamlit runs ``gc.collect(2)`` after each run by default.  It walks every live object,
    and the workbench holds many (the cached analysis frames, spaCy, scikit-learn): about
    150 ms after *every* click and page change on a 40-interview project, more on a large one,
    while the page's own script took 10-50 ms.  Python's generational collector still frees
    cyclic garbage as it builds up.  An explicitly configured value wins."""
    from streamlit import config

    if not config.is_manually_set("runner.postScriptGC"):
        config.set_option("runner.postScriptGC", False, where_defined="qualcode.app.main")


_FROZEN_AT_MODULES = 0  # len(sys.modules) when the heap was last frozen


def freeze_imported_objects() -> bool:
    """Move the objects alive now (modules, functions, classes: ~120,000 after the imports of
    the app and its pages) out of the garbage collector's way, once more whenever modules were
    imported since; returns whether it froze.

    Python's own full collections (and Streamlit's after each run, where it is configured on)
    would walk all of them, holding the GIL 100-400 ms on the 2-core benchmark machine while the
    server sent nothing.  Frozen objects are never traversed.  Freezing only after new
    imports keeps the frozen set bounded (the live data frozen with them stays in memory)."""
    global _FROZEN_AT_MODULES
    if len(sys.modules) == _FROZEN_AT_MODULES:
        return False
    gc.collect()
    gc.freeze()
    _FROZEN_AT_MODULES = len(sys.modules)
    return True


def main() -> None:
    hide_error_details()
    skip_full_collection_after_each_run()
    # A local file: a ":material/…:" icon makes every browser fetch the favicon from fonts.gstatic.com.
    st.set_page_config(page_title="qualcode", page_icon=str(PAGE_ICON), layout="wide")
    opened = state.open_project()
    project = opened.project
    state.refresh_codebook()
    is_team = project.team_mode()
    if not is_team and _remote_client():
        st.title("qualcode")
        st.error(
            "This project is in single-machine mode: it serves only the computer it runs on, because "
            "there is no sign-in. Open it on that computer (http://127.0.0.1), or ask the admin to "
            "switch team mode on (qualcode user add NAME --role admin) and serve it behind HTTPS."
        )
        _no_pages()
        return
    actor = _team_actor() if is_team else _local_actor()
    if actor is None:
        if not is_team:
            st.title("qualcode")
            st.info(
                "Who is coding? Pick or type your annotator name in the sidebar (**Annotator (you)**) to "
                "start. Your codings are stored under that name, and this browser remembers it."
            )
        return
    st.session_state[state.ACTOR_KEY] = actor
    with st.sidebar:
        st.markdown(f"**{state.escape_md(project.root.name)}**")
        if is_team:
            st.caption(f"Signed in as **{state.escape_md(actor.name)}** ({actor.role}) · team mode")
            st.button("Sign out", on_click=_sign_out, key="qc_sign_out")
            _send_cookie()
        if project.blind_mode() and not project.revealed():
            st.caption(":material/visibility_off: Blind coding is on: annotators see only their own codings.")
        if opened.sync_error:
            st.warning("Some files in the project folder could not be imported; see Interviews.")
        if opened.sync_report is not None and opened.sync_report.outside:
            st.warning("Some entries of interviews/ point outside the project and were skipped; see Interviews.")
    navigation = st.navigation(_pages(actor))
    state.show_flashes()
    navigation.run()
    freeze_imported_objects()  # after the first run of each page (new imports), not after every click


if __name__ == "__main__":
    main()
