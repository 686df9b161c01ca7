"""Every input path refuses broken and hostile files cleanly (corpus: tests/data/bad/README.md).

Each case runs the real CLI (``qualcode.cli.main``) against a project that already holds
data, and checks: exit status 2, the named error title, the file (and line/row/member)
in the message, no traceback, and that nothing changed: every table of the database and
``codebook.yaml`` are byte for byte what they were before.  The cases run in-process for
speed; one case per input path also runs in a subprocess, as a user would run it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from qualcode import schema
from qualcode.cli import main

REPO = Path(__file__).resolve().parents[1]
BAD = REPO / "tests" / "data" / "bad"

_spec = importlib.util.spec_from_file_location("make_bad", BAD / "make_bad.py")
make_bad = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_bad)

CODEBOOK, TRANSCRIPT, CODINGS, ARCHIVE, XML = (
    "Codebook error",
    "Input file error",
    "Input file error",
    "Input file error",
    "Input file error",
)


@dataclass(frozen=True)
class Case:
    file: str  # corpus name under tests/data/bad/ (or built at test time by make_bad.py)
    via: str  # input path, see run_case()
    problem: str  # what is wrong with the file
    error: str  # the error title expected on stderr
    where: str  # a substring of stderr naming the file and, where there is one, the line/row/member

    @property
    def id(self) -> str:
        return f"{self.via}:{self.file}"


# fmt: off
CASES = [
    # ---------------------------------------------------------------- codebooks
    Case("codebooks/syntax.yaml", "codebook check", "YAML syntax error (unclosed quote)", CODEBOOK, "syntax.yaml, line 10"),
    Case("codebooks/duplicate_id.yaml", "codebook check", "two codes with the id 'transit'", CODEBOOK, "duplicate_id.yaml, line 8"),
    Case("codebooks/unknown_cross_ref.yaml", "codebook check", "cross-cutting theme names an unknown code", CODEBOOK, "unknown_cross_ref.yaml, line 11"),
    Case("codebooks/wrong_types.yaml", "codebook check", "label is a list, codes is text", CODEBOOK, "wrong_types.yaml, line 4"),
    Case("codebooks/empty_label.yaml", "codebook check", "label is an empty string", CODEBOOK, "empty_label.yaml, line 7"),
    Case("codebooks/unknown_key.yaml", "codebook check", "misspelt key 'descripton'", CODEBOOK, "unknown_key.yaml, line 8"),
    Case("codebooks/python_tag.yaml", "codebook check", "!!python/object/apply:os.system tag", CODEBOOK, "python_tag.yaml, line 4"),
    Case("codebooks/billion_laughs.yaml", "codebook check", "nested anchors/aliases (billion laughs)", CODEBOOK, "billion_laughs.yaml, line 3"),
    Case("codebooks/enormous.yaml", "codebook check", "7 MB codebook (limit 5 MB)", CODEBOOK, "enormous.yaml"),
    Case("codebooks/deep_nesting.yaml", "codebook check", "flow list nested 20,000 deep", CODEBOOK, "deep_nesting.yaml, line 2"),
    Case("codebooks/binary.yaml", "codebook check", "PNG header and binary bytes", CODEBOOK, "binary.yaml"),
    Case("codebooks/latin1.yaml", "codebook check", "Latin-1 bytes, not UTF-8", CODEBOOK, "latin1.yaml, line 1"),
    Case("codebooks/empty.yaml", "codebook check", "empty file", CODEBOOK, "empty.yaml, line 1"),
    Case("codebooks/top_list.yaml", "codebook check", "top level is a list", CODEBOOK, "top_list.yaml, line 1"),
    Case("codebooks/syntax.yaml", "codebook import", "YAML syntax error as the project's codebook.yaml", CODEBOOK, "codebook.yaml, line 10"),
    Case("codebooks/duplicate_id.yaml", "codebook import", "duplicate id in the project's codebook.yaml", CODEBOOK, "codebook.yaml, line 8"),
    Case("codebooks/python_tag.yaml", "codebook import", "unsafe tag in the project's codebook.yaml", CODEBOOK, "codebook.yaml, line 4"),
    Case("codebooks/billion_laughs.yaml", "codebook import", "billion laughs in the project's codebook.yaml", CODEBOOK, "codebook.yaml, line 3"),
    Case("codebooks/enormous.yaml", "codebook import", "7 MB project codebook.yaml", CODEBOOK, "codebook.yaml"),
    Case("codebooks/binary.yaml", "codebook import", "binary project codebook.yaml", CODEBOOK, "codebook.yaml"),
    Case("codebooks/top_list.yaml", "codebook import", "project codebook.yaml is a list", CODEBOOK, "codebook.yaml, line 1"),
    # ---------------------------------------------------------------- transcripts
    Case("transcripts/latin1.txt", "import", "Latin-1 bytes and 0xFF 0xFE 0x80", TRANSCRIPT, "latin1.txt, line 1, column 17"),
    Case("transcripts/png_renamed.txt", "import", "PNG image renamed .txt", TRANSCRIPT, "png_renamed.txt, line 3"),
    Case("transcripts/zip_renamed.txt", "import", "ZIP archive renamed .txt", TRANSCRIPT, "zip_renamed.txt, line 1"),
    Case("transcripts/nul_bytes.md", "import", "NUL byte in UTF-8 text", TRANSCRIPT, "nul_bytes.md, line 3"),
    Case("transcripts/utf32.txt", "import", "UTF-32 encoded text", TRANSCRIPT, "utf32.txt"),
    Case("transcripts/empty.txt", "import", "empty file", TRANSCRIPT, "empty.txt"),
    Case("transcripts/blank.md", "import", "only blank lines", TRANSCRIPT, "blank.md"),
    Case("transcripts/long_line.txt", "import", "a 3-million-character line", TRANSCRIPT, "long_line.txt, line 3"),
    Case("transcripts/huge_sparse.txt", "import", "60 MB file (limit 50 MB)", TRANSCRIPT, "huge_sparse.txt"),
    Case("transcripts/unclosed_front_matter.md", "import", "front matter never closed", TRANSCRIPT, "unclosed_front_matter.md, line 1"),
    Case("transcripts/tagged_front_matter.md", "import", "!!python/object/apply tag in front matter", TRANSCRIPT, "tagged_front_matter.md, line 3"),
    Case("transcripts/front_matter_wrong_types.md", "import", "participant a list, label a mapping, speakers a number", TRANSCRIPT, "front_matter_wrong_types.md, line 2, field 'participant'"),
    Case("transcripts/front_matter_syntax.md", "import", "YAML syntax error in front matter", TRANSCRIPT, "front_matter_syntax.md, line"),
    Case("transcripts/billion_laughs_front_matter.md", "import", "nested YAML aliases in front matter", TRANSCRIPT, "billion_laughs_front_matter.md, line 4"),
    Case("transcripts/deep_front_matter.md", "import", "front matter list nested 20,000 deep", TRANSCRIPT, "deep_front_matter.md, line 3"),
    Case("transcripts/front_matter_only.md", "import", "front matter but no text", TRANSCRIPT, "front_matter_only.md, line 6"),
    Case("transcripts/impossible_date.md", "import", "front-matter date 2024-02-30 does not exist", TRANSCRIPT, "impossible_date.md, line 3, field 'date'"),
    Case("transcripts/impossible_time.md", "import", "front-matter time 25:61", TRANSCRIPT, "impossible_time.md, line 3, field 'date'"),
    Case("transcripts/bad_typed_values.md", "import", "!!int forty, !!bool maybe", TRANSCRIPT, "bad_typed_values.md, line 3, field 'age'"),
    Case("transcripts/huge_integer.md", "import", "a 5,000-digit number (Python's int limit 4,300)", TRANSCRIPT, "huge_integer.md, line 3, field 'age'"),
    Case("transcripts/binary_value.md", "import", "!!binary value (not storable as JSON)", TRANSCRIPT, "binary_value.md, line 3, field 'photo'"),
    Case("transcripts/set_value.md", "import", "!!set value (not storable as JSON)", TRANSCRIPT, "set_value.md, line 3, field 'tags'"),
    Case("transcripts/infinite_number.md", "import", "age: .inf (not storable as JSON)", TRANSCRIPT, "infinite_number.md, line 3, field 'age'"),
    Case("transcripts/participant_boolean.md", "import", "participant: true (a yes/no value)", TRANSCRIPT, "participant_boolean.md, line 2, field 'participant'"),
    Case("transcripts/participant_decimal.md", "import", "participant: 1.50 (read as 1.5)", TRANSCRIPT, "participant_decimal.md, line 3, field 'participant'"),
    Case("transcripts/number_key.md", "import", "a key that is a number (2024:)", TRANSCRIPT, "number_key.md, line 3"),
    Case("transcripts/impossible_date.docx", "import", "front-matter paragraph date 2024-02-30", TRANSCRIPT, "impossible_date.docx, field 'date': paragraph 3"),
    Case("transcripts/not_a_zip.docx", "import", "text file named .docx", TRANSCRIPT, "not_a_zip.docx"),
    Case("transcripts/zip_bomb.docx", "import", "document.xml 30 MB, compressed ~1000:1", TRANSCRIPT, "zip_bomb.docx"),
    Case("transcripts/zip_bomb_lying_size.docx", "import", "document.xml 3 MB, headers claim 1,000 bytes", TRANSCRIPT, "zip_bomb_lying_size.docx"),
    Case("transcripts/xxe.docx", "import", "document.xml declares an external entity (XXE)", TRANSCRIPT, "xxe.docx"),
    Case("transcripts/billion_laughs.docx", "import", "document.xml with nested entities", TRANSCRIPT, "billion_laughs.docx"),
    Case("transcripts/invalid_xml.docx", "import", "document.xml not well-formed", TRANSCRIPT, "invalid_xml.docx"),
    Case("transcripts/no_document.docx", "import", "zip without word/document.xml", TRANSCRIPT, "no_document.docx"),
    Case("transcripts/encrypted.docx", "import", "members flagged as encrypted", TRANSCRIPT, "encrypted.docx"),
    Case("transcripts/corrupt_data.docx", "import", "document.xml's compressed data damaged", TRANSCRIPT, "corrupt_data.docx"),
    Case("transcripts/path_traversal.docx", "import", "a member named ../../evil.txt", TRANSCRIPT, "path_traversal.docx"),
    Case("transcripts/deep_xml.docx", "import", "document.xml nested 5,000 elements deep", TRANSCRIPT, "deep_xml.docx, line 2"),
    Case("transcripts/bad_timestamp.vtt", "import", "timestamp 00:00:4.5", TRANSCRIPT, "bad_timestamp.vtt, line 8"),
    Case("transcripts/backwards_timestamp.vtt", "import", "cue ends before it starts", TRANSCRIPT, "backwards_timestamp.vtt, line 4"),
    Case("transcripts/bad_timestamp.srt", "import", "'->' instead of '-->'", TRANSCRIPT, "bad_timestamp.srt, line 6"),
    Case("transcripts/notes.rtf", "import", "unsupported suffix .rtf", TRANSCRIPT, "notes.rtf"),
    Case("transcripts/notes.pdf", "import", "unsupported suffix .pdf", TRANSCRIPT, "notes.pdf"),
    Case("transcripts/png_renamed.txt", "sync", "PNG renamed .txt inside interviews/", TRANSCRIPT, "png_renamed.txt, line 3"),
    Case("transcripts/unclosed_front_matter.md", "sync", "unclosed front matter inside interviews/", TRANSCRIPT, "unclosed_front_matter.md, line 1"),
    Case("transcripts/xxe.docx", "sync", "XXE .docx inside interviews/", TRANSCRIPT, "xxe.docx"),
    Case("transcripts/impossible_date.md", "sync", "date 2024-02-30 inside interviews/", TRANSCRIPT, "impossible_date.md, line 3, field 'date'"),
    Case("transcripts/impossible_date.md", "folder", "date 2024-02-30 in a folder with a good new transcript", TRANSCRIPT, "impossible_date.md, line 3, field 'date'"),
    Case("transcripts/latin1.txt", "folder", "Latin-1 file in a folder with a good new transcript", TRANSCRIPT, "latin1.txt, line 1, column 17"),
    Case("transcripts/zip_bomb.docx", "folder", "zip bomb .docx in a folder with a good new transcript", TRANSCRIPT, "zip_bomb.docx"),
    Case("transcripts/tagged_front_matter.md", "folder", "unsafe tag in a folder with a good new transcript", TRANSCRIPT, "tagged_front_matter.md, line 3"),
    Case("transcripts/impossible_date.md", "sync+good", "date 2024-02-30 in interviews/ next to a good new transcript", TRANSCRIPT, "impossible_date.md, line 3, field 'date'"),
    Case("transcripts/latin1.txt", "sync+good", "Latin-1 file in interviews/ next to a good new transcript", TRANSCRIPT, "latin1.txt, line 1, column 17"),
    Case("transcripts/bad_typed_values.md", "sync+good", "!!int forty in interviews/ next to a good new transcript", TRANSCRIPT, "bad_typed_values.md, line 3, field 'age'"),
    # ---------------------------------------------------------------- codings spreadsheets
    Case("codings/unknown_code.csv", "codings", "code 'no_such_code'", CODINGS, "unknown_code.csv, row 3"),
    Case("codings/quote_not_found.csv", "codings", "a quote no interview contains", CODINGS, "quote_not_found.csv, row 3"),
    Case("codings/offsets_out_of_range.csv", "codings", "end beyond the text; start after end", CODINGS, "offsets_out_of_range.csv, row 3"),
    Case("codings/offsets_not_numeric.csv", "codings", "offsets 'ten'/'forty'", CODINGS, "offsets_not_numeric.csv, row 3"),
    Case("codings/unknown_participant.csv", "codings", "participant 'Z'", CODINGS, "unknown_participant.csv, row 3"),
    Case("codings/missing_columns.csv", "codings", "no code/quote/participant columns", CODINGS, "missing_columns.csv, row 1"),
    Case("codings/empty_code_and_quote.csv", "codings", "empty code cell, blank quote", CODINGS, "empty_code_and_quote.csv, row 2"),
    Case("codings/empty.csv", "codings", "empty file", CODINGS, "empty.csv"),
    Case("codings/formula_hyperlink.csv", "codings", "=HYPERLINK(...) as the code: plain text, an unknown code", CODINGS, "formula_hyperlink.csv, row 3"),
    Case("codings/formula_dde.csv", "codings", "=cmd|' /C calc'!A0 as the quote: plain text, not found", CODINGS, "formula_dde.csv, row 3"),
    Case("codings/formula_prefixes.csv", "codings", "codes starting +, -, @SUM: plain text, unknown codes", CODINGS, "formula_prefixes.csv, row 5"),
    Case("codings/formulas.xlsx", "codings", "formula cells in an .xlsx (no cached values)", CODINGS, "formulas.xlsx, row 2"),
    Case("codings/huge_field.csv", "codings", "a 300,000-character quote (csv field limit 131,072)", CODINGS, "huge_field.csv, line 2"),
    Case("codings/latin1.csv", "codings", "Latin-1 bytes, not UTF-8", CODINGS, "latin1.csv, line 2"),
    Case("codings/utf32.csv", "codings", "UTF-32 encoded CSV", CODINGS, "utf32.csv"),
    Case("codings/png_renamed.csv", "codings", "PNG image renamed .csv", CODINGS, "png_renamed.csv"),
    Case("codings/not_a_zip.xlsx", "codings", "CSV text named .xlsx", CODINGS, "not_a_zip.xlsx"),
    Case("codings/zip_bomb.xlsx", "codings", "sheet1.xml 20 MB of zeros (~1000:1)", CODINGS, "zip_bomb.xlsx"),
    Case("codings/unknown_code.csv", "sync+new", "unknown code, in interviews/ next to a new transcript and a good sheet", CODINGS, "unknown_code.csv, row 3"),
    Case("codings/quote_not_found.csv", "sync+new", "quote not found, next to a new transcript and a good sheet", CODINGS, "quote_not_found.csv, row 3"),
    Case("codings/new_participant_bad_row.csv", "sync+new", "rows for the new transcript, one with an unknown code", CODINGS, "new_participant_bad_row.csv, row 3"),
    Case("codings/zip_bomb.xlsx", "sync+new", "zip bomb sheet next to a new transcript and a good sheet", CODINGS, "zip_bomb.xlsx (member"),
    Case("codings/unknown_code.csv", "import+new", "unknown code, given with a new transcript and a good sheet", CODINGS, "unknown_code.csv, row 3"),
    Case("codings/offsets_not_numeric.csv", "import+new", "offsets 'ten'/'forty', given with a new transcript and a good sheet", CODINGS, "offsets_not_numeric.csv, row 3"),
    Case("codings/not_a_zip.xlsx", "import+new", "CSV text named .xlsx, given with a new transcript and a good sheet", CODINGS, "not_a_zip.xlsx"),
    Case("codings/stale_dimension.xlsx", "codings", "dimension A1:C1, a row with an unknown code at row 1,000,000", CODINGS, "stale_dimension.xlsx, row 1000000"),
    Case("codings/wide_rows.xlsx", "codings", "unknown code; 50,000 rows with a cell in column XFD", CODINGS, "wide_rows.xlsx, row 2"),
    Case("codings/too_many_rows.csv", "codings", "200,001 rows (limit 200,000)", CODINGS, "too_many_rows.csv, row 200002"),
    Case("codings/xxe.xlsx", "codings", "sheet1.xml declares an external entity", CODINGS, "xxe.xlsx"),
    Case("codings/invalid_sheet_xml.xlsx", "codings", "sheet1.xml not well-formed", CODINGS, "invalid_sheet_xml.xlsx"),
    Case("codings/unexpected_attribute.xlsx", "codings", "sheet1.xml attribute openpyxl does not know", CODINGS, "unexpected_attribute.xlsx"),
    # ---------------------------------------------------------------- REFI-QDA projects (fresh project)
    Case("archives/path_traversal.qdpx", "qdpx", "member ../../evil.txt", ARCHIVE, "member '../../evil.txt'"),
    Case("archives/absolute_path.qdpx", "qdpx", "member /tmp/evil.txt", ARCHIVE, "member '/tmp/evil.txt'"),
    Case("archives/zip_bomb.qdpx", "qdpx", "20 MB of zeros (~1000:1)", ARCHIVE, "zip_bomb.qdpx (member 'sources/"),
    Case("archives/xxe.qdpx", "qdpx", "project.qde declares file:///etc/passwd", XML, "xxe.qdpx (member 'project.qde')"),
    Case("archives/billion_laughs.qdpx", "qdpx", "project.qde with nested entities", XML, "billion_laughs.qdpx (member 'project.qde')"),
    Case("archives/invalid_xml.qdpx", "qdpx", "project.qde not well-formed", XML, "invalid_xml.qdpx (member 'project.qde'), line"),
    Case("archives/missing_project.qdpx", "qdpx", "no project.qde", ARCHIVE, "missing_project.qdpx"),
    Case("archives/not_a_zip.qdpx", "qdpx", "PNG bytes named .qdpx", ARCHIVE, "not_a_zip.qdpx"),
    Case("archives/too_many_members.qdpx", "qdpx", "10,001 members (limit 10,000)", ARCHIVE, "too_many_members.qdpx"),
    Case("archives/xxe.qde", "qdpx", "a bare project.qde declaring file:///etc/passwd", XML, "xxe.qde"),
    Case("archives/billion_laughs.qde", "qdpx", "a bare project.qde with nested entities", XML, "billion_laughs.qde"),
    Case("archives/wrong_root.qdpx", "qdpx", "project.qde is <html>", XML, "wrong_root.qdpx"),
    # ---------------------------------------------------------------- backups (fresh project)
    Case("archives/path_traversal.qcbackup", "restore", "member ../../evil.jsonl", ARCHIVE, "member '../../evil.jsonl'"),
    Case("archives/absolute_path.qcbackup", "restore", "member /tmp/evil.jsonl", ARCHIVE, "member '/tmp/evil.jsonl'"),
    Case("archives/zip_bomb.qcbackup", "restore", "20 MB of spaces (~1000:1)", ARCHIVE, "zip_bomb.qcbackup (member 'tables/codings.jsonl')"),
    Case("archives/missing_manifest.qcbackup", "restore", "no manifest.json", ARCHIVE, "missing_manifest.qcbackup"),
    Case("archives/manifest_not_json.qcbackup", "restore", "manifest.json cut off mid-object", ARCHIVE, "manifest_not_json.qcbackup"),
    Case("archives/manifest_list.qcbackup", "restore", "manifest.json is a list", ARCHIVE, "manifest_list.qcbackup"),
    Case("archives/manifest_wrong_format.qcbackup", "restore", "manifest format 'something-else'", ARCHIVE, "manifest_wrong_format.qcbackup"),
    Case("archives/manifest_bad_version.qcbackup", "restore", "format_version is text", ARCHIVE, "manifest_bad_version.qcbackup"),
    Case("archives/damaged_line.qcbackup", "restore", "a table line cut off", ARCHIVE, "damaged_line.qcbackup:tables/settings.jsonl, line 2"),
    Case("archives/not_utf8.qcbackup", "restore", "a table line with bytes 0xFF 0xFE", ARCHIVE, "not_utf8.qcbackup"),
    Case("archives/row_not_object.qcbackup", "restore", "a table row that is a JSON list", ARCHIVE, "row_not_object.qcbackup"),
    Case("archives/row_violates_schema.qcbackup", "restore", "a document row without a name", ARCHIVE, "row_violates_schema.qcbackup"),
    Case("archives/wrong_schema.db", "restore", "an SQLite database without qualcode's columns", ARCHIVE, "wrong_schema.db"),
    Case("archives/dangling_reference.db", "restore", "an SQLite backup whose coding points at a missing document", ARCHIVE, "dangling_reference.db"),
    Case("archives/bad_codebook.qcbackup", "restore", "its codebook.yaml has an unsafe YAML tag", CODEBOOK, "bad_codebook.qcbackup:codebook.yaml, line 4"),
    Case("archives/not_a_zip.qcbackup", "restore", "plain text", ARCHIVE, "not_a_zip.qcbackup"),
    Case("archives/fake_sqlite.qcbackup", "restore", "SQLite header, garbage after it", ARCHIVE, "fake_sqlite.qcbackup"),
]
# fmt: on

# One case per input path also runs in a real subprocess.
SUBPROCESS_CASES = [
    "codebook check:codebooks/python_tag.yaml",
    "codebook import:codebooks/billion_laughs.yaml",
    "import:transcripts/xxe.docx",
    "sync:transcripts/png_renamed.txt",
    "sync:transcripts/impossible_date.md",
    "sync+good:transcripts/impossible_date.md",
    "codings:codings/formula_dde.csv",
    "sync+new:codings/unknown_code.csv",
    "qdpx:archives/path_traversal.qdpx",
    "restore:archives/manifest_list.qcbackup",
]

CODINGS_CSV = """participant,quote,code,annotator,memo
F,"There are restrictions: firstly, work visas are only granted to those who pass all the procedures",kazakhstan_destination_country,ann1,
H,"Kazakhstan is the only country in Central Asia that does not have a separate law",kazakhstan_transit_country,ann2,seed
"""

NEW_TRANSCRIPT = "---\nparticipant: J\n---\nInterviewer: Hi?\n\nExpert J: Hello there.\n"
GOOD_SHEET = "participant,quote,code,annotator\nJ,Hello there,kazakhstan_transit_country,good\n"


# --------------------------------------------------------------------------- projects
def _cli(*args: str) -> int:
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A project holding two demo interviews, the demo codebook and two codings; and a fresh one."""
    base = tmp_path_factory.mktemp("bad_templates")
    full = base / "full"
    (full / "interviews").mkdir(parents=True)
    shutil.copy(REPO / "codebook.yaml", full / "codebook.yaml")
    for name in ("expert_F.md", "expert_H.md"):
        shutil.copy(REPO / "interviews" / name, full / "interviews" / name)
    (full / "interviews" / "seed_codings.csv").write_text(CODINGS_CSV, encoding="utf-8")
    fresh = base / "fresh"
    from qualcode.project import Project

    for root in (full, fresh):
        project = Project.init(root)
        project.sync()
        project.close()
    return {"full": full, "fresh": fresh}


