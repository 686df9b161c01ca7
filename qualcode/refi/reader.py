"""Read REFI-QDA projects (``.qdpx``/``.qde``) and codebooks (``.qdc``) written by any tool."""

from __future__ import annotations

import bisect
import datetime as dt
import os
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lxml import etree

from ..errors import InputFileError, Problem
from ..model import Codebook, Coding, ParsedDocument, Participant
from ..safezip import SafeZipFile, open_zip_safely, parse_xml_safely, unsafe_member_reason
from .codetree import build_codebook
from .common import (
    KNOWN_NAMESPACES,
    document_name_from_source,
    from_xsd_datetime,
    guid_key,
    plural,
    quoted_list,
    unique_name,
    were,
)

MAX_XML_BYTES = 512 * 1024 * 1024
# Limits for .qdpx archives (tests lower them); see qualcode.safezip for the defaults.
ZIP_LIMITS: dict[str, Any] = {}
VARIABLE_TYPES = ("Text", "Boolean", "Integer", "Float", "Date", "DateTime")
_OTHER_SOURCES = {"PDFSource": "PDF", "PictureSource": "picture", "AudioSource": "audio", "VideoSource": "video"}


@dataclass
class RefiProject:
    """What :func:`import_qdpx` returns.  Coding codes are codebook ids, annotators user names."""

    codebook: Codebook
    documents: list[ParsedDocument]
    codings: list[Coding]
    users: list[str]
    warnings: list[str]
    name: str = ""
    # every Case, also those without documents (documents carry their own participant)
    participants: list[Participant] = field(default_factory=list)


# --------------------------------------------------------------------------- input
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
    """The file name inside ``sources/`` for ``internal://name``; None if unsafe or not internal."""
    if not reference.lower().startswith("internal://"):
        return None
    name = reference[len("internal://") :].lstrip("/")
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


# --------------------------------------------------------------------------- values
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


def _normalise_newlines(raw: str) -> tuple[str, Callable[[int], int]]:
    """LF-only text and a map from raw code-point offsets (CRLF counted as two) to it."""
    if "\r" not in raw:
        return raw, lambda offset: offset
    removed = [i for i, ch in enumerate(raw) if ch == "\r" and raw[i + 1 : i + 2] == "\n"]
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    return text, lambda offset: offset - bisect.bisect_left(removed, offset)


