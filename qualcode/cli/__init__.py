"""The ``qualcode`` command line: a thin shell over :mod:`qualcode.project` and the report modules.

Exit status: 0 success, 2 user error (one readable paragraph, no traceback), 1 a bug.

The main group :func:`cli` is defined here; each group of commands lives in its own file and is
registered below with ``cli.add_command``: :mod:`.importing` (init, import, status, remove,
undo), :mod:`.codebook_edits`, :mod:`.reports` and :mod:`.agreement` (``report …``),
:mod:`.exports` and :mod:`.excerpts` (``export …``), :mod:`.users` (``user …``, ``set``),
:mod:`.suggestions`, :mod:`.backups`, :mod:`.framework`, :mod:`.memos`, :mod:`.serve` (``app``);
:mod:`.common` holds what they share.  A new command goes into a new
file, registered with one line here.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from ..errors import QualcodeError
from .agreement import _describe, _documents, _scope_options, report_agreement, report_disagreements
from .backups import backup_cmd, restore_cmd
from .codebook_edits import (
    codebook,
    codebook_add,
    codebook_check,
    codebook_delete,
    codebook_merge,
    codebook_move,
    codebook_rename,
)
from .common import (
    FORMATS,
    UNITS,
    Context,
    _annotators,
    _emit,
    _emit_counted,
    _output_path,
    _pooled,
    _progress,
    _report_options,
    _warn,
    pass_ctx,
)
from .excerpts import export_excerpts
from .exports import export, export_appendix_cmd, export_qdc_cmd, export_qdpx_cmd, export_xlsx
from .framework import framework_group, report_framework
from .importing import _warn_outside, import_, init, remove, status, undo
from .memos import memo
from .reports import (
    _clip,
    _descendants,
    _narrow_themes,
    report,
    report_codes,
    report_consolidation,
    report_cooccurrence,
    report_experts,
    report_findings,
    report_matrix,
    report_quotes,
    report_saturation,
    report_themes,
)
from .serve import LOOPBACK_ADDRESSES, app, is_loopback
from .suggestions import (
    suggest,
    suggest_accept,
    suggest_evaluate,
    suggest_model,
    suggest_patterns,
    suggest_reject,
    suggest_topics,
)
from .users import set_setting, user, user_add, user_disable, user_enable, user_list, user_remove, user_unlock


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--project",
    "-p",
    "project_dir",
    type=click.Path(file_okay=False),
    help="Project folder (default: the nearest folder upwards holding codebook.yaml).",
)
@click.option(
    "--database-url",
    envvar="QUALCODE_DATABASE_URL",
    help="Database URL; default is the embedded SQLite file .qualcode/qualcode.db. "
    "Example: postgresql+psycopg://user@host/dbname",
)
@click.option("--user", "-u", envvar="QUALCODE_USER", help="Act as this annotator name.")
@click.version_option(package_name="qualcode")
@click.pass_context
def cli(ctx: click.Context, project_dir: str | None, database_url: str | None, user: str | None) -> None:
    """qualcode: qualitative interview coding and thematic analysis.

    \b
    Quick start in a project folder:
      qualcode import                 # codebook.yaml + interviews/ into the database
      qualcode status
      qualcode report themes
      qualcode export xlsx appendix.xlsx
      qualcode app                    # the Streamlit workbench
    """
    ctx.obj = Context(project_dir, database_url, user)


cli.add_command(init)
cli.add_command(import_)
cli.add_command(status)
cli.add_command(remove)
cli.add_command(undo)
cli.add_command(codebook)
cli.add_command(report)
cli.add_command(export)
cli.add_command(user)
cli.add_command(set_setting)
cli.add_command(suggest)
cli.add_command(backup_cmd)
cli.add_command(restore_cmd)
cli.add_command(app)
report.add_command(report_agreement)
report.add_command(report_disagreements)
report.add_command(report_framework)
cli.add_command(framework_group)
export.add_command(export_excerpts)
cli.add_command(memo)


# ---------------------------------------------------------------------------------------- entry point
def main(argv: Sequence[str] | None = None) -> int:
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="qualcode", standalone_mode=False)
    except QualcodeError as exc:
        click.echo(str(exc), err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 2
    except click.ClickException as exc:
        exc.show()
        return 2
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from ..store import DatabaseFailure

        if not isinstance(exc, DatabaseFailure):
            raise
        from ..errors import from_database

        click.echo(str(from_database(exc)), err=True)  # a database failure: named, no traceback
        return 2
    return 0


__all__ = [
    "cli",
    "main",
    "Context",
    "pass_ctx",
    "FORMATS",
    "UNITS",
    "LOOPBACK_ADDRESSES",
    "is_loopback",
    "init",
    "import_",
    "status",
    "remove",
    "undo",
    "codebook",
    "codebook_add",
    "codebook_check",
    "codebook_delete",
    "codebook_merge",
    "codebook_move",
    "codebook_rename",
    "report",
    "report_agreement",
    "report_codes",
    "report_consolidation",
    "report_cooccurrence",
    "report_disagreements",
    "report_experts",
    "report_findings",
    "report_matrix",
    "report_quotes",
    "report_saturation",
    "report_themes",
    "export",
    "export_appendix_cmd",
    "export_qdc_cmd",
    "export_qdpx_cmd",
    "export_xlsx",
    "user",
    "user_add",
    "user_disable",
    "user_enable",
    "user_list",
    "user_remove",
    "user_unlock",
    "set_setting",
    "suggest",
    "suggest_accept",
    "suggest_evaluate",
    "suggest_model",
    "suggest_patterns",
    "suggest_reject",
    "suggest_topics",
    "backup_cmd",
    "restore_cmd",
    "app",
    "_annotators",
    "_clip",
    "_describe",
    "_descendants",
    "_documents",
    "_emit",
    "_emit_counted",
    "_narrow_themes",
    "_output_path",
    "_pooled",
    "_progress",
    "_report_options",
    "_scope_options",
    "_warn",
    "_warn_outside",
]
