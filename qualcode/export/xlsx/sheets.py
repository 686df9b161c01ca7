"""The workbook's sheets, one builder per sheet, each a :class:`~.writing._Sheet` from the analysis
functions."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ... import reports
from ...errors import QualcodeError
from ...frames import AnalysisData
from ...vocabulary import CONSENSUS
from .writing import _Sheet

CODINGS_COLUMNS = [
    "participant",
    "document",
    "start",
    "end",
    "quote",
    "code",
    "code_label",
    "code_path",
    "theme",
    "cross_cutting",
    "annotator",
    "memo",
    "created",
]
SHEETS = (
    "Interviewees",
    "Codebook",
    "Expert × theme",
    "Expert × theme (0-1)",
    "Code frequencies",
    "Co-occurrence",
    "Inter-coder agreement",
    "Disagreements",
    "Saturation",
    "Framework matrix",
    "Codings",
    "Memos",
    "About",
)


def _interviewees(data: AnalysisData) -> _Sheet:
    df = reports.participant_table(data)
    headers = [c.replace("_", " ").capitalize() for c in df.columns]
    return _Sheet(
        "Interviewees", df, "List of interviewees (thesis Appendix A): one row per participant.", headers=headers
    )


def _codebook_sheet(data: AnalysisData, annotators: Sequence[str] | None, max_quotes: int) -> _Sheet:
    q = reports.quote_table(data, annotators=annotators, max_quotes=max_quotes)
    cb = data.codebook
    labels = dict(zip(data.participants["participant"].astype(str), data.participants["label"].astype(str)))
    examples = []
    for code, quotes in zip(q["code"], q["quotes"]):
        if quotes:
            examples.append(quotes)
        elif code in cb.codes and cb.codes[code].examples:
            examples.append("\n\n".join(cb.codes[code].examples))  # codebook example, no coding yet
        else:
            examples.append("")
    experts = [reports.experts_phrase(e.split(",") if e else [], labels) for e in q["experts"]]
    df = pd.DataFrame(
        {
            "theme": q["theme"],
            "sub_theme": q["sub_theme"],
            "code": q["label"],
            "example": examples,
            "codings": q["codings"],
            "experts": experts,
        }
    )
    note = (
        f"Codebook (thesis Appendix B). Example of a code: up to {max_quotes} distinct excerpts per code, "
        "participants in order (the codebook's own example when nothing is coded yet). "
        "Number of codings: coding rows of the selected annotators. "
        "Experts: participants with at least one excerpt of the code."
    )
    return _Sheet(
        "Codebook",
        df,
        note,
        headers=["Theme", "Sub-theme", "Code", "Example of a code", "Number of codings", "Experts"],
        wrap=["theme", "sub_theme", "code", "example", "experts"],
        merge=["theme", "sub_theme"],
        max_width={"theme": 24, "sub_theme": 26, "code": 30, "example": 70, "experts": 22},
    )


def _matrix_sheet(data: AnalysisData, annotators: Sequence[str] | None, presence: bool) -> _Sheet:
    m = reports.matrix(data, by="theme", level=1, presence=presence, annotators=annotators)
    df = m.reset_index()
    title = "Expert × theme (0-1)" if presence else "Expert × theme"
    what = (
        "1 when the participant has at least one excerpt under the sub-theme, else 0"
        if presence
        else "number of distinct excerpts (coded spans) of the participant under the sub-theme"
    )
    note = (
        f"Participants × sub-themes (codes directly under a main theme count for the main theme): {what}. "
        f"{m.attrs['uncoded']}."
    )
    return _Sheet(
        title,
        df,
        note,
        headers=["Participant"] + [str(c) for c in m.columns],
        color_scale=not presence,
        max_width={c: 18 for c in m.columns},
    )


def _frequencies_sheet(data: AnalysisData, annotators: Sequence[str] | None) -> _Sheet:
    n_annotators = reports._select(data, annotators).codings["annotator"].nunique()
    df = reports.code_frequencies(data, annotators=annotators, by_annotator=n_annotators > 1)
    note = (
        f"One row per code. {df.attrs['unit']}. Codings count every coding row (two annotators on one "
        "span = 2 codings, 1 excerpt). experts = participants with at least one excerpt."
    )
    return _Sheet("Code frequencies", df, note, max_width={"theme_path": 45, "label": 40})


def _cooccurrence_sheet(data: AnalysisData, annotators: Sequence[str] | None, unit: str) -> _Sheet:
    fallback = ""
    try:
        df = reports.cooccurrence(data, unit=unit, annotators=annotators)
    except QualcodeError as exc:
        fallback = f"By-{unit} co-occurrence was not possible ({exc.problems[0].message}); overlap used instead. "
        df = reports.cooccurrence(data, unit="overlap", annotators=annotators)
    blank = df["c_coefficient"].isna() if "c_coefficient" in df.columns else pd.Series(False, index=df.index)
    note = (
        fallback + f"Pairs of codes in the same unit; unit: {df.attrs['unit']}. n = units containing both; "
        "jaccard = n / (n_a + n_b - n) over units; c_coefficient = ATLAS.ti's n12 / (n1 + n2 - n12) with "
        "n1, n2 = excerpts of each code. " + df.attrs["uncoded"] + "."
    )
    if blank.any():
        note += (
            f" {int(blank.sum())} c_coefficient cell(s) are blank: undefined because n1 + n2 - n12 is not "
            "positive (an excerpt spans several units, so n12 exceeds the excerpts); each blank cell's note "
            "gives the numbers."
        )
    cell_notes: dict[str, list[str | None]] = {}
    if blank.any():
        cell_notes["c_coefficient"] = [
            (
                f"c-coefficient undefined: n1 + n2 - n12 = {int(e_a)} + {int(e_b)} - {int(n)} = "
                f"{int(e_a) + int(e_b) - int(n)}, not positive (n1, n2 = excerpts of each code; n12 = "
                f"{df.attrs['unit']} units holding both). An excerpt spanning several units counts once in n1 "
                "but in every unit in n12. Jaccard over units is still given."
            )
            if is_blank
            else None
            for is_blank, e_a, e_b, n in zip(blank, df["excerpts_a"], df["excerpts_b"], df["n"])
        ]
    return _Sheet(
        "Co-occurrence",
        df,
        note,
        formats={"jaccard": "0.000", "c_coefficient": "0.000"},
        max_width={"label_a": 40, "label_b": 40},
        cell_notes=cell_notes,
    )


def _saturation_sheet(data: AnalysisData, annotators: Sequence[str] | None) -> _Sheet:
    from ...saturation import saturation_report

    pooled, pooling = reports.pool(data, annotators)
    if pooled.codings.empty:
        return _note_sheet("Saturation", "No codings yet, so no saturation assessment.")
    result = saturation_report(pooled, pooled=pooling.text, orders=1000, seed=0)
    df = result.table.drop(columns=["new_theme_ids"])
    note = " ".join(result.lines()) + (
        " One row per interview in interview order: the codes it used first, the running total and the share of "
        "all codes reached (Guest, Bunce & Johnson 2006)."
    )
    return _Sheet(
        "Saturation",
        df,
        note,
        formats={"share_of_codes": "0.0%", "share_of_themes": "0.0%"},
        max_width={"new_code_ids": 80},
    )


def _framework_sheet(data: AnalysisData, annotators: Sequence[str] | None, summaries: Any) -> _Sheet:
    """Participants × main themes (Ritchie & Spencer's framework matrix): codes, short quotes with
    their source and the team's summary in each cell (qualcode.framework)."""
    from ...framework import framework_matrix

    if not len(data.documents):
        return _note_sheet("Framework matrix", "No interviews yet, so no framework matrix.")
    result = framework_matrix(data, level="theme", annotators=annotators, summaries=summaries)
    grid = result.grid
    note = (
        "Framework matrix (Ritchie & Spencer): one row per participant, one column per main theme; each cell "
        "lists the codes of the participant's excerpts in the theme (distinct excerpts each), up to 3 short "
        "quotes with their source (document start–end) and the team's summary. " + " ".join(result.lines())
    )
    themes = [c for c in grid.columns if c != "Participant"]
    return _Sheet(
        "Framework matrix",
        grid,
        note,
        wrap=list(grid.columns),
        max_width={"Participant": 22, **{c: 48 for c in themes}},
        freeze="B2",
    )


def _note_sheet(title: str, text: str) -> _Sheet:
    return _Sheet(title, pd.DataFrame({"note": [text]}), text, headers=["Note"], wrap=["note"], max_width={"note": 100})


def _agreement_sheets(
    data: AnalysisData, agreement_annotators: Sequence[str] | None, unit: str, bootstrap: int
) -> tuple[_Sheet, _Sheet]:
    present = reports._natural_sorted(data.codings["annotator"].dropna().astype(str).unique())
    chosen = list(agreement_annotators) if agreement_annotators is not None else [a for a in present if a != CONSENSUS]
    if len(chosen) < 2:
        text = (
            f"Inter-coder agreement needs at least two annotators who coded the same documents; "
            f"found {len(chosen)} ({', '.join(chosen) or 'none'}). Have a second coder code some "
            "interviews (or pass agreement_annotators=...), then export again."
        )
        return _note_sheet("Inter-coder agreement", text), _note_sheet("Disagreements", text)
    try:
        from ...reliability import describe, disagreements, intercoder_agreement
    except ImportError:  # pragma: no cover - the module ships with qualcode
        text = "Inter-coder agreement is not available in this installation (qualcode.reliability missing)."
        return _note_sheet("Inter-coder agreement", text), _note_sheet("Disagreements", text)
    try:
        agr = intercoder_agreement(data, annotators=chosen, unit=unit, by="both", bootstrap=bootstrap)
        dis = disagreements(data, annotators=chosen, unit=unit)
    except QualcodeError as exc:  # e.g. no document coded by every coder yet: the rest still exports
        text = f"No inter-coder agreement computed. {exc}"
        return _note_sheet("Inter-coder agreement", text), _note_sheet("Disagreements", text)
    note = describe(agr).replace("\n", ". ") + "."
    formats = {c: "0.000" for c in agr.columns if pd.api.types.is_float_dtype(agr[c])}
    d_note = (
        f"Every {unit} where the annotators ({', '.join(chosen)}) differ: the text and each annotator's codes. "
        + (f"Unit: {dis.attrs['unit']}. " if "unit" in dis.attrs else "")
        + (f"Documents: {dis.attrs['scope']}." if "scope" in dis.attrs else "")
    )
    wrap = [c for c in dis.columns if c in ("text", "quote")]
    return (
        _Sheet("Inter-coder agreement", agr.reset_index(drop=True), note, formats=formats),
        _Sheet("Disagreements", dis.reset_index(drop=True), d_note, max_width={c: 70 for c in wrap}),
    )


def codings_table(data: AnalysisData, annotators: Sequence[str] | None = None) -> pd.DataFrame:
    """The tidy long table of codings: one row per coding, ordered by participant,
    document and position.  Columns: participant (label), document, start, end, quote,
    code (id), code_label, code_path ("Main > Sub > Code"), theme (main theme label),
    cross_cutting (labels joined by "; "), annotator, memo, created."""
    x = reports._coded(data, annotators)
    c = x.data.codings
    cb = x.data.codebook
    idx = x.idx
    order = np.lexsort((x.ann, x.code, x.end, x.start, x.doc, np.where(x.part >= 0, x.part, len(x.parts))))
    labels = dict(zip(x.data.participants["participant"].astype(str), x.data.participants["label"].astype(str)))
    part_names = np.array([labels.get(p, p) for p in x.parts] + [""], dtype=object)
    codes = np.asarray(idx.code_order, dtype=object)
    path = np.array([cb.code_path_labels(k) if k in cb.codes else k for k in idx.code_order], dtype=object)
    main = np.array(
        [cb.themes[idx.code_path[k][0]].label if idx.code_path[k] else "" for k in idx.code_order], dtype=object
    )
    cross = np.array(
        [
            "; ".join(cb.cross_cutting[x_].label for x_ in cb.cross_cutting_of(k)) if k in cb.codes else ""
            for k in idx.code_order
        ],
        dtype=object,
    )
    label = np.array([idx.code_label[k] for k in idx.code_order], dtype=object)
    code_i = x.code[order]

    def col(name: str) -> pd.Series:
        return c[name].iloc[order].reset_index(drop=True) if name in c.columns else pd.Series([None] * len(order))

    return pd.DataFrame(
        {
            "participant": part_names[np.where(x.part[order] >= 0, x.part[order], len(x.parts))],
            "document": col("document"),
            "start": x.start[order],
            "end": x.end[order],
            "quote": col("quote"),
            "code": codes[code_i],
            "code_label": label[code_i],
            "code_path": path[code_i],
            "theme": main[code_i],
            "cross_cutting": cross[code_i],
            "annotator": col("annotator"),
            "memo": col("memo"),
            "created": col("created_at"),
        }
    )


def _about_sheet(data: AnalysisData, sheets: Sequence[_Sheet], annotators: Sequence[str] | None) -> _Sheet:
    rows = [{"sheet": s.title, "what it shows": s.note} for s in sheets]
    rows.append(
        {
            "sheet": "(definitions)",
            "what it shows": "Excerpt = a distinct coded span (document, start, end): two annotators coding the same span, "
            "or one span coded with two codes of one theme, count once for that theme. Uncoded text is "
            "never counted. See docs/methods.md, 'Counts, themes and expert consensus'.",
        }
    )
    rows.append(
        {
            "sheet": "(selection)",
            "what it shows": f"Counts use the codings of: {', '.join(annotators) if annotators else 'all annotators'}. "
            f"Written {_dt.datetime.now().astimezone().isoformat(timespec='seconds')} by qualcode.",
        }
    )
    return _Sheet(
        "About",
        pd.DataFrame(rows),
        "What each sheet counts.",
        headers=["Sheet", "What it shows"],
        wrap=["what it shows"],
        max_width={"what it shows": 110, "sheet": 24},
    )
