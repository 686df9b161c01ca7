"""The parts of a REFI-QDA project beside the codings: text sources and what cannot be imported,
variables and cases, notes, and the warnings about every loss."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from ..model import Participant
from .archive import _ProjectInput
from .common import from_xsd_datetime, guid_key, plural, quoted_list, unique_name, were

VARIABLE_TYPES = ("Text", "Boolean", "Integer", "Float", "Date", "DateTime")
_OTHER_SOURCES = {"PDFSource": "PDF", "PictureSource": "picture", "AudioSource": "audio", "VideoSource": "video"}


def _variable_value(element: etree._Element, kind: str) -> tuple[bool, Any]:
    """(ok, python value) of a VariableValue's value element."""
    for child in element:
        if not isinstance(child.tag, str) or child.tag == "VariableRef":
            continue
        text = (child.text or "").strip()
        try:
            if child.tag == "TextValue":
                return True, child.text or ""
            if child.tag == "BooleanValue":
                return True, text.lower() in {"true", "1"}
            if child.tag == "IntegerValue":
                return True, int(text)
            if child.tag == "FloatValue":
                return True, float(Decimal(text))
            if child.tag == "DateValue":
                return True, dt.date.fromisoformat(text[:10])
            if child.tag == "DateTimeValue":
                value = from_xsd_datetime(text)
                return value is not None, value
        except (ValueError, InvalidOperation):
            return False, None
        return False, None
    return False, None


def _decode_text(data: bytes, name: str, warnings: list[str]) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        warnings.append(
            f"The text of '{name}' is not valid UTF-8; undecodable bytes were "
            "replaced by U+FFFD, so codings after them may be shifted."
        )
        return data.decode("utf-8", errors="replace")


@dataclass
class _TextSource:
    """A source whose plain text qualcode reads: the element holding the text and selections
    (a TextSource, or a PDF's Representation), the source element itself and its name."""

    holder: etree._Element
    owner: etree._Element
    name: str


@dataclass
class _Losses:
    """Counts of what an import had to leave out, reported once at the end."""

    bad_spans: int = 0
    uncoded: int = 0
    unknown_codes: int = 0
    no_user: int = 0
    duplicates: int = 0
    lost_codings: int = 0
    bad_source_values: int = 0
    missing_text: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)


@dataclass
class _Note:
    guid: str  # as written
    name: str
    text: str
    creator: str | None
    created: str | None
    modified: str | None


class _Notes:
    """The project's Notes, and which of them an imported item used (the rest become project memos)."""

    def __init__(self, root: etree._Element, project: _ProjectInput, warnings: list[str]) -> None:
        self.notes: dict[str, _Note] = {}  # guid key -> note
        for note in root.findall("Notes/Note"):
            text = note.findtext("PlainTextContent")
            reference = note.get("plainTextPath")
            if text is None and reference:
                raw = project.read_internal(reference)
                text = _decode_text(raw, note.get("name") or "note", warnings) if raw else None
            description = (note.findtext("Description") or "").strip()
            body = text or ""  # as written (a coding's memo keeps every character)
            if description:  # ATLAS.ti's comment on a memo
                body = f"{body}\n\n{description}" if body.strip() else description
            self.notes[guid_key(note.get("guid"))] = _Note(
                (note.get("guid") or "").strip(),
                note.get("name") or "",
                body,
                note.get("creatingUser"),
                note.get("creationDateTime"),
                note.get("modifiedDateTime"),
            )
        self.used: set[str] = set()

    def _referred(self, element: etree._Element) -> list[str]:
        keys = []
        for ref in element.findall("NoteRef"):
            key = guid_key(ref.get("targetGUID"))
            if key in self.notes and self.notes[key].text.strip():
                self.used.add(key)
                keys.append(key)
        return keys

    def texts(self, element: etree._Element) -> list[str]:
        """The non-empty texts of the notes ``element`` refers to (NoteRef), marked as used."""
        return [self.notes[key].text for key in self._referred(element)]

    def referred(self, element: etree._Element) -> list[_Note]:
        """The non-empty notes ``element`` refers to (NoteRef), marked as used."""
        return [self.notes[key] for key in self._referred(element)]

    def unused(self) -> list[_Note]:
        """Notes with text no imported item refers to (ATLAS.ti's free memos, notes on items
        qualcode did not import), marked as used."""
        left = [k for k in self.notes if k not in self.used and self.notes[k].text.strip()]
        self.used.update(left)
        return [self.notes[k] for k in left]

    def empty(self) -> list[str]:
        return [n.name or k for k, n in self.notes.items() if not n.text.strip()]


def _text_sources(source_elements: list[etree._Element]) -> list[_TextSource]:
    """Text sources, plus the plain-text representation of PDFs (its text selections are
    ordinary PlainTextSelections; the PDF's own page-area selections are not carried over)."""
    result: list[_TextSource] = []
    for element in source_elements:
        name = (element.get("name") or "").strip() or guid_key(element.get("guid"))
        if element.tag == "TextSource":
            result.append(_TextSource(element, element, name))
        elif element.tag == "PDFSource" and element.find("Representation") is not None:
            result.append(_TextSource(element.find("Representation"), element, name))
    return result


