"""How a run writes an input file's path: in `documents.path`, `input_files.path`, the run's
output, log and summary. A file name is bytes, and not every name is UTF-8 text (a name
with the byte 0xff, say, made by a Latin-1 tool). So a path is stored as its text when its
bytes are UTF-8 without a backslash, as it always was; otherwise each byte that is not UTF-8
is written `\\xHH` (two lowercase hex digits) and each backslash `\\\\`. The stored text is
valid UTF-8 and names one file: `os_path` gives the name back (in the shell, `$'…'` reads
the same escapes: `ls $'caf\\xe9.txt'`).

Python hands a run the names it finds, and its arguments, with each undecodable byte as a
lone surrogate (PEP 383): `path_text` turns those into the stored text at discovery, and
`os_path` turns the stored text back into the name where a file is opened or stat'ed.
"""

from __future__ import annotations

import os
import re

ESCAPE_RE = re.compile(rb"\\(\\|x[0-9a-f]{2})")


def path_text(name: str) -> str:
    """The stored text of a path as Python has it (undecodable bytes as lone surrogates)."""
    if "\\" not in name:
        try:
            name.encode()
        except UnicodeEncodeError:
            pass
        else:
            return name
    return os.fsencode(name).replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")


def os_path(text: str) -> str:
    """The path that `text` (a stored path) names, as Python opens it."""
    if "\\" not in text:
        return text
    raw = ESCAPE_RE.sub(lambda m: b"\\" if m[1] == b"\\" else bytes([int(m[1][1:], 16)]), text.encode())
    return os.fsdecode(raw)
