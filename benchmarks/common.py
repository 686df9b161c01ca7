"""Timing, memory and figure helpers shared by the benchmark scripts."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass
class Figure:
    """One row of the results table.  ``ratio`` is ours / baseline unless ``note`` says otherwise."""

    name: str
    ours_s: float | None = None
    baseline_s: float | None = None
    ratio: float | None = None
    target: str | None = None  # e.g. "<= 2.0"; None for a reported figure without target
    met: bool | None = None
    peak_rss_mb: float | None = None
    ours: str = ""  # what "ours" measures
    baseline: str = ""  # what the baseline measures
    repeats: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def judge(self) -> Figure:
        if self.target and self.ratio is not None and not math.isnan(self.ratio):
            op, value = self.target.split()
            self.met = bool(self.ratio <= float(value)) if op == "<=" else bool(self.ratio >= float(value))
        return self

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        for k in ("ours_s", "baseline_s", "ratio", "peak_rss_mb"):
            if isinstance(out[k], float):
                out[k] = round(out[k], 6 if k != "peak_rss_mb" else 1)
        return out


def best_of(fn: Callable[[], Any], repeats: int, warmup: Callable[[], Any] | None | bool = True) -> tuple[float, Any]:
    """Best wall time of ``repeats`` calls (perf_counter) after one untimed warm-up call.

    ``warmup`` may be a cheaper callable (e.g. the same work on a few files) for figures too
    slow to run twice, or False for none.
    """
    if warmup is True:
        fn()
    elif callable(warmup):
        warmup()
    best, result = math.inf, None
    for _ in range(max(repeats, 1)):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def compare(
    ours: Callable[[], Any], baseline: Callable[[], Any], repeats: int, warmup: bool = True
) -> tuple[float, float, Any, Any]:
    """Best-of times of ``ours`` and ``baseline``, run alternately (A B A B …) so that load from
    other processes on the machine hits both alike.  Returns (ours_s, baseline_s, results)."""
    if warmup:
        baseline()
        ours()
    best_o = best_b = math.inf
    res_o = res_b = None
    for _ in range(max(repeats, 1)):
        t0 = time.perf_counter()
        res_b = baseline()
        best_b = min(best_b, time.perf_counter() - t0)
        t0 = time.perf_counter()
        res_o = ours()
        best_o = min(best_o, time.perf_counter() - t0)
    return best_o, best_b, res_o, res_b


def tree_rss(pid: int) -> int:
    """RSS in bytes of a process and all its children."""
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc] + proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


class PeakSampler:
    """Samples the RSS of a process tree in a thread; ``peak_mb`` after ``stop()``."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._stop.wait(self.interval)

    def start(self) -> PeakSampler:
        self._thread.start()
        return self

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**20

    @property
    def peak_mb(self) -> float:
        return self.peak / 2**20


def run_child(
    args: Sequence[str], env: dict[str, str] | None = None, timeout: float | None = None
) -> tuple[dict[str, Any], float]:
    """Run ``python benchmarks/run.py --child ...``; returns (its JSON output, peak tree RSS MB)."""
    proc = subprocess.Popen(
        [PYTHON, str(ROOT / "benchmarks" / "run.py"), "--child", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    sampler = PeakSampler(proc.pid).start()
    out, err = proc.communicate(timeout=timeout)
    peak = sampler.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed ({proc.returncode}):\n{err[-4000:]}")
    return json.loads(out.strip().splitlines()[-1]), peak


def fmt(x: float | None, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}"


def table(figures: Sequence[Figure]) -> str:
    """A Markdown table of the figures."""
    rows = [
        "| figure | ours (s) | baseline (s) | ratio | target | met | peak RSS (MB) |",
        "|---|---:|---:|---:|---|---|---:|",
    ]
    for f in figures:
        met = "–" if f.met is None else ("yes" if f.met else "**no**")
        rows.append(
            f"| {f.name} | {fmt(f.ours_s)} | {fmt(f.baseline_s)} | {fmt(f.ratio, 3)} | "
            f"{f.target or '–'} | {met} | {fmt(f.peak_rss_mb, 0)} |"
        )
    return "\n".join(rows)
