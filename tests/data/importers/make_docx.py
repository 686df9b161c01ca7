"""Rebuild the .docx sample files in this folder from raw OOXML parts.

Run from anywhere:  python tests/data/importers/make_docx.py

The files are written part by part (no python-docx) so that they contain exactly the
comment markup Word and Google Docs produce: ``w:commentRangeStart``/``End`` inside and
between paragraphs, overlapping and cross-paragraph ranges, threaded replies
(``commentsExtended.xml``), a comment without a range, runs split mid-word, tables, tabs,
line breaks and empty paragraphs.  The zip timestamps are fixed so rebuilding gives
byte-identical files.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).parent
NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" '
    'xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'mc:Ignorable="w14 w15"'
)
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
FIXED_TIME = (2024, 5, 1, 12, 0, 0)

# A paragraph is a list of items: "text" (a run), ("start", id), ("end", id), ("ref", id),
# ("tab",), ("br",), ("del", "text") (tracked deletion), ("ins", "text") (tracked insertion),
# ("bookmark",).  A block-level marker is ("start", id) / ("end", id) in place of a paragraph;
# ("table", [[cell paragraphs...], ...]) is a one-row table.


def run(text: str) -> str:
    return f'<w:r><w:rPr><w:lang w:val="en-GB"/></w:rPr><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def inline(item) -> str:
    if isinstance(item, str):
        return run(item)
    kind = item[0]
    if kind == "start":
        return f'<w:commentRangeStart w:id="{item[1]}"/>'
    if kind == "end":
        return f'<w:commentRangeEnd w:id="{item[1]}"/>'
    if kind == "ref":
        return f'<w:r><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr><w:commentReference w:id="{item[1]}"/></w:r>'
    if kind == "tab":
        return "<w:r><w:tab/></w:r>"
    if kind == "br":
        return "<w:r><w:br/></w:r>"
    if kind == "del":
        return (
            f'<w:del w:id="90" w:author="Editor" w:date="2024-05-01T10:00:00Z">'
            f"<w:r><w:delText>{escape(item[1])}</w:delText></w:r></w:del>"
        )
    if kind == "ins":
        return f'<w:ins w:id="91" w:author="Editor" w:date="2024-05-01T10:00:00Z">{run(item[1])}</w:ins>'
    if kind == "bookmark":
        return '<w:bookmarkStart w:id="0" w:name="_GoBack"/><w:proofErr w:type="spellStart"/>'
    raise ValueError(item)


def paragraph(items, para_id: str | None = None) -> str:
    attr = f' w14:paraId="{para_id}" w14:textId="77777777"' if para_id else ""
    return f'<w:p{attr}><w:pPr><w:pStyle w:val="Normal"/></w:pPr>' + "".join(inline(i) for i in items) + "</w:p>"


def block(item) -> str:
    if isinstance(item, tuple) and item[0] in ("start", "end"):
        return inline(item)
    if isinstance(item, tuple) and item[0] == "table":
        cells = "".join("<w:tc><w:tcPr/>" + "".join(paragraph(p) for p in cell) + "</w:tc>" for cell in item[1])
        return f"<w:tbl><w:tblPr/><w:tblGrid/><w:tr>{cells}</w:tr></w:tbl>"
    return paragraph(item)


def document_xml(blocks) -> str:
    body = "".join(block(b) for b in blocks)
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document {NS}><w:body>'
        f'{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>'
    )


def comments_xml(comments) -> str:
    """comments: list of (id, author, date, text lines, para_id)."""
    parts = []
    for cid, author, date, lines, para_id in comments:
        date_attr = f' w:date="{date}"' if date else ""
        paras = []
        for i, line in enumerate(lines):
            pid = para_id if i == len(lines) - 1 else None
            paras.append(paragraph([line], pid))
        parts.append(
            f'<w:comment w:id="{cid}" w:author="{escape(author)}"{date_attr} '
            f'w:initials="{escape(author[:1])}">{"".join(paras)}</w:comment>'
        )
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:comments {NS}>{"".join(parts)}</w:comments>'


def comments_extended_xml(threads) -> str:
    """threads: list of (para_id, parent para_id or None)."""
    items = "".join(
        f'<w15:commentEx w15:paraId="{pid}"' + (f' w15:paraIdParent="{parent}"' if parent else "") + ' w15:done="0"/>'
        for pid, parent in threads
    )
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w15:commentsEx {NS}>{items}</w15:commentsEx>'


def core_xml(title: str, creator: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(title)}</dc:title><dc:creator>{escape(creator)}</dc:creator>"
        '<dcterms:created xsi:type="dcterms:W3CDTF">2024-05-01T12:00:00Z</dcterms:created>'
        "</cp:coreProperties>"
    )


def write_docx(path: Path, blocks, comments, *, threads=None, core=None) -> None:
    overrides = [
        ("/word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
        ("/word/comments.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"),
    ]
    doc_rels = [("rId1", f"{DOC_REL}/comments", "comments.xml")]
    if threads:
        overrides.append(
            (
                "/word/commentsExtended.xml",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtended+xml",
            )
        )
        doc_rels.append(
            ("rId2", "http://schemas.microsoft.com/office/2011/relationships/commentsExtended", "commentsExtended.xml")
        )
    root_rels = [("rId1", f"{DOC_REL}/officeDocument", "word/document.xml")]
    if core:
        overrides.append(("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"))
        root_rels.append(
            (
                "rId2",
                "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
                "docProps/core.xml",
            )
        )
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{n}" ContentType="{t}"/>' for n, t in overrides)
        + "</Types>"
    )

    def rels(items) -> str:
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{REL_NS}">'
            + "".join(f'<Relationship Id="{i}" Type="{t}" Target="{target}"/>' for i, t, target in items)
            + "</Relationships>"
        )

    parts = {
        "[Content_Types].xml": content_types,
        "_rels/.rels": rels(root_rels),
        "word/document.xml": document_xml(blocks),
        "word/_rels/document.xml.rels": rels(doc_rels),
        "word/comments.xml": comments_xml(comments),
    }
    if threads:
        parts["word/commentsExtended.xml"] = comments_extended_xml(threads)
    if core:
        parts["docProps/core.xml"] = core_xml(*core)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content.encode("utf-8"))


def word_style() -> None:
    """English interview as Word writes it: overlapping, cross-paragraph comments, a reply."""
    blocks = [
        ["Interviewer: How did the programme ", "start?"],
        [
            "Expert C: It started in 2010 when ",
            ("start", 0),
            "the ministry ",
            ("start", 1),
            "cut the bud",
            "get",
            ("end", 0),
            ("ref", 0),
            ". We had to ",
            ("bookmark",),
            "find partners",
            ("end", 1),
            ("ref", 1),
            " ",
            ("start", 2),
            "quickly.",
            ("tab",),
            "Really",
            ("br",),
            "quickly.",
        ],
        ["Interviewer: What was ", ("del", "the "), "hardest?"],
        [
            "Expert C: ",
            ("ins", "Trust"),
            " between the agencies",
            ("end", 2),
            ("ref", 2),
            ". Nobody shared data at first.",
            ("start", 4),
            ("end", 4),
            ("ref", 4),
            ("ref", 5),
        ],
        ("table", [[["Observer note:"]], [[("start", 6), "Calm and open", ("end", 6), ("ref", 6)]]]),
        [],
    ]
    comments = [
        (0, "Alice", "2024-05-02T09:00:00Z", ["Funding cuts"], "10000001"),
        (1, "Bob", "2024-05-02T09:05:00Z", ["  Partnerships  "], "10000002"),
        (2, "Alice", "2024-05-02T09:10:00Z", ["Trust", "(spans the question)"], "10000003"),
        (3, "Bob", "2024-05-02T09:20:00Z", ["Agree, but note the year."], "10000004"),
        (4, "Alice", None, ["Empty range"], "10000005"),
        (5, "Alice", None, ["No range at all"], "10000006"),
        (6, "Carol", "2024-05-03T10:00:00Z", ["Atmosphere"], "10000007"),
    ]
    # Comment 3 is a threaded reply to comment 0: it shares comment 0's range in Word.
    blocks[1][1:1] = [("start", 3)]
    blocks[1].insert(blocks[1].index(("end", 0)) + 1, ("end", 3))
    threads = [
        ("10000001", None),
        ("10000002", None),
        ("10000003", None),
        ("10000004", "10000001"),
        ("10000005", None),
        ("10000006", None),
        ("10000007", None),
    ]
    write_docx(HERE / "expert_C.docx", blocks, comments, threads=threads, core=("Interview with expert C", "Alice"))


def russian_with_front_matter() -> None:
    """Russian interview with a front-matter block and a comment over two paragraphs."""
    blocks = [
        ["---"],
        ["participant: R"],
        ["label: Эксперт (R)"],
        ["organisation: Минздрав"],
        ["language: ru"],
        ["---"],
        ["Интервьюер: Как начинался проект?"],
        ["Эксперт: Всё началось в 2010 году. ", ("start", 0), "Бюджет сократили,", " и мы искали партнёров."],
        ["Интервьюер: Что было труднее всего?"],
        [
            "Эксперт: Доверие между ведомствами",
            ("end", 0),
            ("ref", 0),
            ". ",
            ("start", 1),
            "Никто не делился данными",
            ("end", 1),
            ("ref", 1),
            ".",
        ],
    ]
    comments = [
        (0, "Иван", "2024-06-01T08:00:00Z", ["Финансирование"], None),
        (1, "Мария", "2024-06-01T08:30:00Z", ["Доверие"], None),
    ]
    write_docx(HERE / "expert_R.docx", blocks, comments, core=("Интервью R", "Иван"))


def google_docs_style() -> None:
    """Google Docs export: block-level range markers, empty paragraphs, no core properties."""
    blocks = [
        ["Moderator: Tell me about the pilot."],
        [],
        ("start", 0),
        ["Participant D: It was chaotic at first. ", ("start", 1), "Then the ", "team settled."],
        ("end", 0),
        [("ref", 0)],
        [],
        ["Moderator: ", "And now?"],
        ["Participant D: Now it runs", ("end", 1), ("ref", 1), " smoothly."],
    ]
    comments = [
        (0, "Dana Researcher", "2024-05-02T10:11:12Z", ["Implementation problems"], None),
        (1, "Eli Coder", "2024-05-02T10:12:00Z", ["change over time"], None),
    ]
    write_docx(HERE / "gdocs_D.docx", blocks, comments)


if __name__ == "__main__":
    word_style()
    russian_with_front_matter()
    google_docs_style()
    print("wrote", ", ".join(p.name for p in sorted(HERE.glob("*.docx"))))
