"""The workbench as an ASGI app: Streamlit's own server running qualcode/app/main.py, plus the
``/qualcode/session`` route that sets the HttpOnly session cookie (see
:mod:`qualcode.app.components.session_cookie`).  ``qualcode app`` runs this file with
``streamlit run``, which finds ``app`` and serves it with uvicorn."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from qualcode.app.components.session_cookie import routes

MAIN_SCRIPT = Path(__file__).resolve().with_name("main.py")

app = st.App(str(MAIN_SCRIPT), routes=routes())
