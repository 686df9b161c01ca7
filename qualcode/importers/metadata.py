"""Front matter, participant and language handling shared by the importers.

Front matter keys (all optional):

``participant``  participant id, e.g. ``A`` (default: from the file name, see below)
``label``        display label, e.g. ``Expert (A)``
``language``     language of the text for segmentation: ``en``, ``ru``, ``xx`` (multilingual)
                 or another spaCy language code; default: the caller's ``language``, else
                 guessed (``ru`` if most letters are Cyrillic, else ``en``)
``speakers``     optional list of the exact speaker names that start turns (``Name:`` lines);
                 without it the rule in :mod:`qualcode.segment` finds them
``role``, ``organisation``, ``organisation_type``, ``date``, ``place``, ``mode``,
``interview_language`` and any other key: participant attributes.

File-name convention when there is no ``participant`` key: the part after the last
``_``, ``-`` or space of the file stem is the participant id and the part before it,
capitalised, starts the label: ``expert_A.docx`` → id ``A``, label ``Expert (A)``.  A stem
without a separator is both id and label.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from ..errors import InputFileError, Problem, did_you_mean, valid_list
from ..model import Participant
from ..segment import SUPPORTED_LANGUAGES, guess_language, language_available

PARTICIPANT_KEY = "participant"
LABEL_KEY = "label"
LANGUAGE_KEY = "language"
SPEAKERS_KEY = "speakers"
KNOWN_KEYS = (
    "participant",
    "label",
    "role",
    "organisation",
    "organisation_type",
    "date",
    "place",
    "mode",
    "interview_language",
    "language",
)
MAX_NESTING = 20  # lists/mappings inside each other; metadata needs two or three
# What a YAML constructor raises for a value it cannot convert ("date: 2024-02-30",
# "!!int abc", "!!bool maybe", a 5,000-digit number): a named error, not a traceback.
_CONSTRUCTION_ERRORS = (ValueError, TypeError, KeyError, OverflowError, ArithmeticError)
_STEM_ID = re.compile(r"^(?P<prefix>.*?)[_\- ]+(?P<id>[^_\- ]+)$")


_SIMPLE_KEY = r"[A-Za-z_][A-Za-z0-9_\-]*"
_SIMPLE_LINE = re.compile(rf"^(?P<key>{_SIMPLE_KEY}): +(?P<value>[^ \t](?:[^\t]*[^ \t])?) *$")
# Values YAML reads as plain strings: start with a letter, no YAML indicators or comments.
_PLAIN_STRING = re.compile(r"^[^\W\d_][^:#{}\[\]&*!|>%@`\t\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DECIMAL_INT = re.compile(r"^-?(?:0|[1-9]\d{0,17})$")
_NOT_PLAIN_WORDS = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n"})


def _simple_mapping(source: str) -> dict[str, Any] | None:
    """Front matter that is only ``key: value`` lines with plain values, without a YAML parser.

    Returns None (use the real parser) for anything else.  Importing hundreds of files
    would otherwise spend more time in the pure-Python YAML parser than in segmentation;
    tests check the result equals ruamel's for every case this accepts.
    """
    result: dict[str, Any] = {}
    for line in source.split("\n"):
        if not line.strip(" "):
            continue
        match = _SIMPLE_LINE.match(line)
        if match is None or match["key"] in result or match["key"].casefold() in _NOT_PLAIN_WORDS:
            return None
        value = match["value"]
        if _PLAIN_STRING.match(value) and value.casefold() not in _NOT_PLAIN_WORDS:
            result[match["key"]] = value
        elif _ISO_DATE.match(value):
            try:
                result[match["key"]] = dt.date.fromisoformat(value).isoformat()
            except ValueError:
                return None
        elif _DECIMAL_INT.match(value):
            result[match["key"]] = int(value)
        else:
            return None
    return result


def load_yaml_mapping(
    source: str, path: str | None, *, first_line: int = 1, what: str = "front matter"
) -> dict[str, Any]:
    """Parse YAML safely (no tags that build objects) into a dict with string keys.

    ``first_line`` is the file line of ``source``'s first line, so errors point into the file.
    """
    simple = _simple_mapping(source)
    if simple is not None:
        return simple
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="safe", pure=True)
    try:
        _refuse_aliases_and_deep_nesting(yaml, source, path, first_line, what)
        data = yaml.load(source)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark is not None else first_line
        column = mark.column + 1 if mark is not None else None
        problem = str(exc.problem or exc.context or "invalid YAML").strip()
        raise InputFileError(
            Problem(
                f"the {what} is not valid YAML: {problem}.",
                path=path,
                line=line,
                column=column,
                hint="Write it as 'key: value' lines between two '---' lines; quote values that "
                "contain ':' or start with '!', '&', '*', '[' or '{'.",
            )
        ) from exc
    except YAMLError as exc:
        raise InputFileError(Problem(f"the {what} is not valid YAML: {exc}.", path=path, line=first_line)) from exc
    except _CONSTRUCTION_ERRORS as exc:
        raise InputFileError(_construction_problem(yaml, source, path, first_line, what, exc)) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputFileError(
            Problem(
                f"the {what} must be 'key: value' lines, not a {type(data).__name__}.",
                path=path,
                line=first_line,
                hint="Example: 'participant: A' on its own line.",
            )
        )
    problems = [p for k, v in data.items() for p in _value_problems(k, v, source, path, first_line, what)]
    if problems:
        raise InputFileError(problems)
    return {str(k): _plain(v) for k, v in data.items()}


def key_line(source: str, key: object, first_line: int = 1) -> int:
    """The line of ``source`` (numbered from ``first_line``) where the top-level ``key:`` is written."""
    match = re.search(rf"^[ \t]*['\"]?{re.escape(str(key))}['\"]?[ \t]*:", source, re.MULTILINE)
    return first_line + source.count("\n", 0, match.start()) if match else first_line


def _construction_problem(
    yaml: Any, source: str, path: str | None, first_line: int, what: str, exc: BaseException
) -> Problem:
    """Name the key whose value could not be converted, with its line and a fix."""
    from ruamel.yaml.nodes import MappingNode, ScalarNode

    try:
        node = yaml.compose(source)
        pairs = node.value if isinstance(node, MappingNode) else []
        for key_node, value_node in pairs:
            try:
                yaml.constructor.construct_object(value_node, deep=True)
            except _CONSTRUCTION_ERRORS as inner:
                key = key_node.value if isinstance(key_node, ScalarNode) else "?"
                line = first_line + value_node.start_mark.line
                raw = value_node.value if isinstance(value_node, ScalarNode) else "…"
                if value_node.tag.endswith(":timestamp"):
                    return Problem(
                        f"'{key}: {raw}' is not a real date ({inner}).",
                        path=path,
                        line=line,
                        field=str(key),
                        hint="Write the date as YYYY-MM-DD (e.g. 2024-02-29), or put it in quotes to keep "
                        f"it as text: {key}: '{raw}'.",
                    )
                return Problem(
                    f"the value of '{key}' cannot be read as {value_node.tag.rsplit(':', 1)[-1]}: "
                    f"{str(raw)[:60]} ({str(inner)[:120]}).",
                    path=path,
                    line=line,
                    field=str(key),
                    hint=f"Put the value in quotes to keep it as text: {key}: '{str(raw)[:60]}'.",
                )
    except Exception:  # noqa: BLE001 - only locating the problem failed; report it without a line
        pass
    return Problem(f"a value in the {what} cannot be converted: {exc}.", path=path, line=first_line)


def _value_problems(key: Any, value: Any, source: str, path: str | None, first_line: int, what: str) -> list[Problem]:
    """Keys that are not words, and values that cannot be stored as JSON (binary data, sets,
    infinite numbers): each a located problem."""
    line = key_line(source, key, first_line)
    if not isinstance(key, str):
        shown = "a list" if isinstance(key, tuple) else repr(key)
        return [
            Problem(
                f"the {what} key {shown} is not a name.",
                path=path,
                line=line,
                hint="Keys are words such as 'participant' or 'role'; put other keys in quotes ('2024': x).",
            )
        ]
    bad = _unstorable(value)
    if bad is None:
        return []
    return [Problem(f"'{key}' {bad}", path=path, line=line, field=key, hint=_UNSTORABLE_HINT)]


_UNSTORABLE_HINT = "Front matter holds text, numbers, dates, lists and 'key: value' mappings; put the value in quotes."


def _unstorable(value: Any) -> str | None:
    if isinstance(value, (bytes, bytearray)):
        return "holds binary data (!!binary), which qualcode does not store."
    if isinstance(value, (set, frozenset)):
        return "is a set (!!set); write a list instead: [a, b]."
    if isinstance(value, float) and not math.isfinite(value):
        return f"is not a finite number ({value})."
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, (str, int)):
                return f"has a key {k!r} that is not a name."
            found = _unstorable(v)
            if found:
                return found
    if isinstance(value, list):
        for v in value:
            found = _unstorable(v)
            if found:
                return found
    return None


def unknown_key_warnings(
    metadata: dict[str, Any], path: str | None, source: str = "", first_line: int = 1
) -> list[Problem]:
    """A warning for every key that looks like a misspelt known key (``particpant``, ``Label``):
    other keys are participant attributes by design, so only near misses are reported."""
    known = (*KNOWN_KEYS, SPEAKERS_KEY)
    warnings = []
    for key in metadata:
        if key in known:
            continue
        hint = did_you_mean(key, known)
        if hint:
            warnings.append(
                Problem(
                    f"front-matter key '{key}' is not one qualcode knows; it is kept as a participant attribute.",
                    path=path,
                    line=key_line(source, key, first_line) if source else None,
                    field=key,
                    hint=hint,
                )
            )
    return warnings


def no_front_matter_warning(participant: Participant, path: str | None) -> Problem:
    return Problem(
        f"has no front matter; participant '{participant.id}' (label '{participant.label}') comes from the file name.",
        path=path,
        line=1,
        hint="Start the file with '---', 'participant: ID', 'label: ...', '---' lines to set them.",
    )


def _refuse_aliases_and_deep_nesting(yaml: Any, source: str, path: str | None, first_line: int, what: str) -> None:
    """Scan the event stream (nothing is constructed): aliases can expand a few lines into
    billions of values ("billion laughs"), and deep nesting makes the parser quadratic."""
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent

    depth = 0
    for event in yaml.parse(source):
        line = first_line + event.start_mark.line if event.start_mark is not None else first_line
        if isinstance(event, AliasEvent):
            raise InputFileError(
                Problem(
                    f"YAML aliases ('*{event.anchor}') are not allowed in the {what}.",
                    path=path,
                    line=line,
                    hint="Write the value out in full.",
                )
            )
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                raise InputFileError(
                    Problem(
                        f"the {what} is nested more than {MAX_NESTING} levels deep.",
                        path=path,
                        line=line,
                        hint="Use plain 'key: value' lines; check for unbalanced '[' or '{'.",
                    )
                )
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


def _plain(value: Any) -> Any:
    """Dates → ISO strings so metadata is JSON-friendly; recurse into lists and dicts."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def participant_from(metadata: dict[str, Any], stem: str, *, path: str | None = None) -> Participant:
    """The document's participant from front matter, falling back to the file name rule.

    >>> participant_from({}, "expert_A")
    Participant(id='A', label='Expert (A)', attributes={})
    >>> participant_from({"participant": 3, "role": "Nurse"}, "interview")
    Participant(id='3', label='Participant (3)', attributes={'role': 'Nurse'})
    """
    wrong = [
        Problem(
            f"'{key}' must be a single value such as '{key}: A', not "
            f"{'a list' if isinstance(metadata[key], list) else 'a mapping'}.",
            path=path,
            field=key,
        )
        for key in (PARTICIPANT_KEY, LABEL_KEY)
        if isinstance(metadata.get(key), (list, dict))
    ]
    for key in (PARTICIPANT_KEY, LABEL_KEY):
        value = metadata.get(key)
        if isinstance(value, bool) or (key == PARTICIPANT_KEY and isinstance(value, float)):
            kind = "yes/no value" if isinstance(value, bool) else "decimal number"
            wrong.append(
                Problem(
                    f"'{key}: {str(value).lower() if isinstance(value, bool) else value}' is read as a {kind}, "
                    "not as text.",
                    path=path,
                    field=key,
                    hint=f"Put the value in quotes exactly as it should be shown, e.g. {key}: '{value}'.",
                )
            )
    if wrong:
        raise InputFileError(wrong)
    match = _STEM_ID.match(stem)
    prefix = match["prefix"].replace("_", " ").strip() if match and match["prefix"].strip() else ""
    stem_id = match["id"] if match and prefix else stem
    if str(metadata.get(PARTICIPANT_KEY) or "").strip():
        pid = str(metadata[PARTICIPANT_KEY]).strip()
    else:
        pid = stem_id
    if str(metadata.get(LABEL_KEY) or "").strip():
        label = str(metadata[LABEL_KEY]).strip()
    elif pid == stem:
        label = stem
    elif pid == stem_id:  # "expert_A" -> "Expert (A)"
        label = f"{prefix[:1].upper()}{prefix[1:]} ({pid})"
    else:
        label = f"Participant ({pid})"
    attributes = {
        k: v for k, v in metadata.items() if k not in (PARTICIPANT_KEY, LABEL_KEY, LANGUAGE_KEY, SPEAKERS_KEY)
    }
    return Participant(id=pid, label=label, attributes=attributes)


