"""Codebook page: the theme tree and cross-cutting themes with definitions; supervisors edit it.

Every change goes through a :class:`~qualcode.project.Project` method, which edits
``codebook.yaml`` (comments and order kept) and the database together.

Concurrent supervisors: every form widget has a stable key and holds ids (labels are only
shown); a submitted form acts on the codebook *version the form was drawn from*
(:data:`FORM_SHA_KEY`, via :meth:`~qualcode.project.Project.as_of`), so when another
supervisor changed ``codebook.yaml`` in between, the edit is refused with "codebook.yaml
changed since you loaded it" instead of landing on whatever code now sits at that position.
An id that is no longer in the codebook is refused too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from ...errors import ConflictError
from ...model import UNCATEGORISED, Code, Codebook, Theme
from ...project import Project
from .. import state
from ..components import tables

if TYPE_CHECKING:
    from ...project import Project

FORM_SHA_KEY = "qc_cb_form_sha"  # the codebook.yaml version the edit forms were last drawn from


def codebook_frame(codebook: Codebook) -> pd.DataFrame:
    """One row per code: theme path, id, label and its definition fields."""
    rows = []
    for code in codebook.codes.values():
        path = " > ".join(codebook.themes[t].label for t in codebook.theme_path(code.theme) if t in codebook.themes)
        rows.append(
            {
                "theme": path,
                "code": code.id,
                "label": code.label,
                "description": code.description,
                "include": code.include,
                "exclude": code.exclude,
                "examples": "\n".join(code.examples),
                "cross_cutting": ", ".join(codebook.cross_cutting[x].label for x in codebook.cross_cutting_of(code.id)),
            }
        )
    return pd.DataFrame(
        rows, columns=["theme", "code", "label", "description", "include", "exclude", "examples", "cross_cutting"]
    )


def _node_line(codebook: Codebook, depth: int, node: Theme | Code) -> str:
    """One tree line (ids are in the definitions table; labels are escaped)."""
    indent = "&nbsp;" * 4 * depth
    if isinstance(node, Theme):
        return f"{indent}▸ **{state.escape_md(node.label)}** ({len(codebook.codes_in(node.id))})"
    return f"{indent}• {state.escape_md(node.label)}"


def render() -> None:
    project = state.user_project()
    with state.user_errors():
        codebook = project.codebook
        st.header(state.escape_md(codebook.title) if codebook.title else "Codebook")
        tree, detail = st.columns([2, 3], gap="large")
        with tree:
            st.subheader("Themes")
            lines = [_node_line(codebook, depth, node) for depth, node in codebook.iter_tree()]
            st.markdown("  \n".join(lines) if lines else "_The codebook is empty._")
            if codebook.cross_cutting:
                st.subheader("Cross-cutting themes")
                for cc in codebook.cross_cutting.values():
                    members = ", ".join(codebook.codes[c].label if c in codebook.codes else c for c in cc.codes)
                    st.markdown(f"**{state.escape_md(cc.label)}** — {state.escape_md(members)}")
                    if cc.description:
                        st.caption(state.escape_md(cc.description))
        with detail:
            st.subheader("Definitions")
            query = st.text_input("Filter codes", key="qc_cb_filter", placeholder="label, id or words of a definition")
            frame = codebook_frame(codebook)
            if query:
                mask = frame.apply(lambda col: col.astype(str).str.contains(query, case=False, regex=False)).any(axis=1)
                frame = frame.loc[mask]
            tables.dataframe(frame, hide_index=True, width="stretch", key="qc_cb_table")
            codes = list(codebook.codes)
            chosen = st.selectbox(
                "Code details", codes, index=None, key="qc_cb_code", format_func=lambda c: codebook.codes[c].label
            )
            if chosen:
                _code_details(codebook, codebook.codes[chosen])
                _consolidation(project, codebook.codes[chosen])
        if project.actor.at_least("supervisor"):
            shown = st.session_state.get(FORM_SHA_KEY)  # what the user saw when they filled in a form
            st.session_state[FORM_SHA_KEY] = project._codebook_sha
            _edit_forms(project, codebook, shown)
        else:
            st.caption("Supervisors edit the codebook; changes land in codebook.yaml.")


def _code_details(codebook: Codebook, code: Code) -> None:
    with st.container(border=True):
        st.markdown(f"**{state.escape_md(code.label)}** · {state.escape_md(code.id)}")
        st.caption(state.escape_md(codebook.code_path_labels(code.id)))
        for title, value in (
            ("Description", code.description),
            ("Include when", code.include),
            ("Exclude when", code.exclude),
        ):
            if value:
                st.markdown(f"*{title}:* {state.escape_md(value)}")
        for example in code.examples:
            st.text(example)
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


def _edit_forms(project, codebook: Codebook, shown_sha: str | None) -> None:
    """``shown_sha``: the codebook version of the previous run, i.e. the one the user saw when
    filling in the form now submitted (None on the first run: no form can be submitted yet)."""
    editor = project.as_of(shown_sha or project._codebook_sha)
    st.divider()
    st.subheader("Edit the codebook")
    themes = list(codebook.themes)
    codes = list(codebook.codes)

    def theme_label(t: str) -> str:
        return codebook.themes[t].label if t in codebook.themes else t

    def code_label(c: str) -> str:
        return codebook.codes[c].label if c in codebook.codes else c

    add, rename, move, merge, delete = st.tabs(["Add", "Rename", "Move", "Merge", "Delete"])
    with add, st.form("qc_cb_add", clear_on_submit=True):
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
    with rename, st.form("qc_cb_rename"):
        node = st.selectbox(
            "Code or theme",
            codes + themes,
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
    with move, st.form("qc_cb_move"):
        node = st.selectbox(
            "Code or theme",
            codes + themes,
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
    with merge, st.form("qc_cb_merge"):
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
                    used = editor.store.code_usage(source)
                    st.warning(
                        f"Nothing merged yet: merging moves all {used} coding(s) of "
                        f"'{state.escape_md(code_label(source))}' to '{state.escape_md(code_label(target))}'. "
                        "Tick the confirmation and press Merge again."
                    )
                else:
                    editor.merge_codes(source, target)
                    _done("Merged; codings moved to the target code. Undo reverts the merge.")
    with delete, st.form("qc_cb_delete"):
        node = st.selectbox(
            "Code or theme",
            codes + themes + list(codebook.cross_cutting),
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
