"""A qualcode project folder: ``codebook.yaml``, ``interviews/`` and the state folder ``.qualcode/``.

:class:`Project` ties the codebook file, the importers and the :class:`~qualcode.store.Store`
together.  The CLI and the Streamlit app are thin shells over it; so is a Jupyter notebook::

    from qualcode.project import Project
    from qualcode import reports
    p = Project.open("path/to/project")
    p.sync()                                   # codebook + interviews + codings spreadsheets
    reports.theme_table(p.analysis_data())     # a pandas DataFrame

``Project`` is composed of rooms, one per concern, each a class built on
:class:`~qualcode.project.core.ProjectCore` (root folder, store, acting user, role checks, the
loaded codebook):

* :mod:`.access` — roles, settings, users, sign-in;
* :mod:`.database` — the database as a whole (counts, backup, restore, status);
* :mod:`.folder` — the interviews folder, missing transcripts, :class:`SyncReport`;
* :mod:`.spreadsheets` — codings spreadsheets checked and imported;
* :mod:`.imports` — syncing the folder, importing named files and transcripts;
* :mod:`.codebook_edits` — codebook.yaml and the database changed as one unit;
* :mod:`.codebook_replace` — the whole codebook.yaml replaced (REFI-QDA imports), the same way;
* :mod:`.coding` — writing codings, documents, suggestion decisions, consensus;
* :mod:`.removal` and :mod:`.undo` — removing an interview; undoing the last step;
* :mod:`.reading` — the data as the acting user may see it;
* :mod:`.analysis` — saturation and the consolidation trail;
* :mod:`.exports` — the workbook, the appendix, REFI-QDA;
* :mod:`.framework` — the framework matrix and its team summaries;
* :mod:`.memos` — document, code, project and coding memos;
* :mod:`.excerpts` — retrieval of coded segments, in-place edits of a codebook node;
* :mod:`.workbench` — the Code page's reads.

A new concern goes into a new room ``qualcode/project/<concern>.py`` added to the bases below.
"""

from __future__ import annotations

from .access import AccessMixin
from .analysis import AnalysisMixin
from .codebook_edits import CodebookEditsMixin
from .codebook_replace import CodebookReplaceMixin
from .coding import CodingMixin
from .core import (
    CODEBOOK_FILE,
    DATABASE_ENV,
    INTERVIEWS_DIR,
    STARTER_CODEBOOK,
    STATE_DIR,
    ProjectCore,
    _LoadedCodebook,
    file_sha256,
    find_root,
)
from .database import DatabaseMixin
from .excerpts import ExcerptsMixin
from .exports import ExportMixin
from .folder import SPREADSHEET_SUFFIXES, FolderMixin, SyncReport, missing_transcripts_warning
from .framework import FrameworkMixin
from .imports import ImportResult, ImportsMixin, ImportStep, Progress, _new_code_id
from .memos import MemosMixin
from .reading import ReadingMixin
from .removal import RemovalMixin
from .spreadsheets import SpreadsheetsMixin
from .undo import UndoMixin
from .workbench import WorkbenchMixin


class Project(
    ExportMixin,
    ImportsMixin,
    UndoMixin,
    CodebookEditsMixin,
    CodebookReplaceMixin,
    CodingMixin,
    DatabaseMixin,
    FrameworkMixin,
    MemosMixin,
    ExcerptsMixin,
    WorkbenchMixin,
):
    """The front door: everything the app, the CLI and scripts do with a project."""


__all__ = [
    "Project",
    "ProjectCore",
    "AccessMixin",
    "AnalysisMixin",
    "CodebookEditsMixin",
    "CodingMixin",
    "DatabaseMixin",
    "ExportMixin",
    "FolderMixin",
    "FrameworkMixin",
    "ImportsMixin",
    "ExcerptsMixin",
    "MemosMixin",
    "ReadingMixin",
    "RemovalMixin",
    "SpreadsheetsMixin",
    "UndoMixin",
    "WorkbenchMixin",
    "SyncReport",
    "ImportResult",
    "ImportStep",
    "Progress",
    "find_root",
    "file_sha256",
    "missing_transcripts_warning",
    "_new_code_id",
    "_LoadedCodebook",
    "STATE_DIR",
    "CODEBOOK_FILE",
    "INTERVIEWS_DIR",
    "DATABASE_ENV",
    "SPREADSHEET_SUFFIXES",
    "STARTER_CODEBOOK",
]
