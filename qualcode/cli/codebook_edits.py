"""``qualcode codebook …``: check and change codebook.yaml."""

from __future__ import annotations

from pathlib import Path

import click

from .common import Context, pass_ctx


@click.group()
def codebook() -> None:
    """Check and change codebook.yaml (changes keep your comments and reach the database).

    Example: qualcode codebook check
    """


@codebook.command("check")
@click.argument("path", required=False, type=click.Path())
@pass_ctx
def codebook_check(ctx: Context, path: str | None) -> None:
    """Validate a codebook and list every problem with its line.

    \b
    Example:
      qualcode codebook check                 # the project's codebook.yaml
      qualcode codebook check other.yaml
    """
    from ..codebook import load_codebook
    from ..project import CODEBOOK_FILE, find_root

    target = Path(path) if path else (Path(ctx.project_dir) if ctx.project_dir else find_root()) / CODEBOOK_FILE
    cb = load_codebook(target)
    n_themes = len(cb.themes)
    click.echo(f"{target}: OK — {n_themes} themes, {len(cb.codes)} codes, {len(cb.cross_cutting)} cross-cutting themes")


@codebook.command("add")
@click.argument("code_id")
@click.argument("label")
@click.option("--theme", help="Parent theme id (default: uncategorised).")
@click.option("--description", default="")
@pass_ctx
def codebook_add(ctx: Context, code_id: str, label: str, theme: str | None, description: str) -> None:
    """Add a code.  Example: qualcode codebook add visa_runs "Visa runs" --theme characteristics_of_migration"""
    ctx.project().add_code(code_id, label, theme, description=description)
    click.echo(f"Added code '{code_id}'.")


@codebook.command("rename")
@click.argument("old_id")
@click.option("--id", "new_id", help="New id (the old one becomes an alias).")
@click.option("--label", "new_label", help="New label.")
@pass_ctx
def codebook_rename(ctx: Context, old_id: str, new_id: str | None, new_label: str | None) -> None:
    """Rename a code or theme.  Example: qualcode codebook rename transit --id transit_country"""
    if not new_id and not new_label:
        raise click.UsageError("Give --id and/or --label.")
    ctx.project().rename_code(old_id, new_id=new_id, new_label=new_label)
    click.echo(f"Renamed '{old_id}'.")


@codebook.command("merge")
@click.argument("source")
@click.argument("target")
@pass_ctx
def codebook_merge(ctx: Context, source: str, target: str) -> None:
    """Merge SOURCE into TARGET: codings move, SOURCE becomes an alias of TARGET.

    Example: qualcode codebook merge fingerprinting dactyloscopy
    """
    ctx.project().merge_codes(source, target)
    click.echo(f"Merged '{source}' into '{target}'.")


@codebook.command("move")
@click.argument("node_id")
@click.argument("new_parent")
@pass_ctx
def codebook_move(ctx: Context, node_id: str, new_parent: str) -> None:
    """Move a code or theme under another theme.  Example: qualcode codebook move visa_free_regime current_policy"""
    ctx.project().move(node_id, new_parent)
    click.echo(f"Moved '{node_id}' under '{new_parent}'.")


@codebook.command("delete")
@click.argument("code_id")
@click.option("--force", is_flag=True, help="Delete even if codings use it (they are archived, not destroyed).")
@pass_ctx
def codebook_delete(ctx: Context, code_id: str, force: bool) -> None:
    """Delete a code (refused while codings use it, unless --force).  Example: qualcode codebook delete old_code"""
    ctx.project().delete_code(code_id, force=force)
    click.echo(f"Deleted '{code_id}'.")
