"""Reading one input file: bytes → text, or a one-line reason to reject it.

The only I/O of the extract stage. Input files are opened read-only and never changed.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from etl.core.paths import path_text

HTML_RE = re.compile(r"^\s*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])", re.IGNORECASE)
MAX_CONTROL_RATIO = 0.01  # share of control characters above which text counts as binary
# Control characters other than \t \n \v \f \r: one byte each, the same in every encoding read.
CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\v\f\r")


@dataclass(frozen=True)
class Document:
    document_id: str  # SHA-256 of the raw bytes
    path: str
    size_bytes: int
    encoding: str
    text: str


@dataclass(frozen=True)
class Rejected(Exception):
    document_id: str
    path: str
    size_bytes: int | None
    reason: str
    # Reported by every run given it, not by the first only: a mistake in the command (the
    # warehouse given as input), not in a file, which a later run must not pass over in silence.
    every_run: bool = False

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"

    def __reduce__(self):  # an Exception pickles its args, a frozen dataclass needs its fields
        return Rejected, (self.document_id, self.path, self.size_bytes, self.reason, self.every_run)


def path_id(path: str) -> str:
    """Id of a document whose bytes could not be read: a hash of its path."""
    return hashlib.sha256(f"path:{path}".encode()).hexdigest()


def decode(raw: bytes) -> tuple[str, str]:
    """Decode a dump: UTF-8 (with or without BOM), else Windows-1252, else Latin-1.

    Returns (text with LF line endings, in Unicode NFC, encoding). Raises ValueError for
    binary data. NFC: a dump saved in NFD (é as e + U+0301, as macOS writes it) reads as
    the same text, so its names, titles and ids are those of the same dump in NFC.
    """
    if b"\x00" in raw:
        raise ValueError("contains NUL bytes: a binary file, not a text dump")
    if raw.startswith(b"\xef\xbb\xbf"):
        text, encoding = raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    else:
        for encoding in ("utf-8", "cp1252", "latin-1"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    controls = len(raw) - len(raw.translate(None, CONTROL_BYTES))
    if controls > MAX_CONTROL_RATIO * len(text):
        raise ValueError(f"binary file: {controls} control characters in {len(text)}")
    return unicodedata.normalize("NFC", text), encoding


def read_bytes(path: Path, max_bytes: int) -> tuple[str, bytes, os.stat_result]:
    """(document id, bytes, stat taken before reading) of one input file; raise Rejected, under
    the path's stored text (etl/core/paths.py), if it cannot be read."""
    shown = path_text(str(path))
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO or a device would block or never end
            raise Rejected(path_id(shown), shown, None, "not a regular file")
        size = st.st_size
        if size > max_bytes:
            raise Rejected(path_id(shown), shown, size,
                           f"file is {size} bytes, over the limit of {max_bytes} (--max-bytes)")
        raw = path.read_bytes()
    except OSError as e:
        raise Rejected(path_id(shown), shown, None, f"cannot read: {e.strerror or e}") from None
    return hashlib.sha256(raw).hexdigest(), raw, st


def to_document(path: str, document_id: str, raw: bytes) -> Document:
    """Decode the bytes of one input file; raise Rejected with the reason they cannot be used."""
    if not raw.strip():
        raise Rejected(document_id, path, len(raw), "empty file")
    try:
        text, encoding = decode(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise Rejected(document_id, path, len(raw), str(e)) from None
    if HTML_RE.match(text) or (text.lstrip().startswith("<") and text.count("</") > 5):
        raise Rejected(document_id, path, len(raw), "an HTML page, not a text dump")
    return Document(document_id, path, len(raw), encoding, text)
