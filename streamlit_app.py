"""Entry point for `streamlit run streamlit_app.py`: the qualcode workbench (see qualcode/app/).

``streamlit run`` imports this file and finds ``app``: Streamlit's server with qualcode's
session-cookie route (qualcode/app/server.py), running qualcode/app/main.py for each page.
Run as a page script itself (AppTest, ``streamlit run`` of an older Streamlit) it draws the
workbench directly.
"""

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

if get_script_run_ctx() is None:  # imported by `streamlit run` as an ASGI app
    from pathlib import Path

    from qualcode.app.components.session_cookie import routes

    # The page script is this file, not qualcode/app/main.py: Streamlit treats a script with a
    # pages/ folder beside it (qualcode/app/pages/) as a version-1 multi-page app and ran each
    # page module as a script of its own (ImportError on every page but Code).
    app = st.App(str(Path(__file__).resolve()), routes=routes())
else:
    from qualcode.app.main import main

    main()
