"""Keep a team-mode session across page reloads: the session token in a first-party cookie.

Streamlit forgets ``st.session_state`` when the page reloads, so without this a coder would
sign in again after every reload.  After sign-in this invisible component writes the token
(``SameSite=Strict``, ``Secure`` on https, expiring with the session); the next page load
reads it from ``st.context.cookies`` and resumes the session with
:func:`qualcode.auth.resume_session` (which checks expiry and the user's current role).
Signing out clears the cookie and ends the session in the database.
"""

from __future__ import annotations

import streamlit as st

COOKIE_NAME = "qualcode_session"

_JS = r"""
export default function (component) {
  const d = component.data || {};
  const name = String(d.name || "qualcode_session");
  const secure = location.protocol === "https:" ? "; Secure" : "";
  if (d.token) {
    document.cookie = name + "=" + encodeURIComponent(String(d.token)) + "; path=/; max-age=" +
      String(d.max_age | 0) + "; SameSite=Strict" + secure;
  } else {
    document.cookie = name + "=; path=/; max-age=0; SameSite=Strict" + secure;
  }
}
"""

_component = st.components.v2.component("qualcode_session_cookie", js=_JS)


def write_session_cookie(token: str | None, max_age_seconds: int, key: str = "qc_session_cookie") -> None:
    """Set (token) or clear (None) the session cookie in the browser."""
    _component(key=key, data={"name": COOKIE_NAME, "token": token, "max_age": max_age_seconds})


def read_session_cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE_NAME)
    except (AttributeError, RuntimeError):  # no browser context (bare runs)
        return None
    return value if isinstance(value, str) and value else None
