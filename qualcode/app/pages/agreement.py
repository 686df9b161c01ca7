"""Agreement page (supervisors): the reliability lab.

What a methods reviewer looks for: which coders, documents, unit and interval method (in plain
words, from :func:`qualcode.reliability.describe`) and the table with human column names (the
first tab, what opens); a forest plot of alpha per code and theme with its 95% interval and the
0.667 / 0.800 lines, coloured by whether the interval's lower end clears them; one code's
confusion/coincidence matrix; and the disagreements worst code first, each viewable side by
side and sent to the Adjudicate page in one click.  Only the open tab is computed and sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from ...export import to_csv
from ...reliability import (
    CONSENSUS,
    UNIT_KINDS,
    UNITS,
    code_table,
    describe,
    disagreements,
    intercoder_agreement,
)
from ...store import Actor
from .. import state
from ..components import tables

FOCUS_KEY = "qc_adj_focus"  # a disagreement sent to the Adjudicate page
# Disagreements listed (worst code first) in the table and the *Look at one* box; every one of
# them is in disagreements.csv and on the Adjudicate page.  A large project has tens of
# thousands: sending them all to the browser on every visit took most of a second.
DIS_SHOWN = 300
THRESHOLDS = (0.667, 0.800)
TABS = ["Agreement", "Forest plot", "Confusion", "Disagreements"]
TAB_KEY = "qc_agr_tab"

UNIT_WORDS = {
    "sentence": "each sentence is a unit: a code is present in a sentence when a coding of it overlaps the sentence",
    "paragraph": "each paragraph is a unit: a code is present in a paragraph when a coding of it overlaps it",
    "turn": "each speaker turn is a unit: a code is present in a turn when a coding of it overlaps it",
    "document": "each interview is a unit: did the coder use the code anywhere in it (MAXQDA's code existence)",
    "character": "every character is a unit (NVivo's coding comparison): agreement is the share of characters "
    "both coders coded alike",
    "match": "coded segments are matched between two coders (MAXQDA's segment agreement)",
    "span": "the coded spans themselves are compared (Krippendorff's unitizing alpha): agreement on where "
    "coding starts and ends and on the code given",
}

UNIT_NAMES = {
    "document": "interview",
    "character": "character (NVivo)",
    "match": "segment match (MAXQDA)",
    "span": "span (unitized α)",
}
BY_NAMES = {"both": "codes + themes", "code": "codes", "theme": "themes"}
INTERVAL_NAMES = {"units": "Resample units", "kalpha": "KALPHA (SPSS macro)"}

COLUMN_NAMES = {
    "level": "Level",
    "unit": "Unit",
    "label": "Code or theme",
    "id": "Id",
    "n_units": "Units",
    "n_coders": "Coders",
    "n_coded_units": "Units coded by anyone",
    "percent_agreement": "Percent agreement",
    "kappa": "Kappa",
    "kappa_kind": "Kappa type",
    "alpha": "Krippendorff's alpha",
    "alpha_low": "Alpha 95% low",
    "alpha_high": "Alpha 95% high",
    "binary_alpha": "|uα (what is coded)",
    "cu_alpha": "cuα (codes given spans)",
    "codes_exclusive": "Mutually exclusive codes",
    "conflicts": "Overlapping codes of one theme",
    "codings_outside_units": "Codings outside units",
    "note": "Note",
    "document": "Document",
}


KAPPA_WORDS = {
    "cohen": "Cohen's",
    "fleiss": "Fleiss' (Gwet's form)",
    "brennan_prediger": "Brennan–Prediger",
    "nan": "",
}


@st.cache_resource(max_entries=16, show_spinner="Computing agreement …")
def _agreement(
    _data: Any,
    url: str,
    actor: Actor,
    version: int,
    annotators: tuple[str, ...],
    unit: str,
    by: str,
    bootstrap: int,
    documents: tuple[str, ...] | None = None,
    scope: str = "common",
    method: str = "units",
    include_interviewer: bool = False,
    scale_level: str | None = None,
) -> pd.DataFrame:
    return intercoder_agreement(
        _data,
        annotators=list(annotators),
        unit=unit,
        by=by,
        bootstrap=bootstrap,
        documents=list(documents) if documents else None,
        scope=scope,
        bootstrap_method=method,
        include_interviewer=include_interviewer,
        scale_level=scale_level,
    )


@st.cache_resource(max_entries=16, show_spinner="Finding disagreements …")
def _disagreements(
    _data: Any,
    url: str,
    actor: Actor,
    version: int,
    annotators: tuple[str, ...],
    unit: str,
    documents: tuple[str, ...] | None = None,
    scope: str = "common",
    include_interviewer: bool = False,
) -> pd.DataFrame:
    return disagreements(
        _data,
        annotators=list(annotators),
        unit=unit,
        documents=list(documents) if documents else None,
        scope=scope,
        include_interviewer=include_interviewer,
    )


def _cached(view: tuple[Any, int] | None, name: str, compute: Any, *key: Any) -> Any:
    """``compute()`` through :func:`state.derived` when the caller gave (project, data version)."""
    if view is None:
        return compute()
    return state.derived(view[0], view[1], f"agreement.{name}", compute, *key)


def coder_choice(data: Any, key: str, view: tuple[Any, int] | None = None) -> list[str]:
    """Pick at least two coders (default: every annotator except consensus).  ``view``: the
    (project, data version) ``data`` belongs to, to compute the list once per version."""
    present = (
        state.coded_annotators(view[0], view[1], data)
        if view is not None
        else sorted(data.codings["annotator"].astype(str).unique())
    )
    if key in st.session_state:  # set by the user or by "Send to Adjudicate": no default then
        st.session_state[key] = [a for a in st.session_state[key] if a in present]
        return st.multiselect("Coders to compare", present, key=key)
    default = [a for a in present if a != CONSENSUS]
    return st.multiselect("Coders to compare", present, default=default, key=key)


def _documents_coded(data: Any, coders: list[str]) -> tuple[list[str], list[str]]:
    """The documents any chosen coder coded, and those every chosen coder coded."""
    coded = data.codings.loc[data.codings["annotator"].astype(str).isin(coders)]
    per_doc = coded.groupby(coded["document"].astype(str))["annotator"].nunique()
    names = sorted(per_doc.index)
    return names, [d for d in names if per_doc[d] == len(coders)]


def document_choice(
    data: Any, coders: list[str], key: str, view: tuple[Any, int] | None = None
) -> tuple[tuple[str, ...] | None, str]:
    """The document filter: (chosen documents or None, scope).  By default only the documents
    every chosen coder coded; the filter's button says which.  ``view`` as for :func:`coder_choice`.

    The filter sits in a popover: the browser draws its list of every interview only while it is
    open (a thousand-option list drawn on each visit was a sixth of the page's time)."""
    names, common = _cached(view, "documents", lambda: _documents_coded(data, coders), tuple(coders))
    docs_key, all_key = f"{key}_docs", f"{key}_all"
    if docs_key in st.session_state:
        st.session_state[docs_key] = [d for d in st.session_state[docs_key] if d in names]
    summary = documents_summary(
        st.session_state.get(docs_key) or [], bool(st.session_state.get(all_key)), common, names
    )
    with st.popover(state.escape_md(summary), icon=":material/filter_list:", key=f"{key}_docs_box"):
        chosen = st.multiselect(
            "Documents",
            names,
            key=docs_key,
            placeholder=f"All {len(common)} document(s) every chosen coder coded",
            help="Leave empty to compare every document that all chosen coders coded.",
        )
        everything = st.checkbox(
            "Include documents only some coders coded",
            key=all_key,
            help="Their uncoded documents then count as 'absent' everywhere — usually not what you want.",
        )
    return (tuple(chosen) if chosen else None), ("all" if everything else "common")


def documents_summary(chosen: list[str], everything: bool, common: list[str], names: list[str]) -> str:
    """The document filter's button: which documents are compared.

    >>> documents_summary([], False, ["a", "b"], ["a", "b", "c"])
    'Documents: the 2 every chosen coder coded'
    >>> documents_summary(["a"], False, ["a"], ["a", "b"]), documents_summary([], True, ["a"], ["a", "b"])
    ('Documents: a', 'Documents: all 2 any chosen coder coded')
    >>> documents_summary(["a", "b", "c", "d"], True, [], ["a", "b", "c", "d"])
    'Documents: 4 chosen, including those only some coders coded'
    """
    if chosen:
        which = ", ".join(chosen) if len(chosen) <= 3 else f"{len(chosen)} chosen"
        return f"Documents: {which}" + (", including those only some coders coded" if everything else "")
    if everything:
        return f"Documents: all {len(names)} any chosen coder coded"
    return f"Documents: the {len(common)} every chosen coder coded"


def forest_plot(table: pd.DataFrame) -> alt.Chart | None:
    """Alpha with its 95% interval per code and theme; the 0.667 and 0.800 lines; colour by
    where the interval's lower end lies."""
    rows = table.loc[table["level"].isin(["code", "theme", "scale"]) & table["alpha"].notna()].copy()
    if rows.empty:
        return None
    rows["name"] = [lbl if lvl == "scale" else f"{lbl} ({lvl})" for lbl, lvl in zip(rows["label"], rows["level"])]
    low = rows["alpha_low"]

    def verdict(x: float) -> str:
        if pd.isna(x):
            return "no interval"
        if x >= THRESHOLDS[1]:
            return "lower end ≥ 0.800"
        if x >= THRESHOLDS[0]:
            return "lower end ≥ 0.667"
        return "lower end < 0.667"

    rows["verdict"] = [verdict(x) for x in low]
    rows["low"] = low.fillna(rows["alpha"])
    rows["high"] = rows["alpha_high"].fillna(rows["alpha"])
    order = rows.sort_values("alpha")["name"].tolist()
    colour = alt.Color(
        "verdict:N",
        title="95% interval",
        scale=alt.Scale(
            domain=["lower end ≥ 0.800", "lower end ≥ 0.667", "lower end < 0.667", "no interval"],
            range=["#2e7d32", "#f9a825", "#c62828", "#9e9e9e"],
        ),
    )
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    x_scale = alt.Scale(domain=[min(-0.1, float(rows["low"].min())), 1.0])
    bars = (
        alt.Chart(rows)
        .mark_rule(strokeWidth=3)
        .encode(
            x=alt.X("low:Q", title="Krippendorff's alpha (95% interval)", scale=x_scale), x2="high:Q", y=y, color=colour
        )
    )
    points = (
        alt.Chart(rows)
        .mark_point(filled=True, size=70)
        .encode(
            x="alpha:Q",
            y=y,
            color=colour,
            tooltip=[
                alt.Tooltip("name:N", title="Code or theme"),
                alt.Tooltip("alpha:Q", format=".3f", title="Alpha"),
                alt.Tooltip("alpha_low:Q", format=".3f", title="95% low"),
                alt.Tooltip("alpha_high:Q", format=".3f", title="95% high"),
            ],
        )
    )
    marks = alt.Chart(pd.DataFrame({"x": list(THRESHOLDS), "label": ["0.667", "0.800"]}))
    lines = marks.mark_rule(strokeDash=[4, 4], color="#555").encode(x="x:Q")
    labels = marks.mark_text(align="left", dx=3, dy=-4, baseline="bottom", color="#555").encode(
        x="x:Q", y=alt.value(0), text="label:N"
    )
    # Streamlit fits the whole chart (axis, title, legend) into the height: room for them on top of the rows
    return (lines + labels + bars + points).properties(height=max(170, 24 * len(rows) + 90))


def _plain_words(table: pd.DataFrame, unit: str) -> str:
    a = table.attrs
    esc = state.escape_md
    coders = esc(", ".join(a.get("annotators", [])))
    lines = [
        f"**What was compared.** {esc(UNIT_WORDS.get(unit, unit))}; coders {coders}; "
        f"documents: {esc(str(a.get('scope', '?')))}.",
    ]
    n_coders = len(a.get("annotators", []))
    kappa = "Cohen's kappa" if n_coders == 2 else "Fleiss' kappa (Gwet's form)"
    words = {
        "character": "percent agreement and Cohen's kappa per document from the four character counts, "
        "and their size-weighted average",
        "match": "the share of matched segments and Brennan & Prediger's kappa (chance = 1/number of codes)",
        "span": "Krippendorff's unitizing alphas: |uα (is the same text coded at all), uα (same text, same code), "
        "cuα per theme (which code, given both coded)",
    }.get(
        unit,
        f"percent agreement (the share of coder pairs that agree; not corrected for chance), {kappa}, and "
        "Krippendorff's alpha on present/absent: 1 is perfect agreement, 0 what chance alone gives",
    )
    lines.append(f"**Coefficients.** {esc(words)}.")
    if a.get("bootstrap"):
        how = (
            "the units were resampled with replacement and alpha recomputed"
            if a.get("bootstrap_method", "units") == "units"
            else "Hayes & Krippendorff's KALPHA algorithm (conservative; does not narrow with more units)"
        )
        if unit == "span":
            how = "the documents were resampled with replacement"
        lines.append(f"**Interval.** 95% interval from {a['bootstrap']} bootstrap samples: {how}.")
    if a.get("scales"):
        lines.append(f"**Scales.** {esc(str(a['scales']))}.")
    if a.get("n_outside_units"):
        lines.append(f"**Not counted.** {esc(str(a['outside_units']))}.")
    return "\n\n".join(lines)


def _worst_first(dis: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Disagreements ordered by their code's alpha, lowest (worst) first, then by document."""
    codes = table.loc[table["level"] == "code", ["id", "alpha"]]
    alpha = dict(zip(codes["id"], codes["alpha"]))
    out = dis.copy()
    out["code_alpha"] = [alpha.get(c, float("nan")) for c in out["code"]]
    return out.sort_values(["code_alpha", "document", "unit_start"], na_position="last", kind="stable").reset_index(
        drop=True
    )


@dataclass(frozen=True)
class _Choice:
    """What the controls at the top of the page chose."""

    coders: list[str]
    unit: str
    by: str
    bootstrap: int
    method: str
    documents: tuple[str, ...] | None = None
    scope: str = "common"
    interviewer: bool = False
    scale_level: str | None = None


def render() -> None:
    project = state.user_project()
    st.header("Inter-coder agreement")
    with state.user_errors():
        project.require("supervisor", "see inter-coder agreement")
        version = project.data_version()
        data = state.cached_analysis(project, version)
        choice = _choose_comparison(project, data, version)
        if choice is None:
            return
        key = (
            tuple(choice.coders),
            choice.unit,
            choice.by,
            int(choice.bootstrap),
            choice.documents,
            choice.scope,
            choice.method,
            choice.interviewer,
            choice.scale_level,
        )
        table = _agreement(data, project.database_url, project.actor, version, *key)
        view = (project, version)
        per_unit = choice.unit in UNIT_KINDS
        # Only the open tab runs (on_change="rerun"): a visit sends the table a reviewer reads
        # first, not the plot, the matrix and hundreds of disagreements as well.
        tabs = st.tabs(TABS, key=TAB_KEY, on_change="rerun")
        draw: list[Callable[[], None]] = [
            lambda: _agreement_section(table, choice.unit, view, key),
            lambda: _forest_section(table, view, key),
            lambda: _confusion_section(data, table, choice, view, key) if per_unit else _per_unit_note(),
            lambda: (
                _disagreements_section(project, data, version, table, choice, key) if per_unit else _per_unit_note()
            ),
        ]
        for tab, fill in zip(tabs, draw):
            if tab.open is not False:  # None: a Streamlit that runs every tab
                with tab:
                    fill()


def _per_unit_note() -> None:
    st.caption("The code table and the disagreements are listed per sentence, paragraph or turn.")


def _choose_comparison(project: Any, data: Any, version: int) -> _Choice | None:
    """The controls: coders, unit, per, bootstrap, interval, documents, interviewer turns and
    scale level.  None (with a note) when fewer than two coders are chosen."""
    cols = st.columns([3, 1, 1.3])
    with cols[0]:
        coders = coder_choice(data, "qc_agr_coders", (project, version))
    default_unit = project.setting("agreement_unit", "sentence") or "sentence"
    unit = cols[1].selectbox(
        "Unit",
        UNITS,
        index=UNITS.index(default_unit) if default_unit in UNITS else 0,
        key="qc_agr_unit",
        format_func=lambda u: UNIT_NAMES.get(u, u),
    )
    by = cols[2].selectbox("Per", ["both", "code", "theme"], key="qc_agr_by", format_func=lambda b: BY_NAMES.get(b, b))
    if len(coders) < 2:
        st.info("Choose at least two coders.")
        return None
    filters = st.columns(2)
    with filters[0]:
        documents, scope = document_choice(data, coders, "qc_agr", (project, version))
    with filters[1]:
        bootstrap, method, interviewer, scale_level = _method_options(data, unit, by)
    return _Choice(coders, unit, by, bootstrap, method, documents, scope, interviewer, scale_level)


def _method_options(data: Any, unit: str, by: str) -> tuple[int, str, bool, str | None]:
    """The interval (bootstrap samples, method), interviewer turns and scale level, in a popover
    whose button says what is chosen (its lists are drawn only while it is open)."""
    session = st.session_state
    samples, how = session.get("qc_agr_bootstrap", 200), session.get("qc_agr_method", "units")
    summary = (
        f"Interval: {samples} bootstrap samples ({INTERVAL_NAMES.get(how, how)})" if samples else "Interval: none"
    ) + ("; interviewer turns counted" if session.get("qc_agr_interviewer") else "")
    with st.popover(summary, icon=":material/tune:", key="qc_agr_method_box"):
        bootstrap = st.selectbox(
            "Bootstrap samples",
            [0, 200, 1000],
            index=1,
            key="qc_agr_bootstrap",
            help="For the 95% interval of Krippendorff's alpha (0 = none).",
        )
        method = st.selectbox(
            "Interval",
            ["units", "kalpha"],
            key="qc_agr_method",
            format_func=lambda m: INTERVAL_NAMES.get(m, m),
        )
        interviewer = st.checkbox("Count interviewer turns as units", key="qc_agr_interviewer")
        scale_level = None
        if data.codebook.scales() and unit in UNIT_KINDS + ("document",) and by != "code":
            scale_level = st.selectbox(
                "Scale level",
                [None, "nominal", "ordinal", "interval", "ratio"],
                key="qc_agr_scale_level",
                format_func=lambda lv: "as in the codebook (scale:)" if lv is None else lv,
                help="The level of alpha for the themes that codebook.yaml declares scales (scale:, order:).",
            )
    return bootstrap, method, interviewer, scale_level


def _spec(chart: alt.Chart | None) -> dict[str, Any] | None:
    return None if chart is None else state.chart_spec(chart)


def _shown_table(table: pd.DataFrame) -> pd.DataFrame:
    """The agreement table as read: kappa's kind in words, human column names, no ids."""
    shown = table.copy()
    if "kappa_kind" in shown.columns:
        shown["kappa_kind"] = shown["kappa_kind"].map(lambda k: KAPPA_WORDS.get(str(k), str(k)))
    shown = shown.rename(columns={c: n for c, n in COLUMN_NAMES.items() if c in table.columns})
    return shown.drop(columns=[c for c in ("Id", "Coders") if c in shown.columns])


def _agreement_section(
    table: pd.DataFrame, unit: str, view: tuple[Any, int] | None = None, key: tuple[Any, ...] = ()
) -> None:
    """The method in plain words, the table and its CSV download.  ``view``
    and ``key`` (the comparison's settings): each piece drawn from it is computed once."""
    st.markdown(_cached(view, "plain_words", lambda: _plain_words(table, unit), *key))
    with st.expander("Full method statement"):
        st.text(_cached(view, "describe", lambda: describe(table), *key))
    shown = _cached(view, "shown", lambda: _shown_table(table), *key)
    tables.dataframe(shown, hide_index=True, width="stretch", key="qc_agr_table")
    st.download_button(
        "Download agreement.csv", lambda: to_csv(table) or "", "agreement.csv", "text/csv", key="qc_agr_csv"
    )


def _forest_section(table: pd.DataFrame, view: tuple[Any, int] | None = None, key: tuple[Any, ...] = ()) -> None:
    """The forest plot of alpha per code and theme (computed once per comparison)."""
    spec = _cached(view, "forest", lambda: _spec(forest_plot(table)), *key)
    if spec is None:
        st.caption("No code or theme has an alpha to plot.")
        return
    st.subheader("Alpha per code and theme")
    state.draw_chart(spec, width="stretch", key="qc_agr_forest")


def _confusion_section(
    data: Any, table: pd.DataFrame, choice: _Choice, view: tuple[Any, int] | None = None, key: tuple[Any, ...] = ()
) -> None:
    """One code's confusion/coincidence matrix between the coders (or two codes' cross table)."""
    codes = table.loc[table["level"] == "code"]
    if not len(codes):
        return
    st.subheader("Confusion between coders, for a code or a pair of codes")
    label_of = dict(zip(codes["id"], codes["label"]))
    pair = st.columns(2)
    pick_code = pair[0].selectbox(
        "Code", codes["id"].tolist(), key="qc_agr_code", format_func=lambda c: str(label_of[c])
    )
    others = [""] + [c for c in codes["id"].tolist() if c != pick_code]
    pick_other = pair[1].selectbox(
        "Compared with",
        others,
        key="qc_agr_code2",
        format_func=lambda c: str(label_of[c]) if c else "(this code alone: present or absent)",
        help="A second code: the table then shows where one coder's first code meets another's second.",
    )
    matrix = _cached(
        view,
        "code_table",
        lambda: code_table(
            data,
            pick_code,
            annotators=choice.coders,
            unit=choice.unit,
            documents=list(choice.documents) if choice.documents else None,
            scope=choice.scope,
            include_interviewer=choice.interviewer,
            other=pick_other or None,
        ),
        *key,
        pick_code,
        pick_other,
    )
    st.caption(state.escape_md(matrix.attrs["kind"]))
    tables.dataframe(matrix, width="content", key="qc_agr_matrix")


def _disagreements_section(
    project: Any, data: Any, version: int, table: pd.DataFrame, choice: _Choice, key: tuple[Any, ...] = ()
) -> None:
    """The disagreements worst code first, as a table; one of them read side by side below."""
    coders = choice.coders
    st.subheader("Disagreements, worst code first")
    dis = _disagreements(
        data,
        project.database_url,
        project.actor,
        version,
        tuple(coders),
        choice.unit,
        choice.documents,
        choice.scope,
        choice.interviewer,
    )
    dis = state.derived(project, version, "agreement.worst_first", lambda: _worst_first(dis, table), *key)
    st.caption(
        f"{len(dis)} unit × code disagreement(s), the codes with the lowest alpha first. "
        "Click a row (or choose it under *Look at one*) to read it with each coder's codes side by side."
        + (
            f" The first {DIS_SHOWN} are listed here; all {len(dis)} are in disagreements.csv and on the "
            "Adjudicate page."
            if len(dis) > DIS_SHOWN
            else ""
        )
    )
    side = ["document", "participant", "text", "code_label", "code_alpha"] + [
        f"codes_{c}" for c in coders if f"codes_{c}" in dis.columns
    ]
    names = {
        "document": "Document",
        "participant": "Participant",
        "text": "Text",
        "code_label": "Code",
        "code_alpha": "Code's alpha",
        **{f"codes_{c}": f"Codes by {c}" for c in coders},
    }
    shown = state.derived(
        project, version, "agreement.dis_shown", lambda: dis[side].head(DIS_SHOWN).rename(columns=names), *key
    )
    tables.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        key="qc_agr_dis",
        column_config={"Text": st.column_config.TextColumn("Text", width="large")},
        on_select=_on_row_picked,
        selection_mode="single-row",
    )
    if len(dis) > DIS_SHOWN:
        st.download_button(
            f"Download all {len(dis)} disagreements (disagreements.csv)",
            lambda: to_csv(dis) or "",
            "disagreements.csv",
            "text/csv",
            key="qc_agr_dis_csv",
        )
    if len(dis):
        listed = dis.head(DIS_SHOWN)
        labels = state.derived(project, version, "agreement.dis_labels", lambda: _pick_labels(listed), *key)
        _look_at_one(listed, choice, labels)


def _pick_labels(dis: pd.DataFrame) -> list[str]:
    """One line per disagreement for the *Look at one* box: code, document, characters."""
    return [
        f"{label} · {document} {start}–{end}"
        for label, document, start, end in zip(dis["code_label"], dis["document"], dis["unit_start"], dis["unit_end"])
    ]


def _look_at_one(dis: pd.DataFrame, choice: _Choice, labels: list[str] | None = None) -> None:
    """The chosen disagreement side by side, and the button that sends it to Adjudicate."""
    if not 0 <= int(st.session_state.get("qc_agr_pick", 0)) < len(dis):
        st.session_state["qc_agr_pick"] = 0  # the list changed under the old choice
    shown = labels if labels is not None else _pick_labels(dis)
    pick = st.selectbox("Look at one", list(range(len(dis))), key="qc_agr_pick", format_func=shown.__getitem__)
    row = dis.iloc[pick]
    with st.container(border=True, key="qc_agr_passage"):
        passage(row, choice.coders)
    if st.button("Send to Adjudicate", key="qc_agr_send", type="primary"):
        _send_to_adjudicate(row, choice)


def _send_to_adjudicate(row: Any, choice: _Choice) -> None:
    """Hand the disagreement and the comparison's settings to the Adjudicate page and go there."""
    st.session_state[FOCUS_KEY] = {
        "document": str(row["document"]),
        "unit_start": int(row["unit_start"]),
        "unit_end": int(row["unit_end"]),
        "code": str(row["code"]),
        "coders": list(choice.coders),
        "unit": choice.unit,
    }
    st.session_state["qc_adj_unit"] = choice.unit
    st.session_state["qc_adj_coders"] = list(choice.coders)
    st.session_state["qc_adj_docs"] = [str(row["document"])]
    st.session_state["qc_adj_all"] = choice.scope == "all"
    st.session_state["qc_adj_interviewer"] = choice.interviewer
    st.session_state["qc_adj_page"] = 1  # the passage sent is the first row: on the editor's first page
    _go_to_adjudicate()


def _on_row_picked() -> None:
    """A click on a row of the disagreements opens it below (the "Look at one" choice)."""
    picked = st.session_state.get("qc_agr_dis")
    rows = list(picked.get("selection", {}).get("rows", [])) if picked else []
    if rows:
        st.session_state["qc_agr_pick"] = int(rows[0])


def passage(row: Any, coders: list[str]) -> None:
    """One disagreement: where it is, its text, and each coder's codes there side by side."""
    where = f"{row['code_label']} · {row['document']} ({row['participant']}), characters {row['unit_start']}–{row['unit_end']}"
    st.caption(state.escape_md(where))
    st.text(str(row["text"]))
    columns = st.columns(max(len(coders), 1))
    for col, coder in zip(columns, coders):
        with col:
            st.markdown(f"**{state.escape_md(coder)}**")
            st.text(str(row.get(f"codes_{coder}", "")) or "(nothing)")


def _go_to_adjudicate() -> None:
    from . import adjudicate

    try:
        st.switch_page(st.Page(adjudicate.render, title="Adjudicate", url_path="adjudicate"))
    except Exception:  # noqa: BLE001 - navigation unavailable (e.g. a bare script run): say where to go
        st.success("Sent: open the Adjudicate page to decide it.")
