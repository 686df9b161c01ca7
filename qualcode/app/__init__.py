"""The Streamlit workbench.  Run it with ``qualcode app`` or ``streamlit run streamlit_app.py``;
see ``qualcode/app/README.md`` for pages, modes and the selectors tests and benchmarks use."""
