"""Editing ``codebook.yaml`` through :class:`CodebookFile`: validated operations, change records, atomic save."""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from io import StringIO
from pathlib import Path
from typing import Any, TypeVar

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from qualcode.errors import CodebookError, ConflictError, Problem, did_you_mean, valid_list
from qualcode.model import UNCATEGORISED, Codebook

from ..fileio import atomic_write
from ..slug import slugify
from .lock import _FileLock
from .parse import _parse_file, _parse_text
from .rules import (
    CODE_KEYS,
    COLOR_PATTERN,
    CROSS_KEYS,
    ID_PATTERN,
    LOCK_TIMEOUT_SECONDS,
    THEME_KEYS,
    TOP_KEYS,
    _yaml,
)
from .validate import _plain, _Validator
from .yamledit import _append_item, _flow_list, _guess_indent, _Located, _pattern_node, _remove_item, _set_key


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# =========================================================================== editing
_Method = TypeVar("_Method", bound=Callable[..., dict[str, Any]])


def _atomic(method: _Method) -> _Method:
    """All or nothing: if an edit operation raises, the handle is left as it was."""

    @functools.wraps(method)
    def run(self: CodebookFile, *args: Any, **kwargs: Any) -> dict[str, Any]:
        document, codebook, logged = copy.deepcopy(self.document), self.codebook, len(self.changes)
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self.document, self.codebook = document, codebook
            del self.changes[logged:]
            raise

    return run  # type: ignore[return-value]


