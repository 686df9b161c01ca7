"""Regenerate irrcac_reference.json: irrCAC's (Gwet's own package) values, standard errors and
intervals on Gwet's four-rater example and on seeded random ratings with missing values.

irrCAC 0.4.4 pins scipy==1.12 and pandas<3 (and gives a wrong AC1 under pandas 3), so it
cannot live in qualcode's environment; run this in a separate one:

    python3 -m venv /tmp/irrvenv && /tmp/irrvenv/bin/pip install irrCAC==0.4.4
    /tmp/irrvenv/bin/python tests/data/irrcac/generate.py

The data sets are generated here and stored with the results, so the test feeds qualcode
exactly what irrCAC saw.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

METHODS = {"fleiss": "fleiss", "ac1": "gwet", "brennan_prediger": "bp", "conger": "conger"}
GWET4 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, None],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def run(data: list[list[int | None]]) -> dict:
    from irrCAC.raw import CAC  # only in the separate environment (see the docstring)

    frame = pd.DataFrame(np.array([[np.nan if v is None else v for v in row] for row in data], dtype=float).T)
    out = {}
    for ours, theirs in METHODS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = getattr(CAC(frame, digits=15), theirs)()["est"]
        out[ours] = {k: est[k] for k in ("coefficient_value", "se", "pa", "pe")}
        out[ours]["confidence_interval"] = list(est["confidence_interval"])
    return out


def main() -> None:
    rng = np.random.default_rng(20261201)
    cases = [{"name": "Gwet 2014 p. 120 (cac.raw4raters)", "data": GWET4, "irrcac": run(GWET4)}]
    while len(cases) < 151:
        coders, units = int(rng.integers(2, 6)), int(rng.integers(4, 25))
        values = rng.integers(1, 4, size=(coders, units)).astype(object)
        values[rng.random((coders, units)) < 0.2] = None
        data = [[None if v is None else int(v) for v in row] for row in values]
        rated = sum(any(row[u] is not None for row in data) for u in range(units))
        pairable = sum(sum(row[u] is not None for row in data) >= 2 for u in range(units))
        if rated < 2 or pairable < 1 or len({v for row in data for v in row if v is not None}) < 2:
            continue
        cases.append({"name": f"random {len(cases)}", "data": data, "irrcac": run(data)})
    from importlib.metadata import version

    meta = {p: version(p) for p in ("irrCAC", "numpy", "pandas", "scipy")}
    path = Path(__file__).with_name("irrcac_reference.json")
    path.write_text(json.dumps({"generated_with": meta, "cases": cases}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
