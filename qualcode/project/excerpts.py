"""Retrieval of coded segments (Code browser, Codebook counts, ``qualcode export excerpts``) and
in-place edits of a codebook node's fields (Codebook page).

:class:`ExcerptsMixin` is one of :class:`~qualcode.project.Project`'s bases.  Reads go through
:meth:`Project.analysis_data` (what the current user may see: blind mode applies); the frames
come from :mod:`qualcode.retrieval`, the documents from :mod:`qualcode.export.excerpts`.  Field
edits go through ``Project._edit_codebook``, so the file and the database change together and
one *Undo* reverts the whole edit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import CodebookError, Problem

if TYPE_CHECKING:
    from ..export.excerpts import ExcerptsHeader
    from ..frames import AnalysisData
    from ..model import Codebook


class ExcerptsMixin:
    if TYPE_CHECKING:  # provided by Project

        @property
        def codebook(self) -> Codebook: ...

        def analysis_data(self, annotators: Sequence[str] | None = None) -> AnalysisData: ...

        def _edit_codebook(
            self,
            operation: Callable[[Any], dict[str, Any]],
            db_step: Callable[[Any, dict[str, Any]], object] | None = None,
        ) -> dict[str, Any]: ...

    # ------------------------------------------------------------------ retrieval
    def excerpts(
        self,
        node: str | None = None,
        *,
        data: AnalysisData | None = None,
        participants: Sequence[str] | None = None,
        annotators: Sequence[str] | None = None,
        attribute: str | None = None,
        values: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Every coding of a code, theme or cross-cutting theme (None: all) that this user may
        see, as :func:`qualcode.retrieval.excerpts` describes (``data``: a bundle already built)."""
        from .. import retrieval

        data = data if data is not None else self.analysis_data()
        if node is not None:
            node = retrieval.resolve_node(data.codebook, node)
        return retrieval.excerpts(
            data, node, participants=participants, annotators=annotators, attribute=attribute, values=values
        )

    def node_counts(self, *, data: AnalysisData | None = None) -> pd.DataFrame:
        """Codings, excerpts and participants per code and theme (:func:`qualcode.retrieval.node_counts`)."""
        from .. import retrieval

        return retrieval.node_counts(data if data is not None else self.analysis_data())

    def excerpts_header(self, node: str | None, *, filters: str = "") -> ExcerptsHeader:
        from .. import retrieval
        from ..export.excerpts import ExcerptsHeader

        codebook = self.codebook
        if node is None:
            return ExcerptsHeader("All codes", "all", codebook.title, filters)
        node = retrieval.resolve_node(codebook, node)
        kind = retrieval.node_kind(codebook, node)
        return ExcerptsHeader(retrieval.node_path(codebook, node), kind, codebook.title, filters)

    def excerpts_bytes(
        self, node: str | None, fmt: str, *, data: AnalysisData | None = None, filters: str = "", **options: Any
    ) -> bytes:
        """A node's excerpts as a .md or .docx document (``options``: the filters of :meth:`excerpts`)."""
        from ..export.excerpts import check_format, excerpts_bytes

        check_format(fmt)
        frame = self.excerpts(node, data=data, **options)
        return excerpts_bytes(frame, self.excerpts_header(node, filters=filters), fmt)

    def export_excerpts(self, path: Path | str, node: str | None, fmt: str | None = None, **options: Any) -> Path:
        """Write a node's excerpts to ``path`` (format from ``fmt`` or the file's suffix)."""
        from ..export.excerpts import write_excerpts

        frame = self.excerpts(node, **options)
        return write_excerpts(frame, self.excerpts_header(node), path, fmt)

    # ------------------------------------------------------------------ editing one node in place
    def edit_codebook_node(self, node_id: str, *, label: str | None = None, **fields: Any) -> dict[str, Any]:
        """Change a node's label (the old label is kept as an alias) and its descriptive fields
        (code: description, include, exclude, examples; theme: description, color; cross-cutting:
        description) as ONE codebook edit: one audit step, one *Undo*.  Unchanged values are
        left alone; nothing changed is refused."""
        codebook = self.codebook
        if node_id in codebook.codes:
            node: Any = codebook.codes[node_id]
        elif node_id in codebook.themes:
            node = codebook.themes[node_id]
        elif node_id in codebook.cross_cutting:
            node = codebook.cross_cutting[node_id]
        else:
            from .. import retrieval

            retrieval.node_kind(codebook, node_id)  # the located "not in the codebook" error
            raise AssertionError("unreachable")  # pragma: no cover
        new_label = label.strip() if isinstance(label, str) and label.strip() != node.label else None
        changed: dict[str, Any] = {}
        for name, value in fields.items():
            current = getattr(node, name, None)
            if name == "examples":
                value = [e.strip() for e in (value or []) if str(e).strip()]
                current = list(current or ())
            elif isinstance(value, str):
                value = value.strip()
                current = current or ""
            if value != current and not (value in ("", None, []) and current in ("", None, [], ())):
                changed[name] = value
        if new_label is None and not changed:
            raise CodebookError(
                Problem(f"Nothing to change on '{node.label}': every field is as it was.", field=node_id)
            )

        def operation(handle: Any) -> dict[str, Any]:
            before: dict[str, Any] = {"id": node_id}
            after: dict[str, Any] = {"id": node_id}
            if new_label is not None:
                renamed = handle.rename(node_id, new_label=new_label)
                before["label"], after["label"] = renamed["before"]["label"], renamed["after"]["label"]
            if changed:
                updated = handle.update(node_id, **changed)
                before.update(updated["before"])
                after.update(updated["after"])
            return {"action": "update", "id": node_id, "before": before, "after": after}

        return self._edit_codebook(operation)
