"""Saturation: were there enough interviews?

Two published ways of reading the codes of interviews taken in order:

* **Cumulative codes** (Guest, Bunce & Johnson 2006, *Field Methods* 18(1)): per interview the
  codes it introduced, the running total and the share of all codes reached so far — the curve
  behind "92 % of codes were identified within the first 12 interviews".
* **Base size, run length and new-information threshold** (Guest, Namey & Chen 2020, *PLOS ONE*
  15(5) e0232076): the *base* is the number of unique codes in the first ``base_size`` interviews;
  each *run* of ``run_length`` consecutive interviews after the base is scored by the new codes it
  introduced divided by the base.  Saturation is reached at the last interview before the first
  run whose ratio is at or below the threshold (≤ 5 % or 0 % in the paper); the run itself is the
  confirmation, so the study needed ``saturation_at + run_length`` interviews to show it.  Runs
  advance one interview at a time (``step=1``); ``step=run_length`` gives non-overlapping runs.

Because the order of interviews is arbitrary, :func:`order_distribution` repeats the assessment
over many random orders (seeded), as the paper's own bootstrap does, and reports at which
interview saturation is reached across orders.

The paper's worked example — a base of four interviews holding 37 unique codes, whose first run
of two interviews adds 7 new codes — gives 7/37 = 19 % new information, above the 5 % threshold:

>>> new = [20, 9, 5, 3, 4, 3]          # new codes per interview; the first four make the base of 37
>>> first = assess_saturation(new, base_size=4, run_length=2, threshold=0.05)
>>> first.base_codes, int(first.runs["new_codes"].iloc[0]), round(float(first.runs["ratio"].iloc[0]), 2)
(37, 7, 0.19)
>>> first.reached
False

Everything here is pure: presence matrices and counts in, frames and small records out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .errors import QualcodeError, did_you_mean
from .frames import AnalysisData

BASE_SIZE = 4  # Guest, Namey & Chen (2020): the base size they recommend
RUN_LENGTH = 2  # … and run length
THRESHOLD = 0.05  # ≤ 5 % new information ("0 %" is the stricter option they also report)
ORDER_CHOICES = ("date", "name")  # or any front-matter field of the participants


@dataclass(frozen=True)
class SaturationAssessment:
    """One Guest-Namey-Chen assessment of one order of interviews."""

    base_size: int
    run_length: int
    threshold: float
    step: int
    base_codes: int  # unique codes in the base
    runs: pd.DataFrame  # run_first, run_last (1-based positions), new_codes, ratio, at_or_below
    saturation_at: int | None  # interviews before the first run at or below the threshold
    confirmed_at: int | None  # saturation_at + run_length: the interviews needed to show it
    reason: str = ""  # why no assessment was possible, when none was

    @property
    def reached(self) -> bool:
        return self.saturation_at is not None

    def sentence(self) -> str:
        """The result in one plain sentence, with the parameters it depends on."""
        rule = (
            f"base {self.base_size} interviews, runs of {self.run_length}, "
            f"new-information threshold ≤ {self.threshold:.0%} (Guest, Namey & Chen 2020)"
        )
        if self.reason:
            return f"No saturation assessment: {self.reason} ({rule})."
        if self.saturation_at is None:
            return f"Saturation was not reached: every run added more than {self.threshold:.0%} new codes ({rule})."
        return (
            f"Saturation was reached at interview {self.saturation_at}: interviews "
            f"{self.saturation_at + 1}–{self.confirmed_at} added "
            f"{int(self.runs.loc[self.runs['at_or_below']].iloc[0]['new_codes'])} new code(s) "
            f"against {self.base_codes} in the base ({rule})."
        )


def first_seen(presence: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Per code (column), the position of the first interview (row) that used it; -1 if none did.

    >>> first_seen([[1, 0, 0], [1, 1, 0], [0, 0, 0]]).tolist()
    [0, 1, -1]
    """
    m = np.asarray(presence, dtype=bool)
    if m.ndim != 2:
        raise ValueError("presence must be a 2-D interviews × codes matrix")
    used = m.any(axis=0)
    return np.where(used, m.argmax(axis=0), -1).astype(np.int64)


