"""Write REFI-QDA codebooks (``.qdc``) and projects (``.qdpx``)."""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import zipfile
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from lxml import etree

from .. import __version__
from ..errors import CodebookError, CodingError, Problem
from ..fileio import atomic_write
from ..frames import PARTICIPANT_COLUMNS, AnalysisData, is_missing
from ..model import Code, Codebook, CrossCut, Theme
from .common import (
    CODEBOOK_NS,
    PROJECT_NS,
    RGB_PATTERN,
    compose_description,
    stable_guid,
    to_xsd_datetime,
)

ORIGIN = f"qualcode {__version__}"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so exporting the same data twice gives the same bytes
_SELECTION_NAME_CHARS = 100


# --------------------------------------------------------------------------- guids
def theme_guid(theme_id: str) -> str:
    return stable_guid("theme", theme_id)


def code_guid(code_id: str) -> str:
    return stable_guid("code", code_id)


def set_guid(cross_cut_id: str) -> str:
    return stable_guid("set", cross_cut_id)


def user_guid(name: str) -> str:
    return stable_guid("user", name)


def source_guid(document: str) -> str:
    return stable_guid("source", document)


def selection_guid(document: str, start: int, end: int) -> str:
    return stable_guid("selection", document, start, end)


def coding_guid(document: str, start: int, end: int, code: str, annotator: str) -> str:
    return stable_guid("coding", document, start, end, code, annotator)


def case_guid(participant: str) -> str:
    return stable_guid("case", participant)


def variable_guid(name: str) -> str:
    return stable_guid("variable", name)


# --------------------------------------------------------------------------- codebook
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


def theme_description(theme: Theme) -> str:
    return compose_description(theme.description, [("id", theme.id)] + [("alias", a) for a in theme.aliases])


def code_description(code: Code) -> str:
    fields: list[tuple[str, Any]] = [("id", code.id), ("include", code.include), ("exclude", code.exclude)]
    fields += [("example", e) for e in code.examples]
    fields += [("alias", a) for a in code.aliases]
    fields += [("pattern", p) for p in code.patterns]
    return compose_description(code.description, fields)


def cross_cut_description(cross_cut: CrossCut) -> str:
    return compose_description(cross_cut.description, [("id", cross_cut.id)])


def _code_element(parent: etree._Element, ns: str, codebook: Codebook, code: Code) -> None:
    element = _sub(
        parent,
        ns,
        "Code",
        {
            "guid": code_guid(code.id),
            "name": code.label,
            "isCodable": "true",
            "color": _valid_color(codebook.color_of(code.id)),
        },
    )
    _sub(element, ns, "Description", text=code_description(code))


def _theme_element(parent: etree._Element, ns: str, codebook: Codebook, theme: Theme, seen: set[str]) -> None:
    seen.add(theme.id)
    element = _sub(
        parent,
        ns,
        "Code",
        {"guid": theme_guid(theme.id), "name": theme.label, "isCodable": "false", "color": _valid_color(theme.color)},
    )
    _sub(element, ns, "Description", text=theme_description(theme))
    for code in codebook.codes.values():
        if code.theme == theme.id:
            _code_element(element, ns, codebook, code)
    for child in codebook.child_themes(theme.id):
        if child not in seen:  # a parent cycle in a broken codebook must not loop forever
            _theme_element(element, ns, codebook, codebook.themes[child], seen)


def _codes_element(parent: etree._Element, ns: str, codebook: Codebook) -> etree._Element | None:
    """``<Codes>``: top-level codes, then themes (isCodable=false) holding their codes and
    sub-themes.  Codes whose theme is unknown are written at top level."""
    if not codebook.codes and not codebook.themes:
        return None
    codes = _sub(parent, ns, "Codes")
    for code in codebook.codes.values():
        if code.theme is None or code.theme not in codebook.themes:
            _code_element(codes, ns, codebook, code)
    seen: set[str] = set()
    roots = [t.id for t in codebook.themes.values() if t.parent is None or t.parent not in codebook.themes]
    for theme_id in roots:
        _theme_element(codes, ns, codebook, codebook.themes[theme_id], seen)
    return codes


