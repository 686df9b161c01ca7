"""Memos page: the memo browser (every memo, as NVivo's memo list or ATLAS.ti's memo manager) and
writing document, code and project memos.

Every memo the user may read is listed, newest kinds first (project, interview, code, coding
memos), as readable cards: what it is about, its title and full text, who wrote it and when; a
coding memo shows its excerpt and *Open in context* (the Code page at that span), an interview
memo *Open the interview*.  Filters: kind, author, interview, code.  The author (or a
supervisor, an admin, the owner of a single-machine project) edits or deletes a memo; every
change is audited and *Undo* takes back the last one (a deleted memo comes back).

:func:`memo_panel` is the memos of one interview or code with the form to add one (the
Interviews page shows it for the chosen interview).

Stable keys: filters ``qc_memo_kinds``, ``qc_memo_author``, ``qc_memo_document``, ``qc_memo_code``;
the writing form ``qc_memo_new_kind``/``qc_memo_new_target``/``qc_memo_new_title``/
``qc_memo_new_text``/``qc_memo_new_save``; one card ``qc_memo_card_<kind>_<id>`` (kind ``memo``
for document, code and project memos, ``coding`` for a coding's memo) with the toggle
``qc_memo_editing_<kind>_<id>`` that shows ``qc_memo_edit_text_<kind>_<id>``,
``qc_memo_save_<kind>_<id>``, ``qc_memo_delete_<kind>_<id>``;
undo ``qc_memo_undo``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ...project import Project
from ...store import Actor
from .. import state
from ..components import open_in_context
from ..components.picker import picker

PAGE_SIZE = 40
SHOWN_KEY = "qc_memo_shown"
KIND_LABELS = {"project": "Project", "document": "Interview", "code": "Code", "coding": "Coding"}
KIND_ORDER = {"project": 0, "document": 1, "code": 2, "coding": 3}
ALL = "(all)"


def may_change(actor: Actor, author: str) -> bool:
    """Whether ``actor`` may edit or delete a memo by ``author`` (the store checks it again)."""
    return author == actor.name or actor.at_least("supervisor") or actor.local


def _code_page() -> Any:
    from . import code

    return st.Page(code.render, title="Code", url_path="code", icon=":material/edit_note:")


def _labels(project: Project) -> dict[str, str]:
    cb = project.codebook
    labels = {tid: t.label for tid, t in cb.themes.items()}
    labels.update({cid: c.label for cid, c in cb.codes.items()})
    return labels


# ------------------------------------------------------------------------------ actions
def _add(kind: str, target: str | None, title_key: str, text_key: str) -> None:
    text = st.session_state.get(text_key) or ""
    title = st.session_state.get(title_key) or ""
    project = state.user_project()
    memo_id = state.run_action(project.add_memo, kind, target, text, title=title)
    if memo_id is not None:
        about = f" on {target}" if target else ""
        state.flash("success", f"Saved memo {memo_id} ({KIND_LABELS[kind].lower()} memo{about}).")
        st.session_state[text_key] = ""
        st.session_state[title_key] = ""


def _save(row: dict[str, Any], key: str) -> None:
    project = state.user_project()
    text = st.session_state.get(f"qc_memo_edit_text_{key}") or ""
    if row["kind"] == "coding":
        done = state.run_action(
            project.set_coding_memo, int(row["coding_id"]), text, expected_version=int(row["version"])
        )
        if done is not None:
            state.flash("success", f"Saved the memo of coding {int(row['coding_id'])}.")
            st.session_state[f"qc_memo_editing_{key}"] = False
        return
    title = st.session_state.get(f"qc_memo_edit_title_{key}")
    done = state.run_action(
        project.edit_memo, int(row["memo_id"]), text=text, title=title, expected_version=int(row["version"])
    )
    if done is not None:
        state.flash("success", f"Saved memo {int(row['memo_id'])}.")
        st.session_state[f"qc_memo_editing_{key}"] = False


def _delete(row: dict[str, Any]) -> None:
    project = state.user_project()
    if row["kind"] == "coding":
        done = state.run_action(
            project.set_coding_memo, int(row["coding_id"]), "", expected_version=int(row["version"])
        )
        if done is not None:
            state.flash("success", f"Cleared the memo of coding {int(row['coding_id'])}. Undo brings it back.")
        return
    done = state.run_action(project.delete_memo, int(row["memo_id"]))
    if done is not None:
        state.flash("success", f"Deleted memo {int(row['memo_id'])}. Undo brings it back.")


def _undo() -> None:
    result = state.run_action(state.user_project().undo)
    if result is None:
        if not st.session_state.get(state.MESSAGE_KEY):
            state.flash("warning", "Nothing to undo.")
    else:
        state.flash("success", str(result.get("message") or "Undid your last change."))


def _open_interview(document: str) -> None:
    st.session_state[open_in_context.DOCUMENT_KEY] = document


# ------------------------------------------------------------------------------ drawing
def _heading(row: dict[str, Any], labels: dict[str, str]) -> str:
    kind = row["kind"]
    code = labels.get(str(row["code"]), str(row["code"])) if not pd.isna(row["code"]) else ""
    if kind == "project":
        about = "the project"
    elif kind == "document":
        about = str(row["document"])
    elif kind == "code":
        about = code
    else:
        about = f"{code} in {row['document']}"
    return f"{KIND_LABELS[kind]} memo · {about}"


def _card(project: Project, row: dict[str, Any], labels: dict[str, str]) -> None:
    kind = row["kind"]
    ident = int(row["coding_id"]) if kind == "coding" else int(row["memo_id"])
    key = f"{'coding' if kind == 'coding' else 'memo'}_{ident}"
    with st.container(border=True, key=f"qc_memo_card_{key}"):
        head, action = st.columns([6, 1.6], vertical_alignment="top")
        with head:
            st.markdown(f"**{state.escape_md(_heading(row, labels))}**")
            if row.get("title"):
                st.markdown(f"*{state.escape_md(str(row['title']))}*")
        with action:
            if kind == "coding":
                if st.button(
                    "Open in context", key=f"qc_memo_open_{key}", icon=":material/open_in_new:", type="tertiary"
                ):
                    open_in_context.open_at(
                        _code_page(), str(row["document"]), int(row["start"]), int(row["end"]), ident, row["author"]
                    )
            elif kind == "document" and row["document"] in project.document_names():
                if st.button(
                    "Open the interview",
                    key=f"qc_memo_open_{key}",
                    icon=":material/open_in_new:",
                    type="tertiary",
                    on_click=_open_interview,
                    args=(str(row["document"]),),
                ):
                    st.switch_page(_code_page())
        if kind == "coding" and isinstance(row.get("quote"), str) and row["quote"].strip():
            st.markdown("  \n".join("> " + state.escape_md(line) for line in row["quote"].split("\n") if line.strip()))
        st.markdown(state.escape_md(str(row["text"])))
        when = str(row.get("updated_at") or row.get("created_at") or "")[:16].replace("T", " ")
        st.caption(state.escape_md(f"by {row['author']}" + (f" · {when} UTC" if when else "")))
        if may_change(project.actor, str(row["author"])) and st.toggle("Edit or delete", key=f"qc_memo_editing_{key}"):
            # A form: typing does not rerun the page (a rerun must not lose what is being written).
            with st.form(f"qc_memo_form_{key}", border=False):
                if kind != "coding":
                    st.text_input("Title", value=str(row.get("title") or ""), key=f"qc_memo_edit_title_{key}")
                st.text_area("Memo", value=str(row["text"]), key=f"qc_memo_edit_text_{key}", height=120)
                st.form_submit_button(
                    "Save", key=f"qc_memo_save_{key}", type="primary", on_click=_save, args=(row, key)
                )
            st.button(
                "Clear the memo" if kind == "coding" else "Delete",
                key=f"qc_memo_delete_{key}",
                on_click=_delete,
                args=(row,),
                help="Undo brings it back.",
            )


def _new_memo_form(project: Project, labels: dict[str, str]) -> None:
    with st.expander("Write a memo", expanded=False):
        kind = st.radio(
            "About",
            ["document", "code", "project"],
            format_func=lambda k: {"document": "An interview", "code": "A code or theme", "project": "The project"}[k],
            horizontal=True,
            key="qc_memo_new_kind",
        )
        target: str | None = None
        if kind == "document":
            # type-ahead: a selectbox drew every interview of the project on each visit
            names = project.document_names()
            target = (
                picker(
                    "Interview",
                    ["", *names],
                    format_func=lambda d: d or "Choose an interview",
                    key="qc_memo_new_interview",
                )
                or None
            )
        elif kind == "code":
            options = list(labels)
            target = st.selectbox(
                "Code or theme",
                options,
                index=None,
                format_func=lambda c: f"{labels[c]} ({c})",
                key="qc_memo_new_target",
            )
        ready = kind == "project" or target is not None
        with st.form("qc_memo_new_form", border=False):
            st.text_input("Title (optional)", key="qc_memo_new_title")
            st.text_area("Memo", key="qc_memo_new_text", height=140)
            st.form_submit_button(
                "Save memo",
                key="qc_memo_new_save",
                type="primary",
                disabled=not ready,
                on_click=_add,
                args=(kind, target, "qc_memo_new_title", "qc_memo_new_text"),
            )


def memo_panel(project: Project, kind: str, target: str, *, key: str) -> None:
    """The memos of one interview (``kind`` "document") or code ("code"), each readable and, for
    its author, editable, and a form to add one.  ``key``: a prefix for the widget keys."""
    labels = _labels(project)
    frame = project.memos_frame(
        kinds=[kind], document=target if kind == "document" else None, code=target if kind == "code" else None
    )
    for row in frame.to_dict("records"):
        _card(project, row, labels)
    if frame.empty:
        st.caption(f"No memo on this {'interview' if kind == 'document' else 'code'} yet.")
    title_key, text_key = f"{key}_title", f"{key}_text"
    with st.form(f"{key}_form", border=False):
        st.text_input("Title (optional)", key=title_key)
        st.text_area(f"New memo on {target}", key=text_key, height=110)
        st.form_submit_button(
            "Save memo", key=f"{key}_save", type="primary", on_click=_add, args=(kind, target, title_key, text_key)
        )


def render() -> None:
    project = state.user_project()
    st.header("Memos")
    st.caption(
        "Every memo in the project: on the project, on interviews, on codes and on coded passages. "
        "Everyone reads them; you write under your own name; the author or a supervisor edits or deletes a memo. "
        "Undo takes back your last change."
    )
    with state.user_errors():
        labels = _labels(project)
        _new_memo_form(project, labels)
        version = project.data_version()  # every memo write is audited: a new version
        everything = state.derived(project, version, "memos.all", lambda: project.memos_frame())
        cols = st.columns([2, 1.3, 1.5, 1.7])
        kinds = cols[0].multiselect(
            "Kind",
            list(KIND_LABELS),
            format_func=lambda k: KIND_LABELS[k],
            key="qc_memo_kinds",
            placeholder="All kinds",
        )
        authors = sorted({str(a) for a in everything["author"]})
        author = cols[1].selectbox("Author", [ALL, *authors], key="qc_memo_author")
        with cols[2]:
            document = picker("Interview", [ALL, *project.document_names()], key="qc_memo_document") or ALL
        codes = [c for c in labels if c in set(everything["code"].dropna())]
        code = cols[3].selectbox(
            "Code",
            [ALL, *codes],
            format_func=lambda c: c if c == ALL else labels.get(c, c),
            key="qc_memo_code",
        )
        frame = state.derived(
            project,
            version,
            "memos.chosen",
            lambda: project.memos_frame(
                kinds=kinds or None,
                author=None if author == ALL else author,
                document=None if document == ALL else document,
                code=None if code == ALL else code,
            ),
            tuple(kinds),
            author,
            document,
            code,
        )
        st.button("Undo my last change", key="qc_memo_undo", on_click=_undo, icon=":material/undo:")
        if frame.empty:
            st.info("No memos match." if len(everything) else "No memos yet: write the first one above.")
            return
        frame = frame.assign(_order=frame["kind"].map(KIND_ORDER)).sort_values(
            ["_order", "document", "start", "memo_id"], kind="stable", na_position="first"
        )
        counts = frame["kind"].value_counts()
        st.subheader(
            f"{len(frame)} memo(s): "
            + ", ".join(f"{counts[k]} {KIND_LABELS[k].lower()}" for k in KIND_ORDER if k in counts)
        )
        shown = int(st.session_state.get(SHOWN_KEY, PAGE_SIZE))
        for row in frame.head(shown).to_dict("records"):
            _card(project, row, labels)
        if len(frame) > shown:
            if st.button(f"Show more ({len(frame) - shown} not shown)", key="qc_memo_more"):
                st.session_state[SHOWN_KEY] = shown + PAGE_SIZE
                st.rerun()


__all__ = ["may_change", "memo_panel", "render"]
