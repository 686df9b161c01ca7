"""Custom Streamlit components of the workbench (Components v2: inline html/js/css, no build step)."""

from .transcript import TRANSCRIPT_KEY, transcript_view

__all__ = ["TRANSCRIPT_KEY", "transcript_view"]
