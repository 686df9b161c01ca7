"""What every command file shares: the :class:`Context` (the project, opened once), output
formats and helpers for options, progress, warnings and tables."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from ..vocabulary import AGREEMENT_UNITS

FORMATS = ["table", "csv", "json", "markdown"]
UNITS = list(AGREEMENT_UNITS)


class Context:
    def __init__(self, project_dir: str | None, database_url: str | None, user: str | None) -> None:
        self.project_dir = project_dir
        self.database_url = database_url
        self.user = user
        self._project: Any = None

    def project(self, *, sync: bool = False) -> Any:
        from ..project import Project, find_root
        from ..store import LOCAL_ADMIN, Actor

        if self._project is None:
            root = Path(self.project_dir) if self.project_dir else find_root(Path.cwd())
            actor = Actor(self.user, "admin", local=True) if self.user else LOCAL_ADMIN
            self._project = Project.open(root, database_url=self.database_url, actor=actor)
        if sync:
            self._project.sync(progress=_progress())
        return self._project


def _progress() -> Callable[[str, int, int], None] | None:
    if not sys.stderr.isatty():
        return None
    state: dict[str, Any] = {}

    def update(label: str, done: int, total: int) -> None:
        bar = state.get(label)
        if bar is None:
            bar = state[label] = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    return update


def _warn(warnings: Sequence[str]) -> None:
    """Problems that did not stop the command, on stderr (stdout stays the result)."""
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)


def _emit(df: Any, fmt: str) -> None:
    from ..export.tabular import render

    click.echo(render(df, fmt))


def _output_path(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """An output file whose folder exists and is writable (else a usage error, exit 2)."""
    folder = Path(value).expanduser().resolve().parent
    if not folder.is_dir():
        raise click.BadParameter(f"the folder '{folder}' does not exist; create it first (mkdir -p '{folder}').")
    if not os.access(folder, os.W_OK):
        raise click.BadParameter(f"the folder '{folder}' is not writable; choose another place.")
    if Path(value).is_dir():
        raise click.BadParameter(f"'{value}' is a folder; give a file name such as '{value.rstrip('/')}/out.xlsx'.")
    return value


def _pooled(ctx: Context, annotators: str | None) -> tuple[Any, list[str] | None]:
    """All the analysis data and the checked --annotators names: the count reports pool the
    codings themselves (reports.pool: consensus where it exists, else the human annotators)."""
    project = ctx.project()
    return project.analysis_data(), project.check_annotators(_annotators(annotators))


def _emit_counted(df: Any, fmt: str) -> None:
    """A count report with what it counted and whose codings (stdout for tables, stderr otherwise,
    so that csv/json stay machine-readable)."""
    attrs = getattr(df, "attrs", {}) or {}
    lines = [f"{name}: {attrs[key]}" for key, name in (("unit", "Unit"), ("pooled", "Codings counted")) if key in attrs]
    if lines:
        import textwrap

        # Wrapped like the table, to a 100-column terminal.
        click.echo("\n".join(textwrap.fill(line, 100, subsequent_indent="  ") for line in lines), err=fmt != "table")
    _emit(df, fmt)


def _annotators(value: str | None) -> list[str] | None:
    return [a.strip() for a in value.split(",") if a.strip()] if value else None


pass_ctx = click.make_pass_decorator(Context)


def _report_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)(func)
    func = click.option("--annotators", help="Comma-separated annotator names (e.g. consensus or a,b,c).")(func)
    return func
