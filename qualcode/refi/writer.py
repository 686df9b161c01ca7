"""Write REFI-QDA codebooks (``.qdc``) and projects (``.qdpx``)."""

from __future__ import annotations

import bisect
import datetime as dt
import math
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
    fields_comment,
    guid_key,
    stable_guid,
    to_xsd_datetime,
)
from .offsets import EXPORT_OFFSETS, to_units

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


class GuidMap:
    """The GUID of each exported item: the other tool's where qualcode kept one (so a file
    sent back updates that tool's items instead of duplicating them), else qualcode's own
    stable GUID.  A foreign GUID is used once; a second item claiming it gets its own."""

    def __init__(self, foreign: Mapping[tuple[str, str], str] | None = None, *, qualcode_block: bool = False) -> None:
        self.foreign = dict(foreign or {})
        self.qualcode_block = qualcode_block  # qualcode's fields in the Description (see _definition)
        self.given: dict[tuple[str, str], str] = {}
        self.taken: set[str] = set()

    def __call__(self, kind: str, item: object) -> str:
        key = (kind, str(item))
        if key not in self.given:
            guid = self.foreign.get(key)
            if not guid or guid_key(guid) in self.taken:
                guid = stable_guid(kind, item)
            self.taken.add(guid_key(guid))
            self.given[key] = guid
        return self.given[key]


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


def _integers_with_gaps(column: pd.Series) -> pd.Series:
    """An integer attribute with missing values comes out of pandas as floats (34.0, NaN):
    give it back its integers, so it is exported as Integer, not Float."""
    if column.dtype.kind != "f" or not column.isna().any():
        return column
    present = column.dropna()
    if len(present) and all(float(v).is_integer() for v in present):
        return pd.Series([None if pd.isna(v) else int(v) for v in column], index=column.index, dtype=object)
    return column


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


@dataclass(frozen=True)
class ExportOptions:
    """How positions and texts are written: ``offsets`` "codepoints" (the standard) or "utf16"
    (UTF-16 code units, as NVivo counts), ``newline`` "lf" or "crlf" (texts written with CRLF,
    each counted as two, as NVivo's own exports are)."""

    offsets: str = "codepoints"
    newline: str = "lf"
    # other tools' GUIDs to write back: (kind, qualcode id or name) → GUID (RefiProject.guids)
    guids: Mapping[tuple[str, str], str] = field(default_factory=dict, compare=False, hash=False)
    # qualcode's own code fields in a visible [qualcode] Description block instead of a comment
    qualcode_block: bool = False
    # variables of imported sources: document → {variable: value} (kept as document metadata)
    source_variables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, compare=False, hash=False)
    # the framework matrix's team summaries (Project.framework_notes()), written as Notes
    framework_notes: Sequence[Mapping[str, Any]] = field(default_factory=tuple, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.offsets not in EXPORT_OFFSETS:
            raise ValueError(f"offsets must be one of {', '.join(EXPORT_OFFSETS)}, not {self.offsets!r}")
        if self.newline not in ("lf", "crlf"):
            raise ValueError(f"newline must be 'lf' or 'crlf', not {self.newline!r}")

    @property
    def origin(self) -> str:
        # The reader trusts qualcode's origin for the counting (see offsets.prior_for).
        return ORIGIN + (" (positions in UTF-16 code units)" if self.offsets == "utf16" else "")

    def convert(self, text: str) -> tuple[str, Callable[[int], int]]:
        """The text as written and a map from qualcode's code-point positions to written ones."""
        written = text.replace("\n", "\r\n") if self.newline == "crlf" else text
        newlines = [i for i, ch in enumerate(text) if ch == "\n"] if written is not text else []
        units = to_units(written, self.offsets)

        def position(p: int) -> int:
            q = p + bisect.bisect_left(newlines, p) if newlines else p
            return units[q] if units is not None else q

        return written, position


# Presets for ``qualcode export qdpx --for TOOL``: how each tool reads positions (README).
TOOL_OPTIONS = {
    "standard": ExportOptions(),
    "nvivo": ExportOptions("utf16", "crlf"),
    "atlas": ExportOptions(),
    "maxqda": ExportOptions(),
    "qualcoder": ExportOptions(),
    "taguette": ExportOptions(),
}


def project_xml(
    data: AnalysisData,
    *,
    users: list[str] | None = None,
    project_name: str = "qualcode project",
    options: ExportOptions | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The ``project.qde`` bytes and the internal text files (``sources/<guid>.txt`` → text)."""
    options = options or ExportOptions()
    codings = data.codings if users is None else data.codings.loc[data.codings["annotator"].isin(list(users))]
    codings = codings.sort_values(["document", "start", "end", "annotator", "code"], kind="stable")
    _check_codings(data, codings)
    ns = PROJECT_NS
    root = etree.Element(f"{{{ns}}}Project", {"name": project_name, "origin": options.origin}, nsmap={None: ns})
    ids = GuidMap(options.guids, qualcode_block=options.qualcode_block)
    names = _user_names(codings, users, options.guids)
    if users is None:
        names += [n for n in _framework_authors(options.framework_notes) if n not in names]
    _users_element(root, ns, _memo_authors(data, names), ids)
    codebook_el = _sub(root, ns, "CodeBook")
    if _codes_element(codebook_el, ns, data.codebook, ids) is None:
        root.remove(codebook_el)
    kinds = _variables_element(root, ns, data, options, ids)
    _cases_elements(root, ns, data, ids, kinds)
    notes: list[_NoteRecord] = []
    files = _sources_element(root, ns, data, codings, notes, options, ids, kinds)
    if users is None:  # a summary describes everyone's codings: not in an export of chosen users
        notes += _framework_note_records(root, ns, data.codebook, options.framework_notes, ids)
    memo_refs = _memo_notes(data, notes, ids)
    _notes_element(root, ns, notes)
    _sets_element(root, ns, data.codebook, "targetGUID", ids)
    if data.codebook.title:
        _sub(root, ns, "Description", text=data.codebook.title)
    _memo_note_refs(root, ns, memo_refs)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml, files


@dataclass
class _NoteRecord:
    guid: str
    name: str
    text: str
    creator: str
    description: str | None = None
    created: str | None = None  # xsd:dateTime
    modifier: str | None = None  # user GUID
    modified: str | None = None


def framework_note_guid(participant: str, theme: str) -> str:
    return stable_guid("framework_summary", participant, theme)


def _framework_authors(summaries: Sequence[Mapping[str, Any]]) -> list[str]:
    names: list[str] = []
    for record in summaries:
        for key in ("created_by", "updated_by"):
            name = str(record.get(key) or "")
            if name and name not in names:
                names.append(name)
    return names


def _framework_note_records(
    root: etree._Element, ns: str, codebook: Codebook, summaries: Sequence[Mapping[str, Any]], ids: GuidMap
) -> list[_NoteRecord]:
    """The framework matrix's summaries as Notes, each referred to (NoteRef) by its theme's Code.
    A Case cannot refer to a Note in REFI-QDA 1.5, so the participant is in the Note's name and
    Description ("participant: A; theme: t")."""
    records: list[_NoteRecord] = []
    theme_codes = {el.get("guid"): el for el in root.iter(f"{{{ns}}}Code") if el.get("isCodable") == "false"}
    for summary in summaries:
        participant, theme = str(summary["participant"]), str(summary["theme"])
        guid = framework_note_guid(participant, theme)
        label = str(summary.get("participant_label") or participant)
        theme_label = str(summary.get("theme_label") or theme)
        records.append(
            _NoteRecord(
                guid,
                f"Framework summary: {label} – {theme_label}",
                str(summary["text"]),
                ids("user", str(summary.get("created_by") or "unknown")),
                description=f"participant: {participant}; theme: {theme} (qualcode framework matrix)",
                created=to_xsd_datetime(summary.get("created_at")),
                modifier=ids("user", str(summary.get("updated_by") or summary.get("created_by") or "unknown")),
                modified=to_xsd_datetime(summary.get("updated_at")),
            )
        )
        code = theme_codes.get(ids("theme", theme)) if theme in codebook.themes else None
        if code is not None:
            # CodeType: Description?, NoteRef*, Code* — the NoteRef goes before the child codes.
            children = [c for c in code if isinstance(c.tag, str)]
            after = [c for c in children if c.tag in (f"{{{ns}}}Description", f"{{{ns}}}NoteRef")]
            position = (
                code.index(after[-1]) + 1
                if after
                else next((code.index(c) for c in children if c.tag == f"{{{ns}}}Code"), len(code))
            )
            ref = etree.Element(f"{{{ns}}}NoteRef", {"targetGUID": guid})
            code.insert(position, ref)
    return records


def _user_names(codings: pd.DataFrame, users: list[str] | None, known: Mapping[tuple[str, str], str]) -> list[str]:
    """The users asked for (in order), then everyone else who coded; without a choice of
    users also those an imported REFI-QDA file had (``known``), coded or not."""
    names = list(users) if users is not None else []
    for name in codings["annotator"].astype(str):
        if name not in names:
            names.append(name)
    if users is None:
        names += [item for kind, item in known if kind == "user" and item not in names]
    return names


def _users_element(root: etree._Element, ns: str, names: list[str], ids: GuidMap) -> None:
    if names:
        users_el = _sub(root, ns, "Users")
        for name in names:
            _sub(users_el, ns, "User", {"guid": ids("user", name), "name": name})


def _variables_element(
    root: etree._Element, ns: str, data: AnalysisData, options: ExportOptions, ids: GuidMap
) -> dict[str, str]:
    """Participant attributes and the source variables of imported documents as Variables;
    returns each variable's type (over all its case and source values)."""
    participants = data.participants
    values: dict[str, list[Any]] = {str(c): [] for c in participants.columns if c not in PARTICIPANT_COLUMNS}
    for col in list(values):
        values[col] += [_clean(v) for v in _integers_with_gaps(participants[col])]
    for variables in options.source_variables.values():
        for name, value in variables.items():
            values.setdefault(name, []).append(_clean(value))
    kinds = {name: variable_type(found) for name, found in values.items()}
    if kinds:
        variables_el = _sub(root, ns, "Variables")
        for name, kind in kinds.items():
            _sub(variables_el, ns, "Variable", {"guid": ids("variable", name), "name": name, "typeOfVariable": kind})
    return kinds


def _variable_value(parent: etree._Element, ns: str, name: str, kind: str, value: Any, ids: GuidMap) -> None:
    vv = _sub(parent, ns, "VariableValue")
    _sub(vv, ns, "VariableRef", {"targetGUID": ids("variable", name)})
    tag, text = _value_text(kind, value)
    _sub(vv, ns, tag, text=text)


def _cases_elements(root: etree._Element, ns: str, data: AnalysisData, ids: GuidMap, kinds: dict[str, str]) -> None:
    """Participants become Cases, with one VariableValue per attribute and a SourceRef per document."""
    participants = data.participants
    attr_columns = [str(c) for c in participants.columns if c not in PARTICIPANT_COLUMNS]
    docs_of: dict[str, list[str]] = {}
    for row in data.documents.itertuples(index=False):
        if _clean(row.participant) is not None:
            docs_of.setdefault(str(row.participant), []).append(str(row.document))
    if not len(participants):
        return
    cases_el = _sub(root, ns, "Cases")
    for record in participants.to_dict("records"):
        pid = str(record["participant"])
        case = _sub(cases_el, ns, "Case", {"guid": ids("case", pid), "name": pid})
        label = _clean(record.get("label"))
        if label is not None and str(label) != pid:
            _sub(case, ns, "Description", text=str(label))
        for col in attr_columns:
            value = _clean(record.get(col))
            if value is not None:
                value = int(value) if kinds[col] == "Integer" else value
                _variable_value(case, ns, col, kinds[col], value, ids)
        for document in docs_of.get(pid, []):
            _sub(case, ns, "SourceRef", {"targetGUID": ids("source", document)})


def _sources_element(
    root: etree._Element,
    ns: str,
    data: AnalysisData,
    codings: pd.DataFrame,
    notes: list[_NoteRecord],
    options: ExportOptions,
    ids: GuidMap,
    kinds: dict[str, str],
) -> dict[str, str]:
    """One TextSource per document with its selections; returns the internal text files."""
    files: dict[str, str] = {}
    documents = [str(d) for d in data.documents["document"]]
    documents += [d for d in data.texts if d not in documents]
    by_doc = {doc: group for doc, group in codings.groupby("document", sort=False)}
    sources_el = _sub(root, ns, "Sources")
    for document in documents:
        text = data.texts.get(document)
        if text is None:
            continue
        guid = ids("source", document)
        written, position = options.convert(text)
        file = guid.strip("{}") + ".txt"
        files[f"sources/{file}"] = written
        source = _sub(
            sources_el, ns, "TextSource", {"guid": guid, "name": document, "plainTextPath": f"internal://{file}"}
        )
        group = by_doc.get(document)
        if group is not None:
            for (start, end), span in group.groupby(["start", "end"], sort=True):
                where = _Span(document, text, int(start), int(end), position(int(start)), position(int(end)))
                _selection_element(source, ns, data.codebook, where, span, notes, ids)
        for name, value in options.source_variables.get(document, {}).items():
            if _clean(value) is not None:
                _variable_value(source, ns, name, kinds[name], _clean(value), ids)
    if not len(sources_el):
        root.remove(sources_el)
    return files


@dataclass
class _Span:
    document: str
    text: str
    start: int  # code points in qualcode's text (GUIDs and names use these)
    end: int
    written_start: int  # as the export counts them (startPosition/endPosition)
    written_end: int


def _selection_element(
    source: etree._Element,
    ns: str,
    codebook: Codebook,
    where: _Span,
    span: pd.DataFrame,
    notes: list[_NoteRecord],
    ids: GuidMap,
) -> None:
    """One PlainTextSelection for a span; one Coding per (annotator, code) on it, memos as Notes."""
    document, text, start, end = where.document, where.text, where.start, where.end
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
            "startPosition": str(where.written_start),
            "endPosition": str(where.written_end),
            "creatingUser": ids("user", str(first["annotator"])),
            "creationDateTime": first["when_xsd"],
        },
    )
    # Exact duplicates (same annotator and code) become one Coding, memos joined.
    memos: dict[tuple[str, str], list[str]] = {}
    when: dict[tuple[str, str], Any] = {}
    for row in span.itertuples(index=False):
        key = (str(row.annotator), str(row.code))
        found = memos.setdefault(key, [])
        when.setdefault(key, row.when_xsd)
        memo = _clean(row.memo)
        if memo and str(memo) not in found:
            found.append(str(memo))
    for (annotator, code), found in memos.items():
        guid_c = coding_guid(document, start, end, code, annotator)
        coding = _sub(
            selection,
            ns,
            "Coding",
            {"guid": guid_c, "creatingUser": ids("user", annotator), "creationDateTime": when[(annotator, code)]},
        )
        _sub(coding, ns, "CodeRef", {"targetGUID": ids("code", code)})
        if found:
            note_guid = stable_guid("note", guid_c)
            _sub(coding, ns, "NoteRef", {"targetGUID": note_guid})
            label = codebook.codes[code].label
            name = f"Memo: {label} ({document} {start}-{end})"
            notes.append(_NoteRecord(note_guid, name, "\n\n".join(found), ids("user", annotator)))


def _notes_element(root: etree._Element, ns: str, notes: list[_NoteRecord]) -> None:
    if notes:
        notes_el = _sub(root, ns, "Notes")
        for record in notes:
            attributes = {
                "guid": record.guid,
                "name": record.name,
                "creatingUser": record.creator,
                "creationDateTime": record.created,
                "modifyingUser": record.modifier,
                "modifiedDateTime": record.modified,
            }
            note = _sub(notes_el, ns, "Note", attributes)
            if record.description:
                _sub(note, ns, "Description", text=record.description)
            _sub(note, ns, "PlainTextContent", text=record.text)


# --------------------------------------------------------------------------- memos
@dataclass(frozen=True)
class _MemoRef:
    """Where a memo's NoteRef goes: the element with ``guid`` (a TextSource or Code), or the
    Project itself (``guid`` None)."""

    guid: str | None
    note: str


def _memo_authors(data: AnalysisData, names: list[str]) -> list[str]:
    """``names`` and then every memo author not among them (each Note's creatingUser is a User)."""
    authors = [str(a) for a in data.memos["author"]] if len(data.memos) else []
    return names + [a for a in dict.fromkeys(authors) if a not in names]


def _memo_notes(data: AnalysisData, notes: list[_NoteRecord], ids: GuidMap) -> list[_MemoRef]:
    """Document, code and project memos as Notes (appended to ``notes``), each with the item its
    NoteRef goes on: the TextSource of its interview, the Code of its code or theme, the Project.
    A memo whose interview or code is not in the export (removed since) is still written, as a
    Note without NoteRef."""
    cb = data.codebook
    refs: list[_MemoRef] = []
    for memo in data.memos.itertuples(index=False):
        kind, target = str(memo.kind), None if is_missing(memo.target) else str(memo.target)
        guid = ids("memo", memo.memo_id)
        where: str | None
        if kind == "document":
            where = ids("source", target) if target in data.texts else None
            about = f"interview {target}"
        elif kind == "code":
            where = ids("code", target) if target in cb.codes else ids("theme", target) if target in cb.themes else None
            item = cb.codes.get(target or "") or cb.themes.get(target or "")
            about = f"code {item.label if item is not None else target}"
        else:
            where, about = None, "the project"
        title = "" if is_missing(memo.title) else str(memo.title)
        notes.append(
            _NoteRecord(
                guid,
                title or f"Memo on {about}",
                str(memo.text),
                ids("user", str(memo.author)),
                created=to_xsd_datetime(_clean(memo.created_at)),
                modified=to_xsd_datetime(_clean(memo.updated_at)),
            )
        )
        if kind == "project":
            refs.append(_MemoRef(None, guid))
        elif where is not None:
            refs.append(_MemoRef(where, guid))
    return refs


