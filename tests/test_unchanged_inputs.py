"""Files an earlier run read are skipped unread while their size, time and inode are unchanged."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from etl.core import duck
from etl.core.settings import DEFAULT_MAX_BYTES
from etl.core.summary import Documents
from etl.run import pipeline
from etl.run.inputs import Identity, Known, choose_inputs, identity
from etl.storage import lake
from tests.corpus import nightly_dumps, write
from tests.utils import SAMPLE, rows

OLD = time.time_ns() - 3600 * 10**9  # an hour ago: settled, not still being written


def _run(warehouse: Path, *inputs: Path) -> pipeline.RunResult:
    return pipeline.run(list(inputs), warehouse, max_bytes=DEFAULT_MAX_BYTES, log=lambda *a, **k: None, jobs=1)


def _inputs(warehouse: Path) -> dict[str, Identity]:
    """The input files the warehouse's runs read, by path."""
    with duck.connect() as con:
        lake.attach(con, warehouse, read_only=True)
        con.execute("use lake")
        return {r[0]: Identity(*r) for r in con.execute(
            "select path, size_bytes, modified_ns, inode, document_id from input_files").fetchall()}


def test_unchanged_files_are_remembered_and_changed_ones_read_again(tmp_path):
    dumps = nightly_dumps(tmp_path / "dumps")
    for p in dumps:
        os.utime(p, ns=(OLD, OLD))
    wh = tmp_path / "wh"
    first = _run(wh, tmp_path / "dumps")
    inputs = _inputs(wh)
    assert sorted(inputs) == sorted(str(p) for p in dumps)
    assert {i.document_id for i in inputs.values()} == {d for d, in rows(wh, "select document_id from documents")}

    # Unchanged: skipped by size, time and inode. Touched: read again, same bytes, skipped.
    os.utime(dumps[0], ns=(OLD + 60, OLD + 60))
    second = _run(wh, tmp_path / "dumps")
    assert second.summary.documents == Documents(new=0, skipped=3, rejected=0)
    again = _inputs(wh)
    assert again[str(dumps[0])] == inputs[str(dumps[0])]._replace(modified_ns=OLD + 60)
    assert again[str(dumps[1])] == inputs[str(dumps[1])]

    # New bytes at the same path: read and loaded.
    write(dumps[1], SAMPLE.read_text(encoding="utf-8") + "\nA line more.\n")
    os.utime(dumps[1], ns=(OLD + 120, OLD + 120))
    third = _run(wh, tmp_path / "dumps")
    assert (first.summary.documents.new, third.summary.documents) == \
        (3, Documents(new=1, skipped=2, rejected=0))


def _select(files: list[Path], read_before: list[Identity], known: dict[str, str],
            retry: bool) -> tuple[list[tuple], int]:
    """`inputs.choose_inputs` against a warehouse that read `read_before` and holds `known`: the
    (index, path, size) of each file to read, and how many are unchanged."""
    from etl.core.schemas import RAW_INPUTS, arrow_schemas, raw_schemas

    with duck.connect() as con:
        con.register("input_files", pa.Table.from_pylist([i._asdict() for i in read_before],
                                                          raw_schemas()[RAW_INPUTS]))
        con.register("documents", pa.Table.from_pylist([{"document_id": d, "status": s} for d, s in known.items()],
                                                        arrow_schemas()["documents"]))
        with tempfile.TemporaryDirectory() as folder:
            chosen = choose_inputs(con, [str(f) for f in files], retry, Path(folder))
    return [tuple(r.values()) for r in chosen.to_read.to_pylist()], chosen.unchanged


