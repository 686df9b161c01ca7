"""The Excel appendix workbook (thesis Appendix A and B, matrices, agreement, codings).

One call writes every table a supervisor or examiner asks for::

    from qualcode.export.xlsx import export_workbook
    export_workbook(project.analysis_data(), "appendix.xlsx", annotators=["consensus"])

Sheets: Interviewees (Appendix A), Codebook (Appendix B: Theme | Sub-theme | Code |
Example of a code | Number of codings | Experts, theme cells merged), Expert × theme
(excerpt counts with a colour scale), Expert × theme (0-1), Code frequencies,
Co-occurrence, Inter-coder agreement, Disagreements, Saturation, Framework matrix
(participants × main themes: codes, short quotes, the team's summaries), Codings (one
tidy row per coding) and About (what every sheet counts).

Every sheet has a bold filled header row that stays frozen, an autofilter, column widths
fitted to the content, landscape print setup fitted to the page width with the header
repeated on each page, and a comment on cell A1 stating the unit and method.

Safety: text is always stored as text.  openpyxl would store a string starting with "="
as a formula, so such cells are written with ``data_type = "s"``; text starting with
= + - @ also gets Excel's quote prefix, so editing the cell in Excel does not turn it into
a formula either.  Control characters XML cannot hold are removed and text longer than
an Excel cell holds (32,767 characters) is cut with "…".

Speed: the workbook is written in openpyxl's write-only (streaming) mode.  Plain values
go out as they are; only header cells, wrapped cells of the small sheets and
formula-looking text get cell objects, all sharing a few named styles.

The package: :mod:`.workbook` (the entry points), :mod:`.sheets` (one builder per sheet; the
Memos sheet in :mod:`.memos`), :mod:`.writing` (one sheet: styles, widths, print setup, merged
runs), :mod:`.stream` (big tables streamed as XML) and :mod:`.text` (text as Excel must get it).
"""

from __future__ import annotations

from .memos import MEMO_KIND_ORDER as MEMO_KIND_ORDER
from .memos import memos_table
from .sheets import CODINGS_COLUMNS, SHEETS, codings_table
from .stream import BULK_CHUNK as BULK_CHUNK
from .text import EXCEL_CELL_MAX as EXCEL_CELL_MAX
from .text import RISKY_PREFIXES as RISKY_PREFIXES
from .workbook import export_workbook, workbook_bytes

__all__ = ["export_workbook", "workbook_bytes", "codings_table", "memos_table", "CODINGS_COLUMNS", "SHEETS"]
