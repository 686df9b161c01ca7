"""``qualcode report framework`` and ``qualcode framework …``: the framework matrix and its summaries
(registered on the ``report`` group and the main group in ``cli/__init__.py``)."""

from __future__ import annotations

import click

from .common import FORMATS, Context, _annotators, _emit_counted, pass_ctx

SHAPES = ("grid", "cells")


@click.command("framework")
@click.option(
    "--level",
    default="theme",
    show_default=True,
    help="Columns: theme (main themes) or subtheme (one level down).",
)
@click.option(
    "--shape",
    default="grid",
    show_default=True,
    help="grid: participants × themes; cells: one row per participant and theme (codes, quotes, summary apart).",
)
@click.option("--max-quotes", type=int, default=3, show_default=True, help="Short quotes per cell.")
@click.option("--quote-chars", type=int, default=160, show_default=True, help="Characters per quote before '…'.")
@click.option("--annotators", help="Comma-separated annotator names (e.g. consensus or a,b,c).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@pass_ctx
def report_framework(
    ctx: Context,
    level: str,
    shape: str,
    max_quotes: int,
    quote_chars: int,
    annotators: str | None,
    fmt: str,
) -> None:
    """Framework matrix (Ritchie & Spencer): per participant and theme the codes, short quotes with
    their source, and the team's summary.

    \b
    Examples:
      qualcode report framework --format markdown > framework.md
      qualcode report framework --level subtheme --shape cells --format csv > framework.csv
    """
    if shape not in SHAPES:
        from ..errors import Problem, QualcodeError, did_you_mean
        from ..framework import join_hint

        raise QualcodeError(
            Problem(
                f"Unknown shape '{shape}'.",
                field="shape",
                hint=join_hint(did_you_mean(shape, SHAPES), " Use grid or cells."),
            )
        )
    result = ctx.project().framework(
        level=level, annotators=_annotators(annotators), max_quotes=max_quotes, quote_chars=quote_chars
    )
    if shape == "grid":
        df = result.grid
    else:
        df = result.cells.drop(columns=["participant_id", "theme_id", "summary_version"])
        df.attrs = dict(result.cells.attrs)
    _emit_counted(df, fmt)
    for line in result.lines()[1:]:
        click.echo(line, err=True)


@click.group("framework")
def framework_group() -> None:
    """The framework matrix's team summaries: one per participant and theme.

    \b
    Examples:
      qualcode framework summarize "Expert (A)" evolving_migration_trends --text "Sees the inflow as temporary."
      qualcode framework show A evolving_migration_trends
      qualcode report framework
    """


@framework_group.command("summarize")
@click.argument("participant")
@click.argument("theme")
@click.option("--text", help="The summary (blank clears it).")
@click.option(
    "--file", "file", type=click.File("r", encoding="utf-8"), help="Read the summary from a file ('-': stdin)."
)
@click.option("--clear", is_flag=True, help="Remove the summary of this cell.")
@pass_ctx
def framework_summarize(
    ctx: Context, participant: str, theme: str, text: str | None, file: object, clear: bool
) -> None:
    """Write the team's summary of PARTICIPANT (id or label) on THEME (id or label); audited.

    \b
    Examples:
      qualcode framework summarize "Expert (E)" recent_policies_and_enhancements --text "Sees stricter permits."
      qualcode framework summarize E recent_policies_and_enhancements --file summary.txt
      qualcode framework summarize E recent_policies_and_enhancements --clear
    """
    given = sum(x is not None and x is not False for x in (text, file, clear or None))
    if given != 1:
        raise click.UsageError("Give exactly one of --text TEXT, --file PATH or --clear.")
    if file is not None:
        text = file.read()  # type: ignore[attr-defined]
    result = ctx.project().set_framework_summary(participant, theme, "" if clear else (text or ""))
    where = f"participant '{result['participant']}', theme '{result['theme']}'"
    messages = {
        "set": f"Saved the summary of {where} (version {result['version']}).",
        "clear": f"Cleared the summary of {where}.",
        "unchanged": f"The summary of {where} is unchanged.",
    }
    click.echo(messages[result["action"]])


@framework_group.command("show")
@click.argument("participant")
@click.argument("theme")
@click.option("--level", default="theme", show_default=True, help="theme or subtheme (where THEME is a column).")
@click.option("--annotators", help="Comma-separated annotator names (e.g. consensus or a,b,c).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@pass_ctx
def framework_show(ctx: Context, participant: str, theme: str, level: str, annotators: str | None, fmt: str) -> None:
    """One cell: its full excerpts, then its summary and who changed it.

    Example: qualcode framework show E recent_policies_and_enhancements --format markdown
    """
    project = ctx.project()
    pid, tid = project.resolve_participant(participant), project.resolve_theme(theme)
    result = project.framework(level=level, annotators=_annotators(annotators))
    if tid not in result.grid.attrs["column_ids"]:
        from ..errors import Problem, QualcodeError

        other = "subtheme" if level == "theme" else "theme"
        raise QualcodeError(
            Problem(
                f"Theme '{tid}' is not a column at level '{level}'.",
                field="theme",
                hint=f"Use --level {other}, or one of: {', '.join(result.grid.attrs['column_ids'])}.",
            )
        )
    excerpts = result.excerpts(pid, tid)
    excerpts.attrs = dict(result.excerpt_table.attrs)
    _emit_counted(excerpts, fmt)
    cell = result.cell(pid, tid)
    err = fmt != "table"
    if cell["Summary"]:
        click.echo(f"\nSummary ({cell['Summary by']}, {cell['Summary updated']}):\n{cell['Summary']}", err=err)
    else:
        click.echo("\nNo summary yet (qualcode framework summarize PARTICIPANT THEME --text ...).", err=err)
    history = project.framework_summary_history(pid, tid)
    if len(history) > 1:
        click.echo(f"{len(history)} changes in the audit log.", err=err)


__all__ = ["framework_group", "report_framework"]
