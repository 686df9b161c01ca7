"""Keep a team-mode session across page reloads with a **server-set, HttpOnly** cookie.

Streamlit forgets ``st.session_state`` when the page reloads, so the session token has to live
in the browser.  JavaScript never sees it:

1. After sign-in the script (which runs on the server) makes a random one-time *handoff code*
   for the new session token, kept in this process's memory for 60 seconds.
2. A tiny invisible component posts that code (not the token) to ``/qualcode/session``, a route
   qualcode adds to Streamlit's own web server (``st.App(routes=…)``, see
   :mod:`qualcode.app.server`).
3. The route swaps the code for the token and answers with
   ``Set-Cookie: qualcode_session=TOKEN; HttpOnly; SameSite=Strict; Path=/_stcore/stream;
   Max-Age=28800`` (plus ``Secure`` and the ``__Secure-`` name prefix over HTTPS).  The path is
   Streamlit's WebSocket: the cookie travels only with that connection's handshake, where the
   next page load reads it from ``st.context.cookies``; no page can read it from
   ``document.cookie``, and over HTTPS no plain-HTTP page on the same host can plant one.
4. Signing out ends the session in the database and posts a second one-time code, whose answer
   expires the cookie.

Why not Streamlit's own auth cookie?  ``st.login`` sets its signed HttpOnly cookie only in the
OpenID Connect callback; password sign-in has no such hook.  A route on the same server is the
smallest server-side way to set a cookie; without it (``streamlit run qualcode/app/main.py``,
AppTest) sign-in still works, only a reload asks for it again.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

import streamlit as st

COOKIE_NAME = "qualcode_session"
SECURE_COOKIE_NAME = "__Secure-qualcode_session"  # browsers accept it only over HTTPS with Secure
ROUTE = "/qualcode/session"
HANDOFF_SECONDS = 60

_handoffs: dict[str, tuple[float, str, str | None, int]] = {}  # code -> (deadline, action, token, max_age)
_lock = threading.Lock()
_routes_active = False  # True once qualcode.app.server registered the route on this server


def issue(action: str, token: str | None = None, max_age: int = 0) -> str:
    """A one-time code the browser exchanges at :data:`ROUTE` ("set" the cookie to ``token``, or "clear" it)."""
    code = secrets.token_urlsafe(32)
    now = time.monotonic()
    with _lock:
        for old in [c for c, (deadline, *_rest) in _handoffs.items() if deadline < now]:
            del _handoffs[old]
        _handoffs[code] = (now + HANDOFF_SECONDS, action, token, max_age)
    return code


def redeem(code: str) -> tuple[str, str | None, int] | None:
    """The (action, token, max_age) of a live code, which is used up; None otherwise."""
    with _lock:
        entry = _handoffs.pop(code, None)
    if entry is None or entry[0] < time.monotonic():
        return None
    return entry[1], entry[2], entry[3]


def base_path() -> str:
    """``server.baseUrlPath`` as ``/path`` (empty at the root)."""
    raw = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{raw}" if raw else ""


def cookie_path() -> str:
    return f"{base_path()}/_stcore/stream"


def _is_https(scheme: str, forwarded_proto: str | None) -> bool:
    return scheme == "https" or (forwarded_proto or "").split(",")[0].strip().lower() == "https"


async def _session_route(request: Any) -> Any:
    """POST {"code": …}: set or clear the session cookie (204), or 403 for an unknown code."""
    from starlette.responses import Response

    try:
        body = await request.json()
        code = str(body.get("code", "")) if isinstance(body, dict) else ""
    except ValueError:
        code = ""
    found = redeem(code) if code else None
    if found is None:
        return Response(status_code=403)
    action, token, max_age = found
    secure = _is_https(request.url.scheme, request.headers.get("x-forwarded-proto"))
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    name = SECURE_COOKIE_NAME if secure else COOKIE_NAME
    if action == "set" and token:
        response.set_cookie(
            name, token, max_age=max_age, path=cookie_path(), secure=secure, httponly=True, samesite="strict"
        )
    else:
        response.delete_cookie(name, path=cookie_path(), secure=secure, httponly=True, samesite="strict")
    return response


def routes() -> list[Any]:
    """The Starlette routes for ``st.App(routes=…)``; registering them turns the cookie on."""
    from starlette.routing import Route

    global _routes_active
    _routes_active = True
    return [Route(ROUTE, _session_route, methods=["POST"])]


_JS = r"""
export default function (component) {
  const d = component.data || {};
  if (!d.code || !d.url) return;
  window.__qualcodeHandoffs = window.__qualcodeHandoffs || {};
  if (window.__qualcodeHandoffs[d.code]) return;  // each code is posted once
  window.__qualcodeHandoffs[d.code] = true;
  fetch(d.url, {
    method: "POST",
    credentials: "same-origin",
    cache: "no-store",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({code: String(d.code)}),
  }).then((r) => { document.documentElement.dataset.qcSessionCookie = r.ok ? d.action : "refused"; })
    .catch(() => { document.documentElement.dataset.qcSessionCookie = "failed"; });
}
"""

_component = st.components.v2.component("qualcode_session_cookie", js=_JS)


def send_to_browser(action: str, code: str, key: str = "qc_session_cookie") -> None:
    """Render the invisible component that posts ``code`` to the route (the token never goes
    to the browser's JavaScript)."""
    if not _routes_active:
        return
    _component(key=key, data={"action": action, "code": code, "url": base_path() + ROUTE})


def read_session_cookie() -> str | None:
    """The session token the browser sent with this connection (HTTPS: only the ``__Secure-`` one)."""
    try:
        cookies = st.context.cookies
        headers = st.context.headers
        url = str(st.context.url or "")
    except (AttributeError, RuntimeError):  # no browser context (bare runs)
        return None
    secure = _is_https(url.split(":", 1)[0].lower(), headers.get("X-Forwarded-Proto") if headers else None)
    value = cookies.get(SECURE_COOKIE_NAME if secure else COOKIE_NAME) if cookies else None
    return value if isinstance(value, str) and value else None
