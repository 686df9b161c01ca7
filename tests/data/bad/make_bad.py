"""Build the binary, byte-exact and large files of the bad-input corpus (see README.md).

Small files are committed next to this script; ``python tests/data/bad/make_bad.py``
rewrites them byte for byte.  Large ones (zip bombs, megabyte lines, a codebook over the
size limit) and the few that need openpyxl are only built at test time, into a temporary
folder, by :func:`build`; nothing big is committed.

Every builder takes the destination path and writes one file.  ``COMMITTED`` and
``AT_TEST_TIME`` name the builders of each kind; the case table itself lives in
``tests/test_bad_input.py`` and README.md.
"""

from __future__ import annotations

import io
import json
import struct
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "refi"))
from make_hostile import (  # noqa: E402
    BILLION_LAUGHS_QDE,
    GOOD_QDE,
    INVALID_QDE,
    TEXT_NAME,
    XXE_QDE,
    _lie_about_size,
)

DATE = (2020, 1, 1, 0, 0, 0)
MB = 1024 * 1024
PNG_HEAD = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
    b"\x1f\xf3\xffa\x00\x00\x00\x00IEND\xaeB`\x82"
)
TRANSCRIPT = "Interviewer: When did you start?\n\nExpert J: In 2010, with two colleagues.\n"


# --------------------------------------------------------------------------- helpers
def zip_bytes(members: list[tuple[str, bytes]], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP archive (fixed timestamps, so the bytes are reproducible) of ``members``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, DATE)
            info.compress_type = compression
            archive.writestr(info, data)
    return buffer.getvalue()


def _write_zip(path: Path, members: list[tuple[str, bytes]]) -> None:
    path.write_bytes(zip_bytes(members))


def _set_flag_bits(data: bytes, bits: int) -> bytes:
    """Set general-purpose flag ``bits`` in every local and central header (e.g. 0x1 = encrypted)."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.find(signature)
        while at != -1:
            flags = struct.unpack_from("<H", out, at + offset)[0]
            struct.pack_into("<H", out, at + offset, flags | bits)
            at = out.find(signature, at + 4)
    return bytes(out)


def _corrupt_member_data(data: bytes, member: str) -> bytes:
    """Flip bytes inside ``member``'s compressed data, keeping the headers intact."""
    out = bytearray(data)
    at = out.find(b"PK\x03\x04")
    while at != -1:
        name_len, extra_len = struct.unpack_from("<HH", out, at + 26)
        if bytes(out[at + 30 : at + 30 + name_len]) == member.encode():
            size = struct.unpack_from("<I", out, at + 18)[0]
            start = at + 30 + name_len + extra_len
            for i in range(start + size // 3, start + size - 2):
                out[i] ^= 0x5A
            return bytes(out)
        at = out.find(b"PK\x03\x04", at + 4)
    raise ValueError(f"no member {member}")


# --------------------------------------------------------------------------- .docx parts
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)


def _document_xml(body: str, doctype: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{doctype}'
        f'<w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>'
    ).encode()


def _paragraphs(*texts: str) -> str:
    return "".join(f'<w:p><w:r><w:t xml:space="preserve">{t}</w:t></w:r></w:p>' for t in texts)


def docx_bytes(document_xml: bytes, extra: list[tuple[str, bytes]] = ()) -> bytes:
    return zip_bytes(
        [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("word/document.xml", document_xml),
            *extra,
        ]
    )


GOOD_BODY = _paragraphs("Interviewer: When did you start?", "Expert J: In 2010.")


# --------------------------------------------------------------------------- codebooks
def codebook_binary(path: Path) -> None:
    path.write_bytes(PNG_HEAD + bytes(range(256)) * 4)


def codebook_latin1(path: Path) -> None:
    path.write_bytes(
        "title: Caf\u00e9 codes\nthemes:\n  - id: caf\n    label: Caf\u00e9 \u00e0 la carte\n".encode("latin-1")
    )