def _memo_note_refs(root: etree._Element, ns: str, refs: list[_MemoRef]) -> None:
    """The NoteRefs of the memos, each where the schema puts it: a Code's after its Description
    (before its sub-codes), a TextSource's after its selections and codings (before its
    VariableValues), the Project's last."""
    if not refs:
        return
    by_guid = {el.get("guid"): el for el in root.iter(f"{{{ns}}}Code", f"{{{ns}}}TextSource")}
    for ref in refs:
        if ref.guid is None:
            _sub(root, ns, "NoteRef", {"targetGUID": ref.note})
            continue
        element = by_guid.get(ref.guid)
        if element is None:
            continue
        before = "Code" if element.tag == f"{{{ns}}}Code" else "VariableValue"
        note_ref = etree.Element(f"{{{ns}}}NoteRef", {"targetGUID": ref.note})
        first = next((child for child in element if child.tag == f"{{{ns}}}{before}"), None)
        if first is None:
            element.append(note_ref)
        else:
            first.addprevious(note_ref)


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


def export_qdpx(
    data: AnalysisData,
    path: str | os.PathLike[str],
    *,
    users: list[str] | None = None,
    project_name: str = "qualcode project",
    options: ExportOptions | None = None,
) -> None:
    """Write a REFI-QDA project (``.qdpx``): ``project.qde`` plus ``sources/<guid>.txt``.

    ``users`` limits the export to those annotators' codings (None: everyone); each
    annotator becomes a User and codes their own Coding on the shared selection.
    ``options`` (default: the standard's code points, LF texts) chooses how positions are
    counted for the tool that will read the file (see :data:`TOOL_OPTIONS`).
    Raises CodingError (nothing written) if a coding points at an unknown code or
    document or lies outside its text.
    """
    xml, files = project_xml(data, users=users, project_name=project_name, options=options)

    def write(tmp: str) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(zipfile.ZipInfo("project.qde", _ZIP_DATE), xml, compress_type=zipfile.ZIP_DEFLATED)
            for name, text in files.items():
                archive.writestr(
                    zipfile.ZipInfo(name, _ZIP_DATE), text.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED
                )

    _write_atomically(path, write)


__all__ = [
    "ExportOptions",
    "TOOL_OPTIONS",
    "GuidMap",
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
    "framework_note_guid",
]
