"""Round-trip YAML editing helpers: keys in file order, list items with their comments, indentation."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.tokens import CommentToken

from .validate import _plain


def _guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) indents as ruamel.yaml names them, guessed from the text."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    mapping, offset = None, None
    for here, following in zip(lines, lines[1:]):
        key = re.match(r"^( *)[^\s#-][^:]*:\s*(#.*)?$", here)
        if not key:
            continue
        depth = len(key.group(1))
        deeper = len(following) - len(following.lstrip(" "))
        if following.lstrip().startswith("- "):
            offset = deeper - depth if offset is None and deeper >= depth else offset
        elif deeper > depth and mapping is None:
            mapping = deeper - depth
        if mapping is not None and offset is not None:
            break
    offset = 2 if offset is None else offset
    return (mapping or 2), offset + 2, offset


# -- comment bookkeeping: comment lines after an entry are stored on its last key -----------
def _tail_slot(container: Any, key: Any) -> tuple[dict[Any, Any], Any, int]:
    value = container[key]
    if isinstance(value, (CommentedMap, CommentedSeq)) and len(value) and not value.fa.flow_style():
        last = list(value.keys())[-1] if isinstance(value, CommentedMap) else len(value) - 1
        return _tail_slot(value, last)
    return container.ca.items, key, 2 if isinstance(container, CommentedMap) else 0


def _pop_tail(container: Any, key: Any, max_indent: int | None = None) -> str:
    """Remove and return the whole comment lines that follow ``container[key]``.

    With ``max_indent``, lines indented deeper than that stay where they are: they
    comment on the nested content, not on what follows at this level.
    """
    items, slot, index = _tail_slot(container, key)
    entry = items.get(slot)
    if not entry or len(entry) <= index or not isinstance(entry[index], CommentToken):
        return ""
    token = entry[index]
    newline = token.value.find("\n")
    if newline < 0:
        return ""
    head, lines = token.value[: newline + 1], token.value[newline + 1 :].splitlines(keepends=True)
    cut = 0
    if max_indent is not None:
        cut = next(
            (i for i, line in enumerate(lines) if line.strip() and len(line) - len(line.lstrip(" ")) <= max_indent),
            len(lines),
        )
    keep, rest = "".join(lines[:cut]), "".join(lines[cut:])
    if not rest.strip():
        return ""
    if head.strip() or keep:
        token.value = head + keep
    else:
        entry[index] = None
    return rest


def _key_column(node: Any) -> int | None:
    """Column (0-based) of a mapping's keys as read from the file; None for new nodes."""
    try:
        column = node.lc.col
    except AttributeError:
        return None
    return column if isinstance(column, int) else None


def _push_tail(container: Any, key: Any, lines: str) -> None:
    """Put comment lines after ``container[key]`` (see :func:`_pop_tail`)."""
    if not lines:
        return
    items, slot, index = _tail_slot(container, key)
    entry = items.setdefault(slot, [None, None, None, None])
    while len(entry) <= index:
        entry.append(None)
    token = entry[index]
    if isinstance(token, CommentToken):
        token.value = token.value + lines
    else:
        entry[index] = CommentToken("\n" + lines, CommentMark(0), None)


def _set_key(node: CommentedMap, key: str, value: Any, order: Sequence[str]) -> None:
    """Set ``node[key]``, inserting a new key at its place in ``order`` without moving comments."""
    if key in node:
        node[key] = value
        return
    rank = order.index(key)
    before = [k for k in node if k in order and order.index(k) < rank]
    position = list(node).index(before[-1]) + 1 if before else 0
    tail = _pop_tail(node, before[-1], _key_column(node)) if before else ""
    node.insert(position, key, value)
    _push_tail(node, key, tail)


def _append_item(seq: CommentedSeq, item: Any) -> None:
    """Append to a list, keeping comment lines that followed the old last entry at the end."""
    if isinstance(item, CommentedMap):
        seq.fa.set_block_style()
    tail = _pop_tail(seq, len(seq) - 1, _key_column(seq[-1])) if len(seq) else ""
    seq.append(item)
    _push_tail(seq, len(seq) - 1, tail)


def _remove_item(owner: CommentedMap, key: str, index: int) -> Any:
    """Remove ``owner[key][index]``, leaving the comment lines that followed it in place.

    Comment lines after an entry usually introduce the next one, so they are handed to
    the entry before it, or (for the first entry) put before the list's new first entry.
    """
    seq = owner[key]
    orphan = ""  # comment lines left by the list's only entry
    if index > 0:
        _push_tail(seq, index - 1, _pop_tail(seq, index))
    elif len(seq) == 1:
        orphan = _pop_tail(seq, index)
    else:
        tail = _pop_tail(seq, index)
        if tail:
            comment = seq.ca.comment if seq.ca.comment else [None, None]
            while len(comment) < 2:
                comment.append(None)
            comment[1] = list(comment[1] or []) + [CommentToken(tail, CommentMark(0), None)]
            seq.ca.comment = comment
    item = seq[index]
    del seq[index]  # CommentedSeq shifts its per-index comments itself
    if not len(seq):
        # An empty block list cannot carry comments (ruamel would emit broken YAML):
        # print it as '[]' and keep its comments on the key instead.
        seq.fa.set_flow_style()
        comment = list(seq.ca.comment or []) + [None, None]
        seq.ca.comment = None
        entry = owner.ca.items.setdefault(key, [None, None, None, None])
        # ruamel keeps the key's end-of-line comment both on the key and on the list
        if not isinstance(entry[2], CommentToken) and isinstance(comment[0], CommentToken):
            entry[2] = CommentToken(comment[0].value, CommentMark(0), None)
        lines = (
            "".join(
                " " * (token.column or 0) + token.value for token in comment[1] or [] if isinstance(token, CommentToken)
            )
            + orphan
        )
        if lines and isinstance(entry[2], CommentToken):
            entry[2].value += lines
        elif lines:
            entry[2] = CommentToken("\n" + lines, CommentMark(0), None)
    return item


def _pattern_node(pattern: Any) -> Any:
    """A pattern as people write it: ``phrase`` or ``tokens: [{LOWER: "no"}, ...]``."""
    if not isinstance(pattern, dict):
        return pattern
    node = CommentedMap()
    for key, value in pattern.items():
        if isinstance(value, list):
            tokens = CommentedSeq()
            for token in value:
                token_node = CommentedMap(_plain(token)) if isinstance(token, dict) else token
                if isinstance(token_node, CommentedMap):
                    token_node.fa.set_flow_style()
                tokens.append(token_node)
            tokens.fa.set_flow_style()
            value = tokens
        node[key] = value
    return node


def _flow_list(values: Sequence[str]) -> CommentedSeq:
    seq = CommentedSeq(list(values))
    seq.fa.set_flow_style()
    return seq


@dataclass
class _Located:
    kind: str  # "theme" | "code" | "cross"
    node: CommentedMap
    seq: CommentedSeq
    owner: CommentedMap  # the theme (or the document) holding ``seq``

    @property
    def position(self) -> int:
        """Index of ``node`` in ``seq`` (by identity: equal entries may exist)."""
        return next(i for i, n in enumerate(self.seq) if n is self.node)
