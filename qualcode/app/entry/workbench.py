"""The page script ``qualcode app`` serves (through qualcode/app/server.py).

It lives in a folder of its own on purpose: Streamlit treats a page script with a ``pages/``
folder beside it as a version-1 multi-page app, so serving qualcode/app/main.py directly listed
the raw modules of qualcode/app/pages/ in the sidebar and drew no workbench.
"""

from qualcode.app.main import main

main()
