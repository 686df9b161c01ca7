"""Reading ``codebook.yaml``: size and encoding checks, safe YAML (no tags, no aliases), syntax problems."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
)

from qualcode.errors import CodebookError, Problem
from qualcode.model import Codebook

from .rules import _YAML_HINT, MAX_CODEBOOK_BYTES, MAX_NESTING, _yaml
from .validate import _line_col_at, _mark_line_col, _Parsed, _Validator


class _KeyTracker:
    """Follows mappings in the event stream to find duplicate keys and merge keys ('<<').

    ruamel.yaml stops at the first duplicate key; this reports every one, with both lines.
    """

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.fatal: list[Problem] = []
        self.duplicates: list[Problem] = []
        # one frame per open collection: for a mapping, {key: mark} and "next is a key?"
        self.frames: list[tuple[dict[str, Any], list[bool]] | None] = []

    def _at_key(self) -> tuple[dict[str, Any], list[bool]] | None:
        """The enclosing mapping if the next node is one of its keys; advances the state."""
        if not self.frames or self.frames[-1] is None:
            return None
        keys, expecting = self.frames[-1]
        is_key = expecting[0]
        expecting[0] = not is_key
        return (keys, expecting) if is_key else None

    def event(self, event: Any) -> None:
        if isinstance(event, ScalarEvent):
            mapping = self._at_key()
            if mapping is None:
                return
            keys = mapping[0]
            line, column = _mark_line_col(event.start_mark)
            if event.value == "<<" and not event.style:
                self.fatal.append(
                    Problem(
                        "YAML merge keys ('<<') are not allowed in a codebook.",
                        path=self.path,
                        line=line,
                        column=column,
                        hint="Write the keys out in full.",
                    )
                )
            elif event.value in keys:
                self.duplicates.append(
                    Problem(
                        f"duplicate key '{event.value}' (first given on line {keys[event.value]}).",
                        path=self.path,
                        line=line,
                        column=column,
                        hint="Keep one of the two; YAML does not allow a key twice in one entry.",
                    )
                )
            else:
                keys[event.value] = line
        elif isinstance(event, AliasEvent):
            self._at_key()
        elif isinstance(event, MappingStartEvent):
            self._at_key()
            self.frames.append(({}, [True]))
        elif isinstance(event, SequenceStartEvent):
            self._at_key()
            self.frames.append(None)
        elif isinstance(event, CollectionEndEvent):
            self.frames.pop()


def _syntax_problems(text: str, path: str | None) -> tuple[list[Problem], list[Problem]]:
    """Scan the YAML event stream: syntax errors, tags, aliases, several documents, merge
    keys (fatal: nothing may be constructed), and duplicate keys (ruamel.yaml can still
    build the rest, so the content is validated too).  Nothing is constructed here."""
    problems: list[Problem] = []
    keys = _KeyTracker(path)
    documents = 0
    try:
        for event in _yaml().parse(text):
            keys.event(event)
            line, column = _mark_line_col(event.start_mark)
            if len(keys.frames) > MAX_NESTING:  # ruamel's scanner is quadratic in flow depth
                problems.append(
                    Problem(
                        f"the codebook is nested more than {MAX_NESTING} levels deep.",
                        path=path,
                        line=line,
                        column=column,
                        hint="Use fewer levels of sub-themes; check for unbalanced '[' or '{'.",
                    )
                )
                break
            if isinstance(event, DocumentStartEvent):
                documents += 1
            problem = _event_problem(event, documents, path, line, column)
            if problem is not None:
                problems.append(problem)
    except YAMLError as exc:  # MarkedYAMLError, ReaderError (control characters) and similar
        problems.append(_yaml_error_problem(exc, text, path))
    return problems + keys.fatal, keys.duplicates


def _event_problem(
    event: Any, documents: int, path: str | None, line: int | None, column: int | None
) -> Problem | None:
    """What is not allowed about one YAML event: a second document, an alias, a tag."""
    if isinstance(event, DocumentStartEvent):
        if documents == 2:
            return Problem(
                "the file holds more than one YAML document ('---').",
                path=path,
                line=line,
                column=column,
                hint="Keep one codebook per file.",
            )
    elif isinstance(event, AliasEvent):
        return Problem(
            f"YAML aliases ('*{event.anchor}') are not allowed in a codebook.",
            path=path,
            line=line,
            column=column,
            hint="Write the value out in full.",
        )
    elif isinstance(event, (ScalarEvent, CollectionStartEvent)) and event.tag is not None:
        tag = str(getattr(event.tag, "value", event.tag))
        tag = tag.replace("tag:yaml.org,2002:", "!!")
        return Problem(
            f"YAML tag '{tag}' is not allowed: a codebook holds plain text, lists and mappings only.",
            path=path,
            line=line,
            column=column,
            hint="Remove the tag (the word starting with '!').",
        )
    return None


def _yaml_error_problem(exc: YAMLError, text: str, path: str | None) -> Problem:
    """The parser's error in the codebook's words, with where it happened."""
    if isinstance(exc, MarkedYAMLError):
        line, column = _mark_line_col(exc.problem_mark or exc.context_mark)
        detail = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        started, _ = _mark_line_col(exc.context_mark)
        if started is not None and line is not None and started < line:  # e.g. an unclosed quote
            detail += f" (what it was scanning starts on line {started})"
        return Problem(f"YAML syntax error: {detail}.", path=path, line=line, column=column, hint=_YAML_HINT)
    position = getattr(exc, "position", None)
    line, column = _line_col_at(text, position) if isinstance(position, int) else (None, None)
    return Problem(
        f"YAML error: {exc}",
        path=path,
        line=line,
        column=column,
        hint="Remove control characters; save the file as UTF-8 text.",
    )


def _reading_order(problem: Problem) -> tuple[bool, int, int]:
    return problem.line is None, problem.line or 0, problem.column or 0


def _parse_text(text: str, path: str | None) -> _Parsed:
    """The whole pipeline on decoded text; never raises for bad input."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n")  # ruamel would keep the '\r' inside comments
    if not text.strip():
        return _Parsed(
            None,
            None,
            [
                Problem(
                    "the codebook file is empty.",
                    path=path,
                    line=1,
                    column=1,
                    hint="Start from the example in docs/codebook-format.md.",
                )
            ],
        )
    try:
        fatal, problems = _syntax_problems(text, path)
        if fatal:
            return _Parsed(None, None, sorted(fatal + problems, key=_reading_order))
        yaml = _yaml()
        yaml.allow_duplicate_keys = True  # reported above, with every location
        document = yaml.load(text)
        if document is None:
            return _Parsed(
                None,
                None,
                problems
                + [
                    Problem(
                        "the codebook file has no content (only comments).",
                        path=path,
                        line=1,
                        column=1,
                        hint="Start from the example in docs/codebook-format.md.",
                    )
                ],
            )
        validator = _Validator(path)
        validator.top(document)
        problems += validator.problems
        problems.sort(key=_reading_order)
    except RecursionError:
        return _Parsed(
            None,
            None,
            [Problem("the codebook is nested too deeply.", path=path, hint="Use fewer levels of sub-themes.")],
        )
    except MarkedYAMLError as exc:  # belt and braces: the event scan should have caught it
        line, column = _mark_line_col(exc.problem_mark)
        return _Parsed(
            None, None, [Problem(f"YAML error: {exc.problem}.", path=path, line=line, column=column, hint=_YAML_HINT)]
        )
    if problems:
        return _Parsed(document, None, problems)
    return _Parsed(document, validator.codebook(document), [])


