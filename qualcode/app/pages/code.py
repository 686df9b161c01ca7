"""Code page: read one interview, select text, apply codes.

Speed: only the current document's codings are read (``Project.document_codings_view``, by
the document index, built column by column); the text and segments are cached by the text's
hash and sent to the browser once per session (the component keeps them); the page is one
``st.fragment`` (choosing an interview reruns that part, not the app around it) with the find
box, transcript and panels a fragment inside it (selecting, applying, undoing and searching
rerun only those, not the picker row with every interview's label), and the component redraws
only the highlights that changed.  Actions run in widget callbacks
(before the rerun draws), so the new highlight shows in the same rerun that stored the coding.

Coding from the keyboard: with text selected, ``1``–``9`` apply the numbered recent code
(``1`` the last one used), ``U`` or ``Ctrl+Z`` undoes the last action, ``/`` goes to the find
box (the legend under the buttons lists the numbers).  "Open in context" (Code browser,
Codebook page, or ``/code?document=NAME&start=S&end=E``) arrives through
``components/open_in_context.arrive``: the interview chosen, the span selected and scrolled into
view.

Stable keys (AppTest and Playwright): document ``qc_document`` (a session-state value; the
type-ahead picker that sets it is the element ``qc_document_picker``), click unit ``qc_unit``,
transcript component ``qc_transcript``, fallback segment picker ``qc_segment_pick`` (shown
when the toggle ``qc_keyboard_select`` is on), codes
``qc_codes``, memo ``qc_memo``, apply ``qc_apply``, undo ``qc_undo``, coding to edit
``qc_edit_coding``, find box ``qc_search`` (hits ``qc_search_prev`` / ``qc_search_next``),
shortcut legend ``qc_shortcuts``, messages ``qc_messages`` (drawn only with a message); the
panels *Codings* (the coding editor), *Participant*, *Suggestions* and *New code* are one
pills control ``qc_panel`` (its value the panel's name, or None): only the chosen panel is
drawn, in ``qc_panel_box`` (choosing one reruns the page's fragment; a click on a margin label,
or "open in context" of a coding, opens *Codings*).  In the browser each is inside an element
with class ``st-key-<key>``.

Few blocks: Streamlit's browser side draws every element and block of the page again on each
run, a fragment's included (all of them read the run's state), so the rows here are row
containers, not ``st.columns``, and closed panels are not expanders.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from ...errors import QualcodeError
from ...frames import AnalysisData
from ...model import SEGMENT_KINDS, UNCATEGORISED, Codebook, Coding
from ...progress import segment_progress
from ...project import Project
from ...suggestions import undecided
from .. import state
from ..components import TRANSCRIPT_KEY, transcript_view
from ..components.colours import code_colour as _theme_rule_colour
from ..components.open_in_context import CODINGS_PANEL, PANEL_KEY
from ..components.open_in_context import arrive as arrive_in_context
from ..components.picker import picker
from ..components.transcript import key_event, selection_event

SELECTION_KEY = "qc_selection"
RECENT_KEY = "qc_recent_codes"
SUGGESTIONS_KEY = "qc_suggestions"
MAX_SUGGESTIONS_SHOWN = 15
SELECTION_INFO_HEIGHT = 110  # px
BUTTON_WIDTH = 96  # px: Apply and Undo, one above the other
SHORTCUT_CODES_KEY = "qc_shortcut_codes"  # the recent codes the keys 1-9 apply (as the legend shows)
REVEAL_KEY = "qc_reveal"  # the span to scroll into view once (open in context)
MAX_SEARCH_HITS = 1000
VERSION_KEY = "qc_data_version"  # the data version read at the start of this rerun of the page
MAX_EDIT_OPTIONS = 50  # codings listed in the edit picker without a selection
CODINGS_CACHE_KEY = "qc_codings_cache"  # session state: the last few documents' codings by data version
LABELS_CACHE_KEY = "qc_interview_labels"  # session state: (data version, picker labels)
SPANS_CACHE_KEY = "qc_span_rows"  # session state: (codings frame, show others, codebook version, its highlight rows)
# The panels under the coding box, one open at a time and drawn only while open (AppTest
# opens one by setting st.session_state[PANEL_KEY]).
PANELS = (CODINGS_PANEL, "Participant", "Suggestions", "New code")


# ------------------------------------------------------------------------------ helpers
def code_label(codebook: Codebook, code_id: str) -> str:
    code = codebook.codes.get(code_id)
    return code.label if code else f"{code_id} (not in codebook)"


def code_colour(codebook: Codebook, code_id: str) -> str:
    return _theme_rule_colour(codebook, code_id)  # one rule for highlights, tree, browser and charts


def ordered_codes(codebook: Codebook, recent: list[str]) -> list[str]:
    """Code ids, the recently used first, then the codebook's order."""
    head = [c for c in dict.fromkeys(recent) if c in codebook.codes]
    return head + [c for c in codebook.codes if c not in head]


