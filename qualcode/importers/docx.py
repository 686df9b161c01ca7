"""Word documents (``.docx``, also Google Docs and LibreOffice exports), with comments as codings.

Text: the paragraphs of the main document (body, tables cell by cell, content controls,
tracked insertions; *not* deleted text, text boxes, headers, footers or footnotes), in
document order, **joined with a blank line (``"\\n\\n"``)** so each Word paragraph is a
paragraph segment.  Paragraphs that are empty or only whitespace are skipped.  Inside a
paragraph ``w:tab`` → ``"\\t"``, ``w:br``/``w:cr`` → ``"\\n"``, non-breaking hyphen → ``"-"``.
Whitespace at the end of the document is removed.

Comments: each comment's range (``w:commentRangeStart`` … ``w:commentRangeEnd``, which may
span paragraphs and overlap other comments) becomes a :class:`~qualcode.model.Coding` with
``code`` = the comment text (stripped; the project resolves it to a code by id, label or
alias), ``annotator`` = the comment author, ``origin="imported"``, ``quote`` = the covered
text and ``created_at`` = the comment date.  Replies (Word's threaded comments) are not
codings: their text is added to the parent comment's ``memo``.  Comments without a range or
with empty text are listed in ``metadata["skipped_comments"]``.

Metadata: an optional front-matter block at the very start -- a paragraph ``---``, then
``key: value`` paragraphs, then ``---`` -- is read like a text file's front matter and
removed from the text.  Otherwise the participant comes from the file name
(``expert_A.docx`` → ``A``).  Core properties (title, creator, …) go to
``metadata["core"]``.

Safety: the zip is checked before anything is extracted (member count, sizes, compression
ratio), members are read with a size cap, XML is parsed with lxml without entity
resolution, DTDs or network access, and documents with a DOCTYPE are refused.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from lxml import etree

from ..errors import InputFileError, Problem
from ..model import Coding, ParsedDocument
from ..safezip import open_zip_safely
from .encoding import check_text_bounds
from .metadata import (
    load_yaml_mapping,
    no_front_matter_warning,
    participant_from,
    resolve_language,
    unknown_key_warnings,
)

MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 100 * 1024 * 1024
MAX_TOTAL_BYTES = 300 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200  # for members over 1 MB uncompressed
# Bounds on an XML part *before* it is parsed (a parsed tree takes ~100 bytes per element, so an
# unchecked 100 MB part of tiny elements took gigabytes).  A two-hour interview is ~1-2 MB of
# document XML and ~50,000 elements; these allow ~20 times that.
MAX_XML_PART_BYTES = 32 * 1024 * 1024
MAX_XML_ELEMENTS = 1_000_000
PARAGRAPH_SEPARATOR = "\n\n"

W_MAIN = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
REL = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOCUMENT = "/officeDocument"
COMMENTS = "/comments"
CORE_PROPERTIES = "/core-properties"
_NOT_DOCX_HINT = "Open it in Word, LibreOffice or Google Docs and save/download it as .docx."


# --------------------------------------------------------------------------- zip safety
class _Package:
    """A size-checked view of the .docx zip."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputFileError(
                Problem(f"is not a valid .docx file (not a zip archive: {exc}).", path=self.path, hint=_NOT_DOCX_HINT)
            ) from exc
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            self._refuse(f"has {len(infos)} parts (limit {MAX_MEMBERS})")
        total = 0
        for info in infos:
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > MAX_MEMBER_BYTES:
                self._refuse(f"has a part '{info.filename}' that unpacks to {info.file_size:,} bytes")
            if info.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO:
                self._refuse(f"has a part '{info.filename}' compressed {ratio:.0f}:1 (a 'zip bomb' pattern)")
        if total > MAX_TOTAL_BYTES:
            self._refuse(f"unpacks to {total:,} bytes in total")
        # Member names escaping a folder, symlinks, duplicates, encrypted members: the shared checks.
        open_zip_safely(
            path, max_members=MAX_MEMBERS, max_total_uncompressed=MAX_TOTAL_BYTES, max_ratio=MAX_COMPRESSION_RATIO
        ).close()
        self.names = {info.filename for info in infos}

    def _refuse(self, why: str) -> None:
        raise InputFileError(
            Problem(f"is refused: it {why}, too large for a transcript.", path=self.path, hint=_NOT_DOCX_HINT)
        )

    def _refuse_part(self, name: str, what: str, limit: str) -> None:
        raise InputFileError(
            Problem(
                f"is refused: its part '{name}' {what}, more than the {limit} limit for a transcript "
                "(it would expand to far more text than any interview).",
                path=self.path,
                hint="Split the transcript into several documents, or save it as .md/.txt if it really is one "
                "interview.",
            )
        )

    def read(self, name: str, *, limit: int = MAX_MEMBER_BYTES) -> bytes | None:
        if name not in self.names:
            return None
        try:
            with self.zip.open(name) as member:
                data = member.read(limit + 1)  # the header's size may lie
        except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, ValueError) as exc:
            raise InputFileError(
                Problem(
                    f"is damaged: part '{name}' cannot be decompressed ({exc}).", path=self.path, hint=_NOT_DOCX_HINT
                )
            ) from None
        if len(data) > limit:
            self._refuse(f"has a part '{name}' that unpacks to more than {limit:,} bytes")
        return data

    def xml(self, name: str) -> etree._Element | None:
        if name not in self.names:
            return None
        size = self.zip.getinfo(name).file_size
        if size > MAX_XML_PART_BYTES:  # from the zip directory, before anything is unpacked
            self._refuse_part(name, f"unpacks to {size / 1e6:.1f} MB", f"{MAX_XML_PART_BYTES / 1e6:.1f} MB")
        data = self.read(name, limit=MAX_XML_PART_BYTES)
        if data is None:
            return None
        elements = data.count(b"<") - data.count(b"</") - data.count(b"<?")
        if elements > MAX_XML_ELEMENTS:
            self._refuse_part(name, f"has {elements:,} XML elements", f"{MAX_XML_ELEMENTS:,} elements")
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
        )
        try:
            tree = etree.fromstring(data, parser).getroottree()
        except etree.XMLSyntaxError as exc:
            raise InputFileError(
                Problem(
                    f"is damaged: part '{name}' is not well-formed XML ({exc.msg}).",
                    path=self.path,
                    line=exc.lineno if exc.lineno else None,
                    hint=_NOT_DOCX_HINT,
                )
            ) from exc
        if tree.docinfo.doctype:
            raise InputFileError(
                Problem(
                    f"is refused: part '{name}' declares a DOCTYPE, which Word documents never do.",
                    path=self.path,
                    hint=_NOT_DOCX_HINT,
                )
            )
        return tree.getroot()

    def relationships(self, part: str) -> list[tuple[str, str]]:
        """``(type, target part name)`` pairs of a part's relationships."""
        folder = PurePosixPath(part).parent
        rels_name = _join(folder, f"_rels/{PurePosixPath(part).name}.rels") if part else "_rels/.rels"
        root = self.xml(rels_name)
        if root is None:
            return []
        found = []
        for rel in root.iter(f"{{{REL}}}Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            name = target.lstrip("/") if target.startswith("/") else _join(folder, target)
            found.append((rel.get("Type", ""), name))
        return found


def _join(folder: PurePosixPath, target: str) -> str:
    parts: list[str] = [p for p in folder.parts if p not in (".", "")]
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in (".", ""):
            parts.append(piece)
    return "/".join(parts)


# --------------------------------------------------------------------------- text walk
@dataclass
class _Paragraph:
    parts: list[str] = field(default_factory=list)
    length: int = 0
    markers: list[tuple[int, str, str]] = field(default_factory=list)  # (offset, start|end, id)

    def add(self, piece: str) -> None:
        self.parts.append(piece)
        self.length += len(piece)

    @property
    def text(self) -> str:
        return "".join(self.parts)


class _BodyWalker:
    """Collects paragraphs and comment-range markers from ``w:body`` in document order."""

    def __init__(self, w: str) -> None:
        self.w = w
        self.paragraphs: list[_Paragraph] = []
        self.pending_starts: list[str] = []  # block-level range starts before the next paragraph
        self.orphan_ends: list[str] = []  # block-level range ends before any paragraph
        self._text_tags = {
            f"{{{w}}}t": None,
            f"{{{w}}}tab": "\t",
            f"{{{w}}}br": "\n",
            f"{{{w}}}cr": "\n",
            f"{{{w}}}noBreakHyphen": "-",
        }
        self._skip = {
            f"{{{w}}}{t}"
            for t in ("pPr", "rPr", "txbxContent", "del", "moveFrom", "drawing", "pict", "sectPr", "instrText")
        }
        self._skip.add(f"{{{MC}}}Fallback")
        self._start = f"{{{w}}}commentRangeStart"
        self._end = f"{{{w}}}commentRangeEnd"
        self._p = f"{{{w}}}p"

    def walk_blocks(self, element: etree._Element) -> None:
        for child in element:
            tag = child.tag
            if tag == self._p:
                self._paragraph(child)
            elif tag == self._start:
                self.pending_starts.append(child.get(f"{{{self.w}}}id", ""))
            elif tag == self._end:
                cid = child.get(f"{{{self.w}}}id", "")
                if self.paragraphs:
                    last = self.paragraphs[-1]
                    last.markers.append((last.length, "end", cid))
                else:
                    self.orphan_ends.append(cid)
            elif isinstance(tag, str) and tag not in self._skip:
                self.walk_blocks(child)

    def _paragraph(self, p: etree._Element) -> None:
        paragraph = _Paragraph()
        paragraph.markers = [(0, "start", cid) for cid in self.pending_starts]
        self.pending_starts = []
        self._inline(p, paragraph)
        self.paragraphs.append(paragraph)

    def _inline(self, element: etree._Element, paragraph: _Paragraph) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag in self._skip:
                continue
            if tag in self._text_tags:
                piece = self._text_tags[tag]
                if piece is None:
                    piece = child.text or ""
                elif tag.endswith("}br") and child.get(f"{{{self.w}}}type") == "column":
                    piece = " "
                paragraph.add(piece)
            elif tag == self._start:
                paragraph.markers.append((paragraph.length, "start", child.get(f"{{{self.w}}}id", "")))
            elif tag == self._end:
                paragraph.markers.append((paragraph.length, "end", child.get(f"{{{self.w}}}id", "")))
            elif tag == self._p:
                continue  # a paragraph nested in a paragraph (text box): not part of the text
            else:
                self._inline(child, paragraph)


def _paragraph_text(p: etree._Element, w: str) -> str:
    walker = _BodyWalker(w)
    paragraph = _Paragraph()
    walker._inline(p, paragraph)
    return paragraph.text


# --------------------------------------------------------------------------- comments
@dataclass
class _Comment:
    id: str
    author: str
    date: str | None
    text: str
    para_ids: list[str]
    replies: list[_Comment] = field(default_factory=list)


def _read_comments(package: _Package, part: str | None, w: str) -> dict[str, _Comment]:
    root = package.xml(part) if part else None
    if root is None:
        return {}
    comments: dict[str, _Comment] = {}
    for element in root.iter(f"{{{w}}}comment"):
        paragraphs = element.findall(f".//{{{w}}}p")
        text = "\n".join(_paragraph_text(p, w) for p in paragraphs)
        comments[element.get(f"{{{w}}}id", "")] = _Comment(
            id=element.get(f"{{{w}}}id", ""),
            author=(element.get(f"{{{w}}}author") or "").strip(),
            date=element.get(f"{{{w}}}date"),
            text=text,
            para_ids=[p.get(f"{{{W14}}}paraId") for p in paragraphs if p.get(f"{{{W14}}}paraId")],
        )
    return comments


def _reply_parents(package: _Package, comments_part: str | None, comments: dict[str, _Comment]) -> dict[str, str]:
    """comment id → parent comment id for Word threaded replies (commentsExtended.xml)."""
    if not comments_part:
        return {}
    folder = PurePosixPath(comments_part).parent
    root = package.xml(_join(folder, "commentsExtended.xml"))
    if root is None:
        return {}
    parent_of_para = {
        e.get(f"{{{W15}}}paraId"): e.get(f"{{{W15}}}paraIdParent") for e in root.iter(f"{{{W15}}}commentEx")
    }
    comment_of_para = {pid: c.id for c in comments.values() for pid in c.para_ids}
    parents: dict[str, str] = {}
    for comment in comments.values():
        for pid in comment.para_ids[-1:]:  # the last paragraph carries the thread link
            parent_para = parent_of_para.get(pid)
            if parent_para and parent_para in comment_of_para:
                parents[comment.id] = comment_of_para[parent_para]
    return parents


# --------------------------------------------------------------------------- front matter
def _front_matter(paragraphs: list[_Paragraph], path: str) -> tuple[dict[str, Any], int]:
    """Front-matter block at the start: ``(metadata, number of paragraphs it used)``."""
    if not paragraphs or paragraphs[0].text.strip() != "---":
        return {}, 0
    for i in range(1, min(len(paragraphs), 100)):
        if paragraphs[i].text.strip() in ("---", "..."):
            source = "\n".join(p.text for p in paragraphs[1:i])
            try:
                return load_yaml_mapping(source, path, first_line=2), i + 1
            except InputFileError as exc:
                # Lines of the YAML are paragraphs of the document: say so.
                problems = [
                    Problem(
                        f"paragraph {p.line}: {p.message}" if p.line else p.message,
                        path=path,
                        field=p.field,
                        hint=p.hint,
                    )
                    for p in exc.problems
                ]
                raise InputFileError(problems) from exc
    raise InputFileError(
        Problem(
            "the front-matter block opened by a '---' paragraph at the start is never closed.",
            path=path,
            hint="Add a paragraph with just '---' after the 'key: value' "
            "paragraphs, or delete the first '---' paragraph.",
        )
    )


def _core_properties(package: _Package, part: str | None) -> dict[str, str]:
    root = package.xml(part) if part else None
    if root is None:
        return {}
    found = {}
    for element in root:
        if isinstance(element.tag, str) and element.text and element.text.strip():
            found[etree.QName(element).localname] = element.text.strip()
    return found


# --------------------------------------------------------------------------- assembly
def read_docx_document(path: str | os.PathLike[str], *, language: str | None = None) -> ParsedDocument:
    """Read a .docx transcript and its comments (no segments yet; see :func:`read_document`)."""
    path = Path(path)
    where = str(path)
    package = _Package(path)
    root_rels = package.relationships("")
    main_part = next((t for k, t in root_rels if k.endswith(OFFICE_DOCUMENT)), "word/document.xml")
    document = package.xml(main_part)
    if document is None:
        raise InputFileError(
            Problem(f"is not a Word document: it has no '{main_part}' part.", path=where, hint=_NOT_DOCX_HINT)
        )
    w = etree.QName(document).namespace or W_MAIN
    body = document.find(f"{{{w}}}body")
    if body is None:
        raise InputFileError(Problem("is damaged: the document has no body.", path=where, hint=_NOT_DOCX_HINT))
    walker = _BodyWalker(w)
    walker.walk_blocks(body)
    paragraphs = walker.paragraphs
    if walker.pending_starts:  # range starts after the last paragraph: empty ranges
        paragraphs.append(_Paragraph(markers=[(0, "start", c) for c in walker.pending_starts]))
    if walker.orphan_ends and paragraphs:
        paragraphs[0].markers[:0] = [(0, "end", c) for c in walker.orphan_ends]

    metadata, used = _front_matter([p for p in paragraphs if p.text.strip()], where)
    text, positions = _assemble(paragraphs, used)
    check_text_bounds(text, where)
    if not text.strip():
        raise InputFileError(
            Problem("the document contains no text.", path=where, hint="Check that this is the right file.")
        )

    doc_rels = package.relationships(main_part)
    comments_part = next((t for k, t in doc_rels if k.endswith(COMMENTS)), None)
    comments = _read_comments(package, comments_part, w)
    parents = _reply_parents(package, comments_part, comments)
    codings, skipped = _codings(path.stem, text, positions, comments, parents)

    core_part = next((t for k, t in root_rels if k.endswith(CORE_PROPERTIES)), None)
    core = _core_properties(package, core_part)
    metadata = dict(metadata)
    if core:
        metadata["core"] = core
    if skipped:
        metadata["skipped_comments"] = skipped
    front = {k: v for k, v in metadata.items() if k not in ("core", "skipped_comments")}
    participant = participant_from(front, path.stem, path=where)
    warnings = unknown_key_warnings(front, where)
    if not used:
        warnings.insert(0, no_front_matter_warning(participant, where))
    return ParsedDocument(
        name=path.stem,
        text=text,
        participant=participant,
        language=resolve_language(metadata, language, text, where),
        metadata=metadata,
        codings=codings,
        source_path=where,
        warnings=warnings,
    )


def _assemble(paragraphs: list[_Paragraph], front_matter_paragraphs: int) -> tuple[str, dict[str, dict[str, int]]]:
    """Join non-blank paragraphs; map each marker to its offset in the joined text.

    Markers in skipped paragraphs (blank ones, the front-matter block) move to the next
    kept paragraph's start (range starts) or the previous kept paragraph's end (range ends).
    """
    pieces: list[str] = []
    length = 0
    positions: dict[str, dict[str, int]] = {"start": {}, "end": {}}
    carried_starts: list[str] = []
    nonblank_seen = 0
    for paragraph in paragraphs:
        content = paragraph.text
        keep = bool(content.strip())
        if keep:
            nonblank_seen += 1
            keep = nonblank_seen > front_matter_paragraphs
        if not keep:
            for _, kind, cid in paragraph.markers:
                if kind == "start":
                    carried_starts.append(cid)
                else:
                    positions["end"].setdefault(cid, length)
            continue
        if pieces:
            pieces.append(PARAGRAPH_SEPARATOR)
            length += len(PARAGRAPH_SEPARATOR)
        for cid in carried_starts:
            positions["start"].setdefault(cid, length)
        carried_starts = []
        for offset, kind, cid in paragraph.markers:
            positions[kind].setdefault(cid, length + offset)
        pieces.append(content)
        length += len(content)
    for cid in carried_starts:
        positions["start"].setdefault(cid, length)
    text = "".join(pieces).rstrip()
    for kind in positions:
        for cid, pos in positions[kind].items():
            positions[kind][cid] = min(pos, len(text))
    return text, positions


def _codings(
    name: str, text: str, positions: dict[str, dict[str, int]], comments: dict[str, _Comment], parents: dict[str, str]
) -> tuple[list[Coding], list[dict[str, str]]]:
    memos: dict[str, list[str]] = {}
    for child, parent in parents.items():
        reply = comments[child]
        memos.setdefault(parent, []).append(
            f"{reply.author}: {reply.text.strip()}" if reply.author else reply.text.strip()
        )
    codings: list[Coding] = []
    skipped: list[dict[str, str]] = []
    for cid, comment in comments.items():
        if cid in parents:
            continue
        span = _comment_span(text, positions["start"].get(cid), positions["end"].get(cid))
        code = comment.text.strip()
        if isinstance(span, str) or not code:
            reason = span if isinstance(span, str) else "the comment has no text (no code name)"
            skipped.append({"id": cid, "author": comment.author, "text": code, "reason": reason})
            continue
        start, end = span
        codings.append(
            Coding(
                document=name,
                start=start,
                end=end,
                code=code,
                annotator=comment.author or "unknown",
                memo="\n".join(memos.get(cid, [])),
                origin="imported",
                quote=text[start:end],
                created_at=comment.date or None,
            )
        )
    codings.sort(key=lambda c: (c.start, c.end, c.code))
    return codings, skipped


def _comment_span(text: str, start: int | None, end: int | None) -> tuple[int, int] | str:
    """The trimmed range a comment covers, or why it covers none."""
    if start is None or end is None:
        return "the comment is not attached to a range of text"
    start, end = _trim_span(text, min(start, end), max(start, end))
    if end <= start:
        return "the commented range contains no text"
    return start, end


def _trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop whitespace (e.g. a paragraph separator) at the edges of a commented range."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


__all__ = ["read_docx_document", "PARAGRAPH_SEPARATOR"]