def dump_database(root: Path, url: str | None = None) -> list[tuple[str, list[tuple]]]:
    """Every row of every table, ordered by primary key (the project's SQLite file, or ``url``)."""
    engine = sa.create_engine(url or f"sqlite:///{root / '.qualcode' / 'qualcode.db'}")
    try:
        with engine.connect() as conn:
            return [
                (
                    table.name,
                    [tuple(row) for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))],
                )
                for table in schema.metadata.sorted_tables
            ]
    finally:
        engine.dispose()


def _digest(root: Path, url: str | None = None) -> str:
    return hashlib.sha256(repr(dump_database(root, url)).encode()).hexdigest()


def prepare(case: Case, templates: dict[str, Path], tmp_path: Path) -> tuple[Path, list[str], Path]:
    """Copy the project, place the bad file; return (project root, CLI arguments, file)."""
    kind = "fresh" if case.via in ("qdpx", "restore") else "full"
    root = tmp_path / "project"
    shutil.copytree(templates[kind], root)
    bad = make_bad.build(case.file, tmp_path / "input")
    project = ["--project", str(root)]
    if case.via == "codebook check":
        return root, project + ["codebook", "check", str(bad)], bad
    if case.via == "codebook import":
        shutil.copy(bad, root / "codebook.yaml")
        return root, project + ["import"], bad
    if case.via == "import":
        return root, project + ["import", str(bad)], bad
    if case.via == "sync":
        shutil.copy(bad, root / "interviews" / bad.name)
        return root, project + ["import"], bad
    if case.via == "sync+new":  # nothing of a sync may be stored when one of its files is bad
        (root / "interviews" / "expert_J.md").write_text(NEW_TRANSCRIPT, encoding="utf-8")
        (root / "interviews" / "a_good_codings.csv").write_text(GOOD_SHEET, encoding="utf-8")
        shutil.copy(bad, root / "interviews" / bad.name)
        return root, project + ["import"], bad
    if case.via == "sync+good":  # each transcript its own unit: the good new one is imported
        (root / "interviews" / "expert_J.md").write_text(NEW_TRANSCRIPT, encoding="utf-8")
        shutil.copy(bad, root / "interviews" / bad.name)
        return root, project + ["import"], bad
    if case.via == "folder":  # qualcode import FOLDER: a good new transcript next to the bad file
        folder = tmp_path / "folder"
        folder.mkdir()
        (folder / "expert_J.md").write_text(NEW_TRANSCRIPT, encoding="utf-8")
        shutil.copy(bad, folder / bad.name)
        return root, project + ["import", str(folder)], bad
    if case.via == "import+new":  # qualcode import NEW.md GOOD.csv --codings BAD: all or nothing
        new = tmp_path / "input" / "expert_J.md"
        new.write_text(NEW_TRANSCRIPT, encoding="utf-8")
        good = tmp_path / "input" / "a_good_codings.csv"
        good.write_text(GOOD_SHEET, encoding="utf-8")
        return root, project + ["import", str(new), str(good), "--codings", str(bad)], bad
    if case.via == "codings":
        return root, project + ["import", "--codings", str(bad)], bad
    if case.via == "qdpx":
        return root, project + ["import", str(bad)], bad
    if case.via == "restore":
        return root, project + ["restore", str(bad)], bad
    raise AssertionError(f"unknown input path {case.via}")


