"""Read REFI-QDA projects (``.qdpx``/``.qde``) and codebooks (``.qdc``) written by any tool."""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lxml import etree

from ..errors import InputFileError, Problem
from ..model import Codebook, Coding, Memo, ParsedDocument, Participant
from ..safezip import SafeZipFile, open_zip_safely, parse_xml_safely, unsafe_member_reason
from .codetree import CodebookBuild, build_codebook
from .common import (
    GUID_PATTERN,
    KNOWN_NAMESPACES,
    document_name_from_source,
    from_xsd_datetime,
    guid_key,
    plural,
    quoted_list,
    unique_name,
    were,
)
from .offsets import STANDARD, Counting, PositionMap, detect_counting, normalise_newlines, prior_for

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
    # the other tool's GUIDs: (kind, qualcode id or name) → GUID, kinds code, theme, set,
    # user, source, case, variable; written back on export so that tool updates its items
    guids: dict[tuple[str, str], str] = field(default_factory=dict)
    # the project's Notes as document, code and project memos (a coding's Note is its memo),
    # and each one's GUID as the other tool wrote it (same order)
    memos: list[Memo] = field(default_factory=list)
    memo_guids: list[str] = field(default_factory=list)
    # qualcode's framework-matrix summaries (Notes it wrote on a theme, see refi.writer): participant,
    # theme (the imported theme's id), text, author, created, modified
    framework_summaries: list[dict[str, Any]] = field(default_factory=list)


# The Description qualcode's writer gives a framework summary's Note (appended to its text on reading).
_FRAMEWORK_NOTE = re.compile(
    r"\n*participant: (?P<participant>[^;\n]+); theme: (?P<theme>[^\n]+) \(qualcode framework matrix\)\s*$"
)


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


# --------------------------------------------------------------------------- project
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


def import_qdpx(path: str | os.PathLike[str]) -> RefiProject:
    """Read a REFI-QDA project: a ``.qdpx`` archive, or a bare ``project.qde`` (its internal
    sources are then looked up in a ``sources/`` folder next to it).

    Everything qualcode cannot hold is listed, with counts, in ``warnings``.  Unsafe or
    broken archives/XML raise InputFileError.
    """
    warnings: list[str] = []
    return _ProjectReader(_open_project(path, warnings), warnings).read()


