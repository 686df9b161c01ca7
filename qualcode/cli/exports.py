"""``qualcode export …``: the Excel workbook, the thesis appendix, REFI-QDA files."""

from __future__ import annotations

import click

from ..vocabulary import SEGMENT_KINDS
from .common import Context, _annotators, _output_path, pass_ctx


@click.group()
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
