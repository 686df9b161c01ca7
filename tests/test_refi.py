"""Tests for qualcode.refi: REFI-QDA (QDA-XML 1.0) export and import."""

from __future__ import annotations

import datetime as dt
import tempfile
import unicodedata
import uuid
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from qualcode.codebook import dump_codebook, parse_codebook
from qualcode.errors import CodebookError, CodingError, InputFileError, PermissionDenied
from qualcode.frames import AnalysisData, is_missing, make_analysis_data
from qualcode.model import Code, Codebook, Coding, CrossCut, ParsedDocument, Participant, Theme
from qualcode.refi import ExportOptions, export_qdc, export_qdpx, import_qdc, import_qdpx, reader
from qualcode.refi.common import QUALCODE_GUID_NAMESPACE, slugify, split_description

DATA = Path(__file__).parent / "data" / "refi"
HOSTILE = DATA / "hostile"
NS = {"q": "urn:QDA-XML:project:1.0"}


@pytest.fixture(scope="module")
def project_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(DATA / "Project-mrt2019.xsd")))


@pytest.fixture(scope="module")
def codebook_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(DATA / "Codebook-mrt2019.xsd")))


def qde_of(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read("project.qde"))


# --------------------------------------------------------------------------- fixtures
TEXT_A = (
    "Эксперт: Миграция 🌍 выросла после COVID-19.\n"
    "Interviewer: Why? 🤔\n"
    "Эксперт: Транзит через Казахстан 🇰🇿 стал проще, визы 🛂 тоже."
)
TEXT_B = "Expert B: No big difference 👍🏽 after Covid.\nWe are a transit country 🚚."


def sample_codebook() -> Codebook:
    return Codebook(
        themes={
            "migration": Theme(
                "migration", "Миграция 🌍", description="Flows and routes.", color="#4e79a7", aliases=("flows",)
            ),
            "trends": Theme("trends", "Trends", parent="migration"),
            "deep": Theme("deep", "Deeper still", parent="trends", color="#FF00AA"),
            "policy": Theme("policy", "Policy & <law>", description="Line one\nline two"),
        },
        codes={
            "loose": Code("loose", "A code without theme"),
            "covid_no_effect": Code(
                "covid_no_effect",
                "No Covid effect",
                theme="trends",
                description="COVID-19 did not change the trend.",
                include="Flows recovered.",
                exclude="The war in Ukraine.\nSecond line.",
                examples=("Expert A: '...no big difference...'", '"quoted"'),
                aliases=("no_covid_impact",),
                patterns=("covid", {"tokens": [{"LOWER": "no"}, {"LOWER": "difference"}]}),
            ),
            "transit": Code("transit", "Транзит", theme="migration"),
            "deep_code": Code("deep_code", "Deep code", theme="deep"),
            "visa": Code("visa", "Visa regime 🛂", theme="policy"),
        },
        cross_cutting={
            "transit_migration": CrossCut(
                "transit_migration", "Transit migration", ("transit", "visa"), "Kazakhstan as a transit country."
            ),
            "empty_set": CrossCut("empty_set", "Nothing yet"),
        },
        title="Migration study",
    )


