"""qualcode performance benchmarks on a SYNTHETIC project, each figure against a baseline
measured in the same run on the same data.

    python benchmarks/run.py --quick                     # a few minutes on 2 cores
    python benchmarks/run.py --out benchmarks/results.json   # full size (1,000 interviews, 300,000 codings)

Prints a Markdown table and writes a JSON list of figures, each with ``name``, ``ours_s``,
``baseline_s``, ``ratio`` (ours / baseline; for concurrency: throughput of 8 writers /
throughput of 1), ``target``, ``met`` and, for memory figures, ``peak_rss_mb``.  Run
facts (machine, versions, sizes, wall time) go to ``<out>.meta.json``.  Timings use
``time.perf_counter``; fast figures take the best of several repeats after an untimed
warm-up.  See benchmarks/RESULTS.md for a recorded full run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import Figure, best_of, compare, run_child, table  # noqa: E402
from synth import Spec, Synthetic, generate, write_project  # noqa: E402

QUICK = Spec(
    n_interviews=40, words=2000, long_words=20_000, n_codes=60, n_themes=8, n_coders=5, n_codings=20_000, seed=0
)
FULL = Spec(
    n_interviews=1000, words=8000, long_words=20_000, n_codes=100, n_themes=10, n_coders=5, n_codings=300_000, seed=0
)
# The concurrency database: a smaller project stored directly (Store.add_codings in batches).
CONCURRENCY = Spec(n_interviews=40, words=2000, n_codes=60, n_themes=8, n_coders=3, n_codings=10_000, seed=1)
RELIABILITY_CODERS = ["coder1", "coder2", "coder3"]
POSTGRES_URL = os.environ.get("QUALCODE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ setup
def prepare(spec: Spec, root: Path, reuse: bool) -> tuple[Synthetic, dict[str, float]]:
    """Generate the synthetic project and write it as a folder (fresh unless ``reuse``)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    synthetic = generate(spec)
    timings["generate_s"] = time.perf_counter() - t0
    marker = root / "spec.json"
    # The folder matches when the spec and the generator's source are the same.
    stamp = {**spec.__dict__, "synth_sha256": hashlib.sha256((HERE / "synth.py").read_bytes()).hexdigest()}
    if reuse and marker.exists() and json.loads(marker.read_text()) == stamp:
        log(f"reusing the project folder {root}")
        return synthetic, timings
    if root.exists():
        shutil.rmtree(root)
    t0 = time.perf_counter()
    write_project(synthetic, root)
    timings["write_folder_s"] = time.perf_counter() - t0
    marker.write_text(json.dumps(stamp))
    return synthetic, timings


def fresh_database(root: Path) -> None:
    for p in (root / ".qualcode").glob("qualcode.db*"):
        p.unlink()


# ------------------------------------------------------------------------------ figure 1
def figure_import(synthetic: Synthetic, root: Path, full: bool) -> list[Figure]:
    """read_documents (read + front matter + segmentation) vs bare nlp.pipe on the same texts."""
    import spacy

    from qualcode.importers import read_documents
    from qualcode.segment import DEFAULT_BATCH_SIZE

    files = sorted((root / "interviews").glob("*.md"))
    texts = [d.body for d in synthetic.documents]
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = max(nlp.max_length, max(len(t) for t in texts) + 1)

    def baseline() -> int:
        return sum(len(doc) for doc in nlp.pipe(texts, batch_size=DEFAULT_BATCH_SIZE))

    def ours() -> int:
        return sum(len(d.segments) for d in read_documents(files))

    repeats = 2 if full else 5
    if full:  # warm up on the first 20 files / texts only (a full pass takes a minute or more)
        read_documents(files[:20])
        list(nlp.pipe(texts[:20]))
    ours_s, base_s, n_segments, n_tokens = compare(ours, baseline, repeats, warmup=not full)
    log(f"import: ours {ours_s:.2f}s baseline {base_s:.2f}s")
    fig = Figure(
        "1 import + segmentation (read_documents)",
        ours_s,
        base_s,
        ours_s / base_s,
        "<= 2.0",
        ours=f"qualcode.importers.read_documents on {len(files)} .md files (read, decode, front matter, "
        "paragraph/sentence/turn segments); no database writes",
        baseline="list(spacy.blank('en') + sentencizer .pipe(texts, batch_size=64)) over the same texts",
        repeats=repeats,
        extra={"segments": n_segments, "tokens": n_tokens, "words": synthetic.n_words},
    ).judge()
    # Project.sync: everything a first import does, storage included, in a fresh process.
    fresh_database(root)
    out, peak = run_child(["sync", str(root)])
    sync = Figure(
        "1b Project.sync (import incl. database writes, codings CSVs)",
        out["seconds"],
        None,
        None,
        None,
        peak_rss_mb=peak,
        ours="Project.sync() on a fresh SQLite database: codebook, transcripts (read, segment, store "
        "documents + segments), one codings CSV per coder (anchored, stored in one transaction each)",
        extra={"transcripts_s": out["transcripts_s"], "codings_s": out["codings_s"], "summary": out["summary"]},
    )
    memory = Figure(
        "M1 peak memory: import (Project.sync process)",
        peak_rss_mb=peak,
        ours="peak RSS of the process running Project.sync (psutil, with children, 50 ms samples)",
    )
    return [fig, sync, memory]