_ZERO_WIDTH = "\u200b"


def unmatchable(text: str) -> str:
    """``text`` as shown, but no longer containing any word of it: a zero-width space after each
    character.  The type-ahead's filter is a plain substring match on the option's text, so the
    theme shown as context must not be matched ("Trend" + Enter chose a code of a theme called
    "… Trends …" over the code labelled "Trend change")."""
    return _ZERO_WIDTH.join(text) + _ZERO_WIDTH if text else text


def code_option_label(codebook: Codebook, code_id: str) -> str:
    """What the type-ahead shows and matches for a code: its label, aliases and (when the label
    does not spell it) its id match; its theme is shown as context and does not match."""
    code = codebook.codes[code_id]
    parts = [code.label]
    aliases = [a for a in code.aliases if a.casefold() not in code.label.casefold()]
    if aliases:
        parts.append("also " + ", ".join(aliases))
    if code.id.replace("_", " ").casefold() not in code.label.casefold():
        parts.append(code.id)
    theme = codebook.themes.get(code.theme) if code.theme else None
    if theme is not None:
        parts.append(unmatchable(f"in {theme.label}"))
    return "  ·  ".join(parts)


def codes_sentence(codebook: Codebook, codes: list[str]) -> str:
    """'*A*', '*A* and *B*', '*A*, *B* and *C*' (labels in italics, markdown-escaped: for
    messages in plain words)."""
    labels = [f"*{state.escape_md(code_label(codebook, c))}*" for c in codes]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def search_hits(text: str, query: str, limit: int = MAX_SEARCH_HITS) -> list[tuple[int, int]]:
    """Where ``query`` occurs in ``text`` (case-insensitive, code point offsets, at most ``limit``).

    >>> search_hits("Visa rules. New visa rules.", "VISA")
    [(0, 4), (16, 20)]
    """
    query = query.strip()
    if not query:
        return []
    hits = []
    for m in re.finditer(re.escape(query), text, flags=re.IGNORECASE):
        hits.append((m.start(), m.end()))
        if len(hits) >= limit:
            break
    return hits


def recent_codes(codebook: Codebook, recent: list[str], mine: pd.DataFrame, n: int = 9) -> list[str]:
    """The codes the keys 1..n apply: this session's recent codes, then the annotator's latest
    codings in this interview (newest first), known codes only, each once."""
    pool = list(recent)
    if not mine.empty:  # codings come ordered by id, which grows with time: newest last
        pool += mine["code"].tolist()[::-1]
    return [c for c in dict.fromkeys(pool) if c in codebook.codes][:n]


def _selection(document: str) -> dict[str, Any] | None:
    sel = st.session_state.get(SELECTION_KEY)
    return sel if sel and sel.get("document") == document else None


def _set_selection(document: str, start: int, end: int, how: str, **extra: Any) -> None:
    st.session_state[SELECTION_KEY] = {"document": document, "start": start, "end": end, "how": how, **extra}


# ------------------------------------------------------------------------------ callbacks
def _on_transcript_select(document: str) -> None:
    event = selection_event(TRANSCRIPT_KEY)
    if event is None:
        return
    _set_selection(document, event["start"], event["end"], event["how"])
    if event.get("coding_id") is not None:
        st.session_state["qc_edit_coding"] = event["coding_id"]
        st.session_state[PANEL_KEY] = CODINGS_PANEL


def _on_segment_pick(document: str, segments: pd.DataFrame) -> None:
    index = st.session_state.get("qc_segment_pick")
    if index is None or not (0 <= index < len(segments)):
        return
    row = segments.iloc[index]
    _set_selection(document, int(row["start"]), int(row["end"]), "segment")


def _apply(document: str, codes: list[str] | None = None) -> None:
    with state.timed("code.apply"):
        _apply_codes(document, codes)


def _apply_codes(document: str, codes: list[str] | None) -> None:
    project = state.user_project()
    sel = _selection(document)
    codes = list(codes if codes is not None else (st.session_state.get("qc_codes") or []))
    if sel is None:
        state.flash("error", "Select some text first (drag over it, click a sentence, or pick a segment).")
        return
    if not codes:
        state.flash("error", "Choose at least one code to apply.")
        return
    memo = st.session_state.get("qc_memo", "") or ""
    items = [Coding(document, sel["start"], sel["end"], code, project.actor.name, memo, "manual") for code in codes]
    # One transaction for every chosen code: all are stored or none.
    with state.timed("code.apply.write"):
        ids = state.run_action(project.add_codings, items, skip_existing=False)
    if ids is None:
        return
    with state.timed("code.apply.carry"):
        _carry_codings_forward(project, document, ids)
    recent = [c for c in codes] + [c for c in st.session_state.get(RECENT_KEY, []) if c not in codes]
    st.session_state[RECENT_KEY] = recent[:12]
    st.session_state[SELECTION_KEY] = None
    st.session_state["qc_codes"] = []
    st.session_state["qc_memo"] = ""
    st.session_state["qc_segment_pick"] = None
    state.flash("success", f"Coded 1 passage with {codes_sentence(project.codebook, codes)}.", markdown=True)


