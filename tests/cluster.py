"""A real Dask cluster for tests: `dask scheduler` and `dask worker` processes on 127.0.0.1,
without dashboards, killed when the test ends."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from etl.core.children import die_with_parent

DASK = Path(sys.executable).parent / "dask"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """`dask scheduler` and `dask worker` processes on 127.0.0.1, all killed by `stop`: of this
    interpreter's environment, or of the one whose `dask` command is given."""

    def __init__(self, folder: Path, dask: Path = DASK, env: dict | None = None) -> None:
        self.folder, self.port, self.dask = folder, free_port(), dask
        self.env = env if env is not None else dict(os.environ)
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen] = {}

    def _start(self, name: str, args: list[str], env: dict | None = None, pipe: bool = False) -> subprocess.Popen:
        out = subprocess.PIPE if pipe else (self.folder / f"{name}.log").open("w")
        proc = subprocess.Popen([str(self.dask), *args], cwd=self.folder, stdout=out, stderr=out, text=True,
                                env={**self.env, **(env or {})}, preexec_fn=die_with_parent)
        self.procs[name] = proc
        return proc

    def scheduler(self) -> None:
        self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            assert self.procs["scheduler"].poll() is None, (self.folder / "scheduler.log").read_text()
            time.sleep(0.2)
        raise AssertionError("the scheduler did not listen within 60 s")

    def worker(self, name: str, env: dict | None = None, pipe: bool = False) -> subprocess.Popen:
        return self._start(name, ["worker", self.address, "--host", "127.0.0.1", "--nthreads", "1",
                                  "--no-nanny", "--no-dashboard", "--name", name], env, pipe)

    def wait_for_workers(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(n, timeout=60)

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop(self) -> None:
        for name in list(self.procs):
            self.kill(name)


@contextmanager
def cluster(folder: Path, dask: Path = DASK, env: dict | None = None) -> Iterator[Cluster]:
    c = Cluster(folder, dask, env)
    try:
        c.scheduler()
        yield c
    finally:
        c.stop()
