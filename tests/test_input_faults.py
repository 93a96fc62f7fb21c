"""Input faults that stay per file: file names that are not UTF-8, and the warehouse folder
given as input (or reached from it). Real `etl run` processes over real files and folders.

- A name with bytes that are not UTF-8 (a Latin-1 `é`, a stray 0xff) is read like any other:
  its path is stored as text with `\\xHH` escapes (etl/core/paths.py), which map back to the file
  (the shell's `$'…'` reads them), and a later run skips it unread while it is unchanged.
- Nothing in the warehouse folder is read as input, however it is reached: given as an input
  folder, through a link, a relative path or `..`, a file or folder in it given by name (each
  rejected with a reason, on every run), or met below an input folder (left out, as the
  warehouse itself is when it sits in an input folder)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest

from etl.core.paths import os_path
from etl.run.inputs import discover
from tests.corpus import (
    can_drop_root_read_powers,
    etl_subject_to_permissions,
    fingerprint,
    front_page,
    second_dump,
    write,
)
from tests.test_bad_input import jpeg
from tests.utils import SAMPLE, etl, lake_rows, rows

HOUR_AGO = time.time_ns() - 3600 * 10**9  # settled: a run remembers the files by size, time and inode
NUL_REASON = "contains NUL bytes: a binary file, not a text dump"


def _name(folder: Path, raw: bytes) -> Path:
    """The path `folder`/`raw`, a name given as bytes (not all of them UTF-8)."""
    return folder / os.fsdecode(raw)


# ---------------------------------------------------------------- file names that are not UTF-8


@pytest.fixture(scope="module")
def odd_names(tmp_path_factory) -> dict:
    """Dumps named with bytes that are not UTF-8, in folders named so too, next to a plainly
    named one; one of them binary (rejected). Two runs: the second finds them unchanged."""
    root = tmp_path_factory.mktemp("odd-names")
    dumps = root / "dumps"
    good = {  # the stored text of each path (written out by hand: \xHH for a byte, \\ for a backslash)
        f"{dumps}/aletho-news-2020-01-09.txt": (b"aletho-news-2020-01-09.txt", SAMPLE.read_bytes()),
        f"{dumps}/caf\\xe9.txt": (b"caf\xe9.txt", front_page(date(2020, 1, 7)).encode()),
        f"{dumps}/caf\\\\xe9.txt": (b"caf\\xe9.txt", front_page(date(2020, 1, 8)).encode()),  # a real backslash
        f"{dumps}/d\\xe9j\\xe0/\\xff\\xfe.txt": (b"d\xe9j\xe0/\xff\xfe.txt",
                                                 second_dump(root / "made").read_bytes()),
    }
    bad = {f"{dumps}/\\x80\\x81/binary \\xff.txt": (b"\x80\x81/binary \xff.txt", jpeg())}
    files = {stored: write(_name(dumps, name), content) for stored, (name, content) in (good | bad).items()}
    for path in files.values():
        os.utime(path, ns=(HOUR_AGO, HOUR_AGO))
    before = {stored: fingerprint(p) for stored, p in files.items()}
    wh = root / "warehouse"
    first = etl("run", dumps, "--warehouse", wh, "--summary-json", root / "first.json")
    lake = {path: (status, error) for path, status, error in rows(wh, "select path, status, error from documents")}
    inputs = sorted(p for p, *_ in lake_rows(wh, "input_files"))
    # The second run: if it opened any of them it would be rejected (unreadable) under a
    # process that file permissions apply to; unchanged, they are skipped unread.
    permissions = can_drop_root_read_powers()
    modes = {p: p.stat().st_mode for p in files.values()}
    for path in files.values() if permissions else ():
        path.chmod(0)
    try:
        second = (etl_subject_to_permissions if permissions else etl)("run", dumps, "--warehouse", wh)
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
    return {"root": root, "wh": wh, "good": good, "bad": bad, "files": files, "before": before, "first": first,
            "documents": lake, "inputs": inputs, "second": second, "permissions": permissions}


def test_names_that_are_not_utf8_are_read_and_stored_as_escaped_text(odd_names):
    n = odd_names
    first = n["first"]
    assert first.returncode == 1, first.stdout + first.stderr
    assert "documents: 4 loaded, 0 skipped (seen before), 1 rejected" in first.stdout
    (bad,) = n["bad"]
    assert f"rejected {bad}: {NUL_REASON}\n" in first.stdout
    assert n["documents"] == {**{p: ("loaded", None) for p in n["good"]}, bad: ("rejected", NUL_REASON)}
    assert n["inputs"] == sorted([*n["good"], bad])
    summary = json.loads((n["root"] / "first.json").read_text(encoding="utf-8"))
    assert summary["rejected"] == [{"path": bad, "reason": NUL_REASON}]
    assert rows(n["wh"], "select count(*) from posts") == [(12,)]
    assert {p: fingerprint(f) for p, f in n["files"].items()} == n["before"]  # only read


def test_a_stored_path_names_its_file(odd_names):
    """Each stored path maps back to its file: through etl.core.paths.os_path, and in the shell."""
    for stored, path in odd_names["files"].items():
        content = path.read_bytes()
        assert Path(os_path(stored)).read_bytes() == content
        shell = subprocess.run(["bash", "-c", f"cat -- $'{stored}'"], capture_output=True, check=True)
        assert shell.stdout == content, stored


def test_unchanged_files_with_such_names_are_skipped_unread(odd_names):
    second = odd_names["second"]
    assert second.returncode == 0, second.stdout + second.stderr
    assert "documents: 0 loaded, 5 skipped (seen before), 0 rejected" in second.stdout
    assert "nothing new: the warehouse is unchanged" in second.stdout
    if not odd_names["permissions"]:
        pytest.skip("running as root and cannot drop root's read powers: skipped, but not shown unread")


# ---------------------------------------------------------------- the warehouse is never input


WAREHOUSE_ITSELF = "the warehouse folder: the warehouse is never read as input"
IN_WAREHOUSE = "in the warehouse folder wh: the warehouse is never read as input"


@pytest.fixture(scope="module")
def warehouse_as_input(tmp_path_factory) -> dict:
    """A warehouse `wh` holding text files (a user's notes, the logs), and an input folder `.`
    that holds the warehouse, a dump, and links into the warehouse; the warehouse and what is
    in it given by name in every way there is. Run twice from `.`, with relative paths."""
    root = tmp_path_factory.mktemp("warehouse-input")
    wh = root / "wh"
    good = write(root / "dumps" / "aletho-news-2020-01-09.txt", SAMPLE.read_bytes())
    setup = etl("run", good, "--warehouse", wh)  # a warehouse with a run and its logs
    assert setup.returncode == 0, setup.stdout + setup.stderr
    notes = write(wh / "notes.txt", front_page(date(2020, 1, 7)))
    write(wh / "logs" / "notes.txt", second_dump(tmp_path_factory.mktemp("made")).read_bytes())
    (root / "wh-alias").symlink_to("wh")  # the warehouse through a link
    (root / "dumps" / "logs").symlink_to(wh / "logs")  # a folder in the warehouse, through a link
    (root / "dumps" / "notes.txt").symlink_to(notes)  # a file in the warehouse, through a link
    write(root / "dumps" / "aletho-news-2020-01-10.txt", front_page(date(2020, 1, 8)))
    given = {  # what each argument is, and why it is not read
        "wh": WAREHOUSE_ITSELF, "wh-alias": WAREHOUSE_ITSELF, "dumps/../wh": WAREHOUSE_ITSELF,
        f"{wh}": WAREHOUSE_ITSELF, "wh/notes.txt": IN_WAREHOUSE, "wh/logs": IN_WAREHOUSE,
    }
    args = ["run", ".", *given, "--warehouse", "wh"]
    first, second = etl(*args, cwd=root), etl(*args, cwd=root)
    return {"wh": wh, "given": given, "first": first, "second": second}


def test_the_warehouse_given_as_input_is_rejected_on_every_run(warehouse_as_input):
    w = warehouse_as_input
    for run in (w["first"], w["second"]):
        assert run.returncode == 1, run.stdout + run.stderr
        for arg, reason in w["given"].items():
            assert f"rejected {arg}: {reason}\n" in run.stdout
    assert "documents: 1 loaded, 1 skipped (seen before), 6 rejected" in w["first"].stdout
    assert "documents: 0 loaded, 2 skipped (seen before), 6 rejected" in w["second"].stdout
    docs = sorted(rows(w["wh"], "select path, status, error from documents"))
    assert docs == sorted([
        (str(w["wh"].parent / "dumps" / "aletho-news-2020-01-09.txt"), "loaded", None),
        ("dumps/aletho-news-2020-01-10.txt", "loaded", None),
        *((arg, "rejected", reason) for arg, reason in w["given"].items()),
    ])


def test_nothing_below_an_input_folder_is_read_in_the_warehouse(warehouse_as_input):
    """`.` holds the warehouse, and links to its logs folder and to a note in it: the one new
    dump there loads (above), nothing of the warehouse, and none of it is reported: it was
    not given, as the warehouse in a folder of dumps never was."""
    w = warehouse_as_input
    for run in (w["first"], w["second"]):
        assert not any(f"rejected {p}" in run.stdout for p in ("./wh", "dumps/logs", "dumps/notes.txt"))
    stored = [path for (path,) in rows(w["wh"], "select path from documents")]
    assert sorted(p for p in stored if "notes" in p or "logs" in p) == ["wh/logs", "wh/notes.txt"]


@pytest.mark.quick
def test_a_path_given_twice_is_one_problem(tmp_path):
    """One `documents` row per path: a missing file, or the warehouse, given twice."""
    wh, missing = tmp_path / "wh", tmp_path / "aletho-news-2020-01-31.txt"
    wh.mkdir()
    files, problems = discover([missing, wh, missing, wh], wh)
    assert files == []
    assert [(p.path, p.reason, p.every_run) for p in problems] == [
        (str(missing), "no such file or folder", False), (str(wh), WAREHOUSE_ITSELF, True)]
