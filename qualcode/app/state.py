"""Shared state of the workbench: the open project, who is acting, caches and error display.

One :class:`~qualcode.project.Project` (and its database engine) is opened per project
folder and database URL and shared by every browser session (``st.cache_resource``); each
session sees it through ``project.as_user(actor)``.  Cached reads are keyed by the
*data version* (the newest audit-log id), which changes on every write, so a cache never
serves stale codings and nothing is recomputed while nobody writes.
"""

from __future__ import annotations

import copy
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from ..errors import QualcodeError, from_database
from ..frames import AnalysisData
from ..project import DATABASE_ENV, Project, SyncReport, find_root
from ..slug import slugify as slugify  # new code ids from labels (pages call state.slugify)
from ..store import Actor, DatabaseFailure

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
        not_imported = report.refused_error()  # each bad transcript left out, the good ones imported
        if not_imported is not None:
            error, refused = str(not_imported), refused_files(project, not_imported)
    except QualcodeError as exc:  # a broken file must not keep the app from opening
        report, error = None, str(exc)
        refused = refused_files(project, exc)
    _refresh_statistics(project)
    return OpenProject(project, report, error, refused)


def _refresh_statistics(project: Project) -> None:
    """SQLite: gather planner statistics once per start.

    Without them SQLite filters a blind annotator's codings of one document through the
    annotator index (every coding they ever made) instead of the document index: about 10x
    slower on a project with 300,000 codings.  PostgreSQL keeps its statistics itself.
    """
    project.analyze()


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
    return open_project().project.as_user(actor)  # shares the codebook main() refreshed for this rerun


def refresh_codebook() -> None:
    """Once per rerun (main): re-read codebook.yaml if it changed, so every page of the run and
    every ``user_project()`` copy shares one parsed codebook."""
    try:
        open_project().project.refresh_codebook()
    except QualcodeError:
        pass  # a broken codebook.yaml: the page that needs it shows the error


# ------------------------------------------------------------------------------ cached reads
@st.cache_resource(max_entries=64, show_spinner=False)
def _document(_project: Project, url: str, name: str, sha: str) -> dict[str, Any]:
    """A document's text, row and segments; keyed by its text hash (immutable per hash)."""
    row = _project.document_row(name) or {}
    segments = _project.segments_frame(documents=[name])
    return {
        "sha": sha,
        "text": row.get("text") or "",
        "participant": row.get("participant_id"),
        "language": row.get("language") or "en",
        "metadata": row.get("metadata") or {},
        "segments": segments,
    }


def cached_document(project: Project, name: str) -> dict[str, Any] | None:
    sha = project.document_sha(name)
    if sha is None:
        return None
    return _document(project, project.database_url, name, sha)


@st.cache_resource(max_entries=16, show_spinner="Loading the analysis …")
def _analysis(_project: Project, url: str, actor: Actor, version: int, codebook_sha: str) -> AnalysisData:
    return _project.analysis_data()


def cached_analysis(project: Project, version: int | None = None) -> AnalysisData:
    """The whole-project analysis bundle as ``project.actor`` may see it (read-only, shared).

    ``version``: the data version the caller just read (and keys its :func:`derived` tables
    with); None reads it.  The bundle is never older than its key: it is read after the version."""
    return _analysis(
        project,
        project.database_url,
        project.actor,
        project.data_version() if version is None else version,
        project.codebook_version,
    )


# Derived values, one entry per (database, actor, codebook version, name, choices), holding the
# newest data version's value only: a write makes the next visit compute afresh and drops the
# old value, so memory stays at one copy per page and choice however often people write.
_DERIVED: OrderedDict[tuple[Any, ...], tuple[int, Any]] = OrderedDict()
_DERIVED_MAX = 256
_DERIVED_LOCK = threading.Lock()


def derived(project: Project, version: int, name: str, compute: Callable[[], Any], *key: Hashable) -> Any:
    """``compute()`` once per data version, codebook version, actor, ``name`` and ``key`` (the
    page's choices), shared by every session: a report table, a chart's spec, a CSV's bytes.

    ``compute`` must read only the analysis bundle of this ``version`` (``cached_analysis(project,
    version)``) and the choices in ``key``, so the cached value is exactly what it would compute
    now; a write anywhere changes the version, so the next visit computes afresh.  The value is
    shared: callers must not change it (copy first)."""
    slot = (project.database_url, project.actor, project.codebook_version, name, key)
    with _DERIVED_LOCK:
        hit = _DERIVED.get(slot)
        if hit is not None and hit[0] == version:
            _DERIVED.move_to_end(slot)
            return hit[1]
    value = compute()  # outside the lock: other sessions go on meanwhile
    with _DERIVED_LOCK:
        stored = _DERIVED.get(slot)
        if stored is None or stored[0] <= version:  # never replace a newer version's value
            _DERIVED[slot] = (version, value)
            _DERIVED.move_to_end(slot)
        while len(_DERIVED) > _DERIVED_MAX:
            _DERIVED.popitem(last=False)
    return value


