"""The workbench as an ASGI app: Streamlit's own server running qualcode/app/entry/workbench.py (which draws qualcode/app/main.py), plus the
``/qualcode/session`` route that sets the HttpOnly session cookie (see
:mod:`qualcode.app.components.session_cookie`).  ``qualcode app`` runs this file with
``streamlit run``, which finds ``app`` and serves it with uvicorn."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from qualcode.app.components.session_cookie import routes

# Not main.py itself: a page script with pages/ beside it would be a version-1 multi-page app.
MAIN_SCRIPT = Path(__file__).resolve().parent / "entry" / "workbench.py"

app = st.App(str(MAIN_SCRIPT), routes=routes())
