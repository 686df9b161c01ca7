"""The ``qualcode`` command line: a thin shell over :mod:`qualcode.project` and the report modules.

Exit status: 0 success, 2 user error (one readable paragraph, no traceback), 1 a bug.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from ..errors import QualcodeError
from ..vocabulary import AGREEMENT_UNITS, COOCCURRENCE_UNITS, ROLES, SEGMENT_KINDS, SETTINGS, SUGGESTION_UNITS

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


# ---------------------------------------------------------------------------------------- init/import
@cli.command()
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


@cli.command(name="import")
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
    A bad file stops the import with every problem listed and nothing stored.

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

    project.import_paths(
        paths, codings=codings, progress=_progress(), force=force, create_unknown_codes=create_codes, on_step=echo
    )


def _warn_outside(report: Any) -> None:
    if report.outside:
        click.echo(
            f"Warning: {report.outside_warning()}. Replace each symlink with the file itself.",
            err=True,
        )


@cli.command()
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


# ---------------------------------------------------------------------------------------- codebook
@cli.group()
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


# ---------------------------------------------------------------------------------------- reports
def _report_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)(func)
    func = click.option("--annotators", help="Comma-separated annotator names (e.g. consensus or a,b,c).")(func)
    return func


@cli.group()
def report() -> None:
    """Tables for supervisors: themes, codes, experts, matrix, co-occurrence, quotes, agreement.

    \b
    Examples:
      qualcode report themes
      qualcode report themes --format csv > themes.csv
      qualcode report experts --by theme --attribute organisation_type
      qualcode report agreement --annotators ann1,ann2,ann3 --unit sentence
    """


@report.command("themes")
@click.option("--theme", help="Only this theme and its sub-themes.")
@click.option("--wide", is_flag=True, help="Every column (ids, code lists); the default table fits 100 columns.")
@_report_options
@pass_ctx
def report_themes(ctx: Context, theme: str | None, wide: bool, annotators: str | None, fmt: str) -> None:
    """Excerpts, codings and experts per theme, sub-theme and cross-cutting theme.

    The table lists each theme (indented under its parent), its excerpts, codings and experts in
    100 columns; --wide, csv, json and markdown give every column.

    Example: qualcode report themes --format csv > themes.csv
    """
    from .. import reports

    data, ann = _pooled(ctx, annotators)
    df = reports.theme_table(data, annotators=ann)
    if theme:
        keep = {theme} | set(_descendants(data.codebook, theme))
        df = df[df["theme_id"].isin(keep)].reset_index(drop=True)
    if fmt == "table" and not wide:
        df = _narrow_themes(df)
    _emit_counted(df, fmt)


def _clip(text: Any, width: int) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _narrow_themes(df: Any) -> Any:
    """The theme table for a 100-column terminal: label (indented by depth), counts, experts."""
    import pandas as pd

    narrow = pd.DataFrame(
        {
            "Theme": [_clip("  " * int(d) + str(t), 50) for d, t in zip(df["depth"], df["theme"])],
            "Excerpts": df["excerpts"],
            "Codings": df["codings"],
            "Experts": [_clip(x, 30) for x in df["experts_phrase"]],
        }
    )
    narrow.attrs = dict(getattr(df, "attrs", {}) or {})
    return narrow


def _descendants(codebook: Any, theme_id: str) -> list[str]:
    out: list[str] = []
    for child in codebook.child_themes(theme_id):
        out += [child] + _descendants(codebook, child)
    return out


@report.command("codes")
@click.option("--theme", help="Only codes under this theme.")
@click.option("--by-annotator", is_flag=True, help="One column of counts per annotator.")
@_report_options
@pass_ctx
def report_codes(ctx: Context, theme: str | None, by_annotator: bool, annotators: str | None, fmt: str) -> None:
    """Code frequencies: codings, distinct excerpts and experts per code.

    Example: qualcode report codes --by-annotator --theme human_trafficking
    """
    from .. import reports

    data, ann = _pooled(ctx, annotators)
    df = reports.code_frequencies(data, annotators=ann, by_annotator=by_annotator)
    if theme:
        df = df[df["code"].isin(data.codebook.codes_in(theme))].reset_index(drop=True)
    _emit_counted(df, fmt)


@report.command("experts")
@click.option("--by", type=click.Choice(["code", "theme"]), default="theme", show_default=True)
@click.option("--attribute", help="Split by a participant attribute, e.g. organisation_type.")
@_report_options
@pass_ctx
def report_experts(ctx: Context, by: str, attribute: str | None, annotators: str | None, fmt: str) -> None:
    """Expert consensus: how many and which participants voice each code or theme.

    Example: qualcode report experts --by theme --attribute organisation_type
    """
    from .. import reports

    data, ann = _pooled(ctx, annotators)
    _emit_counted(reports.consensus(data, by=by, attribute=attribute, annotators=ann), fmt)


@report.command("matrix")
@click.option("--by", type=click.Choice(["code", "theme"]), default="theme", show_default=True)
@click.option("--presence", is_flag=True, help="0/1 presence instead of excerpt counts.")
@click.option("--level", type=int, default=1, show_default=True, help="Theme depth (0 main themes, 1 sub-themes).")
@_report_options
@pass_ctx
def report_matrix(ctx: Context, by: str, presence: bool, level: int, annotators: str | None, fmt: str) -> None:
    """Participant × theme (or × code) matrix.

    Example: qualcode report matrix --presence --level 0
    """
    from .. import reports

    data, ann = _pooled(ctx, annotators)
    table = reports.matrix(data, by=by, level=level, presence=presence, annotators=ann)
    flat = table.reset_index()
    flat.attrs = dict(table.attrs)
    _emit_counted(flat, fmt)


@report.command("cooccurrence")
@click.option("--unit", type=click.Choice(COOCCURRENCE_UNITS), default="overlap", show_default=True)
@click.option("--by", type=click.Choice(["code", "theme"]), default="code", show_default=True)
@_report_options
@pass_ctx
def report_cooccurrence(ctx: Context, unit: str, by: str, annotators: str | None, fmt: str) -> None:
    """Code co-occurrence: counts, Jaccard and ATLAS.ti's c-coefficient.

    Example: qualcode report cooccurrence --unit paragraph --by theme
    """
    from .. import reports

    data, ann = _pooled(ctx, annotators)
    _emit_counted(reports.cooccurrence(data, unit=unit, by=by, annotators=ann), fmt)


@report.command("quotes")
@click.option("--max-quotes", type=int, help="At most this many quotes per code.")
@_report_options
@pass_ctx
def report_quotes(ctx: Context, max_quotes: int | None, annotators: str | None, fmt: str) -> None:
    """Appendix-B style quote table: theme, sub-theme, code, example quotes, number of codings.

    Example: qualcode report quotes --max-quotes 2 --format markdown
    """
    from .. import reports

    data, ann = _pooled(ctx, annotators)
    _emit_counted(reports.quote_table(data, max_quotes=max_quotes, annotators=ann), fmt)


def _documents(value: str | None) -> list[str] | None:
    return [d.strip() for d in value.split(",") if d.strip()] if value else None


def _scope_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--include-interviewer", is_flag=True, help="Keep interviewer turns (Interviewer:, Q:, I:) as units."
    )(func)
    func = click.option(
        "--scope",
        type=click.Choice(["common", "all"]),
        default="common",
        show_default=True,
        help="common: only documents every chosen coder coded; all: every document any of them coded.",
    )(func)
    func = click.option("--documents", help="Comma-separated document names to compare (default: see --scope).")(func)
    return func


@report.command("findings")
@click.option("--annotators", help="Comma-separated annotator names (e.g. consensus or a,b,c).")
@pass_ctx
def report_findings(ctx: Context, annotators: str | None) -> None:
    """Markdown: per theme, sub-theme and cross-cutting theme the thesis's sentence frame
    ("Six Experts (A,B,C,D,E,F) highlighted …", "Both Experts (F) and (H) noted …",
    "According to Expert (C), …"), then the supporting excerpts with their codes.

    Example: qualcode report findings > findings.md
    """
    from ..findings import findings_blocks, findings_markdown
    from ..reports import pool

    data, ann = _pooled(ctx, annotators)
    pooled, how = pool(data, ann)
    click.echo(f"Codings counted: {how.text}", err=True)
    click.echo(findings_markdown(findings_blocks(pooled)), nl=False)


@report.command("consolidation")
@click.option("--code", "code_id", help="Only the trail behind this surviving code.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@pass_ctx
def report_consolidation(ctx: Context, code_id: str | None, fmt: str) -> None:
    """The consolidation trail: code applications before → unique codes after → codes used,
    then every merge (surviving code, merged code, applications it carried, when, by whom).

    Example: qualcode report consolidation --code digitalisation
    """
    from .. import consolidation
    from ..errors import CodebookError, Problem, did_you_mean

    project = ctx.project()
    trail = project.consolidation_trail()
    if code_id is not None:
        codes = project.codebook.codes
        if code_id not in codes:
            raise CodebookError(
                Problem(
                    f"unknown code '{code_id}'.",
                    field="--code",
                    hint=did_you_mean(code_id, codes) or "List the codes with 'qualcode report codes'.",
                )
            )
        trail = consolidation.trail_of(trail, code_id)
    info = project.consolidation_summary()
    if fmt == "json":
        click.echo(json.dumps({"summary": info, "merges": json.loads(trail.to_json(orient="records"))}, indent=2))
        return
    if fmt in ("table", "markdown"):
        click.echo("\n".join(consolidation.summary_lines(info)))
        click.echo("")
        if not len(trail):
            click.echo("No merges recorded" + (f" into '{code_id}'." if code_id else "."))
            return
    _emit(trail, fmt)


@report.command("saturation")
@click.option(
    "--order",
    default="date",
    show_default=True,
    help="Interview order: date (front matter), name, or a participant field.",
)
@click.option("--base", "base_size", type=int, default=4, show_default=True, help="Base size (interviews).")
@click.option("--run", "run_length", type=int, default=2, show_default=True, help="Run length (interviews).")
@click.option("--threshold", type=float, default=0.05, show_default=True, help="New-information threshold (0.05 = 5%).")
@click.option("--orders", type=int, default=1000, show_default=True, help="Random orders to repeat it over (0: none).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--by-theme", is_flag=True, help="New codes within each main theme, per interview.")
@_report_options
@pass_ctx
def report_saturation(
    ctx: Context,
    order: str,
    base_size: int,
    run_length: int,
    threshold: float,
    orders: int,
    seed: int,
    by_theme: bool,
    annotators: str | None,
    fmt: str,
) -> None:
    """Saturation: new codes per interview in interview order, the cumulative curve (Guest, Bunce &
    Johnson 2006) and the base/run/threshold assessment (Guest, Namey & Chen 2020), also over many
    random orders.

    Example: qualcode report saturation --order date --base 4 --run 2 --threshold 0.05
    """
    result = ctx.project().saturation(
        annotators=_annotators(annotators),
        order=order,
        base_size=base_size,
        run_length=run_length,
        threshold=threshold,
        orders=orders,
        seed=seed,
    )
    df = result.by_theme if by_theme else result.table
    df.attrs.update(result.table.attrs)
    _emit_counted(df, fmt)
    click.echo("\n".join(result.lines()), err=fmt != "table")


@report.command("agreement")
@click.option("--unit", type=click.Choice(UNITS), default="sentence", show_default=True)
@click.option("--by", type=click.Choice(["code", "theme", "both"]), default="both", show_default=True)
@click.option(
    "--bootstrap", type=int, default=1000, show_default=True, help="Bootstrap samples for alpha's 95% interval."
)
@click.option(
    "--bootstrap-method",
    type=click.Choice(["units", "kalpha"]),
    default="units",
    show_default=True,
    help="units: resample the units; kalpha: Hayes & Krippendorff's KALPHA algorithm (25·q cap).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the bootstrap.")
@click.option(
    "--min-overlap",
    type=float,
    default=0.0,
    show_default=True,
    help="Share of a unit a coding must cover for its code to be present (0 = one character).",
)
@click.option(
    "--match-threshold",
    type=float,
    default=0.9,
    show_default=True,
    help="Overlap share (intersection/union) for --unit match.",
)
@click.option("--scale", "scales", help="Themes whose codes are one variable's values (default: codebook scale:).")
@click.option(
    "--level",
    "scale_level",
    type=click.Choice(["nominal", "ordinal", "interval", "ratio"]),
    help="Level of the scale rows' alpha (default: each theme's scale:; ordinal needs its order:).",
)
@_scope_options
@_report_options
@pass_ctx
def report_agreement(
    ctx: Context,
    unit: str,
    by: str,
    bootstrap: int,
    bootstrap_method: str,
    seed: int,
    min_overlap: float,
    match_threshold: float,
    scales: str | None,
    scale_level: str | None,
    documents: str | None,
    scope: str,
    include_interviewer: bool,
    annotators: str | None,
    fmt: str,
) -> None:
    """Inter-coder reliability per code and theme (percent agreement, kappa, Krippendorff's alpha).

    By default only the documents every chosen coder coded are compared (the output says
    which); the interval resamples the units.

    Example: qualcode report agreement --annotators ann1,ann2,ann3 --unit paragraph --documents expert_A,expert_B
    """
    from ..reliability import intercoder_agreement

    data = ctx.project().analysis_data()
    df = intercoder_agreement(
        data,
        annotators=ctx.project().check_annotators(_annotators(annotators)),
        unit=unit,
        by=by,
        bootstrap=bootstrap,
        bootstrap_method=bootstrap_method,
        seed=seed,
        min_overlap=min_overlap,
        match_threshold=match_threshold,
        documents=_documents(documents),
        scope=scope,
        include_interviewer=include_interviewer,
        scales=_documents(scales),
        scale_level=scale_level,
    )
    click.echo(_describe(df), err=fmt != "table")
    _emit(df, fmt)


def _describe(df: Any) -> str:
    from ..reliability import describe

    return describe(df)


@report.command("disagreements")
@click.option("--unit", type=click.Choice(SEGMENT_KINDS), default="sentence", show_default=True)
@_scope_options
@_report_options
@pass_ctx
def report_disagreements(
    ctx: Context,
    unit: str,
    documents: str | None,
    scope: str,
    include_interviewer: bool,
    annotators: str | None,
    fmt: str,
) -> None:
    """Every unit where coders differ, with the text and each coder's codes.

    Example: qualcode report disagreements --annotators ann1,ann2 --format csv > to_discuss.csv
    """
    from ..reliability import disagreements

    data = ctx.project().analysis_data()
    df = disagreements(
        data,
        annotators=ctx.project().check_annotators(_annotators(annotators)),
        unit=unit,
        documents=_documents(documents),
        scope=scope,
        include_interviewer=include_interviewer,
    )
    click.echo(_describe(df), err=fmt != "table")
    _emit(df, fmt)


# ---------------------------------------------------------------------------------------- export
@cli.group()
def export() -> None:
    """Write the Excel appendix workbook or REFI-QDA files (NVivo, ATLAS.ti, MAXQDA).

    Example: qualcode export qdpx project.qdpx
    """


@export.command("xlsx")
@click.argument("path", type=click.Path(dir_okay=False), callback=_output_path)
@click.option("--annotators", help="Annotator set for counts (e.g. consensus).")
@click.option("--agreement-annotators", help="Annotators compared in the agreement sheet.")
@click.option("--unit", type=click.Choice(SEGMENT_KINDS), default="sentence")
@pass_ctx
def export_xlsx(ctx: Context, path: str, annotators: str | None, agreement_annotators: str | None, unit: str) -> None:
    """The appendix workbook: interviewees, codebook, matrices, frequencies, agreement, codings.

    Example: qualcode export xlsx thesis_appendix.xlsx
    """
    project = ctx.project()
    project.export_xlsx(
        path,
        annotators=project.check_annotators(_annotators(annotators)),
        agreement_annotators=project.check_annotators(_annotators(agreement_annotators)),
        unit=unit,
    )
    click.echo(f"Wrote {path}")


@export.command("appendix")
@click.argument("path", type=click.Path(dir_okay=False), callback=_output_path)
@click.option("--annotators", help="Annotator set whose codings count (e.g. consensus).")
@click.option("--no-findings", is_flag=True, help="Leave the Findings section out of the .docx.")
@pass_ctx
def export_appendix_cmd(ctx: Context, path: str, annotators: str | None, no_findings: bool) -> None:
    """Thesis Appendix A (List of Interviewees) and B (Codebook) as Word tables (.docx, with a
    Findings section) or a printable Excel workbook (.xlsx).

    Layout and the metadata fields of each column: 'appendix:' in codebook.yaml
    (docs/codebook-format.md).

    Example: qualcode export appendix appendix.docx
    """
    project = ctx.project()
    project.export_appendix(
        path, annotators=project.check_annotators(_annotators(annotators)), findings=not no_findings
    )
    click.echo(f"Wrote {path}")


@export.command("qdpx")
@click.argument("path", type=click.Path(dir_okay=False), callback=_output_path)
@click.option(
    "--for",
    "target",
    type=click.Choice(["standard", "nvivo", "atlas", "maxqda", "qualcoder", "taguette"]),
    help="The tool that will read the file: nvivo writes UTF-16 positions and CRLF texts, as NVivo "
    "counts; the others (and the default) the standard's code points.",
)
@click.option(
    "--offsets",
    type=click.Choice(["codepoints", "utf16"]),
    help="How positions are counted: Unicode code points (the standard, default) or UTF-16 code units (NVivo).",
)
@click.option(
    "--qualcode-block",
    is_flag=True,
    help="Also write qualcode's code fields (id, include/exclude, examples, aliases, patterns) as a visible "
    "[qualcode] block in each Description; by default they travel in XML comments other tools do not show.",
)
@pass_ctx
def export_qdpx_cmd(ctx: Context, path: str, target: str | None, offsets: str | None, qualcode_block: bool) -> None:
    """A REFI-QDA project (.qdpx) with texts, codebook, codings per user, cases and memos.

    \b
    Examples:
      qualcode export qdpx project.qdpx
      qualcode export qdpx --for nvivo for_nvivo.qdpx
    """
    ctx.project().export_qdpx(path, target=target, offsets=offsets, qualcode_block=qualcode_block)
    click.echo(f"Wrote {path}")


@export.command("qdc")
@click.argument("path", type=click.Path(dir_okay=False), callback=_output_path)
@click.option(
    "--qualcode-block",
    is_flag=True,
    help="Also write qualcode's code fields (id, include/exclude, examples, aliases, patterns) as a visible "
    "[qualcode] block in each Description; by default they travel in XML comments other tools do not show.",
)
@pass_ctx
def export_qdc_cmd(ctx: Context, path: str, qualcode_block: bool) -> None:
    """The codebook alone as REFI-QDA (.qdc).

    Example: qualcode export qdc codebook.qdc
    """
    ctx.project().export_qdc(path, qualcode_block=qualcode_block)
    click.echo(f"Wrote {path}")


# ---------------------------------------------------------------------------------------- users/settings
@cli.group()
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


@cli.command("set")
@click.argument("key", type=click.Choice(list(SETTINGS)))
@click.argument("value")
@pass_ctx
def set_setting(ctx: Context, key: str, value: str) -> None:
    """Change a project setting.  Example: qualcode set blind_mode true"""
    ctx.project().set_setting(key, value)
    click.echo(f"{key} = {value}")


@cli.command()
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


@cli.command()
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


# ---------------------------------------------------------------------------------------- suggestions
@cli.group()
def suggest() -> None:
    """Assisted coding: suggestions you accept or reject; nothing is coded without you.

    \b
    Examples:
      qualcode --user alice suggest patterns --document expert_F
      qualcode --user alice suggest accept p-1a2b3c4d
      qualcode suggest evaluate --format json
    """


@suggest.command("patterns")
@click.option("--document", "documents", multiple=True, help="Only these documents (repeatable).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@pass_ctx
def suggest_patterns(ctx: Context, documents: Sequence[str], fmt: str) -> None:
    """Pattern matches (codebook 'patterns') on sentences you have not coded with that code.

    Example: qualcode --user alice suggest patterns --document expert_F
    """
    from ..suggestions import queue

    df = queue(ctx.project(), "patterns", documents=list(documents) or None)
    _emit(
        df[
            [
                c
                for c in ("suggestion_id", "document", "start", "end", "code", "matched_text", "reason")
                if c in df.columns
            ]
        ],
        fmt,
    )


@suggest.command("model")
@click.option("--document", "documents", multiple=True, help="Only these documents (repeatable).")
@click.option("--top-k", type=int, default=3, show_default=True)
@click.option(
    "--order",
    type=click.Choice(["document", "uncertainty"]),
    default="document",
    show_default=True,
    help="'uncertainty' puts the cases the model is least sure about first (active learning).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@pass_ctx
def suggest_model(ctx: Context, documents: Sequence[str], top_k: int, order: str, fmt: str) -> None:
    """Codes a model trained on the project's coded sentences proposes for uncoded ones, with confidence.

    Example: qualcode --user alice suggest model --order uncertainty
    """
    from ..suggestions import queue

    df = queue(ctx.project(), "model", documents=list(documents) or None, top_k=top_k, order=order)
    _emit(
        df[
            [
                c
                for c in ("suggestion_id", "document", "start", "end", "code", "confidence", "reason")
                if c in df.columns
            ]
        ],
        fmt,
    )


@suggest.command("accept")
@click.argument("ids", nargs=-1, required=True)
@click.option("--code", help="Apply this code instead of the suggested one.")
@pass_ctx
def suggest_accept(ctx: Context, ids: Sequence[str], code: str | None) -> None:
    """Accept suggestions by id: each becomes your coding (origin suggestion-accepted).

    Example: qualcode --user alice suggest accept p-1a2b3c4d p-5e6f7a8b
    """
    from ..suggestions import accept

    new = accept(ctx.project(), list(ids), code=code)
    click.echo(f"Accepted {len(new)} suggestion(s) as codings {', '.join(map(str, new))}.")


@suggest.command("reject")
@click.argument("ids", nargs=-1, required=True)
@pass_ctx
def suggest_reject(ctx: Context, ids: Sequence[str]) -> None:
    """Reject suggestions by id (they are not shown to you again).

    Example: qualcode --user alice suggest reject p-1a2b3c4d
    """
    from ..suggestions import reject

    click.echo(f"Rejected {reject(ctx.project(), list(ids))} suggestion(s).")


@suggest.command("evaluate")
@click.option("--unit", type=click.Choice(SUGGESTION_UNITS), default="sentence", show_default=True)
@click.option("--annotators", help="Whose codings are the truth (default: all).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@pass_ctx
def suggest_evaluate(ctx: Context, unit: str, annotators: str | None, fmt: str) -> None:
    """Leave-one-participant-out evaluation of the model against two baselines (majority, patterns).

    Example: qualcode suggest evaluate --format json
    """
    from ..assist import evaluate

    project = ctx.project()
    result = evaluate(project.analysis_data(), unit=unit, annotators=project.check_annotators(_annotators(annotators)))
    if fmt == "json":
        click.echo(json.dumps(result, indent=2, default=str))
        return
    import pandas as pd

    rows = [
        {
            "method": m,
            **{k: result[m][k] for k in ("theme_top1", "theme_top3", "code_top1", "code_top3", "n_units", "n_folds")},
        }
        for m in ("model", "majority", "patterns")
    ]
    click.echo(f"Leave-one-participant-out, unit: {unit}. Top-k: a hit when any true code/theme is among the top k.")
    _emit(pd.DataFrame(rows), "table")


@suggest.command("topics")
@click.option("--n", "n_topics", type=int, default=8, show_default=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@pass_ctx
def suggest_topics(ctx: Context, n_topics: int, fmt: str) -> None:
    """Candidate topics in uncoded text (TF-IDF + NMF): proposals for new codes.

    Example: qualcode suggest topics --n 5
    """
    from ..assist import candidate_topics

    _emit(candidate_topics(ctx.project().analysis_data(), n_topics=n_topics), fmt)


@cli.command("backup")
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


@cli.command("restore")
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


@cli.command()
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
            ],
            env=env,
        )
    )


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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
