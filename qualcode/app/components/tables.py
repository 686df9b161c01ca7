"""Every table the workbench shows goes through here: ``st.dataframe`` and ``st.data_editor``
offer a built-in "Download as CSV" of exactly the frame they show, so the frame must already be
safe for a spreadsheet.  Cells, column headers and row labels that begin with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return get a leading ``'`` (:func:`qualcode.export.tabular.neutralise_frame`,
the same rule as qualcode's own CSV and Excel files), so a quote or memo such as
``=HYPERLINK("http://evil.example", "click")`` is shown and exported as text, never run.

``tests/test_files_safety.py`` checks that no page calls ``st.dataframe``/``st.data_editor`` directly.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ...export.tabular import neutralise_frame


def dataframe(data: pd.DataFrame, **kwargs: Any) -> Any:
    """``st.dataframe`` of the neutralised frame (same keyword arguments)."""
    return st.dataframe(neutralise_frame(data), **kwargs)


def data_editor(data: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
    """``st.data_editor`` of the neutralised frame; returns the edited (neutralised) frame.
    Edit only columns whose values the caller reads back by position or by a safe name."""
    return st.data_editor(neutralise_frame(data), **kwargs)
