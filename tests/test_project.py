"""Project folder: sync, re-import, codings spreadsheets, codebook changes reaching the database."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from qualcode.errors import CodebookError, InputFileError, PermissionDenied
from qualcode.project import Project
from qualcode.store import Actor

REPO = Path(__file__).resolve().parents[1]

CODEBOOK = """\
# Test codebook (this comment must survive edits)
themes:
  - id: trends
    label: Trends
    color: "#4e79a7"
    codes:
      - id: transit_country
        label: Transit country
        description: Kazakhstan as a transit country.
      - id: onward_europe
        label: Onward to Europe
  - id: gaps
    label: Gaps
    codes:
      - id: pea_control
        label: PEA control missing
cross_cutting:
  - id: transit_migration
    label: Transit migration
    codes: [transit_country, onward_europe]
"""

EXPERT_A = """\
---
participant: A
label: Expert (A)
organisation_type: company
---
Kazakhstan is a transit country. Many people moved on to Europe.

PEAs are not controlled by anyone.
"""

EXPERT_B = """\
---
participant: B
label: Expert (B)
organisation_type: NGO
---
People use Kazakhstan as a transit country to go further.
"""


@pytest.fixture
def project(tmp_path: Path, db_url: str) -> Project:
    (tmp_path / "interviews").mkdir()
    (tmp_path / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (tmp_path / "interviews" / "expert_A.md").write_text(EXPERT_A, encoding="utf-8")
    (tmp_path / "interviews" / "expert_B.md").write_text(EXPERT_B, encoding="utf-8")
    p = Project.open(tmp_path, database_url=db_url)
    p.sync()
    yield p
    p.close()


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("participant,quote,code,annotator,memo\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_sync_imports_and_is_idempotent(project: Project) -> None:
    status = project.status()
    assert (status["participants"], status["documents"]) == (2, 2)
    assert status["segments_by_kind"]["paragraph"] == 3
    again = project.sync()
    assert again.documents == [] and len(again.skipped) == 2


def test_codings_spreadsheet_anchors_by_quote(project: Project, tmp_path: Path) -> None:
    sheet = write_csv(
        tmp_path / "interviews" / "team.csv",
        [
            "A,transit country,transit_country,ann1,",
            "A,PEAs are not controlled,PEA control missing,ann1,by label",
            "B,transit country,transit_country,ann2,",
        ],
    )
    report = project.sync()
    assert report.codings_imported == {"interviews/team.csv": 3}
    data = project.analysis_data()
    assert sorted(data.codings["code"]) == ["pea_control", "transit_country", "transit_country"]
    for row in data.codings.itertuples():
        assert data.texts[row.document][row.start : row.end] == row.quote
    assert project.sync().codings_imported == {}  # unchanged sheet is not imported twice
    assert sheet.exists()


def test_bad_spreadsheet_lists_every_row_and_stores_nothing(project: Project, tmp_path: Path) -> None:
    sheet = write_csv(
        tmp_path / "team.csv",
        [
            "A,transit country,transit_country,ann1,",
            "A,transit country,trnsit_country,ann1,",
            "Z,anything,transit_country,ann1,",
            "B,this sentence is not in the interview,transit_country,ann1,",
        ],
    )
    with pytest.raises(InputFileError) as info:
        project.import_codings(sheet)
    rows = [(p.row, p.field) for p in info.value.problems]
    assert rows == [(3, "code"), (4, "participant"), (5, "quote")]
    assert "Did you mean 'transit_country'?" in str(info.value)
    assert project.status()["codings"] == 0


def test_workbook_bytes_need_a_supervisor_like_the_workbook_file(project: Project, tmp_path: Path) -> None:
    import io

    project.add_coding("expert_A", 0, 10, "transit_country")
    annotator = project.as_user(Actor("ann1", "annotator"))
    with pytest.raises(PermissionDenied, match="export the whole project"):
        annotator.xlsx_bytes()
    with pytest.raises(PermissionDenied, match="export the whole project"):
        annotator.export_xlsx(tmp_path / "refused.xlsx")
    assert not (tmp_path / "refused.xlsx").exists()
    in_memory = openpyxl.load_workbook(io.BytesIO(project.xlsx_bytes(bootstrap=50)))
    on_disk = openpyxl.load_workbook(project.export_xlsx(tmp_path / "book.xlsx", bootstrap=50))
    assert in_memory.sheetnames == on_disk.sheetnames
    for name in on_disk.sheetnames:
        if name != "About":  # About names the creation time
            cells = [[[c.value for c in row] for row in wb[name].iter_rows()] for wb in (in_memory, on_disk)]
            assert cells[0] == cells[1], name


def test_import_paths_routes_each_kind_and_reports_each_step(project: Project, tmp_path: Path) -> None:
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "expert_C.md").write_text("---\nparticipant: C\n---\nKazakhstan is a transit country too.\n")
    sheet = write_csv(tmp_path / "sheet.csv", ["C,transit country too,transit_country,carol,"])
    steps: list[str] = []
    result = project.import_paths([extra, sheet], on_step=lambda kind, value: steps.append(kind))
    assert steps == ["transcripts", "codings"]
    assert result.transcripts is not None and [d["document"] for d in result.transcripts.documents] == ["expert_C"]
    assert result.codings == {sheet: 1} and result.refi == []
    assert set(project.codings_frame()["annotator"]) == {"carol"}


def test_xlsx_codings(project: Project, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Participant", "Quote", "Code", "Annotator"])
    ws.append(["A", "Many people moved on to Europe.", "onward_europe", "ann1"])
    wb.save(tmp_path / "c.xlsx")
    assert len(project.import_codings(tmp_path / "c.xlsx")) == 1


def test_bad_transcripts_in_folder_are_refused_each_alone(project: Project, tmp_path: Path) -> None:
    (tmp_path / "interviews" / "expert_C.md").write_text("---\nparticipant: C\nlabel: [unclosed\n---\nText.\n")
    (tmp_path / "interviews" / "expert_D.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    (tmp_path / "interviews" / "expert_E.md").write_text("Fine text.\n")
    report = project.sync()
    assert report.not_imported() == ["interviews/expert_C.md", "interviews/expert_D.txt"]
    error = report.refused_error()
    assert error is not None
    assert {Path(p.path).name for p in error.problems if p.path} == {"expert_C.md", "expert_D.txt"}
    assert [d["document"] for d in report.documents] == ["expert_E"]  # the good one is imported
    assert project.status()["documents"] == 3
    assert "expert_C" not in project.store.document_names()


def test_reimport_keeps_codings(project: Project, tmp_path: Path) -> None:
    project.add_coding("expert_A", 16, 31, "transit_country")
    project.add_coding("expert_A", 66, 99, "pea_control")
    path = tmp_path / "interviews" / "expert_A.md"
    path.write_text(
        EXPERT_A.replace("Kazakhstan is", "As we discussed, Kazakhstan is").replace(
            "PEAs are not controlled by anyone.", "Nothing about agencies."
        ),
        encoding="utf-8",
    )
    report = project.sync()
    assert report.documents[0]["status"] == "changed"
    status = project.status()
    assert (status["codings"], status["detached"]) == (1, 1)
    data = project.analysis_data()
    assert data.codings.iloc[0]["quote"] == "transit country"


def test_merge_moves_codings_and_records_alias(project: Project) -> None:
    project.add_coding("expert_A", 16, 31, "transit_country")
    project.add_coding("expert_A", 33, 64, "onward_europe")
    project.merge_codes("onward_europe", "transit_country")
    assert set(project.analysis_data().codings["code"]) == {"transit_country"}
    cb = project.codebook
    assert "onward_europe" not in cb.codes and "onward_europe" in cb.codes["transit_country"].aliases
    text = project.codebook_path.read_text()
    assert "# Test codebook (this comment must survive edits)" in text
    log = project.store.audit_frame()
    assert "codebook.merge" in set(log["action"])


def test_rename_moves_codings_to_new_id(project: Project) -> None:
    project.add_coding("expert_A", 16, 31, "transit_country")
    project.rename_code("transit_country", new_id="transit_hub", new_label="Transit hub")
    assert list(project.analysis_data().codings["code"]) == ["transit_hub"]
    assert project.codebook.resolve("transit_country") == "transit_hub"
    assert project.codebook.cross_cutting["transit_migration"].codes[0] == "transit_hub"


def test_delete_refused_while_used_then_archived_with_force(project: Project) -> None:
    project.add_coding("expert_A", 66, 99, "pea_control")
    with pytest.raises(CodebookError, match="used by 1 coding"):
        project.delete_code("pea_control")
    assert "pea_control" in project.codebook.codes
    project.delete_code("pea_control", force=True)
    assert "pea_control" not in project.codebook.codes
    status = project.status()
    assert (status["codings"], status["archived"]) == (0, 1)


def test_annotators_cannot_edit_the_codebook(project: Project) -> None:
    before = project.codebook_path.read_text()
    annotator = project.as_user(Actor("ann1", "annotator"))
    with pytest.raises(PermissionDenied):
        annotator.add_code("new_code", "New code")
    assert project.codebook_path.read_text() == before


def test_failed_database_step_restores_the_codebook_file(project: Project, monkeypatch) -> None:
    before = project.codebook_path.read_text()

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(project.store, "reassign_code", boom)
    with pytest.raises(RuntimeError):
        project.merge_codes("onward_europe", "transit_country")
    assert project.codebook_path.read_text() == before


def test_word_comments_become_codings(project: Project, tmp_path: Path) -> None:
    samples = [REPO / "tests" / "data" / "importers" / "expert_C.docx"]  # overlapping, cross-paragraph comments
    from qualcode.importers import read_document

    doc = read_document(samples[0])
    names = sorted({c.code.splitlines()[0] for c in doc.codings})  # first line names the code
    codebook = "themes:\n  - id: t\n    label: T\n    codes:\n" + "".join(
        f"      - id: c{i}\n        label: {name!r}\n" for i, name in enumerate(names)
    )
    project.codebook_path.write_text(codebook, encoding="utf-8")
    shutil.copy(samples[0], tmp_path / "interviews" / samples[0].name)
    project.sync()
    data = project.analysis_data(None)
    imported = data.codings[data.codings["document"] == doc.name]
    assert len(imported) == len(doc.codings)
    assert set(imported["annotator"]) == {c.annotator for c in doc.codings}
    memos = set(imported["memo"])
    assert "(spans the question)" in memos  # further comment lines become the memo


def test_unknown_comment_codes_reported_or_created(project: Project, tmp_path: Path) -> None:
    samples = [REPO / "tests" / "data" / "importers" / "gdocs_D.docx"]
    shutil.copy(samples[0], tmp_path / "interviews" / samples[0].name)
    report = project.sync()  # refused alone: named, nothing of it stored
    assert report.not_imported() == ["interviews/gdocs_D.docx"]
    assert "unknown code" in str(report.refused_error())
    assert project.status()["documents"] == 2
    project.sync(create_unknown_codes=True)
    assert "uncategorised" in project.codebook.themes
    assert project.status()["documents"] == 3


def test_stale_codebook_edit_is_refused(project: Project) -> None:
    from qualcode.errors import ConflictError

    other = Project(project.root, project.store, Actor("sup2", "supervisor"))
    assert "onward_europe" in project.codebook.codes and "onward_europe" in other.codebook.codes  # both loaded
    project.merge_codes("onward_europe", "transit_country")
    after_merge = project.codebook_path.read_text()
    with pytest.raises(ConflictError, match="changed since you loaded it"):
        other.rename_code("onward_europe", new_label="Onwards to Europe")
    assert project.codebook_path.read_text() == after_merge
    _ = other.codebook  # reload, then the edit is applied on top of the merge
    other.rename_code("transit_country", new_label="Transit hub")
    assert other.codebook.codes["transit_country"].label == "Transit hub"


def test_codebook_is_read_and_hashed_once_not_on_every_access(project: Project, monkeypatch) -> None:
    import qualcode.codebook as codebook_module
    import qualcode.project.core as project_module  # where the codebook is hashed

    reads: list[object] = []
    hashes: list[object] = []
    real_load, real_hash = codebook_module.load_codebook, project_module.file_sha256
    monkeypatch.setattr(codebook_module, "load_codebook", lambda path: reads.append(path) or real_load(path))
    monkeypatch.setattr(project_module, "file_sha256", lambda path: hashes.append(path) or real_hash(path))
    fresh = Project(project.root, project.store, project.actor)
    for _ in range(5):  # what one Code-page rerun used to cost: five reads and five hashes
        assert "onward_europe" in fresh.codebook.codes
    assert (len(reads), len(hashes)) == (1, 1)
    annotator = fresh.as_user(Actor("ann1", "annotator"))
    assert annotator.codebook is fresh.codebook and annotator.codebook_version == fresh.codebook_version
    assert (len(reads), len(hashes)) == (1, 1)
    fresh.refresh_codebook()  # unchanged file: one hash, no parse
    assert (len(reads), len(hashes)) == (1, 2)
    text = project.codebook_path.read_text(encoding="utf-8")
    project.codebook_path.write_text(text.replace("label: Onward to Europe", "label: Onwards"), encoding="utf-8")
    assert fresh.codebook.codes["onward_europe"].label == "Onward to Europe"  # cached until refreshed
    fresh.refresh_codebook()
    assert annotator.codebook.codes["onward_europe"].label == "Onwards"  # the views share the reload
    assert (len(reads), len(hashes)) == (2, 3)
    fresh.invalidate_codebook()
    assert fresh.codebook.codes["onward_europe"].label == "Onwards"
    assert (len(reads), len(hashes)) == (3, 4)


def test_codebook_edit_refreshes_every_view_of_the_project(project: Project) -> None:
    supervisor = project.as_user(Actor("sup", "supervisor"))
    before = project.codebook_version
    supervisor.add_code("new_code", "New code", "trends")
    assert "new_code" in project.codebook.codes and project.codebook_version != before


def _supervisor_edit(root: str, url: str, action: str, barrier, out) -> None:  # type: ignore[no-untyped-def]
    from qualcode.errors import ConflictError as Conflict

    p = Project.open(root, database_url=url, actor=Actor(action, "supervisor"))
    _ = p.codebook  # loaded before the other one saves
    barrier.wait()
    try:
        if action == "merge":
            p.merge_codes("onward_europe", "transit_country")
        else:
            p.rename_code("onward_europe", new_id="europe_onwards", new_label="Onwards to Europe")
        out.put((action, "ok"))
    except Conflict:
        out.put((action, "conflict"))
    except Exception as exc:  # report anything else to the test
        out.put((action, f"error: {exc!r}"))


def test_two_supervisors_at_the_same_moment(project: Project, db_url: str) -> None:
    import multiprocessing as mp

    project.add_coding("expert_A", 33, 64, "onward_europe")
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=_supervisor_edit, args=(str(project.root), db_url, a, barrier, out))
        for a in ("merge", "rename")
    ]
    for proc in procs:
        proc.start()
    results = dict(out.get(timeout=120) for _ in procs)
    for proc in procs:
        proc.join(timeout=60)
    assert sorted(results.values()) == ["conflict", "ok"], results
    # file and database agree: every coding's code is in the codebook file, no orphans
    cb = project.refresh_codebook()
    codes_used = set(project.analysis_data().codings["code"])
    assert codes_used <= set(cb.codes)
    assert project.store.orphan_codes() == []
    if results["merge"] == "ok":
        assert "onward_europe" not in cb.codes and codes_used == {"transit_country"}
    else:
        assert "europe_onwards" in cb.codes and codes_used == {"europe_onwards"}