def _on_key(document: str) -> None:
    """A coding shortcut pressed in the browser: 1-9 apply a recent code, undo undoes."""
    pressed = key_event(TRANSCRIPT_KEY)
    if pressed is None:
        return
    if pressed == "undo":
        _undo()
        return
    shortcut = list(st.session_state.get(SHORTCUT_CODES_KEY) or [])
    number = int(pressed)
    if number > len(shortcut):
        state.flash("warning", f"No recent code number {number} yet: apply a code with the Codes box first.")
        return
    _apply(document, [shortcut[number - 1]])


def _search_step(step: int) -> None:
    st.session_state["qc_search_focus"] = int(st.session_state.get("qc_search_focus", 0)) + step


def _search_changed() -> None:
    st.session_state["qc_search_focus"] = 0


def _undo() -> None:
    project = state.user_project()
    result = state.run_action(project.undo)
    if result is None:
        if not st.session_state.get(state.MESSAGE_KEY):
            state.flash("warning", "Nothing to undo.")
        return
    state.flash("success", result["message"])


def _create_code() -> None:
    project = state.user_project()
    label = (st.session_state.get("qc_new_code_label") or "").strip()
    theme = st.session_state.get("qc_new_code_theme") or UNCATEGORISED
    if not label:
        state.flash("error", "Give the new code a label.")
        return
    code_id = state.slugify(label)
    if (
        state.run_action(project.add_code, code_id, label, theme, success=f"Created code '{label}' ({code_id}).")
        is not None
    ):
        st.session_state["qc_codes"] = list(st.session_state.get("qc_codes") or []) + [code_id]
        st.session_state["qc_new_code_label"] = ""


def _save_coding(coding_id: int, version_code: str | None, version: int | None) -> None:
    """Save an edit made on the version the user saw; a concurrent change gives a Conflict message."""
    project = state.user_project()
    memo = st.session_state.get(f"qc_edit_memo_{coding_id}")
    code = st.session_state.get(f"qc_edit_code_{coding_id}")
    state.run_action(
        project.update_coding,
        coding_id,
        memo=memo,
        expected_version=version,
        code=code if code and code != version_code else None,
        success="Coding saved.",
    )


def _delete_coding(coding_id: int) -> None:
    project = state.user_project()
    if state.run_action(project.delete_coding, coding_id, success="Coding deleted (Undo brings it back).") is None:
        return
    st.session_state.pop("qc_edit_coding", None)


def _decide(suggestion: Any, decision: str, code: str | None = None) -> None:
    """Accept (optionally with another code) or reject a suggestion."""
    project = state.user_project()
    chosen = code or suggestion.code

    # One transaction: the coding and the decision (accepting another code also rejects the suggested one).
    if decision == "accepted":
        state.run_action(
            project.decide_suggestion,
            suggestion.document,
            suggestion.start,
            suggestion.end,
            suggestion.code,
            suggestion.source,
            "accepted",
            chosen_code=chosen,
            memo=suggestion.reason,
            success=f"Accepted: {chosen}.",
        )
    else:
        state.run_action(
            project.decide_suggestion,
            suggestion.document,
            suggestion.start,
            suggestion.end,
            suggestion.code,
            suggestion.source,
            "rejected",
        )


# ------------------------------------------------------------------------------ page
def document_codings(project: Project, document: str, annotators: list[str] | None, version: int) -> pd.DataFrame:
    """``project.document_codings_view(document, annotators)``, kept in this session for the data
    version it was read at (the newest audit id: any write, from any session, changes it), so
    switching back to an interview, coming back to the page or selecting text reads nothing."""
    key = (project.actor, document, tuple(annotators) if annotators is not None else None, version)
    cache: dict[Any, pd.DataFrame] = st.session_state.setdefault(CODINGS_CACHE_KEY, {})
    frame = cache.get(key)
    if frame is None:
        frame = project.document_codings_view(document, annotators)
        for old in [k for k in cache if k[3] != version]:
            del cache[old]  # the data changed since: never asked for again
        while len(cache) >= 4:
            cache.pop(next(iter(cache)))
        cache[key] = frame
    return frame


