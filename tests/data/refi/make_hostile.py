"""Generate the hostile REFI-QDA archives in ``hostile/`` that qualcode must refuse.

Each file targets one attack or one kind of damage (see ``CASES``).  The files are
committed so the tests do not depend on this script, but re-running it reproduces them
byte for byte:  python tests/data/refi/make_hostile.py
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "hostile"
DATE = (2020, 1, 1, 0, 0, 0)

GOOD_QDE = b"""<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="hostile">
  <Sources>
    <TextSource guid="11111111-1111-1111-1111-111111111111" name="a.txt"
                plainTextPath="internal://11111111-1111-1111-1111-111111111111.txt"/>
  </Sources>
</Project>
"""
TEXT_NAME = "sources/11111111-1111-1111-1111-111111111111.txt"

XXE_QDE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE Project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&secret;"/>
"""

BILLION_LAUGHS_QDE = b"""<?xml version="1.0"?>
<!DOCTYPE Project [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol9;"/>
"""

EXTERNAL_DTD_QDE = b"""<?xml version="1.0"?>
<!DOCTYPE Project SYSTEM "http://example.invalid/evil.dtd">
<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>
"""

INVALID_QDE = b"""<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="broken">
  <Sources>
    <TextSource guid="11111111-1111-1111-1111-111111111111" name="a.txt">
  </Sources>
</Project>
"""


def _write(name: str, members: list[tuple[str, bytes]], *, symlinks: tuple[str, ...] = ()) -> Path:
    path = OUT / name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in members:
            info = zipfile.ZipInfo(member, DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            if member in symlinks:
                info.create_system = 3
                info.external_attr = 0o120777 << 16
            archive.writestr(info, data)
    return path


def _lie_about_size(path: Path, member: str, declared: int) -> None:
    """Patch both headers of ``member`` so they declare ``declared`` uncompressed bytes."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    local = data.find(b"PK\x03\x04")
    while local != -1:
        name_len = struct.unpack_from("<H", data, local + 26)[0]
        if bytes(data[local + 30 : local + 30 + name_len]) == name:
            struct.pack_into("<I", data, local + 22, declared)
            break
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + name_len]) == name:
            struct.pack_into("<I", data, central + 24, declared)
            break
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


# name -> what it is (the tests parametrize over this table)
CASES = {
    "path_traversal.qdpx": "a member named ../../evil.txt",
    "absolute_path.qdpx": "a member with an absolute path /tmp/evil.txt",
    "backslash_path.qdpx": "a member with Windows separators ..\\evil.txt",
    "drive_letter.qdpx": "a member named C:/evil.txt",
    "symlink.qdpx": "a member that is a symbolic link to /etc/passwd",
    "duplicate_member.qdpx": "project.qde twice (different case)",
    "zip_bomb.qdpx": "a 20 MB member of zeros compressed about 1000:1",
    "zip_bomb_lying_size.qdpx": "a 5 MB member whose headers declare 1000 bytes",
    "too_many_members.qdpx": "60 members (refused with a limit of 50)",
    "xxe.qdpx": "project.qde declaring an external entity (file:///etc/passwd)",
    "billion_laughs.qdpx": "project.qde with nested entity expansion",
    "external_dtd.qdpx": "project.qde loading an external DTD",
    "invalid_xml.qdpx": "project.qde that is not well-formed",
    "missing_project.qdpx": "an archive with sources/ but no project.qde",
    "not_a_zip.qdpx": "a text file named .qdpx",
    "xxe.qde": "a bare project.qde declaring an external entity",
}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    text = (TEXT_NAME, b"harmless text")
    _write("path_traversal.qdpx", [("project.qde", GOOD_QDE), text, ("../../evil.txt", b"x")])
    _write("absolute_path.qdpx", [("project.qde", GOOD_QDE), text, ("/tmp/evil.txt", b"x")])
    _write("backslash_path.qdpx", [("project.qde", GOOD_QDE), text, ("..\\evil.txt", b"x")])
    _write("drive_letter.qdpx", [("project.qde", GOOD_QDE), text, ("C:/evil.txt", b"x")])
    _write("symlink.qdpx", [("project.qde", GOOD_QDE), (TEXT_NAME, b"/etc/passwd")], symlinks=(TEXT_NAME,))
    _write("duplicate_member.qdpx", [("project.qde", GOOD_QDE), ("Project.qde", GOOD_QDE), text])
    _write("zip_bomb.qdpx", [("project.qde", GOOD_QDE), (TEXT_NAME, b"\0" * (20 * 1024 * 1024))])
    lying = _write("zip_bomb_lying_size.qdpx", [("project.qde", GOOD_QDE), (TEXT_NAME, b"a" * (5 * 1024 * 1024))])
    _lie_about_size(lying, TEXT_NAME, 1000)
    _write(
        "too_many_members.qdpx",
        [("project.qde", GOOD_QDE), text] + [(f"sources/extra{i:03d}.txt", b"x") for i in range(58)],
    )
    _write("xxe.qdpx", [("project.qde", XXE_QDE), text])
    _write("billion_laughs.qdpx", [("project.qde", BILLION_LAUGHS_QDE), text])
    _write("external_dtd.qdpx", [("project.qde", EXTERNAL_DTD_QDE), text])
    _write("invalid_xml.qdpx", [("project.qde", INVALID_QDE), text])
    _write("missing_project.qdpx", [text])
    (OUT / "not_a_zip.qdpx").write_text("This is not a ZIP archive.\n", encoding="utf-8")
    (OUT / "xxe.qde").write_bytes(XXE_QDE)
    made = sorted(p.name for p in OUT.iterdir())
    assert made == sorted(CASES), (made, sorted(CASES))
    print(f"wrote {len(made)} hostile files to {OUT}")


if __name__ == "__main__":
    main()
