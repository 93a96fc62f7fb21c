"""A pre-imported `etl` for the tests' CLI runs: real processes, without the imports per run.

Every `etl run` a test starts would spend about 3 s of CPU importing Python, DuckDB, pyarrow
and Great Expectations before it does anything, and the suite starts about 150 of them. This
server imports them once, then forks a child per request. The child is a process of its own,
as `python -m etl.cli ARGS` is: its own pid, environment, working folder, stdin at /dev/null,
stdout and stderr on pipes the test reads, the CLI's exit code or the signal that killed it.
The server holds no thread and no DuckDB connection when it forks.

What it cannot show is what happens at import time; the tests of that (`etl --help` imports
neither GX nor DuckDB, a run with nothing new imports no GX) start the interpreter themselves,
and so do runs of another copy of the project (PYTHONPATH set).

    python -m tests.zygote SOCKET     serve until the parent (the test session) exits

A request is one JSON line ({"args": [...], "env": {...}, "cwd": "..."}) sent with two file
descriptors (the child's stdout and stderr); the answers are the child's pid, then its exit
code (negative: killed by that signal), one line each.

Where the suite's CPU goes: with ETL_TEST_PROCESS_LOG=FILE set for pytest, the server appends
a JSON line per child to FILE (its test, command and CPU seconds, its own children's
included), and

    python -m tests.zygote --summary FILE    prints them by test module and by command
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import sys
import traceback
from collections import defaultdict

LOG_VARIABLE = "ETL_TEST_PROCESS_LOG"
PROG_NAME = "python -m etl.cli"  # what usage lines say, as in a run started with `-m`


def preload() -> None:
    import duckdb  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    from etl.run.validate import _gx

    _gx()


def serve(path: str) -> None:
    preload()
    log = os.environ.get(LOG_VARIABLE)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    waiting: dict[int, socket.socket] = {}  # child pid → the connection its exit code goes to
    asked: dict[int, dict] = {}  # child pid → its request (for the log)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    print("ready", flush=True)
    parent = os.getppid()
    while os.getppid() == parent:  # the test session is gone: stop
        for _ in selector.select(timeout=0.05):
            conn, _ = listener.accept()
            pid, request = _start(conn, listener, waiting)
            waiting[pid] = conn
            asked[pid] = request
        _reap(waiting, asked, log)


def _start(conn: socket.socket, listener: socket.socket, waiting: dict[int, socket.socket]) -> tuple[int, dict]:
    """Fork the child a request asks for (it never returns here); returns its pid and the request."""
    message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 2)
    while not message.endswith(b"\n"):  # the rest of a long request
        message += conn.recv(1 << 20)
    request = json.loads(message)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        listener.close()
        for other in waiting.values():
            other.close()
        conn.close()
        _child(request, fds)
    for fd in fds:
        os.close(fd)
    conn.sendall(f"{pid}\n".encode())
    return pid, request


def _child(request: dict, fds: list[int]) -> None:
    """In the forked child: become `python -m etl.cli ARGS` and exit with its code."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a new interpreter: the server ignores it
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        for fd in (devnull, *fds):
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [PROG_NAME, *request["args"]]
        from etl.cli import app

        try:
            app(args=request["args"], prog_name=PROG_NAME)
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 0 if e.code is None else 1
            if isinstance(e.code, str):
                print(e.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _reap(waiting: dict[int, socket.socket], asked: dict[int, dict], log: str | None) -> None:
    while waiting:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        request = asked.pop(pid, {})
        if log:
            _log(log, request, usage.ru_utime + usage.ru_stime)
        conn = waiting.pop(pid, None)
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
            conn.close()


def _log(path: str, request: dict, cpu: float) -> None:
    test = request.get("env", {}).get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
    line = {"test": test, "command": next(iter(request.get("args", [])), ""), "cpu": round(cpu, 3)}
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")


def summary(lines: list[str]) -> str:
    """The log's CPU seconds and processes, by test module and by command, most first."""
    entries = [json.loads(line) for line in lines if line.strip()]
    parts = [f"{len(entries)} processes, {sum(e['cpu'] for e in entries):.1f} CPU s"]
    for title, key in (("test module", lambda e: e["test"].split("::")[0]), ("command", lambda e: e["command"])):
        totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        for e in entries:
            totals[key(e)][0] += 1
            totals[key(e)][1] += e["cpu"]
        parts.append(f"by {title}: CPU s, processes")
        parts += [f"{cpu:9.1f} {n:5d}  {name}" for name, (n, cpu) in sorted(totals.items(), key=lambda t: -t[1][1])]
    return "\n".join(parts)


if __name__ == "__main__":
    if sys.argv[1] == "--summary":
        with open(sys.argv[2], encoding="utf-8") as f:
            print(summary(f.readlines()))
        sys.exit(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in pytest: the session stops us
    serve(sys.argv[1])
