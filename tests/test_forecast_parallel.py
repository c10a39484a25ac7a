"""The engine fits blocks of series on threads: the forecasts a user gets must not depend on how
many threads ran, how the series fell into blocks, or which block finished first."""

from __future__ import annotations

import threading
import time
from datetime import date

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from planner.config.environment import malloc_arenas_limited
from planner.domain.series import SeriesKey
from planner.forecast import parallel
from planner.forecast.auto import AutoForecaster
from planner.forecast.panel import forecast_panel
from planner.forecast.run import forecast_history
from planner.ports.history import SeriesHistory

START = date(2024, 1, 1)


def _shop(n: int = 60, days: int = 500, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Steady, seasonal and slow sellers, and recent launches too short to backtest: units and
    in-stock days."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    rate = rng.uniform(0.05, 8.0, n)[:, None] * (1 + 0.5 * np.sin(2 * np.pi * t / 365.25))
    y = rng.poisson(rate).astype(np.float64)
    listed = np.ones_like(y)
    listed[::7, : days - 30] = 0.0  # every seventh series launched 30 days ago
    return y * listed, listed


def _fit(shop: tuple[np.ndarray, np.ndarray], **settings: int) -> AutoForecaster:
    return AutoForecaster(**settings).fit(*shop, start=START)  # type: ignore[arg-type]


def _same(a: AutoForecaster, b: AutoForecaster, rtol: float = 0.0) -> None:
    for x, y in [
        (a.predict(60), b.predict(60)),
        (a.sigma_, b.sigma_),
        (a.growth_, b.growth_),
        (a.weights_, b.weights_),
    ]:
        np.testing.assert_allclose(x, y, rtol=rtol, atol=0.0)
    assert list(a.method_) == list(b.method_)


def test_forecasts_are_the_same_on_one_thread_or_several() -> None:
    y = _shop()
    one = _fit(y, block_size=8, threads=1)
    assert (~one.backtested_).sum() >= 5  # the launches took the default path, in many blocks
    _same(one, _fit(y, block_size=8, threads=4))


def test_forecasts_do_not_depend_on_how_series_fall_into_blocks() -> None:
    """The forecast of a series is its own, whatever block it falls in (numpy may round the
    last bit differently on arrays of other sizes: within 1e-12). Series too short to backtest
    take the median share of shared error of every backtested series, not of those in blocks
    fitted before theirs (which made them depend on the order blocks finished)."""
    shop = _shop()
    whole = _fit(shop, block_size=2000, threads=1)
    small = _fit(shop, block_size=7, threads=2)
    np.testing.assert_allclose(whole.predict(60), small.predict(60), rtol=1e-12, atol=0.0)
    np.testing.assert_allclose(whole.weights_, small.weights_, rtol=1e-12, atol=0.0)
    for model in (whole, small):
        short = ~model.backtested_
        assert short.sum() >= 5
        share = model.growth_ / model.sigma_**2
        assert np.allclose(share[short], np.median(share[model.backtested_]), rtol=1e-9)
        assert (share[short] > 0).all()


def test_a_whole_daily_forecast_is_the_same_with_threads_or_without() -> None:
    y, listed = _shop(n=1_100)  # past MIN_CELLS: the fit and its calibration run side by side
    assert y.size >= parallel.MIN_CELLS
    assert parallel.threads_for(cells=y.size) == min(parallel.MAX_THREADS, parallel.cpus())
    keys = [SeriesKey(f"SKU-{i}", "FBA-US") for i in range(len(y))]
    history = SeriesHistory(keys, START, y.astype(np.float32), listed.astype(np.float32))
    threaded = forecast_history(history, horizon=90)
    parallel.share_cpus(10_000)  # as a worker among more processes than CPUs: one thread
    try:
        assert parallel.threads_for() == 1
        alone = forecast_history(history, horizon=90)
    finally:
        parallel.share_cpus(1)
    np.testing.assert_array_equal(threaded.mean, alone.mean)
    np.testing.assert_array_equal(threaded.sigma, alone.sigma)
    np.testing.assert_array_equal(threaded.ratios, alone.ratios)


def test_run_all_keeps_the_order_and_raises_a_tasks_error() -> None:
    seen: set[int] = set()

    def task(i: int) -> int:
        seen.add(threading.get_ident())
        if i == 3:
            raise ValueError("block 3 failed")
        return i * i

    assert parallel.run_all([lambda i=i: task(i) for i in range(3)], 2) == [0, 1, 4]
    with pytest.raises(ValueError, match="block 3 failed"):
        parallel.run_all([lambda i=i: task(i) for i in range(5)], 2)


def test_a_failed_block_stops_the_blocks_not_yet_started() -> None:
    """A 100,000-series forecast that fails in its first block (or is stopped with Ctrl-C)
    does not fit the other 49 blocks before saying so."""
    ran: list[int] = []

    def task(i: int) -> int:
        if i == 0:
            raise MemoryError
        time.sleep(0.02)
        ran.append(i)
        return i

    with pytest.raises(MemoryError):
        parallel.run_all([lambda i=i: task(i) for i in range(50)], 2)
    assert len(ran) < 10


def test_a_failure_beside_nested_work_stops_it_and_is_the_error_reported() -> None:
    """The fit and its held-out refit run side by side, each with blocks of its own: running
    out of memory in one stops the other's blocks not yet started, and the error said is the
    memory, not that the other was stopped."""
    ran: list[int] = []

    def block(i: int) -> None:
        time.sleep(0.02)
        ran.append(i)

    def fit() -> object:
        return parallel.run_all([lambda i=i: block(i) for i in range(50)], 2)

    def refit() -> object:
        time.sleep(0.05)
        raise MemoryError

    with pytest.raises(MemoryError):
        parallel.run_all([fit, refit], 2)
    assert len(ran) < 20
    ran.clear()
    assert len(parallel.run_all([fit, lambda: None], 2)) == 2 and len(ran) == 50  # no failure


def test_forecasts_leave_blas_on_one_thread_for_good() -> None:
    """BLAS's thread count is the whole process's: forecasts set it to one once and never put
    it back, so two forecasts side by side (two Slack users at once) cannot leave it changed
    under each other, and every forecast runs with the same count."""
    y, listed = _shop(n=1_100)
    _fit((y, listed))  # past MIN_CELLS: on threads
    blas = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    assert blas and set(blas) == {1}
    done = threading.Event()

    def beside() -> None:
        _fit(_shop(n=100))
        done.set()

    other = threading.Thread(target=beside)
    other.start()
    _fit((y, listed))
    other.join()
    assert done.is_set()
    assert {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"} == {1}


def test_worker_processes_share_the_cpus() -> None:
    cpus = parallel.cpus()
    try:
        parallel.share_cpus(2)
        assert parallel.threads_for() == max(1, min(parallel.MAX_THREADS, cpus // 2))
        assert parallel.threads_for(3) == 3  # asked for: as asked
        assert parallel.threads_for(cells=parallel.MIN_CELLS - 1) == 1  # small: one thread
    finally:
        parallel.share_cpus(1)
    assert parallel.threads_for() == max(1, min(parallel.MAX_THREADS, cpus))


def test_a_long_forecast_reports_its_progress_block_by_block() -> None:
    """`planner forecast --csv` shows how many series are fitted; the held-out refit (a clone)
    does not count them twice."""
    rng = np.random.default_rng(2)
    y = rng.poisson(rng.uniform(0.5, 20, (4_100, 1))[:, :1] * np.ones((1, 36))).astype(float)
    told: list[int] = []
    lock = threading.Lock()

    def progress(done: int) -> None:
        with lock:
            told.append(done)

    fc = forecast_panel(y, start=START, freq="M", horizon=6, progress=progress)
    assert sorted(told) == [100, 2000, 2000] and fc.mean.shape == (4_100, 6)


def test_a_users_own_limit_on_malloc_arenas_is_seen() -> None:
    assert malloc_arenas_limited({"MALLOC_ARENA_MAX": "1"})
    assert malloc_arenas_limited({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"})
    assert not malloc_arenas_limited({"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0"})
    assert not malloc_arenas_limited({})
