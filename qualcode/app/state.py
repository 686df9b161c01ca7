"""Shared state of the workbench: the open project, who is acting, caches and error display.

One :class:`~qualcode.project.Project` (and its database engine) is opened per project
folder and database URL and shared by every browser session (``st.cache_resource``); each
session sees it through ``project.as_user(actor)``.  Cached reads are keyed by the
*data version* (the newest audit-log id), which changes on every write, so a cache never
serves stale codings and nothing is recomputed while nobody writes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from .. import schema as s
from ..errors import QualcodeError, from_database
from ..frames import AnalysisData
from ..project import DATABASE_ENV, Project, SyncReport, find_root
from ..slug import slugify as slugify  # new code ids from labels (pages call state.slugify)
from ..store import Actor, Store

PROJECT_ENV = "QUALCODE_PROJECT"
ACTOR_KEY = "qc_actor"
MESSAGE_KEY = "qc_flash"


# ------------------------------------------------------------------------------ project
@dataclass
class OpenProject:
    project: Project  # acting as LOCAL_ADMIN; never use directly for user actions
    sync_report: SyncReport | None
    sync_error: str | None
    # (file, problem) for each file the start-up import refused: the app opens anyway.
    not_imported: list[tuple[str, str]] = field(default_factory=list)


def refused_files(project: Project, exc: QualcodeError) -> list[tuple[str, str]]:
    """One row per problem of a refused import: the file (relative to the project) and what is wrong."""
    rows = []
    for problem in exc.problems:
        where = project.relative(Path(problem.path)) if problem.path else "(project)"
        detail = replace(problem, path=None)
        rows.append((where, str(detail)))
    return rows


def project_location() -> tuple[Path, str | None]:
    """The project folder (env QUALCODE_PROJECT, else the folder holding codebook.yaml at or
    above the current directory) and the database URL (env QUALCODE_DATABASE_URL or None)."""
    root = os.environ.get(PROJECT_ENV)
    folder = Path(root).resolve() if root else find_root(Path.cwd())
    return folder, os.environ.get(DATABASE_ENV) or None


@st.cache_resource(show_spinner="Opening the project and importing new interviews …")
def _open_project(root: str, database_url: str | None) -> OpenProject:
    """Open the project once per process and import what changed in the folder (Project.sync)."""
    project = Project.open(root, database_url=database_url)
    refused: list[tuple[str, str]] = []
    try:
        report = project.sync()
        error = None
    except QualcodeError as exc:  # a broken file must not keep the app from opening
        report, error = None, str(exc)
        refused = refused_files(project, exc)
    _refresh_statistics(project.store)
    return OpenProject(project, report, error, refused)


def _refresh_statistics(store: Store) -> None:
    """SQLite: gather planner statistics once per start.

    Without them SQLite filters a blind annotator's codings of one document through the
    annotator index (every coding they ever made) instead of the document index: about 10x
    slower on a project with 300,000 codings.  PostgreSQL keeps its statistics itself.
    """
    store.analyze()


def open_project() -> OpenProject:
    root, url = project_location()
    return _open_project(str(root), url)


def current_actor() -> Actor | None:
    return st.session_state.get(ACTOR_KEY)


def user_project() -> Project:
    """The project as seen by the signed-in user (roles and blind mode apply)."""
    actor = current_actor()
    if actor is None:
        raise RuntimeError("no user is signed in")  # main() never renders a page without one
    base = open_project().project
    try:
        _ = base.codebook  # re-read only when the file changed; as_user() copies the parsed codebook
    except QualcodeError:
        pass  # a broken codebook.yaml: the page that needs it shows the error
    return base.as_user(actor)


# ------------------------------------------------------------------------------ versions
def data_version(store: Store) -> int:
    """The newest audit-log id: it changes on every write (codings, codebook, settings, imports)."""
    with store.read() as conn:
        return int(conn.execute(sa.select(sa.func.max(s.audit_log.c.id))).scalar() or 0)


def document_sha(store: Store, name: str) -> str | None:
    with store.read() as conn:
        return conn.execute(sa.select(s.documents.c.sha256).where(s.documents.c.name == name)).scalar()


def document_codings(store: Store, actor: Actor, document: str, annotators: list[str] | None) -> pd.DataFrame:
    """One document's codings that ``actor`` may see, of ``annotators`` (None = all visible).

    When the actor may see everyone, the annotator filter is applied here rather than in SQL:
    filtering by document alone lets the database use the document index (a big project has
    hundreds of thousands of codings per annotator).
    """
    if store.visible_annotators(actor) is None:
        frame = store.codings_frame(actor, documents=[document])
        if annotators is not None:
            frame = frame.loc[frame["annotator"].isin(annotators)].reset_index(drop=True)
        return frame
    return store.codings_frame(actor, annotators=annotators, documents=[document])


# ------------------------------------------------------------------------------ cached reads
@st.cache_resource(max_entries=64, show_spinner=False)
def _document(_store: Store, url: str, name: str, sha: str) -> dict[str, Any]:
    """A document's text, row and segments; keyed by its text hash (immutable per hash)."""
    row = _store.document_row(name) or {}
    segments = _store.segments_frame(documents=[name])
    return {
        "text": row.get("text") or "",
        "participant": row.get("participant_id"),
        "language": row.get("language") or "en",
        "metadata": row.get("metadata") or {},
        "segments": segments,
    }


