"""One spelling per concept: the vocabulary, the one slug and the one atomic_write."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import click
import pytest
import sqlalchemy as sa

from qualcode import schema, vocabulary
from qualcode.cli import cli
from qualcode.errors import ConfigError
from qualcode.fileio import atomic_write
from qualcode.model import Code, Codebook, Theme
from qualcode.slug import slugify
from qualcode.store import LOCAL_ADMIN, Store


# ------------------------------------------------------------------------------ vocabulary
def test_check_constraints_are_spelled_as_in_existing_databases() -> None:
    """Derived CHECKs must equal the text migration 1 wrote, or existing databases would need a migration."""
    assert schema.ROLE_CHECK == "role IN ('annotator', 'supervisor', 'admin')"
    assert schema.ORIGIN_CHECK == "origin IN ('manual', 'imported', 'suggestion-accepted', 'adjudicated')"
    assert schema.KIND_CHECK == "kind IN ('sentence', 'paragraph', 'turn')"


def test_the_database_refuses_a_role_outside_the_vocabulary(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    try:
        with pytest.raises(sa.exc.IntegrityError):
            with store.write() as conn:
                conn.execute(schema.users.insert().values(name="eve", role="owner", created_at=schema.now()))
        for role in vocabulary.ROLES:
            with store.write() as conn:
                conn.execute(schema.users.insert().values(name=f"u_{role}", role=role, created_at=schema.now()))
    finally:
        store.dispose()


def _choices(*path: str, param: str) -> list[str]:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    (found,) = [p for p in command.params if p.name == param]
    assert isinstance(found.type, click.Choice)
    return list(found.type.choices)


@pytest.mark.parametrize(
    ("path", "param", "expected"),
    [
        (("user", "add"), "role", vocabulary.ROLES),
        (("set",), "key", tuple(vocabulary.SETTINGS)),
        (("report", "agreement"), "unit", vocabulary.AGREEMENT_UNITS),
        (("report", "cooccurrence"), "unit", vocabulary.COOCCURRENCE_UNITS),
    ],
)
def test_cli_choices_come_from_the_vocabulary(path: tuple[str, ...], param: str, expected: tuple[str, ...]) -> None:
    assert _choices(*path, param=param) == list(expected)


def test_every_setting_value_is_accepted_and_others_refused(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    try:
        for key, allowed in vocabulary.SETTINGS.items():
            for value in allowed:
                store.set_setting(LOCAL_ADMIN, key, value)
                assert store.get_setting(key) == value
            with pytest.raises(ConfigError, match="not a valid value"):
                store.set_setting(LOCAL_ADMIN, key, "maybe")
    finally:
        store.dispose()


def test_the_agreement_unit_setting_accepts_every_unit_agreement_is_computed_on(tmp_path: Path) -> None:
    """The Agreement page offers every unit of the reliability layer and takes its default from
    the setting, so the setting must accept each of them (document and span were refused)."""
    from qualcode import reliability

    assert vocabulary.SETTINGS["agreement_unit"] == vocabulary.AGREEMENT_UNITS == reliability.UNITS
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    try:
        for unit in ("document", "span"):
            store.set_setting(LOCAL_ADMIN, "agreement_unit", unit)
            assert store.get_setting("agreement_unit") == unit
        with pytest.raises(ConfigError, match="not a valid value"):
            store.set_setting(LOCAL_ADMIN, "agreement_unit", "word")
    finally:
        store.dispose()


# ------------------------------------------------------------------------------ the one slug
@pytest.mark.parametrize(
    ("label", "slug"),
    [
        ("Миграция", "migratsiya"),
        ("Доверие к ИИ", "doverie_k_ii"),
        ("Щука", "shchuka"),
        ("Қазақстан", "qazaqstan"),  # Kazakh letters
        ("Ұлы дала", "uly_dala"),
        ("Әлеумет", "aleumet"),
        ("Өнер", "oner"),
        ("Ғылым", "gylym"),
        ("Ünïcödé café", "unicode_cafe"),  # accents dropped
        ("Crème brûlée", "creme_brulee"),
        ("Trust 🌍", "trust"),  # emoji dropped
        ("🌍", "code"),
        ("", "code"),  # nothing usable: the generic id
        ("   ", "code"),
        ("2022 events", "c_2022_events"),  # digits first: ids start with a letter
        ("42", "c_42"),
        ("Coke::full-fat Coke", "coke_full_fat_coke"),
    ],
)
def test_one_slug_at_every_entry_point(label: str, slug: str) -> None:
    from qualcode.app import state
    from qualcode.codebook import ID_PATTERN, suggest_id
    from qualcode.refi.common import slugify as refi_slugify

    assert slugify(label) == slug and ID_PATTERN.match(slug)
    # the codebook's hints, the app's Code/Codebook pages, REFI-QDA imports
    assert suggest_id(label) == state.slugify(label) == refi_slugify(label) == slug


def test_word_comment_codes_get_the_slug_and_distinct_ids() -> None:
    from qualcode.project import _new_code_id

    book = Codebook(themes={"t": Theme("t", "T")}, codes={"trust": Code("trust", "Trust", theme="t")})
    assert _new_code_id("Миграция", book, []) == "migratsiya"
    assert _new_code_id("trust!", book, []) == "trust"  # the existing code, as before
    assert _new_code_id("🙂", book, ["code"]) == "code_2"  # two names, one slug: not one code
    assert _new_code_id("🙁", book, ["code", "code_2"]) == "code_3"


# ------------------------------------------------------------------------------ atomic_write
def test_atomic_write_replaces_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "codebook.yaml"
    target.write_bytes(b"old")
    target.chmod(0o640)
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["codebook.yaml"]


def test_atomic_write_gives_a_new_file_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.txt", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640  # not mkstemp's 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "export.qdpx"
    target.write_bytes(b"old")

    def half_written(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        atomic_write(target, half_written)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["export.qdpx"]


@pytest.mark.parametrize("durable", [True, False])
def test_durable_writes_fsync_the_file_and_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, durable: bool
) -> None:
    synced: list[bool] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    atomic_write(tmp_path / "a.txt", b"x", durable=durable)
    assert synced == ([False, True] if durable else [])


def test_atomic_write_replaces_a_symlink_and_never_writes_through_it(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"keep")
    outside.chmod(0o600)
    link = tmp_path / "interview.md"
    link.symlink_to(outside)
    atomic_write(link, b"upload")
    assert not link.is_symlink() and link.read_bytes() == b"upload"
    assert outside.read_bytes() == b"keep"
    assert stat.S_IMODE(link.stat().st_mode) != 0o777  # not the link's own mode