def new_per_interview(presence: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """New codes each interview (row) introduced, in row order.

    >>> new_per_interview([[1, 1, 0], [1, 0, 1], [0, 1, 1]]).tolist()
    [2, 1, 0]
    """
    m = np.asarray(presence, dtype=bool)
    seen = first_seen(m)
    return np.bincount(seen[seen >= 0], minlength=m.shape[0]).astype(np.int64)


def cumulative_curve(new_codes: Sequence[int] | npt.ArrayLike) -> pd.DataFrame:
    """Guest, Bunce & Johnson (2006): per interview the new codes, the running total and the
    share of all codes reached.

    >>> cumulative_curve([3, 1, 0, 1]).to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'interview': [1, 2, 3, 4], 'new_codes': [3, 1, 0, 1], 'cumulative_codes': [3, 4, 4, 5],
     'share_of_codes': [0.6, 0.8, 0.8, 1.0]}
    """
    new = np.asarray(new_codes, dtype=np.int64)
    total = np.cumsum(new)
    share = total / total[-1] if len(total) and total[-1] else np.zeros(len(new))
    return pd.DataFrame(
        {
            "interview": np.arange(1, len(new) + 1),
            "new_codes": new,
            "cumulative_codes": total,
            "share_of_codes": share,
        }
    )


def _check_parameters(base_size: int, run_length: int, threshold: float, step: int) -> None:
    problems = []
    if base_size < 1:
        problems.append(f"base_size must be at least 1 (got {base_size})")
    if run_length < 1:
        problems.append(f"run_length must be at least 1 (got {run_length})")
    if step < 1:
        problems.append(f"step must be at least 1 (got {step})")
    if not 0 <= threshold < 1:
        problems.append(f"threshold is a share from 0 to below 1, e.g. 0.05 for 5 % (got {threshold})")
    if problems:
        raise QualcodeError("; ".join(problems) + ".", hint="The paper's defaults are base 4, runs of 2, ≤ 5 %.")


def assess_saturation(
    new_codes: Sequence[int] | npt.ArrayLike,
    *,
    base_size: int = BASE_SIZE,
    run_length: int = RUN_LENGTH,
    threshold: float = THRESHOLD,
    step: int = 1,
) -> SaturationAssessment:
    """Guest, Namey & Chen (2020) on new codes per interview (in interview order).

    A project where the codes dry up after six interviews reaches saturation at interview 6;
    one where every interview keeps adding codes does not:

    >>> assess_saturation([5, 4, 3, 2, 1, 1, 0, 0]).saturation_at
    6
    >>> assess_saturation([5, 4, 3, 2, 2, 2, 2, 2]).reached
    False
    >>> assess_saturation([5, 4]).reason
    'it needs at least 6 interviews (base 4 + a run of 2); there are 2'
    """
    _check_parameters(base_size, run_length, threshold, step)
    new = np.asarray(new_codes, dtype=np.int64)
    columns = ["run_first", "run_last", "new_codes", "ratio", "at_or_below"]
    base = int(new[:base_size].sum())
    need = base_size + run_length
    reason = ""
    if len(new) < need:
        reason = f"it needs at least {need} interviews (base {base_size} + a run of {run_length}); there are {len(new)}"
    elif base == 0:
        reason = f"the first {base_size} interviews have no codes, so there is no base to compare with"
    if reason:
        empty = pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
        return SaturationAssessment(base_size, run_length, threshold, step, base, empty, None, None, reason)
    starts = np.arange(base_size, len(new) - run_length + 1, step)
    totals = np.concatenate([[0], np.cumsum(new)])
    window = totals[starts + run_length] - totals[starts]  # new codes per run, vectorised
    ratio = window / base
    ok = ratio <= threshold + 1e-12
    runs = pd.DataFrame(
        {
            "run_first": starts + 1,
            "run_last": starts + run_length,
            "new_codes": window,
            "ratio": ratio,
            "at_or_below": ok,
        }
    )
    hit = int(np.argmax(ok)) if ok.any() else None
    at = int(starts[hit]) if hit is not None else None
    return SaturationAssessment(
        base_size, run_length, threshold, step, base, runs, at, None if at is None else at + run_length
    )


@dataclass(frozen=True)
class OrderDistribution:
    """Where saturation is reached over many random orders of the same interviews."""

    orders: int
    seed: int
    saturation_at: npt.NDArray[np.float64]  # one per order; NaN where not reached
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def share_reached(self) -> float:
        return float(np.mean(~np.isnan(self.saturation_at))) if self.orders else float("nan")

    def summary(self) -> pd.DataFrame:
        """Per interview count: in how many orders saturation was reached there (and cumulatively)."""
        reached = self.saturation_at[~np.isnan(self.saturation_at)].astype(int)
        if not len(reached):
            return pd.DataFrame({"saturation_at": [], "orders": [], "share_of_orders": [], "cumulative_share": []})
        values, counts = np.unique(reached, return_counts=True)
        return pd.DataFrame(
            {
                "saturation_at": values,
                "orders": counts,
                "share_of_orders": counts / self.orders,
                "cumulative_share": np.cumsum(counts) / self.orders,
            }
        )

    def median(self) -> float:
        reached = self.saturation_at[~np.isnan(self.saturation_at)]
        return float(np.median(reached)) if len(reached) else float("nan")


def order_distribution(
    presence: npt.ArrayLike,
    *,
    orders: int = 1000,
    seed: int = 0,
    base_size: int = BASE_SIZE,
    run_length: int = RUN_LENGTH,
    threshold: float = THRESHOLD,
    step: int = 1,
) -> OrderDistribution:
    """The assessment over ``orders`` random orders of the interviews (rows of ``presence``).

    >>> d = order_distribution([[1, 0], [0, 1], [1, 1], [1, 0], [0, 1], [1, 1]], orders=50, seed=1,
    ...                        base_size=2, run_length=2)
    >>> d.share_reached   # every order runs out of new codes before its last run
    1.0
    """
    _check_parameters(base_size, run_length, threshold, step)
    m = np.asarray(presence, dtype=bool)
    rng = np.random.default_rng(seed)
    n = m.shape[0]
    at = np.full(orders, np.nan)
    for i in range(orders):
        result = assess_saturation(
            new_per_interview(m[rng.permutation(n)]),
            base_size=base_size,
            run_length=run_length,
            threshold=threshold,
            step=step,
        )
        if result.saturation_at is not None:
            at[i] = result.saturation_at
    params = {"base_size": base_size, "run_length": run_length, "threshold": threshold, "step": step}
    return OrderDistribution(orders, seed, at, params)


# ------------------------------------------------------------------------------ on a project
def interview_order(data: AnalysisData, order: str = "date") -> pd.DataFrame:
    """The documents with codings' participants in interview order: ``date`` (front matter; then
    name), ``name``, or any participant field.  Columns: document, participant, label, key."""
    docs = data.documents[["document", "participant"]].copy()
    parts = data.participants.set_index("participant")
    docs["label"] = docs["participant"].map(parts["label"]) if "label" in parts else docs["participant"]
    docs["label"] = docs["label"].fillna(docs["participant"])
    described = order
    if order == "date" and ("date" not in parts.columns or parts["date"].isna().all()):
        order, described = "name", "name (no interview has a date in its front matter)"
    if order == "name":
        docs["key"] = docs["document"]
    else:
        if order not in parts.columns:
            fields = sorted(c for c in parts.columns if c not in ("label",))
            raise QualcodeError(
                f"Unknown interview order '{order}'.",
                hint=(did_you_mean(order, ["name", *fields]) or "")
                + f" Use one of: name, {', '.join(fields)} (front-matter fields of the participants).",
            )
        docs["key"] = docs["participant"].map(parts[order]).astype("string")
    # Interviews without the field go last, in name order, rather than being dropped.
    docs = docs.assign(_missing=docs["key"].isna()).sort_values(["_missing", "key", "document"], kind="stable")
    docs = docs.drop(columns="_missing").reset_index(drop=True)
    docs.attrs["order"] = described
    return docs


def presence_matrix(
    data: AnalysisData, documents: Sequence[str], columns: Sequence[str], by: str = "code"
) -> npt.NDArray[np.bool_]:
    """Interviews × codes (or any codings column): did this interview's codings use it."""
    c = data.codings
    row = pd.Index(list(documents)).get_indexer(c["document"])
    col = pd.Index(list(columns)).get_indexer(c[by])
    keep = (row >= 0) & (col >= 0)
    m = np.zeros((len(documents), len(columns)), dtype=bool)
    m[row[keep], col[keep]] = True
    return m


def saturation_table(data: AnalysisData, order: str = "date") -> pd.DataFrame:
    """Per interview in order: the new codes it introduced (ids), how many, the running total,
    the share of all codes reached, and the same for themes (a theme is new with its first code)."""
    interviews = interview_order(data, order)
    docs = interviews["document"].tolist()
    codes = sorted(set(data.codings["code"].astype(str)))
    m = presence_matrix(data, docs, codes)
    seen = first_seen(m)
    curve = cumulative_curve(new_per_interview(m))
    new_ids = [[codes[j] for j in np.flatnonzero(seen == i)] for i in range(len(docs))]
    cb = data.codebook
    theme_of = {code: (cb.themes_of(code) or ("(no theme)",))[0] for code in codes}
    seen_themes: set[str] = set()
    new_themes: list[list[str]] = []
    for ids in new_ids:
        fresh = sorted({theme_of[c] for c in ids} - seen_themes)
        seen_themes.update(fresh)
        new_themes.append(fresh)
    themes_total = max(len(seen_themes), 1)
    out = interviews[["document", "participant", "label"]].copy()
    out.attrs["order"] = interviews.attrs["order"]
    out.insert(0, "interview", curve["interview"])
    out["order_by"] = interviews["key"].astype(str)
    out["new_codes"] = curve["new_codes"]
    out["cumulative_codes"] = curve["cumulative_codes"]
    out["share_of_codes"] = curve["share_of_codes"].round(4)
    out["new_themes"] = [len(t) for t in new_themes]
    out["cumulative_themes"] = np.cumsum(out["new_themes"])
    out["share_of_themes"] = (out["cumulative_themes"] / themes_total).round(4)
    out["new_code_ids"] = [", ".join(ids) for ids in new_ids]
    out["new_theme_ids"] = [", ".join(t) for t in new_themes]
    return out


def theme_saturation(data: AnalysisData, order: str = "date") -> pd.DataFrame:
    """Per main theme and interview: the new codes within that theme (long format)."""
    interviews = interview_order(data, order)
    docs = interviews["document"].tolist()
    cb = data.codebook
    rows: list[dict[str, Any]] = []
    for theme in cb.child_themes(None):
        members = sorted(set(cb.codes_in(theme)) & set(data.codings["code"].astype(str)))
        if not members:
            continue
        new = new_per_interview(presence_matrix(data, docs, members))
        total = np.cumsum(new)
        for i, doc in enumerate(docs):
            rows.append(
                {
                    "theme": cb.themes[theme].label,
                    "interview": i + 1,
                    "document": doc,
                    "new_codes": int(new[i]),
                    "cumulative_codes": int(total[i]),
                    "codes_in_theme": len(members),
                }
            )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class SaturationReport:
    """Everything ``qualcode report saturation`` shows, for one interview order."""

    order: str
    table: pd.DataFrame  # saturation_table
    assessment: SaturationAssessment
    distribution: OrderDistribution | None  # over random orders (None when orders=0)
    by_theme: pd.DataFrame  # theme_saturation
    pooled: str  # whose codings were counted

    def lines(self) -> list[str]:
        """The plain-words summary printed under the table."""
        out = [self.assessment.sentence()]
        d = self.distribution
        if d is not None and d.orders:
            if d.share_reached:
                out.append(
                    f"Over {d.orders} random orders of the same interviews (seed {d.seed}) saturation was reached "
                    f"in {d.share_reached:.0%} of orders, at interview {d.median():g} in the median order."
                )
            else:
                out.append(
                    f"Over {d.orders} random orders of the same interviews (seed {d.seed}) saturation was "
                    "reached in none."
                )
        out.append(f"Interview order: {self.order}. Codings counted: {self.pooled}.")
        return out


def saturation_report(
    data: AnalysisData,
    *,
    pooled: str,
    order: str = "date",
    base_size: int = BASE_SIZE,
    run_length: int = RUN_LENGTH,
    threshold: float = THRESHOLD,
    step: int = 1,
    orders: int = 1000,
    seed: int = 0,
) -> SaturationReport:
    """The saturation report on already-pooled analysis data (see ``reports.pool``)."""
    table = saturation_table(data, order)
    described = str(table.attrs.get("order", order))
    params: dict[str, Any] = {"base_size": base_size, "run_length": run_length, "threshold": threshold, "step": step}
    assessment = assess_saturation(table["new_codes"].to_numpy(), **params)
    distribution = None
    if orders > 0:
        codes = sorted(set(data.codings["code"].astype(str)))
        m = presence_matrix(data, table["document"].tolist(), codes)
        distribution = order_distribution(m, orders=orders, seed=seed, **params)
    table.attrs["unit"] = "Unit: interview (a document); a code is new in the first interview whose codings use it"
    table.attrs["pooled"] = pooled
    return SaturationReport(described, table, assessment, distribution, theme_saturation(data, order), pooled)
