"""``qualcode init``, ``import``, ``status``, ``remove`` and ``undo``: the project's contents."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from .common import Context, _progress, _warn, pass_ctx


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@pass_ctx
def init(ctx: Context, directory: str) -> None:
    """Create a project folder: codebook.yaml, interviews/, .qualcode/.

    \b
    Example:
      qualcode init my-study && cd my-study && qualcode import
    """
    from ..project import Project

    project = Project.init(directory, database_url=ctx.database_url)
    click.echo(f"Initialised qualcode project in {project.root}")


@click.command(name="import")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--codings",
    "codings",
    multiple=True,
    type=click.Path(),
    help="A codings spreadsheet (CSV/XLSX) to import; may be repeated.",
)
@click.option("--force", is_flag=True, help="Re-import files even if they did not change.")
@click.option(
    "--create-codes",
    is_flag=True,
    help="Create codes named in Word comments that are not in the codebook (under 'Uncategorised').",
)
@pass_ctx
def import_(ctx: Context, paths: Sequence[str], codings: Sequence[str], force: bool, create_codes: bool) -> None:
    """Import interviews and codings.

    Without PATHS: syncs the whole project (codebook.yaml, every transcript in interviews/,
    every codings spreadsheet in interviews/).  PATHS may be transcripts (.md .txt .docx .vtt
    .srt), folders of them, codings spreadsheets (.csv .xlsx), REFI-QDA projects (.qdpx) or
    REFI-QDA codebooks (.qdc from Taguette, ATLAS.ti, MAXQDA, NVivo; into a project without codes).
    Each transcript is its own unit: a bad one is not imported (named with file, line and
    field; exit status 2) and the good ones are.  A bad codings spreadsheet stops the whole
    import with every problem listed and nothing stored.

    \b
    Examples:
      qualcode import
      qualcode import interviews/expert_J.md
      qualcode import --codings team_codings.csv
      qualcode import other_tool_export.qdpx
      qualcode import taguette_codebook.qdc
    """
    project = ctx.project()
    if not paths and not codings:
        report = project.sync(progress=_progress(), force=force, create_unknown_codes=create_codes)
        click.echo(report.summary())
        _warn(report.warnings)
        _warn_outside(report)
        _refuse(report)
        return

    def echo(kind: str, value: Any) -> None:  # each step as soon as it is stored
        if kind == "transcripts":
            click.echo(value.summary())
            _warn(value.warnings)
            _warn_outside(value)
        elif kind == "codings":
            click.echo(f"{value[0]}: {value[1]} codings imported")
        else:
            click.echo(value)

    result = project.import_paths(
        paths, codings=codings, progress=_progress(), force=force, create_unknown_codes=create_codes, on_step=echo
    )
    if result.transcripts is not None:
        _refuse(result.transcripts)


def _refuse(report: Any) -> None:
    """Exit 2 with the named error of every transcript not imported (the others are stored)."""
    error = report.refused_error()
    if error is not None:
        raise error


def _warn_outside(report: Any) -> None:
    if report.outside:
        click.echo(
            f"Warning: {report.outside_warning()}. Replace each symlink with the file itself.",
            err=True,
        )


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_ctx
def status(ctx: Context, fmt: str) -> None:
    """Participants, documents, segments, codings per annotator, detached codings.

    Example: qualcode status --format json
    """
    project = ctx.project()
    info = project.status()
    if fmt == "json":
        click.echo(json.dumps(info, indent=2, default=str))
        return
    click.echo(f"Project:       {project.root}")
    click.echo(f"Database:      {info['database']} (schema v{max(info['schema_versions'] or [0])})")
    click.echo(f"Participants:  {info['participants']}")
    click.echo(f"Documents:     {info['documents']}")
    kinds = ", ".join(f"{v} {k}s" for k, v in sorted(info["segments_by_kind"].items()))
    click.echo(f"Segments:      {info['segments']}" + (f" ({kinds})" if kinds else ""))
    click.echo(f"Codings:       {info['codings']}")
    for name, n in info["codings_by_annotator"].items():
        click.echo(f"  {name}: {n}")
    click.echo(f"Detached:      {info['detached']} codings whose text changed (kept, not deleted)")
    if info["archived"]:
        click.echo(f"Archived:      {info['archived']} codings of deleted codes")
    if info["orphan_codes"]:
        click.echo(f"Codes missing from codebook.yaml but still used: {', '.join(info['orphan_codes'])}")
    if info["missing_transcripts"]:
        from ..project import missing_transcripts_warning

        click.echo(
            missing_transcripts_warning([(m["document"], m["file"], m["codings"]) for m in info["missing_transcripts"]])
        )
    if info["detached"]:
        detached = project.detached_frame()
        for row in detached[detached["status"] == "detached"].head(20).itertuples():
            click.echo(
                f"  - #{row.id} {row.document_name} [{row.code_id}] by {row.annotator}: '{row.quote[:60]}'"
                f" ({row.reason})"
            )


@click.command()
@click.argument("names", nargs=-1, required=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def remove(ctx: Context, names: Sequence[str], yes: bool) -> None:
    """Remove interviews from the project (supervisors).

    Each leaves every report; its codings are archived (kept, listed by 'qualcode status'), its
    file moves to .qualcode/removed/ so that 'qualcode import' does not bring it back.
    'qualcode undo' restores the last one removed, codings and file included.

    \b
    Example:
      qualcode remove expert_J
    """
    project = ctx.project()
    for name in names:
        if not yes and not click.confirm(f"Remove interview '{name}' and archive its codings?", default=False):
            raise click.exceptions.Abort()
        result = project.remove_interview(name)
        click.echo(
            f"Removed interview '{name}': {result['codings_archived']} coding(s) archived"
            + (f", file moved to {result['moved_to']}" if result.get("moved_to") else "")
            + " (undo: qualcode undo)."
        )


@click.command()
@pass_ctx
def undo(ctx: Context) -> None:
    """Undo your last step, from the audit log: a coding change (add, edit, delete), all codings
    of one import, or a codebook edit (merge, rename, delete, ...) with every coding it moved.
    Refused, with the reason, when something it would revert was changed since.

    Example: qualcode --user alice undo
    """
    project = ctx.project()
    result = project.undo()
    click.echo("Nothing to undo." if result is None else result["message"])
