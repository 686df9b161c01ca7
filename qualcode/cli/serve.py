"""``qualcode app``: the Streamlit workbench, on this machine only unless team mode is on."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .common import Context, pass_ctx

LOOPBACK_ADDRESSES = ("127.0.0.1", "localhost", "::1")


def is_loopback(address: str) -> bool:
    """True for an address that only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:  # a host name other than localhost resolves to who knows what
        return False


@click.command()
@click.option("--port", default=8501, show_default=True)
@click.option(
    "--address",
    default="127.0.0.1",
    show_default=True,
    help="Listen on this address. Anything but 127.0.0.1/::1/localhost needs team mode (qualcode user add) "
    "and should sit behind an HTTPS reverse proxy (SECURITY.md).",
)
@pass_ctx
def app(ctx: Context, port: int, address: str) -> None:
    """Start the Streamlit workbench on this project (this machine only, unless --address says otherwise).

    \b
    Examples:
      qualcode --project my-study app --port 8502
      qualcode --project my-study app --address 0.0.0.0     # team mode only; put HTTPS in front
    """
    import subprocess

    from ..errors import ConfigError
    from ..project import find_root

    root = Path(ctx.project_dir).resolve() if ctx.project_dir else find_root()
    if not is_loopback(address):
        ctx.project_dir = str(root)
        if not ctx.project().team_mode():
            raise ConfigError(
                f"Refusing to listen on '{address}': the project is in single-machine mode, where anyone "
                "who reaches the app owns the data (no sign-in).",
                hint="Run without --address (this machine only), or switch team mode on first "
                "(qualcode user add NAME --role admin) and serve it behind HTTPS.",
            )
        click.echo(
            f"Warning: listening on {address}:{port} in plain HTTP. Passwords and transcripts cross the network "
            "unencrypted unless an HTTPS reverse proxy is in front (see SECURITY.md, 'Running behind HTTPS').",
            err=True,
        )
    script = Path(__file__).resolve().parent.parent / "app" / "server.py"  # main.py plus the session-cookie route
    env = dict(os.environ, QUALCODE_PROJECT=str(root))
    raise SystemExit(
        subprocess.call(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(script),
                "--server.port",
                str(port),
                "--server.address",
                address,
                "--browser.gatherUsageStats",
                "false",
                "--client.toolbarMode",
                "minimal",
                "--client.showErrorDetails",
                "none",  # no traceback in the browser (it goes to this console)
                "--runner.postScriptGC",
                "false",  # no full garbage collection after every click (qualcode/app/main.py)
            ],
            env=env,
        )
    )
