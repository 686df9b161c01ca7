"""Every table the workbench shows goes through here.

**Safe.** ``st.dataframe`` and ``st.data_editor`` offer a built-in "Download as CSV" of exactly
the frame they show, so the frame must already be safe for a spreadsheet.  Cells, column headers
and row labels that begin with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get a
leading ``'`` (:func:`qualcode.export.tabular.neutralise_frame`, the same rule as qualcode's own
CSV and Excel files), so a quote or memo such as ``=HYPERLINK("http://evil.example", "click")``
is shown and exported as text, never run.

**Readable.** :func:`dataframe` shows what people read: column names in words (:data:`HUMAN`:
never ``percent_agreement`` or ``doc_id``), the ids and other technical columns
(:data:`TECHNICAL`, plus the ``technical=`` a page names) only after the table's *Show technical
columns* toggle (they stay in the CSV downloads the pages offer), and long text (quotes,
memos, descriptions) wrapped.  ``column_config`` may name columns by their original names.
``st.data_editor`` tables are read back by column name, so :func:`data_editor` renames nothing.

``tests/test_files_safety.py`` checks that no page calls ``st.dataframe``/``st.data_editor`` directly.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import pandas as pd
import streamlit as st

from ...export.tabular import neutralise_frame

# Column names in words (for the names qualcode's frames use).
HUMAN: dict[str, str] = {
    "document": "Interview",
    "interview": "Interview no.",
    "doc_id": "Interview id",
    "participant": "Participant",
    "participant_label": "Participant",
    "annotator": "Coded by",
    "coder": "Coder",
    "code_label": "Code",
    "theme_path": "Theme",
    "sub_theme": "Sub-theme",
    "quote": "Quote",
    "quotes": "Quotes",
    "text": "Text",
    "memo": "Memo",
    "codings": "Codings",
    "excerpts": "Excerpts",
    "experts_n": "Participants",
    "participants_n": "Participants",
    "experts_phrase": "Who",
    "phrase": "Who",
    "experts": "Participant ids",
    "participants": "Participant ids",
    "share": "Share",
    "codes": "Codes used",
    "percent_agreement": "Agreement (%)",
    "kappa": "Kappa",  # which kappa (Cohen, Fleiss, Conger) the page says
    "alpha": "Krippendorff's alpha",
    "created_at": "Created",
    "merged_at": "Merged",
    "merged_by": "Merged by",
    "merged_label": "Merged code",
    "merged_code": "Merged code id",
    "code": "Code",
    "label": "Label",
    "theme": "Theme",
    "applications": "Applications",
    "collapsed": "Collapsed duplicates",
    "recorded_applications": "Recorded applications",
    "length": "Length (characters)",
    "language": "Language",
    "has_password": "Has a password",
    "disabled": "Disabled",
    "name": "Name",
    "role": "Role",
    "organisation": "Organisation",
    "organisation_type": "Organisation type",
    "date": "Date",
    "place": "Place",
    "mode": "Mode",
    "documents": "Interviews",
    "coded": "Coded",
    "uncoded": "Uncoded",
    "sentences": "Sentences",
    "paragraphs": "Paragraphs",
    "turns": "Turns",
    "field": "Field",
    "value": "Value",
}
# Ids and bookkeeping: hidden until "Show technical columns" (always in the downloads).
TECHNICAL: frozenset[str] = frozenset(
    {
        "doc_id",
        "coding_id",
        "segment_id",
        "theme_id",
        "code_list",
        "merged_code",
        "sha256",
        "kind",
        "depth",
        "parent",
        "start",
        "end",
        "unit_start",
        "unit_end",
    }
)
# Long text: wrapped in a wide column.
LONG_TEXT = {"quote", "quotes", "text", "memo", "description", "Excerpt"}


def human_name(column: object) -> str:
    """A column's name in words: the :data:`HUMAN` name, else ``snake_case`` as "Snake case".

    >>> human_name("percent_agreement"), human_name("organisation_type=NGO"), human_name("Codes by ann")
    ('Agreement (%)', 'Organisation type = NGO', 'Codes by ann')
    >>> human_name("bob: absent"), human_name("new_theme_ids")
    ('bob: absent', 'New theme ids')
    """
    text = str(column)
    if text in HUMAN:
        return HUMAN[text]
    if "=" in text:  # an attribute split, e.g. "organisation_type=NGO"
        left, _, right = text.partition("=")
        return f"{human_name(left)} = {right}"
    if "_" in text and " " not in text:  # snake_case; names with spaces or capitals are kept as written
        words = text.replace("_", " ").strip()
        return words[:1].upper() + words[1:]
    return text


def readable(
    data: pd.DataFrame,
    *,
    technical: Iterable[str] = (),
    show_technical: bool = False,
    names: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The frame as shown: technical columns dropped (unless ``show_technical``), the rest renamed
    to words (``names`` first, then :func:`human_name`; a clash keeps the original name)."""
    hidden = set() if show_technical else (TECHNICAL | set(technical))
    kept = [c for c in data.columns if str(c) not in hidden]
    frame = data[kept] if len(kept) != len(data.columns) else data
    mapping: dict[Any, str] = {}
    used: set[str] = set()
    for column in frame.columns:
        new = (names or {}).get(str(column)) or human_name(column)
        if new in used:
            new = str(column)
        used.add(new)
        mapping[column] = new
    out = frame.rename(columns=mapping)
    out.attrs = dict(data.attrs)
    return out


def _config(column_config: dict[str, Any] | None, renamed: dict[str, str], frame: pd.DataFrame) -> dict[str, Any]:
    """``column_config`` keyed by the shown names; long text columns wrap in a wide column."""
    config: dict[str, Any] = {}
    for original, shown in renamed.items():
        if original in LONG_TEXT and shown in frame.columns:
            config[shown] = st.column_config.TextColumn(shown, width="large")
    for key, value in (column_config or {}).items():
        config[renamed.get(key, key)] = value
    return config


def dataframe(
    data: pd.DataFrame,
    *,
    technical: Iterable[str] = (),
    names: dict[str, str] | None = None,
    **kwargs: Any,
) -> Any:
    """``st.dataframe`` of the neutralised, readable frame (same keyword arguments).

    ``technical``: more columns to keep behind the *Show technical columns* toggle (drawn only
    when the table has a ``key`` and such columns); ``names``: page-specific column names."""
    hidden = [c for c in data.columns if str(c) in (TECHNICAL | set(technical))]
    key = kwargs.get("key")
    show = True
    if hidden and key is not None:
        show = st.toggle(
            "Show technical columns",
            key=f"{key}_technical",
            help="Ids and positions: " + ", ".join(map(str, hidden)) + " (always in the downloads).",
        )
    elif hidden:
        show = False
    frame, safe = _shown(data, tuple(map(str, technical)), show, tuple(sorted((names or {}).items())))
    renamed = {str(o): str(n) for o, n in zip([c for c in data.columns if show or c not in hidden], frame.columns)}
    kwargs["column_config"] = _config(kwargs.get("column_config"), renamed, frame)
    return st.dataframe(safe, **kwargs)


# The readable, neutralised frame of the frames shown last, by the frame's identity: the pages
# pass their cached (shared, never changed) tables again on every visit, so a large table is
# not neutralised afresh each time.  A weak reference tells a live frame from a new one that
# happens to get the id of a frame that was dropped.
_SHOWN: OrderedDict[tuple[Any, ...], tuple[weakref.ref[pd.DataFrame], pd.DataFrame, pd.DataFrame]] = OrderedDict()
_SHOWN_MAX = 64
_SHOWN_LOCK = threading.Lock()


def _shown(
    data: pd.DataFrame, technical: tuple[str, ...], show: bool, names: tuple[tuple[str, str], ...]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the readable frame, the same neutralised) for ``data``, remembered by its identity."""
    key = (id(data), technical, show, names)
    with _SHOWN_LOCK:
        hit = _SHOWN.get(key)
        if hit is not None and hit[0]() is data:
            _SHOWN.move_to_end(key)
            return hit[1], hit[2]
    frame = readable(data, technical=technical, show_technical=show, names=dict(names))
    safe = neutralise_frame(frame)
    with _SHOWN_LOCK:
        for dead in [k for k, v in _SHOWN.items() if v[0]() is None]:  # their frames are gone
            del _SHOWN[dead]
        _SHOWN[key] = (weakref.ref(data), frame, safe)
        while len(_SHOWN) > _SHOWN_MAX:
            _SHOWN.popitem(last=False)
    return frame, safe


def data_editor(data: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
    """``st.data_editor`` of the neutralised frame; returns the edited (neutralised) frame.
    Edit only columns whose values the caller reads back by position or by a safe name."""
    return st.data_editor(neutralise_frame(data), **kwargs)
