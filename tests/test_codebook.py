"""Tests for qualcode.codebook: strict located validation, safe loading, and editing
(comments and order kept, atomic locked saves, conflicts, concurrent writers)."""

from __future__ import annotations

import difflib
import multiprocessing
import re
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from qualcode import codebook as cbmod
from qualcode.codebook import (
    MAX_CODEBOOK_BYTES,
    CodebookFile,
    codebook_to_dict,
    dump_codebook,
    edit_codebook,
    load_codebook,
    parse_codebook,
    suggest_id,
    validate_codebook,
)
from qualcode.errors import CodebookError, ConflictError
from qualcode.model import UNCATEGORISED, Code, Codebook, CrossCut, Theme

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "codebooks"


@pytest.fixture
def full(tmp_path: Path) -> Path:
    """A writable copy of the sample codebook that uses every feature."""
    target = tmp_path / "codebook.yaml"
    shutil.copy(DATA / "good_full.yaml", target)
    return target


def comments(text: str) -> list[str]:
    """Every comment in a YAML text (from '#' to the end of the line), in order."""
    found = []
    for line in text.splitlines():
        match = re.search(r"(^|\s)(#.*)$", line)  # a '#' after a space: not "#4e79a7"
        if match:
            found.append(match.group(2).strip())
    return found


def ids_in_order(text: str) -> list[str]:
    return re.findall(r"^\s*-? *id: (\S+)", text, flags=re.M)


def diff(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed lines, added lines), stripped, as the line diff shows them."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:].strip())
        elif line.startswith("+ "):
            added.append(line[2:].strip())
    return removed, added


# =========================================================================== good files
def test_shipped_demo_codebook_has_no_problems() -> None:
    path = REPO / "codebook.yaml"
    assert validate_codebook(path) == []
    book = load_codebook(path)
    assert book.codes and book.themes


def test_shipped_demo_codebook_round_trips_byte_for_byte() -> None:
    """An edit in the app must not rewrite unrelated lines of the demo codebook."""
    path = REPO / "codebook.yaml"
    removed, added = diff(path.read_text(encoding="utf-8"), CodebookFile.open(path).dumps())
    assert (removed, added) == ([], []), "saving would rewrite these lines"


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("good_*.yaml")))
def test_good_samples_load_and_round_trip_unchanged(name: str) -> None:
    path = DATA / name
    assert validate_codebook(path) == []
    assert CodebookFile.open(path).dumps() == path.read_text(encoding="utf-8")


def test_full_sample_model() -> None:
    book = load_codebook(DATA / "good_full.yaml")
    assert book.title == "Migration management in Kazakhstan"
    assert list(book.themes) == ["evolving_migration_trends", "characteristics_of_migration", "policy"]
    assert book.themes["characteristics_of_migration"].parent == "evolving_migration_trends"
    covid = book.codes["covid_no_effect"]
    assert covid.theme == "characteristics_of_migration"
    assert covid.examples == ("Expert A: '...there was no big difference...'",)
    assert covid.aliases == ("no_covid_impact",)
    assert covid.patterns == ("covid", {"tokens": [{"LOWER": "no"}, {"LOWER": "difference"}]})
    assert type(covid.patterns[1]["tokens"][0]) is dict  # plain data, not ruamel containers
    assert book.color_of("covid_no_effect") == "#4e79a7"
    assert book.color_of("quotas") is None
    assert book.cross_cutting["transit_migration"].codes == ("transit_country", "transit_skilled_specialists")
    assert book.resolve("no_covid_impact") == "covid_no_effect"


def test_example_list_phrase_mapping_and_top_level_codes() -> None:
    book = parse_codebook(
        "codes:\n"
        "  - id: loose\n"
        "    label: Loose code\n"
        "    example: [first, second]\n"
        "    aliases: old_loose\n"
        "    patterns:\n"
        "      - phrase: no difference\n"
    )
    code = book.codes["loose"]
    assert code.theme is None
    assert code.examples == ("first", "second")
    assert code.aliases == ("old_loose",)
    assert code.patterns == ("no difference",)