def span(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


def sample_data() -> AnalysisData:
    docs = [
        ParsedDocument(
            "expert_A",
            TEXT_A,
            Participant(
                "A",
                "Expert (A)",
                {
                    "role": "expert",
                    "age": 51,
                    "score": 0.25,
                    "consent": True,
                    "interviewed": dt.date(2024, 3, 1),
                    "started": dt.datetime(2024, 3, 1, 10, 30),
                },
            ),
        ),
        ParsedDocument(
            "expert_B",
            TEXT_B,
            Participant(
                "B",
                "Expert (B)",
                {
                    "role": "official",
                    "age": 38,
                    "score": 1.5,
                    "consent": False,
                    "interviewed": "2024-04-02",
                    "started": dt.datetime(2024, 4, 2, 9, 0),
                },
            ),
        ),
        ParsedDocument("uncoded notes", "Nothing coded here.\n"),
    ]
    a1 = span(TEXT_A, "Миграция 🌍 выросла")
    a2 = span(TEXT_A, "Транзит через Казахстан 🇰🇿")
    a3 = span(TEXT_A, "визы 🛂")
    b1 = span(TEXT_B, "No big difference 👍🏽")
    b2 = span(TEXT_B, "transit country 🚚")
    codings = [
        Coding("expert_A", *a1, "deep_code", "alice", memo="Growth ↑, see 🌍", created_at="2024-05-01T10:00:00Z"),
        Coding("expert_A", *a1, "deep_code", "борис", memo="Согласен.\nДа."),
        Coding("expert_A", *a2, "transit", "alice"),
        Coding("expert_A", *a2, "visa", "борис", created_at="2024-05-02T08:30:00+05:00"),
        Coding("expert_A", *a3, "visa", "alice"),
        Coding("expert_B", *b1, "covid_no_effect", "alice", memo="Key quote"),
        Coding("expert_B", *b1, "covid_no_effect", "борис"),
        Coding("expert_B", *b2, "transit", "борис"),
        Coding("expert_B", 0, len(TEXT_B), "loose", "alice"),
    ]
    return make_analysis_data(sample_codebook(), docs, codings)


def coding_keys(codings) -> set[tuple]:
    return {(c.document, c.start, c.end, c.code, c.annotator, c.memo) for c in codings}


# --------------------------------------------------------------------------- export
def test_export_qdpx_is_valid_against_official_schema(tmp_path, project_schema) -> None:
    path = tmp_path / "study.qdpx"
    export_qdpx(sample_data(), path, project_name="Migration")
    root = qde_of(path)
    project_schema.assertValid(root)
    with zipfile.ZipFile(path) as archive:
        names = sorted(archive.namelist())
    sources = root.findall("q:Sources/q:TextSource", NS)
    assert names == sorted(["project.qde"] + [f"sources/{s.get('guid')}.txt" for s in sources])
    assert root.get("name") == "Migration"
    assert [u.get("name") for u in root.findall("q:Users/q:User", NS)] == ["alice", "борис"]


def test_export_qdc_is_valid_against_official_schema(tmp_path, codebook_schema) -> None:
    path = tmp_path / "codebook.qdc"
    export_qdc(sample_codebook(), path)
    root = etree.parse(str(path)).getroot()
    codebook_schema.assertValid(root)
    assert root.tag == "{urn:QDA-XML:codebook:1.0}CodeBook"


def test_export_hierarchy_colours_and_sets(tmp_path) -> None:
    path = tmp_path / "study.qdpx"
    export_qdpx(sample_data(), path)
    codes = qde_of(path).find("q:CodeBook/q:Codes", NS)
    top = [(c.get("name"), c.get("isCodable")) for c in codes.findall("q:Code", NS)]
    assert top == [("A code without theme", "true"), ("Миграция 🌍", "false"), ("Policy & <law>", "false")]
    migration = codes.findall("q:Code", NS)[1]
    assert migration.get("color") == "#4e79a7"
    deep_code = migration.find(".//q:Code[@name='Deep code']", NS)
    assert deep_code.get("isCodable") == "true" and deep_code.get("color") == "#FF00AA"
    assert [c.get("name") for c in migration.iterfind(".//q:Code", NS)] == [
        "Транзит",
        "Trends",
        "No Covid effect",
        "Deeper still",
        "Deep code",
    ]
    sets = qde_of(path).findall("q:Sets/q:Set", NS)
    assert [s.get("name") for s in sets] == ["Transit migration", "Nothing yet"]
    assert len(sets[0].findall("q:MemberCode", NS)) == 2


def test_selections_use_code_points_and_one_coding_per_annotator(tmp_path) -> None:
    path = tmp_path / "study.qdpx"
    data = sample_data()
    export_qdpx(data, path)
    root = qde_of(path)
    source = root.find("q:Sources/q:TextSource[@name='expert_A']", NS)
    start, end = span(TEXT_A, "Транзит через Казахстан 🇰🇿")
    utf16_start = len(TEXT_A[:start].encode("utf-16-le")) // 2
    assert utf16_start != start  # the emoji before it makes the two counts differ
    selection = source.find(f"q:PlainTextSelection[@startPosition='{start}']", NS)
    assert selection.get("endPosition") == str(end)
    users = {u.get("guid"): u.get("name") for u in root.findall("q:Users/q:User", NS)}
    codings = selection.findall("q:Coding", NS)
    assert sorted(users[c.get("creatingUser")] for c in codings) == ["alice", "борис"]
    with zipfile.ZipFile(path) as archive:
        text = archive.read(f"sources/{source.get('guid')}.txt").decode("utf-8")
    assert text == TEXT_A
    assert text[start:end] == selection.get("name")


def test_memos_become_notes(tmp_path) -> None:
    path = tmp_path / "study.qdpx"
    export_qdpx(sample_data(), path)
    root = qde_of(path)
    notes = {n.get("guid"): n.findtext("q:PlainTextContent", namespaces=NS) for n in root.findall("q:Notes/q:Note", NS)}
    refs = [r.get("targetGUID") for r in root.iterfind(".//q:Coding/q:NoteRef", NS)]
    assert sorted(notes[r] for r in refs) == sorted(["Growth ↑, see 🌍", "Согласен.\nДа.", "Key quote"])


def test_cases_and_variables(tmp_path) -> None:
    path = tmp_path / "study.qdpx"
    export_qdpx(sample_data(), path)
    root = qde_of(path)
    kinds = {v.get("name"): v.get("typeOfVariable") for v in root.findall("q:Variables/q:Variable", NS)}
    assert kinds == {
        "role": "Text",
        "age": "Integer",
        "score": "Float",
        "consent": "Boolean",
        "interviewed": "Date",
        "started": "DateTime",
    }
    case = root.find("q:Cases/q:Case[@name='A']", NS)
    assert case.findtext("q:Description", namespaces=NS) == "Expert (A)"
    source_guid = root.find("q:Sources/q:TextSource[@name='expert_A']", NS).get("guid")
    assert [r.get("targetGUID") for r in case.findall("q:SourceRef", NS)] == [source_guid]
    assert len(case.findall("q:VariableValue", NS)) == 6


def test_guids_are_stable_and_exports_identical(tmp_path) -> None:
    first, second = tmp_path / "1.qdpx", tmp_path / "2.qdpx"
    export_qdpx(sample_data(), first)
    export_qdpx(sample_data(), second)
    assert first.read_bytes() == second.read_bytes()
    code = qde_of(first).find(".//q:Code[@name='Транзит']", NS)
    assert code.get("guid") == str(uuid.uuid5(QUALCODE_GUID_NAMESPACE, "code:transit"))


def test_users_filter(tmp_path) -> None:
    path = tmp_path / "alice.qdpx"
    export_qdpx(sample_data(), path, users=["alice"])
    project = import_qdpx(path)
    assert project.users == ["alice"]
    assert {c.annotator for c in project.codings} == {"alice"}
    assert len(project.codings) == 5


def test_export_refuses_inconsistent_codings_and_writes_nothing(tmp_path) -> None:
    data = sample_data()
    bad = make_analysis_data(
        data.codebook,
        [ParsedDocument("d", "short text")],
        [Coding("d", 0, 5, "no_such_code", "alice"), Coding("d", 3, 99, "visa", "alice")],
    )
    with pytest.raises(CodingError) as info:
        export_qdpx(bad, tmp_path / "bad.qdpx")
    assert len(info.value.problems) == 2 and "no_such_code" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_empty_codebook_cannot_be_exported(tmp_path) -> None:
    with pytest.raises(CodebookError):
        export_qdc(Codebook(), tmp_path / "empty.qdc")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- round trip
def test_round_trip(tmp_path) -> None:
    data = sample_data()
    path = tmp_path / "study.qdpx"
    export_qdpx(data, path)
    project = import_qdpx(path)
    assert project.warnings == []
    assert {d.name: d.text for d in project.documents} == dict(data.texts)
    original = sample_codebook()
    assert project.codebook.themes == original.themes
    assert project.codebook.codes == original.codes
    assert project.codebook.cross_cutting == original.cross_cutting
    assert project.codebook.title == "Migration study"
    expected = data.codings
    assert coding_keys(project.codings) == {
        (r.document, r.start, r.end, r.code, r.annotator, r.memo) for r in expected.itertuples(index=False)
    }
    created = {(c.document, c.start, c.code, c.annotator): c.created_at for c in project.codings}
    assert created[("expert_A", TEXT_A.index("Миграция"), "deep_code", "alice")] == "2024-05-01T10:00:00Z"
    assert all(c.quote == data.texts[c.document][c.start : c.end] for c in project.codings)
    assert project.users == ["alice", "борис"]
    participants = {d.name: d.participant for d in project.documents}
    assert participants["expert_A"] == Participant(
        "A",
        "Expert (A)",
        {
            "role": "expert",
            "age": 51,
            "score": 0.25,
            "consent": True,
            "interviewed": dt.date(2024, 3, 1),
            "started": dt.datetime(2024, 3, 1, 10, 30),
        },
    )
    assert participants["expert_B"].attributes["interviewed"] == dt.date(2024, 4, 2)
    assert participants["uncoded notes"] is None
    assert [p.id for p in project.participants] == ["A", "B"]


def test_qdc_round_trip(tmp_path) -> None:
    path = tmp_path / "codebook.qdc"
    export_qdc(sample_codebook(), path)
    codebook, warnings = import_qdc(path)
    original = sample_codebook()
    assert warnings == []
    assert (codebook.themes, codebook.codes, codebook.cross_cutting) == (
        original.themes,
        original.codes,
        original.cross_cutting,
    )


ALPHABET = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\ufeff")


@st.composite
def corpora(draw):
    texts = draw(st.lists(st.text(ALPHABET, min_size=1, max_size=60), min_size=1, max_size=3))
    codings = []
    for i, text in enumerate(texts):
        for _ in range(draw(st.integers(0, 4))):
            start = draw(st.integers(0, len(text) - 1))
            end = draw(st.integers(start + 1, len(text)))
            codings.append(
                Coding(
                    f"doc {i}",
                    start,
                    end,
                    draw(st.sampled_from(["c1", "c2"])),
                    draw(st.sampled_from(["ann", "Анна 👩"])),
                    memo=draw(st.text(ALPHABET, max_size=20)),
                )
            )
    return texts, codings


LABELS = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20).filter(str.strip)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpora(), LABELS)
def test_round_trip_property(corpus, label: str) -> None:
    texts, codings = corpus
    codebook = Codebook(
        themes={"t": Theme("t", label)}, codes={"c1": Code("c1", label, theme="t"), "c2": Code("c2", "two")}
    )
    docs = [ParsedDocument(f"doc {i}", text) for i, text in enumerate(texts)]
    data = make_analysis_data(codebook, docs, codings)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.qdpx"
        export_qdpx(data, path)
        project = import_qdpx(path)
    assert {d.name: d.text for d in project.documents} == {d.name: d.text for d in docs}
    memos: dict[tuple, list[str]] = {}  # duplicates are exported once, with memos joined
    for c in codings:
        found = memos.setdefault((c.document, c.start, c.end, c.code, c.annotator), [])
        if c.memo and c.memo not in found:
            found.append(c.memo)
    assert {k[:5] for k in coding_keys(project.codings)} == set(memos)
    for c in project.codings:  # XML drops a few control characters; everything else survives
        key = (c.document, c.start, c.end, c.code, c.annotator)
        assert c.memo == reader_safe("\n\n".join(memos[key]))
    assert project.codebook.codes == codebook.codes


def reader_safe(memo: str) -> str:
    from qualcode.refi.writer import xml_safe

    return xml_safe(memo) if xml_safe(memo).strip() else ""


