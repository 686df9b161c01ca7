"""The transcript view: one element showing a whole interview with its codings highlighted.

Security: participant text is untrusted.  The JavaScript below only ever puts it into the page
as DOM *text nodes* (``document.createTextNode`` / ``textContent``); no string coming from
Python is parsed as HTML, so a transcript containing ``<script>`` or ``<img onerror=…>`` is
shown literally and runs nothing.

Offsets: Python (and the database) count Unicode code points; JavaScript strings are UTF-16.
The component converts in both directions (astral characters such as emoji are two UTF-16
units but one code point), so ``{start, end}`` sent back are code points, end exclusive.

Events sent to Python (trigger values)::

    select: {"start": int, "end": int, "how": "mouse"}             # a dragged selection
    select: {"start": int, "end": int, "how": "segment", "at": i}  # a click: the segment around i
    select: {"start": int, "end": int, "how": "coding", "coding_id": n}  # a click on a margin label
    key:    {"key": "1".."9" | "undo", "n": count}   # a coding shortcut (focus not in a text box)
    need:   {"text": bool, "segments": bool, "spans": bool}  # the browser lost its copy: send it again

Speed: the browser keeps the texts, segments and sets of highlights it was sent (per tab, by
``text_key`` / ``segments_key`` / ``spans_key``, the last 8 used; the server counts the last 6
as held), so a rerun that changes no highlight (a selection, a search, coming back to the page,
switching back to an interview shown before) sends none of them and the browser diffs nothing,
and a changed set of highlights redraws only the chunks of text around the codings that changed
(a 20,000-word transcript with 900 highlights was rebuilt whole on every Apply).  Lines off screen are not laid out
(``content-visibility: auto`` on sections of 24 lines, each with a height estimated from its
lines' lengths until it has been shown once), and the margin label of a coding in such a section
is placed by the section's top, not by measuring its highlight: going back to the Code page laid
out all 20,000 words (~200 ms).  Only the margin labels within a screen and a half of the view
are displayed (the others are ``display: none``, shown as the text scrolls): putting back a
transcript with a thousand labels laid them all out (~70 ms of the ~90 ms it took).

Stable selectors for browser tests and benchmarks: the element container has the CSS class
``st-key-qc_transcript``; inside it ``[data-testid=qc-transcript]`` (attributes
``data-ready="1"``, ``data-document``, ``data-codings`` = number of highlighted codings,
``data-selection`` = the pending selection "start-end" drawn, or ""),
``data-search-hits`` / ``data-search-focus`` = the find box's hits and the current one,
``data-memos`` = highlighted codings with a memo), ``[data-testid=qc-transcript-text]`` (the
text, and nothing else), ``mark.qc-hl`` (highlighted chunks, ``data-coding-ids``; class
``qc-memo`` when one carries a memo) and ``[data-testid=qc-margin-label]`` (``data-coding-id``,
``data-memo="1"`` and a ✎ for a coding with a memo, shown on hover).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

TRANSCRIPT_KEY = "qc_transcript"

_CSS = """
.qc-root { font-family: var(--st-font, sans-serif); }
.qc-root { width: 100%; contain: content; }
.qc-scroll { position: relative; overflow-y: auto; border: 1px solid rgba(128,128,128,.35);
  border-radius: .5rem; background: var(--st-background-color, #fff);
  max-height: max(22rem, calc(100vh - 13rem)); }
.qc-body { position: relative; display: flex; gap: .75rem; padding: .75rem; }
.qc-text { flex: 1 1 auto; min-width: 0; white-space: pre-wrap; word-wrap: break-word;
  line-height: 1.65; font-size: 1rem; cursor: text; color: var(--st-text-color, #222); }
.qc-margin { position: relative; flex: 0 0 11rem; contain: layout style; }
.qc-line { min-height: 1lh; }
.qc-section { content-visibility: auto; contain-intrinsic-block-size: auto 20lh; }
.qc-hl { color: inherit; border-radius: 2px; padding: 0; }
.qc-hl.qc-multi { border-bottom: 2px solid rgba(0,0,0,.55); }
.qc-overlay { position: absolute; left: 0; top: 0; width: 0; height: 0; pointer-events: none; }
.qc-pending { outline: 1px dashed #d62728; background-color: rgba(214,39,40,.15); }
.qc-label { position: absolute; left: 0; right: 0; font-size: .75rem; line-height: 1.2;
  padding: 1px 4px; border-left: 4px solid #888; background: rgba(128,128,128,.10);
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; cursor: pointer; border-radius: 2px; }
.qc-label:hover { background: rgba(128,128,128,.25); }
.qc-label.qc-memo { font-style: italic; }
mark.qc-hl.qc-memo { text-decoration: underline dotted rgba(0,0,0,.6); text-underline-offset: 3px; }
/* The Code page's panel pills (beside this view; this CSS is the page's, isolate_styles=False):
   wrap onto a second line where the column is narrow, not scroll. */
.st-key-qc_panel [data-testid=stButtonGroup] > div:last-child { flex-wrap: wrap; row-gap: .35rem; }
::highlight(qc-search) { background-color: rgba(255, 235, 59, .85); color: #000; }
::highlight(qc-search-current) { background-color: rgba(255, 152, 0, .95); color: #000; }
"""

_JS = r"""
// Module state: kept while the browser tab lives, across reruns and remounts of the element.
const TEXTS = new Map();      // text_key -> text          (Python sends a text once per session)
const SEGMENTS = new Map();   // segments_key -> segments
const SPANS = new Map();      // spans_key -> [styles, spans]  (Python sends a set of highlights once)
let KEY_TARGET = null;        // the mounted transcript that receives the coding shortcuts
let LAST = null;              // the last transcript built: put back as it is when the element is
                              // mounted again (back from another page) instead of rebuilt

function remember(map, key, value) {
  map.delete(key);
  map.set(key, value);
  while (map.size > 8) map.delete(map.keys().next().value);
}

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
  const table = new Int32Array(text.length + 1);
  let i = 0, n = 0;
  while (i < text.length) {
    table[n++] = i;
    const c = text.charCodeAt(i);
    i += (c >= 0xD800 && c <= 0xDBFF && i + 1 < text.length) ? 2 : 1;
  }
  table[n] = text.length;
  return table.subarray(0, n + 1);
}

function isColor(c) { return typeof c === "string" && /^#[0-9a-fA-F]{6}$/.test(c); }
function withAlpha(color, alpha) { return isColor(color) ? color + alpha : "rgba(255, 200, 0, 0.35)"; }

function spanItem(s, clamp, styles) {    // [start, end, style, id, memo?]; styles[style] = [colour, label]
  const a = clamp(s[0]), b = clamp(s[1]);
  if (!(b > a)) return null;
  const style = styles[s[2]] || ["", ""];
  return { start: a, end: b, color: style[0], label: String(style[1] || ""), id: s[3], memo: String(s[4] || "") };
}
function itemKey(it) { return it.start + "|" + it.end + "|" + it.color + "|" + it.label + "|" + it.memo; }

// ---- code points <-> DOM ---------------------------------------------------------------------
function pointAt(state, cp) {          // code point offset -> (text node, UTF-16 offset)
  const nodes = state.nodes;
  let lo = 0, hi = nodes.length - 1;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (nodes[mid].cp <= cp) lo = mid; else hi = mid - 1; }
  const entry = nodes[lo];
  const local = state.units[cp] - state.units[entry.cp];
  return [entry.node, Math.min(local, entry.node.data.length)];
}
function rangeOf(state, a, b) {
  const range = document.createRange();
  const [sn, so] = pointAt(state, a), [en, eo] = pointAt(state, b);
  range.setStart(sn, so);
  range.setEnd(en, eo);
  return range;
}

function pendingOverlay(state, pending) {
  // Draw the pending selection as boxes over the text (no change to the text's DOM).
  state.overlay.replaceChildren();
  state.root.dataset.selection = "";
  if (!pending) return;
  const a = Math.max(0, Math.min(state.nCp, pending[0] | 0)), b = Math.max(0, Math.min(state.nCp, pending[1] | 0));
  if (b <= a) return;
  const range = rangeOf(state, a, b);
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

function scrollIntoScroller(state, range) {
  const r = range.getBoundingClientRect(), box = state.scroll.getBoundingClientRect();
  if (r.top < box.top + 8 || r.bottom > box.bottom - 8) state.scroll.scrollTop += r.top - box.top - box.height / 3;
}

function showReveal(state, reveal) {
  const sig = Array.isArray(reveal) ? reveal.join("-") : "";
  if (sig && sig !== state.revealSig) {
    const a = Math.max(0, Math.min(state.nCp, reveal[0] | 0)), b = Math.max(0, Math.min(state.nCp, reveal[1] | 0));
    if (b > a) {
      scrollIntoScroller(state, rangeOf(state, a, b));
      state.root.dataset.focused = a + "-" + b;  // tests and the open-in-context hook wait for this
    }
  }
  state.revealSig = sig;
}

function showSearch(state, search) {
  // Hits of the find box: CSS highlights (no change to the text's DOM); the current one is
  // scrolled into view when it changes.
  const hits = search && Array.isArray(search.hits) ? search.hits : [];
  const focus = search && Number.isInteger(search.focus) ? search.focus : -1;
  const ranges = [];
  let current = null;
  hits.forEach((h, i) => {
    const a = Math.max(0, Math.min(state.nCp, h[0] | 0)), b = Math.max(0, Math.min(state.nCp, h[1] | 0));
    if (b <= a) return;
    const r = rangeOf(state, a, b);
    if (i === focus) current = r; else ranges.push(r);
  });
  if (typeof CSS !== "undefined" && CSS.highlights && typeof Highlight !== "undefined") {
    CSS.highlights.set("qc-search", new Highlight(...ranges));
    if (current) CSS.highlights.set("qc-search-current", new Highlight(current));
    else CSS.highlights.delete("qc-search-current");
  }
  const sig = JSON.stringify([search && search.query, focus, hits.length ? hits[Math.max(focus, 0)] : null]);
  if (current && sig !== state.searchSig) scrollIntoScroller(state, current);
  state.searchSig = sig;
  state.root.dataset.searchHits = String(hits.length);
  state.root.dataset.searchFocus = current ? String(focus) : "";
}

// ---- chunks: maximal runs of text covered by the same set of codings --------------------------
function buildChunks(state, R0, R1, extraCuts) {
  const { text, units } = state;
  const inRange = [];
  state.items.forEach((it) => { if (it.end > R0 && it.start < R1) inRange.push(it); });
  const cuts = new Set([R0, R1]);
  extraCuts.forEach((c) => cuts.add(c));
  inRange.forEach((it) => {
    if (it.start > R0 && it.start < R1) cuts.add(it.start);
    if (it.end > R0 && it.end < R1) cuts.add(it.end);
  });
  const bounds = Array.from(cuts).sort((x, y) => x - y);
  const byStart = inRange.sort((x, y) => x.start - y.start);
  const entries = [];
  const first = new Map();
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
    if (!active.length) { entries.push({ node: node, cp: a, el: node }); continue; }
    const mark = document.createElement("mark");
    mark.className = "qc-hl";
    mark.appendChild(node);
    mark.style.backgroundColor = withAlpha(active[active.length - 1].color, "55");
    const memos = active.filter((it) => it.memo);
    mark.title = active.map((it) => it.label).join(" · ") + memos.map((it) => "\nMemo: " + it.memo).join("");
    mark.dataset.codingIds = active.map((it) => it.id).join(",");
    if (active.length > 1) mark.classList.add("qc-multi");
    if (memos.length) mark.classList.add("qc-memo");
    active.forEach((it) => { if (!first.has(it.id)) first.set(it.id, mark); });
    entries.push({ node: node, cp: a, el: mark });
  }
  return { entries, first, inRange };
}

// ---- blocks: one element per line of the text, so that a changed highlight lays out again
// only the lines it touches, not the whole transcript -------------------------------------------
function lineStarts(text, units) {
  const starts = [0];
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < text.length) { i++; cp++; continue; }
    cp++;
    if (c === 10 && i + 1 < text.length) starts.push(cp);
  }
  return starts;
}
function blockOf(state, cp) {          // the block holding code point cp
  const s = state.blockStarts;
  let lo = 0, hi = s.length - 1;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (s[mid] <= cp) lo = mid; else hi = mid - 1; }
  return lo;
}
function buildBlocks(state, k0, k1) {
  // Blocks k0..k1 (inclusive) built fresh: their elements, text entries and first marks.
  const s = state.blockStarts;
  const R0 = s[k0], R1 = k1 + 1 < s.length ? s[k1 + 1] : state.nCp;
  const { entries, first, inRange } = buildChunks(state, R0, R1, s.slice(k0 + 1, k1 + 1));
  const divs = [];
  let k = k0 - 1, div = null;
  entries.forEach((e) => {
    while (k + 1 <= k1 && s[k + 1] <= e.cp) {
      k++;
      div = document.createElement("div");
      div.className = "qc-line";
      divs.push(div);
    }
    div.appendChild(e.el);
  });
  while (k < k1) {                     // empty blocks (an empty text)
    k++;
    div = document.createElement("div");
    div.className = "qc-line";
    const empty = document.createTextNode("");
    div.appendChild(empty);
    entries.push({ node: empty, cp: s[k], el: empty });
    divs.push(div);
  }
  return { divs, entries, first, inRange, R0, R1 };
}

function rebuildRegion(state, a, b) {
  // Replace the lines covering [a, b) by freshly built ones.
  const k0 = blockOf(state, a), k1 = Math.max(k0, blockOf(state, Math.max(a, b - 1)));
  const { divs, entries, first, inRange, R0, R1 } = buildBlocks(state, k0, k1);
  const frag = document.createDocumentFragment();
  divs.forEach((dv) => frag.appendChild(dv));
  const section = state.blockEls[k0].parentNode;   // the new lines go into the first line's section
  section.insertBefore(frag, state.blockEls[k0]);
  for (let k = k0; k <= k1; k++) state.blockEls[k].remove();
  state.blockEls.splice(k0, k1 - k0 + 1, ...divs);
  if (state.perLine && !state.shown.has(section)) estimateSection(state, section);
  const nodes = state.nodes;
  const find = (cp) => {               // the first entry starting at or after cp
    let lo = 0, hi = nodes.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (nodes[mid].cp < cp) lo = mid + 1; else hi = mid; }
    return lo;
  };
  const i0 = find(R0), i1 = R1 >= state.nCp && k1 === state.blockStarts.length - 1 ? nodes.length : find(R1);
  nodes.splice(i0, i1 - i0, ...entries);
  inRange.forEach((it) => { if (it.start >= R0 && first.has(it.id)) state.firstMark.set(it.id, first.get(it.id)); });
}

function placeLabels(state, later) {
  // Margin labels beside the first chunk of each coding.  Label elements are kept per coding
  // and updated only when the coding changed (no layout read); their positions are read and
  // written in one pass: now, or with ``later`` in the next animation frame, before it is
  // painted (so a changed highlight forces no layout of the transcript in the middle of
  // Streamlit's redraw; the frame lays it out once).
  const { margin, firstMark, labels } = state;
  const list = state.items.slice().sort((x, y) => x.start - y.start || x.end - y.end).filter((it) => firstMark.has(it.id));
  const keep = new Set();
  const frag = document.createDocumentFragment();
  list.forEach((it) => {
    keep.add(it.id);
    const key = itemKey(it);
    let entry = labels.get(it.id);
    if (!entry || entry.key !== key) {
      const label = entry ? entry.el : document.createElement("div");
      label.className = "qc-label";
      label.setAttribute("data-testid", "qc-margin-label");
      label.dataset.codingId = String(it.id);
      label.textContent = it.memo ? "\u270E " + it.label : it.label;
      label.title = it.memo ? it.label + "\nMemo: " + it.memo : it.label;
      if (it.memo) { label.classList.add("qc-memo"); label.dataset.memo = "1"; } else { delete label.dataset.memo; }
      label.style.borderLeftColor = isColor(it.color) ? it.color : "#888";
      if (!entry) {
        label.style.display = "none";   // until placed: shown by showNearLabels when near the view
        entry = { el: label, key: key, top: null, near: false };
        labels.set(it.id, entry);
        frag.appendChild(label);
      }
      entry.key = key;
    }
  });
  labels.forEach((entry, id) => { if (!keep.has(id)) { entry.el.remove(); labels.delete(id); } });
  margin.appendChild(frag);
  state.labelList = list;
  state.root.dataset.codings = String(list.length);
  state.root.dataset.memos = String(list.filter((it) => it.memo).length);
  if (!later) { positionLabels(state); return; }
  if (state.positionPending) return;
  state.positionPending = true;
  requestAnimationFrame(() => { state.positionPending = false; positionLabels(state); });
}

const SECTION_LINES = 24;  // lines per section: the unit the browser skips while off screen

function sectionOf(mark) { const line = mark.parentElement; return line ? line.parentElement : null; }

function sections(state, divs) {
  // The lines grouped into sections of SECTION_LINES.  Each section is skipped while off screen
  // (content-visibility: auto); one element per line would have the browser check thousands of
  // them on every frame.
  const out = [];
  for (let i = 0; i < divs.length; i += SECTION_LINES) {
    const section = document.createElement("div");
    section.className = "qc-section";
    divs.slice(i, i + SECTION_LINES).forEach((dv) => section.appendChild(dv));
    out.push(section);
  }
  return out;
}

function estimateLines(state) {
  // Until a section has been shown once its height is this estimate, from its lines' lengths and
  // the text's width (then the browser remembers the real one), so that the scrollbar and the
  // labels of the lines below are about right.
  const width = state.textRoot.clientWidth;
  if (!width || width === state.estimatedWidth) return;
  state.estimatedWidth = width;
  const probe = document.createElement("div");   // one line of the text's own words, unwrapped
  probe.style.cssText = "white-space: nowrap; width: max-content; position: absolute; visibility: hidden;";
  const sample = state.text.slice(0, 400).replace(/\s+/g, " ") || "Xg";
  probe.textContent = sample;
  state.textRoot.appendChild(probe);
  const charWidth = (probe.offsetWidth || 8 * sample.length) / sample.length;
  const lineHeight = probe.offsetHeight || 26;
  probe.remove();
  state.perLine = Math.max(1, Math.floor(width / Math.max(1, charWidth)));
  state.lineHeight = lineHeight;
  state.sections.forEach((section) => estimateSection(state, section));
}

function estimateSection(state, section) {
  let lines = 0;
  for (const line of section.children) lines += Math.max(1, Math.ceil(line.textContent.length / state.perLine));
  section.style.containIntrinsicBlockSize = "auto " + lines * state.lineHeight + "px";
}

function watchLines(state) {
  // A section laid out for the first time (scrolled near the view) may differ from its
  // estimate: place the labels again, in the next frame, once for all sections shown together.
  state.textRoot.addEventListener("contentvisibilityautostatechange", (ev) => {
    if (ev.skipped) { state.shown.delete(ev.target); return; }
    state.shown.add(ev.target);
    if (state.repositionPending) return;
    state.repositionPending = true;
    requestAnimationFrame(() => { state.repositionPending = false; positionLabels(state); });
  }, true);
}

function markTop(state, it, sectionTops) {
  // The top of a coding's first chunk (in the text's box), without laying out a section that is
  // off screen: in a shown section it is measured (and its offset in the section remembered);
  // in another, the section's top plus the offset measured before (0 until then).  Section tops
  // are read once per pass (``sectionTops``): a thousand labels share a few dozen sections.
  const mark = state.firstMark.get(it.id);
  const section = sectionOf(mark);
  const entry = state.labels.get(it.id);
  if (!section) return entry.delta || 0;
  let sectionTop = sectionTops.get(section);
  if (sectionTop === undefined) { sectionTop = section.offsetTop; sectionTops.set(section, sectionTop); }
  if (!state.shown.has(section)) return sectionTop + (entry.delta || 0);
  let top = 0;
  for (let el = mark; el && el !== state.body; el = el.offsetParent) top += el.offsetTop;
  entry.delta = top - sectionTop;
  return top;
}

function positionLabels(state) {
  const { margin, firstMark, labels } = state;
  estimateLines(state);
  const list = (state.labelList || []).filter((it) => firstMark.has(it.id) && labels.has(it.id));
  const base = margin.offsetTop;   // tops in the text's box; labels sit in the margin's (its padding apart)
  const sectionTops = new Map();
  const tops = list.map((it) => markTop(state, it, sectionTops) - base);   // one layout pass (lines off screen: their placeholders)
  if (!state.labelHeight) {
    const probe = document.createElement("div");
    probe.className = "qc-label";
    probe.textContent = "Xg";
    margin.appendChild(probe);
    state.labelHeight = probe.offsetHeight || 16;
    margin.removeChild(probe);
  }
  const height = state.labelHeight;
  state.width = state.textRoot.clientWidth;   // read before the writes below: no second layout
  state.marginTop = state.body.offsetTop + base;   // the margin's top in the scrolled content
  const view = [state.scroll.scrollTop, state.scroll.clientHeight];   // read before writing, too
  let bottom = -Infinity;
  list.forEach((it, i) => {
    const entry = labels.get(it.id);
    const top = Math.max(tops[i], bottom + 2);
    if (entry.top !== top) { entry.el.style.top = top + "px"; entry.top = top; }
    bottom = top + height;
  });
  margin.style.minHeight = Math.max(0, bottom) + "px";
  showNearLabels(state, view[0], view[1]);
}

function showNearLabels(state, scrollTop, viewHeight) {
  // Only the labels within a screen and a half of the view are displayed; the others are
  // display: none (in the page, with their place kept, but not laid out): a thousand labels laid
  // out cost ~70 ms each time the transcript is put back on the page.  Placed again on scroll.
  const view = viewHeight || window.innerHeight;
  const at = scrollTop - (state.marginTop || 0);
  const from = at - 1.5 * view, to = at + 2.5 * view;
  state.labels.forEach((entry) => {
    const near = entry.top !== null && entry.top >= from && entry.top <= to;
    if (entry.near !== near) { entry.el.style.display = near ? "" : "none"; entry.near = near; }
  });
}

// ---- shortcuts -------------------------------------------------------------------------------
function typing(target) {
  if (!target || !(target instanceof Element)) return false;
  if (target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true], [role=combobox], [role=listbox]")) return true;
  return false;
}
function onKeyDown(ev) {
  const state = KEY_TARGET;
  if (!state || !state.shortcuts || !state.root.isConnected || ev.defaultPrevented || ev.repeat) return;
  if (ev.altKey || typing(ev.target)) return;
  let key = null;
  if ((ev.ctrlKey || ev.metaKey) && !ev.shiftKey && (ev.key === "z" || ev.key === "Z")) key = "undo";
  else if (ev.ctrlKey || ev.metaKey) return;
  else if (/^[1-9]$/.test(ev.key)) key = ev.key;
  else if (ev.key === "u" || ev.key === "U") key = "undo";
  else if (ev.key === "/") {
    const box = document.querySelector(".st-key-qc_search input");
    if (box) { ev.preventDefault(); box.focus(); box.select(); }
    return;
  }
  if (!key) return;
  ev.preventDefault();
  state.keys += 1;
  state.setTriggerValue("key", { key: key, n: state.keys });
}
document.addEventListener("keydown", onKeyDown);

function jsonList(value) {
  // The spans and segments travel as JSON text (see transcript_view); a list is taken as it is.
  if (typeof value === "string") { try { const v = JSON.parse(value); return Array.isArray(v) ? v : []; } catch (e) { return []; } }
  return Array.isArray(value) ? value : [];
}

export default function (component) {
  const t0 = performance.now();
  const { data, setTriggerValue, parentElement } = component;
  const d = data || {};
  const textKey = String(d.text_key || d.document || "");
  const segKey = String(d.segments_key || textKey);
  if (typeof d.text === "string") remember(TEXTS, textKey, d.text);
  if (d.segments !== null && d.segments !== undefined) remember(SEGMENTS, segKey, jsonList(d.segments));
  const spansKey = String(d.spans_key || "");
  if (d.spans !== null && d.spans !== undefined) {
    remember(SPANS, spansKey, [Array.isArray(d.styles) ? d.styles : [], jsonList(d.spans)]);
  }
  const text = TEXTS.get(textKey);
  const segments = SEGMENTS.get(segKey);
  const held = SPANS.get(spansKey);
  if (text !== undefined) remember(TEXTS, textKey, text);            // the most recently used last,
  if (segments !== undefined) remember(SEGMENTS, segKey, segments);  // as the server counts them
  if (held !== undefined) remember(SPANS, spansKey, held);
  let root = parentElement.querySelector(".qc-root");
  const layout = JSON.stringify([d.document || "", textKey, segKey, d.height || 0, d.language || ""]);
  if (!root && LAST && LAST.layout === layout && LAST.text === TEXTS.get(textKey) && !LAST.root.isConnected) {
    root = LAST.root;                   // the same transcript: reuse its DOM (highlights diffed below)
    parentElement.appendChild(root);
    LAST.scroll.scrollTop = LAST.scrollTop || 0;
    LAST.remounted = true;
  }
  if (!root) {
    root = document.createElement("div");
    root.className = "qc-root";
    root.setAttribute("data-testid", "qc-transcript");
    parentElement.appendChild(root);
  }
  if (text === undefined || segments === undefined || held === undefined) {
    // This browser does not hold the text, segments or highlights any more: ask for them once.
    root.dataset.ready = "0";
    const ask = textKey + "\u0000" + segKey + "\u0000" + spansKey;
    if (root.__qcAsked !== ask) {
      root.__qcAsked = ask;
      setTriggerValue("need", { text: text === undefined, segments: segments === undefined, spans: held === undefined, key: ask });
    }
    return;
  }
  root.__qcAsked = null;
  const [styles, spans] = held;                               // [colour, label]; [start, end, style, id, memo?]
  const pending = Array.isArray(d.selection) ? d.selection : null;
  const previous = root.__qcState;
  let state;
  if (previous && previous.layout === layout && previous.text === text) {
    // Same text: update only the highlights that changed (often none: the pending selection
    // or the search changed), not the whole transcript.
    state = previous;
    state.setTriggerValue = setTriggerValue;
    state.attach();
    state.shortcuts = !!d.shortcuts;
    const clamp = (x) => Math.max(0, Math.min(state.nCp, x | 0));
    const regions = [];
    // The highlights drawn are these very ones (a selection, a search, back on the page): no diff.
    const same = state.spansKey === spansKey && spansKey !== "";
    const fresh = same ? state.byId : new Map();
    if (!same) {
      spans.forEach((s) => { const it = spanItem(s, clamp, styles); if (it) fresh.set(it.id, it); });
      state.byId.forEach((it, id) => { const now = fresh.get(id); if (!now || itemKey(now) !== itemKey(it)) regions.push([it.start, it.end]); });
      fresh.forEach((it, id) => { const was = state.byId.get(id); if (!was || itemKey(was) !== itemKey(it)) regions.push([it.start, it.end]); });
      state.spansKey = spansKey;
    }
    // Put back after a visit to another page: the labels are placed again if the width changed.
    if (state.remounted && !regions.length && state.textRoot.clientWidth !== state.width) regions.push([0, 0]);
    state.remounted = false;
    if (regions.length) {
      root.dataset.ready = "0";
      state.byId.forEach((it, id) => { if (!fresh.has(id)) state.firstMark.delete(id); });
      state.byId = fresh;
      state.items = Array.from(fresh.values());
      if (regions.length > 400) {
        regions.length = 0;
        regions.push([0, state.nCp]);
      }
      const t1 = performance.now();
      regions.forEach(([a, b]) => { if (b > a) rebuildRegion(state, a, b); });
      const t2 = performance.now();
      placeLabels(state, true);
      const t3 = performance.now();
      root.dataset.renderMs = String(Math.round(t3 - t0));
      root.dataset.renderParts = [t1 - t0, t2 - t1, t3 - t2].map(Math.round).join(",");  // diff, chunks, labels
    }
    showReveal(state, d.reveal);
    pendingOverlay(state, pending);
    showSearch(state, d.search);
    KEY_TARGET = state;
    root.dataset.ready = "1";
    return state.detach;
  }
  if (parentElement.__qcCleanup) { parentElement.__qcCleanup(); parentElement.__qcCleanup = null; }
  let scrollTop = 0;
  const old = root.querySelector(".qc-scroll");
  if (old && root.dataset.document === String(d.document || "")) scrollTop = old.scrollTop;
  root.dataset.ready = "0";
  root.dataset.document = String(d.document || "");

  const scroll = document.createElement("div");
  scroll.className = "qc-scroll";
  if (d.height) scroll.style.height = (d.height | 0) + "px";
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

  const units = cpToUnitTable(text);
  const nCp = units.length - 1;
  const clamp = (x) => Math.max(0, Math.min(nCp, x | 0));
  const byId = new Map();
  spans.forEach((s) => { const it = spanItem(s, clamp, styles); if (it) byId.set(it.id, it); });
  state = {
    layout, text, root, scroll, body, textRoot, margin, overlay, units, nCp, byId, spansKey,
    items: Array.from(byId.values()), nodes: [], firstMark: new Map(), labels: new Map(), setTriggerValue,
    blockStarts: [0], blockEls: [],
    shortcuts: !!d.shortcuts, keys: 0, searchSig: null, revealSig: "", labelHeight: 0, width: 0,
    scrollTop: 0, remounted: false, estimatedWidth: 0, perLine: 0, lineHeight: 0, shown: new WeakSet(), sections: [], repositionPending: false,
  };
  state.blockStarts = lineStarts(text, units);
  const { divs, entries, first } = buildBlocks(state, 0, state.blockStarts.length - 1);
  const frag = document.createDocumentFragment();
  state.blockEls = divs;
  state.sections = sections(state, divs);
  state.sections.forEach((section) => frag.appendChild(section));
  state.nodes = entries;
  state.firstMark = first;
  watchLines(state);
  root.replaceChildren(scroll);
  estimateLines(state);                // measured on the empty text: the sections arrive with their estimates
  textRoot.appendChild(frag);
  root.__qcState = state;
  KEY_TARGET = state;
  LAST = state;
  scroll.addEventListener("scroll", () => {
    state.scrollTop = scroll.scrollTop;
    if (state.nearPending) return;
    state.nearPending = true;
    requestAnimationFrame(() => { state.nearPending = false; showNearLabels(state, scroll.scrollTop, scroll.clientHeight); });
  }, { passive: true });

  margin.addEventListener("click", (ev) => {
    const label = ev.target instanceof Element ? ev.target.closest(".qc-label") : null;
    if (!label) return;
    const it = state.byId.get(Number(label.dataset.codingId)) || state.byId.get(label.dataset.codingId);
    if (it) state.setTriggerValue("select", { start: it.start, end: it.end, how: "coding", coding_id: it.id });
  });

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
  state.detach = () => { document.removeEventListener("mouseup", onDocMouseUp); if (KEY_TARGET === state) KEY_TARGET = null; };
  state.attach();
  const tBuilt = performance.now();
  requestAnimationFrame(() => {
    const tFrame = performance.now();
    placeLabels(state);
    root.dataset.renderParts = [tBuilt - t0, tFrame - tBuilt, performance.now() - tFrame].map(Math.round).join(",");  // build, wait for the frame, labels
    scroll.scrollTop = scrollTop;
    showReveal(state, d.reveal);
    pendingOverlay(state, pending);
    showSearch(state, d.search);
    root.dataset.renderMs = String(Math.round(performance.now() - t0));  // build + layout, for benchmarks
    root.dataset.ready = "1";
  });
  parentElement.__qcCleanup = state.detach;
  return state.detach;
}
"""

_component = st.components.v2.component("qualcode_transcript", css=_CSS, js=_JS, isolate_styles=False)


SENT_KEY = "qc_transcript_sent"  # session state: {"text", "segments", "spans": [keys]} this browser holds
SENT_KEPT = 6  # texts (segment lists, sets of highlights) remembered as held: fewer than the browser keeps (8)
SENT_KINDS = ("text", "segments", "spans")


def _sent() -> dict[str, list[str]]:
    sent = st.session_state.get(SENT_KEY)
    if not isinstance(sent, dict) or not all(isinstance(sent.get(k), list) for k in SENT_KINDS):
        sent = st.session_state[SENT_KEY] = {k: [] for k in SENT_KINDS}
    return sent


def _remember(keys: list[str], key: str) -> None:
    """``key`` as the most recently used (the browser keeps its copies the same way)."""
    if key in keys:
        keys.remove(key)
    keys.append(key)
    del keys[:-SENT_KEPT]


def transcript_view(
    *,
    document: str,
    text: str,
    spans: Sequence[Sequence[Any]],
    segments: Sequence[Sequence[int]] | Callable[[], Sequence[Sequence[int]]],
    selection: tuple[int, int] | None,
    on_select: Callable[[], None],
    text_key: str | None = None,
    segments_key: str | None = None,
    on_key: Callable[[], None] | None = None,
    search: dict[str, Any] | None = None,
    reveal: Sequence[int] | None = None,
    shortcuts: bool = False,
    language: str = "",
    height: int = 0,
    key: str = TRANSCRIPT_KEY,
) -> Any:
    """Mount the transcript view.

    ``spans`` are ``[start, end, colour, label, coding_id, memo]`` (code points; memo "" for
    none); ``segments`` the ``[start, end]`` a click selects (or a function giving them);
    ``selection`` the pending span drawn with a dashed outline; ``search`` ``{"query", "hits":
    [[start, end], …], "focus": i}`` drawn as highlights, the focused hit scrolled into view;
    ``reveal`` a span scrolled into view (each time it changes).
    ``on_select`` runs (before the rerun) when the user selects something (read the event with
    :func:`selection_event`); ``on_key`` when a coding shortcut is pressed (:func:`key_event`).
    ``height`` 0: the view fills the window's height.

    The text and the segments travel once per browser session: when ``text_key`` /
    ``segments_key`` (which must change whenever the text / segments do) are the ones this
    session already sent, they are left out and the browser uses the copy it keeps; a browser
    that lost its copy asks for it (the ``need`` event) and gets it in the next run.
    """
    text_key = text_key or f"{document}:{len(text)}:{hash(text)}"
    segments_key = segments_key or text_key
    sent = _sent()
    send_text = text_key not in sent["text"]
    send_segments = segments_key not in sent["segments"]
    if send_segments and callable(segments):
        segments = segments()
    styles, spans_json, spans_key = _encoded_spans(spans)
    send_spans = spans_key not in sent["spans"]
    data = {
        "document": document,
        "text_key": text_key,
        "segments_key": segments_key,
        "text": text if send_text else None,
        "spans_key": spans_key,
        "styles": styles if send_spans else None,
        # The two long lists as JSON text: Streamlit checks every list in a component's data for
        # a dataframe, building an array of it (~1 ms a rerun for a thousand highlights); a
        # string it passes on as it is.
        "spans": spans_json if send_spans else None,
        "segments": (_json([list(s) for s in segments]) if not callable(segments) else None) if send_segments else None,
        "language": language,
        "height": height,
        "selection": list(selection) if selection else None,
        "search": search,
        "reveal": list(reveal) if reveal else None,
        "shortcuts": shortcuts,
    }
    _remember(sent["text"], text_key)
    _remember(sent["segments"], segments_key)
    _remember(sent["spans"], spans_key)
    return _component(
        key=key,
        data=data,
        on_select_change=on_select,
        on_need_change=lambda: _on_need(key),
        on_key_change=on_key or (lambda: None),
        height="content",
    )


SPANS_JSON_KEY = "qc_transcript_spans_json"  # session state: (spans object, styles, JSON, key)


def _encoded_spans(spans: Sequence[Sequence[Any]]) -> tuple[list[list[Any]], str, str]:
    """The styles, JSON and key (a hash of both) of ``spans``, kept for that very list object:
    the Code page hands the same list while the highlights are unchanged (a selection, a search,
    coming back to the page), and a thousand highlights took ~2 ms a rerun to compact and
    encode.  The browser keeps the highlights by key, so they travel only when they change."""
    kept = st.session_state.get(SPANS_JSON_KEY)
    if isinstance(kept, tuple) and len(kept) == 4 and kept[0] is spans:
        return kept[1], kept[2], kept[3]
    styles, compact = compact_spans(spans)
    encoded = _json(compact)
    key = hashlib.blake2b((_json(styles) + encoded).encode("utf-8"), digest_size=8).hexdigest()
    st.session_state[SPANS_JSON_KEY] = (spans, styles, encoded, key)
    return styles, encoded, key


def compact_spans(spans: Sequence[Sequence[Any]]) -> tuple[list[list[Any]], list[list[Any]]]:
    """``spans`` as sent: each code's ``[colour, label]`` once (``styles``) and the spans as
    ``[start, end, style index, coding_id]`` (and the memo when there is one): a few hundred
    highlights of a few codes are a third of the size (they travel on every rerun)."""
    index: dict[tuple[Any, Any], int] = {}
    styles: list[list[Any]] = []
    compact: list[list[Any]] = []
    for start, end, colour, label, coding_id, *rest in spans:
        style = index.get((colour, label))
        if style is None:
            style = index[(colour, label)] = len(styles)
            styles.append([colour, label])
        memo = rest[0] if rest else ""
        compact.append([start, end, style, coding_id, memo] if memo else [start, end, style, coding_id])
    return styles, compact


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def decoded(data: dict[str, Any]) -> dict[str, Any]:
    """A component's data as sent, with the spans expanded to ``[start, end, colour, label,
    coding_id, memo]`` and the segments decoded (for tests)."""
    out = dict(data)
    out["spans"] = expand_spans(data)
    if isinstance(data.get("segments"), str):
        out["segments"] = json.loads(data["segments"])
    return out


def expand_spans(data: dict[str, Any]) -> list[list[Any]]:
    """The ``[start, end, colour, label, coding_id, memo]`` of a component's data (for tests)."""
    styles = data.get("styles") or []
    spans = data.get("spans") or []
    if isinstance(spans, str):
        spans = json.loads(spans)
    return [[s[0], s[1], *styles[s[2]], s[3], s[4] if len(s) > 4 else ""] for s in spans]


