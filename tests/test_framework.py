"""The framework matrix (participants × themes: codes, short quotes, team summaries) on a small
hand-built, synthetic project with known answers: the pure function, the stored summaries
(audit, versions, roles, blind mode), the CLI, backups, REFI-QDA Notes and the exports.

Every text and coding below is made up for the test; none of it is research data.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from lxml import etree

from qualcode import schema as s
from qualcode.backup import backup, restore
from qualcode.errors import ConflictError, PermissionDenied, QualcodeError
from qualcode.framework import EXCERPT_COLUMNS, LEVELS, framework_columns, framework_matrix, shorten
from qualcode.model import Coding
from qualcode.project import Project
from qualcode.store import Actor

DATA = Path(__file__).parent / "data" / "refi"
NS = {"q": "urn:QDA-XML:project:1.0"}

CODEBOOK = """\
title: Synthetic framework test (made-up data)
themes:
  - id: routes
    label: Routes
    codes:
      - id: transit
        label: Transit
    themes:
      - id: land
        label: Land routes
        codes:
          - id: rail
            label: Rail
      - id: air
        label: Air routes
        codes:
          - id: flights
            label: Flights
  - id: policy
    label: Policy
    codes:
      - id: visas
        label: Visas
      - id: quotas
        label: Quotas
