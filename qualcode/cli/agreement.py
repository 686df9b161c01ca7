"""``qualcode report agreement`` and ``report disagreements``: inter-coder reliability."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ..vocabulary import SEGMENT_KINDS
from .common import UNITS, Context, _annotators, _emit, _report_options, pass_ctx


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


@click.command("agreement")
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


@click.command("disagreements")
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