def _write_atomically(path: str | os.PathLike[str], write: Any) -> None:
    """Write through a temporary file in the target folder, so a failure leaves nothing behind."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, write)


def codebook_xml(codebook: Codebook) -> bytes:
    """The ``.qdc`` document (namespace ``urn:QDA-XML:codebook:1.0``) as UTF-8 bytes."""
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", {"origin": ORIGIN}, nsmap={None: CODEBOOK_NS})
    if _codes_element(root, CODEBOOK_NS, codebook) is None:
        raise CodebookError(
            Problem(
                "The codebook has no themes or codes, so there is nothing to export.",
                hint="Add codes to codebook.yaml first.",
            )
        )
    if codebook.cross_cutting:
        sets = _sub(root, CODEBOOK_NS, "Sets")
        for cross in codebook.cross_cutting.values():
            element = _sub(sets, CODEBOOK_NS, "Set", {"guid": set_guid(cross.id), "name": cross.label})
            _sub(element, CODEBOOK_NS, "Description", text=cross_cut_description(cross))
            for code_id in cross.codes:
                if code_id in codebook.codes:
                    _sub(element, CODEBOOK_NS, "MemberCode", {"guid": code_guid(code_id)})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def export_qdc(codebook: Codebook, path: str | os.PathLike[str]) -> None:
    """Write ``codebook`` as a REFI-QDA codebook file (``.qdc``).

    Themes become non-codable codes, codes codable ones (with their theme's colour);
    qualcode-only fields travel in a ``[qualcode]`` block at the end of each Description.
    """
    data = codebook_xml(codebook)
    _write_atomically(path, lambda tmp: Path(tmp).write_bytes(data))


# --------------------------------------------------------------------------- project
def _clean(value: Any) -> Any:
    """None for missing values (None/NaN/NaT), plain Python scalars otherwise."""
    if is_missing(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (AttributeError, ValueError):
            pass
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    return value


def variable_type(values: Iterable[Any]) -> str:
    """REFI typeOfVariable for a participant attribute's (non-missing) values.

    ISO dates kept as text (as a database or spreadsheet returns them) count as dates.

    >>> variable_type([1, 2]), variable_type([1, 2.5]), variable_type(["a", 1])
    ('Integer', 'Float', 'Text')
    >>> variable_type(["2024-03-01", dt.date(2024, 1, 2)])
    'Date'
    """
    items = [v for v in values if v is not None]
    if not items:
        return "Text"
    if all(isinstance(v, bool) for v in items):
        return "Boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        return "Integer"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in items):
        return "Float"
    if all(isinstance(v, dt.datetime) for v in items):
        return "DateTime"
    if all((isinstance(v, dt.date) and not isinstance(v, dt.datetime)) or _iso_date(v) for v in items):
        return "Date"
    return "Text"


def _iso_date(value: Any) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return False
    try:
        dt.date.fromisoformat(value.strip())
    except ValueError:
        return False
    return True


def _value_text(kind: str, value: Any) -> tuple[str, str]:
    if kind == "Boolean":
        return "BooleanValue", "true" if value else "false"
    if kind == "Integer":
        return "IntegerValue", str(int(value))
    if kind == "Float":
        # xsd:decimal has no exponent notation: write the shortest exact digits in full
        return "FloatValue", format(Decimal(repr(float(value))), "f")
    if kind == "DateTime":
        return "DateTimeValue", value.isoformat()
    if kind == "Date":
        return "DateValue", value.strip() if isinstance(value, str) else value.isoformat()
    return "TextValue", str(value)


def _check_codings(data: AnalysisData, codings: pd.DataFrame) -> None:
    problems: list[Problem] = []
    for row in codings.itertuples(index=False):
        where = f"coding {row.coding_id}"
        if row.code not in data.codebook.codes:
            problems.append(
                Problem(
                    f"refers to code '{row.code}', which is not in the codebook",
                    field=where,
                    hint="Fix the coding or add the code.",
                )
            )
        text = data.texts.get(row.document)
        if text is None:
            problems.append(
                Problem(
                    f"refers to document '{row.document}', whose text is missing",
                    field=where,
                    hint="Sync the project first.",
                )
            )
        elif not 0 <= int(row.start) < int(row.end) <= len(text):
            problems.append(
                Problem(
                    f"span {row.start}-{row.end} lies outside document '{row.document}' (length {len(text)})",
                    field=where,
                    hint="Re-anchor the coding.",
                )
            )
    if problems:
        raise CodingError(problems)


def project_xml(
    data: AnalysisData, *, users: list[str] | None = None, project_name: str = "qualcode project"
) -> tuple[bytes, dict[str, str]]:
    """The ``project.qde`` bytes and the internal text files (``sources/<guid>.txt`` → text)."""
    codings = data.codings if users is None else data.codings.loc[data.codings["annotator"].isin(list(users))]
    codings = codings.sort_values(["document", "start", "end", "annotator", "code"], kind="stable")
    _check_codings(data, codings)
    codebook = data.codebook
    ns = PROJECT_NS
    root = etree.Element(f"{{{ns}}}Project", {"name": project_name, "origin": ORIGIN}, nsmap={None: ns})

    user_names = list(users) if users is not None else []
    for name in codings["annotator"].astype(str):
        if name not in user_names:
            user_names.append(name)
    if user_names:
        users_el = _sub(root, ns, "Users")
        for name in user_names:
            _sub(users_el, ns, "User", {"guid": user_guid(name), "name": name})

    codebook_el = _sub(root, ns, "CodeBook")
    if _codes_element(codebook_el, ns, codebook) is None:
        root.remove(codebook_el)

    # Participants become Cases; their attributes Variables with one VariableValue per case.
    participants = data.participants
    attr_columns = [c for c in participants.columns if c not in PARTICIPANT_COLUMNS]
    kinds = {col: variable_type(_clean(v) for v in participants[col]) for col in attr_columns}
    if attr_columns:
        variables_el = _sub(root, ns, "Variables")
        for col in attr_columns:
            _sub(
                variables_el,
                ns,
                "Variable",
                {"guid": variable_guid(str(col)), "name": str(col), "typeOfVariable": kinds[col]},
            )
    docs_of: dict[str, list[str]] = {}
    for row in data.documents.itertuples(index=False):
        if _clean(row.participant) is not None:
            docs_of.setdefault(str(row.participant), []).append(str(row.document))
    if len(participants):
        cases_el = _sub(root, ns, "Cases")
        for record in participants.to_dict("records"):
            pid = str(record["participant"])
            case = _sub(cases_el, ns, "Case", {"guid": case_guid(pid), "name": pid})
            label = _clean(record.get("label"))
            if label is not None and str(label) != pid:
                _sub(case, ns, "Description", text=str(label))
            for col in attr_columns:
                value = _clean(record.get(col))
                if value is None:
                    continue
                vv = _sub(case, ns, "VariableValue")
                _sub(vv, ns, "VariableRef", {"targetGUID": variable_guid(str(col))})
                tag, value_text = _value_text(kinds[col], value)
                _sub(vv, ns, tag, text=value_text)
            for document in docs_of.get(pid, []):
                _sub(case, ns, "SourceRef", {"targetGUID": source_guid(document)})

    files: dict[str, str] = {}
    notes: list[tuple[str, str, str, str | None]] = []  # guid, name, text, creating user
    documents = [str(d) for d in data.documents["document"]]
    documents += [d for d in data.texts if d not in documents]
    by_doc = {doc: group for doc, group in codings.groupby("document", sort=False)}
    sources_el = _sub(root, ns, "Sources") if documents else None
    for document in documents:
        text = data.texts.get(document)
        if text is None or sources_el is None:
            continue
        guid = source_guid(document)
        files[f"sources/{guid}.txt"] = text
        source = _sub(
            sources_el, ns, "TextSource", {"guid": guid, "name": document, "plainTextPath": f"internal://{guid}.txt"}
        )
        group = by_doc.get(document)
        if group is None:
            continue
        for (start, end), span in group.groupby(["start", "end"], sort=True):
            start, end = int(start), int(end)
            span = span.assign(when_xsd=span["created_at"].map(to_xsd_datetime))
            first = span.sort_values("when_xsd", na_position="last", kind="stable").iloc[0]
            quote = text[start:end]
            name = quote if len(quote) <= _SELECTION_NAME_CHARS else quote[: _SELECTION_NAME_CHARS - 1] + "…"
            selection = _sub(
                source,
                ns,
                "PlainTextSelection",
                {
                    "guid": selection_guid(document, start, end),
                    "name": name,
                    "startPosition": str(start),
                    "endPosition": str(end),
                    "creatingUser": user_guid(str(first["annotator"])),
                    "creationDateTime": first["when_xsd"],
                },
            )
            # Exact duplicates (same annotator and code) become one Coding, memos joined.
            memos: dict[tuple[str, str], list[str]] = {}
            for row in span.itertuples(index=False):
                memo = _clean(row.memo)
                found = memos.setdefault((str(row.annotator), str(row.code)), [])
                if memo and str(memo) not in found:
                    found.append(str(memo))
            seen: set[tuple[str, str]] = set()
            for row in span.itertuples(index=False):
                key = (str(row.annotator), str(row.code))
                if key in seen:
                    continue
                seen.add(key)
                guid_c = coding_guid(document, start, end, row.code, row.annotator)
                coding = _sub(
                    selection,
                    ns,
                    "Coding",
                    {"guid": guid_c, "creatingUser": user_guid(str(row.annotator)), "creationDateTime": row.when_xsd},
                )
                _sub(coding, ns, "CodeRef", {"targetGUID": code_guid(str(row.code))})
                memo = "\n\n".join(memos[key])
                if memo:
                    note_guid = stable_guid("note", guid_c)
                    _sub(coding, ns, "NoteRef", {"targetGUID": note_guid})
                    label = codebook.codes[str(row.code)].label
                    notes.append(
                        (
                            note_guid,
                            f"Memo: {label} ({document} {start}-{end})",
                            str(memo),
                            user_guid(str(row.annotator)),
                        )
                    )
    if sources_el is not None and not len(sources_el):
        root.remove(sources_el)

    if notes:
        notes_el = _sub(root, ns, "Notes")
        for guid, name, text, creator in notes:
            note = _sub(notes_el, ns, "Note", {"guid": guid, "name": name, "creatingUser": creator})
            _sub(note, ns, "PlainTextContent", text=text)

    if codebook.cross_cutting:
        sets_el = _sub(root, ns, "Sets")
        for cross in codebook.cross_cutting.values():
            element = _sub(sets_el, ns, "Set", {"guid": set_guid(cross.id), "name": cross.label})
            _sub(element, ns, "Description", text=cross_cut_description(cross))
            for code_id in cross.codes:
                if code_id in codebook.codes:
                    _sub(element, ns, "MemberCode", {"targetGUID": code_guid(code_id)})
    if codebook.title:
        _sub(root, ns, "Description", text=codebook.title)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml, files


def export_qdpx(
    data: AnalysisData,
    path: str | os.PathLike[str],
    *,
    users: list[str] | None = None,
    project_name: str = "qualcode project",
) -> None:
    """Write a REFI-QDA project (``.qdpx``): ``project.qde`` plus ``sources/<guid>.txt``.

    ``users`` limits the export to those annotators' codings (None: everyone); each
    annotator becomes a User and codes their own Coding on the shared selection.
    Raises CodingError (nothing written) if a coding points at an unknown code or
    document or lies outside its text.
    """
    xml, files = project_xml(data, users=users, project_name=project_name)

    def write(tmp: str) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(zipfile.ZipInfo("project.qde", _ZIP_DATE), xml, compress_type=zipfile.ZIP_DEFLATED)
            for name, text in files.items():
                archive.writestr(
                    zipfile.ZipInfo(name, _ZIP_DATE), text.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED
                )

    _write_atomically(path, write)


__all__ = [
    "export_qdc",
    "export_qdpx",
    "codebook_xml",
    "project_xml",
    "variable_type",
    "code_guid",
    "theme_guid",
    "set_guid",
    "user_guid",
    "source_guid",
    "selection_guid",
    "coding_guid",
    "case_guid",
    "variable_guid",
]