cross_cutting: []
"""

# Synthetic interviews (invented sentences).
TEXTS = {
    "p1": "Alpha. We take the train through the steppe. Visas are slow. Flights are expensive.",
    "p2": "Beta. Visas are fine. Nothing else to add here.",
    "p3": "Gamma. This one was never coded.",
}


def span(doc: str, quote: str) -> tuple[int, int]:
    start = TEXTS[doc].index(quote)
    return start, start + len(quote)


def make_synthetic(root: Path) -> Project:
    """The synthetic project: three invented interviews, two coders, an assistant, a consensus layer."""
    (root / "interviews").mkdir(parents=True)
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    for name, text in TEXTS.items():
        pid = name.upper()
        (root / "interviews" / f"{name}.md").write_text(
            f"---\nparticipant: {pid}\nlabel: Person ({pid})\n---\n{text}\n", encoding="utf-8"
        )
    p = Project.open(root)
    p.sync()

    def add(doc: str, quote: str, code: str, annotator: str) -> None:
        start, end = span(doc, quote)
        p.add_codings([Coding(doc, start, end, code, annotator)])

    add("p1", "We take the train", "rail", "ann1")
    add("p1", "We take the train", "rail", "ann2")  # the same excerpt, a second coder
    add("p1", "Visas are slow", "visas", "ann1")
    add("p1", "Visas are slow", "quotas", "ann2")  # one excerpt, two codes of one theme
    add("p1", "Flights are expensive", "flights", "ann1")
    add("p1", "Alpha", "transit", "model:test")  # software: never pooled by default
    add("p2", "Nothing else to add here", "quotas", "ann1")  # replaced by the consensus layer
    p.save_consensus([Coding("p2", *span("p2", "Visas are fine"), "visas", "consensus")])
    return p


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = make_synthetic(tmp_path / "synthetic")
    yield p
    p.close()


# ------------------------------------------------------------------------------ the pure function
def test_columns_per_level(project: Project) -> None:
    data = project.analysis_data()
    assert framework_columns(data, "theme") == ["routes", "policy"]
    # at sub-theme level a main theme with codes of its own keeps a column for them
    assert framework_columns(data, "subtheme") == ["routes", "land", "air", "policy"]


def test_theme_level_cells_have_known_codes_quotes_and_pooling(project: Project) -> None:
    m = project.framework()
    assert m.grid.columns.tolist() == ["Participant", "Routes", "Policy"]
    assert m.grid["Participant"].tolist() == ["Person (P1)", "Person (P2)", "Person (P3)"]
    p1_routes = m.cell("P1", "routes")
    assert p1_routes["Codes"] == "Rail (1), Flights (1)"
    assert p1_routes["Excerpts"] == 2
    assert p1_routes["Quotes"].splitlines() == [
        f"“We take the train” (p1 {span('p1', 'We take the train')[0]}–{span('p1', 'We take the train')[1]})",
        f"“Flights are expensive” (p1 {span('p1', 'Flights are expensive')[0]}–"
        f"{span('p1', 'Flights are expensive')[1]})",
    ]
    # one excerpt carrying two codes of the theme counts once, each code once
    p1_policy = m.cell("P1", "policy")
    assert (p1_policy["Codes"], p1_policy["Excerpts"]) == ("Visas (1), Quotas (1)", 1)
    # P2: the consensus layer replaces ann1's codings in the adjudicated document
    assert m.cell("P2", "policy")["Codes"] == "Visas (1)"
    assert m.cell("P2", "routes")["Excerpts"] == 0
    assert m.grid.loc[2, "Routes"] == "" and m.grid.loc[2, "Policy"] == ""
    assert "consensus" in m.pooled and "ann1, ann2" in m.pooled and "model:test" in m.pooled
    assert m.grid.attrs["column_ids"] == ["routes", "policy"]
    excerpts = m.excerpts("P1", "policy")
    assert excerpts.columns.tolist()[:3] == ["Participant", "Theme", "Document"]
    assert excerpts["Annotators"].tolist() == ["ann1, ann2"]
    assert excerpts["Quote"].tolist() == ["Visas are slow"]


def test_subtheme_level_and_explicit_annotators(project: Project) -> None:
    m = project.framework(level="subtheme")
    assert m.grid.columns.tolist() == ["Participant", "Routes", "Land routes", "Air routes", "Policy"]
    assert m.cell("P1", "land")["Codes"] == "Rail (1)"
    assert m.cell("P1", "air")["Codes"] == "Flights (1)"
    assert m.cell("P1", "routes")["Codes"] == ""  # the assistant's transit coding is not pooled
    chosen = project.framework(level="subtheme", annotators=["model:test"])
    assert chosen.cell("P1", "routes")["Codes"] == "Transit (1)"
    assert chosen.pooled == "codings of model:test (as chosen)"


def test_bad_level_and_annotator_are_named_errors(project: Project) -> None:
    with pytest.raises(QualcodeError, match=r"Unknown framework level 'subthemes'.*Did you mean 'subtheme'"):
        project.framework(level="subthemes")
    with pytest.raises(QualcodeError, match="ann9"):
        project.framework(annotators=["ann9"])
    assert LEVELS == ("theme", "subtheme")


def test_quotes_are_cut_and_counted() -> None:
    assert shorten("one two three four five six", 15) == "one two three…"
    assert len(shorten("x" * 500, 40)) <= 40


def test_max_quotes_says_how_many_more(project: Project) -> None:
    m = project.framework(max_quotes=1)
    assert m.cell("P1", "routes")["Quotes"].splitlines()[-1] == "(+1 more excerpt(s))"
    with pytest.raises(QualcodeError, match="max_quotes"):
        project.framework(max_quotes=-1)


def test_orphaned_summaries_are_listed_not_shown(project: Project) -> None:
    data = project.analysis_data()
    m = framework_matrix(
        data,
        summaries=[
            {"participant_id": "P1", "theme_id": "routes", "text": "Trains."},
            {"participant_id": "P1", "theme_id": "gone_theme", "text": "Old."},
            {"participant_id": "P9", "theme_id": "policy", "text": "Removed interview."},
        ],
    )
    assert m.cell("P1", "routes")["Summary"] == "Trains."
    assert m.grid.loc[0, "Routes"].endswith("Summary: Trains.")
    assert sorted(m.orphans["theme_id"]) == ["gone_theme", "policy"]
    assert any("no longer in the project" in line for line in m.lines())


# ------------------------------------------------------------------------------ stored summaries
def test_summaries_are_stored_versioned_and_audited(project: Project) -> None:
    first = project.set_framework_summary("Person (P1)", "Routes", "  Travels by rail and air.  ")
    assert (first["action"], first["version"], first["participant"], first["theme"]) == ("set", 1, "P1", "routes")
    again = project.set_framework_summary("P1", "routes", "Travels by rail and air.")
    assert again["action"] == "unchanged"
    second = project.set_framework_summary("P1", "routes", "Mostly rail.", expected_version=1)
    assert second["version"] == 2
    with pytest.raises(ConflictError, match="changed since you opened it"):
        project.set_framework_summary("P1", "routes", "Stale edit.", expected_version=1)
    m = project.framework()
    cell = m.cell("P1", "routes")
    assert (cell["Summary"], cell["Summary by"], cell["summary_version"]) == ("Mostly rail.", "local", 2)
    history = project.framework_summary_history("P1", "routes")
    assert history["action"].tolist() == ["framework.summary.set", "framework.summary.set"]
    assert history["before"].iloc[1]["text"] == "Travels by rail and air."
    assert history["after"].iloc[1] == {"text": "Mostly rail.", "version": 2, "updated_by": "local"}
    cleared = project.set_framework_summary("P1", "routes", "   ")
    assert cleared["action"] == "clear"
    assert not len(project.framework_summaries())
    audit = project.audit_frame()
    assert audit.loc[audit["entity"] == "framework_summary", "action"].tolist()[-1] == "framework.summary.clear"


@pytest.mark.parametrize("level", ["theme", "subtheme"])
def test_each_cells_excerpts_and_row_are_those_of_its_ids_in_document_order(project: Project, level: str) -> None:
    """The looked-up cells (row positions found once per matrix) are exactly what comparing
    every row's ids gives, for every cell, and an unknown cell is a KeyError."""
    m = project.framework(level=level)
    table, cells = m.excerpt_table, m.cells
    for participant, theme in cells[["participant_id", "theme_id"]].itertuples(index=False):
        scanned = table.loc[(table["participant_id"] == participant) & (table["theme_id"] == theme)]
        pd.testing.assert_frame_equal(m.excerpts(participant, theme), scanned[EXCERPT_COLUMNS].reset_index(drop=True))
        row = cells.loc[(cells["participant_id"] == participant) & (cells["theme_id"] == theme)].iloc[0]
        assert m.cell(participant, theme) == dict(row)
    assert m.excerpts("P7", "routes").empty and list(m.excerpts("P7", "routes").columns) == EXCERPT_COLUMNS
    with pytest.raises(KeyError):
        m.cell("P7", "routes")


