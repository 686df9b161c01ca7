"""The codebook file format's rules: keys, limits, id and colour patterns, id suggestions, YAML settings."""

from __future__ import annotations

import re
import unicodedata

from ruamel.yaml import YAML

MAX_CODEBOOK_BYTES = 5 * 1024 * 1024
MAX_NESTING = 100  # open lists/mappings; each sub-theme level adds two
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
LOCK_TIMEOUT_SECONDS = 10.0

TOP_KEYS = ("title", "themes", "codes", "cross_cutting", "appendix")
THEME_KEYS = ("id", "label", "description", "color", "aliases", "themes", "codes")
CODE_KEYS = ("id", "label", "description", "include", "exclude", "example", "aliases", "patterns", "applications")
CROSS_KEYS = ("id", "label", "description", "codes")
_KEYS_OF = {"top level": TOP_KEYS, "theme": THEME_KEYS, "code": CODE_KEYS, "cross-cutting theme": CROSS_KEYS}

_YAML_HINT = (
    "Check the indentation, and put values that contain ': ' or start with "
    "'#', '*', '&', '!', '@', '%' or '`' in quotes."
)

_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "i",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
            "a",
            "g",
            "q",
            "n",
            "o",
            "u",
            "u",
            "h",
            "i",
        ],
    )
)


def suggest_id(text: str) -> str:
    """A valid id (``[a-z][a-z0-9_]*``) made from a label or a malformed id.

    >>> suggest_id("No significant effect of Covid-19")
    'no_significant_effect_of_covid_19'
    >>> suggest_id("2022 events")
    'c_2022_events'
    >>> suggest_id("Миграция")
    'migratsiya'
    """
    lowered = "".join(_CYRILLIC.get(ch, ch) for ch in str(text).lower())
    ascii_text = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")
    if not slug:
        return "code"
    return slug if slug[0].isalpha() else f"c_{slug}"


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap people's long descriptions
    yaml.brace_single_entry_mapping_in_flow_sequence = True  # [{LOWER: "no"}], as people write it
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml
