"""Shared fixtures.  Services (PostgreSQL, Chromium) are required when CI is set and
skipped with a clear reason on a user's machine."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# No timing in tests: hypothesis' default 200 ms deadline (and its too-slow health check) fail
# property tests on a loaded CI machine, which says nothing about correctness.  Speed is measured
# in benchmarks/.
settings.register_profile("qualcode", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("qualcode")

REPO = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("QUALCODE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Passwords hashed by tests (and by the app servers they start) use a low scrypt cost; the
# production default N=2**17 is tested on its own (tests/test_access.py).
os.environ.setdefault("QUALCODE_SCRYPT_N", str(2**10))


def require_service(name: str, available: bool, how: str) -> None:
    """Fail in CI, skip (with how-to) elsewhere."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required in CI but not available: {how}", pytrace=False)
    pytest.skip(f"{name} not available on this machine ({how}); CI runs these tests.")


def _postgres_available() -> tuple[bool, str]:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.exec_driver_sql("select 1")
        engine.dispose()
        return True, ""
    except Exception as exc:  # any connection failure means "no server here"
        return False, f"cannot connect to {PG_URL} ({type(exc).__name__}); set QUALCODE_TEST_POSTGRES_URL"


@pytest.fixture
def pg_url() -> str:
    """A fresh PostgreSQL schema for one test (search_path set in the URL), dropped afterwards."""
    import sqlalchemy as sa

    ok, why = _postgres_available()
    require_service("PostgreSQL", ok, why)
    schema = f"qc_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run a test on both databases."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'qualcode.db'}"
    return request.getfixturevalue("pg_url")


def _copy_demo(dest: Path, interviews: tuple[str, ...] | None = None) -> Path:
    """Copy the repository's thesis demo (codebook + interviews, or only the named interview files)."""
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "codebook.yaml", dest / "codebook.yaml")
    if interviews is None:
        shutil.copytree(REPO / "interviews", dest / "interviews")
    else:
        (dest / "interviews").mkdir()
        for name in interviews:
            shutil.copy(REPO / "interviews" / name, dest / "interviews" / name)
    return dest


@pytest.fixture(scope="session")
def copy_demo():  # type: ignore[no-untyped-def]
    """A function copying the thesis demo into a folder: copy_demo(dest, interviews=None) -> dest."""
    return _copy_demo


@pytest.fixture(scope="session")
def pg_schema():  # type: ignore[no-untyped-def]
    """A function making fresh PostgreSQL schemas (URLs with search_path) that live for the session."""
    import sqlalchemy as sa

    ok, why = _postgres_available()
    require_service("PostgreSQL", ok, why)
    admin = sa.create_engine(PG_URL)
    created: list[str] = []

    def make() -> str:
        schema = f"qc_test_{uuid.uuid4().hex[:12]}"
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        created.append(schema)
        sep = "&" if "?" in PG_URL else "?"
        return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"

    yield make
    with admin.begin() as conn:
        for schema in created:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


# --------------------------------------------------------------------------- the repository's own database
REPO_STATE = Path(__file__).resolve().parents[1] / ".qualcode"


def repository_state_snapshot(folder: Path = REPO_STATE) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file under the repository's ``.qualcode/`` (empty when it does not exist)."""
    if not folder.is_dir():
        return {}
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture(scope="session", autouse=True)
def _no_default_project(tmp_path_factory: pytest.TempPathFactory) -> object:
    """The app opens ``QUALCODE_PROJECT``, else the folder holding codebook.yaml above the current
    directory - the repository itself when tests run from its root.  A Streamlit script thread
    still running after its test restored the environment would then import the demo into the
    repository's database; with this default it opens an empty temporary folder instead."""
    old = os.environ.get("QUALCODE_PROJECT")
    if old is None:
        os.environ["QUALCODE_PROJECT"] = str(tmp_path_factory.mktemp("no_default_project"))
    yield
    if old is None:
        os.environ.pop("QUALCODE_PROJECT", None)


@pytest.fixture(autouse=True)
def _repository_database_untouched() -> object:
    """Every test runs on temporary projects: none may create or change the repository's own
    ``.qualcode/`` (the thesis demo's database a user of this clone works in)."""
    before = repository_state_snapshot()
    yield
    after = repository_state_snapshot()
    assert after == before, (
        f"this test wrote into {REPO_STATE} (files before: {sorted(before)}, after: {sorted(after)}); "
        "give it a temporary project (tmp_path, QUALCODE_PROJECT)"
    )