# ------------------------------------------------------------------------------ figure 2
def dense_presence(data: Any, coders: list[str], code_ids: list[str]) -> Any:
    """presence[code, coder, unit] (float 0/1) built independently of qualcode.reliability:
    units = the sentence segments of every document at least one of ``coders`` coded; a code is
    present when a coding of it by that coder overlaps the unit by at least one character."""
    import numpy as np

    c = data.codings
    c = c.loc[c["annotator"].isin(coders)]
    docs = set(c["document"])
    seg = data.segments
    seg = seg.loc[(seg["kind"] == "sentence") & seg["document"].isin(docs) & (seg["end"] > seg["start"])]
    seg = seg.sort_values(["document", "start", "end"])
    presence = np.zeros((len(code_ids), len(coders), len(seg)), dtype=np.float64)
    code_index = {cid: i for i, cid in enumerate(code_ids)}
    coder_index = {a: i for i, a in enumerate(coders)}
    base = 0
    by_doc = {d: g for d, g in c.groupby("document")}
    for document, units in seg.groupby("document", sort=True):
        starts, ends = units["start"].to_numpy(), units["end"].to_numpy()
        run_end = np.maximum.accumulate(ends)
        g = by_doc.get(document)
        if g is not None:
            lo = np.searchsorted(run_end, g["start"].to_numpy(), side="right")
            hi = np.searchsorted(starts, g["end"].to_numpy(), side="left")
            for k, a, lo_u, h, s, e in zip(g["code"], g["annotator"], lo, hi, g["start"], g["end"]):
                for u in range(lo_u, h):
                    if min(e, ends[u]) > max(s, starts[u]):
                        presence[code_index[k], coder_index[a], base + u] = 1.0
        base += len(units)
    return presence


def figure_reliability(data: Any, full: bool) -> list[Figure]:
    import krippendorff
    import numpy as np

    from qualcode.reliability import intercoder_agreement

    coders = RELIABILITY_CODERS
    code_ids = list(data.codebook.codes)
    t0 = time.perf_counter()
    presence = dense_presence(data, coders, code_ids)
    build_s = time.perf_counter() - t0

    def baseline() -> list[float]:
        out = []
        for k in range(len(code_ids)):
            try:
                out.append(float(krippendorff.alpha(reliability_data=presence[k], level_of_measurement="nominal")))
            except ValueError:  # krippendorff refuses a single-valued domain (no variation)
                out.append(math.nan)
        return out

    def ours() -> Any:
        # the baseline's units: every sentence (interviewer's too) of every document any coder coded
        return intercoder_agreement(
            data,
            annotators=coders,
            unit="sentence",
            by="code",
            bootstrap=0,
            scope="all",
            include_interviewer=True,
        )

    repeats = 3 if full else 5
    ours_s, base_s, df, base_alpha = compare(ours, baseline, repeats)
    ours_alpha = df.set_index("id").loc[code_ids, "alpha"].to_numpy(dtype=float)
    base_alpha = np.array(base_alpha)
    both = np.isfinite(ours_alpha) & np.isfinite(base_alpha)
    nan_mismatch = int((np.isfinite(ours_alpha) != np.isfinite(base_alpha)).sum())
    max_delta = float(np.max(np.abs(ours_alpha[both] - base_alpha[both]))) if both.any() else 0.0
    identical = bool(max_delta <= 1e-9 and nan_mismatch == 0)
    log(f"reliability: ours {ours_s:.3f}s baseline {base_s:.3f}s max|Δalpha| {max_delta:.2e}")
    fig = Figure(
        "2 reliability, all codes (alpha, kappa, % agreement)",
        ours_s,
        base_s,
        ours_s / base_s,
        "<= 0.2",
        ours=f"reliability.intercoder_agreement(data, {len(coders)} coders, unit='sentence', by='code', "
        "bootstrap=0): presence from the codings + percent agreement, Fleiss' kappa and alpha "
        f"for all {len(code_ids)} codes",
        baseline=f"krippendorff.alpha(reliability_data=presence[code], level_of_measurement='nominal') "
        f"once per code on prebuilt dense presence matrices (building them, {build_s:.2f}s, "
        "is not counted)",
        repeats=repeats,
        extra={
            "max_abs_delta_alpha": max_delta,
            "alpha_nan_mismatches": nan_mismatch,
            "alpha_identical": identical,
            "codes": len(code_ids),
            "units": int(presence.shape[2]),
            "codes_with_alpha": int(both.sum()),
        },
    ).judge()
    if not identical:
        fig.met = False
    return [fig]


