"""Turn the bytes of a transcript file into normalised text, or refuse them clearly.

Accepted encodings, tried in this order:

1. a byte order mark: UTF-8 (``EF BB BF``), UTF-16 LE (``FF FE``), UTF-16 BE (``FE FF``)
   (if the bytes after a UTF-16 BOM are not UTF-16 text, detection goes on: ``FF FE`` is
   also "яю" in Windows-1251);
2. BOM-less UTF-16 LE/BE, recognised by its NUL pattern (ASCII characters leave a NUL
   in every odd byte for LE, every even byte for BE);
3. UTF-8;
4. Windows-1251, but only when the result is plausibly Russian (Cyrillic words, no words
   mixing Latin and Cyrillic letters) -- otherwise any Latin-1 file would "decode".

Anything else raises :class:`~qualcode.errors.InputFileError` naming the file, the byte
offset and line of the first undecodable byte and the fix (save the file as UTF-8).
Empty files, binary files (NUL bytes in a file that is not UTF-16), files larger than
``max_bytes`` and lines longer than ``max_line_chars`` are refused too.

The returned text has no BOM and only ``\\n`` line ends (CRLF and lone CR become LF):
all offsets in qualcode refer to this normalised text.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import InputFileError, Problem

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_LINE_CHARS = 1_000_000
SAVE_AS_UTF8 = 'Open it in a text editor and save it as UTF-8 ("Save as… → Encoding: UTF-8").'

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Letters of the Russian alphabet plus the other Cyrillic letters Windows-1251 encodes.
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_WORD = re.compile(r"[^\W\d_]+")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
# Non-ASCII characters other than Cyrillic letters and the punctuation a Russian text in
# Windows-1251 commonly contains.
_UNEXPECTED_IN_CP1251_RUSSIAN = re.compile("[^\x00-\x7f\u0400-\u04ff«»—–…№“”„‘’‚•§©®°±µ¶·\u00a0\u00ad€™]")
_ASCII = re.compile(r"[\x00-\x7f]")


def read_text_file(
    path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES, max_line_chars: int = DEFAULT_MAX_LINE_CHARS
) -> str:
    """Read and decode a text file (size checked before reading). See :func:`decode_text`."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputFileError(f"cannot read the file: {exc.strerror or exc}.", path=str(path)) from exc
    _check_size(size, path, max_bytes)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read the file: {exc.strerror or exc}.", path=str(path)) from exc
    return decode_text(data, path, max_bytes=max_bytes, max_line_chars=max_line_chars)


def decode_text(
    data: bytes,
    path: str | os.PathLike[str] | None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_line_chars: int = DEFAULT_MAX_LINE_CHARS,
) -> str:
    """Decode a transcript's bytes to text with ``\\n`` line ends and no BOM.

    >>> decode_text("Q: Привет\\r\\nA: Hi".encode("utf-16"), "x.txt")
    'Q: Привет\\nA: Hi'
    >>> decode_text("Интервью с экспертом".encode("cp1251"), "x.txt")
    'Интервью с экспертом'
    """
    where = str(path) if path is not None else None
    _check_size(len(data), where, max_bytes)
    if not data.strip():
        raise InputFileError(
            "the file is empty (or contains only blank lines).",
            path=where,
            hint="Add the transcript text, or remove the file from the folder.",
        )
    text = _decode(data, where)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise InputFileError(
            "the file is empty (or contains only blank lines).",
            path=where,
            hint="Add the transcript text, or remove the file from the folder.",
        )
    _check_line_lengths(text, where, max_line_chars)
    return text


