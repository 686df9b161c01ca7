"""The codebook file format's rules: keys, limits, id and colour patterns, YAML settings (ids: :mod:`qualcode.slug`)."""

from __future__ import annotations

import re

from ruamel.yaml import YAML

MAX_CODEBOOK_BYTES = 5 * 1024 * 1024
MAX_NESTING = 100  # open lists/mappings; each sub-theme level adds two
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
LOCK_TIMEOUT_SECONDS = 10.0

TOP_KEYS = ("title", "themes", "codes", "cross_cutting", "appendix")
THEME_KEYS = ("id", "label", "description", "color", "aliases", "scale", "order", "themes", "codes")
# A theme's `scale:` (its codes are the values of one variable); `order:` lists its codes low → high.
SCALE_LEVELS = ("nominal", "ordinal", "interval", "ratio")
CODE_KEYS = ("id", "label", "description", "include", "exclude", "example", "aliases", "patterns", "applications")
CROSS_KEYS = ("id", "label", "description", "codes")
_KEYS_OF = {"top level": TOP_KEYS, "theme": THEME_KEYS, "code": CODE_KEYS, "cross-cutting theme": CROSS_KEYS}

_YAML_HINT = (
    "Check the indentation, and put values that contain ': ' or start with "
    "'#', '*', '&', '!', '@', '%' or '`' in quotes."
)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap people's long descriptions
    yaml.brace_single_entry_mapping_in_flow_sequence = True  # [{LOWER: "no"}], as people write it
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml
