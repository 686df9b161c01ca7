"""Code browser: retrieval of coded segments, as NVivo's node view or ATLAS.ti's quotation manager.

Choose a code or theme (the picker shows the tree); every excerpt coded with it (any code under a
theme) is listed in full, grouped by participant, with its code path, who coded it and the memo,
and an *Open in context* button that jumps to the Code page at that interview and span.  The
excerpts export to Word (.docx) or Markdown (.md); *Table view* shows them as a table (technical
columns on request).

Reads the analysis bundle as the user may see it (blind mode: an annotator sees only their own
codings); the frames come from :meth:`Project.excerpts` (:mod:`qualcode.retrieval`).

Stable keys: node picker ``qc_br_node``, filters ``qc_br_participants``, ``qc_br_annotators``,
``qc_br_attribute``/``qc_br_values``, table view ``qc_br_table_view``, technical columns
``qc_br_technical``, downloads ``qc_br_download_docx``/``qc_br_download_md``, one excerpt card
``qc_br_excerpt_<coding id>`` holding the button ``qc_br_open_<coding id>``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from ... import retrieval
from ...export.excerpts import DOCX_MIME, file_name
from ...frames import AnalysisData
from ...model import Codebook
from .. import state
from ..components import colours, open_in_context, tables
from . import codebook as codebook_page

PAGE_SIZE = 25
ALL_CODES_LIMIT = 5_000  # more codings than this: "All codes" waits for a choice (the page stays fast)
SHOWN_KEY = "qc_br_shown"  # how many excerpts are drawn (grows with "Show more")

# What people read first; the ids and offsets only with "Show technical columns" (and in the CSV).
READABLE = {
    "participant_label": "Participant",
    "code_path": "Code",
    "quote": "Excerpt",
    "annotator": "Coded by",
    "memo": "Memo",
}
TECHNICAL = {
    "participant": "Participant id",
    "document": "Interview file",
    "code": "Code id",
    "start": "Start",
    "end": "End",
    "coding_id": "Coding id",
}


def excerpts(
    data: AnalysisData,
    node: str | None,
    participants: list[str] | None = None,
    annotators: list[str] | None = None,
    attribute: str | None = None,
    values: list[str] | None = None,
) -> pd.DataFrame:
    """Codings of a code, a theme (any depth) or a cross-cutting theme, filtered; one row each
    (:func:`qualcode.retrieval.excerpts`)."""
    return retrieval.excerpts(
        data, node, participants=participants, annotators=annotators, attribute=attribute, values=values
    )


def node_options(codebook: Codebook) -> list[str]:
    """Themes and codes in tree order (the picker shows the hierarchy), then cross-cutting themes."""
    return list(retrieval.code_choices(codebook))


def node_label(codebook: Codebook, node: str, counts: pd.DataFrame | None = None) -> str:
    """The picker's line: indented by depth ("▸" a theme), with the node's number of excerpts."""
    line = retrieval.code_choices(codebook).get(node, node)
    if counts is not None and node in counts.index:
        n = int(counts.at[node, "excerpts"])
        line += f"  ·  {n} excerpt{'s' if n != 1 else ''}"
    return line


def _code_page() -> Any:
    from . import code

    return st.Page(code.render, title="Code", url_path="code", icon=":material/edit_note:")


def _card(codebook: Codebook, rows: pd.DataFrame, show_code: bool, me: str | None) -> None:
    """One excerpt (one span, one code): code path, the full quote (wrapping), who coded it (every
    annotator who coded this span with this code) and their memos, Open in context."""
    row = rows.iloc[0]
    own = rows.loc[rows["annotator"] == me]
    target = own.iloc[0] if len(own) else row  # open the user's own coding when there is one
    cid = int(row["coding_id"])
    with st.container(border=True, key=f"qc_br_excerpt_{cid}"):
        head, button = st.columns([6, 1.3], vertical_alignment="top")
        with head:
            colour = colours.code_colour(codebook, str(row["code"]))
            path = state.escape_md(str(row["code_path"])) if show_code else ""
            st.markdown(
                colours.swatch(colour) + (f"**{path}**" if path else ""),
                unsafe_allow_html=True,  # the swatch is built from a checked #rrggbb; the text is escaped
            )
        with button:
            if st.button("Open in context", key=f"qc_br_open_{cid}", icon=":material/open_in_new:", type="tertiary"):
                open_in_context.open_at(
                    _code_page(),
                    str(row["document"]),
                    int(row["start"]),
                    int(row["end"]),
                    int(target["coding_id"]),
                    str(target["annotator"]),
                )
        st.markdown(quote_html(str(row["quote"]), colour), unsafe_allow_html=True)  # escaped: see quote_html
        coders = ", ".join(dict.fromkeys(rows["annotator"].astype(str)))
        meta = f"Coded by {coders} · {row['document']}, characters {int(row['start'])}–{int(row['end'])}"
        st.caption(state.escape_md(meta))
        for annotator, memo in zip(rows["annotator"], rows["memo"]):
            if str(memo).strip():
                who = f" ({annotator})" if len(rows) > 1 else ""
                st.markdown(
                    f":material/sticky_note_2: *Memo{state.escape_md(who)}:* {state.escape_md(str(memo).strip())}"
                )


def group_ids(table: pd.DataFrame) -> np.ndarray:
    """Per row, the number of its card: the codings of one span with one code share a card (the
    table is sorted so that they are adjacent); vectorised, so 300,000 codings cost milliseconds."""
    if table.empty:
        return np.zeros(0, dtype=np.int64)
    keys = [table[c].to_numpy() for c in ("document", "start", "end", "code")]
    new = np.ones(len(table), dtype=bool)
    new[1:] = np.logical_or.reduce([k[1:] != k[:-1] for k in keys])
    return np.cumsum(new) - 1


def quote_html(quote: str, colour: str) -> str:
    """The excerpt as a block with its code's colour at the left, wrapping, in the page's text colour.
    Interview text is untrusted: it is HTML-escaped (``html.escape``), so it is shown, never run;
    the colour is a checked ``#rrggbb`` (:func:`colours.swatch`'s rule).

    >>> "&lt;b&gt;hi&lt;/b&gt; &amp; bye</div>" in quote_html("<b>hi</b> & bye", "#4e79a7")
    True
    """
    import html
    import re

    safe = colour if re.fullmatch(r"#[0-9a-fA-F]{6}", colour) else colours.UNKNOWN
    text = html.escape(quote.strip() or "(empty)", quote=True)
    return (
        f'<div style="border-left:4px solid {safe};padding:.15rem 0 .15rem .9rem;margin:.1rem 0 .4rem">'
        f'<div style="white-space:pre-wrap;overflow-wrap:anywhere;line-height:1.6">{text}</div></div>'
    )


def excerpt_groups(table: pd.DataFrame, limit: int | None = None) -> list[pd.DataFrame]:
    """The first ``limit`` cards (all when None): the codings grouped by excerpt and code."""
    ids = group_ids(table)
    if limit is not None:
        keep = ids < limit
        table, ids = table.loc[keep], ids[keep]
    if table.empty:
        return []
    bounds = np.flatnonzero(np.diff(ids)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [len(table)]))
    return [table.iloc[a:b] for a, b in zip(starts, ends)]


def _cards(codebook: Codebook, table: pd.DataFrame, node: str | None, me: str | None) -> None:
    show_code = node is None or node not in codebook.codes  # one code: its path is in the heading
    shown = int(st.session_state.get(SHOWN_KEY, PAGE_SIZE))
    n_groups = int(group_ids(table)[-1]) + 1 if len(table) else 0
    groups = excerpt_groups(table, shown)
    heading = None
    spans_per_document = table.drop_duplicates(["document", "start", "end"])["document"].value_counts()
    for rows in groups:
        label, document = str(rows["participant_label"].iloc[0]), str(rows["document"].iloc[0])
        if (label, document) != heading:
            heading = (label, document)
            total = int(spans_per_document.get(document, 0))
            st.markdown(f"#### {state.escape_md(label or 'Unknown participant')}")
            st.caption(state.escape_md(f"{document} · {total} excerpt{'s' if total != 1 else ''}"))
        _card(codebook, rows, show_code, me)
    if n_groups > shown:
        st.button(
            f"Show {min(PAGE_SIZE, n_groups - shown)} more (of {n_groups - shown} not shown)",
            key="qc_br_more",
            on_click=lambda: st.session_state.__setitem__(SHOWN_KEY, shown + PAGE_SIZE),
        )


def readable_table(table: pd.DataFrame, technical: bool) -> pd.DataFrame:
    """The excerpts with human column names; ids and offsets only when ``technical``."""
    names = {**READABLE, **(TECHNICAL if technical else {})}
    return table[list(names)].rename(columns=names)


def _table(table: pd.DataFrame) -> None:
    technical = st.toggle("Show technical columns", key="qc_br_technical", help="Ids, interview file and offsets.")
    shown = readable_table(table, technical)
    tables.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        key="qc_br_table",
        column_config={
            "Excerpt": st.column_config.TextColumn("Excerpt", width="large"),
            "Code": st.column_config.TextColumn("Code", width="medium"),
            "Memo": st.column_config.TextColumn("Memo", width="small"),
        },
        row_height=84,
    )


def _reset_shown() -> None:
    st.session_state[SHOWN_KEY] = PAGE_SIZE


def render() -> None:
    project = state.user_project()
    st.header("Code browser")
    with state.user_errors():
        version = project.data_version()
        data = state.cached_analysis(project, version)
        codebook = data.codebook
        counts = codebook_page.node_counts(project, version) if not data.codings.empty else None
        labels = dict(zip(data.participants["participant"].astype(str), data.participants["label"].astype(str)))
        cols = st.columns([4, 2, 2], vertical_alignment="bottom")
        # The picker's lines, made once per data and codebook version (each line walks the tree).
        lines = state.derived(
            project,
            version,
            "browser.node_lines",
            lambda: {n: node_label(codebook, n, counts) for n in node_options(codebook)},
        )
        node = cols[0].selectbox(
            "Code or theme",
            list(lines),
            index=None,
            key="qc_br_node",
            format_func=lambda n: lines.get(n, n),
            placeholder="All codes",
            on_change=_reset_shown,
            help="Themes (▸) retrieve every code under them; type to find a code.",
        )
        annotators = state.coded_annotators(project, version, data)
        chosen_anns = cols[1].multiselect(
            "Coded by", annotators, key="qc_br_annotators", placeholder="Everyone", on_change=_reset_shown
        )
        with cols[2]:
            chosen_parts, attribute, values = _participant_filter(data, labels)
        if node is None and not (chosen_parts or chosen_anns or values) and len(data.codings) > ALL_CODES_LIMIT:
            st.info(
                f"This project has {len(data.codings):,} codings: choose a code or theme above (or a "
                "participant) to list its excerpts."
            )
            return
        table = excerpts(data, node, chosen_parts, chosen_anns, attribute, values)
        _summary_and_downloads(project, codebook, node, table, data, chosen_parts, chosen_anns, attribute, values)
        if table.empty:
            st.info("No excerpts here yet (that you may see). Code some text on the Code page first.")
            return
        if node is not None and node in codebook.codes:
            _definition(codebook, node)
        if st.toggle("Table view", key="qc_br_table_view", help="All excerpts as one table (CSV download)."):
            _table(table)
        else:
            _cards(codebook, table, node, project.actor.name)


def _participant_filter(data: Any, labels: dict[str, str]) -> tuple[list[str], str | None, list[str] | None]:
    """The participants (and a participant attribute's values) whose excerpts are listed, in a
    popover whose button says the choice: the browser lays out its list of every participant
    (a thousand on a large project) only once it is opened."""
    session = st.session_state
    chosen_now = [labels.get(p, p) for p in session.get("qc_br_participants") or []]
    summary = (
        "Participants: " + (", ".join(chosen_now) if len(chosen_now) <= 2 else f"{len(chosen_now)} chosen")
        if chosen_now
        else "Participants: all"
    )
    if session.get("qc_br_attribute") and session.get("qc_br_values"):
        summary += f"; {session['qc_br_attribute']} = {', '.join(map(str, session['qc_br_values']))}"
    attribute, values = None, None
    with st.popover(state.escape_md(summary), icon=":material/filter_list:", key="qc_br_filter_box", width="stretch"):
        chosen = st.multiselect(
            "Participants",
            sorted(labels, key=_natural),
            key="qc_br_participants",
            format_func=lambda p: labels.get(p, p),
            placeholder="All participants",
            on_change=_reset_shown,
        )
        attrs = [c for c in data.participants.columns if c not in ("participant", "label")]
        if attrs:
            attribute = st.selectbox("Participant attribute", attrs, index=None, key="qc_br_attribute")
            if attribute:
                options = sorted(data.participants[attribute].dropna().astype(str).unique().tolist())
                values = st.multiselect("Values", options, key="qc_br_values", on_change=_reset_shown)
    return chosen, attribute, values


def _natural(value: object) -> tuple:
    from ...reports import natural_key

    return natural_key(value)


def _definition(codebook: Codebook, code_id: str) -> None:
    code = codebook.codes[code_id]
    if code.description:
        st.caption(":material/menu_book: " + state.escape_md(code.description))


def _summary_and_downloads(
    project: Any,
    codebook: Codebook,
    node: str | None,
    table: pd.DataFrame,
    data: AnalysisData,
    participants: list[str],
    annotators: list[str],
    attribute: str | None,
    values: list[str] | None,
) -> None:
    people = table["participant"].replace("", pd.NA).dropna().nunique()
    n = len(table)
    what = retrieval.node_path(codebook, node) if node else "All codes"
    filters = []
    if participants:
        filters.append("participants " + ", ".join(participants))
    if annotators:
        filters.append("coded by " + ", ".join(annotators))
    if attribute and values:
        filters.append(f"{attribute}: {', '.join(values)}")
    filter_text = ("Filtered to " + "; ".join(filters)) if filters else ""
    left, right = st.columns([3, 2], vertical_alignment="center")
    with left:
        spans = len(table.drop_duplicates(["document", "start", "end"]))
        coded = f" ({n} codings)" if n != spans else ""
        st.markdown(
            f"**{state.escape_md(what)}** — {spans} excerpt{'s' if spans != 1 else ''}{coded} "
            f"from {people} participant{'s' if people != 1 else ''}"
        )
        if filter_text:
            st.caption(state.escape_md(filter_text))
    if table.empty:
        return
    options: dict[str, Any] = {"participants": participants or None, "annotators": annotators or None}
    if attribute and values:
        options.update(attribute=attribute, values=values)
    with right:
        c = st.columns(2)
        for col, fmt, mime in ((c[0], "docx", DOCX_MIME), (c[1], "md", "text/markdown")):
            col.download_button(
                f"Export .{fmt}",
                data=_exporter(project, node, fmt, data, filter_text, options),
                file_name=file_name(node, fmt),
                mime=mime,
                key=f"qc_br_download_{fmt}",
                icon=":material/download:",
                width="stretch",
            )


def _exporter(project: Any, node: str | None, fmt: str, data: AnalysisData, filters: str, options: dict) -> Any:
    """The document, built only when the button is pressed."""

    def build() -> bytes:
        return bytes(project.excerpts_bytes(node, fmt, data=data, filters=filters, **options))

    return build
