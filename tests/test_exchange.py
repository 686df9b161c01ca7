"""REFI-QDA round trip through whole projects: export → import into a fresh project → identical."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.cli import main
from qualcode.errors import ConfigError
from qualcode.exchange import import_refi_into
from qualcode.project import Project

REPO = Path(__file__).resolve().parents[1]
ATLAS = REPO / "tests" / "data" / "refi"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, copy_demo) -> Project:  # type: ignore[no-untyped-def]
    root = copy_demo(tmp_path_factory.mktemp("demo") / "demo")
    p = Project.open(root)
    p.sync()
    # a second coder with a memo, so the round trip carries several users
    data = p.analysis_data()
    for row in data.codings.head(25).itertuples():
        p.add_coding(row.document, row.start, row.end, row.code, annotator="second-coder", memo="agree ✓")
    return p


def codings_key(project: Project) -> set[tuple]:
    df = project.analysis_data().codings
    return set(zip(df["document"], df["start"], df["end"], df["code"], df["annotator"], df["memo"]))


def test_round_trip_through_a_fresh_project(demo: Project, tmp_path: Path) -> None:
    archive = demo.export_qdpx(tmp_path / "demo.qdpx")
    fresh = Project.init(tmp_path / "fresh")
    summary = import_refi_into(fresh, archive)
    assert "Imported 9 documents" in summary
    original, copy = demo.analysis_data(), fresh.analysis_data()
    assert {n: original.texts[n] for n in original.texts} == {n: copy.texts[n] for n in copy.texts}
    assert list(copy.codebook.codes) == list(original.codebook.codes)
    assert {c.id: (c.label, c.theme) for c in copy.codebook.codes.values()} == {
        c.id: (c.label, c.theme) for c in original.codebook.codes.values()
    }
    assert {t.id: (t.label, t.parent) for t in copy.codebook.themes.values()} == {
        t.id: (t.label, t.parent) for t in original.codebook.themes.values()
    }
    assert {x.id: x.codes for x in copy.codebook.cross_cutting.values()} == {
        x.id: x.codes for x in original.codebook.cross_cutting.values()
    }
    assert codings_key(fresh) == codings_key(demo)
    assert (
        copy.participants.set_index("participant")["label"].to_dict()
        == original.participants.set_index("participant")["label"].to_dict()
    )
    fresh.close()


def test_exports_are_byte_stable(demo: Project, tmp_path: Path) -> None:
    a = demo.export_qdpx(tmp_path / "a.qdpx").read_bytes()
    b = demo.export_qdpx(tmp_path / "b.qdpx").read_bytes()
    import io
    import zipfile

    za, zb = zipfile.ZipFile(io.BytesIO(a)), zipfile.ZipFile(io.BytesIO(b))
    assert {n: za.read(n) for n in za.namelist()} == {n: zb.read(n) for n in zb.namelist()}


def test_refi_import_refuses_a_project_with_data(demo: Project, tmp_path: Path) -> None:
    archive = demo.export_qdpx(tmp_path / "x.qdpx")
    with pytest.raises(ConfigError, match="fresh"):
        import_refi_into(demo, archive)


def test_cli_imports_the_real_atlas_ti_export_and_reports_what_is_lost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ATLAS.ti's sample ships no source texts: its codebook comes in, the loss is said aloud."""
    root = tmp_path / "from_atlas"
    assert main(["init", str(root)]) == 0
    assert main(["--project", str(root), "import", str(ATLAS / "atlasti-8.4-standard-project-capitalised.qdpx")]) == 0
    out = capsys.readouterr().out
    assert "Imported 0 documents, 14 codes" in out
    assert "Warning:" in out
    assert len(Project.open(root).codebook.codes) == 14


def test_cli_imports_atlas_ti_codings_with_their_users(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same ATLAS.ti project.qde with stand-in texts (see tests/data/refi/make_atlasti_with_texts.py)."""
    root = tmp_path / "from_atlas"
    assert main(["init", str(root)]) == 0
    assert main(["--project", str(root), "import", str(ATLAS / "atlasti-8.4-with-texts.qdpx")]) == 0
    p = Project.open(root)
    data = p.analysis_data()
    assert len(data.codings) == 9 and data.documents.shape[0] == 8
    for row in data.codings.itertuples():
        assert data.texts[row.document][row.start : row.end] == row.quote
    p.close()


def test_failed_refi_import_leaves_the_project_as_it_was(demo: Project, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    archive = demo.export_qdpx(tmp_path / "demo.qdpx")
    fresh = Project.init(tmp_path / "fresh")
    before = fresh.codebook_path.read_bytes()
    calls = {"n": 0}
    real = fresh.store.upsert_document

    def fail_on_third(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("connection lost")
        return real(*args, **kwargs)

    monkeypatch.setattr(fresh.store, "upsert_document", fail_on_third)
    with pytest.raises(RuntimeError):
        import_refi_into(fresh, archive)
    assert fresh.codebook_path.read_bytes() == before
    status = fresh.status()
    assert (status["documents"], status["codings"], status["participants"]) == (0, 0, 0)
    monkeypatch.undo()
    assert "Imported 9 documents" in import_refi_into(fresh, archive)  # and it can be imported again
