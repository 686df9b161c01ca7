"""Reports page: theme and code tables, expert consensus, participant × theme heatmap, code
frequencies, the Appendix-B quote table, the saturation curve; CSV downloads of each table and
the Excel workbook.

All tables come from :mod:`qualcode.reports` on the cached analysis bundle (recomputed only
after a write).  CSV files are written by :func:`qualcode.export.to_csv`, which neutralises
text a spreadsheet would run as a formula.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import altair as alt
import pandas as pd
import streamlit as st

from ... import reports
from ...export import to_csv
from ...model import Codebook
from ...project import Project
from ...vocabulary import SEGMENT_KINDS
from .. import state
from ..components import colours, tables

if TYPE_CHECKING:
    from ...project import Project

EXCEL_KEY = "qc_excel_bytes"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def wrap_label(text: str, width: int) -> str:
    """A label broken into lines of about ``width`` characters (joined by newlines; never cut).

    >>> wrap_label("Disadvantages of Kazakhstan's migration management", 20)
    "Disadvantages of\\nKazakhstan's\\nmigration management"
    """
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width=max(4, width), break_long_words=False)) or str(text)


# Vega draws an array of strings as lines: every axis label shown whole, on as many lines as it needs.
_LINES = "split(datum.label, '\\n')"


def heatmap(matrix: pd.DataFrame, title: str) -> alt.Chart:
    """Participants (rows) × themes (columns) as coloured cells with counts; zero cells white."""
    long = matrix.reset_index(names="participant").melt(id_vars="participant", var_name="theme", value_name="excerpts")
    n_cols = max(1, matrix.shape[1])
    width = max(8, min(22, 110 // n_cols))
    long["theme"] = [wrap_label(t, width) for t in long["theme"].astype(str)]
    threshold = float(long["excerpts"].max()) / 2 if len(long) else 0.0
    order_rows = list(matrix.index.astype(str))
    order_cols = [wrap_label(t, width) for t in matrix.columns.astype(str)]
    base = alt.Chart(long).encode(
        x=alt.X(
            "theme:N",
            sort=order_cols,
            title=None,
            axis=alt.Axis(
                labelAngle=0,
                labelExpr=_LINES,
                labelLimit=0,
                labelOverlap=False,
                labelPadding=6,
                orient="bottom",
                labelBaseline="top",
                labelFontWeight="bold",
            ),
        ),
        y=alt.Y("participant:N", sort=order_rows, title=None, axis=alt.Axis(labelLimit=0, labelOverlap=False)),
    )
    top = float(long["excerpts"].max()) if len(long) else 1.0
    cells = base.mark_rect(stroke="#dddddd", strokeWidth=0.5).encode(
        color=alt.condition(
            alt.datum.excerpts > 0,
            alt.Color(
                "excerpts:Q",
                scale=alt.Scale(scheme="blues", domain=[0, max(1.0, top)]),
                title=title,
                legend=alt.Legend(format="d", tickMinStep=1),
            ),
            alt.value("white"),
        ),
        tooltip=["participant", alt.Tooltip("theme:N", title="theme"), alt.Tooltip("excerpts:Q", format="d")],
    )
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("excerpts:Q", format="d"),
        color=alt.condition(alt.datum.excerpts > threshold, alt.value("white"), alt.value("black")),
        opacity=alt.condition(alt.datum.excerpts > 0, alt.value(1.0), alt.value(0.35)),
    )
    return (cells + text).properties(height=heatmap_height(matrix))


def heatmap_height(matrix: pd.DataFrame) -> int:
    return max(160, 30 * len(matrix.index)) + 90  # rows plus the wrapped theme labels


def colour_theme(codebook: Codebook, code_id: str) -> str | None:
    """The theme whose colour a code is drawn in on the Code page: the nearest one with a
    ``color:`` on its path, else its main theme (None: a code outside the tree)."""
    if code_id not in codebook.codes:
        return None
    path = codebook.theme_path(codebook.codes[code_id].theme)
    for tid in reversed(path):
        if codebook.themes[tid].color:
            return tid
    return path[0] if path else None


FREQ_LABEL_WIDTH = 42  # characters per line of a code's label beside its bar


def frequency_bars(freq: pd.DataFrame, top: int, codebook: Codebook | None = None) -> alt.Chart:
    """The ``top`` most used codes as horizontal bars: every bar labelled with the code's whole
    label (wrapped) and its count, coloured as the Code page colours the code (its theme's colour)."""
    shown = freq.loc[freq["excerpts"] > 0].sort_values("excerpts", ascending=False).head(top).copy()
    shown["code_label"] = [wrap_label(t, FREQ_LABEL_WIDTH) for t in shown["label"].astype(str)]
    lines = max([label.count("\n") + 1 for label in shown["code_label"]] or [1])
    domain: list[str] = []
    palette: list[str] = []
    if codebook is not None:
        groups = []
        for code in shown["code"]:
            tid = colour_theme(codebook, str(code))
            label = codebook.themes[tid].label if tid else "(no theme)"
            groups.append(label)
            if label not in domain:
                domain.append(label)
                palette.append(colours.theme_colour(codebook, tid) if tid else colours.UNKNOWN)
        shown["colour_theme"] = groups
    else:
        shown["colour_theme"] = shown["theme_path"].astype(str)
    colour = (
        alt.Color("colour_theme:N", title="Theme", scale=alt.Scale(domain=domain, range=palette))
        if domain
        else alt.Color("colour_theme:N", title="Theme")
    )
    order = shown["code_label"].tolist()
    base = alt.Chart(shown).encode(
        y=alt.Y(
            "code_label:N", sort=order, title=None, axis=alt.Axis(labelExpr=_LINES, labelLimit=0, labelOverlap=False)
        ),
        x=alt.X("excerpts:Q", title="Excerpts", axis=alt.Axis(format="d", tickMinStep=1)),
    )
    bars = base.mark_bar().encode(
        color=colour.legend(orient="bottom", columns=2, labelLimit=0),
        tooltip=[
            alt.Tooltip("label:N", title="code"),
            alt.Tooltip("theme_path:N", title="theme"),
            alt.Tooltip("excerpts:Q", format="d"),
            alt.Tooltip("codings:Q", format="d"),
            alt.Tooltip("experts_n:Q", title="participants", format="d"),
        ],
    )
    counts = base.mark_text(align="left", dx=4, fontSize=11).encode(text=alt.Text("excerpts:Q", format="d"))
    return (bars + counts).properties(height=frequency_height(len(shown), lines))


def frequency_height(n: int, lines: int = 1) -> int:
    return max(160, n * max(22, 15 * lines + 8))


def lead(df: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    """The columns people read first, then the rest (the CSV keeps the original order)."""
    head = [c for c in first if c in df.columns]
    out = df[head + [c for c in df.columns if c not in head]]
    out.attrs = dict(df.attrs)
    return out


def themes_shown(themes: pd.DataFrame) -> pd.DataFrame:
    """The theme table as read: labels indented by depth (the tree), cross-cutting ones marked."""
    out = themes.copy()
    out["theme"] = [
        ("\u2003" * 2 * int(depth) + str(label)) if kind == "theme" else f"◆ {label} (cross-cutting)"
        for label, depth, kind in zip(out["theme"], out["depth"], out["kind"])
    ]
    return lead(out, ["theme", "excerpts", "codings", "experts_n", "experts_phrase", "codes"])


def saturation_chart(table: pd.DataFrame, saturation_at: int | None, run_length: int) -> alt.LayerChart:
    """Guest, Bunce & Johnson's curve with Guest, Namey & Chen's decision: per interview in order
    the new codes (bars) and the cumulative number of codes (line), the saturation point marked
    by a rule (and the run of interviews that confirms it shaded)."""
    data = table.assign(
        participant=table["label"].astype(str),
        share=(table["share_of_codes"] * 100).round(1),
    )[["interview", "participant", "document", "new_codes", "cumulative_codes", "share", "new_code_ids"]]
    n = int(data["interview"].max()) if len(data) else 1
    x = alt.X(
        "interview:Q",
        title="Interview (in interview order)",
        scale=alt.Scale(domain=[0.5, n + 0.5], nice=False),
        axis=alt.Axis(values=list(range(1, n + 1)), format="d", tickMinStep=1),
    )
    y_axis = alt.Axis(format="d", tickMinStep=1)
    tooltip = [
        alt.Tooltip("interview:Q", title="Interview"),
        alt.Tooltip("participant:N", title="Participant"),
        alt.Tooltip("document:N", title="Document"),
        alt.Tooltip("new_codes:Q", title="New codes"),
        alt.Tooltip("cumulative_codes:Q", title="Codes so far"),
        alt.Tooltip("share:Q", title="% of all codes"),
        alt.Tooltip("new_code_ids:N", title="New codes (ids)"),
    ]
    new, cumulative = "New codes in the interview", "Codes so far (cumulative)"
    series = alt.Color(
        "series:N",
        scale=alt.Scale(domain=[new, cumulative], range=["#f28e2b", "#4e79a7"]),
        legend=alt.Legend(title=None, orient="top"),
    )
    base = alt.Chart(data).encode(x=x)
    bars = (
        base.transform_calculate(series=f"'{new}'")
        .mark_bar(opacity=0.6, size=18)
        .encode(y=alt.Y("new_codes:Q", title="Codes", axis=y_axis), color=series, tooltip=tooltip)
    )
    line = (
        base.transform_calculate(series=f"'{cumulative}'")
        .mark_line(point=True)
        .encode(y=alt.Y("cumulative_codes:Q"), color=series, tooltip=tooltip)
    )
    layers: list[alt.Chart] = [bars, line]
    if saturation_at is not None:
        mark = pd.DataFrame(
            {
                "interview": [saturation_at],
                "first": [saturation_at + 0.5],
                "last": [min(saturation_at + run_length, n) + 0.5],
                "text": [f"saturation at interview {saturation_at}"],
            }
        )
        marked = alt.Chart(mark)
        layers.append(marked.mark_rect(opacity=0.12, color="#59a14f").encode(x="first:Q", x2="last:Q"))
        layers.append(marked.mark_rule(color="#59a14f", strokeWidth=2, strokeDash=[6, 3]).encode(x="interview:Q"))
        layers.append(
            marked.mark_text(align="left", dx=4, dy=-6, color="#59a14f", fontWeight="bold").encode(
                x="interview:Q", y=alt.value(12), text="text:N"
            )
        )
    return alt.LayerChart(layer=layers, height=340)


def _saturation(project: Project, view: _View) -> None:
    cols = st.columns(4)
    order = cols[0].selectbox("Interview order", ["date", "name"], key="qc_rep_sat_order")
    base = cols[1].number_input("Base size", 1, 50, 4, key="qc_rep_sat_base")
    run = cols[2].number_input("Run length", 1, 20, 2, key="qc_rep_sat_run")
    threshold = cols[3].number_input(
        "New-information threshold", 0.0, 0.99, 0.05, step=0.01, format="%.2f", key="qc_rep_sat_threshold"
    )
    options = {"order": order, "base_size": int(base), "run_length": int(run), "threshold": float(threshold)}
    result = view.table(
        "saturation",
        lambda: project.saturation(annotators=view.annotators, data=view.data, orders=200, seed=0, **options),
        tuple(options.items()),
    )
    table = result.table
    spec = view.table(
        "saturation_chart",
        lambda: state.chart_spec(saturation_chart(table, result.assessment.saturation_at, int(run))),
        tuple(options.items()),
    )
    state.draw_chart(spec, width="stretch", key="qc_rep_sat_chart")
    for line in result.lines():
        st.caption(state.escape_md(line))
    st.caption(
        "Read it honestly: the curve counts the codes of the excerpts coded here, in this order; with few "
        "interviews, or excerpts rather than full transcripts, a flat tail is weak evidence of saturation."
    )
    tables.dataframe(table, hide_index=True, width="stretch", key="qc_rep_saturation")
    _csv_button(table, "saturation", "qc_csv_saturation")


def _csv_button(df: pd.DataFrame, name: str, key: str) -> None:
    """The table as CSV, written only when the button is clicked (the frame is never changed)."""
    st.download_button(
        f"Download {name}.csv", lambda: to_csv(df) or "", file_name=f"{name}.csv", mime="text/csv", key=key
    )


def _describe(df: pd.DataFrame) -> None:
    attrs = df.attrs or {}
    parts = [str(attrs[k]) for k in ("description", "unit", "uncoded") if attrs.get(k)]
    if parts:
        st.caption(state.escape_md(" · ".join(parts)))


def _build_excel(annotators: list[str] | None, unit: str) -> None:
    project = state.user_project()
    data = state.cached_analysis(project)
    # Project checks the role (supervisors and admins), as for 'qualcode export xlsx'.
    result = state.run_action(project.xlsx_bytes, data=data, annotators=annotators, unit=unit, bootstrap=200)
    if result is not None:
        st.session_state[EXCEL_KEY] = result


APPENDIX_KEY = "qc_appendix_files"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def appendix_bytes(project: Project, suffix: str, annotators: list[str] | None) -> bytes:
    """Thesis Appendix A and B (Project.export_appendix) as .docx or .xlsx bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"thesis_appendix{suffix}"
        project.export_appendix(path, annotators=annotators)
        return path.read_bytes()


def _build_appendix(suffix: str, annotators: list[str] | None) -> None:
    result = state.run_action(appendix_bytes, state.user_project(), suffix, annotators)
    if result is not None:
        st.session_state.setdefault(APPENDIX_KEY, {})[suffix] = result


TABS = ["Themes", "Codes", "Consensus", "Heatmap", "Frequencies", "Appendix B", "Saturation", "Download"]
TAB_KEY = "qc_rep_tab"


@dataclass(frozen=True)
class _View:
    """What the tabs draw from: the analysis bundle of one data version and the chosen annotators."""

    project: Project
    version: int
    data: Any
    annotators: list[str] | None

    def table(self, name: str, compute: Callable[[], Any], *key: Hashable) -> Any:
        """A report table (or chart) computed once per data version, codebook, user and choices."""
        chosen = tuple(self.annotators) if self.annotators else None
        return state.derived(self.project, self.version, f"reports.{name}", compute, chosen, *key)


def render() -> None:
    project = state.user_project()
    st.header("Reports")
    with state.user_errors():
        version = project.data_version()
        data = state.cached_analysis(project, version)
        if data.codings.empty:
            st.info("No codings yet (that you may see). Code some text on the Code page first.")
            return
        annotators = _choices(project, version, data)
        view = _View(project, version, data, annotators)
        # Only the open tab runs (on_change="rerun"): a visit computes and sends one tab, not eight.
        tabs = st.tabs(TABS, key=TAB_KEY, on_change="rerun")
        draw: list[Callable[[], None]] = [
            lambda: _themes_tab(view),
            lambda: _codes_tab(view),
            lambda: _consensus_tab(view),
            lambda: _heatmap_tab(view),
            lambda: _frequencies_tab(view),
            lambda: _quotes_tab(view),
            lambda: _saturation(project, view),
            lambda: _downloads(project, annotators),
        ]
        for tab, fill in zip(tabs, draw):
            if tab.open is not False:  # None: a Streamlit that runs every tab
                with tab:
                    fill()


def _choices(project: Project, version: int, data: Any) -> list[str] | None:
    """The control above the tabs: the annotators (None: all).  The heatmap's level and the
    consensus split are in their own tabs, next to what they change."""
    annotators_all = state.coded_annotators(project, version, data)
    chosen = st.multiselect(
        "Annotators",
        annotators_all,
        key="qc_rep_annotators",
        placeholder="All annotators",
        help="Restrict every table to these annotators (e.g. consensus).",
    )
    return chosen or None


def _themes_tab(view: _View) -> None:
    themes = view.table("themes", lambda: reports.theme_table(view.data, view.annotators))
    _describe(themes)
    tables.dataframe(
        view.table("themes_shown", lambda: themes_shown(themes)),
        hide_index=True,
        width="stretch",
        key="qc_rep_themes",
        technical=["experts"],
        names={"theme": "Theme", "experts_phrase": "Participants (who)"},
        column_config={"theme": st.column_config.TextColumn("Theme", width="large")},
    )
    _csv_button(themes, "themes", "qc_csv_themes")


def _frequencies(view: _View) -> pd.DataFrame:
    return view.table("codes", lambda: reports.code_frequencies(view.data, view.annotators))


def _codes_tab(view: _View) -> None:
    """The code frequencies table."""
    freq = _frequencies(view)
    _describe(freq)
    tables.dataframe(
        lead(freq, ["label", "theme_path", "excerpts", "codings", "experts_n", "experts_phrase"]),
        hide_index=True,
        width="stretch",
        key="qc_rep_codes",
        technical=["code", "theme", "experts"],
        names={"label": "Code", "experts_phrase": "Participants (who)"},
    )
    _csv_button(freq, "codes", "qc_csv_codes")


def _consensus_tab(view: _View) -> None:
    cols = st.columns([1, 2])
    by = cols[0].radio("Per", ["code", "theme"], horizontal=True, key="qc_rep_cons_by")
    attrs = [c for c in view.data.participants.columns if c not in ("participant", "label")]
    attribute = cols[1].selectbox("Split by", attrs, index=None, key="qc_rep_attribute", placeholder="(no split)")
    cons = view.table(
        "consensus",
        lambda: reports.consensus(view.data, by=by, attribute=attribute, annotators=view.annotators),
        by,
        attribute,
    )
    _describe(cons)
    tables.dataframe(
        lead(cons, ["label", "participants_n", "share", "phrase"]),
        hide_index=True,
        width="stretch",
        key="qc_rep_consensus",
        technical=[by, "participants"] + [c for c in cons.columns if str(c).endswith(" ids")],
        names={"label": by.capitalize(), "phrase": "Participants (who)"},
        column_config={
            "share": st.column_config.ProgressColumn("Share", min_value=0.0, max_value=1.0, format="percent")
        },
    )
    _csv_button(cons, "consensus", "qc_csv_consensus")


def _heatmap_tab(view: _View) -> None:
    level = st.selectbox(
        "Level",
        [0, 1, 2],
        index=0,
        key="qc_rep_level",
        format_func=lambda x: ["main themes", "sub-themes", "level 3"][x],
    )
    mat = view.table(
        "matrix", lambda: reports.matrix(view.data, by="theme", level=level, annotators=view.annotators), level
    )
    _describe(mat)
    if mat.empty or mat.shape[1] == 0:
        st.caption("Nothing to show at this level.")
    else:
        spec = view.table("heatmap", lambda: state.chart_spec(heatmap(mat, "excerpts")), level)
        state.draw_chart(spec, width="stretch", height=heatmap_height(mat))
    _csv_button(mat.reset_index(names="participant"), "participant_theme_matrix", "qc_csv_matrix")


def _frequencies_tab(view: _View) -> None:
    freq = _frequencies(view)
    top = st.slider("Codes shown", 1, max(2, len(freq)), min(30, max(2, len(freq))), key="qc_rep_top")
    spec = view.table("frequency_bars", lambda: state.chart_spec(frequency_bars(freq, top, view.data.codebook)), top)
    state.draw_chart(spec, width="stretch", height=int(spec["height"]) + 140)


def _quotes_tab(view: _View) -> None:
    quotes = view.table("quotes", lambda: reports.quote_table(view.data, view.annotators, max_quotes=3))
    _describe(quotes)
    tables.dataframe(
        lead(quotes, ["theme", "sub_theme", "label", "quotes", "excerpts", "codings", "experts"]),
        hide_index=True,
        width="stretch",
        key="qc_rep_quotes",
        technical=["code"],
        names={"label": "Code", "theme": "Theme", "experts": "Participants"},
        row_height=120,
        # Fits 1366 px with the sidebar open: the quotes wrap in their column.
        column_config={
            "theme": st.column_config.TextColumn("Theme", width=110),
            "sub_theme": st.column_config.TextColumn("Sub-theme", width=110),
            "label": st.column_config.TextColumn("Code", width=150),
            "quotes": st.column_config.TextColumn("Quotes", width=270),
            "excerpts": st.column_config.NumberColumn("Excerpts", width="small"),
            "codings": st.column_config.NumberColumn("Codings", width="small"),
            "experts": st.column_config.TextColumn("Participants", width="small"),
        },
    )
    _csv_button(quotes, "appendix_b_quotes", "qc_csv_quotes")


def _downloads(project, annotators: list[str] | None) -> None:
    st.markdown(
        "**Excel appendix workbook**: interviewees, codebook with quotes, matrices, frequencies, "
        "co-occurrence, agreement and every coding."
    )
    if not project.actor.at_least("supervisor"):
        st.caption("Supervisors download the whole-project workbook; use the CSV buttons for your own tables.")
        return
    st.markdown(
        "**Thesis appendices** (paste-ready): Appendix A *List of Interviewees* and Appendix B *Codebook* "
        "as Word tables with a Findings section, or as a printable Excel sheet (layout: `appendix:` in "
        "codebook.yaml)."
    )
    cols = st.columns(2)
    built = st.session_state.get(APPENDIX_KEY, {})
    for col, suffix, mime in ((cols[0], ".docx", DOCX_MIME), (cols[1], ".xlsx", XLSX_MIME)):
        col.button(
            f"Build thesis_appendix{suffix}",
            key=f"qc_build_appendix{suffix}",
            on_click=_build_appendix,
            args=(suffix, annotators),
        )
        if built.get(suffix):
            col.download_button(
                f"Download thesis_appendix{suffix}",
                built[suffix],
                file_name=f"thesis_appendix{suffix}",
                mime=mime,
                key=f"qc_download_appendix{suffix}",
            )
    unit = st.selectbox("Unit for agreement and co-occurrence", SEGMENT_KINDS, key="qc_rep_xlsx_unit")
    st.button("Build the Excel workbook", key="qc_build_excel", on_click=_build_excel, args=(annotators, unit))
    data = st.session_state.get(EXCEL_KEY)
    if data:
        st.download_button(
            "Download qualcode_report.xlsx",
            data,
            file_name="qualcode_report.xlsx",
            mime=XLSX_MIME,
            key="qc_download_excel",
            type="primary",
        )