# =========================================================================== broken files
BAD_CASES: dict[str, list[tuple[int | None, str]]] = {
    "bad_syntax.yaml": [(6, "YAML syntax error")],
    "bad_tag_python.yaml": [(1, "tag '!!python/object/apply:os.system' is not allowed")],
    "bad_tag_custom.yaml": [(3, "tag '!upper'"), (4, "tag '!!set'")],
    "bad_yaml_alias.yaml": [(6, "aliases ('*name') are not allowed")],
    "bad_merge_key.yaml": [(4, "merge keys ('<<') are not allowed")],
    "bad_duplicate_key.yaml": [
        (4, "duplicate key 'label' (first given on line 3)"),
        (8, "duplicate key 'id' (first given on line 6)"),
    ],
    "bad_duplicate_id.yaml": [(5, "duplicate id 'trends'"), (8, "duplicate id 'trends'")],
    "bad_id_format.yaml": [
        (2, "id 'Migration Trends' is not a valid id"),
        (5, "id '2022_events' is not a valid id"),
        (7, "'id' must be text, found a number (17)"),
    ],
    "bad_missing_label.yaml": [(2, "'label' is missing"), (5, "'label' is empty")],
    "bad_empty.yaml": [(1, "the codebook file is empty")],
    "bad_comments_only.yaml": [(1, "no content (only comments)")],
    "bad_top_list.yaml": [(1, "must be a mapping")],
    "bad_multi_document.yaml": [(2, "more than one YAML document")],
    "bad_not_utf8.yaml": [(1, "not UTF-8 text (byte 0xe9)")],
    "bad_unknown_key.yaml": [
        (4, "unknown key 'colour' on a theme"),
        (8, "unknown key 'examples' on a code"),
        (12, "unknown key 'code' on a cross-cutting theme"),
    ],
    "bad_cross_ref.yaml": [
        (11, "unknown code 'transit_countri'"),
        (11, "unknown code 'transit_state'"),
        (11, "'trends' is a theme, not a code"),
        (11, "'transit_country' is listed twice"),
    ],
    "bad_alias_collision.yaml": [
        (7, "alias 'b' of code 'a' is the id of another code"),
        (10, "alias 'old' is used by two codes, 'a' and 'b'"),
    ],
    "bad_pattern.yaml": [
        (11, "a pattern must be text"),
        (12, "'phrase' must be non-empty"),
        (13, "a pattern must be text"),
        (14, "'tokens' must be a non-empty"),
    ],
    "bad_color.yaml": [(4, "'color' is empty"), (7, "must be a '#rrggbb' colour")],
    "bad_wrong_types.yaml": [
        (1, "'title' must be text, found a list"),
        (4, "'label' must be text, found a list"),
        (5, "'description' must be text, found a number (3)"),
        (7, "'codes' must be a list"),
        (11, "'themes' must be a list"),
        (15, "'example' entries must be non-empty text"),
        (17, "'cross_cutting' must be a list"),
    ],
    "bad_many.yaml": [
        (3, "unknown key 'themez'"),
        (5, "id 'Trends' is not a valid id"),
        (7, "'color' is empty"),
        (10, "'label' must be text, found a list"),
        (11, "duplicate id 'covid'"),
        (13, "has no 'id'"),
        (14, "'label' is missing"),
        (15, "unknown key 'lable'"),
        (18, "alias 'covid' of code 'quotas' is the id of another code"),
        (20, "a pattern must be text"),
        (21, "'tokens' must be a non-empty list"),
        (22, "must be a code"),
        (24, "'label' is empty"),
        (25, "'codes' must be a list"),
        (28, "must be a '#rrggbb' colour"),
        (31, "'label' must be text, found a number (12)"),
        (35, "unknown code 'quota'"),
        (35, "'region' is a theme, not a code"),
        (36, "duplicate key 'label' (first given on line 34)"),
    ],
}


def test_every_bad_sample_has_a_case() -> None:
    assert sorted(p.name for p in DATA.glob("bad_*.yaml")) == sorted(BAD_CASES)


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_bad_codebook_reports_every_problem_with_its_line(name: str) -> None:
    path = DATA / name
    problems = validate_codebook(path)
    found = [(p.line, p.message) for p in problems]
    assert len(problems) == len(BAD_CASES[name]), found
    for (line, text), problem in zip(BAD_CASES[name], problems):
        assert problem.line == line and text in problem.message, found
        assert problem.path == str(path)
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    assert caught.value.problems == problems


