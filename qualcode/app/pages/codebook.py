"""Codebook page: the codebook as a collapsible tree (themes › sub-themes › codes) with the number
of codings, excerpts and participants of every node; click a node to open its card right below
it: definition, a few excerpts, and for supervisors the edit form in place (label, description,
include/exclude, examples; a theme's colour), move, merge and delete.  The list-based forms
(add, rename, move, merge, delete) stay below the tree, under *More changes*.

Every change goes through a :class:`~qualcode.project.Project` method, which edits
``codebook.yaml`` (comments and order kept) and the database together; a card's edit is ONE
change (:meth:`Project.edit_codebook_node`), so *Undo* reverts it whole.

Concurrent supervisors: every form widget has a stable key and holds ids (labels are only
shown); a submitted form acts on the codebook *version the form was drawn from*
(:data:`FORM_SHA_KEY`, via :meth:`~qualcode.project.Project.as_of`), so when another
supervisor changed ``codebook.yaml`` in between, the edit is refused with "codebook.yaml
changed since you loaded it" instead of landing on whatever code now sits at that position.
An id that is no longer in the codebook is refused too.

Stable keys: selected node ``qc_cb_selected``; a tree row's button ``qc_cb_node_<id>``; a
theme's expander ``qc_cb_open_<id>``; a card ``qc_cb_card_<id>``, its edit form
``qc_cb_edit_<id>`` (fields ``qc_cb_edit_<field>_<id>``); filter ``qc_cb_filter``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from ... import retrieval
from ...errors import ConflictError
from ...model import UNCATEGORISED, Code, Codebook, CrossCut, Theme
from ...project import Project
from .. import state
from ..components import colours, tables

if TYPE_CHECKING:
    from ...project import Project

FORM_SHA_KEY = "qc_cb_form_sha"  # the codebook.yaml version the edit forms were last drawn from
SELECTED_KEY = "qc_cb_selected"  # the node whose card is open
# The two expanders below the tree run their contents only while open (a visit draws the tree,
# not five forms and a table nobody opened): their open state is kept under these keys.
MORE_KEY = "qc_cb_more"
TABLE_KEY = "qc_cb_table_open"
EXCERPTS_SHOWN = 3
COUNT_COLUMNS = ("codings", "excerpts", "participants")
COUNT_WIDTH = 96  # px: a count cell of a tree row (fixed, so that the rows' counts line up)
# A tree is read as lines: tighter rows than Streamlit's default gaps (only inside the tree).
TREE_CSS = """<style>
.st-key-qc_cb_tree [data-testid=stHorizontalBlock] { gap: .5rem; }
.st-key-qc_cb_tree [data-testid=stVerticalBlock] { gap: .35rem; }
.st-key-qc_cb_tree [data-testid=stHorizontalBlock] [data-testid=stMarkdownContainer] p { margin-bottom: 0; }
.st-key-qc_cb_tree [data-testid=stBaseButton-tertiary] { min-height: 1.6rem; padding: 0; text-align: left; justify-content: flex-start; }
</style>"""


def codebook_frame(codebook: Codebook) -> pd.DataFrame:
    """One row per code with its definition, human column names (the codebook as a table)."""
    rows = []
    for code in codebook.codes.values():
        rows.append(
            {
                "Code": code.label,
                "Theme": retrieval.node_path(codebook, code.theme) if code.theme else "",
                "Description": code.description,
                "Include when": code.include,
                "Exclude when": code.exclude,
                "Examples": "\n".join(code.examples),
                "Cross-cutting themes": ", ".join(
                    codebook.cross_cutting[x].label for x in codebook.cross_cutting_of(code.id)
                ),
                "Code id": code.id,
            }
        )
    columns = ["Code", "Theme", "Description", "Include when", "Exclude when", "Examples", "Cross-cutting themes"]
    return pd.DataFrame(rows, columns=columns + ["Code id"])


@st.cache_resource(max_entries=16, show_spinner=False)
def _counts(_project: Project, url: str, actor: Any, version: int, codebook_sha: str) -> pd.DataFrame:
    return _project.node_counts(data=state.cached_analysis(_project, version))


def node_counts(project: Project, version: int | None = None) -> pd.DataFrame:
    """Codings, excerpts and participants per node, cached per data and codebook version
    (``version``: the data version the caller just read; None reads it)."""
    version = project.data_version() if version is None else version
    return _counts(project, project.database_url, project.actor, version, project.codebook_version)


def _matches(codebook: Codebook, node: Theme | Code | CrossCut, query: str) -> bool:
    q = query.casefold()
    texts = [node.id, node.label, node.description]
    if isinstance(node, Code):
        texts += [node.include, node.exclude, *node.examples, *node.aliases]
    return any(q in str(t).casefold() for t in texts)


def _visible(codebook: Codebook, query: str) -> set[str] | None:
    """Nodes shown for a filter (matching codes, their themes; a matching theme's whole subtree)."""
    if not query:
        return None
    keep: set[str] = set()
    for code in codebook.codes.values():
        if _matches(codebook, code, query):
            keep.add(code.id)
            keep.update(codebook.theme_path(code.theme))
    for theme in codebook.themes.values():
        if _matches(codebook, theme, query):
            keep.update(codebook.theme_path(theme.id))
            keep.update(codebook.codes_in(theme.id))
            for t in codebook.themes:
                if theme.id in codebook.theme_path(t):
                    keep.add(t)
    return keep


def _count_cells(counts: pd.DataFrame, node: str) -> None:
    """The three counts of a tree row (in the row container the caller opened)."""
    for name in COUNT_COLUMNS:
        value = int(counts.at[node, name]) if node in counts.index else 0
        st.markdown(f"<div style='text-align:right'>{value}</div>", unsafe_allow_html=True, width=COUNT_WIDTH)


def _tree_row(wrap: bool = False) -> Any:
    """A tree row: one row container, not st.columns (a row of columns was fourteen blocks, each
    drawn again by the browser on every run); the counts have fixed widths, so they line up.
    ``wrap``: what does not fit goes onto a line below (a theme's long description)."""
    return st.container(horizontal=True, vertical_alignment="center", gap="small", wrap=wrap)


def _contains(codebook: Codebook, theme_id: str, node: str | None) -> bool:
    """Whether ``node`` (a code or theme) lies in ``theme_id``'s subtree (or is it)."""
    if node is None:
        return False
    if node in codebook.codes:
        return theme_id in codebook.theme_path(codebook.codes[node].theme)
    return node in codebook.themes and theme_id in codebook.theme_path(node)


def _select(node: str, codebook: Codebook | None = None) -> None:
    """Open (or close again) a node's card; the themes above it open too."""
    chosen = None if st.session_state.get(SELECTED_KEY) == node else node
    st.session_state[SELECTED_KEY] = chosen
    if chosen is not None and codebook is not None:
        for theme in codebook.themes:
            if _contains(codebook, theme, chosen):
                st.session_state[f"qc_cb_open_{theme}"] = True


def _row(codebook: Codebook, counts: pd.DataFrame, node: Theme | Code | CrossCut, ctx: dict[str, Any]) -> None:
    """One tree row (a code or cross-cutting theme: a button; its counts), and its card when open."""
    selected = st.session_state.get(SELECTED_KEY) == node.id
    with _tree_row():
        if isinstance(node, Code):  # a checked #rrggbb only reaches the HTML
            st.markdown(colours.swatch(colours.code_colour(codebook, node.id)), unsafe_allow_html=True, width="content")
        else:
            st.markdown("◆", width="content")
        st.button(
            node.label,
            key=f"qc_cb_node_{node.id}",
            type="tertiary",
            icon=":material/expand_less:" if selected else None,
            on_click=_select,
            args=(node.id, codebook),
        )
        st.space("stretch")
        _count_cells(counts, node.id)
    if selected:
        _card(codebook, counts, node, ctx)


def _header_row(title: str = "") -> None:
    with _tree_row():
        st.caption(title, width="content")
        st.space("stretch")
        for name in ("Codings", "Excerpts", "Participants"):
            st.markdown(
                f"<div style='text-align:right;font-size:.8rem;opacity:.7'>{name}</div>",
                unsafe_allow_html=True,
                width=COUNT_WIDTH,
            )


def _theme_label(codebook: Codebook, counts: pd.DataFrame, theme: Theme) -> str:
    n_codes = len(codebook.codes_in(theme.id))
    c = counts.loc[theme.id] if theme.id in counts.index else None
    numbers = (
        " · ".join(f"{int(c[name])} {_plural(int(c[name]), name)}" for name in COUNT_COLUMNS)
        if c is not None and int(c["codings"])
        else "not coded yet"
    )
    return f"**{state.escape_md(theme.label)}** — {n_codes} code{'s' if n_codes != 1 else ''} · {numbers}"


def _theme(codebook: Codebook, counts: pd.DataFrame, theme: Theme, ctx: dict[str, Any], depth: int) -> None:
    visible = ctx["visible"]
    if visible is not None and theme.id not in visible:
        return
    selected = st.session_state.get(SELECTED_KEY)
    key = f"qc_cb_open_{theme.id}"
    if key not in st.session_state:
        st.session_state[key] = bool(ctx["expand_all"] or _contains(codebook, theme.id, selected))
    if visible is not None:
        st.session_state[key] = True  # a filter shows every match
    with st.expander(
        _theme_label(codebook, counts, theme),
        key=key,
        on_change="rerun",
        type="default" if depth == 0 else "compact",
        icon=":material/folder:" if depth == 0 else ":material/subdirectory_arrow_right:",
    ) as box:
        if not box.open:
            return
        with _tree_row(wrap=True):
            st.markdown(  # a checked #rrggbb; the description is escaped
                "<span style='font-size:.875rem;opacity:.75'>"
                + colours.swatch(colours.theme_colour(codebook, theme.id))
                + state.escape_md(theme.description or "No description yet.")
                + "</span>",
                unsafe_allow_html=True,
            )
            st.button(
                "Close theme card" if selected == theme.id else "Theme card",
                key=f"qc_cb_node_{theme.id}",
                type="tertiary",
                icon=":material/info:",
                on_click=_select,
                args=(theme.id, codebook),
            )
        if selected == theme.id:
            _card(codebook, counts, theme, ctx)
        own = [c for c in codebook.codes.values() if c.theme == theme.id and (visible is None or c.id in visible)]
        if own:
            _header_row("Codes")
            for code in own:
                _row(codebook, counts, code, ctx)
        for child in codebook.child_themes(theme.id):
            _theme(codebook, counts, codebook.themes[child], ctx, depth + 1)


def _expand_all(codebook: Codebook, value: bool) -> None:
    for theme in codebook.themes:
        st.session_state[f"qc_cb_open_{theme}"] = value


def render() -> None:
    project = state.user_project()
    with state.user_errors():
        codebook = project.codebook
        st.header(state.escape_md(codebook.title) if codebook.title else "Codebook")
        counts = node_counts(project)
        is_supervisor = project.actor.at_least("supervisor")
        shown = st.session_state.get(FORM_SHA_KEY)  # what the user saw when they filled in a form
        st.session_state[FORM_SHA_KEY] = project.codebook_version or None
        editor = project.as_of(shown or project.codebook_version or None) if is_supervisor else None
        n_codes, n_themes = len(codebook.codes), len(codebook.themes)
        pooled = counts.attrs.get("pooled") or ""
        st.caption(
            state.escape_md(
                f"{n_themes} themes and sub-themes, {n_codes} codes. Click a code to see its definition and "
                f"excerpts{' and to edit it' if is_supervisor else ''}."
                + (f" Codings counted: {pooled}." if pooled else "")
            )
        )
        query = _filter_bar(codebook)
        visible = _visible(codebook, query)
        st.html(TREE_CSS)
        ctx: dict[str, Any] = {"project": project, "editor": editor, "visible": visible, "expand_all": n_codes <= 30}
        _tree(codebook, counts, ctx, query, is_supervisor)
        _table_expander(codebook, query)
        if is_supervisor:
            _edit_forms(project, codebook, shown)
        else:
            st.caption("Supervisors edit the codebook; changes land in codebook.yaml.")


def _filter_bar(codebook: Codebook) -> str:
    """The search box and the expand/collapse buttons; the query."""
    with st.container(horizontal=True, vertical_alignment="bottom"):
        query = st.text_input("Find a code", key="qc_cb_filter", placeholder="label, id or words of a definition")
        st.button("Expand all", key="qc_cb_expand", on_click=_expand_all, args=(codebook, True))
        st.button("Collapse all", key="qc_cb_collapse", on_click=_expand_all, args=(codebook, False))
    return query.strip()


def _tree(codebook: Codebook, counts: pd.DataFrame, ctx: dict[str, Any], query: str, is_supervisor: bool) -> None:
    """The tree: codes outside any theme, the themes with their codes, then cross-cutting themes."""
    visible = ctx["visible"]
    with st.container(key="qc_cb_tree"):
        top_codes = [c for c in codebook.codes.values() if c.theme is None]
        for code in top_codes:
            if visible is None or code.id in visible:
                _row(codebook, counts, code, ctx)
        for tid in codebook.child_themes(None):
            _theme(codebook, counts, codebook.themes[tid], ctx, 0)
        if not codebook.themes and not codebook.codes:
            st.info("The codebook is empty." + (" Add a theme or a code below." if is_supervisor else ""))
        if codebook.cross_cutting:
            st.subheader("Cross-cutting themes")
            _header_row("Sets of codes from anywhere in the tree")
            for cc in codebook.cross_cutting.values():
                if visible is None or _matches(codebook, cc, query):
                    _row(codebook, counts, cc, ctx)


def _table_expander(codebook: Codebook, query: str) -> None:
    """The codebook as one table (filtered by the query), technical columns on request."""
    with st.expander("The codebook as a table", icon=":material/table:", key=TABLE_KEY, on_change="rerun") as box:
        if box.open is False:
            return
        frame = codebook_frame(codebook)
        if query:
            mask = frame.apply(lambda col: col.astype(str).str.contains(query, case=False, regex=False)).any(axis=1)
            frame = frame.loc[mask]
        technical = st.toggle("Show technical columns", key="qc_cb_technical", help="The codes' ids.")
        tables.dataframe(
            frame if technical else frame.drop(columns=["Code id"]),
            hide_index=True,
            width="stretch",
            key="qc_cb_table",
            column_config={"Description": st.column_config.TextColumn("Description", width="large")},
        )


# ------------------------------------------------------------------------------ the card of a node
def _card(codebook: Codebook, counts: pd.DataFrame, node: Theme | Code | CrossCut, ctx: dict[str, Any]) -> None:
    with st.container(border=True, key=f"qc_cb_card_{node.id}"):
        if isinstance(node, Code):
            _code_details(codebook, node)
        else:
            st.markdown(f"**{state.escape_md(node.label)}**")
            st.caption(state.escape_md(retrieval.node_path(codebook, node.id)))
            if node.description:
                st.markdown(state.escape_md(node.description))
            if isinstance(node, CrossCut):
                members = [codebook.codes[c].label if c in codebook.codes else c for c in node.codes]
                st.markdown("*Codes:* " + state.escape_md(", ".join(members)))
        _numbers(counts, node.id)
        _few_excerpts(ctx["project"], node.id)
        if isinstance(node, Code):
            with st.expander("Consolidation trail", type="compact"):
                _consolidation(ctx["project"], node)
        if ctx["editor"] is not None:
            _edit_in_place(ctx["editor"], codebook, node)


def _plural(n: int, noun: str) -> str:
    return noun if n != 1 else noun[:-1]


def _numbers(counts: pd.DataFrame, node: str) -> None:
    if node not in counts.index or not int(counts.at[node, "codings"]):
        st.caption("Not coded yet.")
        return
    c = counts.loc[node]
    st.markdown(" · ".join(f"**{int(c[name])}** {_plural(int(c[name]), name)}" for name in COUNT_COLUMNS))


def _few_excerpts(project: Project, node: str) -> None:
    frame = project.excerpts(node, data=state.cached_analysis(project))
    if frame.empty:
        return
    distinct = frame.drop_duplicates(["document", "start", "end"])
    for row in distinct.head(EXCERPTS_SHOWN).itertuples(index=False):
        quote = " ".join(str(row.quote).split())
        if len(quote) > 400:
            quote = quote[:399] + "…"
        st.markdown(f"> {state.escape_md(quote)}  \n> — *{state.escape_md(row.participant_label)}*")
    if st.button(
        f"All {len(distinct)} {_plural(len(distinct), 'excerpts')} in the Code browser",
        key=f"qc_cb_browse_{node}",
        type="tertiary",
        icon=":material/search:",
    ):
        from . import browser

        st.session_state["qc_br_node"] = node
        st.switch_page(st.Page(browser.render, title="Code browser", url_path="browser", icon=":material/search:"))


def _edit_in_place(editor: Project, codebook: Codebook, node: Theme | Code | CrossCut) -> None:
    """The node's fields as a form right here, then move / merge / delete."""
    nid = node.id
    with (
        st.expander(
            "Edit " + ("this code" if isinstance(node, Code) else "this theme"), type="compact", icon=":material/edit:"
        ),
        st.form(f"qc_cb_edit_{nid}", border=False),
    ):
        label = st.text_input("Label", value=node.label, key=f"qc_cb_edit_label_{nid}")
        description = st.text_area("Description", value=node.description, key=f"qc_cb_edit_description_{nid}")
        fields: dict[str, Any] = {"description": description}
        if isinstance(node, Code):
            cols = st.columns(2)
            fields["include"] = cols[0].text_area("Include when", value=node.include, key=f"qc_cb_edit_include_{nid}")
            fields["exclude"] = cols[1].text_area("Exclude when", value=node.exclude, key=f"qc_cb_edit_exclude_{nid}")
            examples = st.text_area(
                "Examples (one per line)", value="\n".join(node.examples), key=f"qc_cb_edit_examples_{nid}"
            )
            fields["examples"] = [line for line in examples.split("\n") if line.strip()]
            st.caption(
                "Colour: from its theme "
                + state.escape_md(retrieval.node_path(codebook, node.theme) if node.theme else "(none)")
                + " — change it on the theme's card."
            )
        elif isinstance(node, Theme):
            fields["color"] = st.color_picker(
                "Colour (the Code page's highlights, the tree and the charts)",
                value=colours.theme_colour(codebook, nid) if node.color is None else node.color,
                key=f"qc_cb_edit_color_{nid}",
            )
            if node.color is None and fields["color"] == colours.theme_colour(codebook, nid):
                fields.pop("color")  # inherited and not changed: keep inheriting
        if st.form_submit_button("Save", type="primary"):
            with state.user_errors():
                _check_ids(codebook, nid)
                editor.edit_codebook_node(nid, label=label, **fields)
                _done(f"Saved '{label.strip() or node.label}'. Undo (Code page) reverts the whole edit.")
    if isinstance(node, CrossCut):
        return
    if isinstance(node, Theme):
        with st.expander("Add a code or sub-theme here", type="compact", icon=":material/add:"):
            _add_here(editor, codebook, node)
    with st.expander("Move, merge or delete", type="compact", icon=":material/drive_file_move:"):
        _node_actions(editor, codebook, node)


def _add_here(editor: Project, codebook: Codebook, theme: Theme) -> None:
    """A new code (or sub-theme) under this theme, from its card."""
    tid = theme.id
    with st.form(f"qc_cb_add_here_{tid}", border=False, clear_on_submit=True):
        kind = st.radio("Add a", ["code", "sub-theme"], horizontal=True, key=f"qc_cb_add_here_kind_{tid}")
        label = st.text_input("Label of the new code or sub-theme", key=f"qc_cb_add_here_label_{tid}")
        description = st.text_area("Its description", key=f"qc_cb_add_here_description_{tid}")
        if st.form_submit_button(f"Add under {theme.label}"):
            new_id = state.slugify(label)
            with state.user_errors():
                _check_ids(codebook, tid)
                if kind == "code":
                    editor.add_code(new_id, label, tid, description=description)
                else:
                    editor.add_theme(new_id, label, tid, description=description)
                _done(f"Added {kind} '{label}' ({new_id}) under {theme.label}.")


def _node_actions(editor: Project, codebook: Codebook, node: Theme | Code) -> None:
    nid = node.id
    themes = retrieval.theme_choices(codebook)
    if isinstance(node, Theme):  # no theme under itself
        themes = {t: label for t, label in themes.items() if not t or nid not in codebook.theme_path(t)}
    cols = st.columns([3, 1], vertical_alignment="bottom")
    parent = cols[0].selectbox(
        "Move under", list(themes), format_func=themes.__getitem__, index=None, key=f"qc_cb_move_to_{nid}"
    )
    if cols[1].button("Move here", key=f"qc_cb_move_btn_{nid}", width="stretch") and parent is not None:
        with state.user_errors():
            _check_ids(codebook, nid, parent or None)
            editor.move(nid, parent or None)
            _done(f"Moved '{node.label}' under {themes[parent].strip()}.")
    if isinstance(node, Code):
        choices = {
            c: label for c, label in retrieval.code_choices(codebook).items() if c in codebook.codes and c != nid
        }
        cols = st.columns([3, 1], vertical_alignment="bottom")
        target = cols[0].selectbox(
            "Merge into",
            list(choices),
            format_func=lambda c: choices[c].strip(),
            index=None,
            key=f"qc_cb_merge_to_{nid}",
        )
        confirm = st.checkbox(
            "Yes: move every coding of this code to that code and remove this code", key=f"qc_cb_merge_ok_{nid}"
        )
        if cols[1].button("Merge into it", key=f"qc_cb_merge_btn_{nid}", width="stretch") and target is not None:
            with state.user_errors():
                _check_ids(codebook, nid, target)
                if not confirm:
                    st.warning(
                        f"Nothing merged yet: merging moves all {editor.code_usage(nid)} coding(s) of "
                        f"'{state.escape_md(node.label)}'. Tick the confirmation and press the button again."
                    )
                else:
                    editor.merge_codes(nid, target)
                    _done("Merged; codings moved to the target code. Undo reverts the merge.")
    cols = st.columns([3, 1], vertical_alignment="bottom")
    force = cols[0].checkbox(
        "Also archive its codings (kept in the archive, listed by 'qualcode status')", key=f"qc_cb_delete_ok_{nid}"
    )
    if cols[1].button("Delete", key=f"qc_cb_delete_btn_{nid}", width="stretch"):
        with state.user_errors():
            _check_ids(codebook, nid)
            editor.delete_code(nid, force=force)
            st.session_state[SELECTED_KEY] = None
            _done(f"Deleted '{node.label}'.")


def _code_details(codebook: Codebook, code: Code) -> None:
    st.markdown(
        colours.swatch(colours.code_colour(codebook, code.id)) + f"**{state.escape_md(code.label)}**",
        unsafe_allow_html=True,  # a checked #rrggbb; the label is escaped
    )
    st.caption(state.escape_md(retrieval.node_path(codebook, code.id)))
    for title, value in (
        ("Description", code.description),
        ("Include when", code.include),
        ("Exclude when", code.exclude),
    ):
        if value:
            st.markdown(f"*{title}:* {state.escape_md(value)}")
    for example in code.examples:
        st.markdown(f"*Example:* {state.escape_md(example)}")
    if code.aliases:
        st.caption("Former names: " + state.escape_md(", ".join(code.aliases)))


def _consolidation(project: Project, code: Code) -> None:
    """The code's consolidation trail: its recorded count and the codes merged into it."""
    from ...consolidation import trail_of

    trail = trail_of(project.consolidation_trail(), code.id)
    with st.container(border=True):
        st.markdown("**Consolidation trail**")
        if code.applications is not None:
            st.caption(
                f"Recorded applications: {code.applications} (source: {state.escape_md(code.applications_source)})"
            )
        if trail.empty:
            st.caption("No codes were merged into this code.")
            return
        st.caption(f"{len(trail)} code(s) merged into it, carrying {int(trail['applications'].sum())} application(s).")
        shown = trail[["merged_label", "merged_code", "applications", "collapsed", "merged_at", "merged_by"]]
        tables.dataframe(shown, hide_index=True, width="stretch", key="qc_cb_trail")


def _done(message: str) -> None:
    """Report a successful edit and redraw the page with the new codebook."""
    state.flash("success", message)
    st.rerun()


def _check_ids(codebook: Codebook, *ids: str | None) -> None:
    """Refuse an id that is not in the codebook (any more)."""
    known = set(codebook.codes) | set(codebook.themes) | set(codebook.cross_cutting)
    for node in ids:
        if node is not None and node not in known:
            raise ConflictError(
                f"'{node}' is no longer in the codebook (another supervisor changed it); nothing was changed.",
                hint="Check the codebook as it is now and choose again.",
            )


def nodes_in_tree(codebook: Codebook, codes: list[str]) -> list[str]:
    """Themes and codes in tree order (a picker showing the hierarchy), codes outside it last."""
    order = [node for node in retrieval.code_choices(codebook) if node not in codebook.cross_cutting]
    return order + [c for c in codes if c not in order]


def _edit_forms(project, codebook: Codebook, shown_sha: str | None) -> None:
    """``shown_sha``: the codebook version of the previous run, i.e. the one the user saw when
    filling in the form now submitted (None on the first run: no form can be submitted yet)."""
    editor = project.as_of(shown_sha or project.codebook_version or None)
    tree = retrieval.theme_choices(codebook, top_level=False)  # labels indented by depth
    themes = list(tree)
    nodes = retrieval.code_choices(codebook)
    codes = [c for c in nodes if c in codebook.codes] + [c for c in codebook.codes if c not in nodes]

    def theme_label(t: str) -> str:
        return tree.get(t, t)

    def code_label(c: str) -> str:
        return nodes.get(c, codebook.codes[c].label if c in codebook.codes else c)

    with st.expander(
        "More changes: add, rename, move, merge or delete from lists",
        icon=":material/edit:",
        key=MORE_KEY,
        on_change="rerun",
    ) as box:
        if box.open is not False:
            _list_forms(editor, codebook, themes, codes, theme_label, code_label)


def _list_forms(
    editor: Any, codebook: Codebook, themes: list[str], codes: list[str], theme_label: Any, code_label: Any
) -> None:
    add, rename, move, merge, delete = st.tabs(["Add", "Rename", "Move", "Merge", "Delete"])
    with add:
        _add_form(editor, codebook, themes, theme_label)
    with rename:
        _rename_form(editor, codebook, codes, theme_label, code_label)
    with move:
        _move_form(editor, codebook, themes, codes, theme_label, code_label)
    with merge:
        _merge_form(editor, codebook, codes, code_label)
    with delete:
        _delete_form(editor, codebook, codes, theme_label, code_label)


def _add_form(editor: Any, codebook: Codebook, themes: list[str], theme_label: Any) -> None:
    """Add a code or theme under a chosen parent."""
    with st.form("qc_cb_add", clear_on_submit=True):
        kind = st.radio("Add a", ["code", "theme"], horizontal=True, key="qc_cb_add_kind")
        label = st.text_input("Label", key="qc_cb_add_label")
        node_id = st.text_input(
            "Id (optional)", help="Lower case, digits and _; made from the label when empty.", key="qc_cb_add_id"
        )
        parent = st.selectbox(
            "Under theme",
            [""] + themes,
            format_func=lambda t: theme_label(t) if t else "(top level)",
            index=(themes.index(UNCATEGORISED) + 1) if UNCATEGORISED in themes else 0,
            key="qc_cb_add_parent",
        )
        description = st.text_area("Description", key="qc_cb_add_description")
        include = st.text_input("Include when (codes)", key="qc_cb_add_include")
        exclude = st.text_input("Exclude when (codes)", key="qc_cb_add_exclude")
        if st.form_submit_button("Add", type="primary"):
            new_id = (node_id or state.slugify(label)).strip()
            with state.user_errors():
                _check_ids(codebook, parent or None)
                if kind == "code":
                    editor.add_code(
                        new_id, label, parent or None, description=description, include=include, exclude=exclude
                    )
                else:
                    editor.add_theme(new_id, label, parent or None, description=description)
                _done(f"Added {kind} '{label}' ({new_id}).")


def _rename_form(editor: Any, codebook: Codebook, codes: list[str], theme_label: Any, code_label: Any) -> None:
    """Rename a code or theme (new label and/or id)."""
    with st.form("qc_cb_rename"):
        node = st.selectbox(
            "Code or theme",
            list(nodes_in_tree(codebook, codes)),
            format_func=lambda n: code_label(n) if n in codebook.codes else theme_label(n),
            key="qc_cb_rename_node",
        )
        new_label = st.text_input("New label", key="qc_cb_rename_label")
        new_id = st.text_input("New id (optional)", key="qc_cb_rename_id")
        if st.form_submit_button("Rename"):
            with state.user_errors():
                _check_ids(codebook, node)
                editor.rename_code(node, new_id=new_id.strip() or None, new_label=new_label.strip() or None)
                _done("Renamed; the old name is kept as an alias.")


def _move_form(
    editor: Any, codebook: Codebook, themes: list[str], codes: list[str], theme_label: Any, code_label: Any
) -> None:
    """Move a code or theme under another theme."""
    with st.form("qc_cb_move"):
        node = st.selectbox(
            "Code or theme",
            list(nodes_in_tree(codebook, codes)),
            format_func=lambda n: code_label(n) if n in codebook.codes else theme_label(n),
            key="qc_cb_move_node",
        )
        parent = st.selectbox(
            "New parent theme",
            [""] + themes,
            format_func=lambda t: theme_label(t) if t else "(top level)",
            key="qc_cb_move_parent",
        )
        if st.form_submit_button("Move"):
            with state.user_errors():
                _check_ids(codebook, node, parent or None)
                editor.move(node, parent or None)
                _done("Moved.")


def _merge_form(editor: Any, codebook: Codebook, codes: list[str], code_label: Any) -> None:
    """Merge one code into another, after a confirmation tick."""
    with st.form("qc_cb_merge"):
        source = st.selectbox("Merge this code …", codes, format_func=code_label, key="qc_cb_merge_source")
        target = st.selectbox("… into this code", codes, format_func=code_label, key="qc_cb_merge_target")
        confirmed = st.checkbox(
            "Yes: move every coding of the first code to the second and remove the first code",
            key="qc_cb_merge_confirm",
            help="Undo (qualcode undo, or Undo last on the Code page) reverts the whole merge.",
        )
        if st.form_submit_button("Merge"):
            with state.user_errors():
                _check_ids(codebook, source, target)
                if source == target:
                    st.error("Choose two different codes.")
                elif not confirmed:
                    used = editor.code_usage(source)
                    st.warning(
                        f"Nothing merged yet: merging moves all {used} coding(s) of "
                        f"'{state.escape_md(code_label(source))}' to '{state.escape_md(code_label(target))}'. "
                        "Tick the confirmation and press Merge again."
                    )
                else:
                    editor.merge_codes(source, target)
                    _done("Merged; codings moved to the target code. Undo reverts the merge.")


def _delete_form(editor: Any, codebook: Codebook, codes: list[str], theme_label: Any, code_label: Any) -> None:
    """Delete a code, theme or cross-cutting node."""
    with st.form("qc_cb_delete"):
        node = st.selectbox(
            "Code or theme",
            list(nodes_in_tree(codebook, codes)) + list(codebook.cross_cutting),
            format_func=lambda n: (
                code_label(n)
                if n in codebook.codes
                else (theme_label(n) if n in codebook.themes else codebook.cross_cutting[n].label)
            ),
            key="qc_cb_delete_node",
        )
        force = st.checkbox(
            "Also archive its codings (kept in the archive, listed by 'qualcode status')", key="qc_cb_delete_force"
        )
        if st.form_submit_button("Delete"):
            with state.user_errors():
                _check_ids(codebook, node)
                editor.delete_code(node, force=force)  # themes are never coded: plain delete
                _done("Deleted.")