def _carry_codings_forward(project: Project, document: str, ids: list[int]) -> None:
    """After this session added the codings ``ids``: when nothing else was written since the
    cached frames of ``document`` were read, they become the frames of the new data version with
    the new rows appended (ids only grow: the order by id holds), so the rerun reads two rows,
    not the interview's hundreds.  Anything else written in between (another session, another
    kind of write) leaves the cache alone: the rerun reads the document afresh."""
    cache: dict[Any, pd.DataFrame] = st.session_state.get(CODINGS_CACHE_KEY) or {}
    then = st.session_state.get(VERSION_KEY)
    stale = [k for k in cache if k[0] == project.actor and k[1] == document and k[3] == then]
    if then is None or not stale or not ids:
        return
    now = project.only_codings_added_since(int(then), ids)  # one check for every cached frame
    if now is None:
        return
    for key in stale:
        rows = project.document_codings_by_id(document, ids, list(key[2]) if key[2] is not None else None)
        old = cache.pop(key)
        new = cache[(key[0], key[1], key[2], now)] = rows if old.empty else pd.concat([old, rows], ignore_index=True)
        spans = st.session_state.get(SPANS_CACHE_KEY)
        if spans is not None and spans[0] is old and spans[2] == project.codebook_version:
            added = _span_rows(project.codebook, rows, project.actor.name, spans[1])
            st.session_state[SPANS_CACHE_KEY] = (new, spans[1], spans[2], spans[3] + added)


def interview_labels(project: Project, version: int | None = None) -> dict[str, str]:
    """Document name -> what the interview picker shows: the participant's label, then the file
    name ("Expert (A) · expert_A"); the file name alone when there is no label (kept per data
    version in the session)."""
    version = project.data_version() if version is None else version
    cached = st.session_state.get(LABELS_CACHE_KEY)
    if cached is not None and cached[0] == version:
        return dict(cached[1])
    out = _interview_labels(project, version)
    st.session_state[LABELS_CACHE_KEY] = (version, out)
    return dict(out)


def _interview_labels(project: Project, version: int) -> dict[str, str]:
    out = {}
    for name, pid, label in project.interview_choices():
        label = label if isinstance(label, str) and label.strip() else (pid if isinstance(pid, str) and pid else None)
        out[name] = f"{label} · {name}" if label and label != name else name
    return out


def render() -> None:
    project = state.user_project()
    names = state.documents(project)["document"].tolist()
    if not names:
        st.info(
            "No interviews in this project yet. Add transcripts on the Interviews page "
            "(or put them in the interviews/ folder)."
        )
        return
    # "Open in context" from the Code browser / Codebook page (or /code?document=…&start=…&end=…)
    arrived = arrive_in_context(names, project.actor.name)
    if arrived:
        st.session_state[REVEAL_KEY] = (arrived["document"], int(arrived["start"]), int(arrived["end"]))
    _workspace()


@st.fragment
def _workspace() -> None:
    """The whole page but the open-in-context hook, as one fragment: choosing another interview,
    selecting, applying and searching rerun only this, not the app around it."""
    _workspace_run()


def _workspace_run() -> None:
    with state.timed("code.workspace"):
        project = state.user_project()
        version = project.data_version()  # one read per rerun for the small cached frames
        st.session_state[VERSION_KEY] = version
        labels = interview_labels(project, version)
        names = list(labels)
        if not names:
            st.info("No interviews in this project any more.")
            return
        # One row container, not st.columns: every block on the page is drawn again by the
        # browser on each run (Apply included), and three columns are six blocks.
        with st.container(horizontal=True, vertical_alignment="bottom", gap="medium"):
            # A type-ahead element, not a selectbox: a selectbox drew its thousand options again on
            # each switch of interview (components/picker.py).
            document = picker("Interview", names, key="qc_document", format_func=labels.__getitem__)
            unit = st.selectbox(
                "A click selects a",
                SEGMENT_KINDS,
                key="qc_unit",
                help="Click in the text to select the whole sentence, paragraph or turn.",
                width=220,
            )
            visible = project.visible_annotators()
            show_others = False
            if visible is None:
                show_others = st.toggle(
                    "Show other annotators", key="qc_show_others", help="Highlight everyone's codings, not only yours."
                )
            else:
                st.caption("Blind coding: only your own codings are shown.", width="content")
        if document is None:
            return
    _coding_zone(document, unit, show_others)


@st.fragment
def _coding_zone(document: str, unit: str, show_others: bool) -> None:
    """The find box, the transcript and the panels beside it: a fragment inside the page's, so
    selecting, applying, undoing, searching and editing rerun only this.  The picker row above
    (every interview's label: a thousand on a big project) is not drawn and sent again on each
    Apply; choosing another interview, unit or view reruns the page's fragment, and this with it."""
    with state.timed("code.zone"):
        project = state.user_project()
        st.session_state[VERSION_KEY] = project.data_version()
        _workspace_body(project, document, unit, show_others)


def span_rows(project: Project, codings: pd.DataFrame, show_others: bool) -> list[list[Any]]:
    """The highlights of ``codings`` (:func:`_span_rows`), kept in the session for that frame
    object (the codings cache hands out the same one until the data change): a selection or a
    search reruns the page without building them again; an Apply extends them
    (:func:`_carry_codings_forward`)."""
    cached = st.session_state.get(SPANS_CACHE_KEY)
    if cached is not None and cached[0] is codings and cached[1:3] == (show_others, project.codebook_version):
        return cached[3]
    rows = _span_rows(project.codebook, codings, project.actor.name, show_others)
    st.session_state[SPANS_CACHE_KEY] = (codings, show_others, project.codebook_version, rows)
    return rows


