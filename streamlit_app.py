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

    import qualcode.app
    from qualcode.app.components.session_cookie import routes

    app = st.App(str(Path(qualcode.app.__file__).resolve().with_name("main.py")), routes=routes())
else:
    from qualcode.app.main import main

    main()
