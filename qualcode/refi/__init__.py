"""REFI-QDA (QDA-XML 1.0) exchange with NVivo, ATLAS.ti, MAXQDA, QualCoder and others.

Public API::

    export_qdc(codebook, path, guids=None, *, qualcode_block=False)   # codebook only (.qdc)
    export_qdpx(data, path, *, users=None, project_name="qualcode project", options=ExportOptions())
    import_qdpx(path) -> RefiProject                  # .qdpx archive or bare project.qde
    import_qdc(path) -> (Codebook, warnings)
    import_qdc_with_guids(path) -> (Codebook, guids, warnings)

``ExportOptions(offsets="codepoints"|"utf16", newline="lf"|"crlf", guids=…)``; presets per
tool in ``TOOL_OPTIONS`` (``--for nvivo`` = UTF-16 positions and CRLF texts).  How positions
are counted and detected: :mod:`qualcode.refi.offsets`.

How qualcode maps onto REFI-QDA
-------------------------------
* Themes (any depth) are written as ``Code`` elements with ``isCodable="false"`` that
  contain their codes and sub-themes; codes are ``isCodable="true"`` leaves carrying the
  colour they inherit from their theme.  Descriptions go to ``Description``; the fields
  REFI has no place for (id, include, exclude, examples, aliases, patterns) go into an XML
  comment ``qualcode {json}`` in the element, which other tools do not show (or, with
  ``qualcode_block``, into a readable ``[qualcode]`` block at the Description's end).
* Cross-cutting themes are ``Sets`` of ``MemberCode``.
* Each document is a ``TextSource`` with an internal UTF-8 file ``sources/<guid>.txt``.
  All codings of one span share a ``PlainTextSelection`` (positions in Unicode code
  points by default, end exclusive; its name is the quote); each annotator's code on it is a ``Coding`` with its
  ``creatingUser``; annotators are ``Users``; coding memos are ``Notes`` linked by
  ``NoteRef``.
* Participants are ``Cases`` (name = participant id, Description = label) with a
  ``SourceRef`` per document; their attributes are ``Variables`` typed Text, Boolean,
  Integer, Float, Date or DateTime, one ``VariableValue`` per case (ISO-date strings are
  exported as Date and come back as ``datetime.date``; mixed types as Text).
* GUIDs are uuid5 of a fixed qualcode namespace and a typed key ("code:<id>",
  "source:<document>", …), so exporting twice gives the same GUIDs (and bytes) — except
  for items imported from another tool, which keep that tool's GUIDs (``guids``).
* Not exported: segments (sentences, paragraphs, turns), document language, coding
  origin, and characters XML cannot hold (control characters) in names and memos.
  Exact duplicate codings (same span, code and annotator) are written once, memos joined.

Reading other tools' projects (tree mapping in :mod:`qualcode.refi.codetree`)
-----------------------------------------------------------------------------
* A REFI code **with children** becomes a theme; when it is codable *and* text was coded
  with it directly, a code of the same name is added under that theme to hold those
  codings.  A codable code without children becomes a code under its parent's theme (top
  level if it has no parent); a non-codable code without children an (empty) theme.
* Ids come from the ``[qualcode]`` block when present, otherwise from the name as a slug
  (``[a-z][a-z0-9_]*``, Cyrillic transliterated), deduplicated across themes, codes and
  sets (``_2``, ``_3`` …).  Document names are source names without a file extension
  (NFC, deduplicated).  Participants come from Cases (name → id, a short one-line
  Description → label); Case and source variables become attributes/metadata.
  Annotators are the creating User's name, else the raw user GUID, else "unknown".
* Only internal plain-text sources are read (``internal://`` or a bare path such as
  ``board_2017.txt``, looked up in the archive's ``sources/``/``Sources/`` folder or root, or
  a ``sources/`` folder next to a bare .qde); ``relative://``/``absolute://`` paths are never
  followed, so a hostile project cannot pull local files into qualcode.
* Coding memos collect the coding's notes, the selection's Description and notes.
  Texts with CRLF line ends are normalised to LF (BOMs dropped); positions are converted
  from the counting each source uses (code points or UTF-16 units, CRLF as one or two —
  see :mod:`qualcode.refi.offsets`); codings no counting places are left out, with a warning.
* Not carried over, each reported in ``RefiProject.warnings`` with counts: PDF, picture,
  audio and video sources (and their transcripts/representations, selections and
  codings; PDFs keep only their plain-text representation and its text codings), text
  sources whose text is missing or external, selections without codings,
  sets of documents or memos and empty sets, code colours differing from their theme's,
  variables of unknown types, notes not attached to a coding or document, links, graphs
  and cases' code/selection references.
"""

from .reader import RefiProject, import_qdc, import_qdc_with_guids, import_qdpx
from .writer import TOOL_OPTIONS, ExportOptions, export_qdc, export_qdpx

__all__ = [
    "TOOL_OPTIONS",
    "ExportOptions",
    "RefiProject",
    "export_qdc",
    "export_qdpx",
    "import_qdc",
    "import_qdc_with_guids",
    "import_qdpx",
]
