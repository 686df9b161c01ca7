"""A code's or theme's excerpts as a readable document: Markdown (.md) or Word (.docx).

Pure functions of the frame :func:`qualcode.retrieval.excerpts` returns (no database, no
project files): grouped by participant, each excerpt with its code path, the full quote, who
coded it and the memo, the way a coder reads a node's references in NVivo or ATLAS.ti.

Interview text is untrusted: in Markdown every character a renderer would read as markup
(``*``, ``_``, ``<``, ``#``, ``[`` …) is escaped, so a quote is shown as written and can neither
format the document nor inject HTML; in Word it is plain run text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import ConfigError, Problem
from ..fileio import atomic_write

FORMATS = ("md", "docx")
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_MD_INLINE = re.compile(r"([\\`*_\[\]|<>~$&])")  # markup anywhere in a line
_MD_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")  # block markup at a line's start


@dataclass(frozen=True)
class ExcerptsHeader:
    """What the document is about: the node's path, kind and the project's title."""

    node_path: str  # "Theme › Sub-theme › Code", or "All codes"
    kind: str  # "code", "theme", "cross_cutting" or "all"
    project_title: str = ""
    filters: str = ""  # e.g. "Participants: A, B" ("" when nothing is filtered)


def md_escape(text: str) -> str:
    r"""Text shown literally by a Markdown renderer.

    >>> md_escape("*bold* <script>x</script> #1, well.")
    '\\*bold\\* \\<script\\>x\\</script\\> #1, well.'
    >>> md_escape("# not a heading"), md_escape("1. not a list")
    ('\\# not a heading', '1\\. not a list')
    """
    text = _MD_INLINE.sub(r"\\\1", str(text))
    return "\n".join(_MD_LINE_START.sub(_escape_marker, line) for line in text.split("\n"))


def _escape_marker(match: re.Match[str]) -> str:
    """``# x`` -> ``\\# x``; ``1. x`` -> ``1\\. x`` (a backslash before the list dot)."""
    space, marker = match.group(1), match.group(2)
    if marker[0].isdigit():
        return space + marker[:-1] + "\\" + marker[-1]
    return space + "\\" + marker


def _summary(frame: pd.DataFrame, header: ExcerptsHeader) -> str:
    n = len(frame)
    people = frame["participant"].replace("", pd.NA).dropna().nunique()
    kind = {"code": "Code", "theme": "Theme", "cross_cutting": "Cross-cutting theme", "all": "Codes"}[header.kind]
    text = f"{kind}: {header.node_path}. {n} excerpt{'s' if n != 1 else ''} from {people} participant{'s' if people != 1 else ''}."
    return text + (f" {header.filters}." if header.filters else "")


def _groups(frame: pd.DataFrame) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """(participant label, document, rows) in the frame's order (participant, document, position)."""
    keys = list(dict.fromkeys(zip(frame["participant_label"], frame["document"])))
    for label, document in keys:
        rows = frame.loc[(frame["participant_label"] == label) & (frame["document"] == document)]
        yield str(label or "Unknown participant"), str(document), rows


def _byline(row: pd.Series) -> str:
    return f"Coded by {row['annotator']} · characters {int(row['start'])}–{int(row['end'])}"


def to_markdown(frame: pd.DataFrame, header: ExcerptsHeader) -> str:
    """The excerpts as Markdown: a title, one section per participant and interview, each
    excerpt as a block quote with its code path, coder and memo."""
    lines = [f"# Excerpts: {md_escape(header.node_path)}", ""]
    if header.project_title:
        lines += [f"*{md_escape(header.project_title)}*", ""]
    lines += [md_escape(_summary(frame, header)), ""]
    for label, document, rows in _groups(frame):
        lines += [f"## {md_escape(label)} ({md_escape(document)})", ""]
        for _, row in rows.iterrows():
            lines += [f"**{md_escape(row['code_path'])}**", ""]
            quote = str(row["quote"]).strip() or "(empty)"
            lines += ["> " + md_escape(line) if line.strip() else ">" for line in quote.split("\n")]
            lines += ["", f"*{md_escape(_byline(row))}*", ""]
            if str(row["memo"]).strip():
                lines += [f"Memo: {md_escape(str(row['memo']).strip())}", ""]
    return "\n".join(lines).rstrip() + "\n"


def to_docx_bytes(frame: pd.DataFrame, header: ExcerptsHeader) -> bytes:
    """The excerpts as a Word document (headings per participant, quotes indented)."""
    from docx import Document
    from docx.shared import Pt, RGBColor

    doc = Document()
    doc.core_properties.title = f"Excerpts: {header.node_path}"
    doc.add_heading(f"Excerpts: {header.node_path}", level=1)
    if header.project_title:
        doc.add_paragraph(header.project_title).runs[0].italic = True
    doc.add_paragraph(_summary(frame, header))
    grey = RGBColor(0x59, 0x59, 0x59)
    for label, document, rows in _groups(frame):
        doc.add_heading(f"{label} ({document})", level=2)
        for _, row in rows.iterrows():
            path = doc.add_paragraph()
            run = path.add_run(str(row["code_path"]))
            run.bold = True
            run.font.size = Pt(10)
            quote = doc.add_paragraph(str(row["quote"]).strip() or "(empty)")
            quote.paragraph_format.left_indent = Pt(24)
            by = doc.add_paragraph()
            meta = by.add_run(_byline(row))
            meta.italic = True
            meta.font.size = Pt(9)
            meta.font.color.rgb = grey
            if str(row["memo"]).strip():
                memo = doc.add_paragraph()
                memo.add_run("Memo: ").bold = True
                memo.add_run(str(row["memo"]).strip())
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def excerpts_bytes(frame: pd.DataFrame, header: ExcerptsHeader, fmt: str) -> bytes:
    """The document in ``fmt`` ("md" or "docx") as bytes."""
    check_format(fmt)
    if fmt == "md":
        return to_markdown(frame, header).encode("utf-8")
    return to_docx_bytes(frame, header)


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ConfigError(
            Problem(f"cannot write excerpts as '{fmt}'.", field="format", hint="Use --format md or --format docx.")
        )
    return fmt


def write_excerpts(frame: pd.DataFrame, header: ExcerptsHeader, path: Path | str, fmt: str | None = None) -> Path:
    """Write the document to ``path`` (format from ``fmt`` or the suffix), atomically."""
    out = Path(path)
    fmt = check_format(fmt or out.suffix.lower().lstrip(".") or "md")
    return atomic_write(out, excerpts_bytes(frame, header, fmt))


def file_name(node: str | None, fmt: str) -> str:
    """A download name such as ``excerpts_trend_change.docx``."""
    from ..slug import slugify

    return f"excerpts_{slugify(node) if node else 'all_codes'}.{fmt}"


__all__ = [
    "DOCX_MIME",
    "FORMATS",
    "ExcerptsHeader",
    "check_format",
    "excerpts_bytes",
    "file_name",
    "md_escape",
    "to_docx_bytes",
    "to_markdown",
    "write_excerpts",
]
