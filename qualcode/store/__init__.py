"""All database access goes through :class:`Store` (SQLite by default, PostgreSQL by URL).

Writes never get lost between concurrent annotators:

* SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
  ``BEGIN IMMEDIATE`` so two writers queue up instead of failing half-way;
* PostgreSQL uses ordinary transactions; conflicting inserts are caught by the schema's
  unique constraint, and edits use optimistic versioning (``codings.version``).

Roles and blind mode are enforced here, in the data-access functions, so every caller
(CLI, app, notebooks) gets the same rules.

The store is a package of rooms, one per responsibility, each a class built on
:class:`~qualcode.store.core.StoreCore` (engine, ``read``/``write`` transactions, audit log,
role checks):

* :mod:`.users` — settings, blind mode, users;
* :mod:`.access` — sign-in attempts, sessions, disabling and removing users;
* :mod:`.codebook_mirror` — the ``codes`` table, merges and archiving;
* :mod:`.documents` — transcripts, participants, segments, re-import with re-anchoring;
* :mod:`.codings` — codings, edits, delete, undo, detached codings;
* :mod:`.suggestions` — suggestion decisions;
* :mod:`.frames` — DataFrames for analysis;
* :mod:`.refi_ids` — other tools' GUIDs of items imported from REFI-QDA;
* :mod:`.removal` — removing an interview (codings archived) and undoing it.
* :mod:`.merges` — the consolidation trail's merges;
* :mod:`.framework` — the framework matrix's team summaries;
* :mod:`.memos` — document, code and project memos (and coding memos listed with them);
* :mod:`.dump` — whole-database copies (snapshot, SQLite online backup, load everything);
* :mod:`.workbench` — the Code page's per-document read.

:class:`Store` composes them.
"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError as DatabaseFailure  # the one name callers catch

from ..vocabulary import CONSENSUS
from .access import AccessRoom
from .codebook_mirror import CodebookMirrorRoom
from .codings import CodingsRoom
from .core import _ROLE_RANK, LOCAL_ADMIN, Actor, StoreCore, _sha256, make_engine, sqlite_url
from .documents import DocumentsRoom
from .dump import DumpRoom, Snapshot, read_sqlite_file
from .frames import FramesRoom, LazyTexts, _columnwise_frame
from .framework import FrameworkRoom
from .memos import MemosRoom
from .merges import MergesRoom
from .refi_ids import RefiIdsRoom
from .removal import RemovalRoom
from .suggestions import SuggestionsRoom
from .users import SETTINGS, UsersRoom
from .workbench import WorkbenchRoom


class Store(
    SuggestionsRoom,
    CodebookMirrorRoom,
    FramesRoom,
    AccessRoom,
    RefiIdsRoom,
    RemovalRoom,
    DumpRoom,
    MergesRoom,
    FrameworkRoom,
    MemosRoom,
    WorkbenchRoom,
):
    """The one gateway to the database."""


__all__ = [
    "DatabaseFailure",
    "AccessRoom",
    "CONSENSUS",
    "LOCAL_ADMIN",
    "SETTINGS",
    "_ROLE_RANK",
    "Actor",
    "CodebookMirrorRoom",
    "CodingsRoom",
    "DocumentsRoom",
    "DumpRoom",
    "FramesRoom",
    "FrameworkRoom",
    "LazyTexts",
    "MemosRoom",
    "MergesRoom",
    "RefiIdsRoom",
    "RemovalRoom",
    "Snapshot",
    "Store",
    "StoreCore",
    "SuggestionsRoom",
    "UsersRoom",
    "WorkbenchRoom",
    "_columnwise_frame",
    "_sha256",
    "make_engine",
    "read_sqlite_file",
    "sqlite_url",
]