# ------------------------------------------------------------------------------ figure 3
REPORT_SET = "theme_table, consensus(by='theme'), matrix(by='theme'), cooccurrence()"


def report_set(data: Any) -> list[Any]:
    from qualcode import reports

    return [
        reports.theme_table(data),
        reports.consensus(data, by="theme"),
        reports.matrix(data, by="theme"),
        reports.cooccurrence(data),
    ]


def figure_reports(project: Any, root: Path, full: bool) -> list[Figure]:
    store, actor = project.store, project.actor

    def baseline() -> int:
        return len(store.codings_frame(actor))

    def ours() -> int:
        return len(report_set(project.analysis_data()))

    data = project.analysis_data()
    repeats = 3 if full else 5
    ours_s, base_s, _, n = compare(ours, baseline, repeats)
    compute_s, _ = best_of(lambda: report_set(data), repeats)
    load_s, _ = best_of(lambda: project.analysis_data(), repeats)
    log(f"reports: ours {ours_s:.2f}s (compute {compute_s:.2f}s) baseline {base_s:.2f}s")
    out, peak = run_child(["reports", str(root)])
    figs = [
        Figure(
            "3 report set from the database",
            ours_s,
            base_s,
            ours_s / base_s,
            "<= 3.0",
            ours=f"project.analysis_data() (codings, segments, documents, participants) + {REPORT_SET}",
            baseline=f"store.codings_frame(actor): all {n} codings into a DataFrame",
            repeats=repeats,
        ).judge(),
        Figure(
            "3b report set, compute only (data already loaded)",
            compute_s,
            base_s,
            compute_s / base_s,
            None,
            ours=REPORT_SET + " on a loaded AnalysisData",
            baseline="store.codings_frame(actor)",
            repeats=repeats,
            extra={"analysis_data_s": load_s},
        ),
        Figure(
            "M2 peak memory: report set (fresh process)",
            out["seconds"],
            peak_rss_mb=peak,
            ours="peak RSS of a process that opens the project, loads analysis_data and builds the report set",
        ),
    ]
    return figs


# ------------------------------------------------------------------------------ figure 4
def figure_excel(data: Any, workdir: Path, full: bool) -> list[Figure]:
    from qualcode.export.xlsx import codings_table, export_workbook

    table_df = codings_table(data)
    ours_path, base_path = workdir / "appendix.xlsx", workdir / "codings_pandas.xlsx"

    def baseline() -> None:
        table_df.to_excel(base_path, engine="openpyxl", index=False)

    def ours() -> None:
        export_workbook(data, ours_path)

    repeats = 1 if full else 3
    ours_s, base_s, _, _ = compare(ours, baseline, repeats, warmup=not full)
    log(f"excel: ours {ours_s:.2f}s baseline {base_s:.2f}s")
    return [
        Figure(
            "4 Excel appendix workbook",
            ours_s,
            base_s,
            ours_s / base_s,
            "<= 1.5",
            ours="export.xlsx.export_workbook(data, path) with defaults: all sheets (interviewees, codebook "
            "with quotes, matrices, frequencies, co-occurrence, agreement with 1,000 bootstrap samples, "
            "disagreements, codings, about)",
            baseline=f"codings_table(data).to_excel(path, engine='openpyxl') of the codings table alone "
            f"({len(table_df)} rows × {table_df.shape[1]} columns; building the table not counted)",
            repeats=repeats,
            extra={
                "workbook_mb": round(ours_path.stat().st_size / 2**20, 1),
                "pandas_mb": round(base_path.stat().st_size / 2**20, 1),
            },
        ).judge()
    ]


# ------------------------------------------------------------------------------ children
def child_sync(root: str) -> dict[str, Any]:
    from qualcode.project import Project, SyncReport
    from qualcode.segment import get_nlp

    get_nlp("en")  # loading spaCy is start-up, not import work
    p = Project.open(root)
    t0 = time.perf_counter()
    report = SyncReport()
    report.codebook = p.store.sync_codebook(p.codebook)
    p.import_transcripts(p.interview_files(), report=report)
    t1 = time.perf_counter()
    for sheet in p.spreadsheet_files():  # what sync does after the transcripts
        report.codings_imported[p.relative(sheet)] = len(p.import_codings(sheet))
    t2 = time.perf_counter()
    return {"seconds": t2 - t0, "transcripts_s": t1 - t0, "codings_s": t2 - t1, "summary": report.summary()}


