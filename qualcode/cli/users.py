"""``qualcode user …`` (team mode accounts) and ``qualcode set`` (project settings)."""

from __future__ import annotations

import click

from ..vocabulary import ROLES, SETTINGS
from .common import Context, _emit, pass_ctx


@click.group()
def user() -> None:
    """Team mode accounts (passwords stored as salted scrypt hashes).

    Example: qualcode user add alice --role annotator
    """


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="annotator", show_default=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for when not given (recommended).",
)
@pass_ctx
def user_add(ctx: Context, name: str, role: str, password: str) -> None:
    """Add or update a user and switch the project to team mode (sign-in required in the app).

    Example: qualcode user add alice --role supervisor
    """
    from ..auth import check_password_strength, hash_password

    project = ctx.project()
    check_password_strength(password)
    project.add_user(name, role, hash_password(password))
    project.set_setting("team_mode", "true")
    click.echo(f"User '{name}' ({role}) saved; team mode is on.")


@user.command("list")
@pass_ctx
def user_list(ctx: Context) -> None:
    """List users and roles.

    Example: qualcode user list
    """
    _emit(ctx.project().users_frame(), "table")


@user.command("disable")
@click.argument("name")
@pass_ctx
def user_disable(ctx: Context, name: str) -> None:
    """Disable a user: their open sessions end at once and they cannot sign in (codings stay).

    Example: qualcode user disable alice
    """
    project = ctx.project()
    ended = project.disable_user(name)
    click.echo(f"User '{name}' disabled; {ended} open session(s) ended. Undo with: qualcode user enable {name}")


@user.command("enable")
@click.argument("name")
@pass_ctx
def user_enable(ctx: Context, name: str) -> None:
    """Let a disabled user sign in again.

    Example: qualcode user enable alice
    """
    project = ctx.project()
    project.disable_user(name, disabled=False)
    click.echo(f"User '{name}' may sign in again.")


@user.command("remove")
@click.argument("name")
@pass_ctx
def user_remove(ctx: Context, name: str) -> None:
    """Remove a user's account: sessions end and the password is deleted at once.  Codings they
    made keep their name (the name stays, disabled, without a password).

    Example: qualcode user remove alice
    """
    project = ctx.project()
    outcome = project.remove_user(name)
    if outcome == "kept":
        click.echo(f"User '{name}' removed: no password, no sessions; their codings keep the name.")
    else:
        click.echo(f"User '{name}' removed.")


@user.command("unlock")
@click.argument("name")
@pass_ctx
def user_unlock(ctx: Context, name: str) -> None:
    """End a sign-in pause after failed attempts (for NAME and for every client address).

    Example: qualcode user unlock alice
    """
    project = ctx.project()
    was_locked = project.unlock_user(name)
    click.echo(f"Sign-in for '{name}' is open again." if was_locked else f"'{name}' was not locked; nothing to do.")


@click.command("set")
@click.argument("key", type=click.Choice(list(SETTINGS)))
@click.argument("value")
@pass_ctx
def set_setting(ctx: Context, key: str, value: str) -> None:
    """Change a project setting.  Example: qualcode set blind_mode true"""
    ctx.project().set_setting(key, value)
    click.echo(f"{key} = {value}")
