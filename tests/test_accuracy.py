"""Forecast accuracy from nightly snapshots against what then sold."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from planner.domain.catalog import Variant, Vendor
from planner.domain.errors import InvalidInput
from planner.domain.series import SeriesKey
from planner.domain.warehouses import Warehouse, WarehouseKind
from planner.ports.history import SeriesHistory
from planner.services.accuracy import forecast_accuracy
from planner.store.uow import SqlUnitOfWork

TODAY = date(2026, 6, 1)
A, B = SeriesKey("A", "W1"), SeriesKey("B", "W1")


def _seed(uow: SqlUnitOfWork) -> None:
    uow.warehouses.add(Warehouse("W1", "W1", WarehouseKind.IP))
    uow.vendors.add(Vendor("Acme"))
    uow.variants.add_many([Variant("A", vendor="Acme"), Variant("B", vendor="Acme")])
    start = TODAY - timedelta(days=60)
    h = SeriesHistory.empty([A, B], start, 60)
    h.units[0] = 10.0
    h.units[1] = 4.0
    h.units[1, 40:45] = 0.0
    h.in_stock[1, 40:45] = 0.0  # B was out of stock: those days are not scored
    uow.history.save(h)
    made = TODAY - timedelta(days=30)
    uow.snapshots.save(made, [A, B], ["ses", "tsb"], np.array([[12.0] * 28, [4.0] * 28]))


def test_accuracy_scores_only_in_stock_days_and_reports_bias(uow: SqlUnitOfWork) -> None:
    with uow:
        _seed(uow)
        uow.commit()
        rows = {r.group: r for r in forecast_accuracy(uow, today=TODAY, by="variant", days=28)}
    assert rows["A"].forecast == 12 * 28 and rows["A"].actual == 10 * 28
    assert rows["A"].bias_pct == 20.0 and rows["A"].wape_pct == 20.0
    # B: the 5 stockout days are left out, the rest was forecast exactly.
    assert rows["B"].actual == 4 * 23 and rows["B"].wape_pct == 0.0
    with uow:
        by_vendor = forecast_accuracy(uow, today=TODAY, by="vendor", days=28)
    assert [(r.group, r.series) for r in by_vendor] == [("Acme", 2)]


def test_accuracy_needs_sensible_windows(uow: SqlUnitOfWork) -> None:
    with uow, pytest.raises(InvalidInput):
        forecast_accuracy(uow, today=TODAY, by="colour")
    with uow:
        assert forecast_accuracy(uow, today=TODAY) == []