# Each transcript is its own unit: next to the bad file, the good new transcript is imported.
GOOD_ONE_IMPORTED = ("folder", "sync+good")


def check_stored(
    case: Case, before: list[tuple[str, list[tuple]]], after: list[tuple[str, list[tuple]]], bad: Path
) -> None:
    """Nothing changed; or (GOOD_ONE_IMPORTED) only the good new transcript was added: every row
    from before is still there, and nothing of the bad file is stored."""
    if case.via not in GOOD_ONE_IMPORTED:
        assert after == before, "the database changed"
        return
    old, new = dict(before), dict(after)
    for table, rows in old.items():
        if table != "settings":
            assert set(map(repr, rows)) <= set(map(repr, new[table])), f"rows of {table} changed"
    names = [row[1] for row in new["documents"]]
    assert sorted(names) == sorted([row[1] for row in old["documents"]] + ["expert_J"]), names
    assert bad.stem not in repr(new), "something of the refused file was stored"


def check_refused(case: Case, status: int, stderr: str) -> None:
    assert status == 2, f"exit status {status}, stderr:\n{stderr}"
    assert "Traceback" not in stderr, stderr
    assert stderr.startswith(case.error), f"expected '{case.error}' first, got:\n{stderr[:2000]}"
    assert case.where in stderr, f"expected '{case.where}' in:\n{stderr[:2000]}"
    assert "root:x:" not in stderr, "a file outside the input was read (XXE)"