def cached_document(store: Store, name: str) -> dict[str, Any] | None:
    sha = document_sha(store, name)
    if sha is None:
        return None
    return _document(store, store.url, name, sha)


@st.cache_resource(max_entries=16, show_spinner="Loading the analysis …")
def _analysis(_project: Project, url: str, actor: Actor, version: int, codebook_sha: str) -> AnalysisData:
    return _project.analysis_data()


def cached_analysis(project: Project) -> AnalysisData:
    """The whole-project analysis bundle as ``project.actor`` may see it (read-only, shared)."""
    _ = project.codebook  # re-read when the file changed (sets _codebook_sha)
    return _analysis(
        project, project.store.url, project.actor, data_version(project.store), project._codebook_sha or ""
    )


@st.cache_resource(max_entries=8, show_spinner=False)
def _small_frame(_store: Store, url: str, what: str, version: int) -> pd.DataFrame:
    if what == "participants":
        return _store.participants_frame()
    if what == "documents":
        return _store.documents_frame()
    if what == "users":
        return _store.users_frame()
    raise ValueError(what)


def participants(store: Store) -> pd.DataFrame:
    return _small_frame(store, store.url, "participants", data_version(store))


def documents(store: Store) -> pd.DataFrame:
    return _small_frame(store, store.url, "documents", data_version(store))


def users(store: Store) -> pd.DataFrame:
    return _small_frame(store, store.url, "users", data_version(store))


def annotators_with_codings(store: Store) -> list[str]:
    return sorted(store.counts()["codings_by_annotator"])


# ------------------------------------------------------------------------------ timing
TIMING_ENV = "QUALCODE_APP_TIMING"


@contextmanager
def timed(label: str) -> Iterator[None]:
    """With env QUALCODE_APP_TIMING=1, log how long a block took (stderr): for benchmarks."""
    if os.environ.get(TIMING_ENV) != "1":
        yield
        return
    import sys
    import time

    start = time.perf_counter()
    try:
        yield
    finally:
        print(f"qualcode-timing {label} {1000 * (time.perf_counter() - start):.1f} ms", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ messages
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape_md(text: str) -> str:
    """Text safe to pass to a markdown element: every markdown/HTML character escaped,
    line breaks kept."""
    return "  \n".join(_MD_SPECIAL.sub(r"\\\1", line) for line in str(text).split("\n"))


def show_error(exc: QualcodeError | str) -> None:
    st.error(escape_md(str(exc)), icon=":material/error:")


@contextmanager
def user_errors() -> Iterator[None]:
    """Show a QualcodeError as a readable message in the page (no traceback)."""
    try:
        yield
    except QualcodeError as exc:
        show_error(exc)
    except sa.exc.SQLAlchemyError as exc:  # a database failure no named error caught: still no raw text
        show_error(from_database(exc))


def flash(kind: str, message: str) -> None:
    """Queue a message for the next run (actions run in callbacks, before the page draws)."""
    st.session_state.setdefault(MESSAGE_KEY, []).append((kind, message))


def show_flashes() -> None:
    for kind, message in st.session_state.pop(MESSAGE_KEY, []):
        if kind == "error":
            st.error(escape_md(message), icon=":material/error:")
        elif kind == "warning":
            st.warning(escape_md(message))
        else:
            st.success(escape_md(message))


def run_action(action: Any, *args: Any, success: str | None = None, **kwargs: Any) -> Any:
    """Run a write in a callback; a QualcodeError becomes a flash message (nothing half-saved:
    every Project/Store write is one transaction)."""
    try:
        result = action(*args, **kwargs)
    except QualcodeError as exc:
        flash("error", str(exc))
        return None
    except sa.exc.SQLAlchemyError as exc:  # a database failure no named error caught: still no raw text
        flash("error", str(from_database(exc)))
        return None
    if success:
        flash("success", success)
    return result