def _source_warnings(warnings: list[str], sources: list[etree._Element], losses: _Losses) -> None:
    missing, external, lost_codings = losses.missing_text, losses.external, losses.lost_codings
    if missing:
        warnings.append(
            f"{plural(len(missing), 'text source')} ({quoted_list(missing)}) "
            f"{'has' if len(missing) == 1 else 'have'} no plain text in the "
            f"archive and {were(len(missing))} skipped."
        )
    if external:
        one = len(external) == 1
        warnings.append(
            f"{plural(len(external), 'text source')} ({quoted_list(external)}) "
            f"{'points at a file' if one else 'point at files'} outside the archive "
            f"(relative:// or absolute://) and {were(len(external))} skipped; "
            "export them as internal sources."
        )
    if lost_codings:
        warnings.append(f"{plural(lost_codings, 'coding')} on those skipped text sources {were(lost_codings)} lost.")
    pdf_text = [s for s in sources if s.tag == "PDFSource" and s.find("Representation") is not None]
    if pdf_text:
        areas = sum(len(s.findall("PDFSelection")) for s in pdf_text)
        area_codings = sum(len(s.findall("PDFSelection/Coding")) + len(s.findall("Coding")) for s in pdf_text)
        names = [s.get("name") or guid_key(s.get("guid")) for s in pdf_text]
        lost = (
            f": {plural(areas, 'page-area selection')} and "
            f"{plural(area_codings, 'coding')} on them {were(areas)} not carried over"
            if areas or area_codings
            else ""
        )
        warnings.append(
            f"{plural(len(pdf_text), 'PDF')} ({quoted_list(names)}) "
            f"{'is' if len(pdf_text) == 1 else 'are'} read through "
            f"{'its' if len(pdf_text) == 1 else 'their'} plain-text representation "
            f"only{lost}."
        )
    others = [s for s in sources if s.tag != "TextSource" and s not in pdf_text]
    for tag, count in Counter(s.tag for s in others).items():
        what = _OTHER_SOURCES.get(tag, tag)
        group = [s for s in others if s.tag == tag]
        names = [s.get("name") or guid_key(s.get("guid")) for s in group]
        selections = sum(1 for s in group for e in s.iter() if isinstance(e.tag, str) and e.tag.endswith("Selection"))
        n_codings = sum(len(s.findall(".//Coding")) for s in group)
        lost = (
            f" ({plural(selections, 'selection')} and {plural(n_codings, 'coding')} lost)"
            if selections or n_codings
            else ""
        )
        warnings.append(
            f"{plural(count, what + ' source')} ({quoted_list(names)}) "
            f"{were(count)} not imported: qualcode codes plain text only{lost}."
        )


def _read_variables(root: etree._Element, warnings: list[str]) -> dict[str, tuple[str, str]]:
    variables: dict[str, tuple[str, str]] = {}
    unsupported: list[str] = []
    for variable in root.findall("Variables/Variable"):
        kind = (variable.get("typeOfVariable") or "Text").strip()
        name = (variable.get("name") or "").strip() or guid_key(variable.get("guid"))
        if kind not in VARIABLE_TYPES:
            unsupported.append(f"{name} ({kind})")
            continue
        variables[guid_key(variable.get("guid"))] = (name, kind)
    if unsupported:
        warnings.append(
            f"{plural(len(unsupported), 'variable')} of unsupported types "
            f"({quoted_list(unsupported)}) {were(len(unsupported))} not carried "
            "over."
        )
    return variables


def _read_cases(
    root: etree._Element, variables: dict[str, tuple[str, str]], warnings: list[str]
) -> tuple[dict[str, Participant], list[Participant], list[tuple[Participant, str]]]:
    """Participants from Cases (name → id, short Description → label, variables → attributes)
    and the participant of each source GUID."""
    of_source: dict[str, Participant] = {}
    participants: list[Participant] = []
    case_guids: list[tuple[Participant, str]] = []
    used: set[str] = set()
    bad_values = 0
    shared_sources = 0
    case_refs = 0
    for case in root.findall("Cases/Case"):
        name = (case.get("name") or "").strip()
        pid = unique_name(name or f"case_{len(participants) + 1}", used)
        description = (case.findtext("Description") or "").strip()
        attributes: dict[str, Any] = {}
        if description and "\n" not in description and len(description) <= 100:
            label = description
        else:
            label = pid
            if description:
                attributes["description"] = description
        for value_el in case.findall("VariableValue"):
            ref = value_el.find("VariableRef")
            variable = variables.get(guid_key(ref.get("targetGUID"))) if ref is not None else None
            if variable is None:
                continue
            ok, value = _variable_value(value_el, variable[1])
            if ok:
                attributes[variable[0]] = value
            else:
                bad_values += 1
        participant = Participant(id=pid, label=label, attributes=attributes)
        participants.append(participant)
        case_guids.append((participant, guid_key(case.get("guid"))))
        for ref in case.findall("SourceRef"):
            key = guid_key(ref.get("targetGUID"))
            if key in of_source:
                shared_sources += 1
            else:
                of_source[key] = participant
        case_refs += len(case.findall("CodeRef")) + len(case.findall("SelectionRef"))
    if bad_values:
        warnings.append(
            f"{plural(bad_values, 'case variable value')} could not be read and {were(bad_values)} skipped."
        )
    if shared_sources:
        warnings.append(
            f"{plural(shared_sources, 'source')} belonged to several cases; each "
            "document keeps its first case as participant."
        )
    if case_refs:
        warnings.append(
            f"{plural(case_refs, 'code or selection reference')} on cases {were(case_refs)} not carried over."
        )
    return of_source, participants, case_guids
