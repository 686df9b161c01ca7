"""Plain-text and Markdown transcripts (``.txt``, ``.md``) with optional YAML front matter.

A file may start with front matter between two ``---`` lines (the closing line may also
be ``...``)::

    ---
    participant: A
    label: Expert (A)
    role: Policy advisor
    language: en
    ---
    Interviewer: How did the project start?

    Expert A: It started in 2010 …

The document text (the body) is everything after the front matter, with CRLF/CR turned
into LF, blank lines at its start and whitespace at its end removed, and nothing else
changed: offsets refer to it.  ``metadata["body_line"]`` is the file line where the body
starts.  Speaker turns are lines starting ``Name:`` (see :mod:`qualcode.segment`).
Keys are described in :mod:`qualcode.importers.metadata`.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import InputFileError, Problem
from ..model import ParsedDocument
from .encoding import DEFAULT_MAX_BYTES, read_text_file
from .metadata import (
    key_line,
    load_yaml_mapping,
    no_front_matter_warning,
    participant_from,
    resolve_language,
    unknown_key_warnings,
)

_OPENING = re.compile(r"---[ \t]*\n")
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_LEADING_BLANK_LINES = re.compile(r"(?:[^\S\n]*\n)+")


def split_front_matter(text: str, path: str | None = None) -> tuple[dict[str, Any], str, int]:
    """``(metadata, body, body_line)`` of a normalised text (LF line ends).

    >>> split_front_matter("---\\nparticipant: A\\n---\\n\\nQ: Hi?\\n")
    ({'participant': 'A'}, 'Q: Hi?', 5)
    >>> split_front_matter("No front matter.  \\n")
    ({}, 'No front matter.', 1)
    """
    metadata: dict[str, Any] = {}
    body_start = 0
    opening = _OPENING.match(text)
    if opening:
        opening_end = opening.end()
        closing = _CLOSING.search(text, opening_end)
        if closing is None:
            raise InputFileError(
                Problem(
                    "the front matter opened by '---' on line 1 is never closed.",
                    path=path,
                    line=1,
                    hint="Add a line with just '---' after the 'key: value' lines, or remove the "
                    "first '---' line if the file has no front matter.",
                )
            )
        metadata = load_yaml_mapping(text[opening_end : closing.start()], path, first_line=2)
        body_start = closing.end() + 1 if closing.end() < len(text) else closing.end()
    blank = _LEADING_BLANK_LINES.match(text, body_start)
    if blank:
        body_start = blank.end()
    body_line = text.count("\n", 0, body_start) + 1
    return metadata, text[body_start:].rstrip(), body_line


def parse_text(text: str, *, name: str, path: str | None = None, language: str | None = None) -> ParsedDocument:
    """A :class:`ParsedDocument` (without segments) from a decoded transcript text."""
    metadata, body, body_line = split_front_matter(text, path)
    if not body.strip():
        raise InputFileError(
            Problem(
                "the transcript has front matter but no text after it.",
                path=path,
                line=body_line,
                hint="Add the interview text after the closing '---' line.",
            )
        )
    language_line = _key_line(text, "language") if "language" in metadata else None
    doc_language = resolve_language(metadata, language, body, path, line=language_line)
    try:
        participant = participant_from(metadata, name, path=path)
    except InputFileError as exc:  # say on which line the wrong value is
        raise InputFileError(
            [replace(p, line=key_line(text, p.field)) if p.field and p.line is None else p for p in exc.problems]
        ) from exc
    warnings = unknown_key_warnings(metadata, path, text)
    if not _OPENING.match(text):  # no front matter at all
        warnings.insert(0, no_front_matter_warning(participant, path))
    return ParsedDocument(
        name=name,
        text=body,
        participant=participant,
        language=doc_language,
        metadata={**metadata, "body_line": body_line},
        source_path=path,
        warnings=warnings,
    )


def read_text_document(
    path: str | os.PathLike[str], *, language: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> ParsedDocument:
    """Read a ``.txt``/``.md`` transcript (no segments yet; :func:`read_document` adds them)."""
    path = Path(path)
    text = read_text_file(path, max_bytes=max_bytes)
    return parse_text(text, name=path.stem, path=str(path), language=language)


def _key_line(text: str, key: str) -> int | None:
    match = re.search(rf"^{re.escape(key)}[ \t]*:", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


__all__ = ["split_front_matter", "parse_text", "read_text_document"]
