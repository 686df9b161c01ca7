""" "Open in context": from an excerpt (Code browser, Codebook page) to the Code page at that
interview, with the excerpt's span selected and scrolled into view.

The page showing the excerpt calls :func:`open_at` (it stores the request in session state and
switches to the Code page).  The Code page calls :func:`arrive` once, before it draws its
interview picker: the request is taken (used once), the picker's key ``qc_document`` set to
the interview, the span set as the pending selection (the dashed outline, and the Codings
panel lists the codings there) and the coding chosen for editing; a small component then
scrolls the transcript to the span once the transcript reports ``data-ready="1"`` for that
interview and that selection.  A link works too: ``/code?document=expert_A&start=10&end=50``.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

REQUEST_KEY = "qc_open_in_context"  # {"document", "start", "end", "coding_id"} until the Code page takes it
SELECTION_KEY = "qc_selection"  # the Code page's pending selection (pages/code.py)
DOCUMENT_KEY = "qc_document"  # the Code page's interview picker
EDIT_KEY = "qc_edit_coding"  # the Code page's coding chosen for editing
PANEL_KEY = "qc_panel"  # the Code page's open panel (one at a time, drawn only while chosen)
CODINGS_PANEL = "Codings"  # the panel that edits codings
SHOW_OTHERS_KEY = "qc_show_others"  # the Code page's "Show other annotators" toggle

_JS = r"""
export default function (component) {
  const { data, parentElement } = component;
  const d = data || {};
  const want = String(d.start) + "-" + String(d.end);
  parentElement.setAttribute("data-testid", "qc-open-in-context");
  parentElement.dataset.target = String(d.document) + ":" + want;
  let tries = 0, done = false;
  const tick = () => {
    if (done) return;
    const root = document.querySelector("[data-testid=qc-transcript][data-ready='1']");
    if (root && root.dataset.document === String(d.document) && root.dataset.selection === want) {
      const box = root.querySelector(".qc-pending");
      const scroller = root.querySelector(".qc-scroll");
      if (box && scroller) {
        const offset = box.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
        scroller.scrollTop = Math.max(0, scroller.scrollTop + offset - scroller.clientHeight / 4);
        root.scrollIntoView({ block: "nearest" });
        root.dataset.focused = want;
        done = true;
        return;
      }
    }
    if (tries++ < 400) setTimeout(tick, 50);   // at most 20 s: the transcript is built once
  };
  tick();
  return () => { done = true; };
}
"""

_component = st.components.v2.component("qualcode_open_in_context", js=_JS, isolate_styles=False)


def request(
    document: str, start: int, end: int, coding_id: int | None = None, annotator: str | None = None
) -> dict[str, Any]:
    """Store the request (used by :func:`open_at`; tests call it directly)."""
    value = {
        "document": str(document),
        "start": int(start),
        "end": int(end),
        "coding_id": coding_id,
        "annotator": annotator,
    }
    st.session_state[REQUEST_KEY] = value
    return value


def open_at(
    code_page: Any, document: str, start: int, end: int, coding_id: int | None = None, annotator: str | None = None
) -> None:
    """Go to the Code page (``code_page``: its ``st.Page``) at this span of this interview."""
    request(document, start, end, coding_id, annotator)
    st.switch_page(code_page)


def _from_query() -> dict[str, Any] | None:
    params = st.query_params
    if "document" not in params:
        return None
    try:
        wanted = {"document": str(params["document"]), "start": int(params["start"]), "end": int(params["end"])}
    except (KeyError, TypeError, ValueError):
        return None
    for key in ("document", "start", "end"):
        del params[key]
    return {**wanted, "coding_id": None}


def arrive(documents: list[str], me: str | None = None) -> dict[str, Any] | None:
    """On the Code page, before its interview picker: apply a pending request (once).  ``me``:
    the current annotator; another annotator's coding turns "Show other annotators" on."""
    wanted = st.session_state.pop(REQUEST_KEY, None) or _from_query()
    if not wanted or wanted.get("document") not in documents:
        return None
    start, end = int(wanted["start"]), int(wanted["end"])
    if not 0 <= start < end:
        return None
    document = wanted["document"]
    st.session_state[DOCUMENT_KEY] = document
    st.session_state[SELECTION_KEY] = {"document": document, "start": start, "end": end, "how": "context"}
    if wanted.get("coding_id") is not None:
        st.session_state[EDIT_KEY] = int(wanted["coding_id"])
        st.session_state[PANEL_KEY] = CODINGS_PANEL
    if wanted.get("annotator") and me is not None and wanted["annotator"] != me:
        st.session_state[SHOW_OTHERS_KEY] = True
    _component(
        key="qc_open_in_context_scroll", data={"document": document, "start": start, "end": end}, height="content"
    )
    return wanted
