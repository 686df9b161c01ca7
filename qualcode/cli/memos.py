"""``qualcode memo``: document, code, project and coding memos from the command line."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import MemoError, Problem
from ..export.tabular import FORMATS
from ..vocabulary import MEMO_BROWSER_KINDS
from .common import Context, _emit

pass_ctx = click.make_pass_decorator(Context)

_TARGETS = "--document NAME, --code ID, --project or --coding ID"


def _target(document: str | None, code: str | None, project: bool, coding: int | None) -> tuple[str, Any]:
    """The one memo target given: ("document", name), ("code", id), ("project", None), ("coding", id)."""
    given = [
        (kind, value)
        for kind, value, present in (
            ("document", document, document is not None),
            ("code", code, code is not None),
            ("project", None, project),
            ("coding", coding, coding is not None),
        )
        if present
    ]
    if len(given) != 1:
        raise click.UsageError(
            f"say what the memo is about with exactly one of {_TARGETS}"
            + (f" (got {len(given)}: {', '.join('--' + k for k, _ in given)})." if given else ".")
            + " Example: qualcode memo add --document expert_A 'First impression: ...'"
        )
    return given[0]


def _text(value: str | None, *, required: bool) -> str | None:
    """The memo text: the argument, or standard input for '-'."""
    if value == "-":
        return sys.stdin.read()
    if value is None and required:
        raise click.UsageError("give the memo text as an argument, or '-' to read it from standard input.")
    return value


def _coding_memo(project: Any, coding_id: int) -> dict[str, Any]:
    row = project.coding(coding_id)
    if row is None:
        raise MemoError(
            Problem(
                f"Coding {coding_id} does not exist (or blind mode hides it).",
                field="coding",
                hint="Find coding ids with 'qualcode memo list --kind coding' or the app's Code page.",
            )
        )
    return row


@click.group()
def memo() -> None:
    """Memos: on an interview (document), a code or theme, the project, or one coding.

    Everyone reads memos; each user writes memos under their own name; the author, a
    supervisor or an admin edits or deletes one.  Every change is audited; 'qualcode undo'
    undoes the last one (a deleted memo comes back).

    \b
    Examples:
      qualcode --user alice memo add --document expert_A "Talks about transit first."
      qualcode memo add --code transit --title "Boundary" "Only when the route is named."
      qualcode memo add --project "Decision log: merged two codes today."
      qualcode memo add --coding 17 "Ironic?"
      qualcode memo list --kind document --author alice
    """


@memo.command("add")
@click.argument("text")
@click.option("--document", "-d", help="The interview the memo is about (its name, e.g. expert_A).")
@click.option("--code", "-c", help="The code or theme the memo is about (its id).")
@click.option("--project", "project_memo", is_flag=True, help="A memo about the project as a whole.")
@click.option("--coding", type=int, help="The coding the memo is about (its id): sets that coding's memo.")
@click.option("--title", "-t", default="", help="A short title (document, code and project memos).")
@pass_ctx
def add(
    ctx: Context,
    text: str,
    document: str | None,
    code: str | None,
    project_memo: bool,
    coding: int | None,
    title: str,
) -> None:
    """Add a memo (TEXT, or '-' to read it from standard input).

    \b
    Examples:
      qualcode memo add --document expert_A "Talks about transit first."
      qualcode memo add --coding 17 "Ironic?"
    """
    kind, target = _target(document, code, project_memo, coding)
    body = _text(text, required=True)
    assert body is not None
    project = ctx.project()
    if kind == "coding":
        row = _coding_memo(project, int(target))
        if row["memo"]:
            raise MemoError(
                Problem(
                    f"Coding {target} already has a memo: {row['memo'][:60]!r}.",
                    field="coding",
                    hint=f"Change it with: qualcode memo edit --coding {target} TEXT",
                )
            )
        project.set_coding_memo(int(target), body, expected_version=row["version"])
        click.echo(f"Added the memo of coding {target} (code {row['code_id']}).")
        return
    memo_id = project.add_memo(kind, target, body, title=title)
    about = f" on {target}" if target else ""
    click.echo(f"Added memo {memo_id} ({kind} memo{about}).")


@memo.command("list")
@click.option(
    "--kind",
    "-k",
    "kinds",
    multiple=True,
    type=click.Choice(list(MEMO_BROWSER_KINDS)),
    help="Only memos of this kind (repeatable).",
)
@click.option("--author", "-a", help="Only memos by this user.")
@click.option("--document", "-d", help="Only this interview's memos and the memos of its codings.")
@click.option("--code", "-c", help="Only this code's memos and the memos of its codings.")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="table", show_default=True)
@pass_ctx
def list_memos(
    ctx: Context, kinds: tuple[str, ...], author: str | None, document: str | None, code: str | None, fmt: str
) -> None:
    """List memos (the memo browser): coding, document, code and project memos.

    \b
    Examples:
      qualcode memo list
      qualcode memo list --kind coding --code transit --format csv
    """
    project = ctx.project()
    _check_filter(project, document, code)
    frame = project.memos_frame(kinds=list(kinds) or None, author=author, document=document, code=code)
    if fmt == "table":
        click.echo(_readable(frame, project) if not frame.empty else "No memos.")
        return
    frame = frame.assign(
        id=[
            f"coding {c}" if kind == "coding" else str(m)
            for kind, m, c in zip(frame["kind"], frame["memo_id"], frame["coding_id"])
        ]
    )
    columns = ["id", "kind", "document", "code", "author", "title", "text"]
    columns += ["quote", "start", "end", "created_at", "updated_at"]
    _emit(frame[columns], fmt)


def _readable(frame: Any, project: Any) -> str:
    """Memos to read in a 100-column terminal: a heading line each (id, what it is about, title,
    author, date), the excerpt of a coding memo quoted, the full text wrapped."""
    import textwrap

    book = project.codebook
    labels = {tid: t.label for tid, t in book.themes.items()}
    labels.update({cid: c.label for cid, c in book.codes.items()})
    blocks = []
    for row in frame.to_dict("records"):
        kind = row["kind"]
        code = labels.get(str(row["code"]), str(row["code"])) if isinstance(row["code"], str) else ""
        about = {
            "project": "project memo",
            "document": f"interview memo on {row['document']}",
            "code": f"code memo on {code}",
            "coding": f"memo of coding {row['coding_id']} ({code} in {row['document']})",
        }[kind]
        when = str(row["updated_at"] or row["created_at"] or "")[:16].replace("T", " ")
        ident = f"coding {row['coding_id']}" if kind == "coding" else f"memo {row['memo_id']}"
        head = f"[{ident}] {about}" + (f": {row['title']}" if row["title"] else "") + f" — {row['author']}, {when}"
        lines = textwrap.wrap(head, 100, subsequent_indent="    ")
        if kind == "coding" and isinstance(row["quote"], str):
            lines += textwrap.wrap(f"“{row['quote']}”", 100, initial_indent="    > ", subsequent_indent="    > ")
        for paragraph in str(row["text"]).split("\n"):
            lines += textwrap.wrap(paragraph, 100, initial_indent="    ", subsequent_indent="    ") or [""]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _check_filter(project: Any, document: str | None, code: str | None) -> None:
    """A filter naming an interview or code that does not exist is a mistake, not "no memos"."""
    from ..errors import did_you_mean, valid_list

    if document is not None:
        names = project.document_names()
        if document not in names:
            raise MemoError(
                Problem(
                    f"Unknown document '{document}'.",
                    field="--document",
                    hint=(did_you_mean(document, names) or "") + f" Known documents: {valid_list(names)}.",
                )
            )
    if code is not None:
        book = project.codebook
        ids = [*book.codes, *book.themes, *book.cross_cutting]
        if code not in ids and project.memos_frame(code=code).empty:
            raise MemoError(
                Problem(
                    f"Unknown code '{code}'.",
                    field="--code",
                    hint=(did_you_mean(code, ids) or "") + f" Known codes and themes: {valid_list(ids)}.",
                )
            )


@memo.command("edit")
@click.argument("args", nargs=-1, metavar="[MEMO_ID] [TEXT]")
@click.option("--coding", type=int, help="Edit the memo of this coding instead (its id).")
@click.option("--title", "-t", help="A new title (document, code and project memos).")
@pass_ctx
def edit(ctx: Context, args: tuple[str, ...], coding: int | None, title: str | None) -> None:
    """Change a memo's text (TEXT, or '-' for standard input) or title.

    \b
    Examples:
      qualcode memo edit 3 "Rewritten after the second interview."
      qualcode memo edit 3 --title "Boundary rule"
      qualcode memo edit --coding 17 "Not ironic after all."
    """
    project = ctx.project()
    if coding is not None:
        if len(args) != 1:
            raise click.UsageError("with --coding give only the new text: qualcode memo edit --coding 17 TEXT")
        body = _text(args[0], required=True)
        assert body is not None
        row = _coding_memo(project, coding)
        project.set_coding_memo(coding, body, expected_version=row["version"])
        click.echo(f"Changed the memo of coding {coding}.")
        return
    if not args or len(args) > 2:
        raise click.UsageError(
            "name the memo and give its text: qualcode memo edit MEMO_ID TEXT (ids: qualcode memo list)."
        )
    memo_id = _memo_id(args[0])
    body = _text(args[1] if len(args) == 2 else None, required=title is None)
    version = project.edit_memo(memo_id, text=body, title=title)
    click.echo(f"Changed memo {memo_id} (version {version}).")


def _memo_id(value: str) -> int:
    if not value.strip().isdigit():
        raise MemoError(
            Problem(
                f"'{value}' is not a memo id (memo ids are numbers).",
                field="MEMO_ID",
                hint="Find the id with 'qualcode memo list'; for a coding's memo use --coding ID.",
            )
        )
    return int(value)


@memo.command("delete")
@click.argument("memo_id", type=int, required=False)
@click.option("--coding", type=int, help="Clear the memo of this coding instead (its id).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def delete(ctx: Context, memo_id: int | None, coding: int | None, yes: bool) -> None:
    """Delete a memo ('qualcode undo' brings it back).

    \b
    Examples:
      qualcode memo delete 3
      qualcode memo delete --coding 17 --yes
    """
    project = ctx.project()
    if (memo_id is None) == (coding is None):
        raise click.UsageError("name one memo: qualcode memo delete MEMO_ID, or qualcode memo delete --coding ID.")
    if coding is not None:
        row = _coding_memo(project, coding)
        if not row["memo"]:
            raise MemoError(Problem(f"Coding {coding} has no memo.", field="coding", hint="Nothing to delete."))
        if not yes and not click.confirm(f"Clear the memo of coding {coding}?", default=False):
            raise click.exceptions.Abort()
        project.set_coding_memo(coding, "", expected_version=row["version"])
        click.echo(f"Cleared the memo of coding {coding} (undo: qualcode undo).")
        return
    assert memo_id is not None
    if not yes and not click.confirm(f"Delete memo {memo_id}?", default=False):
        raise click.exceptions.Abort()
    project.delete_memo(memo_id)
    click.echo(f"Deleted memo {memo_id} (undo: qualcode undo).")


__all__ = ["memo"]
