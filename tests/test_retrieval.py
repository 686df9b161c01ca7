"""Retrieval of coded segments: the excerpts of a code or theme (qualcode.retrieval), their
export to .md/.docx (qualcode.export.excerpts, Project.export_excerpts, ``qualcode export
excerpts``) and the in-place codebook edit behind the Codebook page's cards.

Data: the repository's thesis demo (a copy, imported) and the app tests' small labelled project
(tests/test_app.py: make_project, add_codings); nothing here is research data of its own."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # --import-mode=importlib: make siblings importable
from test_app import add_codings, make_project

from qualcode import retrieval
from qualcode.cli import main
from qualcode.errors import QualcodeError
from qualcode.export.excerpts import ExcerptsHeader, md_escape, to_markdown
from qualcode.project import Project
from qualcode.store import LOCAL_ADMIN, Actor


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, copy_demo) -> Path:  # type: ignore[no-untyped-def]
    root = copy_demo(tmp_path_factory.mktemp("retrieval") / "demo")
    assert main(["--project", str(root), "import"]) == 0
    return root


@pytest.fixture
def small(tmp_path: Path) -> Project:
    project = make_project(tmp_path / "proj", hostile=True)
    add_codings(project)
    yield project
    project.close()


def test_a_theme_retrieves_every_code_under_it_with_path_participant_and_coder(demo: Path) -> None:
    project = Project.open(demo)
    try:
        data = project.analysis_data()
        book = data.codebook
        theme = "migration_trends_and_patterns"
        frame = project.excerpts(theme, data=data)
        members = set(book.codes_in(theme))
        coded = data.codings.loc[data.codings["code"].isin(members)]
        assert len(frame) == len(coded) > 0
        assert set(frame["code"]) <= members
        assert list(frame.columns[:5]) == ["participant_label", "code_path", "quote", "annotator", "memo"]
        row = frame.loc[frame["code"] == "increase_in_number_of_migrants"].iloc[0]
        assert row["code_path"] == (
            "Evolving Migration Trends › Migration Trends and Patterns › Increase in the number of migrants"
        )
        assert row["participant_label"] == "Expert (F)" and row["annotator"] == "thesis-team"
        text = project.document_text(row["document"]) or ""
        assert row["quote"] == text[row["start"] : row["end"]]  # the full excerpt, not a preview
        # Natural participant order (A, B, …), then interview and position.
        keys = list(zip(frame["participant"], frame["start"]))
        assert keys == sorted(keys, key=lambda k: (retrieval._natural(k[0]), k[1]))
        # A theme label works as well as its id; a typo is a located error with a suggestion.
        assert len(project.excerpts("Migration Trends and Patterns", data=data)) == len(frame)
        with pytest.raises(QualcodeError, match="Did you mean 'trend_change'"):
            project.excerpts("trnd_change", data=data)
    finally:
        project.close()


def test_node_counts_are_the_reports_counts(demo: Path) -> None:
    from qualcode import reports

    project = Project.open(demo)
    try:
        data = project.analysis_data()
        counts = project.node_counts(data=data)
        freq = reports.code_frequencies(data).set_index("code")
        themes = reports.theme_table(data).set_index("theme_id")
        for code in ("trend_change", "increase_in_number_of_migrants"):
            assert counts.at[code, "excerpts"] == freq.at[code, "excerpts"]
            assert counts.at[code, "participants"] == freq.at[code, "experts_n"]
        top = "evolving_migration_trends"
        assert counts.at[top, "kind"] == "theme"
        assert counts.at[top, "codings"] == themes.at[top, "codings"]
        assert counts.at[top, "participants"] == themes.at[top, "experts_n"]
    finally:
        project.close()


def test_blind_annotator_retrieves_only_their_own_codings(small: Project) -> None:
    small.store.set_setting(LOCAL_ADMIN, "blind_mode", "true")
    alice = small.as_user(Actor("alice", "annotator", local=True))
    frame = alice.excerpts("borders")
    assert set(frame["annotator"]) == {"alice"} and set(frame["code"]) == {"transit", "visas"}
    assert set(small.excerpts("borders")["annotator"]) == {"alice", "bob"}  # the admin sees both


def test_markdown_export_escapes_interview_text_and_groups_by_participant(small: Project) -> None:
    text = small.store.document_text("hostile") or ""
    small.as_user(Actor("alice", "annotator", local=True)).add_coding("hostile", 0, len(text) - 1, "visas", memo="*x*")
    md = small.excerpts_bytes("policy", "md").decode("utf-8")  # the cross-cutting theme (visas, shortage)
    assert md.startswith("# Excerpts: Policy\n")
    assert "## Expert (A) (expert\\_A)" in md and "## Hostile (H) (hostile)" in md
    assert "<script>" not in md and "\\<script\\>" in md and "\\*\\*bold\\*\\*" in md
    assert "\\[link\\](http://evil.example)" in md
    assert "Memo: \\*x\\*" in md
    assert md.index("Expert (A)") < md.index("Expert (B)") < md.index("Hostile (H)")
    assert "Coded by bob" in md and "Borders › Visa rules" in md


def test_docx_export_has_each_excerpt_in_full(small: Project, tmp_path: Path) -> None:
    from docx import Document

    path = small.export_excerpts(tmp_path / "transit.docx", "transit")
    doc = Document(str(path))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == "Excerpts: Borders › Transit country"
    quote = "Kazakhstan is a transit country for many people."
    assert paragraphs.count(quote) == 2  # alice's and bob's codings of the same span
    assert any(p.startswith("Coded by alice") for p in paragraphs)
    assert any(p.startswith("Coded by bob") for p in paragraphs)
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading 2")]
    assert headings == ["Expert (A) (expert_A)"]


def test_md_escape_keeps_prose_readable() -> None:
    assert md_escape("It grew (a lot) in 2022 - twice.") == "It grew (a lot) in 2022 - twice."
    assert md_escape("- not a list\n> not a quote") == "\\- not a list\n\\> not a quote"
    empty = to_markdown(retrieval.excerpts(_empty_data()), ExcerptsHeader("All codes", "all"))
    assert "0 excerpts from 0 participants" in empty


def _empty_data():  # type: ignore[no-untyped-def]
    from qualcode.frames import make_analysis_data
    from qualcode.model import Codebook

    return make_analysis_data(Codebook(), [], [])


def test_cli_export_excerpts_md_docx_and_user_errors(demo: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "trend.md"
    assert main(["--project", str(demo), "export", "excerpts", "--code", "trend_change", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Excerpts: Evolving Migration Trends › Migration Trends and Patterns › Trend change")
    assert "now there is an exodus of people" in text and "## Expert (C) (expert\\_C)" in text
    docx = tmp_path / "theme.docx"
    args = ["--project", str(demo), "export", "excerpts", "--theme", "Human Trafficking", "--format", "docx"]
    assert main([*args, "-o", str(docx)]) == 0
    assert docx.read_bytes()[:2] == b"PK"
    capsys.readouterr()
    assert main(["--project", str(demo), "export", "excerpts", "--code", "trnd_change", "-o", str(out)]) == 2
    assert "Did you mean 'trend_change'" in capsys.readouterr().err
    assert main(["--project", str(demo), "export", "excerpts", "--code", "human_trafficking", "-o", str(out)]) == 2
    assert "use --theme" in capsys.readouterr().err
    missing = tmp_path / "no" / "x.md"
    assert main(["--project", str(demo), "export", "excerpts", "--code", "trend_change", "-o", str(missing)]) == 2


def test_edit_codebook_node_is_one_undoable_change(small: Project) -> None:
    before = small.codebook_path.read_bytes()
    small.edit_codebook_node(
        "transit",
        label="Transit corridor",
        description="Kazakhstan as a corridor to elsewhere.",
        include="Mentions of passing through.",
        exclude="",
        examples=["Expert (A): 'a transit country'", "  "],
    )
    book = small.refresh_codebook()
    code = book.codes["transit"]
    assert code.label == "Transit corridor" and "Transit country" in code.aliases
    assert code.description == "Kazakhstan as a corridor to elsewhere." and code.examples == (
        "Expert (A): 'a transit country'",
    )
    small.edit_codebook_node("borders", color="#112233")
    assert small.refresh_codebook().themes["borders"].color == "#112233"
    with pytest.raises(QualcodeError, match="Nothing to change"):
        small.edit_codebook_node("borders", color="#112233", description="")
    small.undo()  # the colour
    small.undo()  # the label, description and examples: one step
    assert small.codebook_path.read_bytes() == before


def test_the_pickers_show_the_hierarchy() -> None:
    from qualcode.model import Code, Codebook, Theme

    book = Codebook(
        themes={"work": Theme("work", "Work"), "pay": Theme("pay", "Pay", parent="work")},
        codes={"wage": Code("wage", "Wage", theme="pay"), "hours": Code("hours", "Hours", theme="work")},
    )
    assert retrieval.theme_choices(book) == {"": "(top level)", "work": "Work", "pay": "\u2003\u2003Pay"}
    assert list(retrieval.code_choices(book)) == ["work", "hours", "pay", "wage"]
    assert retrieval.code_choices(book)["wage"] == "\u2003" * 4 + "Wage"
