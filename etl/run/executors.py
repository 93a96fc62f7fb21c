"""Where the extract tasks run: in this process, in worker processes on this machine, or on
a Dask distributed cluster. One function, `open`, makes the choice; the caller submits
tasks and takes their results in order the same way whichever it is.

Dask is imported only on the cluster path, so a local run (and `etl --help`) never loads it.

On a cluster, the workers run the same task function (etl.run.workers.work) on paths they must
reach: the input files and the run's raw folder sit on storage every worker mounts at the
same path (NFS). The run checks this on every worker before the first task, so a worker that
cannot see a file fails the run instead of rejecting documents it could not read.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from etl.core.children import process_pool
from etl.run import workers

CONNECT_TIMEOUT = 30.0  # seconds to reach the scheduler, and to wait for a worker (ETL_DASK_TIMEOUT)
POLL = 1.0  # seconds between checks of the cluster while a task runs
PROGRESS_EVERY = 10.0  # seconds between progress lines on the cluster path


class ClusterError(RuntimeError):
    """The cluster cannot run the tasks: the scheduler is unreachable or gone, no worker came,
    or the workers cannot see the files. Nothing is published; the CLI exits 5."""

    def __init__(self, scheduler: str, message: str) -> None:
        super().__init__(f"dask scheduler {scheduler}: {message}")
        self.scheduler = scheduler


class Executor(Protocol):
    slots: int  # tasks that run at once

    def submit(self, task: workers.Task) -> Any: ...  # a future of the task's TaskOutcome

    def result(self, future: Any) -> workers.TaskOutcome: ...

    def done(self, count: int, total: int) -> None: ...  # `count` of `total` tasks done, in order


class InProcess:
    """jobs=1, or a single task: run each task here, when it is submitted."""

    slots = 1

    def __init__(self, settings: workers.WorkerContext) -> None:
        self.settings = settings

    def submit(self, task):
        return task  # run when its result is taken: one task at a time, as it is read

    def result(self, future):
        return workers.work(future, self.settings)

    def done(self, count, total):
        pass


class Processes(InProcess):
    """`jobs` worker processes on this machine (forked: the settings are not pickled)."""

    def __init__(self, settings: workers.WorkerContext, jobs: int) -> None:
        super().__init__(settings)
        self.slots = jobs
        self.pool = process_pool(jobs, workers._init, (settings, True))

    def submit(self, task):
        return self.pool.submit(workers.work, task)

    def result(self, future):
        return future.result()

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


class Cluster:
    """A Dask distributed cluster: the settings go to every worker once (scattered), each
    task is one `client.submit(work, task, settings)`. A worker that dies mid-task has its
    tasks run again elsewhere by the scheduler (they write the same files: see workers.work)."""

    def __init__(self, scheduler: str, settings: workers.WorkerContext, log: Callable[..., None],
                 timeout: float) -> None:
        try:
            from distributed import Client
        except ImportError as e:
            raise ClusterError(scheduler, f"dask is not installed ({e}): pip install 'aletho-etl[dask]'") from None
        self.scheduler, self.log, self.timeout = scheduler, log, timeout
        # The client logs a traceback when it loses the scheduler; the run says it in one line.
        logging.getLogger("distributed.client").setLevel(logging.CRITICAL)
        self._last_log = time.monotonic()
        self._no_worker_since: float | None = None
        try:
            self.client = Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as e:
            raise ClusterError(scheduler, f"cannot reach the scheduler within {timeout:g} s ({e})") from None
        try:
            self._start(settings)
        except BaseException:
            self.close()
            raise

    def _start(self, settings: workers.WorkerContext) -> None:
        try:
            self.client.wait_for_workers(1, timeout=self.timeout)
        except TimeoutError:
            raise ClusterError(self.scheduler, f"no worker joined within {self.timeout:g} s") from None
        nthreads = self.client.nthreads()
        self.slots = max(1, sum(nthreads.values()))
        self.log("cluster connected", scheduler=self.scheduler, workers=len(nthreads), threads=self.slots)
        # Paths as the workers see them: absolute, on storage they share with this machine.
        settings = replace(settings, raw_dir=settings.raw_dir.absolute(), base=Path.cwd())
        self._check_paths(settings)
        self.settings = self.client.scatter(settings, broadcast=True, hash=False)
        self.tag = uuid.uuid4().hex[:8]

    def _check_paths(self, settings: workers.WorkerContext) -> None:
        """Every worker sees the raw folder this machine sees (a marker written here is there)."""
        settings.raw_dir.mkdir(parents=True, exist_ok=True)
        marker = settings.raw_dir / f".visible-{uuid.uuid4().hex}"
        marker.write_text(str(settings.raw_dir), encoding="utf-8")
        try:
            answers = self.client.run(_sees, str(marker))
        finally:
            marker.unlink(missing_ok=True)
        blind = sorted(w for w, ok in answers.items() if not ok)
        if blind:
            raise ClusterError(self.scheduler, f"{len(blind)} of {len(answers)} workers cannot see "
                               f"{settings.raw_dir} (e.g. {blind[0]}): put the warehouse and the inputs "
                               "on storage every worker mounts at the same path")

    def submit(self, task):
        key = f"etl-extract-{task[0][0] if task else 0:09d}-{self.tag}"
        try:
            return self.client.submit(workers.work, task, self.settings, key=key, pure=False)
        except Exception as e:
            raise self._lost(e) from None

    def result(self, future):
        from distributed import KilledWorker

        while True:
            try:
                return future.result(timeout=POLL)
            except TimeoutError:
                self._watch()
            except KilledWorker as e:
                raise ClusterError(self.scheduler, f"a task was running on each worker that died ({e})") from None
            except Exception as e:
                if self.client.status not in ("running", "connecting") or _cancelled(e):
                    raise self._lost(e) from None
                raise  # the task itself failed: the same error as on this machine

    def _watch(self) -> None:
        """While waiting for a task: fail if the scheduler is gone or no worker is left for `timeout`."""
        if self.client.status not in ("running", "connecting"):
            raise self._lost(None)
        workers_now = len(self.client.scheduler_info(n_workers=-1).get("workers", {}))
        if workers_now:
            self._no_worker_since = None
        elif self._no_worker_since is None:
            self._no_worker_since = time.monotonic()
        elif time.monotonic() - self._no_worker_since > self.timeout:
            raise ClusterError(self.scheduler, f"no worker left for {self.timeout:g} s")

    def _lost(self, e: BaseException | None) -> ClusterError:
        why = f" ({type(e).__name__}: {str(e).splitlines()[0]})" if e is not None and str(e) else ""
        return ClusterError(self.scheduler, f"lost the connection to the scheduler{why}")

    def done(self, count, total):
        now = time.monotonic()
        if count == total or now - self._last_log >= PROGRESS_EVERY:
            self._last_log = now
            info = self.client.scheduler_info(n_workers=-1)
            self.log("cluster progress", tasks_done=count, tasks=total, workers=len(info.get("workers", {})))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close(timeout=5)


def _sees(marker: str) -> bool:
    """On a worker: is the marker file there?"""
    return os.path.exists(marker)


def _cancelled(e: BaseException) -> bool:
    return "cancel" in type(e).__name__.lower()


def timeout() -> float:
    return float(os.environ.get("ETL_DASK_TIMEOUT", CONNECT_TIMEOUT))


@contextlib.contextmanager
def open_executor(scheduler: str | None, jobs: int, settings: workers.WorkerContext,
                  log: Callable[..., None] | None = None, tasks: int = 2) -> Iterator[Executor]:
    """The executor of a run: the Dask cluster at `scheduler` (tcp://HOST:PORT) if given, else
    `jobs` processes on this machine (this process if one job, or one task, is enough)."""
    log = log or (lambda *a, **k: None)
    if scheduler:
        pool: Any = Cluster(scheduler, settings, log, timeout())
    elif jobs <= 1 or tasks <= 1:
        pool = InProcess(settings)
    else:
        pool = Processes(settings, jobs)
    try:
        yield pool
    finally:
        if hasattr(pool, "close"):
            pool.close()


def extract(all_tasks: Sequence[workers.Task], settings: workers.WorkerContext, jobs: int,
            scheduler: str | None = None, log: Callable[..., None] | None = None) -> Iterator[workers.TaskOutcome]:
    """Each task's workers.TaskOutcome, in task order: on the Dask cluster at `scheduler`, else in `jobs`
    worker processes when there is more than one task. At most workers.WINDOW tasks per worker thread
    are in flight."""
    with open_executor(scheduler, jobs, settings, log, len(all_tasks)) as pool:
        pending: deque = deque()
        queue = iter(all_tasks)
        for task in queue:
            pending.append(pool.submit(task))
            if len(pending) >= workers.WINDOW * pool.slots:
                break
        done = 0
        while pending:
            outcome = pool.result(pending.popleft())
            task = next(queue, None)
            if task is not None:
                pending.append(pool.submit(task))
            done += 1
            pool.done(done, len(all_tasks))
            yield outcome