class _ProjectReader:
    """One import of a parsed project, in named steps (users, codebook, cases, sources, codings)."""

    def __init__(self, project: _ProjectInput, warnings: list[str]) -> None:
        self.project = project
        self.root = project.root
        self.warnings = warnings
        self.losses = _Losses()
        self.documents: list[ParsedDocument] = []
        self.codings: list[Coding] = []
        self.doc_names: set[str] = set()
        self.seen: dict[tuple[str, int, int, str, str], Coding] = {}
        self.prior = prior_for(self.root.get("origin") or "")
        # sources whose positions fit no counting: (name, selections, codings left out, selections, why)
        self.unplaced: list[tuple[str, int, int, int, str]] = []
        self.converted: dict[Counting, list[str]] = {}  # sources read with a non-standard counting
        self.guids: dict[tuple[str, str], str] = {}
        self.source_guids: dict[str, str] = {}  # document name → the source's guid key
        self.memos: list[Memo] = []
        self.memo_guids: list[str] = []
        self.loose_notes: list[str] = []  # names of notes on no imported item: project memos now
        self.framework_summaries: list[dict[str, Any]] = []

    def read(self) -> RefiProject:
        self._check_root()
        self.users = self._read_users()
        self.user_names = list(dict.fromkeys(self.users.values()))
        self.notes = _Notes(self.root, self.project, self.warnings)
        sources = self.root.find("Sources")
        source_elements = [s for s in sources if isinstance(s.tag, str)] if sources is not None else []
        text_sources = _text_sources(source_elements)
        coded = {guid_key(r.get("targetGUID")) for s in text_sources for r in s.holder.iterfind(".//Coding/CodeRef")}
        self.built = build_codebook(
            self.root.find("CodeBook/Codes"), self.root.findall("Sets/Set"), coded, self.warnings, title=self._title()
        )
        self.variables = _read_variables(self.root, self.warnings)
        self.participant_of, participants, self.case_guids = _read_cases(self.root, self.variables, self.warnings)
        for source in text_sources:
            self._read_source(source)
        self._read_memos()
        _source_warnings(self.warnings, source_elements, self.losses)
        self._loss_warnings()
        self._collect_guids(participants)
        return RefiProject(
            codebook=self.built.codebook,
            documents=self.documents,
            codings=self.codings,
            users=self.user_names,
            warnings=self.warnings,
            name=self.root.get("name") or "",
            participants=participants,
            guids=self.guids,
            memos=self.memos,
            memo_guids=self.memo_guids,
            framework_summaries=self.framework_summaries,
        )

    # ----------------------------------------------------------------- steps
    def _check_root(self) -> None:
        if self.root.tag != "Project":
            raise InputFileError(
                Problem(
                    f"has root element <{self.root.tag}>, not <Project>.",
                    path=self.project.label,
                    hint="Codebook files (.qdc) are read with import_qdc.",
                )
            )

    def _read_users(self) -> dict[str, str]:
        users: dict[str, str] = {}
        for user in self.root.findall("Users/User"):
            key = guid_key(user.get("guid"))
            users[key] = (user.get("name") or "").strip() or user.get("id") or user.get("guid") or key
        return users

    def _title(self) -> str:
        """The codebook title: a one-line project Description, else the project's name."""
        description = (self.root.findtext("Description") or "").strip()
        short = bool(description) and "\n" not in description and len(description) <= 200
        if description and not short:
            self.warnings.append(
                "The project's description was not carried over (only a one-line description becomes the "
                "codebook title)."
            )
        return description if short else (self.root.get("name") or "")

    def _source_text(self, source: _TextSource) -> str | None:
        """The raw plain text of a source, or None (counted as missing or external)."""
        content = source.holder.find("PlainTextContent")
        reference = source.holder.get("plainTextPath") or ""
        if content is not None:
            return content.text or ""
        if reference.lower().startswith(("relative://", "absolute://")):
            self.losses.external.append(source.name)
            return None
        data = self.project.read_internal(reference) if reference else None
        if data is None:
            self.losses.missing_text.append(source.name)
            return None
        return _decode_text(data, source.name, self.warnings)

    def _read_source(self, source: _TextSource) -> None:
        raw = self._source_text(source)
        if raw is None:
            self.losses.lost_codings += len(source.holder.findall(".//Coding"))
            return
        text = normalise_newlines(raw)
        document = self._add_document(source, text)
        for selection, start, end in self._spans(source, raw, text):
            self._read_codings(source.holder, selection, document, text, start, end)

    def _add_document(self, source: _TextSource, text: str) -> str:
        owner = source.owner
        owner_guid = guid_key(owner.get("guid"))
        document = unique_name(document_name_from_source(source.name), self.doc_names)
        self.source_guids[document] = owner_guid
        metadata: dict[str, Any] = {"refi_guid": owner_guid, "refi_name": source.name}
        if owner.findtext("Description"):
            metadata["description"] = owner.findtext("Description")
        for note in self.notes.referred(owner):
            self._add_memo(note, "document", document)
        for value_el in owner.findall("VariableValue"):
            ref = value_el.find("VariableRef")
            variable = self.variables.get(guid_key(ref.get("targetGUID"))) if ref is not None else None
            if variable is not None:
                ok, value = _variable_value(value_el, variable[1])
                if ok:
                    metadata[variable[0]] = value
                else:
                    self.losses.bad_source_values += 1
        self.documents.append(
            ParsedDocument(
                name=document,
                text=text,
                participant=self.participant_of.get(owner_guid),
                metadata=metadata,
                source_path=self.project.label,
            )
        )
        return document

    def _spans(self, source: _TextSource, raw: str, text: str) -> list[tuple[etree._Element | None, int, int]]:
        """(selection or None for the whole document, start, end) in the LF-only text, with
        positions converted from the counting the file uses (see :mod:`qualcode.refi.offsets`)."""
        holder = source.holder
        spans: list[tuple[etree._Element | None, int, int]] = []
        if holder.findall("Coding"):  # codings of the whole document
            if text:
                spans.append((None, 0, len(text)))
            else:
                self.losses.bad_spans += 1
        written: list[tuple[etree._Element, int, int]] = []
        for selection in holder.findall("PlainTextSelection"):
            try:
                written.append(
                    (selection, int(selection.get("startPosition", "")), int(selection.get("endPosition", "")))
                )
            except ValueError:
                self.losses.bad_spans += 1
        detection = detect_counting(raw, [(s, e, el.get("name") or "") for el, s, e in written], self.prior)
        counting = detection.counting or STANDARD
        if detection.counting is None:
            left_out = [written[i][0] for i in detection.uncertain]
            self.unplaced.append(
                (
                    source.name,
                    len(left_out),
                    sum(len(el.findall("Coding")) for el in left_out),
                    len(written),
                    detection.reason,
                )
            )
            uncertain = set(detection.uncertain)
            written = [w for i, w in enumerate(written) if i not in uncertain]
        elif detection.counting != STANDARD and detection.uncertain:
            self.converted.setdefault(detection.counting, []).append(source.name)
        positions = PositionMap(raw, counting)
        for selection, raw_start, raw_end in written:
            start, end = positions.to_text(raw_start), positions.to_text(raw_end)
            if raw_start < 0 or start is None or end is None or start >= end:
                # outside the text, empty, inside a character, or only the '\r' of a CRLF
                self.losses.bad_spans += 1
                continue
            spans.append((selection, start, end))
        return spans

    def _read_codings(
        self, source: etree._Element, selection: etree._Element | None, document: str, text: str, start: int, end: int
    ) -> None:
        holder = selection if selection is not None else source
        shared_memo: list[str] = []
        if selection is not None:
            if (selection.findtext("Description") or "").strip():
                shared_memo.append(selection.findtext("Description").strip())
            shared_memo += self.notes.texts(selection)
        coding_elements = holder.findall("Coding")
        if not coding_elements:
            self.losses.uncoded += 1
            return
        for coding_el in coding_elements:
            ref = coding_el.find("CodeRef")
            code_id = self.built.code_of_guid.get(guid_key(ref.get("targetGUID"))) if ref is not None else None
            if code_id is None:
                self.losses.unknown_codes += 1
                continue
            annotator = self._annotator(coding_el.get("creatingUser") or holder.get("creatingUser"))
            memo = "\n\n".join(self.notes.texts(coding_el) + shared_memo)
            key = (document, start, end, code_id, annotator)
            if key in self.seen:
                self.losses.duplicates += 1
                previous = self.seen[key]
                if memo and memo not in previous.memo:
                    previous.memo = "\n\n".join(m for m in (previous.memo, memo) if m)
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
                created_at=coding_el.get("creationDateTime") or holder.get("creationDateTime"),
            )
            self.seen[key] = coding
            self.codings.append(coding)

    def _add_memo(self, note: _Note, kind: str, target: str | None) -> None:
        """One Note as a memo: its name the title, its creating user the author."""
        author = self.users.get(guid_key(note.creator), note.creator.strip()) if note.creator else "unknown"
        if author not in self.user_names:
            self.user_names.append(author)
        self.memos.append(
            Memo(kind, target, note.text, author, note.name.strip()[:300], note.created, note.modified or None)
        )
        self.memo_guids.append(note.guid)

    def _framework_summary(self, note: _Note, theme_id: str) -> bool:
        """A Note qualcode wrote for a framework-matrix cell (its Description "participant: P;
        theme: T (qualcode framework matrix)") is kept as that cell's summary, not as a memo."""
        found = _FRAMEWORK_NOTE.search(note.text)
        if found is None or theme_id not in self.built.codebook.themes:
            return False
        author = self.users.get(guid_key(note.creator), note.creator.strip()) if note.creator else "unknown"
        self.framework_summaries.append(
            {
                "participant": found.group("participant"),
                "theme": theme_id,
                "text": note.text[: found.start()].strip(),
                "author": author,
                "created": note.created,
                "modified": note.modified or note.created,
            }
        )
        return True

    def _read_memos(self) -> None:
        """Notes on codes and themes become their code memos, notes on the project (and notes on no
        imported item, as ATLAS.ti's free memos) project memos; a source's notes became its
        document memos and a coding's its memo as they were read."""
        built = self.built
        for element in self.root.iterfind("CodeBook/Codes//Code"):
            key = guid_key(element.get("guid"))
            code_id = built.theme_of_guid.get(key) or built.code_of_guid.get(key)
            if code_id is not None:
                for note in self.notes.referred(element):
                    if not self._framework_summary(note, code_id):
                        self._add_memo(note, "code", code_id)
        for note in self.notes.referred(self.root):
            self._add_memo(note, "project", None)
        for note in self.notes.unused():
            self.loose_notes.append(note.name or note.guid)
            self._add_memo(note, "project", None)

    def _annotator(self, creator: str | None) -> str:
        if creator:
            annotator = self.users.get(guid_key(creator), creator.strip())
        else:
            annotator = "unknown"
            self.losses.no_user += 1
        if annotator not in self.user_names:
            self.user_names.append(annotator)
        return annotator

    def _collect_guids(self, participants: list[Participant]) -> None:
        """The GUIDs the other tool gave the items qualcode kept (valid GUIDs only, as written)."""
        written = {
            guid_key(g): g.strip() for e in self.root.iter() if isinstance(e.tag, str) for g in [e.get("guid")] if g
        }
        built = self.built
        items: list[tuple[str, str, str]] = [("theme", t, g) for g, t in built.theme_of_guid.items()]
        items += [("code", c, g) for g, c in built.code_of_guid.items() if g not in built.theme_of_guid]
        items += [("set", x, g) for g, x in built.set_of_guid.items()]
        items += [("user", name, g) for g, name in self.users.items()]
        items += [("source", d, g) for d, g in self.source_guids.items()]
        items += [("variable", name, g) for g, (name, _) in self.variables.items()]
        items += [("case", p.id, g) for p, g in self.case_guids]
        for kind, item, key in items:
            guid = written.get(key, "")
            if GUID_PATTERN.match(guid):
                self.guids.setdefault((kind, item), guid)

    def _offset_warnings(self) -> None:
        for counting, names in self.converted.items():
            self.warnings.append(
                f"Positions in {plural(len(names), 'source')} ({quoted_list(names)}) count {counting.label} "
                "rather than the standard's code points; they were converted."
            )
        for name, n_selections, n_codings, total, reason in self.unplaced:
            self.warnings.append(
                f"'{name}': {n_selections} of {plural(total, 'text selection')} ({plural(n_codings, 'coding')}) "
                f"could not be placed: their positions fit neither Unicode code points (the standard) nor UTF-16 "
                f"code units (NVivo), with CRLF counted as one or two ({reason}); they were left out rather than "
                "put on the wrong text."
            )

    def _loss_warnings(self) -> None:
        self._offset_warnings()
        losses, warnings = self.losses, self.warnings
        if losses.bad_spans:
            n = losses.bad_spans
            warnings.append(
                f"{plural(n, 'text selection')} had positions outside the text (or empty spans) and {were(n)} skipped."
            )
        if losses.uncoded:
            n = losses.uncoded
            warnings.append(
                f"{plural(n, 'text selection')} without codings (quotations only) {were(n)} skipped, with their "
                "comments."
            )
        if losses.unknown_codes:
            n = losses.unknown_codes
            warnings.append(f"{plural(n, 'coding')} referred to codes missing from the codebook and {were(n)} skipped.")
        if losses.no_user:
            n = losses.no_user
            warnings.append(f"{plural(n, 'coding')} had no creating user and {were(n)} attributed to 'unknown'.")
        if losses.bad_source_values:
            n = losses.bad_source_values
            warnings.append(f"{plural(n, 'source variable value')} could not be read and {were(n)} skipped.")
        if losses.duplicates:
            n = losses.duplicates
            warnings.append(f"{plural(n, 'duplicate coding')} (same text, code and user) {were(n)} merged.")
        if self.loose_notes:
            n = len(self.loose_notes)
            warnings.append(
                f"{plural(n, 'note')} (memos: {quoted_list(self.loose_notes)}) {were(n)} not attached to an imported "
                "coding, document or code and became project memos."
            )
        empty = self.notes.empty()
        if empty:
            warnings.append(f"{plural(len(empty), 'empty note')} ({quoted_list(empty)}) {were(len(empty))} skipped.")
        for tag, what in (("Links/Link", "link"), ("Graphs/Graph", "graph")):
            count = len(self.root.findall(tag))
            if count:
                warnings.append(f"{plural(count, what)} between project items {were(count)} not carried over.")


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


# --------------------------------------------------------------------------- codebook file
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
