"""The repository's demo project against the thesis's Appendix B.

``tests/data/thesis/appendix_b.csv`` is an independent transcription of Appendix B
(the codebook) of the thesis the demo reproduces: one row per printed example quote,
with its theme group, code label, expert letter and the first words of the quote (see
``tests/data/thesis/NOTES.md``).  The demo (``codebook.yaml`` + ``interviews/`` at the
repository root) is synced into a temporary copy once per module and its analysis data
and theme table are checked against that transcription.
"""

from __future__ import annotations

import csv
import re
import shutil
import string
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).resolve().parent / "data" / "thesis" / "appendix_b.csv"

GROUPS = (
    "Migration Trends and Patterns",
    "Characteristics of Migration",
    "Reasons for movement",
    "Specific Migrant Origins and Destinations",
    "Impact of immigration of foreigners",
    "Current Policy and Regulation Enhancements",
    "Disadvantages of the current management system",
    "Human trafficking",
)

# Chapter 4's main themes and the Appendix B groups under each.  Section 4.1 names four
# sub-themes; "Migration Trends and Patterns" is not named there but its codes (recovery
# after COVID-19, no significant changes, continuing inflow) are what 4.1 opens with.
MAIN_THEMES = {
    "Evolving Migration Trends": (
        "Migration Trends and Patterns",
        "Characteristics of Migration",
        "Reasons for movement",
        "Specific Migrant Origins and Destinations",
        "Impact of immigration of foreigners",
    ),
    "Recent Policies and Enhancements": ("Current Policy and Regulation Enhancements",),
    "Disadvantages of Kazakhstan's migration management": ("Disadvantages of the current management system",),
    "Human Trafficking": ("Human trafficking",),
}

THEME_TABLE_COLUMNS = (
    "theme_id",
    "theme",
    "parent",
    "kind",
    "depth",
    "excerpts",
    "codings",
    "experts_n",
    "experts",
    "experts_phrase",
    "codes",
)

# Typographic variants that OCR, Word and hand-typing produce for the same character.
_SAME_CHARACTER = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
    }
)
_EDGE_CHARACTERS = string.punctuation + string.whitespace


def _unify(text: str) -> str:
    """NFKC (… → ...), one glyph per quote/dash, casefolded, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).translate(_SAME_CHARACTER).casefold()
    return re.sub(r"\s+", " ", text).strip()


def norm_label(label: str) -> str:
    """A label for comparison: unified glyphs, punctuation stripped at both ends."""
    return _unify(label).strip(_EDGE_CHARACTERS)


def norm_quote(quote: str) -> str:
    """A quote for prefix comparison: quote marks dropped (the thesis prints quotes
    inside quotes inconsistently), leading/trailing ellipses and punctuation stripped."""
    text = re.sub(r"['\"]", "", _unify(quote))
    return re.sub(r"\s+", " ", text).strip(_EDGE_CHARACTERS)


def thesis_phrase(letters: set[str]) -> str:
    """The thesis's notation for a set of experts: "Expert (C)", "Experts (F,H)"."""
    ordered = ",".join(sorted(letters))
    return f"Expert ({ordered})" if len(letters) == 1 else f"Experts ({ordered})"


def load_fixture() -> list[dict[str, str]]:
    with FIXTURE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


ROWS = load_fixture()


def _row_id(row: dict[str, str]) -> str:
    return f"{row['expert']}:{row['code_label']}:{row['quote_start'][:24]}"


def _fixture_by_group() -> dict[str, list[dict[str, str]]]:
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in ROWS:
        grouped[row["group"]].append(row)
    return grouped


def _fixture_by_code() -> dict[str, tuple[str, str, set[str]]]:
    """Normalised code label -> (printed label, group, experts)."""
    codes: dict[str, tuple[str, str, set[str]]] = {}
    for row in ROWS:
        key = norm_label(row["code_label"])
        codes.setdefault(key, (row["code_label"], row["group"], set()))[2].add(row["expert"])
    return codes