def _span_rows(codebook: Codebook, codings: pd.DataFrame, actor_name: str, show_others: bool) -> list[list[Any]]:
    """``[start, end, colour, label, coding_id, memo]`` per coding: plain columns and one
    colour/label look-up per code (a per-row pandas access was a third of each rerun)."""
    colours: dict[str, str] = {}
    labels: dict[str, str] = {}
    rows = []
    for start, end, code, annotator, cid, memo in zip(
        codings["start"].tolist(),
        codings["end"].tolist(),
        codings["code"].tolist(),
        codings["annotator"].tolist(),
        codings["coding_id"].tolist(),
        codings["memo"].tolist(),
    ):
        if code not in colours:
            colours[code] = code_colour(codebook, code)
            labels[code] = code_label(codebook, code)
        label = labels[code] if not show_others or annotator == actor_name else f"{annotator}: {labels[code]}"
        note = memo if isinstance(memo, str) else ""
        rows.append([start, end, colours[code], label, cid, note[:300]])
    return rows


def _segments_of(doc: dict[str, Any], unit: str) -> pd.DataFrame:
    """The document's segments of one kind (kept in the cached document: computed once)."""
    by_unit: dict[str, pd.DataFrame] = doc.setdefault("by_unit", {})
    if unit not in by_unit:
        segments_all: pd.DataFrame = doc["segments"]
        by_unit[unit] = segments_all.loc[segments_all["kind"] == unit].reset_index(drop=True)
    return by_unit[unit]


def _search_bar(text: str) -> dict[str, Any] | None:
    """The find box above the transcript: hits highlighted, the current one scrolled to."""
    # One row: the box, and the hit count and arrows only while there is a query (every block
    # and element is drawn again on each Apply: no placeholders, no columns).
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    query = row.text_input(
        "Find in this interview",
        key="qc_search",
        placeholder="Find in this interview ( / )",
        label_visibility="collapsed",
        on_change=_search_changed,
    )
    if not (query or "").strip():
        st.session_state["qc_search_focus"] = 0
        return None
    hits = search_hits(text, query or "")
    if not hits:
        row.caption("No matches", width="content")
        return {"query": query, "hits": [], "focus": -1}
    focus = int(st.session_state.get("qc_search_focus", 0)) % len(hits)
    st.session_state["qc_search_focus"] = focus
    more = "+" if len(hits) >= MAX_SEARCH_HITS else ""
    with row:
        st.caption(f"{focus + 1} of {len(hits)}{more} {'match' if len(hits) == 1 else 'matches'}", width="content")
        st.button(":material/keyboard_arrow_up:", key="qc_search_prev", on_click=_search_step, args=(-1,))
        st.button(":material/keyboard_arrow_down:", key="qc_search_next", on_click=_search_step, args=(1,))
    return {"query": query, "hits": [list(h) for h in hits], "focus": focus}


def _workspace_body(project: Project, document: str, unit: str, show_others: bool) -> None:
    actor = project.actor
    doc = state.cached_document(project, document)
    if doc is None:
        st.warning("This interview was removed; pick another one.")
        return
    annotators = None if show_others else [actor.name]
    try:
        codings = document_codings(project, document, annotators, st.session_state[VERSION_KEY])
    except QualcodeError as exc:
        state.show_error(exc)
        return
    mine = codings.loc[codings["annotator"] == actor.name]
    segments = _segments_of(doc, unit)
    sel = _selection(document)
    reveal = st.session_state.get(REVEAL_KEY)
    if reveal and reveal[0] != document:
        reveal = None

    left, right = st.columns([3, 2], gap="medium")
    with left:
        search = _search_bar(doc["text"])
        with state.timed("code.transcript"):
            transcript_view(
                document=document,
                text=doc["text"],
                text_key=f"{document}:{doc['sha']}",
                segments_key=f"{document}:{doc['sha']}:{unit}",
                spans=span_rows(project, codings, show_others),
                segments=lambda: segments[["start", "end"]].to_numpy().tolist(),
                selection=(sel["start"], sel["end"]) if sel else None,
                on_select=lambda: _on_transcript_select(document),
                on_key=lambda: _on_key(document),
                search=search,
                reveal=[reveal[1], reveal[2]] if reveal else None,
                shortcuts=True,
                language=doc["language"],
            )
    with right, state.timed("code.panels"):
        _progress(segments, mine, unit)
        _coding_panel(project, document, doc["text"], sel, segments, mine)
        _panels(project, document, doc, codings, sel)