@pytest.mark.parametrize(
    "name, field, hint",
    [
        ("bad_many.yaml", "themes[0].codes[3].lable", "Did you mean 'label'?"),
        ("bad_many.yaml", "themez", "Did you mean 'themes'?"),
        ("bad_many.yaml", "themes[0].id", "Use 'trends'."),
        ("bad_many.yaml", "themes[0].codes[2].id", "Add 'id: no_id_here'."),
        ("bad_many.yaml", "cross_cutting[0].codes[1]", "Did you mean 'quotas'?"),
        ("bad_many.yaml", "themes[0].color", "write the colour in quotes"),
        ("bad_id_format.yaml", "themes[0].codes[0].id", "Use 'c_2022_events'."),
        ("bad_cross_ref.yaml", "cross_cutting[0].codes[1]", "former id of 'transit_country'"),
        ("bad_unknown_key.yaml", "themes[0].codes[0].examples", "Did you mean 'example'?"),
    ],
)
def test_problems_carry_field_paths_and_fixing_hints(name: str, field: str, hint: str) -> None:
    by_field = {p.field: p for p in validate_codebook(DATA / name)}
    assert hint in (by_field[field].hint or "")


def test_duplicate_id_names_both_locations() -> None:
    first = validate_codebook(DATA / "bad_duplicate_id.yaml")[0]
    assert first.field == "themes[0].codes[0].id"
    assert "themes[0].id (line 2)" in first.message


def test_syntax_error_has_the_parsers_column() -> None:
    problem = validate_codebook(DATA / "bad_syntax.yaml")[0]
    assert (problem.line, problem.column) == (6, 7)


def test_missing_file() -> None:
    problems = validate_codebook(DATA / "no_such_codebook.yaml")
    assert len(problems) == 1 and "not found" in problems[0].message


def test_too_large_file_is_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "codebook.yaml"
    path.write_bytes(b"title: x\n" + b"#" * MAX_CODEBOOK_BYTES)

    def must_not_parse(*args: object) -> None:
        raise AssertionError("parsed a file that is too large")

    monkeypatch.setattr(cbmod.parse, "_parse_text", must_not_parse)
    with pytest.raises(CodebookError, match="too large"):
        load_codebook(path)


@pytest.mark.parametrize(
    "text",
    [
        "title: !!python/object/apply:os.system ['echo hi']\n",
        "title: !!python/name:os.system\n",
        "themes: !!python/object/new:collections.OrderedDict [[]]\n",
        "themes:\n  - !Theme {id: a, label: A}\n",
        "title: !!binary aGVsbG8=\n",
        "title: !!str harmless but still a tag\n",
        "%TAG !e! tag:example.com,2000:\n---\ntitle: !e!thing x\n",
    ],
)
def test_every_tag_is_refused(text: str) -> None:
    with pytest.raises(CodebookError, match="is not allowed"):
        parse_codebook(text)


def test_python_tag_is_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "constructed"
    text = f"title: !!python/object/apply:pathlib.Path.touch [!!python/object/apply:pathlib.Path ['{marker}']]\n"
    with pytest.raises(CodebookError):
        parse_codebook(text)
    assert not marker.exists()


# =========================================================================== model ↔ text
ids = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
tricky = st.sampled_from(
    [
        "yes",
        "null",
        "123",
        "1e3",
        "#hash",
        "a: b",
        "- dash",
        "'quoted'",
        '"dq"',
        "*star",
        "&amp",
        "!bang",
        "  padded  ",
        "multi\nline",
        "Миграция",
        "tab\there",
        "%percent",
        "@at",
        "`tick`",
        "~",
        "[x]",
    ]
)
free_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)
nonblank = st.one_of(tricky, free_text).filter(lambda s: s.strip() != "")
labels = nonblank.map(str.strip).filter(bool)
optional_text = st.one_of(st.just(""), nonblank)
token_patterns = st.lists(
    st.fixed_dictionaries({"LOWER": free_text}, optional={"OP": st.sampled_from(["?", "+", "*"])}),
    min_size=1,
    max_size=3,
).map(lambda tokens: {"tokens": tokens})


