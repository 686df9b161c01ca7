"""Scales in the codebook (a theme with ``scale:`` and ``order:``) and agreement on them:
parsing, located errors with did-you-mean, edits that keep ``order`` valid, and alpha on a
project reproducing Krippendorff's (2011) example C through codings."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.codebook import CodebookFile, parse_codebook
from qualcode.errors import CodebookError, QualcodeError
from qualcode.frames import make_analysis_data
from qualcode.model import Code, Codebook, Coding, ParsedDocument, Participant, Segment, Theme
from qualcode.reliability import describe, intercoder_agreement
from qualcode.scales import scales_of

SCALE = """\
themes:
  - id: view
    label: View of the reform
    scale: ordinal
    order: [against, mixed, for_it]   # lowest first
    codes:
      - {id: for_it, label: For it}
      - {id: against, label: Against}
      - {id: mixed, label: Mixed}
      - {id: unclear, label: Unclear}
  - id: other
    label: Other
    codes:
      - {id: aside, label: Aside}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(CodebookError) as info:
        parse_codebook(text, "codebook.yaml")
    return [f"{p.field}: {p.message} {p.hint or ''}" for p in info.value.problems]


def test_a_scale_theme_parses_with_its_order() -> None:
    book = parse_codebook(SCALE)
    view = book.themes["view"]
    assert (view.scale, view.order) == ("ordinal", ("against", "mixed", "for_it"))
    assert list(book.scales()) == ["view"] and book.themes["other"].scale is None
    only_order = parse_codebook(SCALE.replace("    scale: ordinal\n", ""))
    assert only_order.themes["view"].scale == "ordinal"  # order alone means ordinal
    nominal = parse_codebook(
        SCALE.replace("ordinal", "nominal").replace("    order: [against, mixed, for_it]   # lowest first\n", "")
    )
    assert (nominal.themes["view"].scale, nominal.themes["view"].order) == ("nominal", ())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("scale: ordinal", "scale: ordinl"),
            "themes[0].scale: 'scale' must be one of nominal, ordinal, interval, ratio, found text ('ordinl'). Did you mean 'ordinal'?",
        ),
        (
            ("    order: [against, mixed, for_it]   # lowest first\n", ""),
            "themes[0].order: a theme with 'scale: ordinal' needs an 'order' of its codes",
        ),
        (
            ("[against, mixed, for_it]", "[againts, mixed, for_it]"),
            "themes[0].order[0]: unknown code 'againts' in 'order'. Did you mean 'against'?",
        ),
        (
            ("[against, mixed, for_it]", "[against, mixed, mixed]"),
            "themes[0].order[2]: code 'mixed' is listed twice in 'order'.",
        ),
        (
            ("[against, mixed, for_it]", "[against, aside]"),
            "themes[0].order[1]: 'aside' is not a code of this theme (it is under 'other').",
        ),
        (("[against, mixed, for_it]", "[against]"), "themes[0].order: 'order' needs at least two codes"),
        (("[against, mixed, for_it]", "against"), "themes[0].order: 'order' must be a list"),
        (
            ("    scale: ordinal\n", "    scale: ordinal\n    skale: x\n"),
            "themes[0].skale: unknown key 'skale' on a theme. Did you mean 'scale'?",
        ),
    ],
)
def test_scale_mistakes_are_located_with_a_fix(change: tuple[str, str], expected: str) -> None:
    found = problems(SCALE.replace(*change))
    assert any(p.startswith(expected) for p in found), found


def test_without_an_order_the_refusal_says_how_to_give_one() -> None:
    (message,) = problems(SCALE.replace("    order: [against, mixed, for_it]   # lowest first\n", ""))
    assert "Add 'order: [for_it, against, mixed, ...]'" in message and "scale: nominal" in message
    book = parse_codebook(SCALE)
    with pytest.raises(QualcodeError, match="ordinal alpha on theme 'other' needs the order of its codes") as info:
        scales_of(book, ["other"], "ordinal")
    assert "'order: [aside]' (lowest first) in codebook.yaml" in str(info.value)
    with pytest.raises(QualcodeError, match="Did you mean 'view'"):
        scales_of(book, ["veiw"])
    assert [s.level for s in scales_of(book, ["other"], "nominal")] == ["nominal"]