def test_unknown_cells_are_refused_naming_valid_values(project: Project) -> None:
    with pytest.raises(QualcodeError, match=r"Participant 'P7' does not exist.*'P1', 'P2', 'P3'"):
        project.set_framework_summary("P7", "routes", "x")
    with pytest.raises(QualcodeError, match=r"Theme 'polcy' is not in the codebook.*Did you mean 'policy'"):
        project.set_framework_summary("P1", "polcy", "x")
    with pytest.raises(QualcodeError, match="at most"):
        project.set_framework_summary("P1", "policy", "x" * 20_001)


def test_the_schema_keeps_one_summary_per_cell(project: Project) -> None:
    project.set_framework_summary("P1", "policy", "Slow visas.")
    row = {
        "participant_id": "P1",
        "theme_id": "policy",
        "text": "A second one",
        "version": 1,
        "created_at": "x",
        "created_by": "x",
        "updated_at": "x",
        "updated_by": "x",
    }
    with pytest.raises(sa.exc.IntegrityError), project.store.engine.begin() as conn:
        conn.execute(s.framework_summaries.insert().values(**row))
    with pytest.raises(sa.exc.IntegrityError), project.store.engine.begin() as conn:
        conn.execute(s.framework_summaries.insert().values(**{**row, "theme_id": "routes", "text": ""}))


def test_roles_and_blind_mode(project: Project) -> None:
    annotator = project.as_user(Actor("ann1", "annotator"))
    assert annotator.set_framework_summary("P2", "policy", "Visas fine.")["action"] == "set"
    project.set_setting("blind_mode", "true")
    with pytest.raises(PermissionDenied, match="blind coding"):
        annotator.set_framework_summary("P2", "policy", "Changed.")
    assert not len(annotator.framework_summaries())
    supervisor = project.as_user(Actor("sup", "supervisor"))
    assert supervisor.set_framework_summary("P2", "policy", "Changed by the supervisor.")["version"] == 2
    project.set_setting("blind_revealed", "true")
    assert annotator.framework_summaries()["text"].tolist() == ["Changed by the supervisor."]


def test_migration_6_adds_the_table_to_an_older_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    from qualcode.store import Store

    Store(url).dispose()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE framework_summaries")
        conn.exec_driver_sql("DELETE FROM schema_migrations WHERE version = 6")
    engine.dispose()
    store = Store(url)
    assert 6 in store.schema_versions() and s.SCHEMA_VERSION == max(v for v, _, _ in s.MIGRATIONS)
    assert [v for v, _, _ in s.MIGRATIONS] == sorted(v for v, _, _ in s.MIGRATIONS)
    assert sa.inspect(store.engine).has_table("framework_summaries")
    store.dispose()


# ------------------------------------------------------------------------------ backups and REFI-QDA
def test_summaries_survive_backup_and_restore(project: Project, tmp_path: Path) -> None:
    project.set_framework_summary("P1", "routes", "Rail and air — ünïcode ✓.")
    backup(project, tmp_path / "b.qcbackup")
    fresh = Project.init(tmp_path / "fresh")
    restore(fresh, tmp_path / "b.qcbackup")
    assert fresh.framework_summaries()[["participant_id", "theme_id", "text", "version"]].to_dict("records") == [
        {"participant_id": "P1", "theme_id": "routes", "text": "Rail and air — ünïcode ✓.", "version": 1}
    ]
    assert fresh.framework().cell("P1", "routes")["Summary"] == "Rail and air — ünïcode ✓."
    fresh.close()


def test_summaries_become_refi_notes_valid_against_the_schema(project: Project, tmp_path: Path) -> None:
    project.set_framework_summary("P1", "land", "Takes the train.")
    project.set_framework_summary("P2", "policy", "Visas fine.")
    path = project.export_qdpx(tmp_path / "study.qdpx")
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("project.qde"))
    etree.XMLSchema(etree.parse(str(DATA / "Project-mrt2019.xsd"))).assertValid(root)
    notes = {n.get("guid"): n for n in root.findall("q:Notes/q:Note", NS)}
    framework = [n for n in notes.values() if n.get("name", "").startswith("Framework summary")]
    assert sorted(n.findtext("q:PlainTextContent", namespaces=NS) for n in framework) == [
        "Takes the train.",
        "Visas fine.",
    ]
    land = root.find(".//q:Code[@name='Land routes']", NS)
    ref = land.find("q:NoteRef", NS)
    assert (
        notes[ref.get("targetGUID")].findtext("q:Description", namespaces=NS).startswith("participant: P1; theme: land")
    )


# ------------------------------------------------------------------------------ CLI
def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from qualcode.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, "--project", str(root), *args], capture_output=True, text=True, check=False
    )


def test_cli_summarize_report_and_errors(project: Project) -> None:
    root = project.root
    done = _cli(root, "framework", "summarize", "Person (P1)", "Policy", "--text", "Slow visas.")
    assert done.returncode == 0, done.stderr
    assert "Saved the summary of participant 'P1', theme 'policy' (version 1)." in done.stdout
    grid = _cli(root, "report", "framework", "--format", "csv")
    assert grid.returncode == 0, grid.stderr
    assert grid.stdout.splitlines()[0] == "Participant,Routes,Policy"
    assert "Summary: Slow visas." in grid.stdout
    cells = _cli(root, "report", "framework", "--level", "subtheme", "--shape", "cells", "--format", "json")
    assert cells.returncode == 0 and '"Theme": "Land routes"' in cells.stdout
    bad = _cli(root, "report", "framework", "--level", "sub")
    assert bad.returncode == 2 and "Unknown framework level 'sub'" in bad.stderr and "'subtheme'" in bad.stderr
    bad = _cli(root, "framework", "summarize", "P8", "policy", "--text", "x")
    assert bad.returncode == 2 and "Participant 'P8' does not exist" in bad.stderr
    bad = _cli(root, "framework", "summarize", "P1", "policy")
    assert bad.returncode == 2 and "exactly one of" in bad.stderr
    shown = _cli(root, "framework", "show", "P1", "policy")
    assert shown.returncode == 0 and "Visas are slow" in shown.stdout and "Slow visas." in shown.stdout


# ------------------------------------------------------------------------------ exports
def test_workbook_has_a_framework_matrix_sheet(project: Project, tmp_path: Path) -> None:
    import openpyxl

    project.set_framework_summary("P1", "policy", "Slow visas.")
    path = project.export_xlsx(tmp_path / "analysis.xlsx", bootstrap=0)
    sheet = openpyxl.load_workbook(path)["Framework matrix"]
    assert [c.value for c in sheet[1]] == ["Participant", "Routes", "Policy"]
    assert sheet["A2"].value == "Person (P1)"
    assert sheet["C2"].value.splitlines() == [
        "Codes: Visas (1), Quotas (1)",
        "“Visas are slow” (p1 45–59)",
        "Summary: Slow visas.",
    ]
    assert sheet["C2"].alignment.wrap_text
    assert sheet.freeze_panes == "B2"  # header row and participant column stay in view
    assert "Codings counted:" in sheet["A1"].comment.text


def test_appendix_docx_has_a_framework_matrix_table(project: Project, tmp_path: Path) -> None:
    import docx

    project.set_framework_summary("P2", "policy", "Visas fine.")
    path = project.export_appendix(tmp_path / "appendix.docx")
    document = docx.Document(str(path))
    table = document.tables[-1]
    assert [c.text for c in table.rows[0].cells] == ["Participant", "Routes", "Policy"]
    assert table.rows[2].cells[2].text.endswith("Summary: Visas fine.")
    assert any(p.text.startswith("Framework matrix.") for p in document.paragraphs)
    assert document.sections[-1].page_width > document.sections[-1].page_height  # landscape


# ------------------------------------------------------------------------------ the app
REPO = Path(__file__).resolve().parents[1]


def _app(project: Project, monkeypatch: pytest.MonkeyPatch, page: str, role: str = "supervisor"):  # type: ignore[no-untyped-def]
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("QUALCODE_PROJECT", str(project.root))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=90)
    at.session_state["qc_start_page"] = page
    at.session_state["qc_local_name"] = "sam"
    at.session_state["qc_local_role"] = role
    return at


def _texts(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "header", "subheader") for e in at.get(kind))