def child_reports(root: str) -> dict[str, Any]:
    from qualcode.project import Project

    p = Project.open(root)
    t0 = time.perf_counter()
    report_set(p.analysis_data())
    return {"seconds": time.perf_counter() - t0}


def main_child(argv: list[str]) -> None:
    kind, args = argv[0], argv[1:]
    if kind == "sync":
        out = child_sync(*args)
    elif kind == "reports":
        out = child_reports(*args)
    elif kind == "writer":
        from concurrency import child_writer

        out = child_writer(*args)
    elif kind == "streamlit-app":
        raise SystemExit("not a child kind")
    else:
        raise SystemExit(f"unknown child '{kind}'")
    print(json.dumps(out))


# ------------------------------------------------------------------------------ main
def machine() -> dict[str, Any]:
    import pandas
    import spacy

    cpu = ""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        import psutil

        mem_gb = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    return {
        "nproc": os.cpu_count(),
        "ram_gb": mem_gb,
        "cpu": cpu,
        "python": platform.python_version(),
        "spacy": spacy.__version__,
        "pandas": pandas.__version__,
        "platform": platform.platform(),
        "date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    }


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--child":
        main_child(argv[1:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: a few minutes on 2 cores")
    ap.add_argument("--out", default=None, help="JSON results (default: print only)")
    ap.add_argument("--workdir", default=None, help="where the synthetic project is written (default /tmp)")
    ap.add_argument("--reuse", action="store_true", help="reuse the project folder if it has the same spec")
    ap.add_argument(
        "--only", default="", help="comma-separated figure groups: import,reliability,reports,excel,browser,concurrency"
    )
    ap.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL concurrency figure")
    args = ap.parse_args(argv)
    full = not args.quick
    spec = FULL if full else QUICK
    workdir = Path(args.workdir or f"/tmp/qualcode-bench/{'full' if full else 'quick'}")
    workdir.mkdir(parents=True, exist_ok=True)
    root = workdir / "project"
    only = {x for x in args.only.split(",") if x}
    wanted: Callable[[str], bool] = lambda g: not only or g in only  # noqa: E731
    started = time.perf_counter()
    meta: dict[str, Any] = {
        "mode": "full" if full else "quick",
        "spec": spec.__dict__,
        "command": "python benchmarks/run.py " + " ".join(argv),
        "machine": machine(),
        "data": "SYNTHETIC (benchmarks/synth.py): random words arranged as interviews",
    }
    log(f"generating the synthetic project ({spec})")
    synthetic, setup = prepare(spec, root, args.reuse)
    meta["setup"] = setup
    meta["sizes"] = {
        "interviews": len(synthetic.documents),
        "words": synthetic.n_words,
        "codings": len(synthetic.codings),
        "codes": len(synthetic.codebook.codes),
        "themes": len(synthetic.codebook.themes),
        "coders": spec.n_coders,
    }
    log(f"sizes: {meta['sizes']}")
    figures: list[Figure] = []

    def save() -> None:
        meta["wall_s"] = round(time.perf_counter() - started, 1)
        if args.out:
            out = Path(args.out)
            out.write_text(json.dumps([f.as_json() for f in figures], indent=2) + "\n", encoding="utf-8")
            out.with_suffix(".meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    db = root / ".qualcode" / "qualcode.db"
    if wanted("import") or not db.exists():
        figures += figure_import(synthetic, root, full)
        save()
    from qualcode.project import Project

    project = Project.open(root)
    if wanted("reliability") or wanted("excel"):
        data = project.analysis_data()
        if wanted("reliability"):
            figures += figure_reliability(data, full)
            save()
        if wanted("excel"):
            figures += figure_excel(data, workdir, full)
            save()
        del data
    if wanted("reports"):
        figures += figure_reports(project, root, full)
        save()
    project.close()
    if wanted("concurrency"):
        from concurrency import figure_concurrency

        figures += figure_concurrency(
            CONCURRENCY, workdir, full, postgres_url=None if args.no_postgres else POSTGRES_URL
        )
        save()
    if wanted("browser"):
        from browser import figure_browser

        figures += figure_browser(root, workdir, full, synthetic.documents[0].name)
        save()
    save()
    print(table(figures))
    missed = [f.name for f in figures if f.met is False]
    print(
        f"\n{len(figures)} figures; targets missed: {', '.join(missed) if missed else 'none'}; "
        f"wall time {meta['wall_s']:.0f}s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