def test_edits_keep_the_order_valid(tmp_path: Path) -> None:
    path = tmp_path / "codebook.yaml"
    path.write_text(SCALE, encoding="utf-8")
    book = CodebookFile.open(path)
    book.rename("mixed", "ambivalent")
    assert book.codebook.themes["view"].order == ("against", "ambivalent", "for_it")
    book.move("for_it", "other")  # no longer a value of the scale
    assert book.codebook.themes["view"].order == ("against", "ambivalent")
    book.merge("unclear", "against")
    book.save()
    text = path.read_text(encoding="utf-8")
    assert "order: [against, ambivalent]" in text and "# lowest first" in text  # the comment is kept
    with pytest.raises(CodebookError, match="'order' needs at least two codes"):
        book.delete("ambivalent")
    assert book.codebook.themes["view"].order == ("against", "ambivalent")  # all or nothing


def test_dump_writes_scale_and_order() -> None:
    from qualcode.codebook import dump_codebook

    book = parse_codebook(SCALE)
    assert parse_codebook(dump_codebook(book)).themes["view"] == book.themes["view"]


# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", example C: 4 observers ×
# 12 units, values 1-5, None = missing.  Published alpha: nominal .743, ordinal .815,
# interval .849, ratio .797.
EXAMPLE_C = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}
WORDS = ["none", "little", "some", "much", "all"]  # an order alphabetical sorting gets wrong


def example_c(order: tuple[str, ...] | None = tuple(WORDS), scale: str | None = "ordinal"):
    text = " ".join(f"Unit {w}." for w in ("one two three four five six seven eight nine ten eleven twelve".split()))
    units, pos = [], 0
    for part in text.split(" Unit"):
        start = text.index("Unit", pos)
        end = text.index(".", start) + 1
        units.append((start, end))
        pos = end
        del part
    cb = Codebook(
        themes={"amount": Theme("amount", "Amount", scale=scale, order=order or ())},
        codes={w: Code(w, w.capitalize(), theme="amount") for w in WORDS},
    )
    doc = ParsedDocument(
        "k2011", text, Participant("K", "Example C"), segments=[Segment("sentence", s, e) for s, e in units]
    )
    codings = [
        Coding("k2011", units[u][0], units[u][1], WORDS[v - 1], f"observer_{name}")
        for name, values in EXAMPLE_C.items()
        for u, v in enumerate(values)
        if v is not None
    ]
    return make_analysis_data(cb, [doc], codings)


def scale_row(df):
    rows = df.loc[df["level"] == "scale"]
    assert len(rows) == 1
    return rows.iloc[0]


def test_alpha_on_a_codebook_scale_reproduces_krippendorff_example_c() -> None:
    data = example_c()
    df = intercoder_agreement(data, unit="sentence", by="both", bootstrap=500, seed=1)
    row = scale_row(df)
    assert row["id"] == "amount" and row["label"] == "Amount (ordinal scale)"
    assert round(row["alpha"], 3) == 0.815
    assert row["alpha_low"] < row["alpha"] < row["alpha_high"]
    assert row["n_units"] == 11 and row["n_coded_units"] == 12  # unit 12 has one value only
    assert "Amount: ordinal alpha on none < little < some < much < all" in describe(df)
    for level, published in (("nominal", 0.743), ("interval", 0.849), ("ratio", 0.797)):
        other = intercoder_agreement(data, by="theme", bootstrap=0, scale_level=level)
        assert round(scale_row(other)["alpha"], 3) == published, level
    assert not (intercoder_agreement(data, by="code", bootstrap=0)["level"] == "scale").any()


