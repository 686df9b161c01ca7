"""No lost work: 8 annotator processes apply, edit and delete 1,000 codings each at random while a
reader runs reports; afterwards every acknowledged write is present exactly once, nothing else is,
and the audit log accounts for every change.  Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing as mp
import random
import time

import pytest

from qualcode.model import Code, Codebook, Coding, ParsedDocument, Participant, Theme
from qualcode.store import Actor, Store

WRITERS = 8
OPS_PER_WRITER = 1000
CODES = [f"code_{i}" for i in range(12)]
DOC_TEXT = " ".join(f"word{i}" for i in range(4000))


def _codebook() -> Codebook:
    return Codebook(themes={"t": Theme("t", "Theme")}, codes={c: Code(c, c.replace("_", " "), "t") for c in CODES})


def _writer(url: str, name: str, seed: int, ops: int, out: mp.Queue) -> None:
    rng = random.Random(seed)
    store = Store(url, create=False)
    me = Actor(name, "annotator")
    live: dict[int, str] = {}  # acknowledged: coding id -> memo
    counts = {"coding.add": 0, "coding.update": 0, "coding.delete": 0}
    for _ in range(ops):
        action = rng.random()
        if action < 0.6 or not live:
            start = rng.randrange(0, len(DOC_TEXT) - 50)
            coding = Coding("doc", start, start + rng.randrange(1, 50), rng.choice(CODES), name)
            cid = store.add_codings(me, [coding])  # skips an identical existing coding
            if cid:
                live[cid[0]] = ""
                counts["coding.add"] += 1
        elif action < 0.8:
            cid = rng.choice(list(live))
            memo = f"memo {rng.random():.6f}"
            store.update_coding(me, cid, memo=memo)
            live[cid] = memo
            counts["coding.update"] += 1
        else:
            cid = rng.choice(list(live))
            store.delete_coding(me, cid)
            del live[cid]
            counts["coding.delete"] += 1
    store.dispose()
    out.put((name, live, counts))


def _reader(url: str, stop: mp.Event, out: mp.Queue) -> None:
    from qualcode.frames import AnalysisData
    from qualcode.reports import theme_table

    store = Store(url, create=False)
    runs = 0
    codebook = _codebook()
    while not stop.is_set():
        data = store.analysis_data(Actor("reader", "supervisor"), codebook)
        theme_table(AnalysisData(data.codebook, data.participants, data.documents, data.segments, data.codings, {}))
        runs += 1
    store.dispose()
    out.put(("reader", runs))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_concurrent_annotators_lose_nothing(db_url: str) -> None:
    store = Store(db_url)
    store.sync_codebook(_codebook())
    store.upsert_document(Actor("admin", "admin"), ParsedDocument("doc", DOC_TEXT, Participant("A", "Expert (A)")))
    ctx = mp.get_context("spawn")
    out, stop = ctx.Queue(), ctx.Event()
    reader = ctx.Process(target=_reader, args=(db_url, stop, out))
    reader.start()
    writers = [
        ctx.Process(target=_writer, args=(db_url, f"ann{i}", 1000 + i, OPS_PER_WRITER, out)) for i in range(WRITERS)
    ]
    for w in writers:
        w.start()
    results = {}
    deadline = time.monotonic() + 850
    while len(results) < WRITERS and time.monotonic() < deadline:
        name, live, counts = out.get(timeout=max(1.0, deadline - time.monotonic()))
        results[name] = (live, counts)
    for w in writers:
        w.join(timeout=30)
        assert w.exitcode == 0, f"writer {w.name} crashed"
    stop.set()
    reader_name, reader_runs = out.get(timeout=120)
    reader.join(timeout=30)
    assert reader.exitcode == 0 and reader_runs >= 1

    frame = store.codings_frame(Actor("check", "supervisor"))
    assert frame["coding_id"].is_unique
    expected = {cid: (name, memo) for name, (live, _) in results.items() for cid, memo in live.items()}
    actual = {int(r.coding_id): (r.annotator, r.memo) for r in frame.itertuples()}
    assert actual == expected  # every acknowledged write exactly once, nothing else
    assert len(actual) > WRITERS * OPS_PER_WRITER * 0.3

    audit = store.audit_frame()
    for name, (_, counts) in results.items():
        mine = audit[audit["actor"] == name]["action"].value_counts().to_dict()
        assert mine == {k: v for k, v in counts.items() if v}, name
    store.dispose()
