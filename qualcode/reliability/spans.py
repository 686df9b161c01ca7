"""``unit="span"``: Krippendorff's unitizing alpha on the coded spans themselves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..frames import AnalysisData
from .frame import BY, _check_choice, _Frame, _frame, _select_annotators, _theme_order


def span_agreement(
    data: AnalysisData,
    annotators: Sequence[str] | None = None,
    by: str = "theme",
    documents: Sequence[str] | None = None,
    scope: str = "common",
    bootstrap: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Krippendorff's unitizing alpha family on the coded spans (:mod:`qualcode.unitized`).

    Each document is a continuum of characters; documents are concatenated.  ``by="theme"``
    (or "both"): one row per theme, its own codes forming one semantic domain of mutually
    exclusive values — ``alpha`` is uα, ``binary_alpha`` |uα (agreement on what is coded at
    all), ``cu_alpha`` cuα (agreement on the codes where the spans coincide); the row "All
    themes" gives Cuα over the themes.  ``by="code"`` (or "both"): one row per code, the
    code against uncoded text (|uα = uα).  ``codes_exclusive`` lists the codes treated as
    mutually exclusive; ``conflicts`` counts places where one coder applied two codes of
    one theme to the same characters (resolved as :mod:`qualcode.unitized` says, and
    warned about in ``note``).  The interval resamples documents (bootstrap).
    """
    from .. import unitized as un

    _check_choice(by, BY, "by")
    coders = _select_annotators(data, annotators)
    frame = _frame(data, coders, documents, scope)
    rows = []
    theme_results = []
    for level, ident, label, codes in _domains(data, frame, by):
        per_doc = _domain_parts(frame, coders, codes)
        total = per_doc[0]
        for part in per_doc[1:]:
            total = total + part
        res = un.alpha_from_parts(total)
        interval = un.unitized_bootstrap(per_doc, n_boot=bootstrap, seed=seed) if bootstrap else {}
        low, high = interval.get("alpha", (np.nan, np.nan))
        if level == "theme":
            theme_results.append(res)
        note = _domain_note(res, len(frame.documents), bootstrap)
        coded = float(total.ell[1:, :].sum())
        rows.append(
            {
                "level": level,
                "id": ident,
                "label": label,
                "unit": "span",
                "n_units": int(total.length),
                "n_coders": len(coders),
                "n_coded_units": int(round(coded * (len(coders) - 1) / max(len(coders), 1))),
                "percent_agreement": np.nan,
                "kappa": np.nan,
                "kappa_kind": "",
                "alpha": res.alpha,
                "alpha_low": low,
                "alpha_high": high,
                "binary_alpha": res.binary,
                "cu_alpha": res.cu if level == "theme" else np.nan,
                "codes_exclusive": ", ".join(codes) if level == "theme" else "",
                "conflicts": len(res.conflicts),
                "note": note,
            }
        )
    if theme_results:
        rows.append(_all_themes_row(frame, len(coders), theme_results))
    df = pd.DataFrame(rows)
    df.attrs.update(_span_attrs(frame, coders, rows, bootstrap, seed))
    return df


def _domains(data: AnalysisData, frame: _Frame, by: str) -> list[tuple[str, str, str, list[str]]]:
    """The semantic domains compared, as (level, id, label, codes): each theme with its own
    codes, and/or each code alone."""
    cb = data.codebook
    domains: list[tuple[str, str, str, list[str]]] = []
    if by in ("theme", "both"):
        for t in _theme_order(data):
            codes = [c for c in frame.code_ids if c in cb.codes and cb.codes[c].theme == t]
            if codes:
                domains.append(("theme", t, cb.themes[t].label if t in cb.themes else t, codes))
    if by in ("code", "both"):
        for c in frame.code_ids:
            domains.append(("code", c, cb.codes[c].label if c in cb.codes else c, [c]))
    return domains


def _domain_parts(frame: _Frame, coders: list[str], codes: list[str]) -> list[Any]:
    """The unitizing parts of one domain, one per document (each its own continuum)."""
    from .. import unitized as un

    code_pos = {c: i for i, c in enumerate(frame.code_ids)}
    wanted = np.isin(frame.code, [code_pos[c] for c in codes])
    per_doc = []
    for d in range(len(frame.documents)):
        sel = wanted & (frame.doc == d)
        spans = [
            (coders[int(k)], int(a), int(b), frame.code_ids[int(v)])
            for k, a, b, v in zip(frame.coder[sel], frame.start[sel], frame.end[sel], frame.code[sel])
            if b > a
        ]
        per_doc.append(un.unitized_parts(spans, 0, int(max(frame.doc_length[d], 1)), coders=coders, values=codes))
    return per_doc


def _domain_note(res: Any, n_documents: int, bootstrap: int) -> str:
    """A domain's note: why alpha is missing, overlapping codes of one coder, no interval."""
    note = res.reason or ""
    if res.conflicts:
        where = "; ".join(f"{c.coder} {c.start}-{c.end}: {c.kept} and {c.dropped}" for c in res.conflicts[:3]) + (
            "; …" if len(res.conflicts) > 3 else ""
        )
        note = "; ".join(
            x
            for x in (
                note,
                f"warning: {len(res.conflicts)} place(s) where one coder applied two codes of this theme to "
                f"the same text ({where}); cuα treats the codes as mutually exclusive",
            )
            if x
        )
    if n_documents < 2 and bootstrap:
        note = "; ".join(x for x in (note, "no interval: it resamples documents and there is one") if x)
    return note


def _all_themes_row(frame: _Frame, n_coders: int, theme_results: list[Any]) -> dict[str, Any]:
    """The row "All themes": Cuα pooled over the themes."""
    from .. import unitized as un

    return {
        "level": "all",
        "id": "*",
        "label": "All themes (Cuα)",
        "unit": "span",
        "n_units": int(frame.doc_length.sum()),
        "n_coders": n_coders,
        "n_coded_units": 0,
        "percent_agreement": np.nan,
        "kappa": np.nan,
        "kappa_kind": "",
        "alpha": np.nan,
        "alpha_low": np.nan,
        "alpha_high": np.nan,
        "binary_alpha": np.nan,
        "cu_alpha": un.cu_over_domains(theme_results),
        "codes_exclusive": "",
        "conflicts": sum(len(r.conflicts) for r in theme_results),
        "note": "Cuα: coding given unitizing pooled over the themes (1 − ΣD_o/ΣD_e of their cuα)",
    }


def _span_attrs(
    frame: _Frame, coders: list[str], rows: list[dict[str, Any]], bootstrap: int, seed: int
) -> dict[str, Any]:
    """The report's attrs: what was compared and how."""
    from .. import unitized as un

    exclusive = "; ".join(f"{r['label']}: {r['codes_exclusive']}" for r in rows if r["codes_exclusive"])
    return {
        "unit": "span",
        "uncoded": "uncoded text is the gap value ∅: agreeing to leave text uncoded is agreement",
        "n_units": int(frame.doc_length.sum()),
        "n_documents": len(frame.documents),
        "annotators": list(coders),
        "documents": list(frame.documents),
        "documents_skipped": dict(frame.skipped),
        "scope": frame.scope_text(),
        "method": un.describe_unitized(frame.code_ids)
        + (
            f"; 95% interval from {bootstrap} bootstrap samples of the documents (percentile, seed {seed})"
            if bootstrap
            else "; no interval (bootstrap 0)"
        ),
        "exclusive": exclusive or "no theme has codes",
        "bootstrap": int(bootstrap),
        "seed": int(seed),
    }