# --------------------------------------------------------------------------- ATLAS.ti
ATLAS_CODE_NAMES = [
    "happiness",
    "Feelings",
    "disgust",
    "waste of time",
    "Coke::full-fat Coke",
    "Coke::diet Coke",
    "Coke",
    "milk",
    "serene",
    "bacon and eggs",
    "sleepy",
    "Breakfast food",
    "cornflakes",
    '"rushed"',
]


@pytest.mark.parametrize("file", ["atlasti-8.4-standard-project.qde", "atlasti-8.4-standard-project-capitalised.qdpx"])
def test_atlasti_sample_without_texts(file: str) -> None:
    project = import_qdpx(DATA / file)
    assert project.name == "ATLAS.ti standard project"
    assert project.users == ["ATLAS.ti", "Friedrich Markgraf", "Sebastian Petrausch"]
    assert [c.label for c in project.codebook.codes.values()] == ATLAS_CODE_NAMES
    assert project.codebook.themes == {}
    assert project.codebook.codes["cornflakes"].description == "breakfast cereal made by Kellogg’s"
    sets = {x.label: x.codes for x in project.codebook.cross_cutting.values()}
    assert {k: len(v) for k, v in sets.items()} == {
        "Feelings": 6,
        "negative feelings": 4,
        "Breakfast food": 6,
        "positive feelings": 3,
    }
    assert sets["positive feelings"] == ("serene", "sleepy", "happiness")
    # The export ships no sources/ files: every text source is reported, nothing invented.
    assert project.documents == [] and project.codings == []
    text = "\n".join(project.warnings)
    for expected in [
        "8 text sources",
        "have no plain text",
        "9 codings on those skipped text sources",
        "2 PDFs ('Kellogg's Passion for Nutrition.pdf', 'Pay de Lim",
        "are read through their plain-text representation only: 4 page-area "
        "selections and 4 codings on them were not carried over",
        "1 picture source",
        "1 audio source",
        "2 video sources",
        "11 sets of documents",
        "1 empty set ('<3')",
        "2 notes",
        "1 link",
        "1 graph",
        "13 code colours",
    ]:
        assert expected in text


def atlas_expected_quotes(path: Path) -> list[tuple[str, str, str]]:
    """(document, quote, code name) read independently from the archive's XML and texts."""
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("Project.qde"))
        names = {c.get("guid"): c.get("name") for c in root.iter("{*}Code")}
        result = []
        sources = [(s, s.get("name")) for s in root.iterfind("q:Sources/q:TextSource", NS)]
        sources += [(s.find("q:Representation", NS), s.get("name")) for s in root.iterfind("q:Sources/q:PDFSource", NS)]
        for source, name in sources:
            raw = archive.read("Sources/" + source.get("plainTextPath")[len("internal://") :])
            text = raw.decode("utf-8").replace("\r\n", "\n")  # ATLAS.ti counts CRLF as one character
            for selection in source.iterfind("q:PlainTextSelection", NS):
                quote = text[int(selection.get("startPosition")) : int(selection.get("endPosition"))]
                for coding in selection.iterfind("q:Coding/q:CodeRef", NS):
                    result.append(
                        (unicodedata.normalize("NFC", name.rsplit(".", 1)[0]), quote, names[coding.get("targetGUID")])
                    )
    return result


def test_atlasti_sample_with_texts() -> None:
    path = DATA / "atlasti-8.4-with-texts.qdpx"
    project = import_qdpx(path)
    assert [d.name for d in project.documents] == [
        "1960s Coca Cola commercial - Audio",
        "1960s Coca Cola commercial - Visual",
        "1994 Diet Coke-Diet Coke Break",
        "Mabêl 2ième",
        "Mabel",
        "Simon",
        "Kellogg's Passion for Nutrition",
        "Pay de Limón con Base de Granola | Kellogg's ®",
    ]
    assert len(project.codings) == 9  # 7 on text sources, 2 on a PDF's text representation
    assert {c.annotator for c in project.codings} == {"Friedrich Markgraf"}
    labels = {c.id: c.label for c in project.codebook.codes.values()}
    got = sorted((c.document, c.quote, labels[c.code]) for c in project.codings)
    assert got == sorted(atlas_expected_quotes(path))
    texts = {d.name: d.text for d in project.documents}
    assert all(texts[c.document][c.start : c.end] == c.quote for c in project.codings)
    assert "\r" not in "".join(texts.values())
    by_quote = {c.quote: c for c in project.codings}
    diet = by_quote["Oh, that was great. See you tomorrow? Eleven thirty. Mm."]
    assert labels[diet.code] == "Coke::diet Coke"
    assert diet.created_at == "2018-03-27T19:29:27Z"
    memos = [c.memo for c in project.codings if c.memo]
    assert memos == ["why does Simon feel the need to do this?"]
    assert "1 text selection without codings" in "\n".join(project.warnings)


def test_atlasti_codebook_via_import_qdc() -> None:
    codebook, warnings = import_qdc(DATA / "atlasti-8.4-standard-project.qde")
    assert len(codebook.codes) == 14 and len(codebook.cross_cutting) == 4
    assert any("project file" in w for w in warnings)


# --------------------------------------------------------------------------- other tools
FOREIGN = """<?xml version="1.0" encoding="utf-8"?>
<Project {xmlns} name="Foreign">
  <Users>
    <User guid="{{AAAAAAAA-0000-0000-0000-000000000001}}" name="Ann"/>
    <User guid="aaaaaaaa-0000-0000-0000-000000000002"/>
  </Users>
  <CodeBook><Codes>
    <Code guid="{{C0000000-0000-0000-0000-000000000001}}" name="Topics" isCodable="false" color="#F0a">
      <Code guid="c0000000-0000-0000-0000-000000000002" name="Economy" isCodable="true" color="#FF0000"/>
      <Code guid="c0000000-0000-0000-0000-000000000003" name="Health" isCodable="true">
        <Description>Health issues</Description>
        <Code guid="c0000000-0000-0000-0000-000000000004" name="Hospitals" isCodable="true">
          <Code guid="c0000000-0000-0000-0000-000000000005" name="Wards" isCodable="true"/>
        </Code>
      </Code>
    </Code>
    <Code guid="c0000000-0000-0000-0000-000000000006" name="Values" isCodable="true">
      <Code guid="c0000000-0000-0000-0000-000000000007" name="Liberals" isCodable="true"/>
    </Code>
    <Code guid="c0000000-0000-0000-0000-000000000008" name="Empty folder" isCodable="false"/>
    <Code guid="c0000000-0000-0000-0000-000000000009" name="Economy" isCodable="true"/>
  </Codes></CodeBook>
  <Variables>
    <Variable guid="v0000000-0000-0000-0000-000000000001" name="age" typeOfVariable="Integer"/>
    <Variable guid="b0000000-0000-0000-0000-000000000002" name="income" typeOfVariable="Currency"/>
  </Variables>
  <Cases>
    <Case guid="ca000000-0000-0000-0000-000000000001" name="P1">
      <VariableValue><VariableRef targetGUID="v0000000-0000-0000-0000-000000000001"/><IntegerValue>42</IntegerValue></VariableValue>
      <SourceRef targetGUID="50000000-0000-0000-0000-000000000001"/>
    </Case>
  </Cases>
  <Sources>
    <TextSource guid="50000000-0000-0000-0000-000000000001" name="Interview 1.txt">
      <PlainTextContent>Line one&#13;&#10;Hospitals are full.&#13;&#10;Wards too.</PlainTextContent>
      <PlainTextSelection guid="51000000-0000-0000-0000-000000000001" startPosition="10" endPosition="29">
        <Coding guid="52000000-0000-0000-0000-000000000001" creatingUser="AAAAAAAA-0000-0000-0000-000000000001">
          <CodeRef targetGUID="{{C0000000-0000-0000-0000-000000000003}}"/>
          <NoteRef targetGUID="e0000000-0000-0000-0000-000000000001"/>
        </Coding>
        <Coding guid="52000000-0000-0000-0000-000000000002" creatingUser="aaaaaaaa-0000-0000-0000-000000000002">
          <CodeRef targetGUID="c0000000-0000-0000-0000-000000000005"/>
        </Coding>
        <Coding guid="52000000-0000-0000-0000-000000000003">
          <CodeRef targetGUID="c0000000-0000-0000-0000-000000000002"/>
        </Coding>
        <Coding guid="52000000-0000-0000-0000-000000000004">
          <CodeRef targetGUID="dead0000-0000-0000-0000-000000000000"/>
        </Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="51000000-0000-0000-0000-000000000002" startPosition="31" endPosition="41">
        <Coding guid="52000000-0000-0000-0000-000000000005" creatingUser="AAAAAAAA-0000-0000-0000-000000000001">
          <CodeRef targetGUID="c0000000-0000-0000-0000-000000000009"/>
        </Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="51000000-0000-0000-0000-000000000003" startPosition="30" endPosition="999">
        <Coding guid="52000000-0000-0000-0000-000000000006"><CodeRef targetGUID="c0000000-0000-0000-0000-000000000002"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="50000000-0000-0000-0000-000000000002" name="Interview 2.docx"
                plainTextPath="internal://50000000-0000-0000-0000-000000000002.txt">
      <Coding guid="52000000-0000-0000-0000-000000000007"><CodeRef targetGUID="c0000000-0000-0000-0000-000000000009"/></Coding>
    </TextSource>
    <TextSource guid="50000000-0000-0000-0000-000000000003" name="External"
                plainTextPath="relative:///../../etc/passwd"/>
    <PDFSource guid="50000000-0000-0000-0000-000000000004" name="Report.pdf" path="internal://x.pdf"/>
  </Sources>
  <Notes>
    <Note guid="e0000000-0000-0000-0000-000000000001" name="n1"><PlainTextContent>Busy!</PlainTextContent></Note>
    <Note guid="e0000000-0000-0000-0000-000000000002" name="Loose note"><PlainTextContent>x</PlainTextContent></Note>
  </Notes>
  <Sets>
    <Set guid="5e000000-0000-0000-0000-000000000001" name="Health things">
      <MemberCode targetGUID="c0000000-0000-0000-0000-000000000003"/>
      <MemberCode targetGUID="c0000000-0000-0000-0000-000000000009"/>
    </Set>
    <Set guid="5e000000-0000-0000-0000-000000000002" name="Docs">
      <MemberSource targetGUID="50000000-0000-0000-0000-000000000001"/>
    </Set>
    <Set guid="5e000000-0000-0000-0000-000000000003" name="Nothing"/>
  </Sets>
</Project>
"""