@pytest.mark.quick
def test_which_files_are_read():
    """`inputs.choose_inputs` alone: what is skipped unread, and why."""
    st = SAMPLE.stat()
    same = identity(SAMPLE, st, "d1")
    moved = same._replace(modified_ns=st.st_mtime_ns - 1)
    loaded, rejected = {"d1": "loaded"}, {"d1": "rejected"}
    read = ([(0, str(SAMPLE), st.st_size)], 0)
    assert _select([SAMPLE], [same], loaded, False) == ([], 1)
    assert _select([SAMPLE], [moved], loaded, False) == read
    assert _select([SAMPLE], [same._replace(inode=st.st_ino + 1)], loaded, False) == read  # a new file, same name
    assert _select([SAMPLE], [], loaded, False) == read
    assert _select([SAMPLE], [same], {}, False) == read  # not in the warehouse
    assert _select([SAMPLE], [same], rejected, False) == ([], 1)
    assert _select([SAMPLE], [same], rejected, True) == read  # --retry-rejected
    gone = Path("/nonexistent/dump.txt")
    assert _select([gone], [same._replace(path=str(gone))], loaded, False) == ([(0, str(gone), None)], 0)
    # In input order, the unchanged left out: indexes are the files' places among those given.
    assert _select([SAMPLE, gone, SAMPLE], [same], loaded, False) == ([(1, str(gone), None)], 2)


@pytest.mark.quick
def test_known_documents_by_their_id():
    """`inputs.Known`: the ids a run does not read again, 16 bytes each."""
    ids = [hashlib.sha256(bytes([i])).hexdigest() for i in range(50)]
    known = Known(b"".join(sorted(bytes.fromhex(d[:32]) for d in ids[:25])))
    assert len(known) == 25 and len(known.keys) == 25 * 16
    assert all(d in known for d in ids[:25]) and not any(d in known for d in ids[25:])
    assert ids[0] not in Known()


def test_a_file_written_just_now_is_not_remembered(tmp_path):
    fresh = write(tmp_path / "dumps" / SAMPLE.name, SAMPLE.read_bytes())
    soon = time.time_ns() + 60 * 10**9  # "just now" however slowly the run starts on a busy machine
    os.utime(fresh, ns=(soon, soon))
    _run(tmp_path / "wh", fresh)
    assert _inputs(tmp_path / "wh") == {}


NOOP_PROCESS = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from etl.run import pipeline
from etl.core.settings import DEFAULT_MAX_BYTES
done = pipeline.run([Path(sys.argv[1])], Path(sys.argv[2]), max_bytes=DEFAULT_MAX_BYTES, log=lambda *a, **k: None)
print(done.status, done.summary.documents.skipped, "pandas" in sys.modules, "great_expectations" in sys.modules)
"""


def test_a_run_with_nothing_new_stages_nothing_and_imports_no_pandas(tmp_path):
    """Every file unchanged since a run read it: no worker, no staging, and neither pandas (which
    DuckDB's and pyarrow's conversions of Python values import) nor GX; its `runs` row is written."""
    dumps = nightly_dumps(tmp_path / "dumps")
    for p in dumps:
        os.utime(p, ns=(OLD, OLD))
    wh = tmp_path / "wh"
    _run(wh, tmp_path / "dumps")
    noop = subprocess.run([sys.executable, "-c", NOOP_PROCESS, str(tmp_path / "dumps"), str(wh)],
                          capture_output=True, text=True, check=True)
    assert noop.stdout.split() == ["noop", "3", "False", "False"]
    assert rows(wh, "select status, documents_skipped from runs order by started_at") == [
        ("succeeded", 0), ("noop", 3)]


@pytest.mark.quick
def test_values_written_into_statements():
    """etl.core.duck.sql_value: each value reads back as itself."""
    values = [None, True, False, 0, -(2**63), 2**63 - 1, "it's a 'quote'", "back\\slash\nnew line é",
              Path("/a/b's"), datetime(2026, 12, 6, 2, 3, 4, 5), datetime(1, 1, 1, tzinfo=UTC), [3, 1, 2], ["x"]]
    with duck.connect() as con:
        con.execute("set timezone = 'UTC'")
        back = [con.execute(f"select {duck.sql_value(v)}").fetchone()[0] for v in values]
    assert back[:8] == values[:8]
    assert back[8:] == ["/a/b's", datetime(2026, 12, 6, 2, 3, 4, 5), datetime(1, 1, 1, tzinfo=UTC), [3, 1, 2], ["x"]]
