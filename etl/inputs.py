"""The input files of a run: which files it is given (discover), what identifies a file an
earlier run read (Identity), and which of them need reading again (select)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from etl.extract import Rejected
from etl.extract.reader import path_id


class Identity(NamedTuple):
    """What a file was when a run read it: unchanged size, time and inode, unchanged bytes."""

    path: str
    size_bytes: int
    modified_ns: int
    inode: int
    document_id: str


def identity(path: Path, st: os.stat_result, document_id: str) -> Identity:
    return Identity(str(path), st.st_size, st.st_mtime_ns, st.st_ino, document_id)


def discover(paths: Iterable[Path], skip: Path | None = None) -> tuple[list[Path], list[Rejected]]:
    """Every file given, and every *.txt below every folder given, in a stable order;
    never below `skip` (the warehouse, when it sits in an input folder).

    Unreadable folders, dangling links and symlink loops are reported, not raised."""
    files: list[Path] = []
    problems: list[Rejected] = []
    skip_key = _key(skip) if skip else None

    def problem(p: Path, reason: str) -> None:
        problems.append(Rejected(path_id(str(p)), str(p), None, reason))

    for root in paths:
        if root.is_dir():
            files += _walk(root, skip_key, problem)
        elif root.exists() or root.is_symlink():
            files.append(root)
        else:
            problem(root, "no such file or folder")
    return files, problems


def _walk(root: Path, skip_key: tuple[int, int] | None, problem) -> list[Path]:
    """The *.txt files below `root`, in name order, following links but not loops."""
    files: list[Path] = []
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
        files += [Path(dirpath) / name for name in sorted(filenames) if name.endswith(".txt")]
    return files


def _key(path: Path | str) -> tuple[int, int] | None:
    """What identifies a folder however it is reached (links included); None if gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


@dataclass(frozen=True)
class Selection:
    to_read: list[tuple[int, Path]]  # (index among the run's files, path)
    unchanged: list[Identity]  # files to skip unread


def select(files: list[Path], inputs: dict[str, Identity], known: dict[str, str],
           retry_rejected: bool) -> Selection:
    """Which files to read: not those an earlier run read, with the same size, time and
    inode, whose document needs no reading (loaded, or rejected and not retried)."""
    to_read: list[tuple[int, Path]] = []
    unchanged: list[Identity] = []
    for index, path in enumerate(files):
        was = inputs.get(str(path))
        try:
            now = identity(path, path.stat(), was.document_id) if was else None
        except OSError:
            now = None
        status = known.get(was.document_id) if was else None
        if now == was and (status == "loaded" or (status and not retry_rejected)):
            unchanged.append(was)
        else:
            to_read.append((index, path))
    return Selection(to_read, unchanged)
