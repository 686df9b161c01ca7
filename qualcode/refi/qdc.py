"""The codebook as REFI-QDA XML (``.qdc``, and the ``CodeBook`` of a project): themes as
non-codable codes, codes, cross-cutting themes as sets, qualcode's own fields kept in comments."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lxml import etree

from .. import __version__
from ..errors import CodebookError, Problem
from ..fileio import atomic_write
from ..model import Code, Codebook, CrossCut, Theme
from .common import CODEBOOK_NS, RGB_PATTERN, compose_description, fields_comment
from .guids import GuidMap

ORIGIN = f"qualcode {__version__}"


# Characters XML 1.0 cannot carry at all (control characters, U+FFFE/U+FFFF, lone
# surrogates): dropped from names and memos, which would otherwise make the export fail.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)


def _sub(
    parent: etree._Element, ns: str, tag: str, attrib: Mapping[str, str | None] | None = None, text: str | None = None
) -> etree._Element:
    element = etree.SubElement(
        parent, f"{{{ns}}}{tag}", {k: xml_safe(v) for k, v in (attrib or {}).items() if isinstance(v, str)}
    )
    if text is not None:
        element.text = xml_safe(text)
    return element


def _valid_color(color: str | None) -> str | None:
    return color if color and RGB_PATTERN.match(color.strip()) else None


def theme_fields(theme: Theme) -> list[tuple[str, Any]]:
    return [("id", theme.id)] + [("alias", a) for a in theme.aliases]


def code_fields(code: Code) -> list[tuple[str, Any]]:
    fields: list[tuple[str, Any]] = [("id", code.id), ("include", code.include), ("exclude", code.exclude)]
    fields += [("example", e) for e in code.examples]
    fields += [("alias", a) for a in code.aliases]
    fields += [("pattern", p) for p in code.patterns]
    return fields


def theme_description(theme: Theme) -> str:
    return compose_description(theme.description, theme_fields(theme))


def code_description(code: Code) -> str:
    return compose_description(code.description, code_fields(code))


def cross_cut_description(cross_cut: CrossCut) -> str:
    return compose_description(cross_cut.description, [("id", cross_cut.id)])


def _definition(
    element: etree._Element, ns: str, description: str, fields: list[tuple[str, Any]], ids: GuidMap
) -> None:
    """A code's, theme's or set's Description and qualcode's own fields (id, criteria, examples,
    aliases, patterns).  By default the fields go into an XML comment, which the schemas allow
    anywhere and other tools neither show nor complain about, so NVivo and MAXQDA users see
    only the description; ``qualcode_block`` puts them in the readable ``[qualcode]`` block
    at the end of the Description instead (visible there, and it survives a trip through
    a tool that drops comments)."""
    if ids.qualcode_block:
        _sub(element, ns, "Description", text=compose_description(description, fields))
        return
    comment = fields_comment(fields)
    if comment:
        element.insert(0, etree.Comment(comment))
    if description.strip():
        _sub(element, ns, "Description", text=description)


def _code_element(parent: etree._Element, ns: str, codebook: Codebook, code: Code, ids: GuidMap) -> None:
    element = _sub(
        parent,
        ns,
        "Code",
        {
            "guid": ids("code", code.id),
            "name": code.label,
            "isCodable": "true",
            "color": _valid_color(codebook.color_of(code.id)),
        },
    )
    _definition(element, ns, code.description, code_fields(code), ids)


def _theme_element(
    parent: etree._Element, ns: str, codebook: Codebook, theme: Theme, seen: set[str], ids: GuidMap
) -> None:
    seen.add(theme.id)
    element = _sub(
        parent,
        ns,
        "Code",
        {"guid": ids("theme", theme.id), "name": theme.label, "isCodable": "false", "color": _valid_color(theme.color)},
    )
    _definition(element, ns, theme.description, theme_fields(theme), ids)
    for code in codebook.codes.values():
        if code.theme == theme.id:
            _code_element(element, ns, codebook, code, ids)
    for child in codebook.child_themes(theme.id):
        if child not in seen:  # a parent cycle in a broken codebook must not loop forever
            _theme_element(element, ns, codebook, codebook.themes[child], seen, ids)


def _codes_element(parent: etree._Element, ns: str, codebook: Codebook, ids: GuidMap) -> etree._Element | None:
    """``<Codes>``: top-level codes, then themes (isCodable=false) holding their codes and
    sub-themes.  Codes whose theme is unknown are written at top level."""
    if not codebook.codes and not codebook.themes:
        return None
    codes = _sub(parent, ns, "Codes")
    for code in codebook.codes.values():
        if code.theme is None or code.theme not in codebook.themes:
            _code_element(codes, ns, codebook, code, ids)
    seen: set[str] = set()
    roots = [t.id for t in codebook.themes.values() if t.parent is None or t.parent not in codebook.themes]
    for theme_id in roots:
        _theme_element(codes, ns, codebook, codebook.themes[theme_id], seen, ids)
    return codes


def _write_atomically(path: str | os.PathLike[str], write: Any) -> None:
    """Write through a temporary file in the target folder, so a failure leaves nothing behind."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, write)


def codebook_xml(
    codebook: Codebook, guids: Mapping[tuple[str, str], str] | None = None, *, qualcode_block: bool = False
) -> bytes:
    """The ``.qdc`` document (namespace ``urn:QDA-XML:codebook:1.0``) as UTF-8 bytes;
    ``guids`` are other tools' GUIDs to write back (see :class:`GuidMap`)."""
    ids = GuidMap(guids, qualcode_block=qualcode_block)
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", {"origin": ORIGIN}, nsmap={None: CODEBOOK_NS})
    if _codes_element(root, CODEBOOK_NS, codebook, ids) is None:
        raise CodebookError(
            Problem(
                "The codebook has no themes or codes, so there is nothing to export.",
                hint="Add codes to codebook.yaml first.",
            )
        )
    _sets_element(root, CODEBOOK_NS, codebook, "guid", ids)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def export_qdc(
    codebook: Codebook,
    path: str | os.PathLike[str],
    guids: Mapping[tuple[str, str], str] | None = None,
    *,
    qualcode_block: bool = False,
) -> None:
    """Write ``codebook`` as a REFI-QDA codebook file (``.qdc``).

    Themes become non-codable codes, codes codable ones (with their theme's colour);
    qualcode-only fields travel in a ``[qualcode]`` block at the end of each Description.
    """
    data = codebook_xml(codebook, guids, qualcode_block=qualcode_block)
    _write_atomically(path, lambda tmp: Path(tmp).write_bytes(data))


def _sets_element(root: etree._Element, ns: str, codebook: Codebook, member_attribute: str, ids: GuidMap) -> None:
    """Cross-cutting themes as Sets of MemberCode (a .qdc names the member ``guid``, a project
    ``targetGUID``, as the two schemas say)."""
    if codebook.cross_cutting:
        sets_el = _sub(root, ns, "Sets")
        for cross in codebook.cross_cutting.values():
            element = _sub(sets_el, ns, "Set", {"guid": ids("set", cross.id), "name": cross.label})
            _definition(element, ns, cross.description, [("id", cross.id)], ids)
            for code_id in cross.codes:
                if code_id in codebook.codes:
                    _sub(element, ns, "MemberCode", {member_attribute: ids("code", code_id)})