class CodebookFile:
    """An editable codebook: round-trip YAML document + validated model + hash as read.

    Each operation validates its arguments, edits the YAML document in place (comments
    and ordering kept), re-validates the whole codebook and returns a change record
    ``{"action", "before", "after"}`` for the audit log.  Nothing touches the disk
    until :meth:`save`.
    """

    def __init__(
        self,
        path: Path,
        document: CommentedMap,
        codebook: Codebook,
        sha256: str | None,
        indent: tuple[int, int, int],
        *,
        newline: str = "\n",
        bom: bool = False,
    ) -> None:
        self.path = path
        self.document = document
        self.codebook = codebook
        self.sha256 = sha256  # None: the file did not exist when opened
        self.changes: list[dict[str, Any]] = []
        self._indent = indent
        self._newline = newline  # written back as read, so Windows users see no noise diff
        self._bom = bom
        self._held_lock: _FileLock | None = None

    # -- opening / saving -----------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str], *, create: bool = False) -> CodebookFile:
        """Load ``path`` for editing; with ``create=True`` a missing file starts empty."""
        path = Path(path)
        if create and not path.exists():
            document = CommentedMap()
            document["themes"] = CommentedSeq()
            return cls(path, document, Codebook(), None, (2, 4, 2))
        parsed, data = _parse_file(path)
        if parsed.problems or parsed.codebook is None or data is None:
            raise CodebookError(parsed.problems)
        text = data.decode("utf-8")
        return cls(
            path,
            parsed.document,
            parsed.codebook,
            _sha256(data),
            _guess_indent(text),
            newline="\r\n" if "\r\n" in text else "\n",
            bom=text.startswith("\ufeff"),
        )

    def dumps(self) -> str:
        """The document as YAML text (what :meth:`save` writes)."""
        yaml = _yaml()
        mapping, sequence, offset = self._indent
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        stream = StringIO()
        yaml.dump(self.document, stream)
        return stream.getvalue()

    @property
    def dirty(self) -> bool:
        return bool(self.changes)

    def save(self) -> None:
        """Write atomically under the lock; ConflictError if the file changed since it was read."""
        if self._held_lock is not None:
            self._save_locked()
        else:
            with _FileLock(self.path):
                self._save_locked()

    def _save_locked(self) -> None:
        data = self.prepare()
        if data is not None:
            self.write_prepared(data)

    def prepare(self) -> bytes | None:
        """Check the file is as read and the edited text loads back unchanged; return the bytes
        :meth:`save` writes (None when nothing changed).  Writes nothing: the caller may commit
        the database side first and then :meth:`write_prepared` (under the lock)."""
        try:
            current: bytes | None = self.path.read_bytes()
        except FileNotFoundError:
            current = None
        current_sha = _sha256(current) if current is not None else None
        if current_sha != self.sha256:
            raise ConflictError(
                Problem(
                    "codebook.yaml changed since you loaded it (by another user or editor); reload "
                    "and apply your change again.",
                    path=str(self.path),
                )
            )
        if not self.changes:
            return None
        text = self.dumps()
        written = _parse_text(text, str(self.path))
        if written.problems or written.codebook != self.codebook:
            raise CodebookError(
                [
                    Problem(
                        "qualcode could not write the edited codebook so that it loads back unchanged; "
                        "nothing was written.",
                        path=str(self.path),
                        hint="Please report this as a bug, with your codebook.yaml.",
                    )
                ]
                + written.problems
            )
        return (("\ufeff" if self._bom else "") + text.replace("\n", self._newline)).encode("utf-8")

    def write_prepared(self, data: bytes) -> None:
        """Replace the file with ``data`` (from :meth:`prepare`) atomically and durably
        (an existing file keeps its mode)."""
        try:
            atomic_write(self.path, data)
        except OSError as exc:
            raise CodebookError(
                Problem(f"cannot save the codebook: {exc.strerror}.", path=str(self.path), hint="Nothing was changed.")
            ) from None
        self.sha256 = _sha256(data)
        self.changes = []

    # -- lookups ----------------------------------------------------------------------------
    def _index(self) -> dict[str, _Located]:
        found: dict[str, _Located] = {}

        def walk(owner: CommentedMap) -> None:
            for key, kind in (("themes", "theme"), ("codes", "code")):
                seq = owner.get(key)
                if isinstance(seq, CommentedSeq):
                    for node in seq:
                        found[str(node["id"])] = _Located(kind, node, seq, owner)
                        if kind == "theme":
                            walk(node)

        walk(self.document)
        cross = self.document.get("cross_cutting")
        if isinstance(cross, CommentedSeq):
            for node in cross:
                found[str(node["id"])] = _Located("cross", node, cross, self.document)
        return found

    def _error(self, message: str, hint: str | None = None, field: str | None = None) -> CodebookError:
        return CodebookError(Problem(message, path=str(self.path), field=field, hint=hint))

    def _find(self, ident: str, kinds: Sequence[str]) -> _Located:
        index = self._index()
        located = index.get(ident)
        if located is not None and located.kind in kinds:
            return located
        names = {"theme": "theme", "code": "code", "cross": "cross-cutting theme"}
        wanted = (
            names[kinds[-1]]
            if len(kinds) == 1
            else (", ".join(names[k] for k in kinds[:-1]) + " or " + names[kinds[-1]])
        )
        valid = [i for i, loc in index.items() if loc.kind in kinds]
        if located is not None:
            raise self._error(
                f"'{ident}' is a {names[located.kind]}, not a {wanted}.", hint=f"Valid: {valid_list(valid)}."
            )
        resolved = self.codebook.resolve(ident) if "code" in kinds else None
        hint = f"'{ident}' is a former name of '{resolved}'." if resolved else did_you_mean(ident, valid) or ""
        raise self._error(
            f"unknown {wanted} '{ident}'.", hint=(hint + " " if hint else "") + f"Valid: {valid_list(valid)}."
        )

    def _check_new_id(self, ident: Any, renaming: str | None = None) -> str:
        """Refuse a malformed id, one in use, or another code's former id (alias)."""
        if not isinstance(ident, str) or not ID_PATTERN.match(ident):
            raise self._error(
                f"'{ident}' is not a valid id: use lower-case letters, digits and '_', starting with a letter.",
                hint=f"Use '{slugify(str(ident))}'.",
            )
        index = self._index()
        if ident in index:
            kind = "cross-cutting theme" if index[ident].kind == "cross" else index[ident].kind
            raise self._error(f"id '{ident}' is already used by a {kind}.", hint="Choose another id.")
        owners = [c.id for c in self.codebook.codes.values() if ident in c.aliases and c.id != renaming]
        if owners:
            raise self._error(
                f"id '{ident}' is a former id (alias) of code '{owners[0]}'.",
                hint="Choose another id, so old codings stay unambiguous.",
            )
        return ident

    def _check_label(self, label: Any) -> str:
        if not isinstance(label, str) or not label.strip():
            raise self._error(f"a label must be non-empty text, got {label!r}.")
        return label.strip()

    def _record(self, action: str, before: Any, after: Any) -> dict[str, Any]:
        """Re-validate the edited document (raise if broken) and log the change.

        Validation runs on the in-memory document (fast); :meth:`save` additionally
        checks that the text it writes loads back.
        """
        validator = _Validator(str(self.path))
        validator.top(self.document)
        if validator.problems:
            raise CodebookError(validator.problems)  # _atomic restores the document
        self.codebook = validator.codebook(self.document)
        change = {"action": action, "before": before, "after": after}
        self.changes.append(change)
        return change

    def _describe(self, ident: str) -> dict[str, Any]:
        """A plain snapshot of one node for change records."""
        if ident in self.codebook.codes:
            code = self.codebook.codes[ident]
            return {
                "kind": "code",
                "id": code.id,
                "label": code.label,
                "theme": code.theme,
                "aliases": list(code.aliases),
                "cross_cutting": self.codebook.cross_cutting_of(ident),
            }
        if ident in self.codebook.themes:
            theme = self.codebook.themes[ident]
            return {
                "kind": "theme",
                "id": theme.id,
                "label": theme.label,
                "parent": theme.parent,
                "aliases": list(theme.aliases),
            }
        cross = self.codebook.cross_cutting[ident]
        return {"kind": "cross_cutting", "id": cross.id, "label": cross.label, "codes": list(cross.codes)}

    def _children(self, owner: CommentedMap, key: str) -> CommentedSeq:
        """``owner[key]`` as a list, created (at its place in the key order) if missing."""
        seq = owner.get(key)
        if isinstance(seq, CommentedSeq):
            return seq
        seq = CommentedSeq()
        order = TOP_KEYS if owner is self.document else THEME_KEYS
        _set_key(owner, key, seq, order)
        return seq

    def _replace_member(self, code_id: str, replacement: str | None) -> None:
        """In every cross-cutting theme that has ``code_id`` as a member, put ``replacement`` in
        its place, or drop it (``replacement`` None, or already a member there)."""
        for cross in self.document.get("cross_cutting") or []:
            members = cross.get("codes")
            if isinstance(members, list) and code_id in members:
                position = members.index(code_id)
                if replacement is None or replacement in members:
                    del members[position]
                else:
                    members[position] = replacement

    def _replace_in_orders(self, code_id: str, replacement: str | None, *, theme: CommentedMap | None = None) -> None:
        """In each scale theme's ``order`` (only ``theme``'s when given) put ``replacement`` in
        ``code_id``'s place, or drop it (``replacement`` None)."""
        for located in self._index().values():
            if located.kind != "theme" or (theme is not None and located.node is not theme):
                continue
            order = located.node.get("order")
            if isinstance(order, list) and code_id in order:
                position = order.index(code_id)
                if replacement is None or replacement in order:
                    del order[position]
                else:
                    order[position] = replacement

    # -- operations ----------------------------------------------------------------------------
    @_atomic
    def add_theme(
        self,
        theme_id: str,
        label: str,
        parent_id: str | None = None,
        *,
        description: str = "",
        color: str | None = None,
    ) -> dict[str, Any]:
        """Add a theme at the end of ``parent_id``'s sub-themes (or of the main themes)."""
        self._check_new_id(theme_id)
        node = CommentedMap([("id", theme_id), ("label", self._check_label(label))])
        if description:
            node["description"] = description
        if color is not None:
            if not isinstance(color, str) or not COLOR_PATTERN.match(color):
                raise self._error(f"colour {color!r} is not a '#rrggbb' colour.", hint="For example '#4e79a7'.")
            node["color"] = color
        owner = self._find(parent_id, ("theme",)).node if parent_id is not None else self.document
        _append_item(self._children(owner, "themes"), node)
        return self._record(
            "add_theme", None, {"kind": "theme", "id": theme_id, "label": label.strip(), "parent": parent_id}
        )

    @_atomic
    def add_code(
        self,
        code_id: str,
        label: str,
        theme_id: str | None = None,
        *,
        description: str = "",
        include: str = "",
        exclude: str = "",
        examples: Sequence[str] = (),
        patterns: Sequence[Any] = (),
    ) -> dict[str, Any]:
        """Add a code to a theme; without ``theme_id`` it goes under 'uncategorised'."""
        self._check_new_id(code_id)
        label = self._check_label(label)
        if theme_id is None:
            theme_id = UNCATEGORISED
            if UNCATEGORISED not in self.codebook.themes:
                if UNCATEGORISED in self.codebook.codes:
                    raise self._error(
                        f"'{UNCATEGORISED}' is a code, so codes without a theme cannot be put there.",
                        hint="Give a theme id.",
                    )
                owner = CommentedMap([("id", UNCATEGORISED), ("label", "Uncategorised")])
                _append_item(self._children(self.document, "themes"), owner)
        theme = self._find(theme_id, ("theme",)).node
        node = CommentedMap([("id", code_id), ("label", label)])
        for key, value in (("description", description), ("include", include), ("exclude", exclude)):
            if value:
                node[key] = value
        examples = [examples] if isinstance(examples, str) else list(examples)
        if examples:
            node["example"] = examples if len(examples) > 1 else examples[0]
        if patterns:
            node["patterns"] = CommentedSeq(_pattern_node(p) for p in patterns)
        _append_item(self._children(theme, "codes"), node)
        return self._record("add_code", None, {"kind": "code", "id": code_id, "label": label, "theme": theme_id})

    @_atomic
    def rename(self, old_id: str, new_id: str | None = None, new_label: str | None = None) -> dict[str, Any]:
        """Change an id and/or label; the old id/label of a code or theme go into ``aliases``."""
        located = self._find(old_id, ("code", "theme", "cross"))
        before = self._describe(old_id)
        if new_id == old_id:
            new_id = None
        if new_label is not None:
            new_label = self._check_label(new_label)
            if new_label == before["label"]:
                new_label = None
        if new_id is None and new_label is None:
            raise self._error(f"nothing to rename: give '{old_id}' a new id or a new label.")
        if new_id is not None:
            self._check_new_id(new_id, renaming=old_id)
        node = located.node
        if located.kind != "cross":
            aliases = [str(a) for a in before["aliases"]]
            added = ([old_id] if new_id else []) + ([before["label"]] if new_label else [])
            current = {new_id or old_id, new_label or before["label"]}
            aliases = [a for a in aliases if a not in current]
            aliases += [a for a in added if a not in aliases and a not in current]
            existing = node.get("aliases")
            if isinstance(existing, CommentedSeq):
                existing[:] = aliases  # keeps the list's style and comments
            elif aliases:
                _set_key(node, "aliases", _flow_list(aliases), THEME_KEYS if located.kind == "theme" else CODE_KEYS)
            if not aliases and "aliases" in node:
                del node["aliases"]
        if new_id is not None:
            node["id"] = new_id
            if located.kind == "code":
                self._replace_member(old_id, new_id)
                self._replace_in_orders(old_id, new_id)
        if new_label is not None:
            node["label"] = new_label
        change = self._record("rename", before, None)
        change["after"] = self._describe(new_id or old_id)
        return change

    @_atomic
    def move(self, node_id: str, new_parent_id: str | None) -> dict[str, Any]:
        """Move a code or theme to the end of another theme (None: top level)."""
        located = self._find(node_id, ("code", "theme"))
        before = self._describe(node_id)
        if new_parent_id is not None:
            target = self._find(new_parent_id, ("theme",)).node
            if located.kind == "theme" and node_id in self.codebook.theme_path(new_parent_id):
                raise self._error(
                    f"cannot move theme '{node_id}' into '{new_parent_id}': "
                    f"'{new_parent_id}' is '{node_id}' itself or one of its "
                    "sub-themes.",
                    hint="Move the sub-theme out first.",
                )
        else:
            target = self.document
        if located.owner is target:
            raise self._error(f"'{node_id}' is already in {repr(new_parent_id) if new_parent_id else 'the top level'}.")
        key = "themes" if located.kind == "theme" else "codes"
        if located.kind == "code":  # it is no longer a value of its old theme's scale
            self._replace_in_orders(node_id, None, theme=located.owner)
        _remove_item(located.owner, key, located.position)
        _append_item(self._children(target, key), located.node)
        change = self._record("move", before, None)
        change["after"] = self._describe(node_id)
        return change

    @_atomic
    def merge(self, source_id: str, target_id: str) -> dict[str, Any]:
        """Fold code ``source_id`` into ``target_id``: its id, label and aliases become aliases
        of the target and its cross-cutting memberships move over.  The caller moves the codings.
        """
        source = self._find(source_id, ("code",))
        target = self._find(target_id, ("code",))
        if source_id == target_id:
            raise self._error(f"cannot merge '{source_id}' into itself.")
        before = {"source": self._describe(source_id), "target": self._describe(target_id)}
        src, tgt = self.codebook.codes[source_id], self.codebook.codes[target_id]
        aliases = list(tgt.aliases)
        for alias in (src.id, src.label, *src.aliases):
            if alias not in aliases and alias not in (tgt.id, tgt.label):
                aliases.append(alias)
        existing = target.node.get("aliases")
        if isinstance(existing, CommentedSeq):
            existing[:] = aliases
        else:
            _set_key(target.node, "aliases", _flow_list(aliases), CODE_KEYS)
        if src.applications is not None or tgt.applications is not None:
            # Recorded counts add up only when both are known; otherwise the total is unknown
            # (both former values stay in the consolidation trail).
            if src.applications is not None and tgt.applications is not None:
                total = CommentedMap()
                total["count"] = tgt.applications + src.applications
                total["source"] = f"{tgt.applications_source}; + {src.applications} of merged '{src.id}'"
                total.fa.set_flow_style()
                _set_key(target.node, "applications", total, CODE_KEYS)
            elif "applications" in target.node:
                del target.node["applications"]
        self._replace_member(source_id, target_id)
        self._replace_in_orders(source_id, None)
        _remove_item(source.owner, "codes", source.position)
        change = self._record("merge", before, None)
        change["after"] = {"target": self._describe(target_id)}
        return change

    @_atomic
    def delete(self, node_id: str) -> dict[str, Any]:
        """Remove a code (and its cross-cutting memberships), an empty theme or a
        cross-cutting theme.  The caller refuses deleting a code that codings still use."""
        located = self._find(node_id, ("code", "theme", "cross"))
        before = self._describe(node_id)
        if located.kind == "theme":
            inside = self.codebook.child_themes(node_id) + self.codebook.codes_in(node_id)
            if inside:
                raise self._error(
                    f"theme '{node_id}' is not empty: it holds {valid_list(inside)}.",
                    hint="Move or delete its codes and sub-themes first.",
                )
        if located.kind == "code":
            self._replace_member(node_id, None)
            self._replace_in_orders(node_id, None)
        key = {"theme": "themes", "code": "codes", "cross": "cross_cutting"}[located.kind]
        _remove_item(located.owner, key, located.position)
        return self._record("delete", before, None)

    @_atomic
    def update(self, node_id: str, **fields: Any) -> dict[str, Any]:
        """Set descriptive fields: on a code ``description``, ``include``, ``exclude``,
        ``examples``, ``patterns``; on a theme ``description``, ``color``; on a cross-cutting
        theme ``description``.  An empty value ("", None, []) removes the key."""
        located = self._find(node_id, ("code", "theme", "cross"))
        allowed = {
            "code": ("description", "include", "exclude", "examples", "patterns"),
            "theme": ("description", "color"),
            "cross": ("description",),
        }[located.kind]
        unknown = [f for f in fields if f not in allowed]
        if unknown or not fields:
            hint = did_you_mean(unknown[0], allowed) if unknown else None
            raise self._error(
                f"cannot update {', '.join(map(repr, unknown)) or 'nothing'} on '{node_id}'.",
                hint=(hint + " " if hint else "") + f"Fields you can update: {', '.join(allowed)}.",
            )
        order = {"code": CODE_KEYS, "theme": THEME_KEYS, "cross": CROSS_KEYS}[located.kind]
        node, before, after = located.node, {}, {}
        for name, value in fields.items():
            key = "example" if name == "examples" else name
            before[name] = _plain(node.get(key))
            if name == "examples" and isinstance(value, str):
                value = [value]
            if name == "examples" and value:
                value = list(value) if len(value) > 1 else value[0]
            elif name == "patterns" and value:
                value = CommentedSeq(_pattern_node(p) for p in value)
            if value in (None, "", [], ()):
                if key in node:
                    del node[key]
            else:
                _set_key(node, key, value, order)
            after[name] = _plain(node.get(key))
        kind = {"code": "code", "theme": "theme", "cross": "cross_cutting"}[located.kind]
        return self._record("update", {"kind": kind, "id": node_id, **before}, {"kind": kind, "id": node_id, **after})

    @_atomic
    def add_cross_cutting(
        self, cross_id: str, label: str, codes: Sequence[str] = (), *, description: str = ""
    ) -> dict[str, Any]:
        """Add a cross-cutting theme (a named set of existing codes)."""
        self._check_new_id(cross_id)
        node = CommentedMap([("id", cross_id), ("label", self._check_label(label))])
        if description:
            node["description"] = description
        for code in codes:
            self._find(code, ("code",))  # unknown code → error with suggestions
        node["codes"] = _flow_list(list(codes))
        _append_item(self._children(self.document, "cross_cutting"), node)
        return self._record(
            "add_cross_cutting",
            None,
            {"kind": "cross_cutting", "id": cross_id, "label": label.strip(), "codes": list(codes)},
        )

    @_atomic
    def set_members(self, cross_id: str, codes: Sequence[str]) -> dict[str, Any]:
        """Replace the codes of a cross-cutting theme (kept codes keep their comments)."""
        located = self._find(cross_id, ("cross",))
        for code in codes:
            self._find(code, ("code",))
        before = self._describe(cross_id)
        members = located.node.get("codes")
        if isinstance(members, CommentedSeq):
            for code in [c for c in members if c not in codes]:
                del members[members.index(code)]
            for code in codes:
                if code not in members:
                    members.append(code)
        else:
            _set_key(located.node, "codes", _flow_list(list(codes)), CROSS_KEYS)
        change = self._record("set_members", before, None)
        change["after"] = self._describe(cross_id)
        return change

    def __repr__(self) -> str:
        return (
            f"CodebookFile({str(self.path)!r}, {len(self.codebook.codes)} codes, {len(self.changes)} unsaved changes)"
        )


@contextlib.contextmanager
def edit_codebook(
    path: str | os.PathLike[str], *, create: bool = False, timeout: float = LOCK_TIMEOUT_SECONDS
) -> Iterator[CodebookFile]:
    """Open the codebook under its lock, yield the handle, save if the block succeeds.

    The lock is held from reading to writing, so the read-modify-write cycle is atomic
    against other qualcode processes (an editor saving meanwhile is still caught by the
    sha256 check in :meth:`CodebookFile.save`).
    """
    path = Path(path)
    with _FileLock(path, timeout) as lock:
        handle = CodebookFile.open(path, create=create)
        handle._held_lock = lock
        try:
            yield handle
            handle.save()
        finally:
            handle._held_lock = None
