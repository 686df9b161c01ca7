"""``qualcode backup`` and ``qualcode restore``."""

from __future__ import annotations

import click

from .common import Context, _output_path, pass_ctx


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False), callback=_output_path)
@pass_ctx
def backup_cmd(ctx: Context, path: str) -> None:
    """Back up the project: PATH ending in .db copies the SQLite database online (safe while people
    code); any other name writes a portable dump (all tables + codebook.yaml) that also works from
    PostgreSQL and restores into either database.

    \b
    Examples:
      qualcode backup backups/2026-11-21.qcbackup
      qualcode backup backups/snapshot.db
    """
    from ..backup import backup

    summary = backup(ctx.project(), path)
    click.echo(f"Wrote {summary['kind']} backup {path}")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--keep-codebook", is_flag=True, help="Do not overwrite codebook.yaml with the backup's copy.")
@pass_ctx
def restore_cmd(ctx: Context, path: str, keep_codebook: bool) -> None:
    """Restore a backup into this project's (empty) database, in one transaction.

    Example: qualcode init restored && qualcode --project restored restore backups/2026-11-21.qcbackup
    """
    from ..backup import restore

    summary = restore(ctx.project(), path, restore_codebook=not keep_codebook)
    click.echo(
        f"Restored {summary['counts'].get('codings', 0)} codings, "
        f"{summary['counts'].get('documents', 0)} documents from {path}"
    )