@st.composite
def codebooks(draw: st.DrawFn) -> Codebook:
    """A random valid codebook: a random theme tree, codes anywhere, cross-cutting sets."""
    all_ids = draw(st.lists(ids, min_size=0, max_size=14, unique=True))
    n_themes = draw(st.integers(0, len(all_ids)))
    theme_ids, rest = all_ids[:n_themes], all_ids[n_themes:]
    n_codes = draw(st.integers(0, len(rest)))
    code_ids, cross_ids = rest[:n_codes], rest[n_codes:]
    themes: dict[str, Theme] = {}
    for i, tid in enumerate(theme_ids):
        parent = draw(st.sampled_from([None, *theme_ids[:i]]))
        themes[tid] = Theme(
            id=tid,
            label=draw(labels),
            parent=parent,
            description=draw(optional_text),
            color=draw(st.one_of(st.none(), st.from_regex(r"#[0-9a-f]{6}", fullmatch=True))),
            aliases=tuple(f"{a} [{tid}]" for a in draw(st.lists(labels, max_size=2, unique=True))),
        )
    codes: dict[str, Code] = {}
    for cid in code_ids:
        codes[cid] = Code(
            id=cid,
            label=draw(labels),
            theme=draw(st.sampled_from([None, *theme_ids])),
            description=draw(optional_text),
            include=draw(optional_text),
            exclude=draw(optional_text),
            examples=tuple(draw(st.lists(nonblank, max_size=3))),
            aliases=tuple(f"{a} [{cid}]" for a in draw(st.lists(labels, max_size=2, unique=True))),
            patterns=tuple(draw(st.lists(st.one_of(nonblank, token_patterns), max_size=3))),
        )
    cross = {
        xid: CrossCut(
            id=xid,
            label=draw(labels),
            description=draw(optional_text),
            codes=tuple(draw(st.lists(st.sampled_from(code_ids), unique=True, max_size=4)) if code_ids else ()),
        )
        for xid in cross_ids
    }
    return Codebook(themes=themes, codes=codes, cross_cutting=cross, title=draw(st.one_of(st.just(""), labels)))


@settings(max_examples=40, deadline=None)
@given(codebooks())
def test_generated_codebooks_round_trip(book: Codebook) -> None:
    text = dump_codebook(book)
    assert parse_codebook(text) == book
    assert codebook_to_dict(parse_codebook(text)) == codebook_to_dict(book)


@settings(max_examples=25, deadline=None)
@given(codebooks())
def test_generated_codebooks_round_trip_through_a_file(book: Codebook) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "codebook.yaml"
        path.write_text(dump_codebook(book), encoding="utf-8")
        assert load_codebook(path) == book
        handle = CodebookFile.open(path)
        assert handle.codebook == book
        assert handle.dumps() == path.read_text(encoding="utf-8")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_random_text_raises_only_codebook_error(text: str) -> None:
    try:
        parse_codebook(text)
    except CodebookError as exc:
        assert exc.problems and all(p.message for p in exc.problems)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_codebook_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "codebook.yaml"
        path.write_bytes(data)
        try:
            load_codebook(path)
        except CodebookError as exc:
            assert exc.problems


yaml_keys = st.sampled_from(
    [
        "id",
        "label",
        "themes",
        "codes",
        "cross_cutting",
        "title",
        "aliases",
        "patterns",
        "example",
        "color",
        "tokens",
        "phrase",
        "description",
        "x",
    ]
)
yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), ids, labels),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(yaml_keys, inner, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(yaml_keys, yaml_values, max_size=5))
def test_random_yaml_structures_raise_only_codebook_error(data: dict) -> None:
    """Structure-aware garbage: well-formed YAML with codebook-like keys in wrong shapes."""
    from io import StringIO

    stream = StringIO()
    YAML(typ="safe", pure=True).dump(data, stream)
    try:
        parse_codebook(stream.getvalue())
    except CodebookError as exc:
        assert all(p.line is not None for p in exc.problems), exc.problems


def test_suggest_id() -> None:
    assert suggest_id("Impact of immigration (foreigners)") == "impact_of_immigration_foreigners"
    assert suggest_id("!!!") == "code"
    assert re.fullmatch(r"[a-z][a-z0-9_]*", suggest_id("Қазақстан 2022"))


# =========================================================================== editing
def test_rename_changes_only_the_renamed_lines(full: Path) -> None:
    before = full.read_text(encoding="utf-8")
    handle = CodebookFile.open(full)
    change = handle.rename("quotas", "labour_quotas", "Labour quotas")
    handle.save()
    after = full.read_text(encoding="utf-8")
    removed, added = diff(before, after)
    assert removed == ["- id: quotas", "label: Quotas   # eol quotas"]
    assert added == ["- id: labour_quotas", "label: Labour quotas # eol quotas", "aliases: [quotas, Quotas]"]
    assert comments(after) == comments(before)
    assert change["action"] == "rename"
    assert change["before"]["id"] == "quotas" and change["after"]["id"] == "labour_quotas"
    assert load_codebook(full).resolve("Quotas") == "labour_quotas"


