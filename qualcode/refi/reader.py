"""Read REFI-QDA projects (``.qdpx``/``.qde``) and codebooks (``.qdc``) written by any tool.

The entry points are here; opening the archive is in :mod:`.archive`, the project's steps in
:mod:`.project_reader`, sources, variables, cases and notes in :mod:`.sources`.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from lxml import etree

from ..errors import InputFileError, Problem
from ..model import Codebook
from ..safezip import parse_xml_safely
from .archive import MAX_XML_BYTES as MAX_XML_BYTES
from .archive import ZIP_LIMITS as ZIP_LIMITS
from .archive import _open_project, _read_limited, _strip_namespaces
from .codetree import CodebookBuild, build_codebook
from .common import GUID_PATTERN, guid_key
from .project_reader import RefiProject, _ProjectReader
from .sources import VARIABLE_TYPES as VARIABLE_TYPES


def import_qdpx(path: str | os.PathLike[str]) -> RefiProject:
    """Read a REFI-QDA project: a ``.qdpx`` archive, or a bare ``project.qde`` (its internal
    sources are then looked up in a ``sources/`` folder next to it).

    Everything qualcode cannot hold is listed, with counts, in ``warnings``.  Unsafe or
    broken archives/XML raise InputFileError.
    """
    warnings: list[str] = []
    return _ProjectReader(_open_project(path, warnings), warnings).read()


def import_qdc(path: str | os.PathLike[str]) -> tuple[Codebook, list[str]]:
    """Read a REFI-QDA codebook (``.qdc``); a project file's codebook is accepted too."""
    codebook, _, warnings = import_qdc_with_guids(path)
    return codebook, warnings


def import_qdc_with_guids(path: str | os.PathLike[str]) -> tuple[Codebook, dict[tuple[str, str], str], list[str]]:
    """:func:`import_qdc`, plus the other tool's GUIDs of the codes, themes and sets kept."""
    warnings: list[str] = []
    p = Path(path)
    label = str(path)
    if not p.is_file():
        raise InputFileError(
            Problem("does not exist or is not a file.", path=label, hint="Check the file name and folder.")
        )
    if zipfile.is_zipfile(p):
        project = import_qdpx(p)
        warnings.append("This is a project archive (.qdpx); only its codebook was read.")
        kept = {k: v for k, v in project.guids.items() if k[0] in ("code", "theme", "set")}
        return project.codebook, kept, warnings + project.warnings
    root = parse_xml_safely(_read_limited(p, label), label)
    _strip_namespaces(root, warnings)
    if root.tag == "CodeBook":
        codes_el = root.find("Codes")
        sets = root.findall("Sets/Set")
    elif root.tag == "Project":
        warnings.append("This is a project file (.qde); only its codebook was read.")
        codes_el = root.find("CodeBook/Codes")
        sets = root.findall("Sets/Set")
    else:
        raise InputFileError(
            Problem(
                f"has root element <{root.tag}>, not <CodeBook>.",
                path=label,
                hint="Choose a REFI-QDA codebook (.qdc) file.",
            )
        )
    # A codebook has no codings, so codable parents become themes without an extra code.
    coded = {guid_key(ref.get("targetGUID")) for ref in root.iterfind("Sources//Coding/CodeRef")}
    built = build_codebook(codes_el, sets, coded, warnings)
    return built.codebook, codebook_guids(root, built), warnings


def codebook_guids(root: etree._Element, built: CodebookBuild) -> dict[tuple[str, str], str]:
    """The GUIDs (as written, valid ones only) of the themes, codes and sets qualcode kept."""
    written = {guid_key(g): g.strip() for e in root.iter() if isinstance(e.tag, str) for g in [e.get("guid")] if g}
    items = [("theme", t, g) for g, t in built.theme_of_guid.items()]
    items += [("code", c, g) for g, c in built.code_of_guid.items() if g not in built.theme_of_guid]
    items += [("set", x, g) for g, x in built.set_of_guid.items()]
    result: dict[tuple[str, str], str] = {}
    for kind, item, key in items:
        guid = written.get(key, "")
        if GUID_PATTERN.match(guid):
            result.setdefault((kind, item), guid)
    return result


__all__ = ["RefiProject", "import_qdc", "import_qdc_with_guids", "import_qdpx"]
