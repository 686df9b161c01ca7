"""The one slug: an id (``[a-z][a-z0-9_]*``) made from a label, the same at every entry point.

New codes get their id from it in the app (Code and Codebook pages), in the import of Word
comments (``--create-codes``), in REFI-QDA imports, and in the codebook's "use this id"
hints.  Cyrillic (Russian and Kazakh letters) is transliterated, accents are dropped,
anything else that is not a letter or digit becomes ``_``.
"""

from __future__ import annotations

import re
import unicodedata

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


def slugify(text: str) -> str:
    """A valid id (``[a-z][a-z0-9_]*``) made from a label or a malformed id.

    >>> slugify("No significant effect of Covid-19")
    'no_significant_effect_of_covid_19'
    >>> slugify("2022 events")
    'c_2022_events'
    >>> slugify("Миграция")
    'migratsiya'
    """
    lowered = "".join(_CYRILLIC.get(ch, ch) for ch in str(text).lower())
    ascii_text = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")
    if not slug:
        return "code"
    return slug if slug[0].isalpha() else f"c_{slug}"


__all__ = ["slugify"]