def _decode(data: bytes, path: str | None) -> tuple[str | None, list[Problem]]:
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [
            Problem(
                f"the file is not UTF-8 text (byte {data[exc.start]:#04x}).",
                path=path,
                line=line,
                column=None,
                hint="Save the file as UTF-8 in your editor.",
            )
        ]


def _read(path: Path) -> tuple[bytes | None, list[Problem]]:
    """The file's bytes, refusing missing, unreadable and too-large files before parsing."""
    name = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None, [
            Problem(
                "codebook file not found.",
                path=name,
                hint="Create codebook.yaml in the project folder (see docs/codebook-format.md).",
            )
        ]
    except OSError as exc:
        return None, [Problem(f"cannot read the codebook: {exc.strerror}.", path=name)]
    if not path.is_file():
        return None, [Problem("the codebook path is not a file.", path=name)]
    shown = max(size, MAX_CODEBOOK_BYTES + 1) / 1e6
    too_large = [
        Problem(
            f"the codebook is too large ({shown:.1f} MB; the limit is {MAX_CODEBOOK_BYTES / 1e6:.0f} MB).",
            path=name,
            hint="Is this really a codebook file?",
        )
    ]
    if size > MAX_CODEBOOK_BYTES:
        return None, too_large
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CODEBOOK_BYTES + 1)  # it may have grown since stat()
    except OSError as exc:
        return None, [Problem(f"cannot read the codebook: {exc.strerror}.", path=name)]
    return (None, too_large) if len(data) > MAX_CODEBOOK_BYTES else (data, [])


def _parse_file(path: str | os.PathLike[str]) -> tuple[_Parsed, bytes | None]:
    path = Path(path)
    data, problems = _read(path)
    if data is None:
        return _Parsed(None, None, problems), None
    text, problems = _decode(data, str(path))
    if text is None:
        return _Parsed(None, None, problems), data
    return _parse_text(text, str(path)), data


def parse_codebook(text: str, path: str | None = None) -> Codebook:
    """Validate codebook YAML given as text; raise one CodebookError listing every problem."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CODEBOOK_BYTES:
        raise CodebookError(Problem("the codebook is too large.", path=path))
    parsed = _parse_text(text, path)
    if parsed.problems or parsed.codebook is None:
        raise CodebookError(parsed.problems)
    return parsed.codebook


def load_codebook(path: str | os.PathLike[str]) -> Codebook:
    """Read and validate ``codebook.yaml``; raise one CodebookError listing every problem."""
    parsed, _ = _parse_file(path)
    if parsed.problems or parsed.codebook is None:
        raise CodebookError(parsed.problems)
    return parsed.codebook


def validate_codebook(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem in the codebook file (empty list: the file is fine).  Never raises."""
    return _parse_file(path)[0].problems
