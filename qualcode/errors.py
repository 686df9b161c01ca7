"""The few named exceptions qualcode raises for user errors.

Every user-facing error is a :class:`QualcodeError` (or a subclass).  It carries one
or more :class:`Problem` records, each naming *where* (file, line, column, row or
field), *what* is wrong and *how to fix it*.  The CLI prints them and exits with
status 2; the Streamlit app shows them in the page.  Anything that is not a
``QualcodeError`` is a bug (CLI exit status 1).

Validation code should collect every problem it finds and raise once, so that a
user fixes a broken codebook or spreadsheet in one pass, not one error at a time.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One located problem in user input."""

    message: str
    path: str | None = None
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    field: str | None = None  # e.g. "themes[0].codes[3].id" or a spreadsheet column
    row: int | None = None  # 1-based spreadsheet row (header is row 1)
    hint: str | None = None  # how to fix it

    @property
    def location(self) -> str:
        parts: list[str] = []
        if self.path:
            parts.append(str(self.path))
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.line is not None:
            parts.append(f"line {self.line}" + (f", column {self.column}" if self.column else ""))
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        loc = self.location
        text = f"{loc}: {self.message}" if loc else self.message
        if self.hint:
            text += f" {self.hint}"
        return text


class QualcodeError(Exception):
    """Base class of every user error.  ``problems`` lists each located problem."""

    title = "Error"

    def __init__(
        self, problems: Problem | str | Sequence[Problem], *, path: str | None = None, hint: str | None = None
    ) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems, path=path, hint=hint)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        if len(self.problems) == 1:
            return f"{self.title}: {self.problems[0]}"
        lines = [f"{self.title}: {len(self.problems)} problems"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class CodebookError(QualcodeError):
    """The codebook file is broken, or a codebook change is not allowed."""

    title = "Codebook error"


class InputFileError(QualcodeError):
    """A transcript, spreadsheet, archive or other input file cannot be read or is refused."""

    title = "Input file error"


class CodingError(QualcodeError):
    """A coding is invalid (bad span, unknown code, duplicate, cannot be anchored)."""

    title = "Coding error"


class MemoError(QualcodeError):
    """A memo is invalid (empty text, unknown kind, document or code, a memo that does not exist)."""

    title = "Memo error"


class ConflictError(QualcodeError):
    """Someone else changed the data since you loaded it (e.g. the codebook); reload and retry."""

    title = "Conflict"


class UndoRefused(ConflictError):
    """Undo would act on data that changed since (or clash with what is stored now); nothing was undone."""

    title = "Undo refused"


class PermissionDenied(QualcodeError):
    """The current user's role does not allow this action."""

    title = "Permission denied"


class ConfigError(QualcodeError):
    """Project folder, settings or database URL problem."""

    title = "Configuration error"


class OutputError(QualcodeError):
    """A file qualcode writes (a backup, an export) could not be written; nothing was left half-written."""

    title = "Cannot write the output"


def output_error(exc: OSError | Exception, path: str) -> OutputError:
    """A named error for a failed write of ``path`` (disk full, no permission, …)."""
    import errno

    number = getattr(exc, "errno", None)
    text = str(getattr(exc, "strerror", None) or exc)
    if number in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in text.lower():
        return OutputError(
            Problem(
                "the disk is full; nothing was written (the partial file was removed).",
                path=path,
                hint="Free some space on that disk, or write to another disk, and do it again.",
            )
        )
    return OutputError(Problem(f"cannot write the file: {text}; nothing was written.", path=path))


class DatabaseError(QualcodeError):
    """The database could not do its part (disk full, connection lost, a concurrent clash); nothing was saved."""

    title = "Database error"


_DISK_FULL = ("database or disk is full", "no space left on device", "disk full", "could not extend file")
_CONNECTION_LOST = (
    "server closed the connection",
    "terminating connection",
    "connection is closed",
    "connection already closed",
    "consuming input failed",
    "could not receive data",
    "connection refused",
    "the connection is lost",
)


def from_database(exc: BaseException) -> QualcodeError:
    """A named error for a failure of the database itself (``sqlalchemy`` / driver errors), so no
    raw driver message or traceback reaches a user.  It says what failed and how to go on."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).lower()
    code = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "diag", None), "sqlstate", None)
    if code == "53100" or any(m in text for m in _DISK_FULL) or getattr(orig, "errno", None) == 28:
        return DatabaseError(
            "The disk holding the database is full; nothing was saved.",
            hint="Free some space on that disk (or move the project or the database to a bigger one) and "
            "do it again; the data saved before is intact.",
        )
    if code == "23505" or "unique constraint failed" in text or "duplicate key value" in text:
        constraint = getattr(getattr(orig, "diag", None), "constraint_name", None) or text.rsplit(":", 1)[-1].strip()
        return ConflictError(
            f"Someone else saved the same entry at the same moment ({constraint}); nothing of your change was saved.",
            hint="Reload and look: the entry is probably there already; otherwise do it again.",
        )
    if (code or "").startswith(("08", "57P")) or any(m in text for m in _CONNECTION_LOST):
        return DatabaseError(
            "The connection to the database server was lost before it confirmed your change; nothing was saved.",
            hint="Check that the database server runs and is reachable, reload, and do it again (if the server "
            "did save it in the last instant, you will see it after reloading).",
        )
    first_line = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return DatabaseError(
        f"The database refused the operation ({type(orig).__name__}: {first_line[:200]}); nothing was saved.",
        hint="Try again; if it keeps failing, run 'qualcode status' and report the message.",
    )


def did_you_mean(value: str, valid: Iterable[str], *, n: int = 1) -> str | None:
    """Return a ``Did you mean 'x'?`` hint for a misspelt ``value``, or None."""
    choices = list(valid)
    matches = difflib.get_close_matches(value, choices, n=n, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in choices}
        matches = difflib.get_close_matches(value.lower(), list(lowered), n=n, cutoff=0.6)
        matches = [lowered[m] for m in matches]
    if not matches:
        return None
    return "Did you mean " + " or ".join(f"'{m}'" for m in matches) + "?"


def valid_list(valid: Iterable[str], limit: int = 12) -> str:
    """Format a short list of valid values for an error message."""
    items = sorted(set(valid))
    shown = ", ".join(f"'{v}'" for v in items[:limit])
    if len(items) > limit:
        shown += f", … ({len(items) - limit} more)"
    return shown


__all__ = [
    "Problem",
    "QualcodeError",
    "CodebookError",
    "InputFileError",
    "CodingError",
    "MemoError",
    "ConflictError",
    "UndoRefused",
    "PermissionDenied",
    "ConfigError",
    "DatabaseError",
    "OutputError",
    "output_error",
    "from_database",
    "did_you_mean",
    "valid_list",
]
