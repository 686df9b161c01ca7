"""Entry point for `streamlit run streamlit_app.py`: the qualcode workbench (see qualcode/app/)."""

from qualcode.app.main import main

main()
