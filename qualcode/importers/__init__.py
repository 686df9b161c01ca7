"""Read interview files into :class:`~qualcode.model.ParsedDocument` objects.

Example (run from the repository root, which holds the thesis demo)::

    from qualcode.importers import read_document
    doc = read_document("interviews/expert_A.md")
    doc.name, doc.participant.label, doc.segments[0].kind   # ('expert_A', 'Expert (A)', 'paragraph')

Formats (by suffix): ``.md``/``.txt`` (:mod:`.text`), ``.docx`` (:mod:`.docx`), ``.vtt``/
``.srt`` (:mod:`.subtitles`).  The document name is the file stem.  Segments come from
:mod:`qualcode.segment`; turn labels are the names in ``metadata["speakers"]`` when the
importer or the front matter gives them (a list of names), else found by the ``Name:`` rule.
Language: the file's own ``language`` (front matter) > the ``language`` argument > a guess.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from ..errors import InputFileError, Problem, valid_list
from ..model import ParsedDocument
from ..segment import DEFAULT_BATCH_SIZE, segment_many
from .docx import read_docx_document
from .encoding import decode_text, read_text_file
from .subtitles import read_subtitle_document
from .text import read_text_document

_READERS: dict[str, Callable[..., ParsedDocument]] = {
    ".md": read_text_document,
    ".txt": read_text_document,
    ".docx": read_docx_document,
    ".vtt": read_subtitle_document,
    ".srt": read_subtitle_document,
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_READERS)


def is_supported(path: str | os.PathLike[str]) -> bool:
    """True if ``path`` has a transcript suffix this package reads."""
    return Path(path).suffix.lower() in _READERS


def parse_document(path: str | os.PathLike[str], *, language: str | None = None) -> ParsedDocument:
    """Read one file *without* segmenting it (text, participant, metadata, embedded codings)."""
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise InputFileError(
            Problem(
                f"unsupported file type '{path.suffix or '(no suffix)'}'.",
                path=str(path),
                hint=f"Supported transcript types: {valid_list(SUPPORTED_SUFFIXES)}. Convert the "
                "file (e.g. save it from Word as .docx or as plain text .txt).",
            )
        )
    if path.name.startswith("~$"):
        raise InputFileError(
            Problem(
                "is a Word lock file, not a transcript.",
                path=str(path),
                hint="Close the document in Word, or ignore this file.",
            )
        )
    return reader(path, language=language)


def _speakers(doc: ParsedDocument) -> list[str] | None:
    speakers = doc.metadata.get("speakers")
    if speakers is None:
        return None
    if not isinstance(speakers, list) or not all(isinstance(s, str) for s in speakers):
        raise InputFileError(
            Problem(
                "'speakers' must be a list of names, e.g. [Interviewer, Expert A].",
                path=doc.source_path,
                field="speakers",
            )
        )
    return speakers


def read_document(path: str | os.PathLike[str], *, language: str | None = None) -> ParsedDocument:
    """Read and segment one transcript file."""
    return read_documents([path], language=language)[0]


def read_documents(
    paths: Iterable[str | os.PathLike[str]], *, language: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE
) -> list[ParsedDocument]:
    """Read many transcripts and segment them in batches (one ``nlp.pipe`` per language).

    Problems in several files are collected and raised together as one InputFileError.
    """
    results = read_each(paths, language=language, batch_size=batch_size)
    problems = [p for r in results if isinstance(r, InputFileError) for p in r.problems]
    if problems:
        raise InputFileError(problems)
    return [r for r in results if isinstance(r, ParsedDocument)]


def read_each(
    paths: Iterable[str | os.PathLike[str]], *, language: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE
) -> list[ParsedDocument | InputFileError]:
    """Read many transcripts, each its own unit: one result per path, in order, the segmented
    document or the InputFileError naming what is wrong with that file (the good ones are
    segmented in batches all the same)."""
    results: list[ParsedDocument | InputFileError] = []
    docs: list[ParsedDocument] = []
    speakers: list[list[str] | None] = []
    for path in paths:
        try:
            doc = parse_document(path, language=language)
            doc_speakers = _speakers(doc)
        except InputFileError as exc:
            results.append(exc)
            continue
        speakers.append(doc_speakers)
        docs.append(doc)
        results.append(doc)
    segments = segment_many(
        [d.text for d in docs], [d.language for d in docs], speakers=speakers, batch_size=batch_size
    )
    for doc, doc_segments in zip(docs, segments):
        doc.segments = doc_segments
    return results


__all__ = [
    "SUPPORTED_SUFFIXES",
    "is_supported",
    "parse_document",
    "read_document",
    "read_documents",
    "read_each",
    "decode_text",
    "read_text_file",
]
