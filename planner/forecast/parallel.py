"""Independent pieces of forecasting work run on threads.

numpy releases the GIL inside its loops, and the engine works on whole blocks of series at a
time, so two threads keep two cores busy. Every piece writes its own rows or returns its own
result, and results are gathered in the order the pieces were given: the forecasts are the same
with any number of threads (tests/test_forecast_parallel.py).
"""

from __future__ import annotations

import contextvars
import ctypes
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar, cast

from threadpoolctl import threadpool_limits

# Each piece in flight holds its own working arrays, so more threads cost memory for little
# gain under the GIL; never more than the CPUs this process may run on.
MAX_THREADS = 4
# On small panels numpy's loops are short and the threads mostly wait for each other's turn at
# the GIL: a 4-series panel took 1.7 times as long on two threads. Work on fewer cells (series ×
# periods) runs on one (docs/forecast-evaluation.md, item 22).
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
# threads (``share_arenas``) it peaked at 2.81-2.88 GB, as fast (docs/forecast-evaluation.md,
# item 22). The cap holds for the rest of the process (in `planner serve`, its other threads
# too: they allocate little). Where the user limited the arenas (MALLOC_ARENA_MAX, or
# glibc.malloc.arena_max in GLIBC_TUNABLES; the configuration reads it), the commands call
# ``leave_arenas`` and glibc keeps the user's limit.
M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h
_arenas_shared = False


def leave_arenas() -> None:
    """Never change glibc's arenas in this process (the user set their own limit)."""
    global _arenas_shared
    _arenas_shared = True


def share_arenas() -> None:
    """Once per process, on glibc: at most one malloc arena per thread ``threads_for`` gives
    (at least 2), unless ``leave_arenas`` was called."""
    global _arenas_shared
    if _arenas_shared:
        return
    _arenas_shared = True
    if not _glibc():
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


_blas_lock = threading.Lock()
_blas_set = False


def blas_on_one_thread() -> None:
    """From the first forecast on, BLAS runs on one thread in this process, for good. Its
    threads fought ours over the cores (10,000 series: 11.7 s against 10.4 s), and its thread
    count is the whole process's: a forecast that set it and put it back could, beside another
    (two Slack users at once), leave it at the wrong count. planner's BLAS work is small
    matrices, where one thread is as fast. Set before any forecast's work, every forecast of
    the process runs with the same setting, so they give the same numbers on threads or not.
    OpenMP's count is each thread's own: the GBM sets it where it runs (``methods.gbm``)."""
    global _blas_set
    if _blas_set:
        return
    with _blas_lock:
        if not _blas_set:
            # scipy brings its own BLAS, loaded on first use: loaded now, so it is set too.
            import scipy.linalg  # noqa: F401

            threadpool_limits(1, user_api="blas")  # not restored: for the life of the process
            _blas_set = True


class Cancelled(Exception):
    """A piece not started because another piece of the same forecast failed or was stopped."""


# The cancel flag of the forecast a thread works for: set by the outermost ``run_all`` and
# inherited by the pieces it starts (and theirs), so a failure or Ctrl-C anywhere stops the
# pieces not yet started everywhere, while another forecast running beside it goes on.
_cancel: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar(
    "planner_forecast_cancel", default=None
)


def run_all(
    tasks: Sequence[Callable[[], T]], threads: int | None = None, cells: int | None = None
) -> list[T]:
    """Each task's result, in order; on up to ``threads_for(threads, cells)`` threads. A task's
    error (or Ctrl-C) is raised here once the pieces already running have finished their
    block; the pieces not yet started, here or nested anywhere below, are dropped."""
    workers = min(len(tasks), threads_for(threads, cells))
    flag = _cancel.get()
    blas_on_one_thread()
    if workers <= 1:
        out = []
        for task in tasks:
            if flag is not None and flag.is_set():
                raise Cancelled
            out.append(task())
        return out
    flag = flag or threading.Event()

    def guarded(task: Callable[[], T]) -> T:
        if flag.is_set():
            raise Cancelled
        _cancel.set(flag)  # in this piece's own copy of the context
        try:
            return task()
        except BaseException:
            flag.set()  # at once: the pieces beside it stop without waiting for it to be read
            raise

    share_arenas()
    pool = ThreadPoolExecutor(workers)
    futures = []
    try:
        for task in tasks:
            futures.append(pool.submit(contextvars.copy_context().run, guarded, task))
        return [future.result() for future in futures]
    except BaseException as error:
        flag.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise _first_cause(error, futures) from None
    finally:
        pool.shutdown(wait=True)  # no thread is left behind, whatever happened


def _first_cause(error: BaseException, futures: list[Future[T]]) -> BaseException:
    """The error to report: ``error``, unless it only says a piece was dropped (``Cancelled``)
    and another piece failed for a reason."""
    if not isinstance(error, Cancelled):
        return error
    for future in futures:
        if future.done() and not future.cancelled():
            cause = future.exception()
            if cause is not None and not isinstance(cause, Cancelled):
                return cause
    return error


def run_pair(
    first: Callable[[], A], second: Callable[[], B], cells: int | None = None
) -> tuple[A, B]:
    """``run_all`` of two tasks of different types."""
    a, b = run_all([first, second], cells=cells)
    return cast(A, a), cast(B, b)
