"""Property tests for the input paths other test files do not fuzz.

* the codings spreadsheet reader refuses arbitrary bytes/text, and workbooks with a damaged
  part, only with a QualcodeError;
* restoring a backup refuses arbitrary bytes (and damaged backups) only with a QualcodeError,
  and leaves the database empty;
* Store.add_coding accepts exactly the spans with 0 <= start < end <= len(text) and refuses
  every other span with a CodingError, storing nothing.

* damaged .docx and .qdpx parts, and arbitrary subtitle text, raise only QualcodeErrors.
* a codebook theme's ``scale:``/``order:`` loads as a valid scale or is refused with a located
  CodebookError.

(Codebook text/bytes, transcript decoding, anchoring and REFI round trips are fuzzed in
test_codebook.py, test_importers.py, test_anchor.py and test_refi.py.)
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.codings_import import KNOWN_COLUMNS, read_rows, resolve_rows
from qualcode.errors import CodingError, QualcodeError
from qualcode.model import (
    Code,
    Codebook,
    Coding,
    ParsedDocument,
    Participant,
    Segment,
    Theme,
)
from qualcode.store import Actor, Store

ADMIN = Actor("admin", "admin")
TEXT = "Kazakhstan is a transit country.\n\nMany people moved on to Europe, some stayed."
FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def _codebook() -> Codebook:
    return Codebook(
        themes={"trends": Theme("trends", "Trends")}, codes={"transit": Code("transit", "Transit country", "trends")}
    )


_SCRATCH: list[Path] = []  # one folder per module run; hypothesis examples overwrite one file


@pytest.fixture(scope="module", autouse=True)
def _scratch_folder(tmp_path_factory: pytest.TempPathFactory):
    _SCRATCH.append(tmp_path_factory.mktemp("property_inputs"))
    yield
    _SCRATCH.clear()


def _write(data: bytes, suffix: str) -> Path:
    path = _SCRATCH[-1] / f"input{suffix}"
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- codings spreadsheets
def _read_and_resolve(path: Path) -> None:
    rows = read_rows(path)
    resolve_rows(
        rows,
        path=str(path),
        codebook=_codebook(),
        texts={"expert_A": TEXT},
        documents_of={"A": ["expert_A"]},
        default_annotator="alice",
    )


# Text a real spreadsheet can hold: no lone surrogates (they cannot be encoded at all).
_TEXT = st.characters(blacklist_categories=("Cs",))
_cell = st.one_of(
    st.text(_TEXT, max_size=30),
    st.sampled_from(
        [
            "A",
            "expert_A",
            "transit",
            "Transit country",
            "0",
            "5",
            "-3",
            "99999",
            "1e3",
            "=1+1",
            "+x",
            "@SUM(A1)",
            "Kazakhstan is a transit country.",
            '"',
            "\x00",
            "\r\n",
        ]
    ),
)
_header = st.lists(st.one_of(st.sampled_from(KNOWN_COLUMNS), st.text(_TEXT, max_size=8)), min_size=1, max_size=7)


@FAST
@given(st.binary(max_size=400), st.sampled_from([".csv", ".xlsx"]))
def test_codings_reader_refuses_arbitrary_bytes_cleanly(data: bytes, suffix: str) -> None:
    path = _write(data, suffix)
    try:
        _read_and_resolve(path)
    except QualcodeError:
        pass


@FAST
@given(_header, st.lists(st.lists(_cell, max_size=8), max_size=6), st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_codings_reader_on_arbitrary_tables_only_raises_qualcode_errors(
    header: list[str], rows: list[list[str]], encoding: str
) -> None:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path = _write(buffer.getvalue().encode(encoding), ".csv")
    try:
        _read_and_resolve(path)
    except QualcodeError:
        pass


@FAST
@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B", ""]), st.integers(-5, len(TEXT) + 5), st.integers(-5, len(TEXT) + 5)),
        min_size=1,
        max_size=5,
    )
)
def test_codings_reader_offsets_are_in_range_or_refused(rows: list[tuple[str, int, int]]) -> None:
    table = "participant,start,end,code\n" + "".join(f"{p},{s},{e},transit\n" for p, s, e in rows)
    path = _write(table.encode(), ".csv")
    try:
        codings, _ = resolve_rows(
            read_rows(path),
            path=str(path),
            codebook=_codebook(),
            texts={"expert_A": TEXT},
            documents_of={"A": ["expert_A"]},
            default_annotator="alice",
        )
    except QualcodeError as exc:
        assert all(p.row is not None for p in exc.problems)
        bad = [(p, s, e) for p, s, e in rows if p != "A" or not 0 <= s < e <= len(TEXT)]
        assert bad, "a valid sheet was refused"
        return
    assert all(0 <= c.start < c.end <= len(TEXT) for c in codings)
    assert len(codings) == len(rows)


@pytest.fixture(scope="module")
def workbook_parts() -> dict[str, bytes]:
    import openpyxl

    workbook = openpyxl.Workbook()
    for row in (["participant", "quote", "code"], ["A", "Kazakhstan is a transit country.", "transit"], [1, 2.5, None]):
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@FAST
@given(data=st.data())
def test_xlsx_with_a_damaged_part_only_raises_qualcode_errors(workbook_parts: dict[str, bytes], data) -> None:
    """openpyxl fails in many ways on damaged parts (XML syntax, IndexError, TypeError): all become InputFileError."""
    name = data.draw(st.sampled_from(sorted(workbook_parts)))
    original = workbook_parts[name]
    cut = data.draw(st.integers(0, len(original)))
    insert = data.draw(st.sampled_from([b"", b"<", b"&", b'"', b"<x>", b"</row>", b'r="ZZ9"', b't="s"', b"\xff"]))
    damaged = original[:cut] + insert + original[cut + data.draw(st.integers(0, 3)) :]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in workbook_parts.items():
            archive.writestr(member, damaged if member == name else content)
    path = _write(buffer.getvalue(), ".xlsx")
    try:
        _read_and_resolve(path)
    except QualcodeError:
        pass


# --------------------------------------------------------------------------- transcripts and REFI-QDA
DATA = Path(__file__).resolve().parent / "data"
_INSERTS = [
    b"",
    b"<",
    b">",
    b"&",
    b'"',
    b"<x>",
    b"</w:p>",
    b"<w:p>",
    b'w:id="9"',
    b'startPosition="-5"',
    b'endPosition="99999999"',
    b'guid="x"',
    b"\xff",
    b"<!-- -->",
]


def _damaged_zip(parts: dict[str, bytes], data) -> bytes:
    """``parts`` with one part cut, spliced or dropped (drawn from ``data``)."""
    name = data.draw(st.sampled_from(sorted(parts)))
    original = parts[name]
    cut = data.draw(st.integers(0, len(original)))
    damaged = original[:cut] + data.draw(st.sampled_from(_INSERTS)) + original[cut + data.draw(st.integers(0, 5)) :]
    drop = data.draw(st.booleans()) and data.draw(st.integers(0, 9)) == 0
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in parts.items():
            if member == name and drop:
                continue
            archive.writestr(member, damaged if member == name else content)
    return buffer.getvalue()


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@FAST
@given(data=st.data())
def test_docx_with_a_damaged_part_only_raises_qualcode_errors(data) -> None:
    from qualcode.importers import parse_document

    path = _write(_damaged_zip(_parts(DATA / "importers" / "gdocs_D.docx"), data), ".docx")
    try:
        parse_document(path)
    except QualcodeError:
        pass


@FAST
@given(data=st.data())
def test_qdpx_with_a_damaged_part_only_raises_qualcode_errors(data) -> None:
    from qualcode.refi import import_qdpx

    path = _write(_damaged_zip(_parts(DATA / "refi" / "atlasti-8.4-with-texts.qdpx"), data), ".qdpx")
    try:
        import_qdpx(path)
    except QualcodeError:
        pass


_CUE_PIECES = [
    "WEBVTT",
    "\n",
    "\n\n",
    "1",
    "00:00:01.000 --> 00:00:02.000",
    "00:00:01,000 --> 00:00:02,000",
    "-->",
    "<v Ann>",
    "</v>",
    "Ann: hi",
    "NOTE x",
    "00:61:00.000 --> 00:00:01.000",
    "99:99:99.999 --> 99:99:99.999",
    " ",
    "align:start position:10%",
    "<b>",
    "&amp;",
    "\ufeff",
    "\r\n",
    "00:00.500 --> 00:01.000",
    "xyz",
]


@FAST
@given(
    st.lists(st.one_of(st.sampled_from(_CUE_PIECES), st.text(max_size=5)), max_size=30),
    st.sampled_from([".vtt", ".srt"]),
)
def test_subtitles_of_arbitrary_text_only_raise_qualcode_errors(pieces: list[str], suffix: str) -> None:
    from qualcode.importers import parse_document

    path = _write("".join(pieces).encode("utf-8", "surrogatepass"), suffix)
    try:
        doc = parse_document(path)
    except QualcodeError:
        return
    assert doc.text.strip()


# --------------------------------------------------------------------------- backup restore
@pytest.fixture(scope="module")
def empty_project(tmp_path_factory: pytest.TempPathFactory):
    from qualcode.project import Project

    project = Project.init(tmp_path_factory.mktemp("restore_target"))
    yield project
    project.close()


def _assert_database_empty(project) -> None:
    counts = project.store.counts()
    assert counts["documents"] == 0 and counts["codings"] == 0


@FAST
@given(st.binary(max_size=600))
def test_restore_refuses_arbitrary_bytes_cleanly(empty_project, data: bytes) -> None:
    from qualcode.backup import restore

    path = _write(data, ".qcbackup")
    with pytest.raises(QualcodeError):
        restore(empty_project, path)
    _assert_database_empty(empty_project)


_json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)


@FAST
@given(
    manifest=st.one_of(_json_value, st.binary(max_size=40)),
    tables=st.dictionaries(
        st.sampled_from(["settings", "users", "documents", "codings", "codes"]),
        st.lists(st.one_of(_json_value, st.binary(max_size=20)), max_size=3),
        max_size=3,
    ),
)
def test_restore_of_damaged_backups_only_raises_qualcode_errors(empty_project, manifest, tables) -> None:
    """Zip archives shaped like backups, with arbitrary manifest and table lines."""
    from qualcode.backup import restore

    def encode(value) -> bytes:
        return value if isinstance(value, bytes) else json.dumps(value).encode()

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", encode(manifest))
        for table, lines in tables.items():
            archive.writestr(f"tables/{table}.jsonl", b"\n".join(encode(line) for line in lines))
    path = _write(buffer.getvalue(), ".qcbackup")
    try:
        restore(empty_project, path, restore_codebook=False)
    except QualcodeError:
        _assert_database_empty(empty_project)
        return
    # An accepted backup can only have been empty of documents and codings (no valid rows generated).
    _assert_database_empty(empty_project)


# --------------------------------------------------------------------------- store span constraints
@pytest.fixture(scope="module")
def span_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('spans') / 'qualcode.db'}")
    store.sync_codebook(_codebook())
    store.upsert_document(
        ADMIN,
        ParsedDocument(
            name="expert_A",
            text=TEXT,
            participant=Participant("A", "Expert (A)", {}),
            segments=[Segment("sentence", 0, 32), Segment("paragraph", 0, 32)],
        ),
    )
    yield store
    store.dispose()


_offset = st.one_of(st.integers(-3, len(TEXT) + 3), st.integers(-(10**12), 10**12))


@FAST
@given(start=_offset, end=_offset)
def test_add_coding_accepts_exactly_the_valid_spans(span_store: Store, start: int, end: int) -> None:
    before = span_store.counts()["codings"]
    valid = 0 <= start < end <= len(TEXT)
    try:
        coding_id = span_store.add_coding(ADMIN, Coding("expert_A", start, end, "transit", "admin"))
    except CodingError:
        assert not valid, f"the valid span {start}-{end} was refused"
        assert span_store.counts()["codings"] == before
        return
    assert valid, f"the invalid span {start}-{end} was stored"
    stored = span_store.get_coding(ADMIN, coding_id)
    assert 0 <= stored["start_pos"] < stored["end_pos"] <= len(TEXT)
    assert stored["quote"] == TEXT[start:end]
    span_store.delete_coding(ADMIN, coding_id)  # keep the store small and spans re-addable


# --------------------------------------------------------------------------- codebook scales
_SCALE_CODES = ["against", "mixed", "for_it", "unclear"]
_scale_value = st.one_of(
    st.sampled_from(["nominal", "ordinal", "interval", "ratio", "Ordinal", "likert", "", "3"]),
    st.integers(-2, 5),
    st.booleans(),
    st.none(),
)
_order_value = st.one_of(
    st.lists(st.sampled_from(_SCALE_CODES + ["nowhere", "Against", "other_theme_code", ""]), max_size=6),
    st.sampled_from(["against", "[against, mixed]", 3, None, {"a": 1}]),
)


@FAST
@given(scale=st.one_of(st.just(None), _scale_value), order=st.one_of(st.just(None), _order_value))
def test_codebook_scales_load_or_refuse_with_a_located_error(scale: object, order: object) -> None:
    """Any ``scale:``/``order:`` a person may type either loads as a valid scale (its order is a
    list of the theme's own codes, each once, at least two) or is refused with a CodebookError
    that names the field: never another exception, never a half-valid scale."""
    from qualcode.codebook import parse_codebook
    from qualcode.errors import CodebookError

    theme: dict[str, object] = {
        "id": "views",
        "label": "Views",
        "codes": [{"id": c, "label": c.replace("_", " ").title()} for c in _SCALE_CODES],
    }
    if scale is not None:
        theme["scale"] = scale
    if order is not None:
        theme["order"] = order
    book = {"themes": [theme, {"id": "other", "label": "Other", "codes": [{"id": "other_theme_code", "label": "X"}]}]}
    text = json.dumps(book)  # JSON is YAML: the values arrive exactly as typed
    try:
        codebook = parse_codebook(text, "codebook.yaml")
    except CodebookError as exc:
        message = str(exc)
        assert "codebook.yaml" in message and ("scale" in message or "order" in message), message
        return
    parsed = codebook.themes["views"]
    if parsed.scale is None:
        assert scale is None and order is None
        return
    assert parsed.scale in ("nominal", "ordinal", "interval", "ratio")
    if parsed.scale != "nominal":
        assert len(parsed.order) >= 2 and len(set(parsed.order)) == len(parsed.order)
        assert set(parsed.order) <= set(_SCALE_CODES)
