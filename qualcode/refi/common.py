"""Pieces shared by the REFI-QDA reader and writer: namespaces, GUIDs, ids, definitions."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
import uuid
from collections.abc import Iterable
from typing import Any

from ..slug import slugify as slugify  # ids from display names (refi modules import it from here)

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
# Namespaces real tools write (older drafts, typos); anything else is read with a warning.
KNOWN_NAMESPACES = {
    PROJECT_NS,
    CODEBOOK_NS,
    "urn:QDA-XML:project:0:10",
    "urn:QDA-XML:project:1:0",
    "urn:QDA-XML:codebook:1:0",
    "urn:QDA-XML:codebook:0:10",
    "urn:QDA-XML:codebook:0:4",  # ATLAS.ti's .qdc (QualCoder's importer: "Have found 1.0, 0:4")
    "urn:QDA-XML:project:0:4",
    "",
}

# Fixed namespace for qualcode's name-based GUIDs (uuid5): the same project exported twice
# gets the same GUIDs, so other tools recognise re-imported codes, sources and codings.
QUALCODE_GUID_NAMESPACE = uuid.UUID("6f1c1b52-3c1e-5b8e-9a57-0c9d7e3a4f21")

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
# GUIDType of the REFI-QDA schemas: bare or in braces, either case.
GUID_PATTERN = re.compile(
    r"^(\{[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\}|[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$"
)
RGB_PATTERN = re.compile(r"^#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})$")
XSD_DATETIME = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


def stable_guid(kind: str, *parts: object) -> str:
    """A GUID derived from a typed key, e.g. ``stable_guid("code", "trust")``.

    >>> stable_guid("code", "trust") == stable_guid("code", "trust")
    True
    >>> stable_guid("code", "trust") != stable_guid("theme", "trust")
    True
    """
    key = kind + ":" + "\x1f".join(str(p) for p in parts)
    return str(uuid.uuid5(QUALCODE_GUID_NAMESPACE, key))


def guid_key(value: str | None) -> str:
    """Normalise a GUID for lookups: braces removed, lower case (tools differ on both)."""
    return (value or "").strip().strip("{}").lower()


# --------------------------------------------------------------------------- ids


def unique_id(preferred: str, used: set[str]) -> str:
    """``preferred`` or ``preferred_2``, ``_3`` … whichever is not in ``used`` (then reserve it)."""
    candidate, n = preferred, 1
    while candidate in used:
        n += 1
        candidate = f"{preferred}_{n}"
    used.add(candidate)
    return candidate


def unique_name(preferred: str, used: set[str]) -> str:
    """Like :func:`unique_id` for display names: ``name``, ``name (2)`` …"""
    candidate, n = preferred, 1
    while candidate in used:
        n += 1
        candidate = f"{preferred} ({n})"
    used.add(candidate)
    return candidate


# --------------------------------------------------------------------------- definitions
# REFI has only a free-text Description per code.  qualcode writes its extra fields
# (id, include/exclude criteria, examples, aliases, patterns) as a readable block at the
# end of the Description, so people using NVivo/ATLAS.ti see the full definition and a
# project sent there and back keeps its ids.
BLOCK_MARKER = "[qualcode]"
_MULTI_KEYS = {"example": "examples", "alias": "aliases", "pattern": "patterns"}


def _encode_value(value: Any) -> str:
    if isinstance(value, str) and "\n" not in value and not value.startswith('"') and value == value.strip():
        return value
    return json.dumps(value, ensure_ascii=False)


def _decode_value(text: str) -> Any:
    if text.startswith(('"', "{", "[")):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def compose_description(description: str, fields: Iterable[tuple[str, Any]]) -> str:
    """Description text followed by a ``[qualcode]`` block of ``key: value`` lines.

    >>> print(compose_description("Trust.", [("id", "trust"), ("example", "I trust it")]))
    Trust.
    <BLANKLINE>
    [qualcode]
    id: trust
    example: I trust it
    """
    lines = [f"{key}: {_encode_value(value)}" for key, value in fields if value not in (None, "", ())]
    if not lines:
        return description
    head = description.rstrip()
    block = BLOCK_MARKER + "\n" + "\n".join(lines)
    return f"{head}\n\n{block}" if head else block


COMMENT_MARKER = "qualcode "


def fields_comment(fields: Iterable[tuple[str, Any]]) -> str:
    """qualcode's fields as the text of an XML comment: ``qualcode {json}`` (repeated keys
    as lists under their plural names, as :func:`split_description` returns them).

    >>> fields_comment([("id", "trust"), ("example", "a -- b")])
    'qualcode {"id": "trust", "examples": ["a -\\\\u002d b"]}'
    """
    found: dict[str, Any] = {}
    for key, value in fields:
        if value in (None, "", ()):
            continue
        if key in _MULTI_KEYS:
            found.setdefault(_MULTI_KEYS[key], []).append(value)
        else:
            found[key] = value
    if not found:
        return ""
    # "--" may not appear in an XML comment; JSON reads the escaped form back as "--".
    return COMMENT_MARKER + json.dumps(found, ensure_ascii=False).replace("--", "-\\u002d")


def comment_fields(element: Any) -> dict[str, Any]:
    """The fields of a ``qualcode {json}`` comment among ``element``'s children ({} if none)."""
    for child in element:
        text = child.text or "" if not isinstance(child.tag, str) else ""
        if text.startswith(COMMENT_MARKER):
            try:
                found = json.loads(text[len(COMMENT_MARKER) :])
            except ValueError:
                return {}
            return found if isinstance(found, dict) else {}
    return {}


