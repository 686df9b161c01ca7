"""Build the REFI-QDA fixtures that reproduce how other tools really write their exports.

These are **reproductions**, not real exports (most real exports are not licensed for
redistribution): each one is built here from the REFI-QDA 1.5 specification and the
tools' documented or observed behaviour, cited next to each builder.  See README.md.

Run from anywhere:  python tests/data/refi/make_tool_fixtures.py
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
DATE = (2024, 1, 1, 0, 0, 0)
PROJECT_NS = "urn:QDA-XML:project:1.0"


def utf16(text: str, position: int) -> int:
    """A code-point position of ``text`` counted in UTF-16 code units (NVivo's counting)."""
    return len(text[:position].encode("utf-16-le")) // 2


def element(parent: etree._Element | None, tag: str, ns: str | None = PROJECT_NS, **attrib: str) -> etree._Element:
    name = f"{{{ns}}}{tag}" if ns else tag
    if parent is None:
        return etree.Element(name, attrib, nsmap={None: ns} if ns else None)
    return etree.SubElement(parent, name, attrib)


def write_archive(name: str, qde: bytes, files: dict[str, bytes], qde_name: str = "project.qde") -> None:
    with zipfile.ZipFile(HERE / name, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(qde_name, DATE), qde, zipfile.ZIP_DEFLATED)
        for member, data in files.items():
            archive.writestr(zipfile.ZipInfo(member, DATE), data, zipfile.ZIP_DEFLATED)


def xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


# --------------------------------------------------------------------------- NVivo
# NVivo (a .NET program) counts positions in UTF-16 code units, and counts each CRLF of the
# plain text it ships as two (QualCoder issue #37, "Text coding positions do not match up"
# with NVivo exports; QualCoder's importer pads CRLF texts "when testing with Windows Nvivo
# export").  Texts are UTF-8 with a BOM and CRLF line ends; GUIDs upper case in braces.
NVIVO_TEXTS = {
    "Chat log.txt": (
        "Ana: ok 👍 see you at the station 🚉\r\n"
        "Ben: running late 😅😅 the 𝟙𝟚 bus again\r\n"
        "Ana: no worries 🙂 the migrants' centre opens at nine\r\n"
    ),
    "Interview Ana.docx": (
        "Interviewer: What changed after the border closed?\r\n"
        "Ana: Everything 🌍 changed. The family in 𠀋𠀍 village could not travel.\r\n"
        "Ana: We sent money 💸 instead, every month.\r\n"
    ),
}
# (source, quote, code, user): what NVivo coded; positions are computed from the CRLF text
NVIVO_CODINGS = [
    ("Chat log.txt", "see you at the station", "Transport", "Ana K"),
    ("Chat log.txt", "the 𝟙𝟚 bus again", "Transport", "Ana K"),
    ("Chat log.txt", "the migrants' centre opens at nine", "Services", "Ben O"),
    ("Interview Ana.docx", "Everything 🌍 changed", "Change", "Ana K"),
    ("Interview Ana.docx", "could not travel", "Transport", "Ben O"),
    ("Interview Ana.docx", "We sent money 💸 instead, every month.", "Remittances", "Ana K"),
]
# A source whose text changed after coding: its positions land mid-word however they are counted.
NVIVO_EDITED = "Edited later.txt"
NVIVO_EDITED_TEXT = "Notes 📝 typed on the phone 📱 and 🔁 retyped 🙃 later, so 🧭 positions drifted.\r\n"
NVIVO_EDITED_SPANS = [(9, 13), (22, 31), (41, 47)]  # as written (UTF-16); mid-word under every counting


def nvivo_guid(n: int) -> str:
    return "{" + f"{n:08X}-4E56-4976-AAAA-000000000000" + "}"


def make_nvivo() -> None:
    root = element(None, "Project", name="Border study", origin="NVivo 14.23.0.13 (Windows)")
    users = element(root, "Users")
    user_guids = {}
    for i, name in enumerate(["Ana K", "Ben O", "Chris (no codings)"], start=1):
        user_guids[name] = nvivo_guid(0x100 + i)
        element(users, "User", guid=user_guids[name], name=name)
    codes_el = element(element(root, "CodeBook"), "Codes")
    code_guids = {}
    parent = element(codes_el, "Code", guid=nvivo_guid(0x200), name="Mobility", isCodable="true")
    for i, name in enumerate(["Transport", "Change", "Services", "Remittances"], start=1):
        code_guids[name] = nvivo_guid(0x200 + i)
        element(
            parent if name != "Remittances" else codes_el, "Code", guid=code_guids[name], name=name, isCodable="true"
        )
    variables = element(root, "Variables")
    element(variables, "Variable", guid=nvivo_guid(0x300), name="Age", typeOfVariable="Integer")
    cases = element(root, "Cases")
    source_guids = {name: nvivo_guid(0x400 + i) for i, name in enumerate([*NVIVO_TEXTS, NVIVO_EDITED], start=1)}
    for i, (case, source, age) in enumerate(
        [("Ana", "Interview Ana.docx", "34"), ("Ben", "Chat log.txt", None), ("Dana (not interviewed)", None, "51")]
    ):
        case_el = element(cases, "Case", guid=nvivo_guid(0x500 + i), name=case)
        if age is not None:  # integer variable with gaps: Ben has no age
            value = element(case_el, "VariableValue")
            element(value, "VariableRef", targetGUID=nvivo_guid(0x300))
            element(value, "IntegerValue").text = age
        if source:
            element(case_el, "SourceRef", targetGUID=source_guids[source])
    sources = element(root, "Sources")
    files: dict[str, bytes] = {}
    n = 0
    for name, raw in [*NVIVO_TEXTS.items(), (NVIVO_EDITED, NVIVO_EDITED_TEXT)]:
        guid = source_guids[name]
        file = guid.strip("{}") + ".txt"
        files[f"sources/{file}"] = b"\xef\xbb\xbf" + raw.encode("utf-8")
        source = element(sources, "TextSource", guid=guid, name=name, plainTextPath=f"internal://{file}")
        if name == NVIVO_EDITED:
            spans = [(s, e, "Change", "Ana K") for s, e in NVIVO_EDITED_SPANS]
        else:
            spans = []
            for doc, quote, code, user in NVIVO_CODINGS:
                if doc == name:
                    start = raw.index(quote)  # positions in the CRLF text (CRLF as two), in UTF-16 units
                    spans.append((utf16(raw, start), utf16(raw, start + len(quote)), code, user))
        for start, end, code, user in spans:
            n += 1
            selection = element(
                source,
                "PlainTextSelection",
                guid=nvivo_guid(0x600 + n),
                startPosition=str(start),
                endPosition=str(end),
                creatingUser=user_guids[user],
            )
            coding = element(selection, "Coding", guid=nvivo_guid(0x700 + n), creatingUser=user_guids[user])
            element(coding, "CodeRef", targetGUID=code_guids[code])
    write_archive("nvivo-14-utf16-crlf.qdpx", xml(root), files)


# --------------------------------------------------------------------------- qc
# qc (cproctor/qualitative-coding) 1.3 wrote plainTextPath as the bare document name
# (``board_2017.txt``) with the file in ``sources/``; origin "qc 1.3", name "qc project",
# whole-line selections named "line:N", one User per coder (cproctor/qualitative-coding
# issue #71 on its source paths; its refi_qda/writer.py for the rest).
QC_TEXT = "The board met in March.\nBudget cuts were discussed.\nNo decision was taken.\n"


def make_qc() -> None:
    root = element(None, "Project", origin="qc 1.3", name="qc project")
    users = element(root, "Users")
    element(users, "User", name="chris", guid="63346534-3339-6635-3830-656264303062")
    codes = element(element(root, "CodeBook"), "Codes")
    element(codes, "Code", name="budget", guid="31326266-6166-6165-3839-626662386331", isCodable="true")
    sources = element(root, "Sources")
    source = element(
        sources,
        "TextSource",
        plainTextPath="board_2017.txt",
        guid="37623164-3332-3134-3533-326233313261",
        name="board_2017.txt",
    )
    start = QC_TEXT.index("Budget")
    end = QC_TEXT.index("\n", start) + 1  # qc's line includes its newline
    selection = element(
        source,
        "PlainTextSelection",
        guid="36653961-6430-3531-6639-633834353763",
        name="line:1",
        startPosition=str(start),
        endPosition=str(end),
    )
    coding = element(
        selection,
        "Coding",
        guid="65323230-3339-3465-6331-343961643536",
        creatingUser="63346534-3339-6635-3830-656264303062",
    )
    element(coding, "CodeRef", targetGUID="31326266-6166-6165-3839-626662386331")
    write_archive("qc-1.3-bare-paths.qdpx", xml(root), {"sources/board_2017.txt": QC_TEXT.encode("utf-8")})


# --------------------------------------------------------------------------- MAXQDA
# MAXQDA: capitalised ``Sources/`` folder and ``Project.qde``, UTF-8 texts with a BOM,
# selection names that are the coded text, cases (document groups) that include one with no
# source, variables on sources, codes nested under codable parents (QualCoder issues #281
# and #396 discuss MAXQDA exports; the REFI-QDA 1.5 specification for the structure).
MAXQDA_TEXT = "Q: How do you get to work?\r\nA: By bike, mostly. In winter I take the tram.\r\n"


def make_maxqda() -> None:
    root = element(None, "Project", name="Commuting 2024", origin="MAXQDA 24 (Release 24.2.0)")
    users = element(root, "Users")
    element(users, "User", guid="5C94BC9E-DB8C-4F1D-9CD6-E900C7440860", name="Mia")
    element(users, "User", guid="5C94BC9E-DB8C-4F1D-9CD6-E900C7440861", name="Noor")  # no codings
    codes = element(element(root, "CodeBook"), "Codes")
    mode = element(
        codes, "Code", guid="2DFBA8C9-59F5-4424-99D6-EA9BCE181300", name="Mode", isCodable="true", color="#FF0000"
    )
    element(mode, "Description").text = "How people travel."
    for i, name in enumerate(["Bike", "Tram"], start=1):
        element(
            mode, "Code", guid=f"2DFBA8C9-59F5-4424-99D6-EA9BCE18130{i}", name=name, isCodable="true", color="#FF0000"
        )
    variables = element(root, "Variables")
    element(variables, "Variable", guid="0D3A1F7E-0000-4000-8000-000000000001", name="Year", typeOfVariable="Integer")
    element(variables, "Variable", guid="0D3A1F7E-0000-4000-8000-000000000002", name="Length", typeOfVariable="Float")
    cases = element(root, "Cases")
    for i, (name, year) in enumerate([("Respondent 1", "2021"), ("Respondent 2", None), ("Respondent 3", "2024")]):
        case = element(cases, "Case", guid=f"CA5E0000-0000-4000-8000-00000000000{i}", name=name)
        if year:
            value = element(case, "VariableValue")
            element(value, "VariableRef", targetGUID="0D3A1F7E-0000-4000-8000-000000000001")
            element(value, "IntegerValue").text = year
        if i == 0:
            element(case, "SourceRef", targetGUID="08CBCED0-D736-44C8-8FD6-EB4D29FE4600")
    sources = element(root, "Sources")
    source = element(
        sources,
        "TextSource",
        guid="08CBCED0-D736-44C8-8FD6-EB4D29FE4600",
        name="Commute R1",
        plainTextPath="internal://08CBCED0-D736-44C8-8FD6-EB4D29FE4600.txt",
    )
    value = element(source, "VariableValue")
    element(value, "VariableRef", targetGUID="0D3A1F7E-0000-4000-8000-000000000002")
    element(value, "FloatValue").text = "12.5"
    for i, (quote, _code) in enumerate([("By bike, mostly.", "Bike"), ("In winter I take the tram.", "Tram")], start=1):
        start = MAXQDA_TEXT.index(quote)
        selection = element(
            source,
            "PlainTextSelection",
            guid=f"76414714-63C4-4A25-A47E-66FEF80BD5{i:02d}",
            name=quote,
            startPosition=str(start),
            endPosition=str(start + len(quote)),
            creatingUser="5C94BC9E-DB8C-4F1D-9CD6-E900C7440860",
        )
        coding = element(
            selection,
            "Coding",
            guid=f"76414714-63C4-4A25-A47E-66FEF80BD6{i:02d}",
            creatingUser="5C94BC9E-DB8C-4F1D-9CD6-E900C7440860",
        )
        element(coding, "CodeRef", targetGUID=f"2DFBA8C9-59F5-4424-99D6-EA9BCE18130{i}")
    write_archive(
        "maxqda-24-capitalised-bom.qdpx",
        xml(root),
        {"Sources/08CBCED0-D736-44C8-8FD6-EB4D29FE4600.txt": b"\xef\xbb\xbf" + MAXQDA_TEXT.encode("utf-8")},
        qde_name="Project.qde",
    )


# --------------------------------------------------------------------------- codebooks
# Taguette (export.py ``codebook_xml``): one flat Code per tag, name = the tag's path (a
# hierarchy written as ``parent\child``), GUID uuid5 in upper case, isCodable="true", no
# descriptions, an empty ``<Sets/>``.  1.4 declares the codebook namespace, older releases none.
TAGUETTE_TAGS = ["interesting", "people\\family", "people\\friends", "people", "places\\home"]


def make_taguette(name: str, ns: str | None) -> None:
    import uuid

    namespace = uuid.UUID("51B2B2B7-27EB-4ECB-9D56-E75B0A0496C2")
    root = element(None, "CodeBook", ns=ns, origin="Taguette 1.4.1")
    codes = element(root, "Codes", ns=ns)
    for tag in TAGUETTE_TAGS:
        element(codes, "Code", ns=ns, guid=str(uuid.uuid5(namespace, tag)).upper(), name=tag, isCodable="true")
    element(root, "Sets", ns=ns)
    (HERE / name).write_bytes(xml(root))


# ATLAS.ti (22/23) writes its .qdc in the draft namespace ``urn:QDA-XML:codebook:0:4``, codes
# flat (``::`` in names is ATLAS.ti's own prefix convention, not a hierarchy), code groups as
# Sets whose members are MemberCode targetGUID (QualCoder's importer: "Have found 1.0, 0:4").
ATLAS_NS = "urn:QDA-XML:codebook:0:4"


def make_atlas_qdc() -> None:
    root = element(None, "CodeBook", ns=ATLAS_NS, origin="ATLAS.ti 23.2.1")
    codes = element(root, "Codes", ns=ATLAS_NS)
    guids = {}
    for i, (name, color, description) in enumerate(
        [
            ("Coke::diet Coke", "#966450", "non sucré"),
            ("Coke::full-fat Coke", "#966450", None),
            ("serene", "#F00082", None),
        ],
        start=1,
    ):
        guids[name] = f"0983E32E-6866-431A-BD94-DAC9BB96380{i}"
        code = element(codes, "Code", ns=ATLAS_NS, guid=guids[name], name=name, isCodable="true", color=color)
        if description:
            element(code, "Description", ns=ATLAS_NS).text = description
    sets = element(root, "Sets", ns=ATLAS_NS)
    group = element(sets, "Set", ns=ATLAS_NS, guid="0983E32E-6866-431A-BD94-DAC9BB963900", name="Drinks")
    element(group, "Description", ns=ATLAS_NS).text = "Code group"
    for name in ("Coke::diet Coke", "Coke::full-fat Coke"):
        element(group, "MemberCode", ns=ATLAS_NS, targetGUID=guids[name])
    (HERE / "atlasti-23-codebook-0-4.qdc").write_bytes(xml(root))


# MAXQDA 24 .qdc: the 1.0 namespace, codable parents with sub-codes, colours on every code,
# descriptions (code memos) on some.
def make_maxqda_qdc() -> None:
    ns = "urn:QDA-XML:codebook:1.0"
    root = element(None, "CodeBook", ns=ns, origin="MAXQDA 24 (Release 24.2.0)")
    codes = element(root, "Codes", ns=ns)
    mode = element(
        codes,
        "Code",
        ns=ns,
        guid="2DFBA8C9-59F5-4424-99D6-EA9BCE181300",
        name="Mode",
        isCodable="true",
        color="#FF0000",
    )
    element(mode, "Description", ns=ns).text = "How people travel."
    element(
        mode, "Code", ns=ns, guid="2DFBA8C9-59F5-4424-99D6-EA9BCE181301", name="Bike", isCodable="true", color="#FF0000"
    )
    element(
        codes,
        "Code",
        ns=ns,
        guid="2DFBA8C9-59F5-4424-99D6-EA9BCE181302",
        name="Weather",
        isCodable="true",
        color="#00FF00",
    )
    (HERE / "maxqda-24-codebook.qdc").write_bytes(xml(root))


def main() -> None:
    make_nvivo()
    make_qc()
    make_maxqda()
    make_taguette("taguette-1.4-codebook.qdc", "urn:QDA-XML:codebook:1.0")
    make_taguette("taguette-1.2-codebook.qdc", None)
    make_atlas_qdc()
    make_maxqda_qdc()
    print("wrote the tool fixtures")


if __name__ == "__main__":
    main()
