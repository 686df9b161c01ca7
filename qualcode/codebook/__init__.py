"""Read, validate and edit ``codebook.yaml`` (format: docs/codebook-format.md).

Reading is strict and complete: every problem in the file is collected, located
(line, column, field path such as ``themes[0].codes[5].id``) and raised once as a
:class:`~qualcode.errors.CodebookError`, so a user fixes the file in one pass.
YAML tags (``!!python/object``, ``!custom``) and aliases are refused before anything
is constructed: only plain mappings, lists and scalars are allowed.

Editing goes through :class:`CodebookFile`, which keeps ruamel.yaml's round-trip
document so comments and ordering survive, and writes atomically under a lock with a
conflict check (someone else saved since we read → :class:`~qualcode.errors.ConflictError`).

The package, by responsibility:

* :mod:`.rules` — the format's keys, limits and patterns; YAML settings (:func:`suggest_id` is :func:`qualcode.slug.slugify`)
* :mod:`.validate` — the located validation of a parsed document (``_Validator``)
* :mod:`.parse` — reading a file or text safely: :func:`parse_codebook`, :func:`load_codebook`,
  :func:`validate_codebook`
* :mod:`.dump` — a model as a fresh file: :func:`codebook_to_dict`, :func:`dump_codebook`
* :mod:`.yamledit` — round-trip editing helpers (keys in order, comments kept with their items)
* :mod:`.lock` — the ``<codebook>.lock`` file lock
* :mod:`.edit` — :class:`CodebookFile` and :func:`edit_codebook`

Every name stays importable from ``qualcode.codebook``, including the private helpers
tests use (``_FileLock``, ``_parse_text``, ``_append_item``).  To monkeypatch a helper,
patch the module that calls it (``qualcode.codebook.edit`` for the editing helpers,
``qualcode.codebook.parse`` for reading), not this package.
"""

from __future__ import annotations

from ..slug import slugify as suggest_id
from .dump import codebook_to_dict, dump_codebook
from .edit import CodebookFile, edit_codebook
from .lock import _FileLock as _FileLock
from .parse import _parse_text as _parse_text
from .parse import load_codebook, parse_codebook, validate_codebook
from .rules import (
    CODE_KEYS,
    COLOR_PATTERN,
    CROSS_KEYS,
    ID_PATTERN,
    LOCK_TIMEOUT_SECONDS,
    MAX_CODEBOOK_BYTES,
    MAX_NESTING,
    THEME_KEYS,
    TOP_KEYS,
)
from .yamledit import _append_item as _append_item

__all__ = [
    "MAX_CODEBOOK_BYTES",
    "MAX_NESTING",
    "LOCK_TIMEOUT_SECONDS",
    "COLOR_PATTERN",
    "ID_PATTERN",
    "TOP_KEYS",
    "THEME_KEYS",
    "CODE_KEYS",
    "CROSS_KEYS",
    "suggest_id",
    "parse_codebook",
    "load_codebook",
    "validate_codebook",
    "codebook_to_dict",
    "dump_codebook",
    "CodebookFile",
    "edit_codebook",
]
