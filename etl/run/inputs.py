"""The input files of a run: which files it is given (discover), what identifies a file an
earlier run read (Identity), and which of them need reading again (select)."""

from __future__ import annotations

import array
import bisect
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa

from etl.core.duck import sql_value
from etl.core.paths import os_path, path_text
from etl.core.schemas import sql
from etl.extract import Rejected
from etl.extract.reader import path_id

Key = tuple[int, int]  # (device, inode): a folder however it is reached


class Identity(NamedTuple):
    """What a file was when a run read it: unchanged size, time and inode, unchanged bytes."""

    path: str
    size_bytes: int
    modified_ns: int
    inode: int
    document_id: str


def identity(path: Path, st: os.stat_result, document_id: str) -> Identity:
    return Identity(str(path), st.st_size, st.st_mtime_ns, st.st_ino, document_id)


def discover(paths: Iterable[Path], warehouse: Path | None = None) -> tuple[list[str], list[Rejected]]:
    """The files `found`, as a list, and the problems met."""
    problems: list[Rejected] = []
    return list(find_inputs(paths, warehouse, problems)), problems


def find_inputs(paths: Iterable[Path], warehouse: Path | None, problems: list[Rejected]) -> Iterator[str]:
    """Every file given, and every *.txt below every folder given, in a stable order, as
    their stored text (etl/core/paths.py). One at a time: a run may be given hundreds of thousands.

    Nothing in the `warehouse` folder is read, however it is reached: a folder or file given
    that is the warehouse or lies in it is a problem (`_in_warehouse`), on every run; below a folder given,
    the warehouse, and links into it, are left out without a word (dumps and warehouse may
    share a folder). Unreadable folders, dangling links and symlink loops are added to
    `problems`, not raised."""
    wh = _key(warehouse) if warehouse else None
    reported: set[str] = set()  # a path given twice is one problem (one `documents` row)

    def problem(p: Path | str, reason: str, every_run: bool = False) -> None:
        shown = path_text(str(p))
        if shown not in reported:
            reported.add(shown)
            problems.append(Rejected(path_id(shown), shown, None, reason, every_run))

    for root in paths:
        if wh and _inside(root, wh):
            problem(root, _in_warehouse(root, warehouse, wh), every_run=True)
        elif root.is_dir():
            yield from _walk(str(root), wh, problem)
        elif root.exists() or root.is_symlink():
            yield path_text(str(root))
        else:
            problem(root, "no such file or folder")


def _in_warehouse(path: Path, warehouse: Path, wh: Key) -> str:
    """Why a path given to a run is not read: it is the warehouse folder, or lies in it."""
    if _key(path) == wh:
        return "the warehouse folder: the warehouse is never read as input"
    return f"in the warehouse folder {path_text(str(warehouse))}: the warehouse is never read as input"


def _walk(root: str, wh: Key | None, problem: Callable[[str, str], None]) -> Iterator[str]:
    """The *.txt files below `root`, in name order, depth first, following links but not
    loops, nor into the warehouse (`wh`)."""
    seen: set[Key] = set()
    folders = [root]
    while folders:
        folder = folders.pop()
        key = _key(folder)
        if wh and key == wh:
            continue
        if key in seen:
            problem(folder, "symlink loop: folder already visited")
            continue
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as e:
            problem(folder, f"cannot read folder: {e.strerror}")
            continue
        if key:
            seen.add(key)
        # As pathlib writes them (no "./" in front), as the workers store the files they read.
        prefix = "" if folder == "." else folder.rstrip("/") + "/"
        below = []
        for entry in entries:
            if entry.is_symlink() and wh and _inside(entry.path, wh):
                continue
            if _is_dir(entry):
                below.append(prefix + entry.name)
            elif entry.name.endswith(".txt"):
                yield path_text(prefix + entry.name)
        folders.extend(reversed(below))


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _key(path: Path | str) -> Key | None:
    """What identifies a folder however it is reached (links included); None if gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _inside(path: Path | str, folder: Key) -> bool:
    """`path`, its links resolved, is the folder `folder` identifies or lies below it."""
    real = os.path.realpath(path)
    while True:
        if _key(real) == folder:
            return True
        parent = os.path.dirname(real)
        if parent == real:
            return False
        real = parent


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
        if all(stats):
            columns = [_int64(range(start, start + len(paths))), _strings(paths),
                       *(_int64([getattr(st, name) for st in stats]) for name in ("st_size", "st_mtime_ns", "st_ino"))]
        else:  # a file that cannot be read: its nulls the usual way
            columns = [pa.array(c, f.type) for c, f in zip((
                range(start, start + len(paths)), paths, [st.st_size if st else None for st in stats],
                [st.st_mtime_ns if st else None for st in stats], [st.st_ino if st else None for st in stats],
            ), FILE_STATS, strict=True)]
        batches.append(pa.RecordBatch.from_arrays(columns, schema=FILE_STATS))
        start += len(paths)
    return pa.Table.from_batches(batches, schema=FILE_STATS)


# Arrays made from their buffers: converting Python lists (pa.array) makes pyarrow import
# pandas, 0.3 CPU s that a run with nothing new spends on nothing else (etl.core.duck.sql_value).
def _int64(values: Iterable[int]) -> pa.Array:
    data = array.array("q", values)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def _strings(values: list[str]) -> pa.Array:
    encoded = [v.encode() for v in values]
    offsets = array.array("i", [0, *itertools.accumulate(map(len, encoded))])
    return pa.Array.from_buffers(pa.string(), len(encoded), [None, pa.py_buffer(offsets),
                                                             pa.py_buffer(b"".join(encoded))])


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(os_path(path))
    except OSError:
        return None


def choose_inputs(con, files: Iterable[str], retry_rejected: bool, folder: Path, everything: bool = False
                  ) -> Selection:
    """Which files to read (all of them if `everything`): not those an earlier run read
    (the warehouse's input_files, in `con`), with the same size, time and inode, whose
    document needs no reading (loaded, or rejected and not retried). The files are compared
    in DuckDB, not in a dictionary of every file read before (sql/run/select_inputs.sql).
    `folder`: a scratch folder of the run's."""
    import pyarrow.parquet as pq

    stats = file_stats(files)
    if everything:
        to_read = stats.select(["file_index", "path", "size_bytes"])
    else:
        # Handed to DuckDB as a Parquet file: registering an Arrow table imports pandas too.
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "discovered_files.parquet"
        pq.write_table(stats, path, compression="none")
        try:
            to_read = con.execute(sql("run/select_inputs").format(
                discovered_files=sql_value(path.as_posix()), retry_rejected=sql_value(retry_rejected))).to_arrow_table()
        finally:
            path.unlink(missing_ok=True)
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
