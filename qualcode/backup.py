"""Backups: SQLite online backup, and a portable full-project dump that works from any database.

``backup(project, "x.db")`` on SQLite copies the live database with SQLite's online backup API
(consistent even while annotators write).  Any other name writes a portable ``.qcbackup``
archive: a zip with ``manifest.json``, one JSON-lines file per table and ``codebook.yaml``.
:func:`restore` loads such an archive (or a SQLite backup file) into an empty project database
in one transaction, so a failed restore leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import __version__
from . import schema as s
from .errors import ConfigError, InputFileError, Problem, output_error
from .fileio import atomic_write
from .safezip import open_zip_safely
from .store import read_sqlite_file

# Parents before children, so foreign keys hold at every insert.
TABLE_ORDER = [
    s.settings,
    s.users,
    s.sessions,
    s.participants,
    s.documents,
    s.segments,
    s.codes,
    s.codings,
    s.detached_codings,
    s.audit_log,
    s.imports,
    s.suggestion_decisions,
    s.code_merges,
    s.framework_summaries,
    s.memos,
]
FORMAT = "qualcode-backup"
FORMAT_VERSION = 1


def backup(project: Any, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Write a backup; returns a summary (kind, path, counts)."""
    project.require("admin", "back up the whole project")
    path = Path(path)
    if path.suffix.lower() in (".db", ".sqlite", ".sqlite3"):
        if project.database_backend != "sqlite":
            raise ConfigError(
                f"A .db backup copies the embedded SQLite database, but this project uses {project.database_backend}.",
                hint="Use a portable backup instead: qualcode backup project.qcbackup",
            )
        return _sqlite_online_backup(project, path)
    return _portable_dump(project, path)


def _sqlite_online_backup(project: Any, path: Path) -> dict[str, Any]:
    project.copy_sqlite_database(path)  # consistent even while annotators write
    return {"kind": "sqlite", "path": str(path), "counts": project.counts()}


def _remove(*paths: Path) -> None:
    for leftover in paths:
        try:
            leftover.unlink(missing_ok=True)
        except OSError:
            pass


def _portable_dump(project: Any, path: Path) -> dict[str, Any]:
    counts: dict[str, int] = {}
    try:
        atomic_write(path, lambda tmp: _write_dump(project, tmp, counts))
    except OSError as exc:  # e.g. a full disk: no half-written file stays behind
        raise output_error(exc, str(path)) from None
    return {"kind": "portable", "path": str(path), "counts": counts}


def _write_dump(project: Any, tmp: Path, counts: dict[str, int]) -> None:
    """The portable backup archive (one JSON-lines file per table, codebook, manifest) at ``tmp``."""
    with project.database_snapshot() as snapshot, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for table in TABLE_ORDER:
            with zf.open(f"tables/{table.name}.jsonl", "w") as fh:
                n = 0
                for row in snapshot.rows(table):
                    fh.write((json.dumps(row, ensure_ascii=False, default=str) + "\n").encode("utf-8"))
                    n += 1
            counts[table.name] = n
        versions = snapshot.schema_versions()
        if project.codebook_path.exists():
            zf.write(project.codebook_path, "codebook.yaml")
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "qualcode": __version__,
            "schema_versions": versions,
            "created_at": datetime.now(UTC).isoformat(),
            "source_database": project.database_backend,
            "counts": counts,
        }
        zf.writestr("manifest.json", json.dumps(manifest, indent=2))


def restore(project: Any, path: str | os.PathLike[str], *, restore_codebook: bool = True) -> dict[str, Any]:
    """Load a backup into this project's database, which must be empty (no documents or codings)."""
    project.require("admin", "restore a backup")
    path = Path(path)
    if not path.is_file():
        raise InputFileError(Problem("Backup file not found.", path=str(path)))
    counts = project.counts()
    if counts["documents"] or counts["codings"]:
        raise ConfigError(
            f"The project database already holds {counts['documents']} documents and "
            f"{counts['codings']} codings; a restore needs an empty one.",
            hint="Restore into a fresh project folder (qualcode init NEW && "
            "qualcode --project NEW restore FILE), or use another --database-url.",
        )
    if _is_sqlite_file(path):
        tables, codebook = _read_sqlite_backup(path), None
    else:
        tables, codebook = _read_portable(path)
    if restore_codebook and codebook is not None:
        _check_codebook(codebook, f"{path}:codebook.yaml")  # before anything is written
    # One transaction: rows that break the schema restore nothing (InputFileError naming the file).
    project.replace_database(TABLE_ORDER, tables, source=str(path))
    if restore_codebook and codebook is not None:
        atomic_write(project.codebook_path, codebook)
        project.invalidate_codebook()
    return {"path": str(path), "counts": {name: len(rows) for name, rows in tables.items()}}


def _check_codebook(data: bytes, where: str) -> None:
    """Refuse a backup whose codebook.yaml qualcode would not load (CodebookError with its lines)."""
    from .codebook import parse_codebook

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(Problem(f"Damaged backup: byte offset {exc.start} is not UTF-8.", path=where)) from None
    parse_codebook(text, where)


def _is_sqlite_file(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(16) == b"SQLite format 3\x00"


def _read_sqlite_backup(path: Path) -> dict[str, list[dict[str, Any]]]:
    return read_sqlite_file(path, TABLE_ORDER)


def _read_portable(path: Path) -> tuple[dict[str, list[dict[str, Any]]], bytes | None]:
    with open_zip_safely(path) as zf:
        names = set(zf.namelist())
        if "manifest.json" not in names:
            raise InputFileError(
                Problem(
                    "Not a qualcode backup: manifest.json is missing.",
                    path=str(path),
                    hint="Make backups with 'qualcode backup FILE.qcbackup'.",
                )
            )
        try:
            manifest = json.loads(zf.read("manifest.json").decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputFileError(
                Problem(f"Damaged backup: manifest.json is not JSON ({exc}).", path=f"{path}:manifest.json")
            ) from None
        if not isinstance(manifest, dict):
            raise InputFileError(
                Problem("Damaged backup: manifest.json is not a JSON object.", path=f"{path}:manifest.json")
            )
        version = manifest.get("format_version", 0)
        if manifest.get("format") != FORMAT or not isinstance(version, int) or version > FORMAT_VERSION:
            raise InputFileError(
                Problem(
                    f"Unsupported backup format {manifest.get('format')} v{manifest.get('format_version')}.",
                    path=str(path),
                    hint="Restore it with the qualcode version that wrote it.",
                )
            )
        tables: dict[str, list[dict[str, Any]]] = {}
        columns = {t.name: {c.name for c in t.columns} for t in TABLE_ORDER}
        for table in TABLE_ORDER:
            member = f"tables/{table.name}.jsonl"
            if member not in names:
                continue
            rows = []
            try:
                text = zf.read(member).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputFileError(
                    Problem(f"Damaged backup: byte offset {exc.start} is not UTF-8.", path=f"{path}:{member}")
                ) from None
            for number, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputFileError(
                        Problem(f"Damaged backup: {exc.msg}.", path=f"{path}:{member}", line=number)
                    ) from None
                if not isinstance(row, dict):
                    raise InputFileError(
                        Problem("Damaged backup: a row is not a JSON object.", path=f"{path}:{member}", line=number)
                    )
                rows.append({k: v for k, v in row.items() if k in columns[table.name]})
            tables[table.name] = rows
        codebook = zf.read("codebook.yaml") if "codebook.yaml" in names else None
    return tables, codebook
