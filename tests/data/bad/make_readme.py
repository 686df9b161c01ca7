"""Write README.md's case tables from the CASES list in tests/test_bad_input.py.

Run after adding a case:  python tests/data/bad/make_readme.py
(tests/test_bad_input.py checks that README.md is exactly what this script writes.)  Importing
this module writes nothing: the suite's ``--doctest-modules`` imports every file under tests/.
"""

from __future__ import annotations

import collections
import importlib.util
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VIA = {
    "codebook check": "`qualcode codebook check FILE`",
    "codebook import": "`qualcode import` with FILE as the project's codebook.yaml",
    "import": "`qualcode import FILE`",
    "sync": "`qualcode import` with FILE in interviews/ (folder sync)",
    "folder": "`qualcode import FOLDER` with FILE next to a good new transcript",
    "sync+good": "`qualcode import` with FILE in interviews/ next to a good new transcript",
    "codings": "`qualcode import --codings FILE`",
    "import+new": "`qualcode import NEW.md GOOD.csv --codings FILE` (a new transcript and a good sheet given with it)",
    "sync+new": "`qualcode import` with FILE in interviews/ next to a new transcript and a good codings sheet",
    "qdpx": "`qualcode import FILE.qdpx` (or a bare `.qde`) into a fresh project",
    "restore": "`qualcode restore FILE` into a fresh project",
}


def _cases_module() -> Any:
    if "test_bad_input" in sys.modules:
        return sys.modules["test_bad_input"]
    spec = importlib.util.spec_from_file_location("test_bad_input", HERE.parents[1] / "test_bad_input.py")
    assert spec is not None and spec.loader is not None
    t = importlib.util.module_from_spec(spec)
    sys.modules["test_bad_input"] = t
    spec.loader.exec_module(t)
    return t


def render() -> str:
    """README.md's text for the current case list."""
    t = _cases_module()
    counts = collections.Counter(c.via for c in t.CASES)
    built = set(t.make_bad.AT_TEST_TIME)
    L: list[str] = []
    L.append("# Bad-input corpus\n")
    L.append("Broken and hostile files for every input path of qualcode. `tests/test_bad_input.py` runs the real")
    L.append("CLI on each against a project that already holds data (two demo interviews, the demo codebook, two")
    L.append("codings; a freshly initialised project for `.qdpx` and restore) and checks: exit status 2, the")
    L.append("error title, the file and its line/row/member in the message, no traceback, and that every table")
    L.append("of the database, `codebook.yaml` and the input file itself are unchanged, that no embedded command")
    L.append("ran and that no `/etc/passwd` text reached the message. Each transcript is its own unit: the")
    L.append("*folder* and *sync+good* cases put a good new transcript next to the bad one, and the good one is")
    L.append("imported (the summary lists the bad one as not imported) while nothing of the bad one is stored.")
    L.append("The *import+new* and *sync+new* cases put a good new transcript and a good codings sheet next to a")
    L.append("bad sheet: nothing of that import may be stored. The in-process run covers every case; a few also")
    L.append("run in a subprocess.\n")
    L.append("Small files are committed here. `make_bad.py` writes the binary ones byte for byte")
    L.append("(`python tests/data/bad/make_bad.py`) and builds the big ones (zip bombs, megabyte lines,")
    L.append("a codebook over the size limit, deep nesting) and the openpyxl workbooks at test time only;")
    L.append("those are marked *built* below. The REFI-QDA payloads come from `tests/data/refi/make_hostile.py`.\n")
    L.append("## Cases per input path\n")
    L.append("| input path | cases |\n|---|---|")
    for via, label in VIA.items():
        L.append(f"| {label} | {counts[via]} |")
    L.append(f"| **total** | **{len(t.CASES)}** |\n")
    L.append("## Cases\n")
    L.append(
        "Location: a substring the error message must contain (the file, and the line/row/member/field where the case has one).\n"
    )
    L.append("| file | input path | what is wrong | expected error | location in the message |")
    L.append("|---|---|---|---|---|")
    for c in t.CASES:
        problem = c.problem.replace("|", "\\|")
        L.append(
            f"| `{c.file}` | {c.via} | {problem}{' (*built*)' if c.file in built else ''} | {c.error} | `{c.where}` |"
        )
    L.append("")
    L.append("Input paths: " + "; ".join(f"*{k}* = {v}" for k, v in VIA.items()) + ".\n")
    L.append("Not refused, by design, and tested separately: a `.qdpx` whose text source points outside the")
    L.append("archive (`internal://../../../../etc/passwd`) is imported without that source, with a warning;")
    L.append("nothing outside the archive is read.")
    L.append("")
    L.append("The tables are written by `make_readme.py` from the case list in `tests/test_bad_input.py`.")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    (HERE / "README.md").write_text(render(), encoding="utf-8")
    _t = _cases_module()
    _counts = collections.Counter(c.via for c in _t.CASES)
    print(f"{len(_t.CASES)} cases: " + ", ".join(f"{k} {v}" for k, v in _counts.items()))
