"""``qualcode export excerpts``: a code's or theme's excerpts as a readable .docx or .md document.

Registered on the ``export`` group by one line in :mod:`qualcode.cli`.
"""

from __future__ import annotations

import os
from pathlib import Path

import click


def _names(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _check_output(value: str) -> None:
    """An output file whose folder exists and is writable (else a usage error, exit 2)."""
    folder = Path(value).expanduser().resolve().parent
    if not folder.is_dir():
        raise click.BadParameter(f"the folder '{folder}' does not exist; create it first.", param_hint="--output")
    if not os.access(folder, os.W_OK):
        raise click.BadParameter(f"the folder '{folder}' is not writable; choose another place.", param_hint="--output")
    if Path(value).is_dir():
        raise click.BadParameter(f"'{value}' is a folder; give a file name.", param_hint="--output")


@click.command("excerpts")
@click.option("--code", "code", help="A code (id, label or alias).")
@click.option(
    "--theme", "theme", help="A theme or sub-theme (id or label; every code under it), or a cross-cutting theme."
)
@click.option("--format", "fmt", type=click.Choice(["docx", "md"]), help="Default: from the file name, else md.")
@click.option("--participants", help="Only these participants (ids, comma-separated).")
@click.option("--annotators", help="Only these annotators' codings (comma-separated).")
@click.option(
    "--output", "-o", "output", type=click.Path(dir_okay=False), help="File to write (default: excerpts_<id>.<format>)."
)
@click.pass_context
def export_excerpts(
    click_ctx: click.Context,
    code: str | None,
    theme: str | None,
    fmt: str | None,
    participants: str | None,
    annotators: str | None,
    output: str | None,
) -> None:
    """Every excerpt of a code or theme, grouped by participant, with the code path, who coded
    it and the memo: for reading, quoting and sharing.

    \b
    Examples:
      qualcode export excerpts --code trend_change --format docx
      qualcode export excerpts --theme "Evolving Migration Trends" -o trends.md
    """
    from .. import retrieval
    from ..export.excerpts import file_name

    if code and theme:
        raise click.UsageError("give --code or --theme, not both.")
    project = click_ctx.obj.project()
    node = None
    if code or theme:
        node = retrieval.resolve_node(project.codebook, code or theme or "")
        kind = retrieval.node_kind(project.codebook, node)
        if code and kind != "code":
            raise click.BadParameter(f"'{code}' is a theme; use --theme for it.", param_hint="--code")
        if theme and kind == "code":
            raise click.BadParameter(f"'{theme}' is a code; use --code for it.", param_hint="--theme")
    if output is None:
        output = file_name(node, fmt or "md")
    _check_output(output)
    fmt = fmt or (Path(output).suffix.lstrip(".").lower() if Path(output).suffix else "md")
    written = project.export_excerpts(
        output,
        node,
        fmt,
        participants=_names(participants),
        annotators=project.check_annotators(_names(annotators)),
    )
    click.echo(f"Wrote {written}")