BY_GROUP = _fixture_by_group()
BY_CODE = _fixture_by_code()


# --------------------------------------------------------------------------- demo project
@dataclass
class Demo:
    data: Any  # qualcode.frames.AnalysisData
    table: pd.DataFrame
    status: dict[str, Any]
    participant_of: dict[str, str]  # thesis letter -> participant id

    @property
    def letter_of(self) -> dict[str, str]:
        return {pid: letter for letter, pid in self.participant_of.items()}


def _participants_by_letter(participants: pd.DataFrame) -> dict[str, str]:
    """Thesis letter -> participant id, read from ids ("A", "expert_a") or labels ("Expert (A)")."""
    mapping: dict[str, str] = {}
    for pid, label in zip(participants["participant"], participants["label"]):
        for text in (str(pid), str(label)):
            match = re.fullmatch(r"(?:expert[\s_-]*)?\(?([a-i])\)?", text.strip(), re.IGNORECASE)
            if match:
                mapping.setdefault(match.group(1).upper(), str(pid))
                break
    return mapping


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    # Imported here so that collecting this file never breaks the rest of the suite.
    from qualcode import reports
    from qualcode.project import Project

    for needed in (REPO / "codebook.yaml", REPO / "interviews"):
        assert needed.exists(), f"the demo project is missing {needed}"
    root = tmp_path_factory.mktemp("thesis_demo")
    shutil.copy2(REPO / "codebook.yaml", root / "codebook.yaml")
    shutil.copytree(REPO / "interviews", root / "interviews")
    project = Project.open(root)
    project.sync()
    data = project.analysis_data()
    return Demo(
        data=data,
        table=reports.theme_table(data),
        status=project.status(),
        participant_of=_participants_by_letter(data.participants),
    )


def _theme_rows(table: pd.DataFrame, label: str) -> pd.DataFrame:
    key = norm_label(label)
    themes = table.loc[table["kind"] == "theme"]
    return themes.loc[themes["theme"].map(lambda t: norm_label(str(t)) == key)]


def _group_row(table: pd.DataFrame, group: str) -> pd.Series:
    """The sub-theme row of an Appendix B group ("Human trafficking" is also the label,
    up to case, of its main theme, so a sub-theme wins over a main theme)."""
    rows = _theme_rows(table, group)
    sub_themes = rows.loc[rows["depth"].astype(int) >= 1]
    if len(sub_themes):
        rows = sub_themes
    assert len(rows) == 1, (
        f"expected one theme row labelled {group!r}, found {len(rows)}: "
        f"{sorted(table.loc[table['kind'] == 'theme', 'theme'])}"
    )
    return rows.iloc[0]


def _code_ids(demo: Demo, code_label: str, group: str) -> list[str]:
    """Ids of the codebook codes printed as ``code_label`` (by label, else by alias),
    preferring codes under the group's sub-theme when the label is not unique."""
    codebook = demo.data.codebook
    key = norm_label(code_label)
    found = [c.id for c in codebook.codes.values() if norm_label(c.label) == key]
    if not found:
        found = [c.id for c in codebook.codes.values() if any(norm_label(alias) == key for alias in c.aliases)]
    if len(found) > 1:
        group_rows = _theme_rows(demo.table, group)
        in_group = {code for tid in group_rows["theme_id"] for code in codebook.codes_in(tid)}
        found = [cid for cid in found if cid in in_group] or found
    return found


def _quotes(demo: Demo, codings: pd.DataFrame) -> list[str]:
    """The coded text of each coding (its stored quote, else the span of its document)."""
    quotes = []
    for row in codings.itertuples():
        quote = row.quote if isinstance(row.quote, str) else None
        if quote is None:
            quote = demo.data.texts.get(row.document, "")[int(row.start) : int(row.end)]
        quotes.append(quote)
    return quotes


