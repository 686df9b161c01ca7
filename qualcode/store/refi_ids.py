"""What other tools called the items imported from REFI-QDA (table ``refi_ids``, migration 7)."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from .. import schema as s
from .core import Actor, StoreCore


class RefiIdsRoom(StoreCore):
    def refi_ids(self) -> dict[tuple[str, str], str]:
        """``(kind, qualcode id or name) → value``: other tools' GUIDs (kinds code, theme, set,
        user, source, case, variable) and the imported project's name (``("project", "name")``)."""
        with self.read() as conn:
            rows = conn.execute(sa.select(s.refi_ids.c.kind, s.refi_ids.c.item, s.refi_ids.c.value)).all()
        return {(kind, item): value for kind, item, value in rows}

    def source_variables(self) -> dict[str, dict[str, object]]:
        """Per document, the metadata that were variables of an imported REFI-QDA source."""
        known = {item for kind, item in self.refi_ids() if kind == "variable"}
        if not known:
            return {}
        with self.read() as conn:
            rows = conn.execute(sa.select(s.documents.c.name, s.documents.c.metadata)).all()
        result: dict[str, dict[str, object]] = {}
        for name, metadata in rows:
            found = {k: v for k, v in (metadata or {}).items() if k in known}
            if found:
                result[name] = found
        return result

    def remember_refi_ids(self, actor: Actor, ids: Mapping[tuple[str, str], str]) -> None:
        """Store (replace) what an imported REFI-QDA file called its items; supervisors and admins."""
        self.require(actor, "supervisor", "record REFI-QDA GUIDs")
        if not ids:
            return
        with self.write() as conn:
            for (kind, item), value in ids.items():
                key = (s.refi_ids.c.kind == kind) & (s.refi_ids.c.item == item)
                conn.execute(s.refi_ids.delete().where(key))
                conn.execute(s.refi_ids.insert().values(kind=kind, item=item, value=value[:300]))


__all__ = ["RefiIdsRoom"]
