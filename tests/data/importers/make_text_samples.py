"""Rebuild the text, subtitle and broken sample files in this folder.

Run from anywhere:  python tests/data/importers/make_text_samples.py

They are generated because several are in encodings an editor would silently change
(UTF-16, Windows-1251, CRLF line ends, BOMs).  tests/test_importers.py states what each
file must read as.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
BAD = HERE / "bad"

EXPERT_A = """\
---
participant: A
label: Expert (A)
role: Policy advisor
organisation: Ministry of Health
organisation_type: government
date: 2024-03-01
place: Berlin
mode: video call
interview_language: English
seniority: 12 years
---

Interviewer: How did the programme start?

Expert A: It started in 2010, when the ministry cut the budget. Dr. Lee asked me to
find partners. We had three months.

Interviewer: What was hardest?

Expert A: Trust between the agencies. Nobody shared data at first!
Later it improved… slowly.
"""

EXPERT_B = """\
---
participant: B
role: Nurse
---
Q: What changed for you?
A: The paperwork doubled. We spent “half the shift” on forms.
Q: And the patients?
A: They noticed. Some complained.
"""

EXPERT_E = """\
Interviewer: Tell me about Zoë's team.

Respondent: Zoë ran the café project — it was 50 % funded by the city.
"""

RUSSIAN = """\
---
participant: R2
language: ru
---
Интервьюер: Как начинался проект?

Эксперт: Всё началось в 2010 году. Бюджет сократили, и мы искали партнёров.

Интервьюер: Что было труднее всего?

Эксперт: Доверие между ведомствами. Никто не делился данными!
"""

ZOOM_VTT = """\
WEBVTT

1
00:00:01.000 --> 00:00:04.200
Anna Interviewer: Thanks for joining. How did the
pilot start?

2
00:00:04.500 --> 00:00:09.000
Anna Interviewer: Take your time.

3
00:00:09.100 --> 00:00:15.000
Ben Expert: It started in 2010. The ministry cut the budget.

4
00:00:15.000 --> 00:00:19.000
Ben Expert: We had to find partners &amp; money quickly.

5
00:00:19.500 --> 00:00:21.000
Anna Interviewer: And then?
"""

VOICE_VTT = """\
WEBVTT - team meeting
Kind: captions

NOTE This file uses voice tags, no cue ids, and a style block.

STYLE
::cue { color: yellow }

00:01.000 --> 00:03.500 align:start
<v Mod>Welcome, everyone.</v>

00:03.500 --> 00:06.000
<v.loud Participant 7><i>I disagree</i> with the plan.</v>

00:06.000 --> 00:08.000
It ignores the night shift.

01:00:08.000 --> 01:00:09.000
<v Mod>Noted.</v>
"""

SRT = """\
1
00:00:01,000 --> 00:00:03,000
Interviewer: What was the biggest barrier?

2
00:00:03,500 --> 00:00:06,000
Expert: Money. <i>Always</i> money.

3
00:00:06,000 --> 00:00:08,000
And time.

4
00:00:08,500 --> 00:00:10,000
Interviewer: Thank you.
"""


def main() -> None:
    BAD.mkdir(exist_ok=True)
    (HERE / "expert_A.md").write_bytes(EXPERT_A.encode("utf-8"))
    (HERE / "expert_B_bom_crlf.txt").write_bytes(b"\xef\xbb\xbf" + EXPERT_B.replace("\n", "\r\n").encode("utf-8"))
    (HERE / "expert_E_utf16le.txt").write_bytes(EXPERT_E.encode("utf-16"))  # BOM + LE
    (HERE / "expert_E_utf16be.txt").write_bytes(b"\xfe\xff" + EXPERT_E.encode("utf-16-be"))
    (HERE / "expert_E_utf16le_nobom.txt").write_bytes(EXPERT_E.encode("utf-16-le"))
    (HERE / "expert_E_cr.txt").write_bytes(EXPERT_E.replace("\n", "\r").encode("utf-8"))
    (HERE / "expert_R2_cp1251.txt").write_bytes(RUSSIAN.replace("\n", "\r\n").encode("cp1251"))
    (HERE / "zoom_meeting.vtt").write_bytes(ZOOM_VTT.encode("utf-8"))
    (HERE / "team_voices.vtt").write_bytes(VOICE_VTT.encode("utf-8"))
    (HERE / "focus_group.srt").write_bytes(SRT.replace("\n", "\r\n").encode("utf-8"))

    # Broken inputs: each must raise InputFileError naming the file and the place.
    (BAD / "latin1.txt").write_bytes("Interviewer: Où est le café?\nA: Là-bas.\n".encode("latin-1"))
    (BAD / "binary.txt").write_bytes(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00\x5c\x72\xa8\x66"
    )
    (BAD / "empty.txt").write_bytes(b"")
    (BAD / "blank.md").write_bytes(b"\n  \n\t\n")
    (BAD / "nul_in_utf8.txt").write_bytes(b"Interviewer: hello\nExpert: a\x00b\x00c\x00\x00\n")
    (BAD / "broken_front_matter.md").write_bytes(
        b"---\nparticipant: A\nrole: [Policy advisor\ndate: 2024-03-01\n---\nQ: Hi?\n"
    )
    (BAD / "unclosed_front_matter.md").write_bytes(b"---\nparticipant: A\nQ: Hi?\n")
    (BAD / "tagged_front_matter.md").write_bytes(b"---\nparticipant: !!python/object:os.system A\n---\nQ: Hi?\n")
    (BAD / "list_front_matter.md").write_bytes(b"---\n- A\n- B\n---\nQ: Hi?\n")
    (BAD / "bad_language.md").write_bytes(b"---\nparticipant: A\nlanguage: english\n---\nQ: Hi?\n")
    (BAD / "front_matter_only.md").write_bytes(b"---\nparticipant: A\n---\n\n")
    (BAD / "bad_timestamp.vtt").write_bytes(
        b"WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nA: ok\n\n2\n00:00:4.5 --> 00:00:06.000\n"
        b"A: bad\n\n3\n00:00:07.000 --> 00:00:06.000\nA: backwards\n"
    )
    (BAD / "no_header.vtt").write_bytes(b"1\n00:00:01.000 --> 00:00:04.000\nA: ok\n")
    (BAD / "bad_timestamp.srt").write_bytes(
        b"1\n00:00:01,000 --> 00:00:03,000\nA: fine\n\n2\n00:00:03,000 -> 00:00:05,000\nA: arrow\n"
    )
    (BAD / "missing_timing.srt").write_bytes(
        b"1\n00:00:01,000 --> 00:00:03,000\nA: fine\n\n2\nA: no timing line\nmore\n"
    )
    (BAD / "not_a_zip.docx").write_bytes(b"This is a text file renamed to .docx\n")
    (BAD / "notes.rtf").write_bytes(b"{\\rtf1\\ansi Hello}\n")


if __name__ == "__main__":
    main()
    print("wrote samples into", HERE)