# --------------------------------------------------------------------------- the fixture itself
def test_fixture_is_well_formed() -> None:
    assert [*ROWS[0].keys()] == ["group", "code_label", "expert", "quote_start"]
    assert {row["group"] for row in ROWS} == set(GROUPS)
    for row in ROWS:
        assert row["expert"] in set("ABCDEFGHI"), row
        assert row["code_label"].strip() == row["code_label"] and row["code_label"], row
        assert norm_quote(row["quote_start"]), row
    keys = [(norm_label(r["code_label"]), r["expert"], norm_quote(r["quote_start"])) for r in ROWS]
    assert len(keys) == len(set(keys)), "a quote is listed twice under the same code"
    # A code belongs to exactly one group.
    groups_of: dict[str, set[str]] = defaultdict(set)
    for row in ROWS:
        groups_of[norm_label(row["code_label"])].add(row["group"])
    assert all(len(groups) == 1 for groups in groups_of.values())


@pytest.mark.parametrize(
    ("letters", "expected"),
    [({"C"}, "Expert (C)"), ({"H", "F"}, "Experts (F,H)"), ({"B", "A", "C"}, "Experts (A,B,C)")],
)
def test_thesis_phrase(letters: set[str], expected: str) -> None:
    assert thesis_phrase(letters) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\u2018...in Kazakhstan,\u2019", "in kazakhstan"),
        ("The whole system is '\"Not  friendly' for", "the whole system is not friendly for"),
        ("U.S.....", "u.s"),
        ("Let\u2019s   say\u2026", "lets say"),
    ],
)
def test_norm_quote(raw: str, expected: str) -> None:
    assert norm_quote(raw) == expected


def test_norm_label_unifies_apostrophes_and_case() -> None:
    assert norm_label("Disadvantages of Kazakhstan\u2019s migration management") == norm_label(
        "disadvantages of  Kazakhstan's Migration Management"
    )
    assert norm_label("Outflow to \u2018hubs\u2019") == norm_label("Outflow to 'hubs'")


# --------------------------------------------------------------------------- the demo
def test_participants_are_the_nine_experts(demo: Demo) -> None:
    assert set(demo.participant_of) == {row["expert"] for row in ROWS} == set("ABCDEFGHI")


@pytest.mark.parametrize("group", GROUPS)
def test_group_experts(demo: Demo, group: str) -> None:
    assert set(THEME_TABLE_COLUMNS) <= set(demo.table.columns)
    row = _group_row(demo.table, group)
    expected = sorted(demo.participant_of[r["expert"]] for r in BY_GROUP[group])
    assert row["experts"] == ",".join(sorted(set(expected)))


@pytest.mark.parametrize("group", GROUPS)
def test_group_excerpts(demo: Demo, group: str) -> None:
    row = _group_row(demo.table, group)
    distinct = {(r["expert"], norm_quote(r["quote_start"])) for r in BY_GROUP[group]}
    assert int(row["excerpts"]) == len(distinct)


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_example_quote_is_coded(demo: Demo, row: dict[str, str]) -> None:
    code_ids = _code_ids(demo, row["code_label"], row["group"])
    assert code_ids, f"no code labelled (or aliased) {row['code_label']!r} in the codebook"
    participant = demo.participant_of[row["expert"]]
    codings = demo.data.codings
    mine = codings.loc[codings["code"].isin(code_ids) & (codings["participant"] == participant)]
    want = norm_quote(row["quote_start"])
    quotes = _quotes(demo, mine)
    assert any(norm_quote(q).startswith(want) for q in quotes), (
        f"Expert {row['expert']} has no coding of {row['code_label']!r} starting with "
        f"{row['quote_start']!r}; their codings of it: {[q[:60] for q in quotes]}"
    )


