"""Backups restore into a fresh project identical to the original (both databases, both formats)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from qualcode.backup import TABLE_ORDER, backup, restore
from qualcode.errors import ConfigError, InputFileError
from qualcode.project import Project
from qualcode.store import Actor

REPO = Path(__file__).resolve().parents[1]


def dump(project: Project) -> dict[str, list[dict]]:
    with project.store.read() as conn:
        return {
            t.name: [dict(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns)).mappings()]
            for t in TABLE_ORDER
        }


def make_original(root: Path, db_url: str, copy_demo) -> Project:  # type: ignore[no-untyped-def]
    copy_demo(root, ("expert_F.md", "expert_H.md", "thesis_team_codings.csv"))
    p = Project.open(root, database_url=db_url)
    with pytest.raises(InputFileError):  # the sheet names experts whose files are not copied
        p.sync()
    p.import_transcripts(p.interview_files())
    data = p.analysis_data()
    text = data.texts["expert_F"]
    p.add_coding("expert_F", 0, 40, "peas_and_human_trafficking", memo="Ünïcode memo ✓", annotator="ann1")
    second = p.add_coding("expert_F", 10, 60, "lack_of_inspection", annotator="ann2")
    p.delete_coding(second)
    p.add_memo("document", "expert_F", "Test memo on the interview ✓", title="Synthetic test memo")
    p.add_memo("code", "lack_of_inspection", "Test memo on a code")
    p.add_memo("project", None, "Test project memo")
    gone = p.add_memo("project", None, "Test project memo, deleted (its id stays in the audit log)")
    p.delete_memo(gone)
    p.store.set_setting(p.actor, "blind_mode", "true")
    assert text
    return p


@pytest.fixture
def original(tmp_path: Path, db_url: str, copy_demo) -> Project:  # type: ignore[no-untyped-def]
    p = make_original(tmp_path / "original", db_url, copy_demo)
    yield p
    p.close()


@pytest.mark.parametrize("name", ["project.qcbackup", "snapshot.db"])
def test_restore_is_identical(original: Project, tmp_path: Path, name: str) -> None:
    if name.endswith(".db") and not original.store.is_sqlite:
        with pytest.raises(ConfigError, match="portable"):
            backup(original, tmp_path / name)
        return
    backup(original, tmp_path / name)
    fresh_root = tmp_path / "fresh"
    fresh = Project.init(fresh_root)  # a fresh project on the embedded database
    restore(fresh, tmp_path / name)
    assert dump(fresh) == dump(original)
    if name.endswith(".qcbackup"):
        assert fresh.codebook_path.read_bytes() == original.codebook_path.read_bytes()
    # the restored project keeps working: new ids do not collide with restored ones
    new_id = fresh.add_coding("expert_H", 0, 20, "peas_and_human_trafficking", annotator="ann3")
    assert new_id > max(r["id"] for r in dump(original)["codings"])
    assert len(dump(fresh)["memos"]) == 3
    assert fresh.add_memo("project", None, "after the restore") == 5  # past memo 4, deleted: only in the audit log
    fresh.close()


def test_portable_backup_restores_into_postgres(tmp_path: Path, pg_url: str, copy_demo) -> None:  # type: ignore[no-untyped-def]
    original = make_original(tmp_path / "sqlite-original", f"sqlite:///{tmp_path / 'o.db'}", copy_demo)
    backup(original, tmp_path / "p.qcbackup")
    target_root = tmp_path / "pg"
    target = Project.init(target_root, database_url=pg_url)
    restore(target, tmp_path / "p.qcbackup")
    assert dump(target) == dump(original)
    new_id = target.add_coding("expert_H", 0, 20, "peas_and_human_trafficking", annotator="ann3")
    assert new_id > 0
    target.close()


def test_restore_refuses_a_non_empty_project(original: Project, tmp_path: Path) -> None:
    backup(original, tmp_path / "b.qcbackup")
    with pytest.raises(ConfigError, match="empty"):
        restore(original, tmp_path / "b.qcbackup")


def test_restore_refuses_damaged_or_foreign_files(tmp_path: Path) -> None:
    fresh = Project.init(tmp_path / "f")
    (tmp_path / "x.qcbackup").write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip
    with pytest.raises(InputFileError, match="manifest"):
        restore(fresh, tmp_path / "x.qcbackup")
    (tmp_path / "y.qcbackup").write_text("not a zip at all")
    with pytest.raises(InputFileError):
        restore(fresh, tmp_path / "y.qcbackup")
    assert fresh.status()["documents"] == 0
    fresh.close()


def test_only_admins_back_up(original: Project, tmp_path: Path) -> None:
    from qualcode.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        backup(original.as_user(Actor("ann1", "annotator")), tmp_path / "b.qcbackup")
