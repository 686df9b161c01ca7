"""Concurrent coding: N writer processes adding codings one at a time (as the app's Apply does)
versus one writer, on SQLite and PostgreSQL.

Each writer is a separate process with its own Store and annotator name; it adds one coding per
transaction (``Store.add_coding``) for a fixed time after a common start signal, and reports how
many it stored and its latencies.  Throughput = all codings stored / duration.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from common import PYTHON, ROOT, Figure, PeakSampler
from synth import Spec, generate, load_into_store


def child_writer(url: str, name: str, duration: str, ready_file: str, go_file: str) -> dict[str, Any]:
    """One writer process: set up, signal ready, wait for go, add codings until time is up."""
    import sqlalchemy as sa

    from qualcode import schema as s
    from qualcode.model import Coding
    from qualcode.store import Actor, Store

    store = Store(url, create=False)
    segments = store.segments_frame()
    sentences = segments.loc[segments["kind"] == "sentence", ["document", "start", "end"]].to_numpy().tolist()
    with store.read() as conn:
        codes = [
            r[0] for r in conn.execute(sa.select(s.codes.c.id).where(s.codes.c.kind == "code").order_by(s.codes.c.id))
        ]
    actor = Actor(name, "annotator")
    salt = sum(map(ord, name))

    def coding(n: int) -> Coding:
        # Distinct (sentence, code) pairs for this annotator: never a duplicate coding.
        doc, start, end = sentences[(n * 7919 + salt) % len(sentences)]
        code = codes[(n // len(sentences) + salt) % len(codes)]
        return Coding(doc, int(start), int(end), code, name, "", "manual")

    # Warm-up (connection, statement caches, the annotator's user row): not timed.
    warm = 3
    for n in range(warm):
        store.add_coding(actor, coding(n))
    Path(ready_file).write_text("ready")
    while not os.path.exists(go_file):
        time.sleep(0.005)
    start_at = float(Path(go_file).read_text() or 0)
    while time.time() < start_at:
        time.sleep(0.001)
    end_at = start_at + float(duration)
    latencies: list[float] = []
    n = warm
    while time.time() < end_at:
        t0 = time.perf_counter()
        store.add_coding(actor, coding(n))
        latencies.append(time.perf_counter() - t0)
        n += 1
    n -= warm
    elapsed = time.time() - start_at
    store.dispose()
    latencies.sort()

    def pick(q: float) -> float:
        return latencies[min(int(q * len(latencies)), len(latencies) - 1)] if latencies else float("nan")

    return {
        "count": n,
        "elapsed": elapsed,
        "p50_ms": pick(0.5) * 1e3,
        "p95_ms": pick(0.95) * 1e3,
        "max_ms": (latencies[-1] * 1e3) if latencies else float("nan"),
    }


def run_writers(url: str, n_writers: int, duration: float, workdir: Path, tag: str) -> dict[str, Any]:
    """Start ``n_writers`` writer processes, release them together, collect their counts."""
    sync_dir = workdir / f"writers_{tag}_{n_writers}_{uuid.uuid4().hex[:6]}"
    sync_dir.mkdir(parents=True)
    go = sync_dir / "go"
    procs = []
    for i in range(n_writers):
        ready = sync_dir / f"ready_{i}"
        procs.append(
            (
                ready,
                subprocess.Popen(
                    [
                        PYTHON,
                        str(ROOT / "benchmarks" / "run.py"),
                        "--child",
                        "writer",
                        url,
                        f"w{tag}{n_writers}_{i}",
                        str(duration),
                        str(ready),
                        str(go),
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    cwd=ROOT,
                ),
            )
        )
    deadline = time.time() + 300
    while not all(r.exists() for r, _ in procs):
        if time.time() > deadline or any(p.poll() not in (None, 0) for _, p in procs):
            for _, p in procs:
                p.kill()
            errors = [p.communicate()[1][-2000:] for _, p in procs]
            raise RuntimeError("writers did not start:\n" + "\n".join(errors))
        time.sleep(0.05)
    go.write_text(str(time.time() + 0.5))
    results = []
    for _, p in procs:
        out, err = p.communicate(timeout=duration + 300)
        if p.returncode != 0:
            raise RuntimeError(f"writer failed:\n{err[-3000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    total = sum(r["count"] for r in results)
    elapsed = max(r["elapsed"] for r in results)
    return {
        "codings": total,
        "seconds": elapsed,
        "per_s": total / elapsed,
        "p95_ms": max(r["p95_ms"] for r in results),
        "p50_ms": sorted(r["p50_ms"] for r in results)[len(results) // 2],
        "max_ms": max(r["max_ms"] for r in results),
    }


def _concurrency_figure(label: str, url: str, workdir: Path, duration: float, tag: str, rounds: int = 2) -> Figure:
    # 1 writer, 8 writers, 1, 8, …: the best round of each (other load on the machine varies).
    ones, eights = [], []
    for r in range(rounds):
        ones.append(run_writers(url, 1, duration, workdir, f"{tag}{r}"))
        eights.append(run_writers(url, 8, duration, workdir, f"{tag}{r}"))
    one = max(ones, key=lambda x: x["per_s"])
    eight = max(eights, key=lambda x: x["per_s"])
    ratio = eight["per_s"] / one["per_s"]
    return Figure(
        f"6 concurrent coding, {label}: 8 writers vs 1 (throughput ratio)",
        1.0 / eight["per_s"],
        1.0 / one["per_s"],
        ratio,
        ">= 0.5",
        ours=f"8 writer processes, each Store.add_coding one coding per transaction for {duration:.0f}s; "
        "ours_s = seconds per stored coding overall",
        baseline="the same with 1 writer process",
        repeats=rounds,
        extra={
            "ratio_is": "codings/s with 8 writers ÷ codings/s with 1 writer (best of alternating rounds)",
            "writers_8": eight,
            "writers_1": one,
            "per_s_all_rounds_8": [round(x["per_s"], 1) for x in eights],
            "per_s_all_rounds_1": [round(x["per_s"], 1) for x in ones],
        },
    ).judge()


def figure_concurrency(spec: Spec, workdir: Path, full: bool, postgres_url: str | None) -> list[Figure]:
    """SQLite (a file in workdir) and, if reachable, PostgreSQL in a private schema."""
    from qualcode.store import Store

    duration = 15.0 if full else 6.0
    synthetic = generate(spec)
    figures = []
    db = workdir / "concurrency.db"
    for p in workdir.glob("concurrency.db*"):
        p.unlink()
    url = f"sqlite:///{db}"
    store = Store(url)
    t0 = time.perf_counter()
    load_into_store(synthetic, store)  # the direct path: documents + Store.add_codings in batches
    load_s = time.perf_counter() - t0
    store.dispose()
    fig = _concurrency_figure("SQLite", url, workdir, duration, "s")
    fig.extra["database"] = (
        f"SQLite file, {len(synthetic.documents)} documents, {len(synthetic.codings)} codings "
        f"stored directly (load {load_s:.1f}s)"
    )
    figures.append(fig)
    if postgres_url:
        figures.append(_postgres_figure(synthetic, postgres_url, workdir, duration))
    return figures


def _postgres_figure(synthetic: Any, base_url: str, workdir: Path, duration: float) -> Figure:
    import psycopg
    import sqlalchemy as sa

    from qualcode.store import Store

    schema = f"qcbench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    plain = sa.engine.make_url(base_url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        admin = psycopg.connect(plain, autocommit=True, connect_timeout=5)
    except Exception as exc:  # no server: report, do not fail the run
        return Figure("6b concurrent coding, PostgreSQL: 8 writers vs 1", extra={"skipped": f"no server: {exc}"})
    url = f"{base_url}{'&' if '?' in base_url else '?'}options=-csearch_path%3D{schema}"
    try:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        store = Store(url)
        t0 = time.perf_counter()
        load_into_store(synthetic, store)
        load_s = time.perf_counter() - t0
        store.dispose()
        fig = _concurrency_figure("PostgreSQL", url, workdir, duration, "p")
        fig.name = fig.name.replace("6 ", "6b ", 1)
        fig.extra["database"] = f"PostgreSQL private schema, same data (load {load_s:.1f}s)"
        return fig
    finally:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


__all__ = ["child_writer", "run_writers", "figure_concurrency", "PeakSampler"]