@pytest.fixture(scope="module")
def pg_templates(templates: dict[str, Path], pg_schema) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The same two template projects, stored in PostgreSQL (one schema each, shared by the cases:
    every case compares its own before/after dump, so a case that stored something fails alone)."""
    from qualcode.project import Project

    urls = {}
    for kind in ("full", "fresh"):
        urls[kind] = pg_schema()
        project = Project.open(templates[kind], database_url=urls[kind])
        project.sync()
        project.close()
    return urls


@pytest.mark.postgres
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_changes_nothing_on_postgres(
    case: Case,
    templates: dict[str, Path],
    pg_templates: dict[str, str],
    pg_schema,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, args, bad = prepare(case, templates, tmp_path)
    url = pg_templates["fresh" if case.via in ("qdpx", "restore") else "full"]
    if case.via in GOOD_ONE_IMPORTED:  # it stores the good transcript: a schema of its own
        from qualcode.project import Project

        url = pg_schema()
        project = Project.open(templates["full"], database_url=url)
        project.sync()
        project.close()
    monkeypatch.chdir(tmp_path)
    before_codebook = (root / "codebook.yaml").read_bytes()
    capsys.readouterr()

    before_dump = dump_database(root, url)
    status = _cli("--database-url", url, *args)

    check_refused(case, status, capsys.readouterr().err)
    check_stored(case, before_dump, dump_database(root, url), bad)
    assert (root / "codebook.yaml").read_bytes() == before_codebook, "codebook.yaml changed"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(
    case: Case,
    templates: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, args, bad = prepare(case, templates, tmp_path)
    monkeypatch.chdir(tmp_path)  # a YAML tag that ran a command would leave a file here
    before_db = dump_database(root)
    before_codebook = (root / "codebook.yaml").read_bytes()
    before_input = bad.read_bytes()
    capsys.readouterr()

    status = _cli(*args)

    captured = capsys.readouterr()
    check_refused(case, status, captured.err)
    check_stored(case, before_db, dump_database(root), bad)
    if case.via in GOOD_ONE_IMPORTED:
        assert "documents: 1 added" in captured.out and "not imported: 1 file" in captured.out, captured.out
    assert (root / "codebook.yaml").read_bytes() == before_codebook, "codebook.yaml changed"
    assert bad.read_bytes() == before_input, "the input file was changed"
    assert not list(tmp_path.rglob("*pwned*")), "an embedded command ran"
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_bad_input_in_a_subprocess(case_id: str, templates: dict[str, Path], tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == case_id)
    root, args, bad = prepare(case, templates, tmp_path)
    before = dump_database(root)
    result = subprocess.run(
        [sys.executable, "-c", "from qualcode.cli import main; import sys; sys.exit(main())", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    check_refused(case, result.returncode, result.stderr)
    check_stored(case, before, dump_database(root), bad)


def test_corpus_is_documented_and_big_enough() -> None:
    """README.md's table lists every case (and nothing else), and there are at least 40."""
    readme = (BAD / "README.md").read_text(encoding="utf-8")
    vias = {c.via for c in CASES}
    rows = {
        tuple(cell.strip().strip("`") for cell in line.strip("|").split("|")[:2])
        for line in readme.splitlines()
        if line.startswith("| `")
    }
    rows = {row for row in rows if len(row) == 2 and row[1] in vias}
    assert rows == {(c.file, c.via) for c in CASES}
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


