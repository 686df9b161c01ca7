"""``qualcode report …``: the count reports (themes, codes, experts, matrix, co-occurrence,
quotes, findings, consolidation, saturation).  The agreement reports are in :mod:`.agreement`."""

from __future__ import annotations

import json
from typing import Any

import click

from ..vocabulary import COOCCURRENCE_UNITS
from .common import FORMATS, Context, _annotators, _emit, _emit_counted, _pooled, _report_options, pass_ctx


@click.group()
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
