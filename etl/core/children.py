"""Child processes of a run on this machine: the extract workers (etl/run/executors.py) and
the search index's analyzers (etl/search/index.py). Forked where the platform can (nothing
is pickled but the tasks), and killed by the kernel when the run dies."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from typing import Any


def local_cores() -> int:
    """The cores this process may run on: the default number of workers."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def process_pool(jobs: int, initializer: Callable[..., None], initargs: tuple[Any, ...] = ()):
    """A ProcessPoolExecutor of `jobs` processes; `initializer` should call die_with_parent."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method),
                               initializer=initializer, initargs=initargs)


def die_with_parent() -> None:
    """Call in a child process: the kernel kills it when its parent dies (Linux), so the
    workers of a killed run do not linger."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the call
            os._exit(1)
