"""Independent pieces of forecasting work run on threads.

numpy releases the GIL inside its loops, and the engine works on whole blocks of series at a
time, so two threads keep two cores busy. Every piece writes its own rows or returns its own
result, and results are gathered in the order the pieces were given: the forecasts are the same
with any number of threads (tests/test_forecast_parallel.py).
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar, cast

from threadpoolctl import threadpool_limits

# Each piece in flight holds its own working arrays, so more threads cost memory for little
# gain under the GIL; never more than the CPUs this process may run on.
MAX_THREADS = 4
# On small panels numpy's loops are short and the threads mostly wait for each other's turn at
# the GIL: a 4-series panel took 1.7 times as long on two threads. Work on fewer cells (series ×
# periods) runs on one (measured in docs/forecast-evaluation.md, "Speed on two cores").
MIN_CELLS = 500_000
T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")


_processes = 1  # processes of this program sharing the CPUs (``share_cpus``)


def share_cpus(processes: int) -> None:
    """Tell this process that ``processes`` processes like it share the machine's CPUs (the
    task queue's worker processes), so each takes its share of threads, not all of them."""
    global _processes
    _processes = max(1, processes)


def cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def threads_for(threads: int | None = None, cells: int | None = None) -> int:
    """``threads`` if given; else one for work on fewer than ``MIN_CELLS`` cells (``cells``:
    series × periods), else this process's share of the CPUs it may use, at most
    ``MAX_THREADS``."""
    if threads is not None:
        return max(1, threads)
    if cells is not None and cells < MIN_CELLS:
        return 1
    return max(1, min(MAX_THREADS, cpus() // _processes))


# glibc gives each thread that allocates its own malloc arena (up to 8 per CPU), and an arena
# keeps what numpy frees for reuse by its own thread: `planner forecast --csv` on 100,000 SKUs ×
# 730 days peaked at 3.64 GB on two threads against 2.55 GB on one. With as many arenas as
# threads (``share_arenas``) it peaked at 2.86 GB, as fast (docs/forecast-evaluation.md,
# item 22). A MALLOC_ARENA_MAX the user set is left alone.
M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h
_arenas_shared = False


def share_arenas() -> None:
    """Once per process, on glibc: at most one malloc arena per thread ``threads_for`` gives
    (at least 2), unless MALLOC_ARENA_MAX is set."""
    global _arenas_shared
    if _arenas_shared:
        return
    _arenas_shared = True
    if "MALLOC_ARENA_MAX" in os.environ or not _glibc():
        return
    try:
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, max(2, threads_for()))
    except (OSError, AttributeError):  # no such library or call: the default arenas stand
        return


def _glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (ValueError, OSError, AttributeError):  # not a glibc system
        return False


_slots_lock = threading.Lock()
_slots: dict[int, threading.Semaphore] = {}


def slot() -> threading.Semaphore:
    """Held while a piece of work that holds large arrays runs (a block's fit, a pooled
    model's training): at most ``threads_for()`` such pieces run at once in this process,
    however the work above them is nested (the fit beside its held-out calibration), so memory
    grows with the threads, not with the nesting."""
    size = threads_for()
    with _slots_lock:
        return _slots.setdefault(size, threading.Semaphore(size))


def run_all(
    tasks: Sequence[Callable[[], T]], threads: int | None = None, cells: int | None = None
) -> list[T]:
    """Each task's result, in order; on up to ``threads_for(threads, cells)`` threads. A task's
    error (or Ctrl-C) is raised here once the tasks already running have finished; the tasks
    not yet started are dropped."""
    workers = min(len(tasks), threads_for(threads, cells))
    if workers <= 1:
        return [task() for task in tasks]
    share_arenas()
    # Native pools (scikit-learn's OpenMP, BLAS) get one thread each, or the threads would fight
    # over the cores; set once here, so nested pieces only ever restore one.
    with threadpool_limits(1):
        pool = ThreadPoolExecutor(workers)
        try:
            futures = [pool.submit(task) for task in tasks]
            return [future.result() for future in futures]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def run_pair(
    first: Callable[[], A], second: Callable[[], B], cells: int | None = None
) -> tuple[A, B]:
    """``run_all`` of two tasks of different types."""
    a, b = run_all([first, second], cells=cells)
    return cast(A, a), cast(B, b)
