"""Open untrusted ZIP archives and XML files without trusting them.

Exchange files (REFI-QDA ``.qdpx``, ``.docx``, ``.xlsx``) are ZIP archives written by
other programs, sometimes by people we do not know.  Before qualcode reads a byte of
them it checks the whole archive and refuses, with an :class:`~qualcode.errors.InputFileError`
that names the archive, the member and the fix:

* member names that would escape a folder (absolute paths, ``..``, drive letters,
  backslashes, NUL bytes), symbolic links, duplicate names (also duplicates that differ
  only in case, which collide on Windows and macOS), encrypted members;
* too many members, too much declared uncompressed data, or members that compress
  suspiciously well (zip bombs).  Declared sizes can lie, so :meth:`SafeZipFile.read`
  also counts the bytes while it decompresses and stops as soon as a limit is passed.

:func:`parse_xml_safely` parses XML with lxml configured not to resolve entities, not to
load DTDs and not to touch the network, and refuses documents that declare entities
(XXE, "billion laughs") or point at an external DTD.
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path, PurePosixPath

from lxml import etree

from .errors import InputFileError, Problem

DEFAULT_MAX_MEMBERS = 10_000
DEFAULT_MAX_TOTAL_UNCOMPRESSED = 2 * 1024**3  # 2 GiB: the REFI-QDA limit for one internal file
DEFAULT_MAX_RATIO = 100.0
# Small members may compress extremely well (a run of spaces, an empty XML element):
# the ratio check only applies once a member is big enough to hurt.
RATIO_CHECK_MIN_BYTES = 1024 * 1024
_CHUNK = 64 * 1024


class SafeZipFile(zipfile.ZipFile):
    """A :class:`zipfile.ZipFile` whose members were validated and whose reads are capped.

    Build it with :func:`open_zip_safely`, not directly.
    """

    archive_label: str = ""
    max_total_uncompressed: int = DEFAULT_MAX_TOTAL_UNCOMPRESSED
    max_ratio: float = DEFAULT_MAX_RATIO
    _bytes_read: int = 0

    def find_member(self, name: str, *, case_sensitive: bool = False) -> str | None:
        """The stored member name matching ``name`` (case-insensitively by default), or None."""
        names = self.namelist()
        if name in names:
            return name
        if case_sensitive:
            return None
        key = name.casefold()
        for stored in names:
            if stored.casefold() == key:
                return stored
        return None

    def read(self, name: str | zipfile.ZipInfo, pwd: bytes | None = None) -> bytes:
        """Decompress one member, stopping as soon as it passes its declared size or a limit."""
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        budget = self.max_total_uncompressed - self._bytes_read
        ratio_limit = max(RATIO_CHECK_MIN_BYTES, int(self.max_ratio * max(info.compress_size, 1)))
        limit = min(info.file_size, budget, ratio_limit)
        chunks: list[bytes] = []
        size = 0
        try:
            with self.open(info, pwd=pwd) as stream:
                while True:
                    chunk = stream.read(_CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise _refuse(
                            self.archive_label,
                            info.filename,
                            "decompresses to more data than the archive declares or "
                            "than qualcode allows (possible zip bomb).",
                            "Re-create the archive with the exporting program, or "
                            "raise the limits if you trust this file.",
                        )
                    chunks.append(chunk)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
            raise _refuse(
                self.archive_label,
                info.filename,
                f"cannot be decompressed ({exc}).",
                "The archive is damaged or uses an unsupported compression method; export it again.",
            ) from exc
        finally:
            self._bytes_read += size
        return b"".join(chunks)


def _refuse(archive: str, member: str | None, message: str, hint: str) -> InputFileError:
    where = f"{archive}" + (f" (member '{member}')" if member else "")
    return InputFileError(Problem(message, path=where, hint=hint))


def unsafe_member_reason(name: str) -> str | None:
    """Why a member name could escape the extraction folder, or None if it is safe.

    >>> unsafe_member_reason("sources/a.txt") is None
    True
    >>> unsafe_member_reason("../etc/passwd")
    "contains a '..' path component"
    """
    if not name:
        return "has an empty name"
    if "\x00" in name:
        return "contains a NUL byte"
    if "\\" in name:
        return "contains a backslash (a Windows path separator)"
    if name.startswith("/"):
        return "is an absolute path"
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        return "starts with a drive letter"
    if any(part == ".." for part in PurePosixPath(name).parts):
        return "contains a '..' path component"
    return None


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return info.create_system == 3 and stat.S_ISLNK(mode)


def open_zip_safely(
    path: str | os.PathLike[str],
    *,
    max_members: int = DEFAULT_MAX_MEMBERS,
    max_total_uncompressed: int = DEFAULT_MAX_TOTAL_UNCOMPRESSED,
    max_ratio: float = DEFAULT_MAX_RATIO,
) -> SafeZipFile:
    """Open ``path`` as a ZIP archive after checking every member; raise InputFileError if unsafe.

    All problems found in the central directory are reported together.  The returned
    archive must be closed by the caller (use it in a ``with`` block).
    """
    label = str(path)
    p = Path(path)
    if not p.is_file():
        raise InputFileError(
            Problem("does not exist or is not a file.", path=label, hint="Check the file name and folder.")
        )
    try:
        archive = SafeZipFile(p)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise InputFileError(
            Problem(
                f"is not a readable ZIP archive ({exc}).",
                path=label,
                hint="Choose the exported .qdpx/.docx/.xlsx file itself, not a renamed or damaged copy.",
            )
        ) from exc
    archive.archive_label = label
    archive.max_total_uncompressed = max_total_uncompressed
    archive.max_ratio = max_ratio
    try:
        _validate_members(archive, label, max_members, max_total_uncompressed, max_ratio)
    except BaseException:
        archive.close()
        raise
    return archive


def _validate_members(archive: zipfile.ZipFile, label: str, max_members: int, max_total: int, max_ratio: float) -> None:
    infos = archive.infolist()
    if len(infos) > max_members:
        raise _refuse(
            label,
            None,
            f"has {len(infos)} members; qualcode accepts at most {max_members}.",
            "Split the project or raise the limit if you trust it.",
        )
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    total = 0
    for info in infos:
        problems += _member_problems(info, f"{label} (member '{info.filename}')", seen, max_ratio)
        total += info.file_size
    if total > max_total:
        problems.append(
            Problem(
                f"declares {total:,} bytes of uncompressed data; the limit is {max_total:,}.",
                path=label,
                hint="Refusing the archive; raise the limit only if you trust it.",
            )
        )
    if problems:
        raise InputFileError(problems)


def _member_problems(info: zipfile.ZipInfo, where: str, seen: dict[str, str], max_ratio: float) -> list[Problem]:
    """What is unsafe about one member: its name, a link, encryption, a duplicate name (``seen``:
    the names so far, by case-folded key; this one is added), a zip-bomb ratio."""
    name = info.filename
    problems: list[Problem] = []
    reason = unsafe_member_reason(name)
    if reason:
        problems.append(
            Problem(
                f"member name {reason}; it could be written outside the target folder.",
                path=where,
                hint="Refusing the archive. Re-export it with the program that made it.",
            )
        )
    if _is_symlink(info):
        problems.append(
            Problem("is a symbolic link.", path=where, hint="Archives with links are refused; re-export without links.")
        )
    if info.flag_bits & 0x1:
        problems.append(Problem("is encrypted.", path=where, hint="Export the project again without a password."))
    key = name.rstrip("/").casefold()
    if key in seen:
        problems.append(
            Problem(
                f"appears more than once (also as '{seen[key]}').",
                path=where,
                hint="Duplicate names make it ambiguous which copy is meant; re-export the archive.",
            )
        )
    else:
        seen[key] = name
    if info.file_size > RATIO_CHECK_MIN_BYTES and info.file_size > max_ratio * max(info.compress_size, 1):
        ratio = info.file_size / max(info.compress_size, 1)
        problems.append(
            Problem(
                f"compresses {ratio:.0f}:1 (limit {max_ratio:.0f}:1), typical of a zip bomb.",
                path=where,
                hint="Refusing the archive; raise max_ratio only if you trust its author.",
            )
        )
    return problems


# --------------------------------------------------------------------------- XML
def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False, remove_pis=True
    )


_ENTITY_MARKERS = tuple(
    m for s in ("<!ENTITY",) for m in (s.encode("ascii"), s.encode("utf-16-le"), s.encode("utf-16-be"))
)


def parse_xml_safely(data: bytes, path: str) -> etree._Element:
    """Parse untrusted XML bytes; return the root element.

    Refuses (InputFileError) any document type declaration that declares entities or
    loads an external DTD, and reports syntax errors with line and column.  ``path``
    only names the input in messages (e.g. ``"export.qdpx (member 'project.qde')"``).
    """
    hint_entities = (
        "Entity declarations can read local files or expand to gigabytes "
        "(XXE, 'billion laughs'); export the file again without a DOCTYPE."
    )
    if any(marker in data for marker in _ENTITY_MARKERS):
        raise InputFileError(
            Problem("declares XML entities: external entities are not allowed.", path=path, hint=hint_entities)
        )
    try:
        root = etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, None)
        raise InputFileError(
            Problem(
                f"is not well-formed XML: {exc.msg}.",
                path=path,
                line=line or None,
                column=column or None,
                hint="The file is damaged or not XML; export it again.",
            )
        ) from exc
    except ValueError as exc:  # e.g. unicode strings with an encoding declaration
        raise InputFileError(
            Problem(f"cannot be parsed as XML ({exc}).", path=path, hint="Pass the file's raw bytes.")
        ) from exc
    if root is None:
        raise InputFileError(Problem("contains no XML element.", path=path, hint="The file is empty; export it again."))
    docinfo = root.getroottree().docinfo
    dtd = docinfo.internalDTD
    if (dtd is not None and any(True for _ in dtd.iterentities())) or docinfo.system_url or docinfo.public_id:
        raise InputFileError(
            Problem(
                "declares a DTD with entities or an external DTD: external entities are not allowed.",
                path=path,
                hint=hint_entities,
            )
        )
    return root


__all__ = [
    "SafeZipFile",
    "open_zip_safely",
    "parse_xml_safely",
    "unsafe_member_reason",
    "DEFAULT_MAX_MEMBERS",
    "DEFAULT_MAX_TOTAL_UNCOMPRESSED",
    "DEFAULT_MAX_RATIO",
]
