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
    return {str(k): _plain(v) for k, v in data.items()}


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
    if wrong:
        raise InputFileError(wrong)
    match = _STEM_ID.match(stem)
    prefix = match["prefix"].replace("_", " ").strip() if match and match["prefix"].strip() else ""
    stem_id = match["id"] if match and prefix else stem
    if metadata.get(PARTICIPANT_KEY) not in (None, ""):
        pid = str(metadata[PARTICIPANT_KEY]).strip()
    else:
        pid = stem_id
    if metadata.get(LABEL_KEY) not in (None, ""):
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
    "participant_from",
    "check_language",
    "resolve_language",
    "participant_id_from_stem",
]