def coded_annotators(project: Project, version: int, data: Any) -> list[str]:
    """The annotators with codings in ``data`` (the analysis bundle of ``version``), sorted: a
    pass over every coding, made once per data version (:func:`derived`), not on each visit."""
    return derived(project, version, "coded_annotators", lambda: sorted(data.codings["annotator"].astype(str).unique()))


@st.cache_resource(max_entries=8, show_spinner=False)
def _small_frame(_project: Project, url: str, what: str, version: int) -> pd.DataFrame:
    if what == "participants":
        return _project.participants_frame()
    if what == "documents":
        return _project.documents_frame()
    if what == "users":
        return _project.users_frame()
    raise ValueError(what)


def participants(project: Project, version: int | None = None) -> pd.DataFrame:
    """``version``: the data version the caller just read (saves a query); None reads it."""
    return _small_frame(
        project, project.database_url, "participants", project.data_version() if version is None else version
    )


def documents(project: Project, version: int | None = None) -> pd.DataFrame:
    """``version``: the data version the caller just read (saves a query); None reads it."""
    return _small_frame(
        project, project.database_url, "documents", project.data_version() if version is None else version
    )


def users(project: Project) -> pd.DataFrame:
    return _small_frame(project, project.database_url, "users", project.data_version())


def annotators_with_codings(project: Project) -> list[str]:
    return sorted(project.counts()["codings_by_annotator"])


def chart_spec(chart: Any) -> dict[str, Any]:
    """An Altair chart as the Vega-Lite spec ``st.vega_lite_chart`` draws: converting (and
    validating) a chart takes a tenth of a second, so pages convert once and cache the spec
    (:func:`derived`).  Drawn as ``st.altair_chart`` draws it: no Altair theme, every row kept."""
    import altair as alt
    from streamlit.elements import vega_charts

    lock = getattr(vega_charts, "_altair_globals_lock", None)  # Altair's theme and transformer are global
    with lock if lock is not None else nullcontext():
        with alt.theme.enable("none"), alt.data_transformers.disable_max_rows():
            return chart.to_dict()


def draw_chart(spec: dict[str, Any], **kwargs: Any) -> Any:
    """``st.vega_lite_chart`` of a cached :func:`chart_spec` (a copy: Streamlit moves the data
    out of the spec it is given; the rows themselves are only read)."""
    shown = copy.deepcopy({k: v for k, v in spec.items() if k != "datasets"})
    if "datasets" in spec:
        shown["datasets"] = dict(spec["datasets"])
    return st.vega_lite_chart(spec=shown, **kwargs)


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


# ------------------------------------------------------------------------------ progress
def progress_bar(start: str = "Starting …") -> Any:
    """An ``st.progress`` bar and the ``progress(label, done, total)`` callback that moves it
    (``Project.sync``, ``import_paths``, uploads): "Importing interviews: 12 of 40"."""
    bar = st.progress(0.0, text=start)

    def update(label: str, done: int, total: int) -> None:
        bar.progress(min(1.0, done / total) if total else 1.0, text=f"{label}: {done} of {total}")

    return update


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
    except DatabaseFailure as exc:  # a database failure no named error caught: still no raw text
        show_error(from_database(exc))


def flash(kind: str, message: str, *, markdown: bool = False) -> None:
    """Queue a message for the next run (actions run in callbacks, before the page draws).
    ``markdown=True``: ``message`` is markdown whose untrusted parts the caller escaped
    (``escape_md``), e.g. a code label in italics; otherwise it is shown as plain text."""
    st.session_state.setdefault(MESSAGE_KEY, []).append((kind, message, markdown))


def has_flashes() -> bool:
    """Whether messages wait to be shown (a page draws their container only then)."""
    return bool(st.session_state.get(MESSAGE_KEY))


def show_flashes() -> None:
    for kind, message, *rest in st.session_state.pop(MESSAGE_KEY, []):
        shown = message if rest and rest[0] else escape_md(message)
        if kind == "error":
            st.error(shown, icon=":material/error:")
        elif kind == "warning":
            st.warning(shown)
        else:
            st.success(shown)


def run_action(action: Any, *args: Any, success: str | None = None, **kwargs: Any) -> Any:
    """Run a write in a callback; a QualcodeError becomes a flash message (nothing half-saved:
    every Project/Store write is one transaction)."""
    try:
        result = action(*args, **kwargs)
    except QualcodeError as exc:
        flash("error", str(exc))
        return None
    except DatabaseFailure as exc:  # a database failure no named error caught: still no raw text
        flash("error", str(from_database(exc)))
        return None
    if success:
        flash("success", success)
    return result