@pytest.mark.parametrize("xmlns", ['xmlns="urn:QDA-XML:project:1.0"', "", 'xmlns="urn:QDA-XML:project:0:10"'])
def test_foreign_project_mapping(tmp_path, xmlns: str) -> None:
    path = tmp_path / "foreign.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", FOREIGN.format(xmlns=xmlns))
        archive.writestr("sources/50000000-0000-0000-0000-000000000002.txt", "\ufeffSecond interview".encode("utf-8"))
    project = import_qdpx(path)
    cb = project.codebook
    assert {t.id: (t.label, t.parent) for t in cb.themes.values()} == {
        "topics": ("Topics", None),
        "health": ("Health", "topics"),
        "hospitals": ("Hospitals", "health"),
        "values": ("Values", None),
        "empty_folder": ("Empty folder", None),
    }
    assert {c.id: (c.label, c.theme) for c in cb.codes.values()} == {
        "economy": ("Economy", "topics"),
        "health_2": ("Health", "health"),
        "wards": ("Wards", "hospitals"),
        "liberals": ("Liberals", "values"),
        "economy_2": ("Economy", None),
    }
    assert cb.codes["health_2"].description == "Health issues"
    assert cb.themes["topics"].color == "#FF00aa"  # REFI's #rgb, as qualcode's #rrggbb
    # "Health" is a code in REFI, so the set holds the code that keeps its codings.
    assert cb.cross_cutting["health_things"].codes == ("health_2", "economy_2")

    docs = {d.name: d for d in project.documents}
    assert list(docs) == ["Interview 1", "Interview 2"]
    assert docs["Interview 1"].text == "Line one\nHospitals are full.\nWards too."
    assert docs["Interview 2"].text == "Second interview"
    assert docs["Interview 1"].participant == Participant("P1", "P1", {"age": 42})
    got = {(c.code, c.annotator, c.quote, c.memo) for c in project.codings}
    assert got == {
        ("health_2", "Ann", "Hospitals are full.", "Busy!"),
        ("wards", "aaaaaaaa-0000-0000-0000-000000000002", "Hospitals are full.", ""),
        ("economy", "unknown", "Hospitals are full.", ""),
        ("economy_2", "Ann", "Wards too.", ""),
        ("economy_2", "unknown", "Second interview", ""),
    }  # whole-document coding
    assert project.users == ["Ann", "aaaaaaaa-0000-0000-0000-000000000002", "unknown"]
    text = "\n".join(project.warnings)
    for expected in [
        "2 codable codes with sub-codes ('Hospitals', 'Values')",
        "1 code colour ('Economy')",
        "1 set of documents or memos ('Docs')",
        "1 empty set ('Nothing')",
        "1 variable of unsupported types ('income (Currency)')",
        "1 text source ('External') points at a file outside the archive",
        "1 PDF source ('Report.pdf')",
        "1 text selection had positions outside",
        "1 coding referred to codes missing",
        "2 codings had no creating user",
        "1 note (memos: 'Loose note')",
    ]:
        assert expected in text
    assert all("unknown XML namespace" not in w for w in project.warnings)


FOREIGN_ATTRIBUTES = [
    (i, name)
    for i, element in enumerate(etree.fromstring(FOREIGN.format(xmlns="").encode()).iter())
    for name in element.attrib
]


@settings(max_examples=60, deadline=None)
@given(st.sets(st.sampled_from(FOREIGN_ATTRIBUTES), max_size=12))
def test_missing_attributes_never_crash(dropped: set[tuple[int, str]]) -> None:
    root = etree.fromstring(FOREIGN.format(xmlns="").encode())
    elements = list(root.iter())
    for index, name in dropped:
        del elements[index].attrib[name]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "project.qde"
        path.write_bytes(etree.tostring(root))
        try:
            project = import_qdpx(path)
        except InputFileError:
            return
    texts = {d.name: d.text for d in project.documents}
    assert all(texts[c.document][c.start : c.end] == c.quote for c in project.codings)
    assert set(project.codebook.codes) >= {c.code for c in project.codings}


def test_unknown_namespace_is_read_with_warning(tmp_path) -> None:
    path = tmp_path / "odd.qde"
    path.write_text(FOREIGN.format(xmlns='xmlns="urn:example:other"'), encoding="utf-8")
    project = import_qdpx(path)
    assert len(project.codings) == 4  # no sources/ folder: Interview 2 is skipped
    assert "unknown XML namespace (urn:example:other)" in project.warnings[0]


def test_bare_qde_reads_sources_folder(tmp_path) -> None:
    (tmp_path / "Sources").mkdir()
    (tmp_path / "Sources" / "50000000-0000-0000-0000-000000000002.txt").write_text("Zwei")
    path = tmp_path / "project.qde"
    path.write_text(FOREIGN.format(xmlns=""), encoding="utf-8")
    project = import_qdpx(path)
    assert {d.name: d.text for d in project.documents}["Interview 2"] == "Zwei"


