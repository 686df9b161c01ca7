"""The transcript view: one element showing a whole interview with its codings highlighted.

Security: participant text is untrusted.  The JavaScript below only ever puts it into the page
as DOM *text nodes* (``document.createTextNode`` / ``textContent``); no string coming from
Python is parsed as HTML, so a transcript containing ``<script>`` or ``<img onerror=…>`` is
shown literally and runs nothing.

Offsets: Python (and the database) count Unicode code points; JavaScript strings are UTF-16.
The component converts in both directions (astral characters such as emoji are two UTF-16
units but one code point), so ``{start, end}`` sent back are code points, end exclusive.

Events sent to Python (one trigger value, ``select``)::

    {"start": int, "end": int, "how": "mouse"}             # a dragged selection
    {"start": int, "end": int, "how": "segment", "at": i}  # a click: the segment around i
    {"start": int, "end": int, "how": "coding", "coding_id": n}  # a click on a margin label

Stable selectors for browser tests and benchmarks: the element container has the CSS class
``st-key-qc_transcript``; inside it ``[data-testid=qc-transcript]`` (attributes
``data-ready="1"``, ``data-document``, ``data-codings`` = number of highlighted codings,
``data-selection`` = the pending selection "start-end" drawn, or ""),
``[data-testid=qc-transcript-text]`` (the text, and nothing else), ``mark.qc-hl`` (highlighted
chunks, ``data-coding-ids``) and ``[data-testid=qc-margin-label]`` (``data-coding-id``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

TRANSCRIPT_KEY = "qc_transcript"

_CSS = """
.qc-root { font-family: var(--st-font, sans-serif); }
.qc-scroll { position: relative; overflow-y: auto; border: 1px solid rgba(128,128,128,.35);
  border-radius: .5rem; background: var(--st-background-color, #fff); }
.qc-body { position: relative; display: flex; gap: .75rem; padding: .75rem; }
.qc-text { flex: 1 1 auto; min-width: 0; white-space: pre-wrap; word-wrap: break-word;
  line-height: 1.65; font-size: 1rem; cursor: text; color: var(--st-text-color, #222); }
.qc-margin { position: relative; flex: 0 0 11rem; }
.qc-hl { color: inherit; border-radius: 2px; padding: 0; }
.qc-hl.qc-multi { border-bottom: 2px solid rgba(0,0,0,.55); }
.qc-overlay { position: absolute; left: 0; top: 0; width: 0; height: 0; pointer-events: none; }
.qc-pending { outline: 1px dashed #d62728; background-color: rgba(214,39,40,.15); }
.qc-label { position: absolute; left: 0; right: 0; font-size: .75rem; line-height: 1.2;
  padding: 1px 4px; border-left: 4px solid #888; background: rgba(128,128,128,.10);
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; cursor: pointer; border-radius: 2px; }
.qc-label:hover { background: rgba(128,128,128,.25); }
"""

_JS = r"""
function toCodePoints(str) {            // number of code points in a JS (UTF-16) string
  let n = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < str.length) {
      const d = str.charCodeAt(i + 1);
      if (d >= 0xDC00 && d <= 0xDFFF) i++;
    }
    n++;
  }
  return n;
}

function cpToUnitTable(text) {          // code point index -> UTF-16 index (length cp+1)
  const table = [];
  let i = 0;
  while (i < text.length) {
    table.push(i);
    const c = text.charCodeAt(i);
    i += (c >= 0xD800 && c <= 0xDBFF && i + 1 < text.length) ? 2 : 1;
  }
  table.push(text.length);
  return table;
}

function withAlpha(color, alpha) {
  if (typeof color === "string" && /^#[0-9a-fA-F]{6}$/.test(color)) return color + alpha;
  return "rgba(255, 200, 0, 0.35)";
}

function pendingOverlay(state, pending) {
  // Draw the pending selection as boxes over the text (no change to the text's DOM).
  state.overlay.replaceChildren();
  state.root.dataset.selection = "";
  if (!pending) return;
  const a = Math.max(0, Math.min(state.nCp, pending[0] | 0)), b = Math.max(0, Math.min(state.nCp, pending[1] | 0));
  if (b <= a) return;
  const pointAt = (cp) => {            // code point offset -> (text node, UTF-16 offset)
    const nodes = state.nodes;
    let lo = 0, hi = nodes.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (nodes[mid].cp <= cp) lo = mid; else hi = mid - 1; }
    const entry = nodes[lo];
    const local = state.units[cp] - state.units[entry.cp];
    return [entry.node, Math.min(local, entry.node.data.length)];
  };
  const range = document.createRange();
  const [sn, so] = pointAt(a), [en, eo] = pointAt(b);
  range.setStart(sn, so);
  range.setEnd(en, eo);
  const base = state.body.getBoundingClientRect();
  const frag = document.createDocumentFragment();
  for (const r of range.getClientRects()) {
    if (r.width < 1) continue;
    const box = document.createElement("div");
    box.className = "qc-pending";
    box.style.cssText = `position:absolute;pointer-events:none;left:${r.left - base.left}px;top:${r.top - base.top}px;width:${r.width}px;height:${r.height}px;`;
    frag.appendChild(box);
  }
  state.overlay.appendChild(frag);
  state.root.dataset.selection = a + "-" + b;
}

export default function (component) {
  const t0 = performance.now();
  const { data, setTriggerValue, parentElement } = component;
  const d = data || {};
  const text = typeof d.text === "string" ? d.text : "";
  const spans = Array.isArray(d.spans) ? d.spans : [];        // [start, end, color, label, id]
  const segments = Array.isArray(d.segments) ? d.segments : []; // [start, end]
  const pending = Array.isArray(d.selection) ? d.selection : null;
  const signature = JSON.stringify([d.document || "", text.length, spans, segments.length, d.height || 0]);

  let root = parentElement.querySelector(".qc-root");
  const previous = root && root.__qcState;
  if (previous && previous.signature === signature && previous.text === text) {
    // Same text and codings: only the pending selection changed (the common case while coding).
    previous.setTriggerValue = setTriggerValue;
    previous.attach();
    pendingOverlay(previous, pending);
    return previous.detach;
  }
  if (parentElement.__qcCleanup) { parentElement.__qcCleanup(); parentElement.__qcCleanup = null; }
  let scrollTop = 0;
  if (root) {
    const old = root.querySelector(".qc-scroll");
    if (old && root.dataset.document === String(d.document || "")) scrollTop = old.scrollTop;
  } else {
    root = document.createElement("div");
    root.className = "qc-root";
    parentElement.appendChild(root);
  }
  root.setAttribute("data-testid", "qc-transcript");
  root.dataset.ready = "0";
  root.dataset.document = String(d.document || "");

  const scroll = document.createElement("div");
  scroll.className = "qc-scroll";
  scroll.style.maxHeight = (d.height || 640) + "px";
  const body = document.createElement("div");
  body.className = "qc-body";
  const textRoot = document.createElement("div");
  textRoot.className = "qc-text";
  textRoot.setAttribute("data-testid", "qc-transcript-text");
  textRoot.setAttribute("lang", String(d.language || ""));
  const margin = document.createElement("div");
  margin.className = "qc-margin";
  const overlay = document.createElement("div");
  overlay.className = "qc-overlay";
  body.appendChild(textRoot);
  body.appendChild(margin);
  body.appendChild(overlay);
  scroll.appendChild(body);

  // ---- chunks: maximal runs of text covered by the same set of codings --------------------
  const units = cpToUnitTable(text);
  const nCp = units.length - 1;
  const clamp = (x) => Math.max(0, Math.min(nCp, x | 0));
  const items = [];
  spans.forEach((s) => {
    const a = clamp(s[0]), b = clamp(s[1]);
    if (b > a) items.push({ start: a, end: b, color: s[2], label: String(s[3] || ""), id: s[4] });
  });
  const cuts = new Set([0, nCp]);
  items.forEach((it) => { cuts.add(it.start); cuts.add(it.end); });
  const bounds = Array.from(cuts).sort((x, y) => x - y);
  const byStart = items.slice().sort((x, y) => x.start - y.start);
  const firstMark = new Map();
  const nodes = [];                      // every text node with its code point start
  let active = [];
  let next = 0;
  for (let k = 0; k + 1 < bounds.length; k++) {
    const a = bounds[k], b = bounds[k + 1];
    active = active.filter((it) => it.end > a);
    while (next < byStart.length && byStart[next].start <= a) {
      if (byStart[next].end > a) active.push(byStart[next]);
      next++;
    }
    const node = document.createTextNode(text.slice(units[a], units[b]));
    nodes.push({ node: node, cp: a });
    if (!active.length) { textRoot.appendChild(node); continue; }
    const mark = document.createElement("mark");
    mark.className = "qc-hl";
    mark.appendChild(node);
    mark.style.backgroundColor = withAlpha(active[active.length - 1].color, "55");
    mark.title = active.map((it) => it.label).join(" · ");
    mark.dataset.codingIds = active.map((it) => it.id).join(",");
    if (active.length > 1) mark.classList.add("qc-multi");
    active.forEach((it) => { if (!firstMark.has(it.id)) firstMark.set(it.id, mark); });
    textRoot.appendChild(mark);
  }
  if (!nodes.length) { const empty = document.createTextNode(""); textRoot.appendChild(empty); nodes.push({ node: empty, cp: 0 }); }
  root.replaceChildren(scroll);
  const state = { signature, text, root, body, overlay, nodes, units, nCp, setTriggerValue };
  root.__qcState = state;

  // ---- margin labels beside the first chunk of each coding: read layout once, write once ----
  const placeLabels = () => {
    const list = items.sort((x, y) => x.start - y.start || x.end - y.end).filter((it) => firstMark.has(it.id));
    const tops = list.map((it) => firstMark.get(it.id).offsetTop);   // one layout pass
    const probe = document.createElement("div");
    probe.className = "qc-label";
    probe.textContent = "Xg";
    margin.appendChild(probe);
    const height = probe.offsetHeight || 16;
    margin.removeChild(probe);
    const frag = document.createDocumentFragment();
    let bottom = -Infinity;
    list.forEach((it, i) => {
      const label = document.createElement("div");
      label.className = "qc-label";
      label.setAttribute("data-testid", "qc-margin-label");
      label.dataset.codingId = String(it.id);
      label.textContent = it.label;
      label.title = it.label;
      label.style.borderLeftColor = (typeof it.color === "string" && /^#[0-9a-fA-F]{6}$/.test(it.color)) ? it.color : "#888";
      const top = Math.max(tops[i], bottom + 2);
      label.style.top = top + "px";
      label.addEventListener("click", () => {
        state.setTriggerValue("select", { start: it.start, end: it.end, how: "coding", coding_id: it.id });
      });
      frag.appendChild(label);
      bottom = top + height;
    });
    margin.appendChild(frag);
    margin.style.minHeight = Math.max(0, bottom) + "px";
    scroll.scrollTop = scrollTop;
    pendingOverlay(state, pending);
    root.dataset.codings = String(list.length);
    root.dataset.renderMs = String(Math.round(performance.now() - t0));  // build + layout, for benchmarks
    root.dataset.ready = "1";
  };

  // ---- selection -> code points --------------------------------------------------------------
  const offsetOf = (node, offset) => {
    if (!textRoot.contains(node)) {
      // Dragged past the text: clamp to its start or end.
      const pos = textRoot.compareDocumentPosition(node);
      return (pos & Node.DOCUMENT_POSITION_PRECEDING) ? 0 : nCp;
    }
    const range = document.createRange();
    range.setStart(textRoot, 0);
    range.setEnd(node, offset);
    return toCodePoints(range.toString());
  };
  const segmentAround = (at) => {
    let lo = 0, hi = segments.length - 1;   // segments are sorted by start
    while (lo <= hi) {
      const mid = (lo + hi) >> 1, s = segments[mid];
      if (at < s[0]) hi = mid - 1; else if (at >= s[1]) lo = mid + 1; else return s;
    }
    for (const s of segments) { if (s[0] <= at && at < s[1]) return s; }
    return null;
  };
  const onMouseUp = () => {
    const sel = document.getSelection();
    if (!sel || sel.rangeCount === 0) return;
    const range = sel.getRangeAt(0);
    if (!textRoot.contains(range.commonAncestorContainer) && !range.intersectsNode(textRoot)) return;
    let start = offsetOf(range.startContainer, range.startOffset);
    let end = offsetOf(range.endContainer, range.endOffset);
    if (start > end) [start, end] = [end, start];
    if (end > start) {
      state.setTriggerValue("select", { start: start, end: end, how: "mouse" });
      return;
    }
    if (!textRoot.contains(range.startContainer)) return;
    const seg = segmentAround(start);
    if (seg) state.setTriggerValue("select", { start: seg[0], end: seg[1], how: "segment", at: start });
  };
  textRoot.addEventListener("mouseup", onMouseUp);
  // A drag may end outside the text; listen on the document too (removed by the cleanup).
  const onDocMouseUp = (ev) => { if (!root.contains(ev.target)) { onMouseUp(); } };
  state.attach = () => { document.removeEventListener("mouseup", onDocMouseUp); document.addEventListener("mouseup", onDocMouseUp); };
  state.detach = () => { document.removeEventListener("mouseup", onDocMouseUp); };
  state.attach();
  requestAnimationFrame(placeLabels);
  parentElement.__qcCleanup = state.detach;
  return state.detach;
}
"""

_component = st.components.v2.component("qualcode_transcript", css=_CSS, js=_JS, isolate_styles=False)


def transcript_view(
    *,
    document: str,
    text: str,
    spans: Sequence[Sequence[Any]],
    segments: Sequence[Sequence[int]],
    selection: tuple[int, int] | None,
    on_select: Callable[[], None],
    language: str = "",
    height: int = 640,
    key: str = TRANSCRIPT_KEY,
) -> Any:
    """Mount the transcript view.

    ``spans`` are ``[start, end, colour, label, coding_id]`` (code points); ``segments``
    the ``[start, end]`` a click selects; ``selection`` the pending span drawn with a dashed
    outline.  ``on_select`` runs (before the rerun) when the user selects something: read
    the event with :func:`selection_event`.
    """
    data = {
        "document": document,
        "text": text,
        "spans": [list(s) for s in spans],
        "segments": [list(s) for s in segments],
        "language": language,
        "height": height,
        "selection": list(selection) if selection else None,
    }
    return _component(key=key, data=data, on_select_change=on_select, height="content")


def selection_event(key: str = TRANSCRIPT_KEY) -> dict[str, Any] | None:
    """The ``select`` event of the last interaction (inside ``on_select``), validated."""
    state = st.session_state.get(key)
    value = None
    if state is not None:
        try:
            value = state.get("select") if hasattr(state, "get") else getattr(state, "select", None)
        except (AttributeError, KeyError, TypeError):  # a state that is not a mapping: no event
            value = None
    if not isinstance(value, dict):
        return None
    try:
        start, end = int(value["start"]), int(value["end"])
    except (KeyError, TypeError, ValueError):
        return None
    if start < 0 or end <= start:
        return None
    event: dict[str, Any] = {"start": start, "end": end, "how": str(value.get("how", "mouse"))}
    if value.get("coding_id") is not None:
        try:
            event["coding_id"] = int(value["coding_id"])
        except (TypeError, ValueError):
            pass
    return event
