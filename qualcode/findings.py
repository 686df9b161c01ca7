"""Findings sentences: the thesis's sentence frame per theme, followed by the evidence.

For every main theme, sub-theme and cross-cutting theme, :func:`findings_blocks` writes the
frame the thesis uses for the participants with at least one excerpt under it —

* one: "According to Expert (C), …"
* two: "Both Experts (F) and (H) noted …"
* three or more: "Six Experts (A,B,C,D,E,F) highlighted …" (number words up to twelve)

— and then each supporting excerpt with its code, so a writer starts from the evidence rather
than from counting by hand.  The "…" is left for the writer: qualcode does not summarise.
:func:`findings_markdown` renders the blocks as Markdown; the .docx appendix puts them in a
"Findings" section.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from .frames import AnalysisData
from .reports import _label_parts, _phrase_from_tags, natural_key

Block = tuple[str, str]  # (kind, text): heading | subheading | sentence | quote


def finding_sentence(ids: Iterable[str], labels: Mapping[str, str] | None = None) -> str:
    """The thesis's sentence frame for the participants ``ids`` (order and duplicates ignored).

    >>> finding_sentence(["C"])
    'According to Expert (C), …'
    >>> finding_sentence(["H", "F"])
    'Both Experts (F) and (H) noted …'
    >>> finding_sentence("FEDCBA")
    'Six Experts (A,B,C,D,E,F) highlighted …'
    >>> finding_sentence([])
    'No Experts: nothing is coded here yet.'
    """
    labels = labels or {}
    tags: list[str] = []
    nouns: set[str] = set()
    for pid in {str(i) for i in ids}:
        noun, tag = _label_parts(labels.get(pid))
        tags.append(tag or pid)
        if noun:
            nouns.add(noun)
    tags = sorted(set(tags), key=natural_key)
    singular = nouns.pop() if len(nouns) == 1 else "Expert"
    phrase = _phrase_from_tags(tags, singular, prose=True)
    if not tags:
        return f"No {phrase.split(' ', 1)[1]}: nothing is coded here yet."
    if len(tags) == 1:
        return f"According to {phrase}, …"
    if len(tags) == 2:
        return f"{phrase} noted …"
    return f"{phrase[0].upper()}{phrase[1:]} highlighted …"


def _speaker(label: str) -> str:
    noun, tag = _label_parts(label)
    return f"{noun} {tag}" if noun and tag else label


def _excerpts(data: AnalysisData, code_ids: Sequence[str]) -> pd.DataFrame:
    """Distinct excerpts (document, start, end, code) of the codes, participants in natural order."""
    c = data.codings
    c = c.loc[c["code"].astype(str).isin(list(code_ids))]
    if not len(c):
        return c.assign(text=pd.Series(dtype=object))
    c = c.drop_duplicates(["document", "start", "end", "code"]).copy()
    texts = []
    for row in c.itertuples():
        quote = row.quote if isinstance(row.quote, str) else data.texts.get(row.document, "")[row.start : row.end]
        texts.append(" ".join(str(quote).split()))
    c["text"] = texts
    order = {cid: i for i, cid in enumerate(data.codebook.codes)}
    c["_p"] = c["participant"].map(lambda p: natural_key(str(p)))
    c["_c"] = c["code"].map(lambda x: order.get(str(x), len(order)))
    return c.sort_values(["_p", "_c", "document", "start"]).drop(columns=["_p", "_c"])


def _theme_blocks(
    data: AnalysisData, kind: str, label: str, code_ids: Sequence[str], quoted: Sequence[str] | None = None
) -> list[Block]:
    """Heading, sentence over ``code_ids``' participants, then the excerpts of ``quoted``
    (default: all of ``code_ids``; a theme with sub-themes quotes only its own codes, the
    sub-themes quote the rest)."""
    labels = dict(zip(data.participants["participant"].astype(str), data.participants["label"].astype(str)))
    ex = _excerpts(data, code_ids)
    ids = [str(p) for p in ex["participant"].dropna()] if len(ex) else []
    blocks: list[Block] = [(kind, label), ("sentence", finding_sentence(ids, labels))]
    codebook = data.codebook
    if quoted is not None:
        ex = ex.loc[ex["code"].astype(str).isin(list(quoted))]
    for row in ex.itertuples():
        pid = str(row.participant)
        who = _speaker(labels.get(pid, pid))
        code = codebook.codes[str(row.code)].label if str(row.code) in codebook.codes else str(row.code)
        blocks.append(("quote", f"{who}: '{row.text}' ({code})"))
    return blocks


def findings_blocks(data: AnalysisData) -> list[Block]:
    """Per main theme, each sub-theme (any depth, file order) and each cross-cutting theme:
    a heading, the sentence frame and the supporting excerpts with their codes."""
    codebook = data.codebook
    blocks: list[Block] = []

    def walk(parent: str | None, depth: int) -> None:
        for tid in codebook.child_themes(parent):
            kind = "heading" if depth == 0 else "subheading"
            own = [c.id for c in codebook.codes.values() if c.theme == tid]
            blocks.extend(_theme_blocks(data, kind, codebook.themes[tid].label, codebook.codes_in(tid), own))
            walk(tid, depth + 1)

    walk(None, 0)
    for cross in codebook.cross_cutting.values():
        blocks.extend(_theme_blocks(data, "heading", f"Cross-cutting: {cross.label}", list(cross.codes)))
    return blocks


def findings_markdown(blocks: Sequence[Block], title: str = "Findings") -> str:
    lines = [f"# {title}", ""]
    for kind, text in blocks:
        if kind != "quote" and lines[-1].startswith("- "):
            lines.append("")
        if kind == "heading":
            lines += [f"## {text}", ""]
        elif kind == "subheading":
            lines += [f"### {text}", ""]
        elif kind == "quote":
            lines.append(f"- {text}")
        else:
            lines += [text, ""]
    return "\n".join(lines).rstrip() + "\n"


__all__ = ["finding_sentence", "findings_blocks", "findings_markdown"]