CODEBOOK_VARIANT = """<?xml version="1.0"?>
<CodeBook {xmlns}>
  <Codes>
    <Code guid="{{5215cc69-b628-4e02-afb9-9beeaee55808}}" name="Topics" isCodable="false"/>
    <Code guid="d7aa29da-519b-4946-9b90-253b6db8fd0a" name="Economy" isCodable="true" color="#ffff00">
      <Description>Anything about jobs or taxes or business</Description>
    </Code>
    <Code guid="0dcef2f5-e55c-49da-8c33-9b0803c7aeb4" name="Values">
      <Code guid="7c108712-b650-4892-ac0b-fc9a10190c3b" name="Conservatives" isCodable="true"/>
    </Code>
  </Codes>
  <Sets><Set guid="12365523-1035-4afa-9e7b-281fe0bc51c5" name="Mixed">
    <MemberCode guid="D7AA29DA-519B-4946-9B90-253B6DB8FD0A"/>
    <MemberCode targetGUID="7c108712-b650-4892-ac0b-fc9a10190c3b"/>
  </Set></Sets>
</CodeBook>
"""


@pytest.mark.parametrize(
    "xmlns",
    ['xmlns="urn:QDA-XML:codebook:1.0"', "", 'xmlns="urn:QDA-XML:codebook:1:0"', 'xmlns="urn:QDA-XML:project:1.0"'],
)
def test_import_qdc_variants(tmp_path, xmlns: str) -> None:
    path = tmp_path / "cb.qdc"
    path.write_text(CODEBOOK_VARIANT.format(xmlns=xmlns), encoding="utf-8")
    codebook, warnings = import_qdc(path)
    assert list(codebook.themes) == ["topics", "values"]
    assert {c.id: c.theme for c in codebook.codes.values()} == {"economy": None, "conservatives": "values"}
    assert codebook.cross_cutting["mixed"].codes == ("economy", "conservatives")
    assert codebook.codes["economy"].description == "Anything about jobs or taxes or business"
    assert any("codable code with sub-codes ('Values')" in w for w in warnings)


# --------------------------------------------------------------------------- hostile input
@pytest.mark.parametrize(
    "file, expected",
    [
        ("path_traversal.qdpx", "'..'"),
        ("absolute_path.qdpx", "absolute path"),
        ("backslash_path.qdpx", "backslash"),
        ("drive_letter.qdpx", "drive letter"),
        ("symlink.qdpx", "symbolic link"),
        ("duplicate_member.qdpx", "more than once"),
        ("zip_bomb.qdpx", "zip bomb"),
        ("zip_bomb_lying_size.qdpx", "cannot be decompressed"),
        ("too_many_members.qdpx", "at most 50"),
        ("xxe.qdpx", "external entities are not allowed"),
        ("billion_laughs.qdpx", "external entities are not allowed"),
        ("external_dtd.qdpx", "external entities are not allowed"),
        ("invalid_xml.qdpx", "line 5, column 13"),
        ("missing_project.qdpx", "contains no project.qde"),
        ("not_a_zip.qdpx", "not a readable ZIP archive"),
        ("xxe.qde", "external entities are not allowed"),
    ],
)
def test_hostile_input_refused(tmp_path, monkeypatch, file: str, expected: str) -> None:
    monkeypatch.setitem(reader.ZIP_LIMITS, "max_members", 50)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in DATA.rglob("*"))
    with pytest.raises(InputFileError) as info:
        import_qdpx(HOSTILE / file)
    assert expected in str(info.value)
    assert file in str(info.value)
    assert list(tmp_path.iterdir()) == []  # nothing extracted or written
    assert sorted(p.name for p in DATA.rglob("*")) == before


def test_hostile_files_are_up_to_date() -> None:
    from importlib import util

    spec = util.spec_from_file_location("make_hostile", DATA / "make_hostile.py")
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert sorted(p.name for p in HOSTILE.iterdir()) == sorted(module.CASES)


def test_imported_codebooks_are_valid_qualcode_codebooks(tmp_path) -> None:
    foreign = tmp_path / "foreign.qde"
    foreign.write_text(FOREIGN.format(xmlns=""), encoding="utf-8")
    exported = tmp_path / "study.qdpx"
    export_qdpx(sample_data(), exported)
    for path in [DATA / "atlasti-8.4-with-texts.qdpx", foreign, exported]:
        codebook = import_qdpx(path).codebook
        assert parse_codebook(dump_codebook(codebook)) == codebook  # passes validation


@pytest.mark.parametrize(
    "text, fields",
    [
        ("", {}),
        ("Plain.", {}),
        ("[qualcode]\nid: x", {"id": "x"}),
        ("A\n[qualcode] in text\nB", {}),
    ],
)
def test_split_description(text: str, fields: dict) -> None:
    assert split_description(text)[1] == fields


def test_slugs_are_valid_ids() -> None:
    for name in ["Coke::diet Coke", "Доверие", "🌍", "  ", "Ünïcödé", "42 is the answer"]:
        assert slugify(name)[0].isalpha()


# --------------------------------------------------------------------------- other tools' conventions
# Reproductions built by tests/data/refi/make_tool_fixtures.py (see tests/data/refi/README.md).
def test_tool_fixtures_are_up_to_date(tmp_path) -> None:
    from importlib import util

    spec = util.spec_from_file_location("make_tool_fixtures", DATA / "make_tool_fixtures.py")
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.HERE = tmp_path
    module.main()
    for built in tmp_path.iterdir():
        committed = DATA / built.name
        if built.suffix == ".qdc":
            assert built.read_bytes() == committed.read_bytes(), built.name
        else:
            with zipfile.ZipFile(built) as new, zipfile.ZipFile(committed) as old:
                assert {n: new.read(n) for n in new.namelist()} == {n: old.read(n) for n in old.namelist()}


def test_nvivo_utf16_positions_with_astral_characters_and_crlf() -> None:
    from tests.data.refi.make_tool_fixtures import NVIVO_CODINGS

    project = import_qdpx(DATA / "nvivo-14-utf16-crlf.qdpx")
    labels = {c.id: c.label for c in project.codebook.codes.values()}
    got = sorted((c.document, c.quote, labels[c.code], c.annotator) for c in project.codings)
    expected = sorted((d.rsplit(".", 1)[0], q, code, user) for d, q, code, user in NVIVO_CODINGS)
    assert got == expected  # every coding on the text NVivo coded
    texts = {d.name: d.text for d in project.documents}
    assert all(texts[c.document][c.start : c.end] == c.quote for c in project.codings)
    assert not any(t.startswith("\ufeff") or "\r" in t for t in texts.values())
    text = "\n".join(project.warnings)
    assert "('Chat log.txt', 'Interview Ana.docx') count UTF-16 code units, CRLF as 2" in text
    # The edited source fits no counting: its codings are reported and kept out, not misplaced.
    assert "'Edited later.txt': 3 of 3 text selections (3 codings) could not be placed" in text
    assert "Edited later" in texts and not [c for c in project.codings if c.document == "Edited later"]


def test_the_old_reading_would_have_misplaced_nvivo_codings() -> None:
    """Read as code points (what the standard says and the reader did before), the NVivo
    positions land on other text: the fixture really exercises the conversion."""
    from qualcode.refi.offsets import STANDARD, PositionMap
    from tests.data.refi.make_tool_fixtures import NVIVO_CODINGS, NVIVO_TEXTS, utf16

    shifted = 0
    for document, quote, _, _ in NVIVO_CODINGS:
        raw = NVIVO_TEXTS[document]
        start = raw.index(quote)
        positions = PositionMap(raw, STANDARD)
        s, e = positions.to_text(utf16(raw, start)), positions.to_text(utf16(raw, start + len(quote)))
        shifted += raw.replace("\r\n", "\n")[s:e] != quote
    assert shifted >= 4


@pytest.mark.parametrize("origin", ["NVivo 14.23.0.13 (Windows)", "Some other tool 2.0", ""])
def test_detection_does_not_depend_on_origin_when_evidence_is_clear(tmp_path, origin: str) -> None:
    source = DATA / "nvivo-14-utf16-crlf.qdpx"
    copy = tmp_path / "copy.qdpx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(copy, "w") as new:
        for name in old.namelist():
            data = old.read(name)
            if name == "project.qde":
                data = data.replace(b'origin="NVivo 14.23.0.13 (Windows)"', f'origin="{origin}"'.encode())
            new.writestr(name, data)
    project = import_qdpx(copy)
    assert len(project.codings) == 6
    assert all(c.quote.strip() == c.quote and c.quote for c in project.codings)


