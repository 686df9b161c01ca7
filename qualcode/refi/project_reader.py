"""Reading a REFI-QDA project (``project.qde``) step by step into a :class:`RefiProject`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from ..errors import InputFileError, Problem
from ..model import Codebook, Coding, Memo, ParsedDocument, Participant
from .archive import _ProjectInput
from .codetree import build_codebook
from .common import GUID_PATTERN, document_name_from_source, guid_key, plural, quoted_list, unique_name, were
from .offsets import STANDARD, Counting, PositionMap, detect_counting, normalise_newlines, prior_for
from .sources import (
    _decode_text,
    _Losses,
    _Note,
    _Notes,
    _read_cases,
    _read_variables,
    _source_warnings,
    _text_sources,
    _TextSource,
    _variable_value,
)


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
