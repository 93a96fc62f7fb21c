"""The input files of a run: which files it is given (discover), what identifies a file an
earlier run read (Identity), and which of them need reading again (select)."""

from __future__ import annotations

import bisect
import itertools
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa

from etl.extract import Rejected
from etl.extract.reader import path_id
from etl.schemas import sql


class Identity(NamedTuple):
    """What a file was when a run read it: unchanged size, time and inode, unchanged bytes."""

    path: str
    size_bytes: int
    modified_ns: int
    inode: int
    document_id: str


def identity(path: Path, st: os.stat_result, document_id: str) -> Identity:
    return Identity(str(path), st.st_size, st.st_mtime_ns, st.st_ino, document_id)


def discover(paths: Iterable[Path], skip: Path | None = None) -> tuple[list[str], list[Rejected]]:
    """The files `found`, as a list, and the problems met."""
    problems: list[Rejected] = []
    return list(found(paths, skip, problems)), problems


def found(paths: Iterable[Path], skip: Path | None, problems: list[Rejected]) -> Iterator[str]:
    """Every file given, and every *.txt below every folder given, in a stable order;
    never below `skip` (the warehouse, when it sits in an input folder). One at a time, as
    strings: a run may be given hundreds of thousands of files.

    Unreadable folders, dangling links and symlink loops are added to `problems`, not raised."""
    skip_key = _key(skip) if skip else None

    def problem(p: Path, reason: str) -> None:
        problems.append(Rejected(path_id(str(p)), str(p), None, reason))

    for root in paths:
        if root.is_dir():
            yield from _walk(root, skip_key, problem)
        elif root.exists() or root.is_symlink():
            yield str(root)
        else:
            problem(root, "no such file or folder")


def _walk(root: Path, skip_key: tuple[int, int] | None, problem) -> Iterator[str]:
    """The *.txt files below `root`, in name order, following links but not loops."""
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(
        root, followlinks=True, onerror=lambda e: problem(Path(e.filename), f"cannot read folder: {e.strerror}")
    ):
        st = os.stat(dirpath)
        if (st.st_dev, st.st_ino) in seen:
            problem(Path(dirpath), "symlink loop: folder already visited")
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if _key(os.path.join(dirpath, d)) != skip_key)
        yield from (os.path.join(dirpath, name) for name in sorted(filenames) if name.endswith(".txt"))


def _key(path: Path | str) -> tuple[int, int] | None:
    """What identifies a folder however it is reached (links included); None if gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


@dataclass(frozen=True)
class Selection:
    to_read: pa.Table  # file_index (among the run's files), path, size_bytes: the files to read, in order
    unchanged: int  # files skipped unread


FILE_STATS = pa.schema([("file_index", pa.int64()), ("path", pa.string()), ("size_bytes", pa.int64()),
                        ("modified_ns", pa.int64()), ("inode", pa.int64())])


def file_stats(files: Iterable[str], batch: int = 65_536) -> pa.Table:
    """Index, path, size, time and inode of each file (nulls where it cannot be read), made
    `batch` files at a time: no Python list ever holds every file."""
    batches, files, start = [], iter(files), 0
    while paths := list(itertools.islice(files, batch)):
        stats = [_stat(path) for path in paths]
        batches.append(pa.record_batch([
            range(start, start + len(paths)), paths, [st.st_size if st else None for st in stats],
            [st.st_mtime_ns if st else None for st in stats], [st.st_ino if st else None for st in stats],
        ], schema=FILE_STATS))
        start += len(paths)
    return pa.Table.from_batches(batches, schema=FILE_STATS)


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def select(con, files: Iterable[str], retry_rejected: bool, everything: bool = False) -> Selection:
    """Which files to read (all of them if `everything`): not those an earlier run read
    (the warehouse's input_files, in `con`), with the same size, time and inode, whose
    document needs no reading (loaded, or rejected and not retried). The files are compared
    in DuckDB, not in a dictionary of every file read before (sql/run/select_inputs.sql)."""
    stats = file_stats(files)
    if everything:
        to_read = stats.select(["file_index", "path", "size_bytes"])
    else:
        con.register("discovered_files", stats)
        try:
            to_read = con.execute(sql("run/select_inputs"), [retry_rejected]).to_arrow_table()
        finally:
            con.unregister("discovered_files")
    return Selection(to_read, stats.num_rows - to_read.num_rows)


KEY_BYTES = 16  # of a document id (a SHA-256, 32 bytes, in hex) that Known keeps


class Known:
    """The documents in the warehouse a run does not read again (loaded, or rejected when the
    run does not retry them), by id: the first KEY_BYTES bytes of each, sorted, in one bytes
    object. 16 bytes a document where a dictionary of the ids took about 200, in the run's
    process and in each worker it is sent to."""

    def __init__(self, keys: bytes = b"") -> None:
        self.keys = keys

    @classmethod
    def read(cls, con, retry_rejected: bool) -> Known:
        """The warehouse's (`con`: its lake attached and in use), without a Python object per document."""
        column = con.execute(sql("run/known_documents"), [retry_rejected]).to_arrow_table()["id_key"]
        keys = column.combine_chunks().cast(pa.binary(KEY_BYTES))
        data = keys.buffers()[1]  # the keys end to end
        return cls(data.to_pybytes()[keys.offset * KEY_BYTES:(keys.offset + len(keys)) * KEY_BYTES] if data else b"")

    def __len__(self) -> int:
        return len(self.keys) // KEY_BYTES

    def __contains__(self, document_id: str) -> bool:
        key = bytes.fromhex(document_id[:2 * KEY_BYTES])
        i = bisect.bisect_left(range(len(self)), key, key=self._key)
        return i < len(self) and self._key(i) == key

    def _key(self, i: int) -> bytes:
        return self.keys[i * KEY_BYTES:(i + 1) * KEY_BYTES]