# --------------------------------------------------------------------------- detection
def _decode(data: bytes, where: str | None) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            if encoding == "utf-8":
                return _strict(data, len(bom), encoding, where)
            # FF FE / FE FF are also "яю" / "юя" in Windows-1251: if the rest is not
            # UTF-16 text, go on with the other encodings instead of failing here.
            text = _try(data[len(bom) :], encoding)
            if text is None and b"\x00" in data:
                _strict(data, len(bom), encoding, where)  # damaged UTF-16: say where
            if text is not None and _looks_like_text(text):
                return text
            break
    nul = data.find(b"\x00")
    if nul >= 0:
        utf16 = _utf16_by_nul_pattern(data)
        if utf16 is not None:
            text = _try(data, utf16)
            if text is not None and _looks_like_text(text):
                return text
        raise InputFileError(
            Problem(
                f"contains NUL bytes (the first at byte offset {nul}): "
                "this looks like a binary file, not a text transcript.",
                path=where,
                line=_line_of(data, nul),
                hint="Export the transcript as plain text (.txt/.md, UTF-8) or .docx.",
            )
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    text = _try(data, "cp1251")
    if text is not None and plausibly_cyrillic(text):
        return text
    pos = utf8_error.start
    raise InputFileError(
        Problem(
            f"is not valid UTF-8: byte 0x{data[pos]:02X} at byte offset {pos} cannot be decoded, "
            "and the file is not UTF-16 or Windows-1251 Russian text either.",
            path=where,
            line=_line_of(data, pos),
            column=_column_of(data, pos),
            hint=SAVE_AS_UTF8,
        )
    )


def _strict(data: bytes, bom_length: int, encoding: str, where: str | None) -> str:
    try:
        return data[bom_length:].decode(encoding)
    except UnicodeDecodeError as exc:
        offset = exc.start + bom_length
        raise InputFileError(
            Problem(
                f"starts with a {encoding.upper()} byte order mark but byte offset {offset} after it "
                f"is not valid {encoding.upper()}.",
                path=where,
                line=_line_of(data, offset),
                hint=SAVE_AS_UTF8,
            )
        ) from exc


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _utf16_by_nul_pattern(data: bytes) -> str | None:
    """UTF-16 LE/BE when NULs sit in odd/even bytes as text's ASCII/Latin-1 chars put them.

    At least a tenth of the characters must leave a NUL on the expected side (spaces and
    punctuation do so even in Cyrillic text), and the other side may have at most a
    quarter as many (characters like U+0100 or U+4E00): a stray NUL in a text file or a
    binary file does not look like that.
    """
    if len(data) % 2:
        return None
    odd = data[1::2].count(0)
    even = data[0::2].count(0)
    chars = len(data) // 2
    if odd * 10 >= chars and even * 4 <= odd:
        return "utf-16-le"
    if even * 10 >= chars and odd * 4 <= even:
        return "utf-16-be"
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _looks_like_text(text: str) -> bool:
    """Reject decodings with NULs or many control characters (binary, UTF-32)."""
    if "\x00" in text:
        return False
    return _CONTROL.subn("", text)[1] <= len(text) / 100


def plausibly_cyrillic(text: str) -> bool:
    """True if ``text`` (decoded as Windows-1251) reads as Russian/Cyrillic, not mojibake.

    Latin-1 text decoded as Windows-1251 yields Cyrillic letters *inside* Latin words
    ("café" → "cafй"); real Russian text has whole Cyrillic words and no such mixtures.

    >>> plausibly_cyrillic("Мы начали работу в 2010 году.")
    True
    >>> plausibly_cyrillic("Le cafй йtait fermй.")
    False
    """
    cyrillic_words = mixed_words = 0
    for word in _WORD.findall(text):
        if _CYRILLIC.search(word):
            cyrillic_words += 1
            if _LATIN_LETTER.search(word):
                mixed_words += 1
    if cyrillic_words == 0 or mixed_words > cyrillic_words / 20:
        return False
    if _CONTROL.search(text):
        return False
    non_ascii = len(text) - _ASCII.subn("", text)[1]
    odd = _UNEXPECTED_IN_CP1251_RUSSIAN.subn("", text)[1]
    return odd <= non_ascii / 20


# --------------------------------------------------------------------------- limits
def _check_size(size: int, where: str | os.PathLike[str] | None, max_bytes: int) -> None:
    if size > max_bytes:
        raise InputFileError(
            Problem(
                f"is {size / 1e6:.1f} MB, more than the {max_bytes / 1e6:.1f} MB limit for a transcript.",
                path=str(where) if where is not None else None,
                hint="Split the transcript into several files, or raise the limit if it really is one interview.",
            )
        )


def _check_line_lengths(text: str, where: str | None, max_line_chars: int) -> None:
    if len(text) <= max_line_chars:
        return
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > max_line_chars:
            raise InputFileError(
                Problem(
                    f"line {number} is {len(line):,} characters long (limit {max_line_chars:,}); "
                    "this is not a readable transcript.",
                    path=where,
                    line=number,
                    hint="Check that this is the right file; break the text into paragraphs.",
                )
            )


def check_text_bounds(
    text: str, where: str | None, *, max_chars: int = DEFAULT_MAX_BYTES, max_line_chars: int = DEFAULT_MAX_LINE_CHARS
) -> None:
    """The limits of a text transcript, for text that came out of another format (.docx)."""
    if len(text) > max_chars:
        raise InputFileError(
            Problem(
                f"holds {len(text) / 1e6:.1f} million characters of text, more than the "
                f"{max_chars / 1e6:.1f} million limit for a transcript.",
                path=where,
                hint="Split the transcript into several files.",
            )
        )
    _check_line_lengths(text, where, max_line_chars)


def _column_of(data: bytes, offset: int) -> int:
    """1-based column (in bytes) of a byte offset within its line."""
    return offset - max(data.rfind(b"\n", 0, offset), data.rfind(b"\r", 0, offset))


def _line_of(data: bytes, offset: int) -> int:
    """1-based line number of a byte offset (LF, CRLF or CR line ends; UTF-16 aware enough)."""
    head = data[:offset]
    lf = head.count(b"\n")
    return (lf if lf else head.count(b"\r")) + 1


__all__ = [
    "check_text_bounds",
    "decode_text",
    "read_text_file",
    "plausibly_cyrillic",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_LINE_CHARS",
]
