"""Suggestion queue: never silent, accept/reject per annotator, evaluation shape through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qualcode.cli import main
from qualcode.errors import CodingError
from qualcode.project import Project
from qualcode.store import Actor
from qualcode.suggestions import accept, queue, reject

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory, copy_demo) -> Path:  # type: ignore[no-untyped-def]
    root = copy_demo(tmp_path_factory.mktemp("demo") / "demo")
    Project.open(root).sync()
    return root


@pytest.fixture
def alice(demo_root: Path, tmp_path: Path) -> Project:
    root = tmp_path / "p"
    shutil.copytree(demo_root, root)
    p = Project.open(root).as_user(Actor("alice", "annotator"))
    yield p
    p.close()


def test_suggestions_never_code_by_themselves(alice: Project) -> None:
    before = alice.status()["codings"]
    q = queue(alice, "patterns")
    assert len(q) > 20 and q["suggestion_id"].is_unique
    assert (q["reason"].str.contains("pattern")).all()
    assert alice.status()["codings"] == before


def test_accept_and_reject(alice: Project) -> None:
    q = queue(alice, "patterns", documents=["expert_F"])
    first, second = q.iloc[0], q.iloc[1]
    [cid] = accept(alice, [first["suggestion_id"]])
    row = alice.store.get_coding(alice.actor, cid)
    assert (row["annotator"], row["origin"], row["code_id"]) == ("alice", "suggestion-accepted", first["code"])
    assert reject(alice, [second["suggestion_id"]]) == 1
    remaining = set(queue(alice, "patterns", documents=["expert_F"])["suggestion_id"])
    assert first["suggestion_id"] not in remaining and second["suggestion_id"] not in remaining
    with pytest.raises(CodingError, match="No open suggestion"):
        accept(alice, [second["suggestion_id"]])
    # decisions are per annotator: bob still sees both
    bob = alice.as_user(Actor("bob", "annotator"))
    assert {first["suggestion_id"], second["suggestion_id"]} <= set(
        queue(bob, "patterns", documents=["expert_F"])["suggestion_id"]
    )


def test_accept_with_another_code(alice: Project) -> None:
    q = queue(alice, "patterns", documents=["expert_H"])
    [cid] = accept(alice, [q.iloc[0]["suggestion_id"]], code="human_trafficking_problem")
    assert alice.store.get_coding(alice.actor, cid)["code_id"] == "human_trafficking_problem"


def test_cli_suggest_and_evaluate_json(demo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(demo_root), "--user", "carol", "suggest", "patterns", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and {"suggestion_id", "code", "reason"} <= set(rows[0])
    assert main(["--project", str(demo_root), "suggest", "evaluate", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"model", "majority", "patterns"}
    for method in result.values():
        for key in ("theme_top1", "theme_top3", "code_top1", "code_top3"):
            assert 0.0 <= method[key] <= 1.0
