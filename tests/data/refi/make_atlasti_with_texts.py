"""Build ``atlasti-8.4-with-texts.qdpx``: the real ATLAS.ti 8.4 Project.qde plus text files.

The ATLAS.ti sample export ships without its ``sources/`` files, so its text selections
cannot be checked.  This script keeps the exported Project.qde byte for byte (CRLF line
ends, capitalised ``Project.qde`` and ``Sources/`` like the real archive) and writes a
stand-in UTF-8 text for each text source and PDF text representation: filler with CRLF
line ends, and at each selection's positions the selection's name when ATLAS.ti used the
quoted text as the name (in full, or its start before a trailing "…").  The stand-ins are
synthetic; the positions, codings and everything else are ATLAS.ti's own.

Positions count each CRLF as one character, as QualCoder's importer documents for ATLAS.ti
("Atlas stored correct positions in the project.qde xml as though it is \\n - one
character", ``load_text_source`` in QualCoder's refi.py): the quotes are placed in the
LF text, which is then written with CRLF line ends.

Run from anywhere:  python tests/data/refi/make_atlasti_with_texts.py
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "atlasti-8.4-standard-project-capitalised.qdpx"
TARGET = HERE / "atlasti-8.4-with-texts.qdpx"
NS = {"q": "urn:QDA-XML:project:1.0"}
FILLER = "Breakfast talk, line by line.\n"
DATE = (2019, 3, 4, 0, 0, 0)


def stand_in_text(selections: list[tuple[int, int, str]]) -> str:
    length = max([end for _, end, _ in selections], default=0) + 40
    chars = list((FILLER * (length // len(FILLER) + 1))[:length])
    for start, end, name in selections:
        quote = name[:-1] if name.endswith("…") else name
        if len(quote) == end - start or (name.endswith("…") and len(quote) < end - start):
            chars[start : start + len(quote)] = list(quote)
    return "".join(chars).replace("\n", "\r\n")


def main() -> None:
    with zipfile.ZipFile(SOURCE) as archive:
        qde = archive.read("Project.qde")
    root = etree.fromstring(qde)
    texts: dict[str, str] = {}
    sources = root.findall("q:Sources/q:TextSource", NS) + root.findall("q:Sources/q:PDFSource/q:Representation", NS)
    for source in sources:
        name = source.get("plainTextPath").removeprefix("internal://")
        selections = [
            (int(s.get("startPosition")), int(s.get("endPosition")), s.get("name"))
            for s in source.iterfind("q:PlainTextSelection", NS)
        ]
        texts[name] = stand_in_text(selections)
    with zipfile.ZipFile(TARGET, "w", compression=zipfile.ZIP_DEFLATED) as out:
        out.writestr(zipfile.ZipInfo("Project.qde", DATE), qde, zipfile.ZIP_DEFLATED)
        out.writestr(zipfile.ZipInfo("Sources/", DATE), b"")
        for name, text in sorted(texts.items()):
            out.writestr(zipfile.ZipInfo(f"Sources/{name}", DATE), text.encode("utf-8"), zipfile.ZIP_DEFLATED)
    print(f"wrote {TARGET.name} with {len(texts)} texts")


if __name__ == "__main__":
    main()
