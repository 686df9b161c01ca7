"""Writing a codebook model as a fresh YAML file (no comments to keep)."""

from __future__ import annotations

from io import StringIO
from typing import Any

from qualcode.model import Code, Codebook, Theme

from .rules import _yaml
from .validate import _plain


def codebook_to_dict(codebook: Codebook) -> dict[str, Any]:
    """The codebook as plain data in the file format (only non-empty optional keys)."""

    def code_dict(code: Code) -> dict[str, Any]:
        out: dict[str, Any] = {"id": code.id, "label": code.label}
        for key in ("description", "include", "exclude"):
            if getattr(code, key):
                out[key] = getattr(code, key)
        if code.examples:
            out["example"] = list(code.examples)
        if code.aliases:
            out["aliases"] = list(code.aliases)
        if code.patterns:
            out["patterns"] = [_plain(p) for p in code.patterns]
        if code.applications is not None:
            out["applications"] = {"count": code.applications, "source": code.applications_source}
        return out

    def theme_dict(theme: Theme) -> dict[str, Any]:
        out: dict[str, Any] = {"id": theme.id, "label": theme.label}
        if theme.description:
            out["description"] = theme.description
        if theme.color:
            out["color"] = theme.color
        if theme.aliases:
            out["aliases"] = list(theme.aliases)
        if theme.scale:
            out["scale"] = theme.scale
        if theme.order:
            out["order"] = list(theme.order)
        children = [theme_dict(codebook.themes[t]) for t in codebook.child_themes(theme.id)]
        if children:
            out["themes"] = children
        codes = [code_dict(c) for c in codebook.codes.values() if c.theme == theme.id]
        if codes:
            out["codes"] = codes
        return out

    result: dict[str, Any] = {}
    if codebook.title:
        result["title"] = codebook.title
    result["themes"] = [theme_dict(codebook.themes[t]) for t in codebook.child_themes(None)]
    top_codes = [code_dict(c) for c in codebook.codes.values() if c.theme is None]
    if top_codes:
        result["codes"] = top_codes
    if codebook.appendix:
        result["appendix"] = codebook.appendix
    if codebook.cross_cutting:
        result["cross_cutting"] = [
            {
                "id": x.id,
                "label": x.label,
                **({"description": x.description} if x.description else {}),
                "codes": list(x.codes),
            }
            for x in codebook.cross_cutting.values()
        ]
    return result


def dump_codebook(codebook: Codebook) -> str:
    """YAML text for a codebook model (a fresh file: no comments to keep)."""
    stream = StringIO()
    _yaml().dump(codebook_to_dict(codebook), stream)
    return stream.getvalue()