@pytest.mark.parametrize("code_key", sorted(BY_CODE), ids=lambda k: BY_CODE[k][0])
def test_code_experts(demo: Demo, code_key: str) -> None:
    label, group, letters = BY_CODE[code_key]
    code_ids = _code_ids(demo, label, group)
    assert code_ids, f"no code labelled (or aliased) {label!r} in the codebook"
    codings = demo.data.codings
    coded_by = set(codings.loc[codings["code"].isin(code_ids), "participant"])
    assert {demo.letter_of.get(pid, pid) for pid in coded_by} == letters


def test_no_detached_codings(demo: Demo) -> None:
    assert {"participants", "documents", "segments", "codings", "detached", "codings_by_annotator"} <= set(demo.status)
    assert demo.status["codings"] >= len(ROWS)  # every printed example is a coding
    assert demo.status["detached"] == 0


@pytest.mark.parametrize("main_theme", sorted(MAIN_THEMES))
def test_main_theme_children(demo: Demo, main_theme: str) -> None:
    rows = _theme_rows(demo.table, main_theme)
    main = rows.loc[rows["depth"].astype(int) == 0]
    assert len(main) == 1, f"expected one main theme {main_theme!r}"
    main = main.iloc[0]
    assert main["parent"] in ("", None) or pd.isna(main["parent"])
    themes = demo.table.loc[demo.table["kind"] == "theme"]
    children = themes.loc[themes["parent"] == main["theme_id"]]
    assert set(children["depth"].astype(int)) == {1}
    assert {norm_label(str(t)) for t in children["theme"]} == {norm_label(t) for t in MAIN_THEMES[main_theme]}


def test_human_trafficking_experts_phrase(demo: Demo) -> None:
    row = _group_row(demo.table, "Human trafficking")
    letters = {r["expert"] for r in BY_GROUP["Human trafficking"]}
    assert row["experts_phrase"] == thesis_phrase(letters) == "Experts (F,H)"


# --------------------------------------------------------------------------- "Number of codes"
# A second, column-wise reading of Appendix B's last column: every numeral of the OCR that is
# not quote text, top to bottom, with the row it stands on (tests/data/thesis/NOTES.md).  The
# codebook's `applications:` counts were transcribed row by row; the two readings must agree.
NUMBERS = Path(__file__).resolve().parent / "data" / "thesis" / "appendix_b_numbers.csv"


def _numbers() -> list[dict[str, str]]:
    with NUMBERS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_column_reading_is_well_formed() -> None:
    rows = _numbers()
    assert [int(r["seed_line"]) for r in rows] == sorted(int(r["seed_line"]) for r in rows)
    for row in rows:
        assert row["value"] in row["ocr_line"].split(), row
        assert row["placement"] in ("inline", "after_quote", "within_quote", "ambiguous"), row
        assert norm_label(row["code_label"]) in BY_CODE, row
    # down the column the rows come in the order the appendix prints them
    printed = [norm_label(r["code_label"]) for r in ROWS]
    positions = [printed.index(norm_label(r["code_label"])) for r in rows]
    assert positions == sorted(positions)


def test_number_of_codes_agrees_with_the_column_reading(demo: Demo) -> None:
    codebook = demo.data.codebook
    legible = {norm_label(r["code_label"]): r for r in _numbers() if r["placement"] != "ambiguous"}
    recorded = {norm_label(c.label): c for c in codebook.codes.values() if c.applications is not None}
    assert set(recorded) == set(legible)
    for key, row in legible.items():
        code = recorded[key]
        assert code.applications == int(row["value"]), code.id
        assert f"OCR line {row['seed_line']}," in code.applications_source, code.id
    assert len(recorded) == 27 and sum(c.applications or 0 for c in recorded.values()) == 211


def test_ambiguous_number_of_codes_is_left_empty(demo: Demo) -> None:
    ambiguous = {norm_label(r["code_label"]) for r in _numbers() if r["placement"] == "ambiguous"}
    assert ambiguous == {norm_label("Destinations of labour migrants")}
    for code in demo.data.codebook.codes.values():
        if norm_label(code.label) in ambiguous:
            assert code.applications is None


