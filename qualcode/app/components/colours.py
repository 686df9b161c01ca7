"""The one colour rule of the workbench: a code is drawn in its theme's colour (the nearest
``color:`` on the path from the code up to its main theme), the same on the Code page's
highlights, the Codebook tree, the Code browser and the Reports charts."""

from __future__ import annotations

from ...model import Codebook

DEFAULT = "#f2c14e"  # a code whose themes set no colour (the Code page's highlight)
UNKNOWN = "#999999"  # a code no longer in the codebook (kept for its codings)


def code_colour(codebook: Codebook, code_id: str) -> str:
    """The colour the Code page highlights ``code_id`` with."""
    try:
        return codebook.color_of(code_id) or DEFAULT
    except KeyError:
        return UNKNOWN


def theme_colour(codebook: Codebook, theme_id: str) -> str:
    """A theme's colour: its own ``color:``, else the nearest ancestor's (as its codes get it)."""
    if theme_id not in codebook.themes:
        return UNKNOWN
    for tid in reversed(codebook.theme_path(theme_id)):
        if codebook.themes[tid].color:
            return str(codebook.themes[tid].color)
    return DEFAULT


def swatch(colour: str) -> str:
    """An inline coloured square for ``st.markdown(..., unsafe_allow_html=True)``; only a
    ``#rrggbb`` colour gets through (anything else is drawn grey), so no text reaches the HTML."""
    import re

    safe = colour if re.fullmatch(r"#[0-9a-fA-F]{6}", str(colour)) else UNKNOWN
    return (
        f'<span style="display:inline-block;width:.8em;height:.8em;border-radius:2px;'
        f'background:{safe};vertical-align:-.05em;margin-right:.35em"></span>'
    )
