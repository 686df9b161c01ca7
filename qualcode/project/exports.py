"""Exports of the whole project (supervisors and admins): the workbook, the appendix, REFI-QDA."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..frames import AnalysisData
from .analysis import AnalysisMixin
from .framework import FrameworkMixin


class ExportMixin(AnalysisMixin, FrameworkMixin):
    def export_xlsx(self, path: Path | str, **options: Any) -> Path:
        """The appendix workbook of the whole project (supervisors and admins)."""
        from ..export.xlsx import export_workbook

        self.require("supervisor", "export the whole project")
        options.setdefault("framework_summaries", self.framework_summaries())
        export_workbook(self.analysis_data(), path, **options)
        return Path(path)

    def xlsx_bytes(self, *, data: AnalysisData | None = None, **options: Any) -> bytes:
        """The workbook of :meth:`export_xlsx` as bytes, e.g. for a download (supervisors and admins).
        ``data``: this project's analysis bundle as the acting user sees it, when already loaded."""
        from ..export.xlsx import workbook_bytes

        self.require("supervisor", "export the whole project")
        options.setdefault("framework_summaries", self.framework_summaries())
        return workbook_bytes(self.analysis_data() if data is None else data, **options)

    def appendix_settings(self) -> Any:
        """The ``appendix:`` settings of codebook.yaml (thesis layout by default)."""
        from ..export.appendix import settings_from

        return settings_from(self.codebook.appendix, str(self.codebook_path))

    def export_appendix(
        self, path: Path | str, *, annotators: Sequence[str] | None = None, findings: bool = True
    ) -> Path:
        """Appendix A (interviewees) and B (codebook) as .docx or .xlsx (supervisors and admins);
        the .docx also holds the Findings section."""
        from ..export.appendix import export_appendix
        from ..findings import findings_blocks

        self.store.require(self.actor, "supervisor", "export the whole project")
        settings = self.appendix_settings()
        from ..reports import pool

        data, _ = pool(self.analysis_data(), self.check_annotators(annotators))
        docx = str(path).lower().endswith(".docx")
        blocks = findings_blocks(data) if findings and docx else None
        grid = self.framework(annotators=annotators).grid if docx else None
        return export_appendix(data, path, settings, findings=blocks, trail=self.consolidation_trail(), framework=grid)

    def export_qdpx(
        self, path: Path | str, *, target: str | None = None, offsets: str | None = None, qualcode_block: bool = False
    ) -> Path:
        """A REFI-QDA project of everything (supervisors and admins), positions counted for
        ``target`` (a tool in refi.TOOL_OPTIONS) or as ``offsets`` ("codepoints", "utf16");
        GUIDs and the name of an imported project are written back."""
        import dataclasses

        from ..refi import TOOL_OPTIONS, export_qdpx

        self.store.require(self.actor, "supervisor", "export the whole project")
        kept = self.store.refi_ids()
        options = TOOL_OPTIONS[target or "standard"]
        options = dataclasses.replace(
            options,
            offsets=offsets or options.offsets,
            guids=kept,
            source_variables=self.store.source_variables(),
            qualcode_block=qualcode_block,
            framework_notes=self.framework_notes(),
        )
        name = kept.get(("project", "name")) or self.root.name
        export_qdpx(self.analysis_data(), path, project_name=name, options=options)
        return Path(path)

    def export_qdc(self, path: Path | str, *, qualcode_block: bool = False) -> Path:
        """The codebook as REFI-QDA (.qdc), with the GUIDs of imported codes written back."""
        from ..refi import export_qdc

        export_qdc(self.codebook, path, self.store.refi_ids(), qualcode_block=qualcode_block)
        return Path(path)
