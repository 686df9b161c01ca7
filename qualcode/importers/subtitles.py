"""Subtitle transcripts: WebVTT (``.vtt``, e.g. Zoom/Teams exports) and SubRip (``.srt``).

Speakers come from ``<v Name>`` voice tags or a ``Name:`` prefix of the cue text (Zoom
writes ``John Smith: text``).  A cue without a speaker continues the current speaker's
turn (captioners often name the speaker only in a turn's first cue); consecutive cues of
the same speaker are merged into one turn.

Produced text: **one paragraph per turn, ``Speaker: text``** (just ``text`` when no speaker
is known), turns separated by a blank line (``"\\n\\n"``); a cue's lines and the cues of a
turn are joined with single spaces; tags (``<i>``, ``<c.x>``, ``{\\an8}``) are removed and
HTML entities decoded.  The speaker names are listed in ``metadata["speakers"]`` and
segmentation uses exactly them as turn labels, so each turn becomes a ``turn`` segment with
``speaker`` set (the ``Speaker:`` label itself is outside the segment).
``metadata["turn_times"]`` holds ``[start, end]`` seconds per turn, in text order.

Malformed timestamps, a missing ``WEBVTT`` header and cues without a timing line raise
:class:`~qualcode.errors.InputFileError` listing every bad line.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputFileError, Problem
from ..model import ParsedDocument
from .encoding import DEFAULT_MAX_BYTES, read_text_file
from .metadata import participant_from, resolve_language

TURN_SEPARATOR = "\n\n"
_VTT_TIME = re.compile(r"^(?:(\d{1,3}):)?([0-5]\d):([0-5]\d)\.(\d{3})$")
_SRT_TIME = re.compile(r"^(\d{1,3}):([0-5]\d):([0-5]\d)[,.](\d{1,3})$")
_TIMING = re.compile(r"^\s*(\S+)\s+-->\s+(\S+)(?:\s+.*)?$")
_TIME_LIKE = re.compile(r"^\s*\d{1,3}:\d{2}")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)*(?:\s+([^>]*))?>", re.IGNORECASE)
_NAME_PREFIX = re.compile(r"^(?P<name>[^\W\d_][^:<>\n]{0,59}?)\s*:\s+(?P<text>\S.*)$", re.DOTALL)
_TAG = re.compile(r"</?[^>\s][^>]*>|\{\\[^}]*\}")
_MAX_NAME_WORDS = 6


@dataclass
class _Turn:
    speaker: str | None
    texts: list[str] = field(default_factory=list)
    start: float = 0.0
    end: float = 0.0


def _seconds(stamp: str, pattern: re.Pattern[str]) -> float | None:
    match = pattern.match(stamp)
    if not match:
        return None
    hours, minutes, seconds, fraction = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction) / 10 ** len(fraction)


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Groups of consecutive non-blank lines with the 1-based line number of their first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    first = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not current:
                first = number
            current.append(line)
        elif current:
            blocks.append((first, current))
            current = []
    if current:
        blocks.append((first, current))
    return blocks


def _voices(text: str) -> list[tuple[str | None, str]]:
    """Split cue text into ``(speaker or None, text)`` pieces by voice tags or a name prefix."""
    matches = list(_VOICE.finditer(text))
    if matches:
        pieces: list[tuple[str | None, str]] = []
        if text[: matches[0].start()].strip():
            pieces.append((None, text[: matches[0].start()]))
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
            name = (m.group(1) or "").strip() or None
            pieces.append((name, text[m.end() : end]))
        return pieces
    prefix = _NAME_PREFIX.match(text)
    if prefix and len(prefix["name"].split()) <= _MAX_NAME_WORDS:
        return [(prefix["name"].strip(), prefix["text"])]
    return [(None, text)]


def _clean(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def parse_subtitles(text: str, *, kind: str, path: str | None = None) -> tuple[list[_Turn], int]:
    """Turns of a ``vtt`` or ``srt`` text, and the number of cues."""
    blocks = _cue_blocks(_blocks(text.split("\n")), kind, path)
    problems: list[Problem] = []
    pattern = _VTT_TIME if kind == "vtt" else _SRT_TIME
    example = "00:01:02.500 --> 00:01:05.000" if kind == "vtt" else "00:01:02,500 --> 00:01:05,000"
    turns: list[_Turn] = []
    cues = 0
    for first_line, block in blocks:
        cue = _cue_timing(first_line, block, pattern, example, path)
        if isinstance(cue, Problem):
            problems.append(cue)
            continue
        timing_index, start, end = cue
        cues += 1
        _add_cue_text(turns, "\n".join(block[timing_index + 1 :]), start, end)
    if problems:
        raise InputFileError(problems)
    return turns, cues


def _cue_blocks(blocks: list[tuple[int, list[str]]], kind: str, path: str | None) -> list[tuple[int, list[str]]]:
    """The cue blocks: for WebVTT after the 'WEBVTT' header (refused without it), without NOTE,
    STYLE and REGION blocks."""
    if kind != "vtt":
        return blocks
    if not blocks or not blocks[0][1][0].startswith("WEBVTT"):
        raise InputFileError(
            Problem(
                "a WebVTT file must start with the line 'WEBVTT'.",
                path=path,
                line=blocks[0][0] if blocks else 1,
                hint="Check that this is a .vtt subtitle file; add 'WEBVTT' as the first line.",
            )
        )
    return [b for b in blocks[1:] if not re.match(r"(NOTE|STYLE|REGION)\b", b[1][0])]


def _cue_timing(
    first_line: int, block: list[str], pattern: re.Pattern[str], example: str, path: str | None
) -> tuple[int, float, float] | Problem:
    """A cue's timing line: (its index in the block, start, end in seconds), or what is wrong with it."""
    timing_index = next((i for i, line in enumerate(block[:2]) if "-->" in line), None)
    if timing_index is None:  # a damaged arrow ("->", "—>") still looks like a timing line
        timing_index = next((i for i, line in enumerate(block[:2]) if _TIME_LIKE.match(line)), None)
    if timing_index is None:
        return Problem(
            "expected a cue timing line like '" + example + "' here (or after a cue number).",
            path=path,
            line=first_line,
            hint="Check the blank lines between cues.",
        )
    number = first_line + timing_index
    timing = _TIMING.match(block[timing_index])
    start = end = None
    if timing:
        start, end = _seconds(timing.group(1), pattern), _seconds(timing.group(2), pattern)
    if start is None or end is None:
        return Problem(
            f"malformed cue timing '{block[timing_index].strip()}'.",
            path=path,
            line=number,
            hint=f"Write it as '{example}'.",
        )
    if end < start:
        return Problem(
            f"cue ends before it starts ('{block[timing_index].strip()}').",
            path=path,
            line=number,
            hint="Swap or correct the two times.",
        )
    return timing_index, start, end


def _add_cue_text(turns: list[_Turn], text: str, start: float, end: float) -> None:
    """Append a cue's text to ``turns``: a new turn when the speaker changes, else the last one grows."""
    for speaker, piece in _voices(text):
        cleaned = _clean(piece)
        if not cleaned:
            continue
        if turns and (speaker is None or speaker == turns[-1].speaker):
            turns[-1].texts.append(cleaned)
            turns[-1].end = max(turns[-1].end, end)
        else:
            turns.append(_Turn(speaker, [cleaned], start, end))


def read_subtitle_document(
    path: str | os.PathLike[str], *, language: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> ParsedDocument:
    """Read a ``.vtt``/``.srt`` transcript (no segments yet; :func:`read_document` adds them)."""
    path = Path(path)
    where = str(path)
    kind = path.suffix.lower().lstrip(".")
    raw = read_text_file(path, max_bytes=max_bytes)
    turns, cues = parse_subtitles(raw, kind=kind, path=where)
    if not turns:
        raise InputFileError(
            Problem("the subtitle file has no cue text.", path=where, hint="Check that this is the right file.")
        )
    paragraphs = [f"{t.speaker}: {' '.join(t.texts)}" if t.speaker else " ".join(t.texts) for t in turns]
    text = TURN_SEPARATOR.join(paragraphs)
    speakers = list(dict.fromkeys(t.speaker for t in turns if t.speaker))
    metadata = {"format": kind, "cues": cues, "speakers": speakers, "turn_times": [[t.start, t.end] for t in turns]}
    return ParsedDocument(
        name=path.stem,
        text=text,
        participant=participant_from({}, path.stem),
        language=resolve_language({}, language, text, where),
        metadata=metadata,
        source_path=where,
    )


__all__ = ["parse_subtitles", "read_subtitle_document", "TURN_SEPARATOR"]
