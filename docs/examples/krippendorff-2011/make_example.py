"""Write this example project's transcript and codings from Krippendorff's published data.

    python docs/examples/krippendorff-2011/make_example.py

The reliability data are example C of Krippendorff, K. (2011), *Computing Krippendorff's
alpha-reliability* (Annenberg School for Communication, Departmental Papers 43), p. 3:
four observers (A-D) assigned values 1-5 to twelve units; a dot is a missing value.
They are copied here unchanged.  The data set has no text, so the "interview" is a
stand-in: one line per unit ("Unit one." ... "Unit twelve."), and an observer's value v
for a unit becomes one coding of the code ``value_v`` on that line, by the annotator
``observer_X``.  Missing values are no coding.  Nothing else is added.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Krippendorff (2011), example C (rows: observers; columns: units 1-12; None: missing).
EXAMPLE_C = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}
NAMES = "one two three four five six seven eight nine ten eleven twelve".split()
FRONT_MATTER = (
    "---\n"
    "participant: C\n"
    "label: Example C\n"
    "source: \"Krippendorff (2011), Computing Krippendorff's alpha-reliability, example C; "
    'stand-in text, one line per unit"\n'
    "---\n"
)


def transcript() -> str:
    """The stand-in transcript: one paragraph per unit."""
    return FRONT_MATTER + "\n\n".join(f"Unit {name}." for name in NAMES) + "\n"


def codings_csv() -> str:
    """One row per value given: the unit's line as the quote, ``value_v``, ``observer_X``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["document", "quote", "code", "annotator"])
    for observer, values in EXAMPLE_C.items():
        for unit, value in enumerate(values):
            if value is not None:
                writer.writerow(["example_c", f"Unit {NAMES[unit]}.", f"value_{value}", f"observer_{observer}"])
    return out.getvalue()


def main() -> None:
    (HERE / "interviews").mkdir(exist_ok=True)
    (HERE / "interviews" / "example_c.md").write_text(transcript(), encoding="utf-8")
    (HERE / "interviews" / "codings.csv").write_text(codings_csv(), encoding="utf-8")


if __name__ == "__main__":
    main()