def codebook_enormous(path: Path) -> None:
    """About 7 MB of valid-looking codes: over the 5 MB codebook limit."""
    lines = ["title: Enormous", "themes:", "  - id: big", "    label: Big", "    codes:"]
    lines += [f"      - id: code_{i:06d}\n        label: Code number {i} " + "x" * 60 for i in range(60_000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def codebook_deep_nesting(path: Path) -> None:
    """A flow list nested 20,000 deep: must not blow the parser's recursion."""
    depth = 20_000
    path.write_text("title: Deep\nthemes: " + "[" * depth + "]" * depth + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- transcripts
def transcript_latin1(path: Path) -> None:
    path.write_bytes(
        "Interviewer: Caf\u00e9?\n\nExpert J: Tr\u00e8s bien, \u00e0 bient\u00f4t.\n".encode("latin-1")
        + b"\xff\xfe\x80\n"
    )


def transcript_png(path: Path) -> None:
    path.write_bytes(PNG_HEAD)


def transcript_zip(path: Path) -> None:
    _write_zip(path, [("expert_J.txt", TRANSCRIPT.encode() * 20)])


def transcript_nul(path: Path) -> None:
    path.write_bytes(b"Interviewer: When did you start?\n\nExpert J: In 2010\x00 with two colleagues.\n")


def transcript_utf32(path: Path) -> None:
    path.write_bytes(TRANSCRIPT.encode("utf-32"))


def transcript_long_line(path: Path) -> None:
    """Line 3 is 3 million characters long (the limit is 1 million)."""
    path.write_text("Interviewer: Tell me everything.\n\nExpert J: " + "blah " * 600_000 + "\n", encoding="utf-8")


def transcript_deep_front_matter(path: Path) -> None:
    """Front matter with a flow list nested 20,000 deep (the YAML scanner is quadratic in depth)."""
    depth = 20_000
    path.write_text(
        "---\nparticipant: J\nnotes: " + "[" * depth + "]" * depth + "\n---\n" + TRANSCRIPT, encoding="utf-8"
    )


def transcript_huge_sparse(path: Path) -> None:
    """A 60 MB file of NULs made with truncate(): refused by size before it is read."""
    with open(path, "wb") as fh:
        fh.write(b"Interviewer: hello\n")
        fh.truncate(60 * MB)


def docx_not_zip(path: Path) -> None:
    path.write_text("This is a plain text file with a .docx name.\n", encoding="utf-8")


def docx_xxe(path: Path) -> None:
    doctype = '<!DOCTYPE w:document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
    path.write_bytes(docx_bytes(_document_xml(_paragraphs("Interviewer: &secret;", "Expert J: yes."), doctype)))


def docx_billion_laughs(path: Path) -> None:
    entities = ['<!ENTITY l0 "lol">'] + [f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)]
    doctype = "<!DOCTYPE w:document [" + "".join(entities) + "]>\n"
    path.write_bytes(docx_bytes(_document_xml(_paragraphs("Interviewer: &l9;"), doctype)))


def docx_invalid_xml(path: Path) -> None:
    path.write_bytes(docx_bytes(_document_xml(GOOD_BODY).replace(b"</w:body>", b"")))


def docx_no_document(path: Path) -> None:
    _write_zip(path, [("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS), ("word/other.xml", b"<x/>")])


def docx_encrypted(path: Path) -> None:
    path.write_bytes(_set_flag_bits(docx_bytes(_document_xml(GOOD_BODY)), 0x1))


def docx_corrupt(path: Path) -> None:
    body = _paragraphs(*(f"Expert J: sentence number {i} about migration policy." for i in range(200)))
    data = docx_bytes(_document_xml(body))
    path.write_bytes(_corrupt_member_data(data, "word/document.xml"))


def docx_traversal(path: Path) -> None:
    path.write_bytes(docx_bytes(_document_xml(GOOD_BODY), [("../../evil.txt", b"x")]))


def docx_impossible_date(path: Path) -> None:
    """A front-matter block of paragraphs whose date does not exist (2024-02-30)."""
    body = _paragraphs("---", "participant: J", "date: 2024-02-30", "---") + GOOD_BODY
    path.write_bytes(docx_bytes(_document_xml(body)))


def docx_deep_xml(path: Path) -> None:
    """document.xml nests 5,000 content controls (libxml2 stops at depth 256)."""
    depth = 5_000
    body = "<w:sdt><w:sdtContent>" * depth + GOOD_BODY + "</w:sdtContent></w:sdt>" * depth
    path.write_bytes(docx_bytes(_document_xml(body)))


def docx_bomb(path: Path) -> None:
    """document.xml is 30 MB of one repeated paragraph (compresses far over 200:1)."""
    body = _paragraphs("Interviewer: lol lol lol lol lol lol lol lol lol lol.") * 300_000
    path.write_bytes(docx_bytes(_document_xml(body)))


def docx_bomb_lying(path: Path) -> None:
    """document.xml unpacks to 3 MB but its headers claim 1,000 bytes (dodges the declared-size check)."""
    body = _paragraphs("Interviewer: lol lol lol lol lol lol lol lol lol lol.") * 30_000
    path.write_bytes(docx_bytes(_document_xml(body)))
    _lie_about_size(path, "word/document.xml", 1000)


# --------------------------------------------------------------------------- codings spreadsheets
def csv_huge_field(path: Path) -> None:
    """One quote of 300,000 characters (Python's csv module refuses fields over 131,072)."""
    path.write_text(
        'participant,quote,code\nF,"' + "blah " * 60_000 + '",kazakhstan_transit_country\n', encoding="utf-8"
    )


def csv_latin1(path: Path) -> None:
    path.write_bytes(
        "participant,quote,code\nF,\u00ab Caf\u00e9 \u00bb,kazakhstan_transit_country\n".encode("latin-1")
        + b"\xff\x81\n"
    )


def csv_utf32(path: Path) -> None:
    path.write_bytes("participant,quote,code\nF,There are restrictions,kazakhstan_transit_country\n".encode("utf-32"))


def csv_binary(path: Path) -> None:
    path.write_bytes(PNG_HEAD * 3)


def xlsx_not_zip(path: Path) -> None:
    path.write_text("participant,quote,code\nF,x,y\n", encoding="utf-8")


def _xlsx(rows: list[list[object]]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_formulas(path: Path) -> None:
    """Real formula cells (no cached values) and formula-looking text cells."""
    from openpyxl.cell.cell import Cell  # noqa: F401  (openpyxl must be importable)

    rows: list[list[object]] = [
        ["participant", "quote", "code", "annotator"],
        [
            "F",
            "There are restrictions: firstly, work visas are only granted",
            '=HYPERLINK("http://evil.example","x")',
            "bad-input",
        ],
        ["F", "=cmd|' /C calc'!A0", "kazakhstan_transit_country", "bad-input"],
        ["F", "There are restrictions", "@SUM(1+1)", "=1+1"],
    ]
    path.write_bytes(_xlsx(rows))


def xlsx_bomb(path: Path) -> None:
    """A workbook whose sheet is 20 MB of zeros (about 1000:1)."""
    good = zipfile.ZipFile(io.BytesIO(_xlsx([["participant", "quote", "code"]])))
    members = [(name, good.read(name)) for name in good.namelist() if name != "xl/worksheets/sheet1.xml"]
    members.append(("xl/worksheets/sheet1.xml", b"\0" * (20 * MB)))
    _write_zip(path, members)


def _xlsx_with_changed_sheet(path: Path, change: Callable[[bytes], bytes]) -> None:
    good = zipfile.ZipFile(io.BytesIO(_xlsx([["participant", "quote", "code"], ["F", "x", "y"]])))
    members = [
        (name, change(good.read(name)) if name == "xl/worksheets/sheet1.xml" else good.read(name))
        for name in good.namelist()
    ]
    _write_zip(path, members)


def xlsx_invalid_sheet_xml(path: Path) -> None:
    """sheet1.xml is not well-formed (openpyxl only parses it while rows are read)."""
    _xlsx_with_changed_sheet(path, lambda data: data.replace(b"</sheetData>", b"", 1))


def xlsx_unexpected_attribute(path: Path) -> None:
    """sheet1.xml has an attribute openpyxl's constructors do not know (a TypeError inside openpyxl)."""
    _xlsx_with_changed_sheet(path, lambda data: data.replace(b"defaultRowHeight", b"oefaultRowHeight", 1))


def xlsx_stale_dimension(path: Path) -> None:
    """The sheet claims A1:C1 but holds a row (with an unknown code) at row 1,000,000."""

    def change(data: bytes) -> bytes:
        import re

        data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:C1"/>', data)
        return (
            data.replace(b'<row r="2"', b'<row r="1000000"')
            .replace(b'r="A2"', b'r="A1000000"')
            .replace(b'r="B2"', b'r="B1000000"')
            .replace(b'r="C2"', b'r="C1000000"')
        )

    _xlsx_with_changed_sheet(path, change)


def xlsx_wide_rows(path: Path) -> None:
    """Row 2 has an unknown code; 50,000 more rows each hold one cell in column XFD (16,384)."""

    def change(data: bytes) -> bytes:
        import re

        far = b"".join(b'<row r="%d"><c r="XFD%d"><v>1</v></c></row>' % (i, i) for i in range(3, 50_003))
        data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD50002"/>', data)
        return data.replace(b"</sheetData>", far + b"</sheetData>", 1)

    _xlsx_with_changed_sheet(path, change)


def csv_too_many_rows(path: Path) -> None:
    """200,001 data rows (the limit is 200,000)."""
    path.write_text("participant,quote,code\n" + "F,x,kazakhstan_transit_country\n" * 200_001, encoding="utf-8")


def xlsx_xxe(path: Path) -> None:
    """sheet1.xml declares an external entity."""
    good = zipfile.ZipFile(io.BytesIO(_xlsx([["participant", "quote", "code"], ["F", "x", "y"]])))
    members = []
    for name in good.namelist():
        data = good.read(name)
        if name == "xl/worksheets/sheet1.xml":
            data = b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' + data
            data = data.replace(b"<t>y</t>", b"<t>&xxe;</t>", 1)
            assert b"&xxe;" in data
        members.append((name, data))
    _write_zip(path, members)


# --------------------------------------------------------------------------- REFI-QDA projects
TEXT = (TEXT_NAME, b"harmless text")


def qdpx_traversal(path: Path) -> None:
    _write_zip(path, [("project.qde", GOOD_QDE), TEXT, ("../../evil.txt", b"x")])


def qdpx_absolute(path: Path) -> None:
    _write_zip(path, [("project.qde", GOOD_QDE), TEXT, ("/tmp/evil.txt", b"x")])


def qdpx_bomb(path: Path) -> None:
    _write_zip(path, [("project.qde", GOOD_QDE), (TEXT_NAME, b"\0" * (20 * MB))])


def qdpx_xxe(path: Path) -> None:
    _write_zip(path, [("project.qde", XXE_QDE), TEXT])


def qdpx_billion_laughs(path: Path) -> None:
    _write_zip(path, [("project.qde", BILLION_LAUGHS_QDE), TEXT])


def qdpx_invalid_xml(path: Path) -> None:
    _write_zip(path, [("project.qde", INVALID_QDE), TEXT])


def qdpx_missing_project(path: Path) -> None:
    _write_zip(path, [TEXT])


def qdpx_too_many_members(path: Path) -> None:
    """10,001 members (the limit is 10,000)."""
    _write_zip(path, [("project.qde", GOOD_QDE), TEXT] + [(f"sources/x{i:05d}.txt", b"x") for i in range(9_999)])


def qde_xxe(path: Path) -> None:
    path.write_bytes(XXE_QDE)


def qde_billion_laughs(path: Path) -> None:
    path.write_bytes(BILLION_LAUGHS_QDE)


def qdpx_not_zip(path: Path) -> None:
    path.write_bytes(PNG_HEAD)


def qdpx_source_escape(path: Path) -> None:
    """A text source whose plainTextPath points outside the archive."""
    qde = GOOD_QDE.replace(b"internal://11111111-1111-1111-1111-111111111111.txt", b"internal://../../../../etc/passwd")
    _write_zip(path, [("project.qde", qde), TEXT])


CRLF_QDE = b"""<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="crlf">
  <Users><User guid="22222222-2222-2222-2222-222222222222" name="ann"/></Users>
  <CodeBook><Codes><Code guid="33333333-3333-3333-3333-333333333333" name="Transit" isCodable="true"/></Codes>
  </CodeBook>
  <Sources>
    <TextSource guid="11111111-1111-1111-1111-111111111111" name="a.txt"
                plainTextPath="internal://11111111-1111-1111-1111-111111111111.txt">
      <PlainTextSelection guid="44444444-4444-4444-4444-444444444444" startPosition="0" endPosition="5">
        <Coding guid="55555555-5555-5555-5555-555555555555" creatingUser="22222222-2222-2222-2222-222222222222">
          <CodeRef targetGUID="33333333-3333-3333-3333-333333333333"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="66666666-6666-6666-6666-666666666666" startPosition="5" endPosition="6">
        <Coding guid="77777777-7777-7777-7777-777777777777" creatingUser="22222222-2222-2222-2222-222222222222">
          <CodeRef targetGUID="33333333-3333-3333-3333-333333333333"/></Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>
"""


def qdpx_crlf_only_selection(path: Path) -> None:
    """A valid project with one selection covering only the CR of a CRLF (empty once line ends are LF)."""
    _write_zip(path, [("project.qde", CRLF_QDE), (TEXT_NAME, b"Hello\r\nworld, transit country.")])


def qdpx_wrong_root(path: Path) -> None:
    _write_zip(path, [("project.qde", b'<?xml version="1.0"?><html><body>not REFI</body></html>'), TEXT])


# --------------------------------------------------------------------------- backups
MANIFEST = json.dumps(
    {"format": "qualcode-backup", "format_version": 1, "qualcode": "0", "schema_versions": [1, 2], "counts": {}}
).encode()


def backup_traversal(path: Path) -> None:
    _write_zip(path, [("manifest.json", MANIFEST), ("../../evil.jsonl", b"{}\n")])


def backup_absolute(path: Path) -> None:
    _write_zip(path, [("manifest.json", MANIFEST), ("/tmp/evil.jsonl", b"{}\n")])


def backup_bomb(path: Path) -> None:
    _write_zip(path, [("manifest.json", MANIFEST), ("tables/codings.jsonl", b" " * (20 * MB))])


def backup_missing_manifest(path: Path) -> None:
    _write_zip(path, [("tables/settings.jsonl", b'{"key": "team_mode", "value": "false"}\n')])


def backup_manifest_not_json(path: Path) -> None:
    _write_zip(path, [("manifest.json", b'{"format": "qualcode-backup", "format_version": 1,')])


def backup_manifest_list(path: Path) -> None:
    _write_zip(path, [("manifest.json", b'["qualcode-backup", 1]')])


def backup_manifest_wrong_format(path: Path) -> None:
    _write_zip(path, [("manifest.json", b'{"format": "something-else", "format_version": 1}')])


def backup_manifest_bad_version(path: Path) -> None:
    _write_zip(path, [("manifest.json", b'{"format": "qualcode-backup", "format_version": "one"}')])


def backup_damaged_line(path: Path) -> None:
    _write_zip(
        path,
        [
            ("manifest.json", MANIFEST),
            ("tables/settings.jsonl", b'{"key": "team_mode", "value": "false"}\n{"key": "blind_mo\n'),
        ],
    )


def backup_not_utf8(path: Path) -> None:
    _write_zip(
        path, [("manifest.json", MANIFEST), ("tables/settings.jsonl", b'{"key": "team_mode", "value": "\xff\xfe"}\n')]
    )


def backup_row_not_object(path: Path) -> None:
    _write_zip(path, [("manifest.json", MANIFEST), ("tables/settings.jsonl", b'["team_mode", "false"]\n')])


def backup_row_violates_schema(path: Path) -> None:
    """A coding whose document does not exist and a document without a name."""
    _write_zip(
        path,
        [
            ("manifest.json", MANIFEST),
            ("tables/documents.jsonl", b'{"id": 1, "name": null, "text": "x", "length": 1}\n'),
        ],
    )


def backup_sqlite_wrong_schema(path: Path) -> None:
    """A real SQLite database whose 'documents' table lacks most of qualcode's columns."""
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE documents (id INTEGER PRIMARY KEY, title TEXT)")
        db.execute("INSERT INTO documents VALUES (1, 'x')")
    db.close()


def backup_sqlite_dangling_reference(path: Path) -> None:
    """qualcode's column names without constraints: a coding of a document that does not exist."""
    import sqlite3

    sys.path.insert(0, str(HERE.parents[2]))
    from qualcode import schema

    with sqlite3.connect(path) as db:
        for table in schema.metadata.sorted_tables:
            db.execute(f"CREATE TABLE {table.name} ({', '.join(c.name for c in table.columns)})")
        db.execute(
            "INSERT INTO codings (id, document_id, doc_length, start_pos, end_pos, code_id, annotator, quote, "
            "memo, origin, created_at, updated_at, version) "
            "VALUES (1, 99, 10, 0, 5, 'nope', 'eve', 'x', '', 'manual', 't', 't', 1)"
        )
    db.close()


def backup_bad_codebook(path: Path) -> None:
    """A backup whose codebook.yaml carries an unsafe YAML tag (restore would install it)."""
    codebook = (HERE / "codebooks" / "python_tag.yaml").read_bytes()
    _write_zip(
        path,
        [
            ("manifest.json", MANIFEST),
            ("codebook.yaml", codebook),
            ("tables/settings.jsonl", b'{"key": "team_mode", "value": "false"}\n'),
        ],
    )


def backup_not_zip(path: Path) -> None:
    path.write_bytes(b"qualcode backup? no: just text\n" * 10)


def backup_fake_sqlite(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + b"\xde\xad\xbe\xef" * 1024)


COMMITTED: dict[str, Callable[[Path], None]] = {
    "codebooks/binary.yaml": codebook_binary,
    "codebooks/latin1.yaml": codebook_latin1,
    "transcripts/latin1.txt": transcript_latin1,
    "transcripts/png_renamed.txt": transcript_png,
    "transcripts/zip_renamed.txt": transcript_zip,
    "transcripts/nul_bytes.md": transcript_nul,
    "transcripts/utf32.txt": transcript_utf32,
    "transcripts/not_a_zip.docx": docx_not_zip,
    "transcripts/xxe.docx": docx_xxe,
    "transcripts/billion_laughs.docx": docx_billion_laughs,
    "transcripts/invalid_xml.docx": docx_invalid_xml,
    "transcripts/no_document.docx": docx_no_document,
    "transcripts/encrypted.docx": docx_encrypted,
    "transcripts/corrupt_data.docx": docx_corrupt,
    "transcripts/path_traversal.docx": docx_traversal,
    "transcripts/deep_xml.docx": docx_deep_xml,
    "transcripts/impossible_date.docx": docx_impossible_date,
    "codings/latin1.csv": csv_latin1,
    "codings/utf32.csv": csv_utf32,
    "codings/png_renamed.csv": csv_binary,
    "codings/not_a_zip.xlsx": xlsx_not_zip,
    "archives/path_traversal.qdpx": qdpx_traversal,
    "archives/absolute_path.qdpx": qdpx_absolute,
    "archives/xxe.qdpx": qdpx_xxe,
    "archives/billion_laughs.qdpx": qdpx_billion_laughs,
    "archives/invalid_xml.qdpx": qdpx_invalid_xml,
    "archives/missing_project.qdpx": qdpx_missing_project,
    "archives/not_a_zip.qdpx": qdpx_not_zip,
    "archives/source_escape.qdpx": qdpx_source_escape,
    "archives/wrong_root.qdpx": qdpx_wrong_root,
    "archives/xxe.qde": qde_xxe,
    "archives/billion_laughs.qde": qde_billion_laughs,
    "archives/path_traversal.qcbackup": backup_traversal,
    "archives/absolute_path.qcbackup": backup_absolute,
    "archives/missing_manifest.qcbackup": backup_missing_manifest,
    "archives/manifest_not_json.qcbackup": backup_manifest_not_json,
    "archives/manifest_list.qcbackup": backup_manifest_list,
    "archives/manifest_wrong_format.qcbackup": backup_manifest_wrong_format,
    "archives/manifest_bad_version.qcbackup": backup_manifest_bad_version,
    "archives/damaged_line.qcbackup": backup_damaged_line,
    "archives/not_utf8.qcbackup": backup_not_utf8,
    "archives/row_not_object.qcbackup": backup_row_not_object,
    "archives/row_violates_schema.qcbackup": backup_row_violates_schema,
    "archives/bad_codebook.qcbackup": backup_bad_codebook,
    "archives/not_a_zip.qcbackup": backup_not_zip,
    "archives/fake_sqlite.qcbackup": backup_fake_sqlite,
}

# Big (bombs, megabyte lines, over-limit files) or not byte-reproducible (openpyxl output).
AT_TEST_TIME: dict[str, Callable[[Path], None]] = {
    "codebooks/enormous.yaml": codebook_enormous,
    "codebooks/deep_nesting.yaml": codebook_deep_nesting,
    "transcripts/long_line.txt": transcript_long_line,
    "transcripts/huge_sparse.txt": transcript_huge_sparse,
    "transcripts/deep_front_matter.md": transcript_deep_front_matter,
    "transcripts/zip_bomb.docx": docx_bomb,
    "transcripts/zip_bomb_lying_size.docx": docx_bomb_lying,
    "codings/formulas.xlsx": xlsx_formulas,
    "codings/zip_bomb.xlsx": xlsx_bomb,
    "codings/xxe.xlsx": xlsx_xxe,
    "codings/invalid_sheet_xml.xlsx": xlsx_invalid_sheet_xml,
    "codings/stale_dimension.xlsx": xlsx_stale_dimension,
    "codings/wide_rows.xlsx": xlsx_wide_rows,
    "codings/too_many_rows.csv": csv_too_many_rows,
    "codings/unexpected_attribute.xlsx": xlsx_unexpected_attribute,
    "archives/zip_bomb.qdpx": qdpx_bomb,
    "archives/too_many_members.qdpx": qdpx_too_many_members,
    "codings/huge_field.csv": csv_huge_field,
    "archives/zip_bomb.qcbackup": backup_bomb,
    "archives/wrong_schema.db": backup_sqlite_wrong_schema,
    "archives/dangling_reference.db": backup_sqlite_dangling_reference,
}


def build(name: str, folder: Path) -> Path:
    """The corpus file ``name`` (e.g. ``"transcripts/latin1.txt"``) inside ``folder``.

    Committed files are copied, test-time ones are built; the copy keeps the relative name,
    so error messages name a predictable path.
    """
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if name in AT_TEST_TIME:
        AT_TEST_TIME[name](target)
    else:
        source = HERE / name
        if not source.exists():
            raise FileNotFoundError(f"{source}: not in the corpus (run make_bad.py?)")
        target.write_bytes(source.read_bytes())
    return target


def main() -> None:
    for name, builder in COMMITTED.items():
        target = HERE / name
        target.parent.mkdir(parents=True, exist_ok=True)
        builder(target)
    print(f"wrote {len(COMMITTED)} files under {HERE}")


if __name__ == "__main__":
    main()