def check_language(code: Any, path: str | None, *, line: int | None = None) -> str:
    """A valid spaCy language code (``en``, ``ru``, ``xx``, …) or InputFileError."""
    value = str(code).strip().lower()
    if value in SUPPORTED_LANGUAGES or (value and language_available(value)):
        return value
    raise InputFileError(
        Problem(
            f"unknown language '{code}'; use {valid_list(SUPPORTED_LANGUAGES)} (xx = multilingual) "
            "or another language code spaCy supports without extra packages.",
            path=path,
            line=line,
            field=LANGUAGE_KEY,
            hint=did_you_mean(value, SUPPORTED_LANGUAGES),
        )
    )


def resolve_language(
    metadata: dict[str, Any], default: str | None, text: str, path: str | None, *, line: int | None = None
) -> str:
    """Front matter ``language`` > the caller's ``default`` > guessed from the text."""
    if metadata.get(LANGUAGE_KEY) not in (None, ""):
        return check_language(metadata[LANGUAGE_KEY], path, line=line)
    if default:
        return check_language(default, path)
    return guess_language(text)


def participant_id_from_stem(stem: str) -> str:
    """``expert_A`` → ``A``; a stem without ``_``/``-``/space separator is returned as is."""
    match = _STEM_ID.match(stem)
    return match["id"] if match and match["prefix"].strip() else stem


__all__ = [
    "KNOWN_KEYS",
    "load_yaml_mapping",
    "key_line",
    "unknown_key_warnings",
    "no_front_matter_warning",
    "participant_from",
    "check_language",
    "resolve_language",
    "participant_id_from_stem",
]