def test_rename_code_updates_cross_cutting_and_renaming_back_drops_the_alias(full: Path) -> None:
    handle = CodebookFile.open(full)
    handle.rename("transit_country", "transit_state")
    assert handle.codebook.cross_cutting["transit_migration"].codes[0] == "transit_state"
    assert handle.codebook.codes["transit_state"].aliases == ("transit_country",)
    handle.rename("transit_state", "transit_country")
    assert handle.codebook.codes["transit_country"].aliases == ("transit_state",)


def test_rename_theme_records_alias_and_keeps_comments(full: Path) -> None:
    before = full.read_text(encoding="utf-8")
    handle = CodebookFile.open(full)
    handle.rename("evolving_migration_trends", new_label="Migration trends")
    after = handle.dumps()
    assert handle.codebook.themes["evolving_migration_trends"].aliases == ("Evolving Migration Trends",)
    assert comments(after) == comments(before)
    assert ids_in_order(after) == ids_in_order(before)
    # the alias goes at its place in the key order (before the sub-themes), not at the end
    lines = after.splitlines()
    assert lines.index("    aliases: [Evolving Migration Trends]") < lines.index(
        "    themes:                                    # sub-themes, any depth"
    )


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda h: h.rename("quotaz", "q"), "unknown code, theme or cross-cutting theme 'quotaz'"),
        (lambda h: h.rename("quotas", "Bad Id"), "not a valid id"),
        (lambda h: h.rename("quotas", "policy"), "already used by a theme"),
        (lambda h: h.rename("quotas", "no_covid_impact"), "former id (alias) of code"),
        (lambda h: h.rename("quotas"), "nothing to rename"),
        (lambda h: h.rename("quotas", new_label="  "), "label must be non-empty"),
        (lambda h: h.merge("quotas", "quotas"), "into itself"),
        (lambda h: h.merge("policy", "quotas"), "'policy' is a theme, not a code"),
        (lambda h: h.merge("quotas", "transit_countyr"), "unknown code 'transit_countyr'"),
        (
            lambda h: h.move("evolving_migration_trends", "characteristics_of_migration"),
            "is 'evolving_migration_trends' itself or one of its sub-themes",
        ),
        (lambda h: h.move("policy", "policy"), "itself or one of its sub-themes"),
        (lambda h: h.move("quotas", "policy"), "already in 'policy'"),
        (lambda h: h.move("quotas", "quotas"), "'quotas' is a code, not a theme"),
        (lambda h: h.delete("policy"), "theme 'policy' is not empty"),
        (lambda h: h.add_code("quotas", "Again", "policy"), "already used by a code"),
        (lambda h: h.add_code("new", "New", "polcy"), "unknown theme 'polcy'"),
        (lambda h: h.add_theme("policy", "Policy again"), "already used by a theme"),
        (lambda h: h.add_theme("colored", "Coloured", color="red"), "not a '#rrggbb' colour"),
    ],
)
def test_refused_operations_change_nothing(full: Path, call, message: str) -> None:
    handle = CodebookFile.open(full)
    before_text, before_book = handle.dumps(), handle.codebook
    with pytest.raises(CodebookError, match=re.escape(message)):
        call(handle)
    assert handle.dumps() == before_text and handle.codebook == before_book
    assert not handle.dirty


def test_unknown_id_error_suggests_and_lists_valid_ids(full: Path) -> None:
    handle = CodebookFile.open(full)
    with pytest.raises(CodebookError) as caught:
        handle.delete("quotaz")
    hint = caught.value.problems[0].hint or ""
    assert "Did you mean 'quotas'?" in hint
    assert "'covid_no_effect'" in hint and "'transit_migration'" in hint


def test_merge_moves_identity_and_memberships(full: Path) -> None:
    before = full.read_text(encoding="utf-8")
    handle = CodebookFile.open(full)
    handle.rename("quotas", new_label="Labour quotas")  # gives the source an alias to carry
    change = handle.merge("quotas", "transit_skilled_specialists")
    book = handle.codebook
    assert "quotas" not in book.codes
    assert book.codes["transit_skilled_specialists"].aliases == ("quotas", "Labour quotas", "Quotas")
    assert book.resolve("quotas") == "transit_skilled_specialists"
    assert change["before"]["source"]["id"] == "quotas"
    assert change["after"]["target"]["aliases"] == ["quotas", "Labour quotas", "Quotas"]
    # membership transfer: target already in the set → the source entry just disappears
    handle.merge("transit_country", "transit_skilled_specialists")
    assert handle.codebook.cross_cutting["transit_migration"].codes == ("transit_skilled_specialists",)
    handle.save()
    after = full.read_text(encoding="utf-8")
    # only the end-of-line comment of the merged code goes with it
    assert comments(after) == [c for c in comments(before) if c != "# eol quotas"]
    assert ids_in_order(after) == [i for i in ids_in_order(before) if i not in ("quotas", "transit_country")]


