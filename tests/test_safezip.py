"""Tests for qualcode.safezip: archives and XML from untrusted sources."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualcode.errors import InputFileError
from qualcode.safezip import open_zip_safely, parse_xml_safely, unsafe_member_reason

HOSTILE = Path(__file__).parent / "data" / "refi" / "hostile"


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_safe_archive_opens_and_reads(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "ok.zip", {"Project.qde": b"<Project/>", "sources/a.txt": b"abc"})
    with open_zip_safely(path) as archive:
        assert archive.find_member("project.qde") == "Project.qde"
        assert archive.find_member("project.qde", case_sensitive=True) is None
        assert archive.read("sources/a.txt") == b"abc"
        assert archive.read(archive.getinfo("Project.qde")) == b"<Project/>"


@pytest.mark.parametrize(
    "name, reason",
    [
        ("../evil.txt", "'..'"),
        ("sources/../../evil.txt", "'..'"),
        ("/etc/passwd", "absolute"),
        ("C:/Windows/evil.txt", "drive letter"),
        ("c:evil.txt", "drive letter"),
        ("..\\evil.txt", "backslash"),
        ("sources\\a.txt", "backslash"),
        ("a\x00.txt", "NUL"),
        ("", "empty"),
    ],
)
def test_unsafe_member_names(name: str, reason: str) -> None:
    assert reason in (unsafe_member_reason(name) or "")


@pytest.mark.parametrize("name", ["project.qde", "sources/a b.txt", "sources/..a.txt", "Sources/", "deep/er/fïle.txt"])
def test_safe_member_names(name: str) -> None:
    assert unsafe_member_reason(name) is None


segment = st.text(
    st.characters(blacklist_characters="/\\\x00:", blacklist_categories=("Cs",)), min_size=1, max_size=8
).filter(lambda s: s not in {".", ".."})


@given(st.lists(segment, min_size=1, max_size=4), st.integers(min_value=0, max_value=4))
def test_dotdot_anywhere_is_refused(parts: list[str], where: int) -> None:
    assert unsafe_member_reason("/".join(parts)) is None
    parts.insert(min(where, len(parts)), "..")
    assert unsafe_member_reason("/".join(parts)) is not None


@pytest.mark.parametrize(
    "file, expected",
    [
        ("path_traversal.qdpx", "'..'"),
        ("absolute_path.qdpx", "absolute path"),
        ("backslash_path.qdpx", "backslash"),
        ("drive_letter.qdpx", "drive letter"),
        ("symlink.qdpx", "symbolic link"),
        ("duplicate_member.qdpx", "more than once"),
        ("zip_bomb.qdpx", "zip bomb"),
        ("not_a_zip.qdpx", "not a readable ZIP"),
    ],
)
def test_hostile_archives_refused_on_open(file: str, expected: str) -> None:
    path = HOSTILE / file
    with pytest.raises(InputFileError) as info:
        open_zip_safely(path)
    assert expected in str(info.value)
    assert str(path) in str(info.value)  # names the archive


def test_error_names_member_and_fix() -> None:
    with pytest.raises(InputFileError) as info:
        open_zip_safely(HOSTILE / "path_traversal.qdpx")
    problem = info.value.problems[0]
    assert "../../evil.txt" in problem.path
    assert problem.hint and "Re-export" in problem.hint


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "bad.zip", {"../a": b"x", "/b": b"y", "ok.txt": b"z"})
    with pytest.raises(InputFileError) as info:
        open_zip_safely(path)
    assert len(info.value.problems) == 2


def test_lying_sizes_stop_while_streaming() -> None:
    # The headers declare 1000 bytes (so the declared-size checks pass); reading must stop.
    with open_zip_safely(HOSTILE / "zip_bomb_lying_size.qdpx") as archive:
        member = "sources/11111111-1111-1111-1111-111111111111.txt"
        assert archive.getinfo(member).file_size == 1000
        with pytest.raises(InputFileError) as info:
            archive.read(member)
    assert member in str(info.value)


def test_stream_budget_limits_total_bytes_read(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "two.zip", {"a.txt": b"a" * 600, "b.txt": b"b" * 600})
    with open_zip_safely(path, max_total_uncompressed=1200) as archive:
        archive.max_total_uncompressed = 1000  # as if the declared sizes had been smaller
        assert len(archive.read("a.txt")) == 600
        with pytest.raises(InputFileError, match="zip bomb"):
            archive.read("b.txt")


@pytest.mark.parametrize(
    "limits, members, expected",
    [
        ({"max_members": 3}, {f"m{i}": b"x" for i in range(4)}, "at most 3"),
        ({"max_total_uncompressed": 100}, {"a": b"a" * 60, "b": b"b" * 60}, "uncompressed"),
        (
            {"max_ratio": 10},
            {"big": bytes(random.Random(0).choices(b"ab", weights=[97, 3], k=2 * 1024 * 1024))},
            "zip bomb",
        ),
    ],
)
def test_limits(tmp_path: Path, limits: dict, members: dict[str, bytes], expected: str) -> None:
    path = make_zip(tmp_path / "x.zip", members)
    with pytest.raises(InputFileError, match=expected):
        open_zip_safely(path, **limits)
    open_zip_safely(path).close()  # the defaults accept these small archives


def test_small_members_may_compress_well(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "x.zip", {"spaces.txt": b" " * 100_000})
    with open_zip_safely(path, max_ratio=10) as archive:
        assert len(archive.read("spaces.txt")) == 100_000


def test_encrypted_members_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "x.zip", {"a.txt": b"secret"})
    data = bytearray(path.read_bytes())
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x1  # general purpose flag bit 0: encrypted
    path.write_bytes(bytes(data))
    with pytest.raises(InputFileError, match="encrypted"):
        open_zip_safely(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="does not exist"):
        open_zip_safely(tmp_path / "nope.qdpx")


# --------------------------------------------------------------------------- XML
def test_parse_valid_xml() -> None:
    root = parse_xml_safely(b'<?xml version="1.0"?><a x="1"><b>t</b></a>', "x.xml")
    assert root.tag == "a" and root.findtext("b") == "t"


def test_plain_doctype_without_entities_is_allowed() -> None:
    assert parse_xml_safely(b"<!DOCTYPE a><a/>", "x.xml").tag == "a"


@pytest.mark.parametrize(
    "data",
    [
        b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
        b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
        b'<!DOCTYPE a [<!ENTITY % p SYSTEM "http://example.invalid/p.dtd"> %p;]><a/>',
        b'<!DOCTYPE a SYSTEM "http://example.invalid/a.dtd"><a/>',
        b'<!DOCTYPE a PUBLIC "-//X//Y" "http://example.invalid/a.dtd"><a/>',
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'.encode("utf-16"),
        (HOSTILE.parent / "make_hostile.py").read_bytes().split(b'BILLION_LAUGHS_QDE = b"""')[1].split(b'"""')[0],
    ],
    ids=[
        "xxe-file",
        "internal-entity",
        "parameter-entity",
        "external-dtd",
        "public-dtd",
        "utf16-entity",
        "billion-laughs",
    ],
)
def test_entities_refused(data: bytes) -> None:
    with pytest.raises(InputFileError, match="external entities are not allowed"):
        parse_xml_safely(data, "evil.xml")


@pytest.mark.parametrize(
    "data, line, column",
    [
        (b"<a>\n<b></a>", 2, 8),
        (b"<a>\n\n  <b x='1' x='2'/></a>", 3, 17),
        (b"", None, None),
        (b"plain text", 1, 1),
    ],
)
def test_invalid_xml_has_location(data: bytes, line: int | None, column: int | None) -> None:
    with pytest.raises(InputFileError) as info:
        parse_xml_safely(data, "broken.xml")
    problem = info.value.problems[0]
    assert problem.path == "broken.xml"
    if line is not None:
        assert (problem.line, problem.column) == (line, column)