def _panels(
    project: Project, document: str, doc: dict[str, Any], codings: pd.DataFrame, sel: dict[str, Any] | None
) -> None:
    """One control for the panels, not an expander each: every block on the page is drawn
    again on each run (Apply included), and four closed expanders were twelve of them.  Only
    the open panel is drawn."""
    panel = st.pills("Panels", PANELS, key=PANEL_KEY, label_visibility="collapsed", width="content", on_change="rerun")
    if panel is None:
        return
    with st.container(border=True, key="qc_panel_box"):
        if panel == CODINGS_PANEL:
            _edit_panel(project, document, codings, sel)
        elif panel == "Participant":
            _participant_panel(project, doc)
        elif panel == "Suggestions":
            _suggestions_panel(project, document, doc, codings)
        else:
            _new_code_form(project, project.codebook)


def _progress(segments: pd.DataFrame, mine: pd.DataFrame, unit: str) -> None:
    if segments.empty:
        st.caption(f"This interview has no {unit} segments.")
        return
    coded, total = segment_progress(segments, mine)
    st.progress(coded / total, text=f"Your progress: {coded} of {total} {unit}s coded, {total - coded} uncoded")


def _coding_panel(
    project: Project, document: str, text: str, sel: dict[str, Any] | None, segments: pd.DataFrame, mine: pd.DataFrame
) -> None:
    codebook = project.codebook
    with st.container(border=True):
        _selection_info(text, sel)
        shortcut = recent_codes(codebook, list(st.session_state.get(RECENT_KEY, [])), mine)
        st.session_state[SHORTCUT_CODES_KEY] = shortcut
        _codes_and_buttons(codebook, document, ordered_codes(codebook, shortcut))
        # Actions in this fragment report here (the fragment reruns alone); the container is
        # drawn only when there is a message.
        if state.has_flashes():
            with st.container(key="qc_messages"):
                state.show_flashes()
        _shortcut_legend(codebook, shortcut)
        _keyboard_select(document, text, segments)


def _selection_info(text: str, sel: dict[str, Any] | None) -> None:
    # A fixed height: a long or short selection does not move what is below it.
    with st.container(key="qc_selection_info", height=SELECTION_INFO_HEIGHT, border=False):
        if sel:
            st.markdown(f"**Selected** {sel['start']}–{sel['end']} ({sel['end'] - sel['start']} characters)")
            st.text(_preview(text[sel["start"] : sel["end"]], 400))
        else:
            st.markdown("**Select text** — drag over it, click a sentence, or pick a segment below.")


def _codes_and_buttons(codebook: Codebook, document: str, options: list[str]) -> None:
    # Apply and Undo sit beside the Codes box, top-aligned, not below it: the box grows
    # and shrinks with the chips and the typing line, and leaving it (pressing the mouse
    # on Apply) shrinks it; a button below moved between mouse-down and mouse-up and the
    # click was lost.  Messages come after the buttons for the same reason.
    # Two row containers (five blocks as columns); the rows' buttons have one width.
    with st.container(horizontal=True, vertical_alignment="top", gap="small"):
        # on_change="ignore": choosing codes or typing a memo costs no rerun; the values
        # travel with the Apply click.  No "select all matches" entry: Enter must pick one code.
        st.multiselect(
            "Codes",
            options,
            key="qc_codes",
            format_func=lambda c: code_option_label(codebook, c),
            placeholder="Codes: type a code's name …",
            select_all=False,
            filter_mode="contains",
            on_change="ignore",
            label_visibility="collapsed",
        )
        # No help= on buttons here: a tooltip makes Streamlit draw the button twice, and
        # tests and benchmarks click ".st-key-<key> button".
        st.button("Apply", key="qc_apply", type="primary", on_click=_apply, args=(document,), width=BUTTON_WIDTH)
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        st.text_input("Memo (optional)", key="qc_memo", on_change="ignore")
        st.button("Undo", key="qc_undo", on_click=_undo, width=BUTTON_WIDTH)


def _keyboard_select(document: str, text: str, segments: pd.DataFrame) -> None:
    if st.toggle(
        "Select without the mouse",
        key="qc_keyboard_select",
        help="Pick a sentence, paragraph or turn from a list (keyboard, screen readers).",
    ):
        labels = segment_labels(text, segments)
        st.selectbox(
            f"Segment ({len(segments)})",
            list(range(len(segments))),
            index=None,
            key="qc_segment_pick",
            format_func=labels.__getitem__,
            on_change=_on_segment_pick,
            args=(document, segments),
        )


def _new_code_form(project: Project, codebook: Codebook) -> None:
    if not project.actor.at_least("supervisor"):
        st.caption("Only supervisors change the codebook; ask one to add the code.")
        return
    themes = list(codebook.themes)
    st.text_input("Label", key="qc_new_code_label")
    st.selectbox(
        "Under theme",
        themes or [UNCATEGORISED],
        key="qc_new_code_theme",
        format_func=lambda t: codebook.themes[t].label if t in codebook.themes else t,
        index=themes.index(UNCATEGORISED) if UNCATEGORISED in themes else 0,
    )
    st.button("Create code", key="qc_create_code", on_click=_create_code)