def test_qc_bare_plain_text_paths_are_found() -> None:
    project = import_qdpx(DATA / "qc-1.3-bare-paths.qdpx")
    assert [d.name for d in project.documents] == ["board_2017"]
    assert [(c.quote, c.code, c.annotator) for c in project.codings] == [
        ("Budget cuts were discussed.\n", "budget", "chris")
    ]
    assert not any("no plain text" in w for w in project.warnings)
    assert project.name == "qc project"


def test_maxqda_capitalised_sources_bom_cases_and_users() -> None:
    project = import_qdpx(DATA / "maxqda-24-capitalised-bom.qdpx")
    assert project.name == "Commuting 2024"
    (document,) = project.documents
    assert not document.text.startswith("\ufeff")
    assert [c.quote for c in project.codings] == ["By bike, mostly.", "In winter I take the tram."]
    assert document.metadata["Length"] == 12.5
    assert project.users == ["Mia", "Noor"]  # Noor coded nothing and is kept
    assert [p.id for p in project.participants] == ["Respondent 1", "Respondent 2", "Respondent 3"]
    years = {p.id: p.attributes.get("Year") for p in project.participants}
    assert years == {"Respondent 1": 2021, "Respondent 2": None, "Respondent 3": 2024}
    assert all(type(y) is int for y in years.values() if y is not None)


@pytest.mark.parametrize("file", ["taguette-1.4-codebook.qdc", "taguette-1.2-codebook.qdc"])
def test_taguette_codebook_hierarchy_from_backslash_names(file: str) -> None:
    codebook, warnings = import_qdc(DATA / file)
    assert {t.id: (t.label, t.parent) for t in codebook.themes.values()} == {
        "people": ("people", None),
        "places": ("places", None),
    }
    assert {c.id: (c.label, c.theme) for c in codebook.codes.values()} == {
        "interesting": ("interesting", None),
        "family": ("family", "people"),
        "friends": ("friends", "people"),
        "home": ("home", "places"),
    }
    assert codebook.cross_cutting == {}  # the empty <Sets/> adds nothing and is no error
    assert all("namespace" not in w for w in warnings)


def test_atlasti_codebook_in_the_0_4_namespace_with_code_groups() -> None:
    codebook, warnings = import_qdc(DATA / "atlasti-23-codebook-0-4.qdc")
    assert [c.label for c in codebook.codes.values()] == ["Coke::diet Coke", "Coke::full-fat Coke", "serene"]
    assert codebook.codes["coke_diet_coke"].description == "non sucré"
    assert codebook.cross_cutting["drinks"].codes == ("coke_diet_coke", "coke_full_fat_coke")
    assert not any("unknown XML namespace" in w for w in warnings)
    assert any("3 code colours" in w for w in warnings)


def test_maxqda_codebook() -> None:
    codebook, warnings = import_qdc(DATA / "maxqda-24-codebook.qdc")
    assert codebook.themes["mode"].description == "How people travel."
    assert codebook.themes["mode"].color == "#FF0000"
    assert {c.id: c.theme for c in codebook.codes.values()} == {"bike": "mode", "weather": None}


# --------------------------------------------------------------------------- whole projects
from qualcode import reports  # noqa: E402
from qualcode.cli import main  # noqa: E402
from qualcode.exchange import import_codebook_into, import_refi_into  # noqa: E402
from qualcode.project import Project  # noqa: E402
from qualcode.refi import TOOL_OPTIONS  # noqa: E402
from qualcode.store import Actor  # noqa: E402


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory: pytest.TempPathFactory, copy_demo) -> Project:  # type: ignore[no-untyped-def]
    root = copy_demo(tmp_path_factory.mktemp("demo") / "demo")
    project = Project.open(root)
    project.sync()
    data = project.analysis_data()
    for row in data.codings.head(15).itertuples():  # a second coder with memos and emoji
        project.add_coding(row.document, row.start, row.end, row.code, annotator="второй 👩", memo="agree ✓")
    return project


def report_tables(project: Project) -> dict[str, pd.DataFrame]:
    data = project.analysis_data()
    return {
        "frequencies": reports.code_frequencies(data, by_annotator=True),
        "themes": reports.theme_table(data),
        "matrix": reports.matrix(data),
        "quotes": reports.quote_table(data),
        "participants": reports.participant_table(data),
    }


def fresh_import(archive: Path, root: Path) -> Project:
    project = Project.init(root)
    import_refi_into(project, archive)
    return project


@pytest.mark.parametrize("target, offsets", [(None, None), (None, "utf16"), ("nvivo", None), ("atlas", None)])
def test_round_trip_matrix_gives_identical_report_tables(
    demo_project: Project, tmp_path: Path, target: str | None, offsets: str | None
) -> None:
    archive = demo_project.export_qdpx(tmp_path / "out.qdpx", target=target, offsets=offsets)
    copy = fresh_import(archive, tmp_path / "copy")
    before, after = report_tables(demo_project), report_tables(copy)
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], check_dtype=False, obj=name)
    original, copied = demo_project.analysis_data().codings, copy.analysis_data().codings
    key = ["document", "start", "end", "code", "annotator", "memo"]
    assert set(map(tuple, original[key].values)) == set(map(tuple, copied[key].values))
    copy.close()


def foreign_state(project: Project) -> dict[str, object]:
    data = project.analysis_data()
    codings = {(r.document, r.start, r.end, r.code, r.annotator, r.quote) for r in data.codings.itertuples(index=False)}
    participants = {
        p: {k: v for k, v in attrs.items() if not is_missing(v)}
        for p, attrs in data.participants.set_index("participant").to_dict("index").items()
    }
    users = set(project.store.users_frame()["name"])
    return {
        "texts": dict(data.texts),
        "codings": codings,
        "codes": {c.id: (c.label, c.theme, c.description) for c in data.codebook.codes.values()},
        "themes": {t.id: (t.label, t.parent) for t in data.codebook.themes.values()},
        "sets": {x.id: x.codes for x in data.codebook.cross_cutting.values()},
        "participants": participants,
        "users": users,
        "ids": project.store.refi_ids(),
    }


@pytest.mark.parametrize(
    "file",
    [
        "nvivo-14-utf16-crlf.qdpx",
        "maxqda-24-capitalised-bom.qdpx",
        "qc-1.3-bare-paths.qdpx",
        "atlasti-8.4-with-texts.qdpx",
    ],
)
@pytest.mark.parametrize("target", ["standard", "nvivo"])
def test_foreign_file_through_qualcode_and_back_loses_nothing_kept(tmp_path: Path, file: str, target: str) -> None:
    first = fresh_import(DATA / file, tmp_path / "first")
    archive = first.export_qdpx(tmp_path / "again.qdpx", target=target)
    second = fresh_import(archive, tmp_path / "second")
    a, b = foreign_state(first), foreign_state(second)
    for key in a:
        assert a[key] == b[key], key
    assert a["codings"]  # something was kept to lose
    first.close()
    second.close()


def test_integer_variables_with_gaps_stay_integers(tmp_path: Path) -> None:
    project = fresh_import(DATA / "nvivo-14-utf16-crlf.qdpx", tmp_path / "p")
    archive = project.export_qdpx(tmp_path / "out.qdpx")
    variable = qde_of(archive).find("q:Variables/q:Variable[@name='Age']", NS)
    assert variable.get("typeOfVariable") == "Integer"
    ages = [v.text for v in qde_of(archive).iterfind(".//q:IntegerValue", NS)]
    assert sorted(ages) == ["34", "51"]
    back = import_qdpx(archive)
    assert {p.id: p.attributes.get("Age") for p in back.participants} == {
        "Ana": 34,
        "Ben": None,
        "Dana (not interviewed)": 51,
    }
    project.close()


def selections_of(path: Path) -> set[tuple[str, str, str, str, str]]:
    """(source guid, code guid, user guid, start, end) of every coding, GUIDs normalised."""
    root = qde_of(path) if zipfile.is_zipfile(path) else etree.parse(str(path)).getroot()
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.lower() == "project.qde")
        root = etree.fromstring(archive.read(name))
    result = set()
    for source in root.iterfind(".//q:TextSource", NS):
        for selection in source.iterfind("q:PlainTextSelection", NS):
            for coding in selection.iterfind("q:Coding", NS):
                result.add(
                    (
                        source.get("guid").strip("{}").lower(),
                        coding.find("q:CodeRef", NS).get("targetGUID").strip("{}").lower(),
                        coding.get("creatingUser").strip("{}").lower(),
                        selection.get("startPosition"),
                        selection.get("endPosition"),
                    )
                )
    return result


def test_nvivo_to_qualcode_to_nvivo_lands_on_the_same_text(tmp_path: Path) -> None:
    """Exported --for nvivo, every placeable coding has NVivo's own source, code and user GUIDs
    and NVivo's own positions (UTF-16 units over the same CRLF text), so NVivo re-reads it as
    its own; the source NVivo's positions did not fit stays out, as on import."""
    original = DATA / "nvivo-14-utf16-crlf.qdpx"
    project = fresh_import(original, tmp_path / "p")
    archive = project.export_qdpx(tmp_path / "back.qdpx", target="nvivo")
    edited = "00000403-4e56-4976-aaaa-000000000000"
    assert selections_of(archive) == {s for s in selections_of(original) if s[0] != edited}
    with zipfile.ZipFile(original) as old, zipfile.ZipFile(archive) as new:
        old_texts = {n.rsplit("/", 1)[1].lower(): old.read(n).removeprefix(b"\xef\xbb\xbf") for n in old.namelist()[1:]}
        new_texts = {n.rsplit("/", 1)[1].lower(): new.read(n) for n in new.namelist()[1:]}
    assert new_texts == old_texts  # the same text, CRLF line ends included
    root = qde_of(archive)
    assert root.get("name") == "Border study"
    users = {u.get("name"): u.get("guid") for u in root.iterfind("q:Users/q:User", NS)}
    assert users["Chris (no codings)"] == "{00000103-4E56-4976-AAAA-000000000000}"
    cases = {c.get("name"): c.get("guid") for c in root.iterfind("q:Cases/q:Case", NS)}
    assert cases["Dana (not interviewed)"] == "{00000502-4E56-4976-AAAA-000000000000}"
    project.close()


def test_export_positions_by_offset_mode(tmp_path: Path, project_schema) -> None:
    data = sample_data()
    for offsets in ("codepoints", "utf16"):
        path = tmp_path / f"{offsets}.qdpx"
        export_qdpx(data, path, options=ExportOptions(offsets))
        assert project_schema.validate(qde_of(path)), project_schema.error_log
        for source in qde_of(path).iterfind("q:Sources/q:TextSource", NS):
            text = data.texts[source.get("name")]
            for selection in source.iterfind("q:PlainTextSelection", NS):
                s, e = int(selection.get("startPosition")), int(selection.get("endPosition"))
                if offsets == "utf16":
                    units = text.encode("utf-16-le")
                    quote = units[2 * s : 2 * e].decode("utf-16-le")
                else:
                    quote = text[s:e]
                assert selection.get("name") == quote or selection.get("name").endswith("…")
        assert {(c.document, c.start, c.end) for c in import_qdpx(path).codings} == {
            (r.document, r.start, r.end) for r in data.codings.itertuples()
        }


def test_cli_tool_choices_match_the_presets() -> None:
    from qualcode.cli import export_qdpx_cmd

    choices = next(p for p in export_qdpx_cmd.params if p.name == "target").type.choices
    assert sorted(choices) == sorted(TOOL_OPTIONS)


@pytest.mark.parametrize(
    "file, codes",
    [
        ("taguette-1.4-codebook.qdc", 4),
        ("taguette-1.2-codebook.qdc", 4),
        ("atlasti-23-codebook-0-4.qdc", 3),
        ("maxqda-24-codebook.qdc", 2),
    ],
)
def test_cli_imports_qdc_codebooks(tmp_path: Path, capsys: pytest.CaptureFixture[str], file: str, codes: int) -> None:
    root = tmp_path / "p"
    assert main(["init", str(root)]) == 0
    assert main(["--project", str(root), "import", str(DATA / file)]) == 0
    out = capsys.readouterr().out
    assert f"{codes} codes" in out
    assert "unsupported" not in out
    project = Project.open(root)
    assert len(project.codebook.codes) == codes
    ids = project.store.refi_ids()
    assert all(kind in ("code", "theme", "set") for kind, _ in ids) and ids
    exported = tmp_path / "back.qdc"
    assert main(["--project", str(root), "export", "qdc", str(exported)]) == 0
    written = {c.get("guid").upper() for c in etree.parse(str(exported)).iter("{*}Code")}
    original = {c.get("guid").upper() for c in etree.parse(str(DATA / file)).iter("{*}Code")}
    assert original & written  # the tool's own GUIDs come back
    project.close()


def test_cli_qdc_into_a_project_with_codes_exits_2_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "p"
    assert main(["init", str(root)]) == 0
    assert main(["--project", str(root), "import", str(DATA / "maxqda-24-codebook.qdc")]) == 0
    before = (root / "codebook.yaml").read_bytes()
    assert main(["--project", str(root), "import", str(DATA / "taguette-1.4-codebook.qdc")]) == 2
    err = capsys.readouterr().err
    assert "already has 2 codes" in err and "taguette-1.4-codebook.qdc" in err
    assert (root / "codebook.yaml").read_bytes() == before


