"""Shared test helpers: run the real CLI in a process of its own, read real warehouses."""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import duckdb

from etl.core import duck
from etl.core.schemas import sql, table_names
from etl.storage import lake
from etl.storage.publish import read_table

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "aletho-news-2020-01-09.txt"


def etl(*args: str | Path, env: dict | None = None, timeout: float = 300, cwd: Path = ROOT
        ) -> subprocess.CompletedProcess:
    """Run `etl ARGS` as a process of its own (of the project in `cwd`, or in PYTHONPATH if
    `env` sets it); returns the completed process (text output)."""
    proc = start_etl(*args, env=env, cwd=cwd)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return subprocess.CompletedProcess([str(a) for a in args], proc.returncode, out, err)


def start_etl(*args: str | Path, env: dict | None = None, cwd: Path = ROOT) -> subprocess.Popen | Forked:
    """Start `etl ARGS` without waiting (for crash and concurrency tests), in `cwd`: forked
    from the pre-imported server (tests/zygote.py), or, for another copy of the project
    (PYTHONPATH in `env`), as `python -m etl.cli` in a new interpreter."""
    full_env = {**os.environ, "CI": "true", **(env or {})}
    if "PYTHONPATH" in (env or {}):
        return subprocess.Popen(
            [sys.executable, "-m", "etl.cli", *map(str, args)],
            cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
    return Forked([str(a) for a in args], full_env, cwd)


class Forked:
    """A child of the pre-imported server running `etl ARGS`, handled as a subprocess.Popen
    with text pipes: pid, stdout, stderr, poll, wait, communicate, kill, returncode."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        self._conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._conn.connect(_zygote())
        request = json.dumps({"args": args, "env": env, "cwd": str(cwd)}).encode()
        socket.send_fds(self._conn, [request + b"\n"], [out_w, err_w])
        os.close(out_w)
        os.close(err_w)
        self.stdout = open(out_r, encoding="utf-8", errors="replace")  # noqa: SIM115 (read to the end, then dropped)
        self.stderr = open(err_r, encoding="utf-8", errors="replace")  # noqa: SIM115
        self._answers = b""  # the server's answers, as read so far
        self.pid = int(self._answer(None) or 0)
        self.args = args
        self.returncode: int | None = None
        self._readers: list[threading.Thread] = []
        self._rest: dict[str, str] = {}  # what communicate read: "stdout", "stderr"

    def _answer(self, timeout: float | None) -> str | None:
        """The server's next line (the pid, then the exit code); None after `timeout`."""
        while b"\n" not in self._answers:
            ready, _, _ = select.select([self._conn], [], [], timeout)
            if not ready:
                return None
            chunk = self._conn.recv(64)
            if not chunk:
                raise RuntimeError(f"tests/zygote.py hung up on `etl {' '.join(self.args)}`")
            self._answers += chunk
        line, self._answers = self._answers.split(b"\n", 1)
        return line.decode()

    def poll(self) -> int | None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.wait(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            code = self._answer(timeout)
            if code is None:
                raise subprocess.TimeoutExpired(self.args, timeout)
            self.returncode = int(code)
            self._conn.close()
        return self.returncode

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """The rest of stdout and stderr (read side by side, as Popen does) once the process
        has exited and closed them; TimeoutExpired if that takes longer than `timeout` (the
        caller may kill it and call again: the reads go on)."""
        if not self._readers:
            self._readers = [threading.Thread(target=self._read_rest, args=(name,), daemon=True)
                             for name in ("stdout", "stderr")]
            for reader in self._readers:
                reader.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        self.wait(timeout)
        for reader in self._readers:
            reader.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if reader.is_alive():  # a child of the process still holds the pipe
                raise subprocess.TimeoutExpired(self.args, timeout)
        return self._rest["stdout"], self._rest["stderr"]

    def _read_rest(self, name: str) -> None:
        self._rest[name] = getattr(self, name).read()

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)


@functools.cache
def _zygote() -> str:
    """The socket of the pre-imported server, started at the first call; it stops when this
    process (the test session) ends."""
    folder = Path(tempfile.mkdtemp(prefix="etl-zygote-"))
    path = str(folder / "socket")
    server = subprocess.Popen([sys.executable, "-m", "tests.zygote", path], cwd=ROOT,
                              env={**os.environ, "CI": "true"}, stdout=subprocess.PIPE, text=True)
    ready = server.stdout.readline() if server.stdout else ""
    assert ready.strip() == "ready", f"tests/zygote.py did not start (exit {server.poll()})"
    atexit.register(shutil.rmtree, folder, True)
    atexit.register(server.kill)
    return path


def connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """Read-only connection to a warehouse's published database."""
    return duckdb.connect(str(warehouse / "published.duckdb"), read_only=True)


def rows(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with connect(warehouse) as con:
        return con.execute(sql, params).fetchall()


def table_counts(warehouse: Path) -> dict[str, int]:
    """Rows of every table of the warehouse, as its published file shows them."""
    with connect(warehouse) as con:
        return {t: con.execute(f'select count(*) from "{t}"').fetchall()[0][0] for t in table_names()}


def snapshot(warehouse: Path, exclude_columns: tuple[str, ...] = ("run_id",)) -> dict[str, list[tuple]]:
    """Every row of every data table (not runs or validation_results), sorted, without
    the given columns: two warehouses with equal snapshots hold the same data. The search
    index is left out: its doc numbers and frozen averages depend on the history of runs,
    not only on the data (`index_in_step` checks it against the posts)."""
    out = {}
    with connect(warehouse) as con:
        for t in table_names():
            if t in ("runs", "validation_results") or t.startswith("search_"):
                continue
            cols = [c for (c,) in con.execute(
                "select column_name from duckdb_columns() where table_name = ? order by column_index", [t]
            ).fetchall() if c not in exclude_columns]
            select = ", ".join(f'"{c}"' for c in cols)
            out[t] = sorted(con.execute(f'select {select} from "{t}"').fetchall(), key=repr)
    return out


def index_in_step(warehouse: Path) -> None:
    """The published search index holds exactly the published posts: each once, each posting
    a doc's, and search_stats counts them."""
    with connect(warehouse) as con:
        assert con.execute("select count(*), count(distinct post_id) from search_docs").fetchall() == \
            con.execute("select count(*), count(*) from posts").fetchall()
        assert con.execute("select count(*) from search_docs anti join posts using (post_id)").fetchall() == [(0,)]
        orphans = con.execute("select count(*) from search_postings anti join search_docs using (doc)").fetchall()
        assert orphans == [(0,)]
        (posts,), = con.execute("select count(*) from posts").fetchall()
        assert con.execute(sql("search/indexed")).fetchall() == ([(posts,)] if posts else [])  # the latest row


def parquet_counts(warehouse: Path) -> dict[str, int]:
    """Rows of every table as a Parquet reader gets them from snapshot.json."""
    return {t: read_table(warehouse, t).num_rows for t in table_names()}


def lake_rows(warehouse: Path, table: str, snapshot_id: int | None = None) -> list[tuple]:
    """A table's rows read through DuckLake itself (read-only), sorted."""
    with duck.connect() as con:
        lake.attach(con, warehouse, read_only=True, snapshot_id=snapshot_id)
        return _sorted_rows(con, f'lake."{table}"')


def _sorted_rows(con, relation: str) -> list[tuple]:
    return sorted(con.execute(f"select * from {relation}").fetchall(), key=repr)


def parquet_matches_database(warehouse: Path) -> None:
    """The published file, the manifest's Parquet files and the DuckLake hold the same rows."""
    with connect(warehouse) as con, duck.connect() as lake_con:
        lake.attach(lake_con, warehouse, read_only=True)
        for t in table_names():
            published = _sorted_rows(con, f'"{t}"')
            files = sorted(tuple(r.values()) for r in read_table(warehouse, t).to_pylist())
            assert sorted(files, key=repr) == published, t
            assert _sorted_rows(lake_con, f'lake."{t}"') == published, t


def file_digest(path: Path) -> tuple[str, float]:
    """Content hash and modification time: to assert an input file was not touched."""
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime


def expectation_count(expectations_dir: Path | None = None) -> int:
    """How many expectations the suites in `expectations_dir` (the project's by default) hold:
    what a run evaluates (each suite's rows part on the staged rows, its table part on the merged tables)."""
    folder = expectations_dir or ROOT / "expectations"
    return sum(len(json.loads(p.read_text(encoding="utf-8"))["expectations"]) for p in sorted(folder.glob("*.json")))


def etl_here(*args: str | Path) -> subprocess.CompletedProcess:
    """`etl ARGS` run in this process by typer's test runner: the same app, arguments, exit code
    and output as `etl` in a subprocess, without an interpreter and its imports per call. For
    the many read-only calls of a module (reports); runs and crashes go through `etl`."""
    from typer.testing import CliRunner

    from etl.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def other_day(folder: Path) -> Path:
    """The sample with one post's footer date changed: one new document, no new post."""
    text = SAMPLE.read_text(encoding="utf-8").replace("January 9, 2020 Posted by | Militarism",
                                                      "January 10, 2020 Posted by | Militarism")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "other.txt"
    path.write_text(text, encoding="utf-8")
    return path


def project_copy(dest: Path) -> Path:
    """A copy of the project's code, SQL, suites and data under `dest`, to change a file of."""
    for name in ("etl", "sql", "expectations", "data"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def etl_in(project: Path, *args):
    """`etl ARGS` run from a copy of the project (its sql/ and etl/)."""
    return etl(*args, cwd=project, env={"PYTHONPATH": str(project)})


def doc_block(doc: Path, lang: str, marker: str) -> str:
    """The one code block of `doc` in `lang` ("" for a bare fence) that contains `marker`,
    dedented (some sit in list items): to run what the docs say."""
    found = re.findall(r"^( *)```(\w*)\n(.*?)^\1```", doc.read_text(encoding="utf-8"), flags=re.M | re.S)
    (block,) = [textwrap.dedent(body) for _, kind, body in found if kind == lang and marker in body]
    return block
