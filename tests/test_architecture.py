"""The layers hold: all database access goes through qualcode.store, and Project is the front door.

These tests read the source (tokens, not raw text, so comments and docstrings do not count)."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "qualcode"

# Where SQLAlchemy (and the sqlite3 module) may be used: the store and the schema it migrates.
DATABASE_LAYER = ("store/", "schema.py")
# Modules outside it that still use the database directly, with the reason.  Empty: keep it so.
DATABASE_ALLOWED: dict[str, str] = {}

# Callers that must use Project only (project/ itself may use its store).
FRONT_DOOR_CALLERS = (
    "app/",
    "cli/",
    "backup.py",
    "exchange.py",
    "suggestions.py",
    "export/xlsx/",
)


def _modules(prefixes: tuple[str, ...] | None = None) -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if prefixes is None or any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in prefixes):
            found.append((rel, path))
    return found


def _code_tokens(source: str) -> list[tokenize.TokenInfo]:
    """The tokens that are code (no comments, no strings, no layout)."""
    skip = {tokenize.COMMENT, tokenize.STRING, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
    skip |= {
        getattr(tokenize, name)
        for name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
        if hasattr(tokenize, name)
    }
    return [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in skip]


def database_uses(source: str) -> list[str]:
    """Lines that import SQLAlchemy or sqlite3, or run SQL on a connection.

    >>> database_uses("import sqlalchemy as sa\\nx = 1\\n")
    ['1: import sqlalchemy']
    >>> database_uses("from sqlalchemy.engine import Connection\\n")
    ['1: from sqlalchemy']
    >>> database_uses("conn.execute(q)\\nconn.exec_driver_sql('x')\\n")
    ['1: .execute(', '2: .exec_driver_sql(']
    >>> database_uses("# conn.execute(q) in a comment\\ns = 'import sqlalchemy'\\n")
    []
    """
    tokens = _code_tokens(source)
    hits = []
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1].string if i + 1 < len(tokens) else ""
        prev = tokens[i - 1].string if i else ""
        if tok.string in ("import", "from") and nxt in ("sqlalchemy", "sqlite3"):
            hits.append(f"{tok.start[0]}: {tok.string} {nxt}")
        elif prev == "." and tok.string in ("execute", "exec_driver_sql") and nxt == "(":
            hits.append(f"{tok.start[0]}: .{tok.string}(")
    return hits


def store_uses(source: str) -> list[str]:
    """Lines that reach through an object to its ``store`` attribute, or set a Project's private state.

    >>> store_uses("x = project.store.counts()\\n")
    ['1: .store']
    >>> store_uses("from ..store import Actor\\nfrom qualcode.store import Store\\n")
    []
    >>> store_uses("state.open_project().project.store\\n")
    ['1: .store']
    >>> store_uses("project._codebook = None\\n")
    ['1: ._codebook']
    >>> store_uses("# project.store in a comment\\n")
    []
    """
    tokens = _code_tokens(source)
    hits = []
    for i, tok in enumerate(tokens):
        if i < 2 or tokens[i - 1].string != ".":
            continue
        before = tokens[i - 2]
        in_import = any(
            t.string in ("import", "from") and t.start[0] == tok.start[0] for t in tokens[max(0, i - 6) : i]
        )
        if tok.string == "store" and (before.type == tokenize.NAME or before.string in (")", "]")) and not in_import:
            hits.append(f"{tok.start[0]}: .store")
        elif tok.string.startswith("_codebook") and before.type == tokenize.NAME and before.string != "self":
            hits.append(f"{tok.start[0]}: .{tok.string}")
    return hits


def test_all_database_access_goes_through_the_store() -> None:
    offenders = {}
    for rel, path in _modules():
        if any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in DATABASE_LAYER):
            continue
        hits = database_uses(path.read_text(encoding="utf-8"))
        if hits and rel not in DATABASE_ALLOWED:
            offenders[rel] = hits
    assert not offenders, f"SQL outside qualcode/store/ and qualcode/schema.py: {offenders}"


@pytest.mark.parametrize("rel", [rel for rel, _ in _modules(FRONT_DOOR_CALLERS)])
def test_callers_use_project_not_its_store(rel: str) -> None:
    hits = store_uses((PACKAGE / rel).read_text(encoding="utf-8"))
    assert not hits, f"{rel} reaches past Project: {hits}"


def test_the_checks_see_the_callers() -> None:
    """The parametrised test above really covers the app pages and the CLI."""
    names = [rel for rel, _ in _modules(FRONT_DOOR_CALLERS)]
    assert "cli/__init__.py" in names and "app/state.py" in names and "app/pages/code.py" in names
