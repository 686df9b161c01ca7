"""Smoke tests of benchmarks/ at toy size, so the suite does not rot.  No timing is checked:
only that the generator builds a valid project both ways (folder + sync, and straight into the
store), and that the figure functions return complete records with matching alpha values."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import synth  # noqa: E402

TOY = synth.Spec(n_interviews=4, words=400, long_words=0, n_codes=8, n_themes=2, n_coders=3, n_codings=300, seed=3)
REQUIRED = {"name", "ours_s", "baseline_s", "ratio", "target", "met"}


def _bench_run():
    spec = importlib.util.spec_from_file_location("qualcode_bench_run", BENCH / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def toy_project(tmp_path_factory: pytest.TempPathFactory):
    from qualcode.project import Project

    synthetic = synth.generate(TOY)
    root = synth.write_project(synthetic, tmp_path_factory.mktemp("bench") / "project")
    project = Project.open(root)
    project.sync()
    yield synthetic, project
    project.close()


def test_generator_is_deterministic_and_marked_synthetic() -> None:
    a, b = synth.generate(TOY), synth.generate(TOY)
    assert [d.body for d in a.documents] == [d.body for d in b.documents]
    assert a.codings == b.codings
    assert "SYNTHETIC" in (synth.__doc__ or "")
    assert {c.annotator for c in a.codings} == {"coder1", "coder2", "coder3"}


def test_folder_path_imports_every_coding_and_sentence(toy_project) -> None:
    synthetic, project = toy_project
    codebook_text = (project.root / "codebook.yaml").read_text(encoding="utf-8")
    assert codebook_text.startswith("# SYNTHETIC")
    assert len(project.codebook.codes) == TOY.n_codes
    status = project.status()
    assert status["documents"] == TOY.n_interviews
    assert status["codings"] == len(synthetic.codings)
    # The segmenter finds exactly the sentences the generator wrote (participant turns).
    segments = project.store.segments_frame()
    for doc in synthetic.documents:
        assert project.store.document_text(doc.name) == doc.body
        found = segments.loc[(segments["document"] == doc.name) & (segments["kind"] == "sentence")]
        assert set(doc.sentences) <= set(zip(found["start"], found["end"]))
        turns = found["speaker"].dropna().unique().tolist()
        assert set(turns) == {"Interviewer", f"Participant {doc.metadata['participant']}"}


def test_direct_path_stores_the_same_project(tmp_path: Path, toy_project) -> None:
    from qualcode.store import LOCAL_ADMIN, Store, sqlite_url

    synthetic, project = toy_project
    store = Store(sqlite_url(tmp_path / "direct.db"))
    synth.load_into_store(synthetic, store, batch=100)
    cols = ["document", "start", "end", "code", "annotator"]
    direct = store.codings_frame(LOCAL_ADMIN)[cols].sort_values(cols).reset_index(drop=True)
    folder = project.store.codings_frame(LOCAL_ADMIN)[cols].sort_values(cols).reset_index(drop=True)
    assert direct.equals(folder)
    assert len(store.segments_frame()) == len(project.store.segments_frame())
    store.dispose()


def test_figures_have_the_required_keys_and_alpha_matches(tmp_path: Path, toy_project) -> None:
    synthetic, project = toy_project
    run = _bench_run()
    data = project.analysis_data()
    figures = (
        run.figure_reliability(data, full=False)
        + run.figure_excel(data, tmp_path, full=False)
        + run.figure_reports(project, project.root, full=False)
    )
    records = json.loads(json.dumps([f.as_json() for f in figures]))
    for record in records:
        assert REQUIRED <= set(record)
    reliability = records[0]
    assert reliability["extra"]["alpha_identical"] is True
    assert reliability["extra"]["max_abs_delta_alpha"] <= 1e-9
    assert reliability["extra"]["codes_with_alpha"] > 0
    for record in records:
        if record["target"]:
            assert record["ratio"] is not None and isinstance(record["met"], bool)
    assert any(r["peak_rss_mb"] for r in records)


def test_concurrency_writers_store_codings(tmp_path: Path) -> None:
    import concurrency

    from qualcode.store import LOCAL_ADMIN, Store

    synthetic = synth.generate(TOY)
    url = f"sqlite:///{tmp_path / 'writers.db'}"
    store = Store(url)
    synth.load_into_store(synthetic, store)
    before = len(store.codings_frame(LOCAL_ADMIN))
    result = concurrency.run_writers(url, 2, 0.5, tmp_path, "t")
    after = len(store.codings_frame(LOCAL_ADMIN))
    store.dispose()
    assert result["codings"] == after - before - 2 * 3  # each writer's 3 warm-up codings are not counted
    assert result["codings"] > 0


def test_report_renders_the_browser_page_figures(tmp_path: Path) -> None:
    """The first-load, switching and navigation figures (benchmarks/browser.py) are written by
    run.py as plain Figure records; report.py renders every one of them, extras included."""
    import report
    from common import Figure

    names = ["5b browser: first load of the Code page (new session) → transcript ready"]
    names += ["5c browser: switch interview → transcript ready"]
    names += [f"7 browser: navigate to {p}" for p in ("Code", "Reports", "Agreement")]
    figures = [
        Figure(n, 0.2, 0.1, 2.0, "<= 2.0", ours="o", baseline="b", repeats=5, extra={"first_visit_s": 1.5}).judge()
        for n in names
    ]
    out = tmp_path / "r.json"
    out.write_text(json.dumps([f.as_json() for f in figures]), encoding="utf-8")
    text = report.render(out)
    for n in names:
        assert f"| {n} | 0.200 | 0.100 | 2.000 | <= 2.0 | yes |" in text
    assert "first_visit_s = 1.5" in text
