"""qualcode's fixed words, each spelled once: roles, annotator names, segment kinds, origins, settings.

The CLI's ``click.Choice`` lists, the app's select boxes, the store's checks and the
database's CHECK constraints (:func:`sql_in`) are all derived from these tuples, so a
new value is added here and nowhere else (plus a migration when a CHECK changes).
"""

from __future__ import annotations

ROLES = ("annotator", "supervisor", "admin")  # least to most rights
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}

CONSENSUS = "consensus"  # the annotator name adjudicated codings are stored under
LOCAL_USER = "local"  # who acts in single-machine mode (the person owns the database file)

SEGMENT_KINDS = ("sentence", "paragraph", "turn")
ORIGINS = ("manual", "imported", "suggestion-accepted", "adjudicated")
MEMO_KINDS = ("document", "code", "project")  # memos stored in the memos table (migration 8)
MEMO_BROWSER_KINDS = ("coding",) + MEMO_KINDS  # what the memo browser lists (coding memos live on codings)

AGREEMENT_UNITS = SEGMENT_KINDS + ("document", "character", "match", "span")  # what agreement can be computed on
COOCCURRENCE_UNITS = ("overlap",) + SEGMENT_KINDS  # what co-occurrence can be counted in
SUGGESTION_UNITS = ("sentence", "paragraph")  # what the assistants suggest codes for

BOOLEAN = ("true", "false")  # settings are stored as text
SETTINGS: dict[str, tuple[str, ...]] = {  # project settings and their allowed values
    "team_mode": BOOLEAN,
    "blind_mode": BOOLEAN,
    "blind_revealed": BOOLEAN,
    # the Agreement page's default unit: any unit the reliability layer computes agreement on
    "agreement_unit": AGREEMENT_UNITS,
}


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint's text: ``column`` holds one of ``values``.

    >>> sql_in("role", ROLES)
    "role IN ('annotator', 'supervisor', 'admin')"
    """
    if any("'" in v for v in values):
        raise ValueError(f"a quote in a vocabulary value: {values!r}")
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


__all__ = [
    "AGREEMENT_UNITS",
    "BOOLEAN",
    "CONSENSUS",
    "COOCCURRENCE_UNITS",
    "LOCAL_USER",
    "MEMO_BROWSER_KINDS",
    "MEMO_KINDS",
    "ORIGINS",
    "ROLES",
    "ROLE_RANK",
    "SEGMENT_KINDS",
    "SETTINGS",
    "SUGGESTION_UNITS",
    "sql_in",
]
