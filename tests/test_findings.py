"""`qualcode report findings`: the thesis's sentence frame per theme, with the evidence."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from qualcode.findings import finding_sentence

LETTERS = "ABCDEFGHIJKL"
# Written out by hand (not computed) so a wrong number word or parenthesis style fails.
EXPECTED = [
    "No Experts: nothing is coded here yet.",
    "According to Expert (A), …",
    "Both Experts (A) and (B) noted …",
    "Three Experts (A,B,C) highlighted …",
    "Four Experts (A,B,C,D) highlighted …",
    "Five Experts (A,B,C,D,E) highlighted …",
    "Six Experts (A,B,C,D,E,F) highlighted …",
    "Seven Experts (A,B,C,D,E,F,G) highlighted …",
    "Eight Experts (A,B,C,D,E,F,G,H) highlighted …",
    "Nine Experts (A,B,C,D,E,F,G,H,I) highlighted …",
    "Ten Experts (A,B,C,D,E,F,G,H,I,J) highlighted …",
    "Eleven Experts (A,B,C,D,E,F,G,H,I,J,K) highlighted …",
    "Twelve Experts (A,B,C,D,E,F,G,H,I,J,K,L) highlighted …",
]


@pytest.mark.parametrize("n", range(13))
def test_sentence_frame_for_every_count(n: int) -> None:
    ids = list(reversed(LETTERS[:n]))  # order and duplicates must not matter
    assert finding_sentence(ids + ids[:1]) == EXPECTED[n]


def test_labels_give_the_tag_and_noun() -> None:
    labels = {"p1": "Participant (1)", "p2": "Participant (2)", "p10": "Participant (10)"}
    assert finding_sentence(["p10", "p2", "p1"], labels) == "Three Participants (1,2,10) highlighted …"
    assert finding_sentence(["p2"], labels) == "According to Participant (2), …"


def test_report_findings_on_the_demo(tmp_path: Path, copy_demo) -> None:  # type: ignore[no-untyped-def]
    root = copy_demo(tmp_path / "demo")
    code = "import sys; from qualcode.cli import main; sys.exit(main())"

    def run(*args: str) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
        return subprocess.run(
            [sys.executable, "-c", code, "--project", str(root), *args], capture_output=True, text=True, timeout=300
        )

    assert run("import").returncode == 0
    res = run("report", "findings")
    assert res.returncode == 0, res.stderr
    md = res.stdout
    section = md.split("### Human trafficking\n", 1)[1].split("\n## ", 1)[0]
    assert section.startswith("\nBoth Experts (F) and (H) noted …\n\n")
    assert "- Expert H: 'Kazakhstan is the only country in Central Asia that does not have a separate law" in section
    assert "(Lack of law combating human trafficking)" in section
    assert "\n### Impact of immigration of foreigners\n\nBoth Experts (C) and (D) noted …\n" in md
    assert "## Cross-cutting: Private employment agency regulation gaps\n" in md
    assert md.startswith("# Findings\n\n## Evolving Migration Trends\n\n")
    assert "### Migration Trends and Patterns\n\nSix Experts (A,B,C,D,F,G) highlighted …\n" in md
    # the README quotes only sentences the demo produces
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    quoted = re.findall(r'"((?:Six|Both|According)[^"]*…)"', readme.replace("\n   ", " ").replace("\n", " "))
    assert quoted and all(q in md for q in quoted if "(…)" not in q and "(C)" not in q), quoted
    assert "six Experts (A,B,C,D,E,F)" not in md and "Six Experts (A,B,C,D,E,F)" not in md
    trail = run("report", "consolidation")
    assert trail.returncode == 0, trail.stderr
    first = trail.stdout.splitlines()[0]
    assert first == "195 code applications → 194 unique codes → 194 codes used"
    assert first in " ".join(readme.split())  # the README quotes this line
    assert "27 of 194 codes, 211 applications" in trail.stdout