def test_merge_replaces_source_in_cross_cutting_sets(full: Path) -> None:
    handle = CodebookFile.open(full)
    handle.merge("transit_country", "covid_no_effect")
    assert handle.codebook.cross_cutting["transit_migration"].codes == (
        "covid_no_effect",
        "transit_skilled_specialists",
    )


def test_move_keeps_comments_and_other_order(full: Path) -> None:
    before = full.read_text(encoding="utf-8")
    handle = CodebookFile.open(full)
    handle.move("covid_no_effect", "policy")
    handle.move("characteristics_of_migration", None)
    change = handle.move("policy", "evolving_migration_trends")
    handle.save()
    after = full.read_text(encoding="utf-8")
    book = load_codebook(full)
    assert book.codes["covid_no_effect"].theme == "policy"
    assert book.themes["characteristics_of_migration"].parent is None
    assert book.code_path("covid_no_effect") == ["evolving_migration_trends", "policy", "covid_no_effect"]
    assert change["before"]["parent"] is None
    assert change["after"]["parent"] == "evolving_migration_trends"
    assert sorted(comments(after)) == sorted(comments(before))
    assert ids_in_order(after) == [
        "evolving_migration_trends",
        "policy",
        "quotas",
        "covid_no_effect",
        "characteristics_of_migration",
        "transit_country",
        "transit_skilled_specialists",
        "transit_migration",
    ]
    # the comment introducing the transit codes still sits right before them
    lines = [ln.strip() for ln in after.splitlines()]
    assert lines[lines.index("- id: transit_country") - 1] == "# transit codes follow"


def test_delete_code_and_empty_theme(full: Path) -> None:
    handle = CodebookFile.open(full)
    change = handle.delete("transit_country")
    assert "transit_country" not in handle.codebook.codes
    assert handle.codebook.cross_cutting["transit_migration"].codes == ("transit_skilled_specialists",)
    assert change == {
        "action": "delete",
        "before": {
            "kind": "code",
            "id": "transit_country",
            "label": "Transit country",
            "theme": "characteristics_of_migration",
            "aliases": [],
            "cross_cutting": ["transit_migration"],
        },
        "after": None,
    }
    handle.delete("quotas")
    handle.delete("policy")  # empty now
    handle.delete("transit_migration")
    assert "policy" not in handle.codebook.themes and not handle.codebook.cross_cutting
    handle.save()
    assert validate_codebook(full) == []


def test_add_code_without_theme_goes_to_uncategorised(full: Path) -> None:
    handle = CodebookFile.open(full)
    change = handle.add_code("new_idea", "New idea", description="Came up in interview B.")
    handle.add_code(
        "another_idea", "Another idea", examples=["quote"], patterns=["idea", {"tokens": [{"LOWER": "new"}]}]
    )
    book = handle.codebook
    assert list(book.themes)[-1] == UNCATEGORISED
    assert book.themes[UNCATEGORISED].label == "Uncategorised"
    assert book.codes_in(UNCATEGORISED) == ["new_idea", "another_idea"]
    assert book.codes["another_idea"].patterns == ("idea", {"tokens": [{"LOWER": "new"}]})
    assert change == {
        "action": "add_code",
        "before": None,
        "after": {"kind": "code", "id": "new_idea", "label": "New idea", "theme": UNCATEGORISED},
    }
    handle.add_theme("regional", "Regional", "policy", color="#aabbcc")
    handle.add_code("almaty", "Almaty", "regional")
    assert handle.codebook.code_path("almaty") == ["policy", "regional", "almaty"]
    handle.save()
    assert load_codebook(full) == handle.codebook


def test_new_codebook_with_create(tmp_path: Path) -> None:
    path = tmp_path / "codebook.yaml"
    with edit_codebook(path, create=True) as handle:
        handle.add_theme("trends", "Trends")
        handle.add_code("first", "First", "trends")
    assert list(load_codebook(path).codes) == ["first"]


