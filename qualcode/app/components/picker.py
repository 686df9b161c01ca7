"""A type-ahead picker for long lists (a thousand interviews or participants): one element.

``st.selectbox`` re-renders every option on each rerun of the fragment holding it: with a
thousand interviews that was about an eighth of switching interview (measured: the same
switch with a 20-option box took 12 % less).  This element keeps its options in the browser
and does nothing on a rerun whose options and value are unchanged; only the matches of what
is typed are drawn (at most :data:`MAX_SHOWN`).

Security: labels are untrusted (participant names from front matter); they are put into the
page as text (``textContent``), never parsed as HTML.

Keyboard: the box is an ARIA combobox.  Typing filters the options (case-insensitive, any part
of the label); Down/Up move through the matches, Enter picks the highlighted one, Escape
closes the list and puts the current label back, Tab leaves.  A click on an option picks it.

Stable selectors: the element container has the class ``st-key-<key>_picker``; the input is
``input[role=combobox]`` and each shown option ``[role=option]`` (its text is the label).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any, cast

import streamlit as st

MAX_SHOWN = 50  # matches drawn in the open list (type more to narrow a longer list)

_CSS = """
.qc-picker { position: relative; font-family: var(--st-font, sans-serif); }
.qc-picker label { display: block; font-size: .875rem; margin-bottom: .25rem; color: var(--st-text-color, #31333f); }
.qc-picker input { box-sizing: border-box; width: 100%; height: 2.5rem; padding: 0 2rem 0 .75rem;
  font: inherit; font-size: .875rem; color: var(--st-text-color, #31333f);  /* as Streamlit's selectbox */
  background: var(--st-secondary-background-color, #f0f2f6); border: 1px solid transparent;
  border-radius: .5rem; outline: none; }
.qc-picker input:focus { border-color: var(--st-primary-color, #ff4b4b); }
.qc-picker .qc-caret { position: absolute; right: 1rem; bottom: 1.05rem; width: .45rem; height: .45rem;
  border-right: 2px solid currentColor; border-bottom: 2px solid currentColor; transform: rotate(45deg);
  pointer-events: none; opacity: .7; color: var(--st-text-color, #31333f); }
.qc-picker ul { position: absolute; z-index: 1000; left: 0; right: 0; margin: .25rem 0 0; padding: .25rem 0;
  list-style: none; max-height: 18rem; overflow-y: auto; background: var(--st-background-color, #fff);
  border: 1px solid rgba(128,128,128,.35); border-radius: .5rem; box-shadow: 0 4px 16px rgba(0,0,0,.12); }
.qc-picker li { padding: .4rem .75rem; font-size: .875rem; cursor: pointer; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.qc-picker li[aria-selected=true] { background: rgba(128,128,128,.18); }
.qc-picker li.qc-more { cursor: default; opacity: .7; font-size: .85rem; }
"""

_JS = r"""
const MAX_SHOWN = MAX_SHOWN_VALUE;

function build(parent) {
  const root = document.createElement("div");
  root.className = "qc-picker";
  const id = "qc-picker-" + Math.random().toString(36).slice(2);
  const label = document.createElement("label");
  label.htmlFor = id + "-input";
  const input = document.createElement("input");
  input.id = id + "-input";
  input.type = "text";
  input.autocomplete = "off";
  input.spellcheck = false;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", id + "-list");
  const caret = document.createElement("span");
  caret.className = "qc-caret";
  const list = document.createElement("ul");
  list.id = id + "-list";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  root.append(label, input, caret, list);
  parent.appendChild(root);
  return { root, label, input, list, options: [], labels: [], lower: [], value: null, shown: [], active: -1, sig: "", optionsSig: null };
}

function close(s) {
  s.list.hidden = true;
  s.list.replaceChildren();
  s.input.setAttribute("aria-expanded", "false");
  s.input.removeAttribute("aria-activedescendant");
  s.active = -1;
}

function currentLabel(s) {
  const i = s.options.indexOf(s.value);
  return i >= 0 ? s.labels[i] : "";
}

function setActive(s, k) {
  const items = s.list.querySelectorAll("[role=option]");
  if (!items.length) return;
  s.active = Math.max(0, Math.min(items.length - 1, k));
  items.forEach((li, j) => li.setAttribute("aria-selected", j === s.active ? "true" : "false"));
  const li = items[s.active];
  s.input.setAttribute("aria-activedescendant", li.id);
  li.scrollIntoView({ block: "nearest" });
}

function open(s, query) {
  const q = (query || "").trim().toLowerCase();
  const shown = [];
  let total = 0;
  for (let i = 0; i < s.options.length; i++) {
    if (q && s.lower[i].indexOf(q) < 0) continue;
    total++;
    if (shown.length < MAX_SHOWN) shown.push(i);
  }
  s.shown = shown;
  const frag = document.createDocumentFragment();
  shown.forEach((i, j) => {
    const li = document.createElement("li");
    li.id = s.list.id + "-" + j;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", "false");
    li.textContent = s.labels[i];
    li.addEventListener("mousedown", (ev) => { ev.preventDefault(); pick(s, i); });
    frag.appendChild(li);
  });
  if (!shown.length || total > shown.length) {
    const li = document.createElement("li");
    li.className = "qc-more";
    li.textContent = shown.length ? `${total - shown.length} more: type to narrow the list` : "No match";
    frag.appendChild(li);
  }
  s.list.replaceChildren(frag);
  s.list.hidden = false;
  s.input.setAttribute("aria-expanded", "true");
  const at = q ? 0 : Math.max(0, shown.indexOf(s.options.indexOf(s.value)));
  setActive(s, at);
}

function pick(s, i) {
  close(s);
  s.input.value = s.labels[i];
  if (s.options[i] !== s.value) {
    s.value = s.options[i];
    s.setTriggerValue("pick", s.value);   // an event, not a state: picking A again after Python chose B counts
  }
}

export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  const d = data || {};
  let s = parentElement.__qcPicker;
  if (!s || !s.root.isConnected) {
    s = parentElement.__qcPicker = build(parentElement);
    const { input } = s;
    input.addEventListener("focus", () => { input.select(); open(s, ""); });
    input.addEventListener("click", () => { if (s.list.hidden) { input.select(); open(s, ""); } });
    input.addEventListener("input", () => open(s, input.value));
    input.addEventListener("blur", () => { close(s); input.value = currentLabel(s); });
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        if (s.list.hidden) open(s, "");
        else setActive(s, s.active + (ev.key === "ArrowDown" ? 1 : -1));
      } else if (ev.key === "Enter") {
        ev.preventDefault();
        if (!s.list.hidden && s.active >= 0 && s.active < s.shown.length) pick(s, s.shown[s.active]);
      } else if (ev.key === "Escape") {
        if (!s.list.hidden) { ev.preventDefault(); ev.stopPropagation(); }
        close(s);
        input.value = currentLabel(s);
      }
    });
  }
  s.setTriggerValue = setTriggerValue;
  // Nothing to do on a rerun with the same options, labels and value (the usual case).
  const sig = String(d.options_sig || "") + "\u0000" + String(d.value) + "\u0000" + String(d.label || "");
  if (sig === s.sig) return;
  s.sig = sig;
  if (typeof d.options === "string" && d.options_sig !== s.optionsSig) {   // parsed once per list
    s.optionsSig = d.options_sig;
    try {
      const pairs = JSON.parse(d.options);
      s.options = pairs.map((p) => String(p[0]));
      s.labels = pairs.map((p) => String(p[1]));
      s.lower = s.labels.map((x) => x.toLowerCase());
    } catch (e) { s.options = []; s.labels = []; s.lower = []; }
  }
  s.label.textContent = String(d.label || "");
  s.input.setAttribute("aria-label", String(d.label || ""));
  s.input.placeholder = String(d.placeholder || "");
  s.value = d.value === null || d.value === undefined ? null : String(d.value);
  if (document.activeElement !== s.input) s.input.value = currentLabel(s);
}
""".replace("MAX_SHOWN_VALUE", str(MAX_SHOWN))

_component = st.components.v2.component("qualcode_picker", css=_CSS, js=_JS, isolate_styles=False)


def picker(
    label: str,
    options: Sequence[str],
    *,
    key: str,
    format_func: Callable[[str], str] = str,
    placeholder: str = "Type to find …",
    on_change: Callable[[], None] | None = None,
) -> str | None:
    """Choose one of ``options`` (strings); returns the choice, kept in
    ``st.session_state[key]`` like a widget's value (set it there to choose from Python).

    The first option is chosen when the session holds none (or one no longer offered), as a
    selectbox does.  ``on_change`` runs before the rerun that a choice in the browser starts.
    The element's own key is ``<key>_picker``.
    """
    options = list(options)
    session = cast(MutableMapping[str, Any], st.session_state)
    if not options:
        session[key] = None
        return None
    if session.get(key) not in options:
        session[key] = options[0]
    pairs = _json([[o, format_func(o)] for o in options])

    def on_pick() -> None:
        chosen(session, key, options, on_change)

    _component(
        key=element_key(key),
        data={
            "key": key,
            "label": label,
            "placeholder": placeholder,
            "options": pairs,
            "options_sig": hashlib.blake2b(pairs.encode("utf-8"), digest_size=8).hexdigest(),
            "value": session[key],
        },
        on_pick_change=on_pick,
    )
    return session[key]


def element_key(key: str) -> str:
    """The picker element's key (its container has the class ``st-key-<this>``)."""
    return f"{key}_picker"


def chosen(
    session: MutableMapping[str, Any], key: str, options: Sequence[str], on_change: Callable[[], None] | None = None
) -> bool:
    """The browser picked an option (the ``pick`` event of the element): set ``session[key]``
    to it when it is one of ``options`` and not the current choice, then run ``on_change``.
    Whether the choice changed."""
    event: Any = session.get(element_key(key))
    try:
        value = event.get("pick") if hasattr(event, "get") else getattr(event, "pick", None)
    except (AttributeError, KeyError, TypeError):  # not a mapping: no event
        value = None
    if value not in options or value == session.get(key):
        return False
    session[key] = value
    if on_change is not None:
        on_change()
    return True


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
