"""Issue 17's trap (partial double-coding) and issue 14's unit fixes, through the library,
the CLI and the app: which documents are compared, interviewer turns, codings that touch no
unit, and whose codings the count reports pool."""

from __future__ import annotations

import json

import pytest

from qualcode import reports
from qualcode.errors import QualcodeError
from qualcode.frames import make_analysis_data
from qualcode.model import Code, Codebook, Coding, ParsedDocument, Participant, Segment, Theme
from qualcode.reliability import describe, disagreements, intercoder_agreement

# "Interviewer: Why? Expert: Because. It works." — label [0,13) is in no segment
TEXT = "Interviewer: Why?\nExpert: Because. It works."
Q = (13, 17)  # "Why?"  (interviewer turn / sentence)
A1, A2 = (26, 34), (35, 44)  # "Because." "It works."


def _doc(name: str, pid: str) -> ParsedDocument:
    segs = [
        Segment("turn", *Q, "Interviewer"),
        Segment("turn", A1[0], A2[1], "Expert"),
        Segment("sentence", *Q, "Interviewer"),
        Segment("sentence", *A1, "Expert"),
        Segment("sentence", *A2, "Expert"),
    ]
    return ParsedDocument(name, TEXT, Participant(pid, f"Expert {pid}"), segments=segs)


@pytest.fixture
def partial():
    """ann1 coded all nine documents; ann2 coded only d1, where they agree exactly."""
    cb = Codebook(themes={"T": Theme("T", "Theme")}, codes={"c": Code("c", "Cause", theme="T")})
    docs = [_doc(f"d{i}", f"P{i}") for i in range(1, 10)]
    codings = [Coding(f"d{i}", *A1, "c", "ann1") for i in range(1, 10)]
    codings += [Coding(f"d{i}", *A2, "c", "ann1") for i in range(2, 10)]
    codings.append(Coding("d1", *A1, "c", "ann2"))
    return make_analysis_data(cb, docs, codings)


def test_partial_double_coding_compares_only_common_documents(partial):
    df = intercoder_agreement(partial, bootstrap=0, by="code")
    r = df.loc[df["id"] == "c"].iloc[0]
    # the old scope (every document either coder coded) made ann2 "disagree" on d2..d9
    assert r["n_units"] == 2 and r["percent_agreement"] == 1.0 and r["alpha"] == 1.0
    assert df.attrs["documents"] == ["d1"]
    assert sorted(df.attrs["documents_skipped"]) == [f"d{i}" for i in range(2, 10)]
    assert df.attrs["documents_skipped"]["d5"] == ["ann1"]
    text = describe(df)
    assert "the 1 document(s) every chosen coder coded" in text and "d2 (coded only by ann1)" in text
    old = intercoder_agreement(partial, bootstrap=0, by="code", scope="all")
    r_old = old.loc[old["id"] == "c"].iloc[0]
    assert r_old["n_units"] == 18 and r_old["alpha"] < 0.2
    assert "at least one chosen coder coded" in describe(old)


def test_document_filter_and_its_errors(partial):
    df = intercoder_agreement(partial, bootstrap=0, documents=["d1", "d2"], scope="all")
    assert df.attrs["documents"] == ["d1", "d2"] and "2 chosen document(s)" in df.attrs["scope"]
    with pytest.raises(QualcodeError, match="Unknown document 'd99'") as info:
        intercoder_agreement(partial, documents=["d99"])
    assert info.value.problems[0].field == "documents"
    with pytest.raises(QualcodeError, match="No document was coded by every chosen coder") as info:
        intercoder_agreement(partial, documents=["d2"])
    assert "scope='all'" in str(info.value)
    dis = disagreements(partial)
    assert dis.empty and dis.attrs["documents"] == ["d1"]
    assert len(disagreements(partial, scope="all")) == 16


def test_interviewer_turns_are_not_units_and_outside_codings_are_counted(partial):
    data = partial
    extra = [
        Coding("d1", 0, 11, "c", "ann2"),  # the speaker label "Interviewer": in no unit
        Coding("d1", *Q, "c", "ann1"),  # the interviewer's question
    ]
    data = make_analysis_data(data.codebook, [_doc(f"d{i}", f"P{i}") for i in range(1, 10)], _codings(data) + extra)
    df = intercoder_agreement(data, bootstrap=0)
    r = df.loc[df["id"] == "c"].iloc[0]
    assert r["n_units"] == 2  # the two expert sentences only
    assert r["codings_outside_units"] == 2 and "2 coding(s) touch no sentence" in r["note"]
    assert df.attrs["n_outside_units"] == 2 and "touch no sentence" in describe(df)
    assert "interviewer turns" in describe(df) and "left out" in df.attrs["interviewer"]
    with_q = intercoder_agreement(data, bootstrap=0, include_interviewer=True)
    rq = with_q.loc[with_q["id"] == "c"].iloc[0]
    assert rq["n_units"] == 3 and rq["codings_outside_units"] == 1  # the label still touches nothing
    assert rq["percent_agreement"] == pytest.approx(2 / 3)


def _codings(data):
    c = data.codings
    return [Coding(r.document, int(r.start), int(r.end), r.code, r.annotator) for r in c.itertuples()]


# --------------------------------------------------------------------------- count-report pooling
@pytest.fixture
def adjudicated(partial):
    """d1 adjudicated: the consensus kept A1 only; ann1's A2 coding elsewhere is a human coding;
    an assistant's coding never counts."""
    codings = _codings(partial) + [
        Coding("d1", *A2, "c", "ann1"),  # rejected in adjudication (consensus has only A1)
        Coding("d1", *A1, "c", "consensus", origin="adjudicated"),
        Coding("d3", *Q, "c", "assistant"),
    ]
    return make_analysis_data(partial.codebook, [_doc(f"d{i}", f"P{i}") for i in range(1, 10)], codings)