# --------------------------------------------------------------------------- cross-cutting themes
# The audited membership (Chapter 4 re-read code by code): a code belongs to a cross-cutting
# theme only when its own example quote shows the theme.  Each member line of codebook.yaml
# carries, in double quotes, the words of the quote that do.
CROSS_CUTTING = {
    "transit_migration": {
        "kazakhstan_transit_country",
        "transit_skilled_specialists",
        "transit_to_south_east_asia",
        "migration_to_central_asia",
    },
    "pea_regulation_gaps": {"peas_and_human_trafficking", "need_control_over_peas", "lack_of_inspection"},
    "covid_19_effects": {"economic_reasons_for_immigration", "human_trafficking_post_covid"},
}
# Former members whose quotes do not show the theme (kept out on purpose).
NOT_MEMBERS = {
    "transit_migration": {"outflow_to_hubs", "large_outflow", "reasons_for_immigration", "cost_of_living"},
    "pea_regulation_gaps": {
        "lack_of_information_support",
        "need_citizens_protection",
        "need_bilateral_labour_agreement",
    },
    "russia_ukraine_war_effects": {"kazakhstan_transit_country", "relocation_support", "consequences_of_inflow"},
    "covid_19_effects": {"no_significant_changes", "recovery_of_patterns", "trend_change", "migrants_from_russia"},
    "digitalisation_and_it": {"visible_improvements_in_cities", "simplified_system", "dactyloscopy"},
    "quotas_and_local_content": {"shortage_of_low_skilled_labour", "labour_force_shortage", "relatively_few_permits"},
}


def _member_comments() -> dict[tuple[str, str], str]:
    """(cross-cutting id, code id) -> the quoted words of the member line's comment."""
    text = (REPO / "codebook.yaml").read_text(encoding="utf-8")
    section = text.split("\ncross_cutting:\n", 1)[1]
    found: dict[tuple[str, str], str] = {}
    current = ""
    for line in section.splitlines():
        head = re.match(r"^  - id: (\S+)", line)
        if head:
            current = head.group(1)
            continue
        member = re.match(r'^      - (\S+)\s+# "([^"]+)"', line)
        if member:
            found[(current, member.group(1))] = member.group(2)
        elif re.match(r"^      - ", line):
            found[(current, line.split()[1])] = ""
    return found


def test_every_cross_cutting_member_is_justified_by_its_own_quote(demo: Demo) -> None:
    codebook = demo.data.codebook
    comments = _member_comments()
    members = {(x.id, c) for x in codebook.cross_cutting.values() for c in x.codes}
    assert set(comments) == members
    for (cross, code), words in comments.items():
        assert words, f"{cross}: member {code} has no quoted words from its quote"
        quotes = [_unify(e) for e in codebook.codes[code].examples]
        assert any(_unify(words) in q for q in quotes), f"{cross}: {words!r} is not in the quote of {code}"


@pytest.mark.parametrize("cross", sorted(CROSS_CUTTING))
def test_audited_cross_cutting_membership(demo: Demo, cross: str) -> None:
    assert set(demo.data.codebook.cross_cutting[cross].codes) == CROSS_CUTTING[cross]


@pytest.mark.parametrize("cross", sorted(NOT_MEMBERS))
def test_codes_whose_quote_does_not_show_the_theme_are_out(demo: Demo, cross: str) -> None:
    assert not set(demo.data.codebook.cross_cutting[cross].codes) & NOT_MEMBERS[cross]


def test_pea_members_name_private_employment_agencies(demo: Demo) -> None:
    codebook = demo.data.codebook
    for code in codebook.cross_cutting["pea_regulation_gaps"].codes:
        assert re.search(r"\bPEAs?\b|employment agenc", " ".join(codebook.codes[code].examples)), code
