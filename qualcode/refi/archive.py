"""Opening a REFI-QDA project safely: a ``.qdpx`` archive (limits, no links out), a bare
``.qde`` with its ``sources/`` folder, the XML parsed without namespaces."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

from ..errors import InputFileError, Problem
from ..safezip import SafeZipFile, open_zip_safely, parse_xml_safely, unsafe_member_reason
from .common import KNOWN_NAMESPACES, quoted_list

MAX_XML_BYTES = 512 * 1024 * 1024
# Limits for .qdpx archives (tests lower them); see qualcode.safezip for the defaults.
ZIP_LIMITS: dict[str, Any] = {}


class _ProjectInput:
    """The parsed ``project.qde`` and a way to read internal sources, from a zip or a folder."""

    def __init__(self, label: str, root: etree._Element, read_internal: Callable[[str], bytes | None]) -> None:
        self.label = label
        self.root = root
        self.read_internal = read_internal


def _strip_namespaces(root: etree._Element, warnings: list[str]) -> None:
    """Drop namespaces so that every tool's variant (1.0, 0:10, none) reads the same way."""
    seen: set[str] = set()
    for element in root.iter():
        if isinstance(element.tag, str):
            qname = etree.QName(element)
            seen.add(qname.namespace or "")
            element.tag = qname.localname
    etree.cleanup_namespaces(root)
    unknown = sorted(seen - KNOWN_NAMESPACES)
    if unknown:
        warnings.append(
            f"The file uses an unknown XML namespace ({', '.join(unknown)}); it was "
            "read as REFI-QDA 1.0, so check the result."
        )


def _read_limited(path: Path, label: str) -> bytes:
    size = path.stat().st_size
    if size > MAX_XML_BYTES:
        raise InputFileError(
            Problem(
                f"is {size:,} bytes; qualcode reads at most {MAX_XML_BYTES:,} bytes of XML.",
                path=label,
                hint="Split the project before exporting it.",
            )
        )
    return path.read_bytes()


def _internal_name(reference: str) -> str | None:
    """The file name inside ``sources/`` for ``internal://name``, or for a bare path inside the
    archive (qc 1.3 writes ``plainTextPath="board_2017.txt"``; others ``sources/x.txt``);
    None if unsafe or pointing outside (``relative://``, ``absolute://``, other schemes).

    >>> _internal_name("internal://a.txt"), _internal_name("board_2017.txt"), _internal_name("Sources/b.txt")
    ('a.txt', 'board_2017.txt', 'b.txt')
    >>> _internal_name("relative:///etc/passwd"), _internal_name("../x.txt")
    (None, None)
    """
    text = reference.strip()
    if text.lower().startswith("internal://"):
        name = text[len("internal://") :].lstrip("/")
    elif "://" in text or text.startswith(("/", "\\")):
        return None
    else:
        name = text
        folder, _, base = name.rpartition("/")
        if folder and folder.casefold() == "sources":
            name = base
    if not name or unsafe_member_reason(name) or "/" in name:
        return None
    return name


def _zip_reader(archive: SafeZipFile) -> Callable[[str], bytes | None]:
    by_key: dict[str, str] = {}
    for member in archive.namelist():
        if member.endswith("/"):
            continue
        folder, _, base = member.rpartition("/")
        if folder.casefold() in {"sources", ""}:
            by_key.setdefault(base.casefold(), member)

    def read(reference: str) -> bytes | None:
        name = _internal_name(reference)
        member = by_key.get(name.casefold()) if name else None
        return archive.read(member) if member else None

    return read


def _folder_reader(folder: Path) -> Callable[[str], bytes | None]:
    candidates = [folder / "sources", folder / "Sources"]
    if folder.is_dir():
        candidates += [p for p in folder.iterdir() if p.is_dir() and p.name.lower() == "sources"]

    def read(reference: str) -> bytes | None:
        name = _internal_name(reference)
        if not name:
            return None
        for directory in candidates:
            file = directory / name
            if file.is_file() and not file.is_symlink():
                return _read_limited(file, str(file))
        return None

    return read


def _open_project(path: str | os.PathLike[str], warnings: list[str]) -> _ProjectInput:
    p = Path(path)
    label = str(path)
    if not p.is_file():
        raise InputFileError(
            Problem("does not exist or is not a file.", path=label, hint="Check the file name and folder.")
        )
    if p.suffix.lower() in {".qde", ".xml"} and not zipfile.is_zipfile(p):
        root = parse_xml_safely(_read_limited(p, label), label)
        _strip_namespaces(root, warnings)
        return _ProjectInput(label, root, _folder_reader(p.parent))
    with open_zip_safely(p, **ZIP_LIMITS) as archive:
        members = [m for m in archive.namelist() if not m.endswith("/")]
        project = [m for m in members if m.casefold() == "project.qde"]
        if not project:
            project = [m for m in members if m.lower().endswith(".qde") and "/" not in m]
        if len(project) != 1:
            found = quoted_list(members) or "no files"
            raise InputFileError(
                Problem(
                    "contains no project.qde."
                    if not project
                    else f"contains {len(project)} .qde files ({quoted_list(project)}).",
                    path=label,
                    hint=f"A REFI-QDA .qdpx holds exactly one project.qde next to a "
                    f"sources/ folder; this archive has {found}. Export the "
                    "project again as REFI-QDA.",
                )
            )
        where = f"{label} (member '{project[0]}')"
        root = parse_xml_safely(archive.read(project[0]), where)
        _strip_namespaces(root, warnings)
        reader = _zip_reader(archive)
        # Read every internal plain text now, while the archive is open (still size-limited);
        # media files (``path``) are never read: qualcode does not import them.
        cache: dict[str, bytes | None] = {}
        for element in root.iter():
            ref = element.get("plainTextPath") if isinstance(element.tag, str) else None
            if ref and ref not in cache:
                cache[ref] = reader(ref)
    return _ProjectInput(where, root, lambda ref: cache.get(ref))
