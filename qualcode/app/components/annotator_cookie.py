"""Single-machine mode: remember who codes in *this browser* (a first-party cookie).

Without it every new browser session pre-selected the alphabetically first annotator, so a
supervisor sitting down at the student's computer coded under the student's name.  Now a new
browser is asked for the name; once given, this invisible component stores it in the cookie
``qualcode_annotator`` (a year, ``SameSite=Strict``) and the next visit from the same browser
reads it back from ``st.context.cookies``.  Another browser (another person's laptop, a private
window) has no cookie and is asked again.  The name is not a secret: single-machine mode has
no sign-in, whoever uses the computer owns the data.
"""

from __future__ import annotations

import streamlit as st

COOKIE_NAME = "qualcode_annotator"
MAX_AGE_SECONDS = 365 * 24 * 3600

_JS = r"""
export default function (component) {
  const d = component.data || {};
  const secure = location.protocol === "https:" ? "; Secure" : "";
  const value = d.value ? encodeURIComponent(String(d.value)) : "";
  document.cookie = String(d.name) + "=" + value + "; path=/; max-age=" + String(d.value ? (d.max_age | 0) : 0) +
    "; SameSite=Strict" + secure;
}
"""

_component = st.components.v2.component("qualcode_annotator_cookie", js=_JS)


def remember_annotator(name: str | None, key: str = "qc_annotator_cookie") -> None:
    """Store ``name`` in this browser (None or "" forgets it)."""
    _component(key=key, data={"name": COOKIE_NAME, "value": name or "", "max_age": MAX_AGE_SECONDS})


def remembered_annotator() -> str | None:
    """The name this browser gave last time, or None."""
    try:
        value = st.context.cookies.get(COOKIE_NAME)
    except (AttributeError, RuntimeError):  # no browser context (bare runs)
        return None
    if not isinstance(value, str):
        return None
    from urllib.parse import unquote

    name = unquote(value).strip()
    return name or None
