"""How a project is written for a tool (:class:`ExportOptions`, presets in ``TOOL_OPTIONS``)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .offsets import EXPORT_OFFSETS, to_units
from .qdc import ORIGIN


@dataclass(frozen=True)
class ExportOptions:
    """How positions and texts are written: ``offsets`` "codepoints" (the standard) or "utf16"
    (UTF-16 code units, as NVivo counts), ``newline`` "lf" or "crlf" (texts written with CRLF,
    each counted as two, as NVivo's own exports are)."""

    offsets: str = "codepoints"
    newline: str = "lf"
    # other tools' GUIDs to write back: (kind, qualcode id or name) → GUID (RefiProject.guids)
    guids: Mapping[tuple[str, str], str] = field(default_factory=dict, compare=False, hash=False)
    # qualcode's own code fields in a visible [qualcode] Description block instead of a comment
    qualcode_block: bool = False
    # variables of imported sources: document → {variable: value} (kept as document metadata)
    source_variables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, compare=False, hash=False)
    # the framework matrix's team summaries (Project.framework_notes()), written as Notes
    framework_notes: Sequence[Mapping[str, Any]] = field(default_factory=tuple, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.offsets not in EXPORT_OFFSETS:
            raise ValueError(f"offsets must be one of {', '.join(EXPORT_OFFSETS)}, not {self.offsets!r}")
        if self.newline not in ("lf", "crlf"):
            raise ValueError(f"newline must be 'lf' or 'crlf', not {self.newline!r}")

    @property
    def origin(self) -> str:
        # The reader trusts qualcode's origin for the counting (see offsets.prior_for).
        return ORIGIN + (" (positions in UTF-16 code units)" if self.offsets == "utf16" else "")

    def convert(self, text: str) -> tuple[str, Callable[[int], int]]:
        """The text as written and a map from qualcode's code-point positions to written ones."""
        written = text.replace("\n", "\r\n") if self.newline == "crlf" else text
        newlines = [i for i, ch in enumerate(text) if ch == "\n"] if written is not text else []
        units = to_units(written, self.offsets)

        def position(p: int) -> int:
            q = p + bisect.bisect_left(newlines, p) if newlines else p
            return units[q] if units is not None else q

        return written, position


# Presets for ``qualcode export qdpx --for TOOL``: how each tool reads positions (README).
TOOL_OPTIONS = {
    "standard": ExportOptions(),
    "nvivo": ExportOptions("utf16", "crlf"),
    "atlas": ExportOptions(),
    "maxqda": ExportOptions(),
    "qualcoder": ExportOptions(),
    "taguette": ExportOptions(),
}