# --------------------------------------------------------------------------- project
def import_qdpx(path: str | os.PathLike[str]) -> RefiProject:
    """Read a REFI-QDA project: a ``.qdpx`` archive, or a bare ``project.qde`` (its internal
    sources are then looked up in a ``sources/`` folder next to it).

    Everything qualcode cannot hold is listed, with counts, in ``warnings``.  Unsafe or
    broken archives/XML raise InputFileError.
    """
    warnings: list[str] = []
    project = _open_project(path, warnings)
    root = project.root
    if root.tag != "Project":
        raise InputFileError(
            Problem(
                f"has root element <{root.tag}>, not <Project>.",
                path=project.label,
                hint="Codebook files (.qdc) are read with import_qdc.",
            )
        )

    users: dict[str, str] = {}
    for user in root.findall("Users/User"):
        key = guid_key(user.get("guid"))
        users[key] = (user.get("name") or "").strip() or user.get("id") or user.get("guid") or key
    user_names = list(dict.fromkeys(users.values()))

    notes: dict[str, tuple[str, str]] = {}  # guid -> (name, text)
    for note in root.findall("Notes/Note"):
        text = note.findtext("PlainTextContent")
        if text is None and note.get("plainTextPath"):
            note_data = project.read_internal(note.get("plainTextPath"))
            text = _decode_text(note_data, note.get("name") or "note", warnings) if note_data else None
        notes[guid_key(note.get("guid"))] = (note.get("name") or "", text or "")
    used_notes: set[str] = set()

    def note_texts(element: etree._Element) -> list[str]:
        texts = []
        for ref in element.findall("NoteRef"):
            key = guid_key(ref.get("targetGUID"))
            if key in notes and notes[key][1].strip():
                used_notes.add(key)
                texts.append(notes[key][1])
        return texts

    sources = root.find("Sources")
    source_elements = [s for s in (sources if sources is not None else []) if isinstance(s.tag, str)]
    # Text sources, plus the plain-text representation of PDFs (its text selections are
    # ordinary PlainTextSelections; the PDF's own page-area selections are not carried over).
    # Each entry: (element holding the text and selections, the source element, its name).
    text_sources: list[tuple[etree._Element, etree._Element, str]] = []
    for element in source_elements:
        name = (element.get("name") or "").strip() or guid_key(element.get("guid"))
        if element.tag == "TextSource":
            text_sources.append((element, element, name))
        elif element.tag == "PDFSource" and element.find("Representation") is not None:
            text_sources.append((element.find("Representation"), element, name))
    coded = {guid_key(ref.get("targetGUID")) for s, _, _ in text_sources for ref in s.iterfind(".//Coding/CodeRef")}
    description = (root.findtext("Description") or "").strip()
    short = bool(description) and "\n" not in description and len(description) <= 200
    title = description if short else (root.get("name") or "")
    if description and not short:
        warnings.append(
            "The project's description was not carried over (only a one-line description becomes the codebook title)."
        )
    built = build_codebook(root.find("CodeBook/Codes"), root.findall("Sets/Set"), coded, warnings, title=title)

    variables = _read_variables(root, warnings)
    participants_of_source, participants = _read_cases(root, variables, warnings)

    documents: list[ParsedDocument] = []
    codings: list[Coding] = []
    doc_names: set[str] = set()
    missing_text: list[str] = []
    external: list[str] = []
    lost_codings = 0
    bad_spans = 0
    uncoded = 0
    unknown_codes = 0
    no_user = 0
    duplicates = 0
    seen: dict[tuple[str, int, int, str, str], Coding] = {}

    for source, owner, source_name in text_sources:
        owner_guid = guid_key(owner.get("guid"))
        n_codings = len(source.findall(".//Coding"))
        content = source.find("PlainTextContent")
        reference = source.get("plainTextPath") or ""
        raw: str | None = None
        if content is not None:
            raw = content.text or ""
        elif reference.lower().startswith(("relative://", "absolute://")):
            external.append(source_name)
        elif reference:
            data = project.read_internal(reference)
            raw = _decode_text(data, source_name, warnings) if data is not None else None
        if raw is None:
            if not reference.lower().startswith(("relative://", "absolute://")):
                missing_text.append(source_name)
            lost_codings += n_codings
            continue
        text, to_text = _normalise_newlines(raw)
        document = unique_name(document_name_from_source(source_name), doc_names)
        metadata: dict[str, Any] = {"refi_guid": owner_guid, "refi_name": source_name}
        if owner.findtext("Description"):
            metadata["description"] = owner.findtext("Description")
        source_notes = note_texts(owner)
        if source_notes:
            metadata["notes"] = source_notes
        for value_el in owner.findall("VariableValue"):
            ref = value_el.find("VariableRef")
            variable = variables.get(guid_key(ref.get("targetGUID"))) if ref is not None else None
            if variable is not None:
                ok, value = _variable_value(value_el, variable[1])
                if ok:
                    metadata[variable[0]] = value
        documents.append(
            ParsedDocument(
                name=document,
                text=text,
                participant=participants_of_source.get(owner_guid),
                metadata=metadata,
                source_path=project.label,
            )
        )

        spans: list[tuple[etree._Element | None, int, int]] = []
        if source.findall("Coding"):  # codings of the whole document
            if text:
                spans.append((None, 0, len(text)))
            else:
                bad_spans += 1
        for selection in source.findall("PlainTextSelection"):
            try:
                raw_start = int(selection.get("startPosition", ""))
                raw_end = int(selection.get("endPosition", ""))
            except ValueError:
                bad_spans += 1
                continue
            if not 0 <= raw_start < raw_end <= len(raw):
                bad_spans += 1
                continue
            start, end = to_text(raw_start), to_text(raw_end)
            if start >= end:  # only the '\r' of a CRLF: nothing left once line ends are LF
                bad_spans += 1
                continue
            spans.append((selection, start, end))

        for selection, start, end in spans:
            holder = selection if selection is not None else source
            shared_memo: list[str] = []
            if selection is not None:
                if (selection.findtext("Description") or "").strip():
                    shared_memo.append(selection.findtext("Description").strip())
                shared_memo += note_texts(selection)
            coding_elements = holder.findall("Coding")
            if not coding_elements:
                uncoded += 1
                continue
            for coding_el in coding_elements:
                ref = coding_el.find("CodeRef")
                code_id = built.code_of_guid.get(guid_key(ref.get("targetGUID"))) if ref is not None else None
                if code_id is None:
                    unknown_codes += 1
                    continue
                creator = coding_el.get("creatingUser") or holder.get("creatingUser")
                if creator:
                    annotator = users.get(guid_key(creator), creator.strip())
                else:
                    annotator = "unknown"
                    no_user += 1
                if annotator not in user_names:
                    user_names.append(annotator)
                memo = "\n\n".join(note_texts(coding_el) + shared_memo)
                created = coding_el.get("creationDateTime") or holder.get("creationDateTime")
                seen_key = (document, start, end, code_id, annotator)
                if seen_key in seen:
                    duplicates += 1
                    if memo and memo not in seen[seen_key].memo:
                        seen[seen_key].memo = "\n\n".join(m for m in (seen[seen_key].memo, memo) if m)
                    continue
                coding = Coding(
                    document=document,
                    start=start,
                    end=end,
                    code=code_id,
                    annotator=annotator,
                    memo=memo,
                    origin="imported",
                    quote=text[start:end],
                    created_at=created,
                )
                seen[seen_key] = coding
                codings.append(coding)

    _source_warnings(warnings, source_elements, missing_text, external, lost_codings)
    if bad_spans:
        warnings.append(
            f"{plural(bad_spans, 'text selection')} had positions outside the "
            f"text (or empty spans) and {were(bad_spans)} skipped."
        )
    if uncoded:
        warnings.append(
            f"{plural(uncoded, 'text selection')} without codings (quotations "
            f"only) {were(uncoded)} skipped, with their comments."
        )
    if unknown_codes:
        warnings.append(
            f"{plural(unknown_codes, 'coding')} referred to codes missing from the "
            f"codebook and {were(unknown_codes)} skipped."
        )
    if no_user:
        warnings.append(
            f"{plural(no_user, 'coding')} had no creating user and {were(no_user)} attributed to 'unknown'."
        )
    if duplicates:
        warnings.append(
            f"{plural(duplicates, 'duplicate coding')} (same text, code and user) {were(duplicates)} merged."
        )
    unused = [notes[k][0] or k for k in notes if k not in used_notes]
    if unused:
        warnings.append(
            f"{plural(len(unused), 'note')} (memos: {quoted_list(unused)}) "
            f"{were(len(unused))} not attached to an imported coding or document "
            "and not carried over."
        )
    for tag, what in (("Links/Link", "link"), ("Graphs/Graph", "graph")):
        count = len(root.findall(tag))
        if count:
            warnings.append(
                f"{plural(count, what)} between project items {'was' if count == 1 else 'were'} not carried over."
            )
    return RefiProject(
        codebook=built.codebook,
        documents=documents,
        codings=codings,
        users=user_names,
        warnings=warnings,
        name=root.get("name") or "",
        participants=participants,
    )


def _source_warnings(
    warnings: list[str], sources: list[etree._Element], missing: list[str], external: list[str], lost_codings: int
) -> None:
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
) -> tuple[dict[str, Participant], list[Participant]]:
    """Participants from Cases (name → id, short Description → label, variables → attributes)
    and the participant of each source GUID."""
    of_source: dict[str, Participant] = {}
    participants: list[Participant] = []
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
    return of_source, participants


# --------------------------------------------------------------------------- codebook file
def import_qdc(path: str | os.PathLike[str]) -> tuple[Codebook, list[str]]:
    """Read a REFI-QDA codebook (``.qdc``); a project file's codebook is accepted too."""
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
        return project.codebook, warnings + project.warnings
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
    return built.codebook, warnings


__all__ = ["RefiProject", "import_qdpx", "import_qdc"]