def test_cli_broken_qdc_exits_2_naming_file_and_element(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "p"
    assert main(["init", str(root)]) == 0
    bad = tmp_path / "bad.qdc"
    bad.write_text("<Codes><Code name='x'/></Codes>", encoding="utf-8")
    before = (root / "codebook.yaml").read_bytes()
    assert main(["--project", str(root), "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.qdc" in err and "<Codes>" in err and "codebook (.qdc)" in err
    assert (root / "codebook.yaml").read_bytes() == before
    with pytest.raises(InputFileError):
        import_codebook_into(Project.open(root), bad)


# --------------------------------------------------------------------------- qualcode's own fields
def descriptions_of(root: etree._Element) -> dict[str, str]:
    return {c.get("name"): c.findtext("{*}Description") or "" for c in root.iter("{*}Code")}


def test_exported_descriptions_show_only_the_description(tmp_path: Path, project_schema, codebook_schema) -> None:
    """NVivo and MAXQDA show a Description as memo text: qualcode's fields stay out of it (in
    an XML comment, valid against both schemas) and still come back into qualcode."""
    export_qdpx(sample_data(), tmp_path / "p.qdpx")
    export_qdc(sample_codebook(), tmp_path / "c.qdc")
    root = qde_of(tmp_path / "p.qdpx")
    qdc = etree.parse(str(tmp_path / "c.qdc")).getroot()
    for tree in (root, qdc):
        shown = descriptions_of(tree)
        assert shown["No Covid effect"] == "COVID-19 did not change the trend."
        assert shown["Visa regime 🛂"] == ""
        assert not any("[qualcode]" in text or "include:" in text for text in shown.values())
    assert project_schema.validate(root) and codebook_schema.validate(qdc)
    assert import_qdc(tmp_path / "c.qdc")[0].codes == sample_codebook().codes
    assert import_qdpx(tmp_path / "p.qdpx").codebook.codes == sample_codebook().codes


def test_qualcode_block_is_opt_in_and_still_read(tmp_path: Path, codebook_schema) -> None:
    export_qdc(sample_codebook(), tmp_path / "c.qdc", qualcode_block=True)
    qdc = etree.parse(str(tmp_path / "c.qdc")).getroot()
    assert "[qualcode]\nid: covid_no_effect" in descriptions_of(qdc)["No Covid effect"]
    assert codebook_schema.validate(qdc)
    for comment in qdc.iter(etree.Comment):  # a tool that drops comments keeps the block
        comment.getparent().remove(comment)
    (tmp_path / "bare.qdc").write_bytes(etree.tostring(qdc))
    assert import_qdc(tmp_path / "bare.qdc")[0].codes == sample_codebook().codes


def test_cli_export_options(tmp_path: Path, demo_project: Project) -> None:
    root = str(demo_project.root)
    assert main(["--project", root, "export", "qdpx", "--for", "nvivo", str(tmp_path / "n.qdpx")]) == 0
    assert main(["--project", root, "export", "qdpx", "--offsets", "utf16", str(tmp_path / "u.qdpx")]) == 0
    assert main(["--project", root, "export", "qdpx", "--qualcode-block", str(tmp_path / "b.qdpx")]) == 0
    assert "UTF-16" in qde_of(tmp_path / "n.qdpx").get("origin")
    with zipfile.ZipFile(tmp_path / "n.qdpx") as archive:
        assert all(
            b"\r\n" in archive.read(n) for n in archive.namelist() if n.endswith(".txt") and b"\n" in archive.read(n)
        )
    assert "[qualcode]" in "".join(descriptions_of(qde_of(tmp_path / "b.qdpx")).values())
    assert main(["--project", root, "export", "qdpx", "--offsets", "bytes", str(tmp_path / "x.qdpx")]) == 2


# --------------------------------------------------------------------------- offset conversion
TEXTS = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40).map(
    lambda t: t.replace("\r", "")
)  # qualcode's texts have LF line ends


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.sampled_from(["codepoints", "utf16"]), st.sampled_from(["lf", "crlf"]), st.data())
def test_offset_conversion_round_trips(text: str, offsets: str, newline: str, data) -> None:
    """Writing positions one way (units, line ends) and reading them back with that counting
    gives the same code-point positions, and the written text in those units is the quote."""
    from qualcode.refi.offsets import Counting, PositionMap

    written, position = ExportOptions(offsets, newline).convert(text)
    counting = Counting(offsets, 2)  # qualcode writes CRLF as two units
    back = PositionMap(written, counting)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert back.to_text(position(start)) == start and back.to_text(position(end)) == end
    units = written.encode("utf-16-le") if offsets == "utf16" else None
    piece = (
        units[2 * position(start) : 2 * position(end)].decode("utf-16-le")
        if units
        else written[position(start) : position(end)]
    )
    assert piece.replace("\r\n", "\n") == text[start:end]


@settings(max_examples=150, deadline=None)
@given(TEXTS.filter(lambda t: any(ord(c) > 0xFFFF for c in t)), st.data())
def test_positions_inside_a_surrogate_pair_are_not_mapped(text: str, data) -> None:
    from qualcode.refi.offsets import UTF16, PositionMap

    i = data.draw(st.sampled_from([i for i, c in enumerate(text) if ord(c) > 0xFFFF]))
    middle = len(text[:i].encode("utf-16-le")) // 2 + 1
    assert PositionMap(text, UTF16).to_text(middle) is None


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["word", "Wörter", "🙂", "𝟙𝟚", "  ", "\r\n", ", "]), min_size=3, max_size=30),
    st.data(),
)
def test_detection_finds_utf16_named_selections(pieces: list[str], data) -> None:
    """Selections written in UTF-16 units with the quote as name are read back on their text,
    whatever the origin says."""
    from qualcode.refi.offsets import STANDARD, UTF16, detect_counting, normalise_newlines

    raw = "".join(pieces)
    words = [(m.start(), m.end()) for m in __import__("re").finditer(r"\w+", raw)]
    if not words:
        return
    chosen = data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=5))

    def u(p: int) -> int:
        return len(raw[:p].encode("utf-16-le")) // 2

    selections = [(u(s), u(e), raw[s:e]) for s, e in chosen]
    detection = detect_counting(raw, selections, [STANDARD, UTF16])
    assert detection.counting is not None
    from qualcode.refi.offsets import PositionMap

    positions, text = PositionMap(raw, detection.counting), normalise_newlines(raw)
    for s, e, name in selections:
        assert text[positions.to_text(s) : positions.to_text(e)] == name


# --------------------------------------------------------------------------- the app
def app_at(page: str, role: str):  # type: ignore[no-untyped-def]
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "streamlit_app.py"), default_timeout=60)
    at.session_state["qc_start_page"] = page
    at.session_state["qc_local_name"] = "sam"
    at.session_state["qc_local_role"] = role
    return at


@pytest.mark.parametrize("role, shown", [("supervisor", True), ("admin", True), ("annotator", False)])
def test_app_import_section_for_supervisors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, role: str, shown: bool
) -> None:
    Project.init(tmp_path / "p").close()
    monkeypatch.setenv("QUALCODE_PROJECT", str(tmp_path / "p"))
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    at = app_at("interviews", role).run()
    assert not at.exception
    labels = [e.label for e in at.expander]
    assert any("REFI-QDA" in label for label in labels) == shown


@pytest.mark.parametrize("file", ["nvivo-14-utf16-crlf.qdpx", "taguette-1.4-codebook.qdc"])
def test_app_import_gives_the_cli_summary_and_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], file: str
) -> None:
    from qualcode.app.components.refi_import import import_upload

    assert main(["init", str(tmp_path / "cli")]) == 0
    capsys.readouterr()
    assert main(["--project", str(tmp_path / "cli"), "import", str(DATA / file)]) == 0
    cli_lines = capsys.readouterr().out.strip().splitlines()
    project = Project.init(tmp_path / "app")
    summary = import_upload(project, file, (DATA / file).read_bytes()).splitlines()
    assert summary[1:] == cli_lines[1:] and summary[1:]  # the same warnings, with their counts
    assert summary[0] == cli_lines[0]
    project.close()


def test_app_import_of_a_bad_file_names_the_upload_and_stores_nothing(tmp_path: Path) -> None:
    from qualcode.app.components.refi_import import import_upload

    project = Project.init(tmp_path / "p")
    before = (tmp_path / "p" / "codebook.yaml").read_bytes()
    with pytest.raises(InputFileError) as info:
        import_upload(project, "their_export.qdpx", b"not a zip at all")
    assert "their_export.qdpx" in str(info.value) and "qualcode-refi-" not in str(info.value)
    with pytest.raises(InputFileError, match="not a REFI-QDA file"):
        import_upload(project, "notes.docx", b"")
    assert (tmp_path / "p" / "codebook.yaml").read_bytes() == before
    assert project.status()["documents"] == 0
    annotator = project.as_user(Actor("ann", "annotator", local=True))
    with pytest.raises(PermissionDenied):
        import_upload(annotator, "x.qdc", (DATA / "maxqda-24-codebook.qdc").read_bytes())
    project.close()


def test_unreadable_source_variable_values_are_counted(tmp_path: Path) -> None:
    source = DATA / "maxqda-24-capitalised-bom.qdpx"
    copy = tmp_path / "m.qdpx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(copy, "w") as new:
        for name in old.namelist():
            data = old.read(name)
            new.writestr(
                name, data.replace(b"<FloatValue>12.5<", b"<FloatValue>twelve<") if name.endswith(".qde") else data
            )
    project = import_qdpx(copy)
    assert "1 source variable value could not be read and was skipped." in project.warnings
    assert "Length" not in project.documents[0].metadata


def test_without_evidence_the_files_own_counting_is_kept() -> None:
    """A selection of only a line break tells no counting apart: the origin's (here the
    standard's) stays, and the empty span is reported as one, not 'converted'."""
    from qualcode.refi.offsets import STANDARD, UTF16, detect_counting

    assert detect_counting("Hello\r\nworld", [(0, 5, ""), (5, 6, "")], [STANDARD, UTF16]).counting == STANDARD