def _on_need(key: str) -> None:
    """The browser lost its copy of the text or segments: send them in the next run."""
    value = _trigger(key, "need")
    sent = _sent()
    for kind in SENT_KINDS:
        if not isinstance(value, dict) or value.get(kind, True):
            sent[kind].clear()


def forget_sent(key: str = TRANSCRIPT_KEY) -> None:
    """Send the text and segments again in the next run (e.g. when the element is new)."""
    st.session_state.pop(SENT_KEY, None)


def _trigger(key: str, name: str) -> Any:
    state = st.session_state.get(key)
    if state is None:
        return None
    try:
        return state.get(name) if hasattr(state, "get") else getattr(state, name, None)
    except (AttributeError, KeyError, TypeError):  # a state that is not a mapping: no event
        return None


def key_event(key: str = TRANSCRIPT_KEY) -> str | None:
    """The shortcut of the last key press (inside ``on_key``): "1"…"9" or "undo"."""
    value = _trigger(key, "key")
    if not isinstance(value, dict):
        return None
    pressed = str(value.get("key", ""))
    return pressed if pressed == "undo" or (len(pressed) == 1 and pressed in "123456789") else None


def selection_event(key: str = TRANSCRIPT_KEY) -> dict[str, Any] | None:
    """The ``select`` event of the last interaction (inside ``on_select``), validated."""
    value = _trigger(key, "select")
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
