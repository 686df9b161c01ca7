"""``qualcode suggest …``: assisted coding, suggestions the user accepts or rejects."""

from __future__ import annotations

import json
from collections.abc import Sequence

import click

from ..vocabulary import SUGGESTION_UNITS
from .common import FORMATS, Context, _annotators, _emit, pass_ctx


@click.group()
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