def test_readme_is_what_make_readme_writes_and_importing_it_writes_nothing() -> None:
    """README.md is exactly make_readme.render() (regenerating changes nothing), and importing
    make_readme.py - as ``--doctest-modules`` does for every file under tests/ - does not write:
    it used to rewrite the committed README with an older text on every whole-suite run."""
    import importlib.util

    readme = BAD / "README.md"
    before = readme.read_bytes(), readme.stat().st_mtime_ns
    spec = importlib.util.spec_from_file_location("make_readme_under_test", BAD / "make_readme.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (readme.read_bytes(), readme.stat().st_mtime_ns) == before
    assert module.render() == readme.read_text(encoding="utf-8"), "run python tests/data/bad/make_readme.py"


def test_committed_corpus_files_are_reproducible(tmp_path: Path) -> None:
    """make_bad.py rebuilds the committed binary files byte for byte; big ones are not committed."""
    for name, builder in make_bad.COMMITTED.items():
        builder(tmp_path / "x")
        assert (tmp_path / "x").read_bytes() == (BAD / name).read_bytes(), name
    for name in make_bad.AT_TEST_TIME:
        assert not (BAD / name).exists(), f"{name} is built at test time; do not commit it"
    total = sum(p.stat().st_size for p in BAD.rglob("*") if p.is_file())
    assert total < 200 * 1024


def test_every_case_file_exists_or_is_built() -> None:
    for case in CASES:
        assert case.file in make_bad.AT_TEST_TIME or (BAD / case.file).is_file(), case.file


def test_qdpx_source_pointing_outside_the_archive_is_skipped_not_read(
    templates: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """plainTextPath="internal://../../../../etc/passwd": never read; the source is skipped with a warning."""
    root = tmp_path / "project"
    shutil.copytree(templates["fresh"], root)
    archive = tmp_path / "source_escape.qdpx"
    make_bad.qdpx_source_escape(archive)
    assert _cli("--project", root, "import", archive) == 0
    out = capsys.readouterr().out
    assert "Imported 0 documents" in out and "skipped" in out
    assert "root:" not in repr(dump_database(root))


def test_qdpx_selection_of_only_a_carriage_return_is_skipped(
    templates: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It used to become an empty span that the store refused after the document was written."""
    root = tmp_path / "project"
    shutil.copytree(templates["fresh"], root)
    archive = tmp_path / "crlf.qdpx"
    make_bad.qdpx_crlf_only_selection(archive)
    assert _cli("--project", root, "import", archive) == 0, capsys.readouterr().err
    assert "1 text selection" in capsys.readouterr().out
    codings = dict(dump_database(root))["codings"]
    assert len(codings) == 1


def test_database_dump_sees_changes(templates: dict[str, Path], tmp_path: Path) -> None:
    """The unchanged-database check can fail: the new transcript and good sheet of the
    'sync+new' cases import fine on their own and change the dump."""
    root = tmp_path / "project"
    shutil.copytree(templates["full"], root)
    before = _digest(root)
    (root / "interviews" / "expert_J.md").write_text(NEW_TRANSCRIPT, encoding="utf-8")
    (root / "interviews" / "a_good_codings.csv").write_text(GOOD_SHEET, encoding="utf-8")
    assert _cli("--project", root, "import") == 0
    assert _digest(root) != before
    dump = json.dumps(dump_database(root), default=str)
    assert "expert_J" in dump and "Hello there" in dump


def test_new_transcript_and_good_sheet_import_on_their_own(templates: dict[str, Path], tmp_path: Path) -> None:
    """Control for the 'import+new' cases: without the bad sheet the same command stores both."""
    root = tmp_path / "project"
    shutil.copytree(templates["full"], root)
    before = _digest(root)
    (tmp_path / "expert_J.md").write_text(NEW_TRANSCRIPT, encoding="utf-8")
    (tmp_path / "a_good_codings.csv").write_text(GOOD_SHEET, encoding="utf-8")
    assert _cli("--project", root, "import", tmp_path / "expert_J.md", tmp_path / "a_good_codings.csv") == 0
    assert _digest(root) != before
    assert "Hello there" in json.dumps(dump_database(root), default=str)