def _shortcut_legend(codebook: Codebook, shortcut: list[str]) -> None:
    """A small legend of the coding keys, with the recent codes they apply."""
    with st.container(key="qc_shortcuts"):
        if shortcut:
            numbered = " · ".join(
                f"**{i + 1}** {state.escape_md(code_label(codebook, c))}" for i, c in enumerate(shortcut)
            )
            st.caption(f":material/keyboard: Keys (with text selected): {numbered} · **U** undo · **/** find")
        else:
            st.caption(
                ":material/keyboard: Keys: once you have applied codes, **1**–**9** apply them again "
                "(**1** the last one) · **U** undo · **/** find"
            )


def segment_labels(text: str, segments: pd.DataFrame, limit: int = 80) -> list[str]:
    """ "n: first words" for each segment (plain ints: no per-row pandas access)."""
    starts, ends = segments["start"].tolist(), segments["end"].tolist()
    return [
        f"{i + 1}: {_preview(text[s : min(e, s + 4 * limit)], limit)}" for i, (s, e) in enumerate(zip(starts, ends))
    ]


def _preview(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _edit_panel(project: Project, document: str, codings: pd.DataFrame, sel: dict[str, Any] | None) -> None:
    codebook = project.codebook
    editable = _editable_codings(project, codings, sel)
    at_selection = " at the selection" if sel and len(editable) < len(codings) else ""
    if editable.empty:
        st.caption("No codings here yet.")
        return
    st.caption(f"{len(editable)} {'coding' if len(editable) == 1 else 'codings'}{at_selection} you may edit.")
    chosen = _coding_picker(codebook, editable)
    if chosen is not None:
        _coding_form(project, codebook, editable, chosen)


def _editable_codings(project: Project, codings: pd.DataFrame, sel: dict[str, Any] | None) -> pd.DataFrame:
    """The codings this user may edit, narrowed to those at the selection when there are any."""
    actor = project.actor
    editable = (
        codings if actor.at_least("supervisor") or actor.local else codings.loc[codings["annotator"] == actor.name]
    )
    if sel:
        overlapping = editable.loc[(editable["start"] < sel["end"]) & (editable["end"] > sel["start"])]
        if not overlapping.empty:
            editable = overlapping
    return editable


def _coding_picker(codebook: Codebook, editable: pd.DataFrame) -> Any:
    """The "Coding" picker (the newest few when there are many); returns the chosen coding id."""
    ids = editable["coding_id"].tolist()
    codes_, quotes = editable["code"].tolist(), editable["quote"].tolist()
    chosen = st.session_state.get("qc_edit_coding")
    if chosen not in ids:
        st.session_state["qc_edit_coding"] = chosen = None
    if len(ids) > MAX_EDIT_OPTIONS:
        # The newest only (and the one chosen): a list of hundreds is no help and costs every rerun.
        keep = set(ids[-MAX_EDIT_OPTIONS:]) | {chosen}
        rows = [(i, c, q) for i, c, q in zip(ids, codes_, quotes) if i in keep][::-1]
        st.caption(
            f"The {MAX_EDIT_OPTIONS} newest of {len(ids)}: select text or click a margin label to find the others."
        )
    else:
        rows = list(zip(ids, codes_, quotes))
    # One pass over plain columns: a DataFrame.at lookup per option made this list a third
    # of each rerun on a transcript with hundreds of codings.
    option_labels = {i: f"{code_label(codebook, code)} · {_preview(str(quote), 50)}" for i, code, quote in rows}
    st.selectbox(
        "Coding",
        [r[0] for r in rows],
        key="qc_edit_coding",
        index=None,
        placeholder="Choose a coding to edit",
        format_func=option_labels.__getitem__,
    )
    return st.session_state.get("qc_edit_coding")


def _coding_form(project: Project, codebook: Codebook, editable: pd.DataFrame, chosen: Any) -> None:
    """Code, memo, Save and Delete for the chosen coding."""
    row = editable.loc[editable["coding_id"] == chosen].iloc[0]
    st.caption(state.escape_md(f"{row['annotator']} · {row['origin']} · {row['start']}–{row['end']}"))
    codes = list(codebook.codes)
    current = row["code"]
    st.selectbox(
        "Code",
        codes,
        index=codes.index(current) if current in codes else None,
        key=f"qc_edit_code_{chosen}",
        format_func=lambda c: code_option_label(codebook, c),
    )
    st.text_area("Memo", value=str(row["memo"] or ""), key=f"qc_edit_memo_{chosen}")
    cols = st.columns(2)
    stored = project.coding(int(chosen)) or {}
    cols[0].button(
        "Save", key="qc_edit_save", on_click=_save_coding, args=(int(chosen), current, stored.get("version"))
    )
    cols[1].button("Delete", key="qc_edit_delete", on_click=_delete_coding, args=(int(chosen),))


def _participant_panel(project: Project, doc: dict[str, Any]) -> None:
    pid = doc.get("participant")
    rows: list[tuple[str, str]] = []
    if pid is not None:
        frame = state.participants(project, st.session_state.get(VERSION_KEY))
        match = frame.loc[frame["participant"] == pid]
        if not match.empty:
            for key, value in match.iloc[0].items():
                if value is not None and not (isinstance(value, float) and pd.isna(value)) and value != "":
                    rows.append((str(key), str(value)))
    for key, value in (doc.get("metadata") or {}).items():
        if key not in dict(rows) and isinstance(value, (str, int, float)):
            rows.append((str(key), str(value)))
    if rows:
        st.markdown("  \n".join(f"**{state.escape_md(k)}**: {state.escape_md(v)}" for k, v in rows))
    else:
        st.caption("No participant details recorded.")


# ------------------------------------------------------------------------------ suggestions
def _document_data(project: Project, document: str, doc: dict[str, Any], codings: pd.DataFrame) -> AnalysisData:
    """An AnalysisData holding only this document (assistants need no more to suggest for it)."""
    docs = state.documents(project)
    return AnalysisData(
        codebook=project.codebook,
        participants=state.participants(project),
        documents=docs.loc[docs["document"] == document].reset_index(drop=True),
        segments=doc["segments"],
        codings=codings.reset_index(drop=True),
        texts={document: doc["text"]},
    )


def _suggestions_panel(project: Project, document: str, doc: dict[str, Any], codings: pd.DataFrame) -> None:
    try:
        from ...assist import SuggestionModel  # noqa: F401  (scikit-learn and spaCy present)
    except ImportError as exc:
        st.info(f"Suggestions are not available in this installation ({exc}).")
        return
    found: dict[str, list[Any]] = st.session_state.setdefault(SUGGESTIONS_KEY, {})
    _ask_for_suggestions(project, document, doc, codings, found)
    suggestions = found.get(document)
    if suggestions is None:
        st.caption("Ask for suggestions; accept, change or reject each one.")
        return
    open_ = undecided(project, suggestions)
    st.caption(f"{len(open_)} open suggestion(s) of {len(suggestions)}.")
    for i, sg in enumerate(open_[:MAX_SUGGESTIONS_SHOWN]):
        _suggestion_card(project.codebook, doc["text"], i, sg)


def _ask_for_suggestions(
    project: Project, document: str, doc: dict[str, Any], codings: pd.DataFrame, found: dict[str, list[Any]]
) -> None:
    """The two buttons; what they find is kept per interview in ``found``."""
    from ...assist import SuggestionModel, pattern_suggestions, suggestions_from_frame

    actor = project.actor
    mine = codings.loc[codings["annotator"] == actor.name]
    cols = st.columns(2)
    st.caption(
        "Patterns: sentences matching the codebook's patterns. Model: learns from the codings you "
        "may see and suggests codes for sentences you have not coded."
    )
    if cols[0].button("Pattern suggestions", key="qc_suggest_patterns"):
        with state.user_errors():
            frame = pattern_suggestions(
                _document_data(project, document, doc, mine), annotator=actor.name, documents=[document]
            )
            found[document] = suggestions_from_frame(frame)
    if cols[1].button("Model suggestions", key="qc_suggest_model"):
        with state.user_errors(), st.spinner("Training on the coded sentences …"):
            model = SuggestionModel(seed=0).fit(state.cached_analysis(project))
            frame = model.suggest(
                _document_data(project, document, doc, mine),
                annotator=actor.name,
                top_k=1,
                documents=[document],
                order="uncertainty",
            )
            found[document] = suggestions_from_frame(frame)


def _suggestion_card(codebook: Codebook, text: str, i: int, sg: Any) -> None:
    """One open suggestion: the passage, why, and accept / reject / accept with another code."""
    with st.container(border=True):
        st.markdown(f"**{state.escape_md(code_label(codebook, sg.code))}** · {sg.source} · {sg.score:.2f}")
        st.text(_preview(text[sg.start : sg.end], 300))
        st.caption(state.escape_md(sg.reason))
        c = st.columns([1, 1, 2])
        c[0].button("Accept", key=f"qc_sg_accept_{i}", on_click=_decide, args=(sg, "accepted"))
        c[1].button("Reject", key=f"qc_sg_reject_{i}", on_click=_decide, args=(sg, "rejected"))
        other = c[2].selectbox(
            "Other code",
            list(codebook.codes),
            index=None,
            key=f"qc_sg_other_{i}",
            label_visibility="collapsed",
            placeholder="Accept with another code …",
            format_func=lambda x: code_option_label(codebook, x),
        )
        if other:
            st.button("Accept with this code", key=f"qc_sg_change_{i}", on_click=_decide, args=(sg, "accepted", other))