def test_framework_page_shows_the_grid_a_cells_excerpts_and_saves_the_summary(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: siblings
    from test_app import choose

    at = _app(project, monkeypatch, "framework").run()
    assert not at.exception, at.exception
    assert "Framework matrix" in [h.value for h in at.header]
    grid = at.dataframe[0].value
    assert grid.columns.tolist() == ["Participant", "Routes", "Policy"]
    assert grid["Participant"].tolist() == ["Person (P1)", "Person (P2)", "Person (P3)"]
    choose(at, "qc_fw_participant", "P1")
    at.selectbox(key="qc_fw_theme").set_value("policy").run()
    shown = _texts(at)
    assert "Person (P1) · Policy" in shown and "Visas are slow" in shown
    area = at.text_area(key="qc_fw_text_P1_policy_0")
    area.input("Visas are slow for P1 (synthetic).").run()
    at.button(key="qc_fw_save").click().run()
    assert not at.exception, at.exception
    stored = project.framework_summaries()
    assert stored[["participant_id", "theme_id", "text", "updated_by"]].to_dict("records") == [
        {
            "participant_id": "P1",
            "theme_id": "policy",
            "text": "Visas are slow for P1 (synthetic).",
            "updated_by": "sam",
        }
    ]
    audit = project.audit_frame()
    assert audit.loc[audit["entity"] == "framework_summary", "actor"].tolist() == ["sam"]
    # the grid now shows the summary, and the editor the new version
    assert "Summary: Visas are slow for P1 (synthetic)." in at.dataframe[0].value.loc[0, "Policy"]
    assert at.text_area(key="qc_fw_text_P1_policy_1").value == "Visas are slow for P1 (synthetic)."


def test_framework_grid_is_drawn_a_page_at_a_time_and_a_click_on_page_two_opens_its_cell(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: siblings
    from test_app import picker

    from qualcode.app.pages import framework

    monkeypatch.setattr(framework, "GRID_ROWS", 2)
    at = _app(project, monkeypatch, "framework").run()
    assert not at.exception, at.exception
    assert at.dataframe[0].value["Participant"].tolist() == ["Person (P1)", "Person (P2)"]
    assert "Participants 1–2 of 3 are drawn here" in _texts(at)
    assert [label for _value, label in picker(at, "qc_fw_participant")["options"]] == [
        "Person (P1)",
        "Person (P2)",
        "Person (P3)",
    ]
    at.number_input(key=framework.PAGE_KEY).set_value(2).run()
    assert not at.exception, at.exception
    assert at.dataframe[0].value["Participant"].tolist() == ["Person (P3)"]
    assert "Participants 3–3 of 3 are drawn here" in _texts(at)
    # a click on the first row of page 2 is participant P3's cell, not P1's
    at.session_state["qc_fw_grid_2"] = {"selection": {"rows": [], "columns": [], "cells": [[0, "Policy"]]}}
    at.run()
    assert not at.exception, at.exception
    assert picker(at, "qc_fw_participant")["value"] == "P3"
    assert "Person (P3) · Policy" in _texts(at)


def test_framework_page_sub_themes_and_blind_annotators_cannot_edit(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.set_setting("blind_mode", "true")
    at = _app(project, monkeypatch, "framework", role="annotator").run()
    assert not at.exception, at.exception
    at.radio(key="qc_fw_level").set_value("subtheme").run()
    assert at.dataframe[0].value.columns.tolist() == ["Participant", "Routes", "Land routes", "Air routes", "Policy"]
    assert at.text_area(key="qc_fw_text_P1_routes_0").disabled
    assert not [b for b in at.button if b.key == "qc_fw_save"]
    assert "Blind coding is on" in _texts(at)


def test_reports_page_saturation_chart_has_the_curve_and_the_decision(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    at = _app(project, monkeypatch, "reports")
    at.session_state["qc_rep_tab"] = "Saturation"  # only the open tab runs
    at.run()
    assert not at.exception, at.exception
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    specs = [json.loads(c.proto.spec) for c in charts]
    saturation = [s for s in specs if "Interview (in interview order)" in json.dumps(s)]
    assert len(saturation) == 1
    spec = saturation[0]
    layers = spec["layer"]
    assert [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in layers] == [
        "bar",
        "line",
    ]  # three interviews: too few for a base of 4, so no saturation point is marked
    assert layers[0]["encoding"]["x"]["axis"]["values"] == [1, 2, 3]
    assert layers[0]["encoding"]["y"]["axis"]["format"] == "d"
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    chart = charts[specs.index(spec)]
    frames = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets]
    rows = next(f for f in frames if "cumulative_codes" in f.columns)
    # by name: p1 brings rail, visas, quotas, flights (4 codes), p2 nothing new (visas), p3 nothing
    got = list(zip(rows["interview"], rows["new_codes"], rows["cumulative_codes"]))
    assert [tuple(int(v) for v in r) for r in got] == [(1, 4, 4), (2, 0, 4), (3, 0, 4)]
    assert "No saturation assessment" in _texts(at)


def test_saturation_chart_marks_the_saturation_point() -> None:
    import pandas as pd

    from qualcode.app.pages.reports import saturation_chart
    from qualcode.saturation import assess_saturation, cumulative_curve

    new = [5, 4, 3, 2, 1, 1, 0, 0]  # synthetic: saturation at interview 6 (see qualcode.saturation)
    curve = cumulative_curve(new)
    table = curve.assign(
        label=[f"P{i}" for i in curve["interview"]], document=[f"p{i}" for i in curve["interview"]], new_code_ids=""
    )
    at = assess_saturation(new).saturation_at
    spec = saturation_chart(pd.DataFrame(table), at, 2).to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]]
    assert marks == ["bar", "line", "rect", "rule", "text"]
    marked = next(v for v in spec["datasets"].values() if v and "text" in v[0])
    assert marked == [{"interview": 6, "first": 6.5, "last": 8.5, "text": "saturation at interview 6"}]


def test_a_renamed_theme_keeps_its_summaries_and_undo_moves_them_back(project: Project) -> None:
    project.set_framework_summary("P1", "policy", "Slow visas.")
    project.rename_code("policy", new_id="visa_policy")
    assert project.framework_summaries()["theme_id"].tolist() == ["visa_policy"]
    assert project.framework().cell("P1", "visa_policy")["Summary"] == "Slow visas."
    project.undo()
    assert project.framework_summaries()["theme_id"].tolist() == ["policy"]
    assert project.framework().cell("P1", "policy")["Summary"] == "Slow visas."


def test_summaries_come_back_from_a_refi_round_trip(project: Project, tmp_path: Path) -> None:
    from qualcode.exchange import import_refi_into

    project.set_framework_summary("P1", "land", "Takes the train.")
    project.as_user(Actor("sup", "supervisor")).set_framework_summary("P2", "policy", "Visas fine.")
    path = project.export_qdpx(tmp_path / "study.qdpx")
    fresh = Project.init(tmp_path / "fresh")
    summary = import_refi_into(fresh, path)
    assert "Framework matrix: 2 summaries." in summary
    got = fresh.framework_summaries()[["participant_id", "theme_id", "text", "created_by"]].to_dict("records")
    assert got == [
        {"participant_id": "P1", "theme_id": "land", "text": "Takes the train.", "created_by": "local"},
        {"participant_id": "P2", "theme_id": "policy", "text": "Visas fine.", "created_by": "sup"},
    ]
    assert not fresh.memos_frame(kinds=["code"]).shape[0]  # not turned into theme memos as well
    assert fresh.framework().cell("P2", "policy")["Summary"] == "Visas fine."
    fresh.close()


def test_removing_an_interview_keeps_its_summary_and_restoring_shows_it_again(project: Project) -> None:
    project.set_framework_summary("P2", "policy", "Visas fine.")
    removed = project.remove_interview("p2")  # its participant goes with it (no other interview)
    m = project.framework()
    assert m.grid["Participant"].tolist() == ["Person (P1)", "Person (P3)"]
    assert m.orphans[["participant_id", "theme_id"]].to_dict("records") == [
        {"participant_id": "P2", "theme_id": "policy"}
    ]
    project.restore_interview(removed["audit_id"])
    assert project.framework().cell("P2", "policy")["Summary"] == "Visas fine."
