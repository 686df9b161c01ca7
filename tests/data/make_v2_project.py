"""Builds tests/data/v2_project.db: a project database written by qualcode before migration 3
(commit c11ef9a), for the migration test.  Run from a checkout of that commit:

    PYTHONPATH=/path/to/c11ef9a python tests/data/make_v2_project.py tests/data/v2_project.db
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from qualcode.model import Code, Codebook, Coding, ParsedDocument, Participant, Segment, Theme
from qualcode.store import LOCAL_ADMIN, Actor, Store


def main() -> None:
    db = Path(sys.argv[1])
    db.unlink(missing_ok=True)
    st = Store(f"sqlite:///{db}")
    st.sync_codebook(
        Codebook(
            themes={"t": Theme("t", "T")},
            codes={"transit": Code("transit", "Transit", "t"), "work": Code("work", "Work", "t")},
        )
    )
    text = "Kazakhstan is a transit country. Factories lack workers.\n"
    st.upsert_document(
        LOCAL_ADMIN,
        ParsedDocument(
            name="expert_A",
            text=text,
            participant=Participant("A", "Expert A", {}),
            segments=[Segment("sentence", 0, 32), Segment("sentence", 33, 56)],
        ),
    )
    alice, bob = Actor("alice", "annotator"), Actor("bob", "annotator")
    a1 = st.add_coding(alice, Coding("expert_A", 0, 10, "transit", "alice"))
    b1 = st.add_coding(bob, Coding("expert_A", 33, 42, "work", "bob"))
    a2 = st.add_coding(alice, Coding("expert_A", 33, 42, "work", "alice", memo="to be deleted"))
    st.update_coding(alice, a1, memo="edited")
    st.delete_coding(alice, a2)  # the highest id is gone: SQLite would hand it out again
    print(a1, b1, a2)
    st.dispose()
    c = sqlite3.connect(db)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.execute("PRAGMA journal_mode=DELETE")
    c.execute("VACUUM")
    c.close()


if __name__ == "__main__":
    main()
