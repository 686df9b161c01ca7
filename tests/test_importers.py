"""Reading interview files: encodings, front matter, .docx comments, subtitles, bad input."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx as python_docx
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qualcode.errors import InputFileError
from qualcode.importers import SUPPORTED_SUFFIXES, decode_text, read_document, read_documents
from qualcode.importers.docx import PARAGRAPH_SEPARATOR
from qualcode.importers.encoding import plausibly_cyrillic

DATA = Path(__file__).parent / "data" / "importers"
BAD = DATA / "bad"

EXPERT_E_TEXT = (
    "Interviewer: Tell me about Zoë's team.\n\nRespondent: Zoë ran the café project — it was 50 % funded by the city."
)
RUSSIAN_TEXT = (
    "Интервьюер: Как начинался проект?\n\n"
    "Эксперт: Всё началось в 2010 году. Бюджет сократили, и мы искали партнёров.\n\n"
    "Интервьюер: Что было труднее всего?\n\n"
    "Эксперт: Доверие между ведомствами. Никто не делился данными!"
)


def covered(doc, segment):
    return doc.text[segment.start : segment.end]


def of_kind(doc, kind):
    return [covered(doc, s) for s in doc.segments if s.kind == kind]


# --------------------------------------------------------------------------- encodings
@pytest.mark.parametrize(
    "name",
    [
        "expert_E_utf16le.txt",
        "expert_E_utf16be.txt",
        "expert_E_utf16le_nobom.txt",
        "expert_E_cr.txt",
    ],
)
def test_encodings_and_line_ends_give_the_same_text(name):
    doc = read_document(DATA / name)
    assert doc.text == EXPERT_E_TEXT
    assert doc.language == "en"
    assert of_kind(doc, "turn") == [
        "Tell me about Zoë's team.",
        "Respondent: Zoë ran the café project — it was 50 % funded by the city."[len("Respondent: ") :],
    ]


def test_utf8_bom_and_crlf_are_normalised():
    raw = (DATA / "expert_B_bom_crlf.txt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    doc = read_document(DATA / "expert_B_bom_crlf.txt")
    assert "\r" not in doc.text and "\ufeff" not in doc.text
    assert doc.text.startswith("Q: What changed for you?\nA: The paperwork doubled.")
    assert [s.speaker for s in doc.segments if s.kind == "turn"] == ["Q", "A", "Q", "A"]
    # Turns on consecutive lines (no blank line) are separate paragraphs too.
    assert of_kind(doc, "paragraph")[:2] == [
        "What changed for you?",
        "The paperwork doubled. We spent “half the shift” on forms.",
    ]
    assert doc.participant.id == "B"
    assert doc.participant.attributes == {"role": "Nurse"}


def test_windows_1251_russian_is_decoded_and_segmented_as_russian():
    raw = (DATA / "expert_R2_cp1251.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    doc = read_document(DATA / "expert_R2_cp1251.txt")
    assert doc.text == RUSSIAN_TEXT
    assert doc.language == "ru"
    assert doc.participant.id == "R2"
    assert of_kind(doc, "sentence") == [
        "Как начинался проект?",
        "Всё началось в 2010 году.",
        "Бюджет сократили, и мы искали партнёров.",
        "Что было труднее всего?",
        "Доверие между ведомствами.",
        "Никто не делился данными!",
    ]
    assert [s.speaker for s in doc.segments if s.kind == "turn"] == ["Интервьюер", "Эксперт", "Интервьюер", "Эксперт"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Мы начали работу в 2010 году. «Сложно» — да.", True),
        ("Le cafй йtait fermй, mais nous avons parlй.", False),  # Latin-1 read as cp1251
        ("Only English here.", False),
    ],
)
def test_cyrillic_plausibility(text, expected):
    assert plausibly_cyrillic(text) is expected


_TEXT_CHARS = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff")
_LINES = st.lists(st.text(_TEXT_CHARS, min_size=1, max_size=30), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(lines=_LINES, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom"]))
def test_decode_round_trips_with_bom_or_utf8(lines, encoding):
    text = "\n".join(lines)
    assume(text.strip())
    if encoding == "utf-16-be-bom":
        data = b"\xfe\xff" + text.encode("utf-16-be")
    else:
        data = text.encode(encoding)
    assert decode_text(data, "gen.txt") == text


_BMP_CHARS = st.characters(max_codepoint=0xFFFF, blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff\ufffe")


@settings(max_examples=80, deadline=None)
@given(
    words=st.lists(
        st.tuples(st.text(_BMP_CHARS, min_size=1, max_size=8), st.sampled_from([" ", "\n", ", ", ". "])),
        min_size=1,
        max_size=15,
    ),
    little_endian=st.booleans(),
)
def test_decode_round_trips_bomless_utf16(words, little_endian):
    text = "Q: " + "".join(w + glue for w, glue in words)
    # The documented rule: at least a tenth of the characters are below U+0100 (spaces and
    # punctuation count), and characters whose low byte is zero (U+0100, U+4E00, …) are at
    # most a quarter as many.
    latin1 = sum(1 for ch in text if ord(ch) < 0x100)
    low_zero = sum(1 for ch in text if ord(ch) >= 0x100 and ord(ch) % 0x100 == 0)
    assume(latin1 * 10 >= len(text) and low_zero * 4 <= latin1)
    data = text.encode("utf-16-le" if little_endian else "utf-16-be")
    assert decode_text(data, "gen.txt") == text


def test_a_stray_nul_in_a_text_file_is_not_read_as_utf16():
    data = b"Interviewer: hello there, how are you?\nExpert: fine\x00!\n"
    assert len(data) % 2 == 0
    with pytest.raises(InputFileError, match="NUL bytes"):
        decode_text(data, "stray.txt")


def test_utf32_with_bom_is_refused():
    with pytest.raises(InputFileError, match=r"utf32\.txt.*NUL"):
        decode_text("Q: hello".encode("utf-32"), "utf32.txt")


_RUSSIAN_WORD = st.text(
    st.sampled_from("абвгдежзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЭЮЯё"), min_size=1, max_size=12
)
_GLUE = st.sampled_from([" ", ", ", ". ", "\n", " — ", " «", "» ", " 2010 ", "? "])


@settings(max_examples=60, deadline=None)
@given(words=st.lists(st.tuples(_RUSSIAN_WORD, _GLUE), min_size=1, max_size=20))
def test_decode_round_trips_windows_1251_russian(words):
    text = "".join(w + g for w, g in words).strip()
    # "яю"/"юя" are the bytes FF FE/FE FF, UTF-16 byte order marks: such files are UTF-16
    # if the rest decodes as UTF-16 text (documented ambiguity).
    assume(not text.startswith(("яю", "юя")))
    data = text.encode("cp1251")
    # Tiny texts like "Рё" are also valid UTF-8 ("и"); those decode as UTF-8, by design.
    try:
        data.decode("utf-8")
        assume(False)
    except UnicodeDecodeError:
        pass
    assert decode_text(data, "gen.txt") == text


@settings(max_examples=40, deadline=None)
@given(lines=_LINES, newline=st.sampled_from(["\r\n", "\r", "\n"]))
def test_line_ends_become_lf(lines, newline):
    text = "\n".join(line.replace("\r", "").replace("\n", "") for line in lines)
    assume(text.strip() and not any(ch in text for ch in "\x85\u2028\u2029"))
    assert decode_text(text.replace("\n", newline).encode("utf-8"), "gen.txt") == text


def test_size_and_line_limits_are_configurable():
    with pytest.raises(InputFileError, match=r"big\.txt.*more than the 0\.0 MB limit"):
        decode_text(b"Q: hello there", "big.txt", max_bytes=10)
    with pytest.raises(InputFileError) as info:
        decode_text(b"Q: short\n" + b"x" * 50 + b"\n", "long.txt", max_line_chars=40)
    problem = info.value.problems[0]
    assert problem.path == "long.txt" and problem.line == 2
    assert decode_text(b"Q: short\n" + b"x" * 30, "ok.txt", max_line_chars=40).endswith("x" * 30)


def test_invalid_byte_after_utf16_bom_is_located():
    with pytest.raises(InputFileError, match=r"x\.txt.*byte offset 4"):
        decode_text(b"\xff\xfeQ\x00\x00\xd8", "x.txt")  # lone surrogate


# --------------------------------------------------------------------------- text + front matter
def test_markdown_front_matter_becomes_participant_and_metadata():
    doc = read_document(DATA / "expert_A.md")
    assert doc.name == "expert_A"
    assert doc.participant.id == "A"
    assert doc.participant.label == "Expert (A)"
    assert doc.participant.attributes == {
        "role": "Policy advisor",
        "organisation": "Ministry of Health",
        "organisation_type": "government",
        "date": "2024-03-01",
        "place": "Berlin",
        "mode": "video call",
        "interview_language": "English",
        "seniority": "12 years",
    }
    assert doc.metadata["body_line"] == 14
    source_lines = (DATA / "expert_A.md").read_text(encoding="utf-8").split("\n")
    assert doc.text.split("\n")[0] == source_lines[13]
    assert doc.text.startswith("Interviewer: How did the programme start?\n\nExpert A:")
    assert doc.text.endswith("Later it improved… slowly.")
    assert doc.source_path == str(DATA / "expert_A.md")


def test_markdown_sentences_and_turns_are_exact():
    doc = read_document(DATA / "expert_A.md")
    assert of_kind(doc, "sentence") == [
        "How did the programme start?",
        "It started in 2010, when the ministry cut the budget.",
        "Dr. Lee asked me to\nfind partners.",
        "We had three months.",
        "What was hardest?",
        "Trust between the agencies.",
        "Nobody shared data at first!",
        "Later it improved… slowly.",
    ]
    turns = [(s.speaker, covered(doc, s)) for s in doc.segments if s.kind == "turn"]
    assert [speaker for speaker, _ in turns] == ["Interviewer", "Expert A", "Interviewer", "Expert A"]
    assert turns[1][1] == (
        "It started in 2010, when the ministry cut the budget. Dr. Lee asked me to\nfind partners. We had three months."
    )


@pytest.mark.parametrize("language, expected", [(None, "en"), ("xx", "xx"), ("ru", "ru")])
def test_language_argument_is_the_default_when_the_file_does_not_say(language, expected, tmp_path):
    path = tmp_path / "interview_1.txt"
    path.write_text("Q: Hello?\nA: Hi.\n", encoding="utf-8")
    assert read_document(path, language=language).language == expected


@pytest.mark.parametrize("code", ["english", "tlh", ""])
def test_language_argument_is_checked(code, tmp_path):
    path = tmp_path / "interview_1.txt"
    path.write_text("Q: Hello?\n", encoding="utf-8")
    if code == "":
        assert read_document(path, language=code).language == "en"  # empty: guess
        return
    with pytest.raises(InputFileError, match=f"unknown language '{code}'"):
        read_document(path, language=code)


def test_front_matter_language_wins_and_cyrillic_is_guessed(tmp_path):
    declared = tmp_path / "a_1.md"
    declared.write_text("---\nlanguage: xx\n---\nQ: Hello?\n", encoding="utf-8")
    assert read_document(declared, language="ru").language == "xx"
    guessed = tmp_path / "a_2.md"
    guessed.write_text("В: Как дела?\nО: Хорошо, spasibo.\n", encoding="utf-8")
    doc = read_document(guessed)
    assert doc.language == "ru"
    assert [s.speaker for s in doc.segments if s.kind == "turn"] == ["В", "О"]


def test_front_matter_speakers_list_fixes_the_turn_labels(tmp_path):
    path = tmp_path / "expert_Z.md"
    path.write_text("---\nspeakers: [Dr Who]\n---\nDr Who: Hello.\nNote: not a turn\n", encoding="utf-8")
    doc = read_document(path)
    assert [(s.speaker, covered(doc, s)) for s in doc.segments if s.kind == "turn"] == [
        ("Dr Who", "Hello.\nNote: not a turn")
    ]
    assert "speakers" not in doc.participant.attributes


def test_file_without_front_matter_gets_participant_from_file_name(tmp_path):
    path = tmp_path / "expert_Q.txt"
    path.write_text("\n\nInterviewer: Why?\n\nExpert: Because.   \n\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.participant.id == "Q" and doc.participant.label == "Expert (Q)"
    assert doc.text == "Interviewer: Why?\n\nExpert: Because."


# --------------------------------------------------------------------------- docx
def _coding(doc, code):
    [found] = [c for c in doc.codings if c.code == code]
    return found


@pytest.mark.parametrize("name", ["expert_C.docx", "expert_R.docx", "gdocs_D.docx"])
def test_sample_docx_files_are_real_word_documents(name):
    # python-docx (an independent reader) opens them and sees the same comments.
    word = python_docx.Document(str(DATA / name))
    ours = read_document(DATA / name)
    replies = 1 if name == "expert_C.docx" else 0
    skipped = len(ours.metadata.get("skipped_comments", []))
    assert len(list(word.comments)) == len(ours.codings) + skipped + replies
    assert {c.author for c in word.comments} >= {c.annotator for c in ours.codings}
    assert {c.text.strip() for c in word.comments} >= {c.code for c in ours.codings}
    for coding in ours.codings:
        assert coding.quote == ours.text[coding.start : coding.end]
        assert coding.document == ours.name
        assert coding.origin == "imported"


def test_docx_comments_become_codings_with_overlaps_and_paragraph_spans():
    doc = read_document(DATA / "expert_C.docx")
    assert [c.code for c in doc.codings] == [
        "Funding cuts",
        "Partnerships",
        "Trust\n(spans the question)",
        "Atmosphere",
    ]
    funding = _coding(doc, "Funding cuts")
    assert (funding.quote, funding.annotator) == ("the ministry cut the budget", "Alice")
    assert funding.created_at == "2024-05-02T09:00:00Z"
    assert funding.memo == "Bob: Agree, but note the year."  # the threaded reply
    partnerships = _coding(doc, "Partnerships")
    assert partnerships.quote == "cut the budget. We had to find partners"
    assert partnerships.annotator == "Bob"
    assert funding.start < partnerships.start < funding.end < partnerships.end  # overlap
    trust = _coding(doc, "Trust\n(spans the question)")
    assert trust.quote == (
        "quickly.\tReally\nquickly.\n\nInterviewer: What was hardest?\n\nExpert C: Trust between the agencies"
    )
    assert trust.quote.count(PARAGRAPH_SEPARATOR) == 2
    assert _coding(doc, "Atmosphere").quote == "Calm and open"  # inside a table cell
    assert {c["text"]: c["reason"] for c in doc.metadata["skipped_comments"]} == {
        "Empty range": "the commented range contains no text",
        "No range at all": "the comment is not attached to a range of text",
    }


def test_docx_text_rules():
    doc = read_document(DATA / "expert_C.docx")
    paragraphs = doc.text.split(PARAGRAPH_SEPARATOR)
    assert paragraphs[:3] == [
        "Interviewer: How did the programme start?",
        "Expert C: It started in 2010 when the ministry cut the budget. We had to find partners "
        "quickly.\tReally\nquickly.",
        "Interviewer: What was hardest?",  # the tracked deletion "the " is not text
    ]
    assert paragraphs[3] == "Expert C: Trust between the agencies. Nobody shared data at first."
    assert paragraphs[4:] == ["Observer note:", "Calm and open"]
    assert doc.participant.id == "C" and doc.participant.label == "Expert (C)"
    assert doc.metadata["core"]["title"] == "Interview with expert C"
    assert of_kind(doc, "paragraph")[:2] == [
        "How did the programme start?",
        "It started in 2010 when the ministry cut the budget. We had to find partners quickly.\tReally\nquickly.",
    ]


def test_russian_docx_front_matter_block_is_removed_and_offsets_follow():
    doc = read_document(DATA / "expert_R.docx")
    assert doc.text == RUSSIAN_TEXT.replace("данными!", "данными.")
    assert doc.participant.id == "R" and doc.participant.label == "Эксперт (R)"
    assert doc.participant.attributes["organisation"] == "Минздрав"
    assert doc.language == "ru"
    finance = _coding(doc, "Финансирование")
    assert finance.annotator == "Иван"
    assert finance.quote == (
        "Бюджет сократили, и мы искали партнёров.\n\n"
        "Интервьюер: Что было труднее всего?\n\nЭксперт: Доверие между ведомствами"
    )
    assert _coding(doc, "Доверие").quote == "Никто не делился данными"


def test_google_docs_style_block_level_ranges_and_empty_paragraphs():
    doc = read_document(DATA / "gdocs_D.docx")
    assert doc.text == (
        "Moderator: Tell me about the pilot.\n\n"
        "Participant D: It was chaotic at first. Then the team settled.\n\n"
        "Moderator: And now?\n\nParticipant D: Now it runs smoothly."
    )
    assert _coding(doc, "Implementation problems").quote == (
        "Participant D: It was chaotic at first. Then the team settled."
    )
    assert _coding(doc, "change over time").quote == (
        "Then the team settled.\n\nModerator: And now?\n\nParticipant D: Now it runs"
    )
    assert doc.participant.id == "D"
    assert "core" not in doc.metadata


def _docx_bytes(parts: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _sample_parts() -> dict[str, bytes]:
    with zipfile.ZipFile(DATA / "gdocs_D.docx") as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"word/bomb.xml": b"\x00" * (3 * 1024 * 1024)}, "zip bomb"),
        (
            {
                "word/document.xml": b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM '
                b'"file:///etc/passwd">]><w:document xmlns:w="http://schemas.'
                b'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
                b"<w:t>&x;</w:t></w:r></w:p></w:body></w:document>"
            },
            "DOCTYPE",
        ),
        ({"word/document.xml": b"<w:document><w:body>"}, "not well-formed XML"),
        ({"word/document.xml": None}, "has no 'word/document.xml' part"),
    ],
)
def test_unsafe_or_damaged_docx_is_refused(tmp_path, change, message):
    parts = _sample_parts()
    for name, content in change.items():
        if content is None:
            parts.pop(name)
        else:
            parts[name] = content
    path = tmp_path / "expert_X.docx"
    path.write_bytes(_docx_bytes(parts))
    with pytest.raises(InputFileError, match=message) as info:
        read_document(path)
    assert info.value.problems[0].path == str(path)


# --------------------------------------------------------------------------- subtitles
def test_zoom_vtt_merges_cues_of_the_same_speaker():
    doc = read_document(DATA / "zoom_meeting.vtt")
    assert doc.text == (
        "Anna Interviewer: Thanks for joining. How did the pilot start? Take your time.\n\n"
        "Ben Expert: It started in 2010. The ministry cut the budget. We had to find partners "
        "& money quickly.\n\nAnna Interviewer: And then?"
    )
    turns = [(s.speaker, covered(doc, s)) for s in doc.segments if s.kind == "turn"]
    assert turns == [
        ("Anna Interviewer", "Thanks for joining. How did the pilot start? Take your time."),
        ("Ben Expert", "It started in 2010. The ministry cut the budget. We had to find partners & money quickly."),
        ("Anna Interviewer", "And then?"),
    ]
    assert doc.metadata["speakers"] == ["Anna Interviewer", "Ben Expert"]
    assert doc.metadata["cues"] == 5
    assert doc.metadata["turn_times"] == [[1.0, 9.0], [9.1, 19.0], [19.5, 21.0]]


def test_vtt_voice_tags_notes_styles_and_continuation_cues():
    doc = read_document(DATA / "team_voices.vtt")
    assert doc.text == (
        "Mod: Welcome, everyone.\n\nParticipant 7: I disagree with the plan. It ignores the night shift.\n\nMod: Noted."
    )
    assert [s.speaker for s in doc.segments if s.kind == "sentence"] == ["Mod", "Participant 7", "Participant 7", "Mod"]
    assert doc.metadata["turn_times"][-1] == [3608.0, 3609.0]


def test_srt_with_crlf_and_tags():
    doc = read_document(DATA / "focus_group.srt")
    assert doc.text == (
        "Interviewer: What was the biggest barrier?\n\n"
        "Expert: Money. Always money. And time.\n\nInterviewer: Thank you."
    )
    assert of_kind(doc, "sentence") == [
        "What was the biggest barrier?",
        "Money.",
        "Always money.",
        "And time.",
        "Thank you.",
    ]
    assert doc.metadata["format"] == "srt"


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "name, line, message",
    [
        ("latin1.txt", 1, r"byte 0xF9 at byte offset 14.*save it as UTF-8"),
        ("binary.txt", 3, r"NUL bytes.*binary file"),
        ("nul_in_utf8.txt", 2, r"NUL bytes"),
        ("empty.txt", None, r"empty"),
        ("blank.md", None, r"empty"),
        ("broken_front_matter.md", 4, r"front matter is not valid YAML"),
        ("unclosed_front_matter.md", 1, r"never closed"),
        ("tagged_front_matter.md", 2, r"python/object"),
        ("list_front_matter.md", 2, r"key: value"),
        ("bad_language.md", 3, r"unknown language 'english'.*'en', 'ru', 'xx'"),
        ("front_matter_only.md", 5, r"no text after it"),
        ("bad_timestamp.vtt", 8, r"malformed cue timing '00:00:4\.5 --> 00:00:06\.000'"),
        ("no_header.vtt", 1, r"WEBVTT"),
        ("bad_timestamp.srt", 6, r"malformed cue timing"),
        ("missing_timing.srt", 5, r"expected a cue timing line"),
        ("not_a_zip.docx", None, r"not a valid \.docx"),
        ("notes.rtf", None, r"unsupported file type '\.rtf'.*'\.docx', '\.md', '\.srt', '\.txt', '\.vtt'"),
    ],
)
def test_bad_input_is_refused_with_file_and_location(name, line, message):
    path = BAD / name
    with pytest.raises(InputFileError, match=message) as info:
        read_document(path)
    problem = info.value.problems[0]
    assert problem.path == str(path)
    assert problem.line == line
    assert str(path) in str(info.value)


def test_every_problem_in_a_subtitle_file_is_reported_at_once():
    with pytest.raises(InputFileError) as info:
        read_document(BAD / "bad_timestamp.vtt")
    assert [(p.line, p.message.split(" ")[0]) for p in info.value.problems] == [(8, "malformed"), (12, "cue")]


def test_read_documents_batches_and_collects_problems_from_all_files():
    docs = read_documents(
        [DATA / "expert_A.md", DATA / "expert_R2_cp1251.txt", DATA / "zoom_meeting.vtt", DATA / "expert_C.docx"]
    )
    assert [d.name for d in docs] == ["expert_A", "expert_R2_cp1251", "zoom_meeting", "expert_C"]
    single = read_document(DATA / "expert_R2_cp1251.txt")
    assert docs[1].segments == single.segments
    with pytest.raises(InputFileError) as info:
        read_documents([DATA / "expert_A.md", BAD / "empty.txt", BAD / "notes.rtf"])
    assert [p.path for p in info.value.problems] == [str(BAD / "empty.txt"), str(BAD / "notes.rtf")]


def test_supported_suffixes():
    assert set(SUPPORTED_SUFFIXES) == {".md", ".txt", ".docx", ".vtt", ".srt"}


# --------------------------------------------------------------------------- front matter fast path
_KEYS = st.sampled_from(["participant", "label", "role", "date", "n", "on", "null", "x-y", "Yes"])
_VALUES = st.one_of(
    st.sampled_from(
        [
            "A",
            "Expert (A)",
            "Dr. O'Neil",
            "yes",
            "No",
            "null",
            "~",
            "2024-03-01",
            "2024-13-01",
            "007",
            "-0",
            "12",
            "1e3",
            "x - y",
            "a: b",
            "a #b",
            "[x]",
            "é",
            "Ölçek",
            "a\tb",
            "true",
            "2024-03-01T10:00:00",
            "'quoted'",
            "Минздрав",
        ]
    ),
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12),
    st.text(st.sampled_from("aZé 1-:.\t\u3000\u2028\u0085\ufeff\ufffe\x7f#'"), min_size=1, max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_KEYS, _VALUES), min_size=1, max_size=5))
def test_front_matter_fast_path_agrees_with_ruamel(pairs):
    from ruamel.yaml import YAML

    from qualcode.importers.metadata import _plain, _simple_mapping

    source = "".join(f"{k}: {v}\n" for k, v in pairs)
    fast = _simple_mapping(source)
    if fast is None:
        return  # the real parser handles it
    reference = YAML(typ="safe", pure=True).load(source)  # raises if the fast path was wrong
    assert fast == {str(k): _plain(v) for k, v in reference.items()}


# --------------------------------------------------------------------------- front-matter warnings
def test_misspelt_front_matter_keys_and_missing_front_matter_warn_with_did_you_mean(tmp_path):
    misspelt = tmp_path / "expert_Q.md"
    misspelt.write_text("---\nparticpant: Q\nLabel: Expert Q\nregion: North\n---\nInterviewer: Hi?\n", encoding="utf-8")
    doc = read_document(misspelt)
    found = {(w.field, w.line, w.hint) for w in doc.warnings}
    assert found == {
        ("particpant", 2, "Did you mean 'participant'?"),
        ("Label", 3, "Did you mean 'label'?"),
    }  # 'region' is an attribute by design: no warning
    assert doc.participant.attributes["region"] == "North"
    bare = tmp_path / "expert_R.md"
    bare.write_text("Interviewer: Hi?\n", encoding="utf-8")
    (warning,) = read_document(bare).warnings
    assert "has no front matter; participant 'R' (label 'Expert (R)') comes from the file name" in str(warning)
    good = tmp_path / "expert_S.md"
    good.write_text("---\nparticipant: S\n---\nInterviewer: Hi?\n", encoding="utf-8")
    assert read_document(good).warnings == []


def test_import_prints_front_matter_warnings_and_still_imports(tmp_path, capsys):
    from qualcode.cli import main

    root = tmp_path / "proj"
    assert main(["init", str(root)]) == 0
    (root / "interviews" / "expert_Q.md").write_text("---\nparticpant: Q\n---\nInterviewer: Hi?\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--project", str(root), "import"]) == 0
    out = capsys.readouterr()
    assert "documents: 1 added" in out.out
    assert (
        "Warning: " in out.err
        and "front-matter key 'particpant'" in out.err
        and "Did you mean 'participant'?" in out.err
    )


@pytest.mark.parametrize(
    "front, field, line, message",
    [
        ("date: 2024-02-30", "date", 2, "'date: 2024-02-30' is not a real date"),
        ("participant: A\ndate: 2023-02-29 10:00:00", "date", 3, "is not a real date"),
        ("age: !!float many", "age", 2, "cannot be read as float"),
        ("participant: yes\nlabel: true", "label", 3, "'label: true' is read as a yes/no value"),
        ("participant: 007.0", "participant", 2, "read as a decimal number"),
        ("scores: [1, .nan]", "scores", 2, "is not a finite number"),
    ],
)
def test_front_matter_values_that_cannot_be_converted_are_named(tmp_path, front, field, line, message):
    path = tmp_path / "expert_A.md"
    path.write_text(f"---\n{front}\n---\nInterviewer: Hi?\n", encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        read_document(path)
    problem = info.value.problems[-1]
    assert (problem.field, problem.line) == (field, line)
    assert message in problem.message and str(path) == problem.path


def test_single_name_line_rule_is_the_one_the_readme_states(tmp_path):
    """README: a `Name:` line starts a turn when the name starts two lines, or is a role word;
    a name listed under `speakers:` always does."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "when the name begins at least two lines" in readme
    body = "Interviewer: Hi?\n\nAigerim: Hello.\n\nNote: recorded in Almaty.\n"
    once = tmp_path / "once_A.md"
    once.write_text(body, encoding="utf-8")
    assert [s.speaker for s in read_document(once).segments if s.kind == "turn"] == ["Interviewer"]
    listed = tmp_path / "listed_A.md"
    listed.write_text("---\nspeakers: [Interviewer, Aigerim]\n---\n" + body, encoding="utf-8")
    assert [s.speaker for s in read_document(listed).segments if s.kind == "turn"] == ["Interviewer", "Aigerim"]