def test_two_values_of_one_scale_in_a_unit_are_left_out_and_counted() -> None:
    data = example_c()
    extra = Coding("k2011", 0, 9, "all", "observer_A")  # A now gave unit one "none" and "all"
    data = make_analysis_data(
        data.codebook,
        [
            ParsedDocument(
                "k2011",
                data.texts["k2011"],
                Participant("K", "Example C"),
                segments=[
                    Segment("sentence", int(s), int(e))
                    for s, e in data.segments[["start", "end"]].itertuples(index=False)
                ],
            )
        ],
        [*_codings(data), extra],
    )
    row = scale_row(intercoder_agreement(data, by="theme", bootstrap=0))
    assert "1 time(s) a coder applied two or more of the scale's codes to one sentence" in row["note"]


def _codings(data):
    c = data.codings
    return [
        Coding(str(d), int(s), int(e), str(k), str(a))
        for d, s, e, k, a in c[["document", "start", "end", "code", "annotator"]].itertuples(index=False)
    ]


EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "krippendorff-2011"


def test_the_readme_example_is_krippendorffs_data_and_reproduces_his_alpha(tmp_path: Path) -> None:
    """docs/examples/krippendorff-2011 (the README's agreement example) holds exactly the
    published example C, written by its generator; imported as a project, its scale row is
    Krippendorff's ordinal alpha 0.815 and percent agreement Gwet's 0.818."""
    import importlib.util
    import shutil

    from click.testing import CliRunner

    from qualcode.cli import cli

    spec = importlib.util.spec_from_file_location("make_example", EXAMPLE / "make_example.py")
    assert spec and spec.loader
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    assert make.EXAMPLE_C == EXAMPLE_C
    assert (EXAMPLE / "interviews" / "example_c.md").read_text(encoding="utf-8") == make.transcript()
    assert (EXAMPLE / "interviews" / "codings.csv").read_text(encoding="utf-8") == make.codings_csv()
    root = tmp_path / "k2011"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".qualcode", "*.py", "__pycache__"))
    runner = CliRunner()
    imported = runner.invoke(cli, ["--project", str(root), "import"])
    assert imported.exit_code == 0, imported.output
    assert "codings imported: interviews/codings.csv 41" in imported.output
    result = runner.invoke(cli, ["--project", str(root), "report", "agreement", "--format", "csv", "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    import io

    import pandas as pd

    table = pd.read_csv(io.StringIO(result.stdout))
    scale = table.loc[table["level"] == "scale"].iloc[0]
    assert (scale["label"], scale["n_units"]) == ("Value (1-5) (ordinal scale)", 11)
    assert (round(scale["alpha"], 3), round(scale["percent_agreement"], 3)) == (0.815, 0.818)
    markdown = runner.invoke(cli, ["--project", str(root), "report", "agreement", "--format", "markdown"])
    readme = (EXAMPLE.parents[2] / "README.md").read_text(encoding="utf-8")
    assert markdown.stdout.strip() in readme  # the README's table is this command's output
    refused = runner.invoke(cli, ["--project", str(root), "report", "agreement", "--scale", "valu", "--bootstrap", "0"])
    assert refused.exit_code != 0 and "Did you mean 'value'" in str(refused.exception)


def test_scale_options_need_predefined_units_and_a_scale() -> None:
    data = example_c()
    with pytest.raises(QualcodeError, match="need predefined units, not unit='span'"):
        intercoder_agreement(data, unit="span", scale_level="ordinal")
    plain = example_c(order=None, scale=None)
    with pytest.raises(QualcodeError, match="No theme is a scale"):
        intercoder_agreement(plain, by="code", scale_level="nominal", bootstrap=0)
    with pytest.raises(QualcodeError, match="ordinal alpha on theme 'amount' needs the order of its codes"):
        intercoder_agreement(plain, scales=["amount"], scale_level="ordinal", bootstrap=0)
    # nominal needs no order: the codes are unordered categories
    row = scale_row(intercoder_agreement(plain, scales=["amount"], scale_level="nominal", bootstrap=0))
    assert round(row["alpha"], 3) == 0.743
    # --level alone (with --by code) still gives the codebook's scale rows, at that level
    only = intercoder_agreement(data, by="code", scale_level="interval", bootstrap=0)
    assert round(scale_row(only)["alpha"], 3) == 0.849