def test_count_reports_pool_consensus_where_adjudicated_else_humans(adjudicated):
    codes = reports.code_frequencies(adjudicated)
    c = codes.loc[codes["code"] == "c"].iloc[0]
    # d1: consensus only (1 excerpt); d2..d9: ann1's two excerpts each; the assistant not at all
    assert c["codings"] == 1 + 16 and c["excerpts"] == 17
    pooled = codes.attrs["pooled"]
    assert "consensus layer in the 1 adjudicated document(s) (d1)" in pooled
    assert "ann1" in pooled and "not counted: ann2, assistant" in pooled
    assert "Codings counted:" in codes.attrs["description"]
    for table in (
        reports.theme_table(adjudicated),
        reports.consensus(adjudicated),
        reports.matrix(adjudicated),
        reports.cooccurrence(adjudicated),
        reports.quote_table(adjudicated),
    ):
        assert table.attrs["pooled"] == pooled, table.attrs.get("description")
    explicit = reports.code_frequencies(adjudicated, annotators=["ann1", "ann2"])
    assert explicit.loc[explicit["code"] == "c", "codings"].iloc[0] == 17 + 1 + 1
    assert explicit.attrs["pooled"] == "codings of ann1, ann2 (as chosen)"


def test_assistants_alone_are_pooled_and_said_so(partial):
    data = make_analysis_data(partial.codebook, [_doc("d1", "P1")], [Coding("d1", *A1, "c", "model:tfidf")])
    df = reports.code_frequencies(data)
    assert df.loc[df["code"] == "c", "codings"].iloc[0] == 1
    assert "assistant(s)" in df.attrs["pooled"]


# --------------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A real project: three interviews; ann1 codes all, ann2 only the first."""
    from qualcode.cli import main

    root = tmp_path_factory.mktemp("scope")
    (root / "interviews").mkdir()
    (root / "codebook.yaml").write_text(
        "themes:\n  - id: t\n    label: Theme\n    codes:\n      - id: cause\n        label: Cause\n"
    )
    for i in (1, 2, 3):
        (root / "interviews" / f"e{i}.md").write_text(
            f"---\nparticipant: E{i}\nlabel: Expert {i}\n---\nInterviewer: Why?\n\nExpert: Because. It works.\n"
        )
    rows = ["participant,quote,code,annotator"]
    rows += [f"E{i},Because.,cause,ann1" for i in (1, 2, 3)] + ["E1,Because.,cause,ann2", "E2,It works.,cause,ann1"]
    (root / "interviews" / "codings.csv").write_text("\n".join(rows) + "\n")
    assert main(["--project", str(root), "import"]) == 0
    return root


def test_cli_agreement_scope_documents_and_options(project, capsys):
    from qualcode.cli import main

    args = ["--project", str(project), "report", "agreement", "--by", "code", "--annotators", "ann1,ann2"]
    assert main(args + ["--bootstrap", "0"]) == 0
    out = capsys.readouterr().out
    assert "Documents: the 1 document(s) every chosen coder coded" in out and "e2 (coded only by ann1)" in out
    assert main(args + ["--format", "json", "--scope", "all", "--bootstrap", "50", "--seed", "3"]) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)  # stdout stays machine-readable; the description goes to stderr
    cause = next(r for r in rows if r["id"] == "cause")
    assert cause["n_units"] == 6 and "Method:" in captured.err and "seed 3" in captured.err
    assert main(args + ["--documents", "e1", "--bootstrap-method", "kalpha", "--bootstrap", "50"]) == 0
    out = capsys.readouterr().out
    assert "1 chosen document(s)" in out and "KALPHA" in out
    assert main(args + ["--min-overlap", "0.5", "--bootstrap", "0", "--format", "csv"]) == 0
    capsys.readouterr()
    assert main(args + ["--documents", "e9"]) == 2
    assert "Unknown document 'e9'" in capsys.readouterr().err
    assert main(args + ["--unit", "match", "--match-threshold", "0.5", "--format", "json"]) == 0
    capsys.readouterr()


def test_cli_count_reports_print_who_was_pooled(project, capsys):
    from qualcode.cli import main

    for report in ("themes", "codes", "experts", "matrix"):
        assert main(["--project", str(project), "report", report]) == 0
        out = capsys.readouterr().out
        assert "Codings counted: every human annotator(s)' codings: ann1, ann2" in out, report
    assert main(["--project", str(project), "report", "codes", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("code,") and "Codings counted" in captured.err


def test_document_unit_asks_whether_each_coder_used_the_code_in_the_interview(partial):
    data = make_analysis_data(
        partial.codebook,
        [_doc(f"d{i}", f"P{i}") for i in range(1, 4)],
        [
            Coding("d1", *A1, "c", "ann1"),
            Coding("d1", *A2, "c", "ann2"),  # different sentence, same interview: agreement here
            Coding("d2", *A1, "c", "ann1"),
            Coding("d2", *Q, "c", "ann2"),  # on the interviewer's question: still the interview
            Coding("d3", *A1, "c", "ann1"),
            Coding("d3", *A1, "c", "ann2"),
        ],
    )
    doc = intercoder_agreement(data, unit="document", bootstrap=0)
    r = doc.loc[doc["id"] == "c"].iloc[0]
    assert r["n_units"] == 3 and r["percent_agreement"] == 1.0 and r["codings_outside_units"] == 0
    sent = intercoder_agreement(data, unit="sentence", bootstrap=0)
    assert sent.loc[sent["id"] == "c", "percent_agreement"].iloc[0] < 1.0