# -- saving --------------------------------------------------------------------------------
def test_save_is_atomic_keeps_mode_and_allows_edits_in_a_row(full: Path) -> None:
    full.chmod(0o640)
    handle = CodebookFile.open(full)
    handle.add_code("one", "One", "policy")
    handle.save()
    handle.add_code("two", "Two", "policy")
    handle.save()  # the handle's sha256 follows its own writes
    assert [c for c in load_codebook(full).codes_in("policy")] == ["quotas", "one", "two"]
    assert full.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in full.parent.iterdir()) == ["codebook.yaml", "codebook.yaml.lock"]


def test_second_writer_gets_conflict_and_the_file_keeps_the_first_result(full: Path) -> None:
    first, second = CodebookFile.open(full), CodebookFile.open(full)
    first.add_code("from_first", "From first", "policy")
    second.add_code("from_second", "From second", "policy")
    first.save()
    saved = full.read_bytes()
    with pytest.raises(ConflictError, match="changed since you loaded it"):
        second.save()
    assert full.read_bytes() == saved == first.dumps().encode("utf-8")


def test_editor_change_between_open_and_save_is_a_conflict(full: Path) -> None:
    handle = CodebookFile.open(full)
    handle.delete("quotas")
    full.write_text(full.read_text(encoding="utf-8") + "# edited in an editor\n", encoding="utf-8")
    with pytest.raises(ConflictError):
        handle.save()
    assert "quotas" in load_codebook(full).codes


def test_failed_edit_block_writes_nothing(full: Path) -> None:
    before = full.read_bytes()
    with pytest.raises(RuntimeError):
        with edit_codebook(full) as handle:
            handle.delete("quotas")
            raise RuntimeError("stop")
    assert full.read_bytes() == before


def test_lock_timeout_is_a_conflict(full: Path) -> None:
    with cbmod._FileLock(full):
        with pytest.raises(ConflictError, match="locked by another process"):
            with edit_codebook(full, timeout=0.05):
                pass


def _add_code_in_another_process(path: str, code_id: str, barrier) -> None:
    barrier.wait()
    with edit_codebook(path) as handle:
        time.sleep(0.02)  # widen the read-modify-write window so a missing lock would lose writes
        handle.add_code(code_id, code_id.replace("_", " ").title(), "policy")


def test_concurrent_processes_all_get_their_code_in(full: Path) -> None:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    names = [f"parallel_{i}" for i in range(6)]
    barrier = context.Barrier(len(names))
    workers = [context.Process(target=_add_code_in_another_process, args=(str(full), name, barrier)) for name in names]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0] * len(names)
    assert validate_codebook(full) == []
    codes = load_codebook(full).codes_in("policy")
    assert sorted(codes) == sorted(["quotas", *names])


# -- random edit sequences -----------------------------------------------------------------
operations = st.lists(
    st.tuples(
        st.sampled_from(["add_code", "add_theme", "rename", "move", "merge", "delete"]),
        st.integers(0, 50),
        st.integers(0, 50),
        ids,
    ),
    max_size=12,
)


@settings(max_examples=30, deadline=None)
@given(operations)
def test_random_edit_sequences_keep_the_file_valid(ops: list) -> None:
    """Whatever sequence of edits is tried, each one either applies or is refused with a
    CodebookError, and the text it would write loads back to the handle's model."""
    handle = CodebookFile.open(DATA / "good_full.yaml")
    for action, i, j, new_id in ops:
        book = handle.codebook
        codes, themes = list(book.codes), list(book.themes)
        nodes = codes + themes
        pick = lambda items, k: items[k % len(items)] if items else "missing"  # noqa: E731
        try:
            if action == "add_code":
                handle.add_code(new_id, new_id.title(), pick([None, *themes], i))
            elif action == "add_theme":
                handle.add_theme(new_id, new_id.title(), pick([None, *themes], i))
            elif action == "rename":
                handle.rename(pick(nodes, i), new_id, f"Label {j}")
            elif action == "move":
                handle.move(pick(nodes, i), pick([None, *themes], j))
            elif action == "merge":
                handle.merge(pick(codes, i), pick(codes, j))
            else:
                handle.delete(pick(nodes + list(book.cross_cutting), i))
        except CodebookError:
            pass
    assert parse_codebook(handle.dumps()) == handle.codebook
    assert comments(handle.dumps())[:2] == comments((DATA / "good_full.yaml").read_text())[:2]


def test_compact_list_style_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "codebook.yaml"
    shutil.copy(DATA / "good_compact.yaml", path)
    with edit_codebook(path) as handle:
        assert handle.dumps() == path.read_text(encoding="utf-8")
        handle.move("decline", "policy")
        handle.add_code("stable", "Stable", "trends")
    assert path.read_text(encoding="utf-8").splitlines()[4:] == [
        "  label: Trends",
        "  codes:",
        "  - id: growth",
        "    label: Growth   # keep me",
        "  - id: stable",
        "    label: Stable",
        "- id: policy",
        "  label: Policy",
        "  codes:",
        "  - id: decline",
        "    label: Decline",
    ]