def split_description(text: str | None) -> tuple[str, dict[str, Any]]:
    """Inverse of :func:`compose_description`: (plain description, fields).

    Repeated keys (``example``, ``alias``, ``pattern``) come back as lists under their
    plural names; unknown lines are kept in the description.

    >>> split_description("Trust.\\n\\n[qualcode]\\nid: trust\\nexample: a\\nexample: b")
    ('Trust.', {'id': 'trust', 'examples': ['a', 'b']})
    """
    text = (text or "").replace("\r\n", "\n")
    if text.startswith(BLOCK_MARKER + "\n") or text == BLOCK_MARKER:
        head, block = "", text[len(BLOCK_MARKER) :]
    elif "\n" + BLOCK_MARKER + "\n" in text:
        head, block = text.rsplit("\n" + BLOCK_MARKER + "\n", 1)
    else:
        return text.strip(), {}
    fields: dict[str, Any] = {}
    leftovers: list[str] = []
    for line in block.split("\n"):
        key, sep, value = line.partition(": ")
        key = key.strip()
        if not sep or not re.fullmatch(r"[a-z_]+", key):
            if line.strip():
                leftovers.append(line)
            continue
        decoded = _decode_value(value)
        if key in _MULTI_KEYS:
            fields.setdefault(_MULTI_KEYS[key], []).append(decoded)
        else:
            fields[key] = decoded
    description = head.strip()
    if leftovers:
        description = (description + "\n" + "\n".join(leftovers)).strip()
    return description, fields


# --------------------------------------------------------------------------- dates
def to_xsd_datetime(value: Any) -> str | None:
    """An ``xsd:dateTime`` string for an ISO 8601 value, or None if it is not one."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    text = str(value).strip()
    if not text or text.lower() in {"nan", "nat", "none"}:
        return None
    if XSD_DATETIME.match(text):
        return text
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.isoformat()


def from_xsd_datetime(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        return None


KNOWN_TEXT_EXTENSIONS = (
    ".txt",
    ".docx",
    ".doc",
    ".rtf",
    ".odt",
    ".md",
    ".markdown",
    ".vtt",
    ".srt",
    ".htm",
    ".html",
    ".pdf",
)


def document_name_from_source(name: str) -> str:
    """A qualcode document name from a REFI source name: drop a known file extension and
    compose accents (NFC; macOS tools write decomposed names).

    >>> document_name_from_source("Simon.docx"), document_name_from_source("expert_A")
    ('Simon', 'expert_A')
    """
    stripped = unicodedata.normalize("NFC", name.strip())
    lower = stripped.lower()
    for ext in KNOWN_TEXT_EXTENSIONS:
        if lower.endswith(ext) and len(stripped) > len(ext):
            return stripped[: -len(ext)].strip()
    return stripped


def were(n: int) -> str:
    """``"was"`` for one, ``"were"`` otherwise."""
    return "was" if n == 1 else "were"


def plural(n: int, word: str, words: str | None = None) -> str:
    """``"1 coding"``, ``"3 codings"``."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


def quoted_list(names: Iterable[str], limit: int = 5) -> str:
    items = [f"'{n}'" for n in names]
    shown = ", ".join(items[:limit])
    if len(items) > limit:
        shown += f" and {len(items) - limit} more"
    return shown
