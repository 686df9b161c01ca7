"""Render a results JSON (and its ``.meta.json``) as the Markdown used in benchmarks/RESULTS.md.

python benchmarks/report.py benchmarks/results.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Figure, table  # noqa: E402


def render(results: Path) -> str:
    figures = [
        Figure(**{k: v for k, v in r.items() if k in Figure.__dataclass_fields__})
        for r in json.loads(results.read_text(encoding="utf-8"))
    ]
    meta_path = results.with_suffix(".meta.json")
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    m = meta.get("machine", {})
    sizes = meta.get("sizes", {})
    lines = []
    if meta:
        lines += [
            f"- **Command:** `{meta.get('command', '?')}` ({meta.get('mode', '?')} mode), "
            f"wall time {meta.get('wall_s', 0) / 60:.1f} min",
            f"- **Date (UTC):** {m.get('date_utc', '?')}",
            f"- **Machine:** {m.get('nproc', '?')} cores ({m.get('cpu', '?')}), {m.get('ram_gb', '?')} GB RAM, "
            f"{m.get('platform', '?')}",
            f"- **Versions:** Python {m.get('python', '?')}, spaCy {m.get('spacy', '?')}, pandas {m.get('pandas', '?')}",
            f"- **Data:** {meta.get('data', '')}; {sizes.get('interviews', '?')} interviews, "
            f"{sizes.get('words', 0):,} words, {sizes.get('codings', 0):,} codings by {sizes.get('coders', '?')} "
            f"coders, {sizes.get('codes', '?')} codes in {sizes.get('themes', '?')} themes and sub-themes",
            "",
        ]
    lines.append(table(figures))
    lines.append("")
    lines.append("What each figure measures:")
    lines.append("")
    for f in figures:
        parts = [f"ours = {f.ours}" if f.ours else "", f"baseline = {f.baseline}" if f.baseline else ""]
        extra = {k: v for k, v in f.extra.items() if not isinstance(v, (dict, list))}
        if extra:
            parts.append("; ".join(f"{k} = {_short(v)}" for k, v in extra.items()))
        lines.append(f"- **{f.name}** (best of {f.repeats}): " + "; ".join(p for p in parts if p))
    return "\n".join(lines) + "\n"


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


if __name__ == "__main__":
    print(render(Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results.json")))