def test_windows_line_endings_and_bom_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "codebook.yaml"
    original = (DATA / "good_minimal.yaml").read_text(encoding="utf-8")
    path.write_bytes(("\ufeff" + original.replace("\n", "\r\n")).encode("utf-8"))
    assert validate_codebook(path) == []
    with edit_codebook(path) as handle:
        handle.add_code("first", "First # not a comment", "only")
    data = path.read_bytes()
    assert data.startswith("\ufeff".encode("utf-8"))
    assert data.count(b"\r\n") == data.count(b"\n") == len(original.splitlines()) + 3
    assert load_codebook(path).codes["first"].label == "First # not a comment"


def test_dates_and_numbers_are_named_in_type_errors() -> None:
    with pytest.raises(CodebookError) as caught:
        parse_codebook("themes:\n  - id: a\n    label: 2024-03-01\n    description: 1.5\n")
    messages = [p.message for p in caught.value.problems]
    assert messages == [
        "'label' must be text, found a date (2024-03-01).",
        "'description' must be text, found a number (1.5).",
    ]


def test_an_edit_that_fails_half_way_leaves_the_handle_untouched(full: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    handle = CodebookFile.open(full)
    handle.add_code("kept", "Kept", "policy")
    text, book = handle.dumps(), handle.codebook

    def broken_append(*args: object) -> None:
        raise RuntimeError("disk full, say")

    monkeypatch.setattr(cbmod.edit, "_append_item", broken_append)
    with pytest.raises(RuntimeError):
        handle.move("quotas", "evolving_migration_trends")  # removed, then append fails
    assert handle.dumps() == text and handle.codebook == book
    assert [c["action"] for c in handle.changes] == ["add_code"]


def test_update_sets_and_removes_descriptive_fields(full: Path) -> None:
    before = full.read_text(encoding="utf-8")
    handle = CodebookFile.open(full)
    change = handle.update(
        "quotas", description="Quotas for foreign workers.", examples=["first", "second"], patterns=["quota"]
    )
    assert change["before"] == {"kind": "code", "id": "quotas", "description": None, "examples": None, "patterns": None}
    assert change["after"]["examples"] == ["first", "second"]
    handle.update("covid_no_effect", include="", examples="only one")
    handle.update("evolving_migration_trends", color="#123456")
    with pytest.raises(CodebookError, match="#rrggbb"):
        handle.update("policy", color="red")
    with pytest.raises(CodebookError, match="cannot update 'colour'"):
        handle.update("quotas", colour="#123456")
    book = handle.codebook
    assert book.codes["quotas"].examples == ("first", "second")
    assert book.codes["quotas"].patterns == ("quota",)
    assert book.codes["covid_no_effect"].include == ""
    assert book.codes["covid_no_effect"].examples == ("only one",)
    assert book.themes["evolving_migration_trends"].color == "#123456"
    handle.save()
    after = full.read_text(encoding="utf-8")
    assert load_codebook(full) == book
    # the removed 'include' line took its own comment with it; every other comment stays
    lost = Counter(comments(before)) - Counter(comments(after))
    assert lost == Counter({"# optional": 1}) and not Counter(comments(after)) - Counter(comments(before))


def test_cross_cutting_sets_can_be_added_and_changed(full: Path) -> None:
    handle = CodebookFile.open(full)
    handle.add_cross_cutting("policy_set", "Policy set", ["quotas", "covid_no_effect"])
    change = handle.set_members("transit_migration", ["transit_country", "quotas"])
    assert change["before"]["codes"] == ["transit_country", "transit_skilled_specialists"]
    assert handle.codebook.cross_cutting_of("quotas") == ["transit_migration", "policy_set"]
    with pytest.raises(CodebookError, match="unknown code 'quotaz'"):
        handle.set_members("policy_set", ["quotaz"])
    with pytest.raises(CodebookError, match="is a theme, not a code"):
        handle.add_cross_cutting("other", "Other", ["policy"])
    handle.save()
    assert load_codebook(full).cross_cutting["policy_set"].codes == ("quotas", "covid_no_effect")
    assert "codes: [transit_country, quotas]" in full.read_text(encoding="utf-8")
