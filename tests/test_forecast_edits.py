"""Forecast edits: the narrowest edit wins a month; units are spread by the forecast's shape."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from planner.domain.activity import EditScope, ForecastEdit
from planner.domain.errors import InvalidInput
from planner.domain.series import SeriesKey
from planner.forecast.edits import EditLevels, SeriesAttributes, edit_forecast, monthly_totals

START = date(2026, 11, 29)  # 2 days of November, 31 of December, then January
DAYS = 40
KEYS = [SeriesKey("TEA-1", "FBA-US"), SeriesKey("TEA-2", "FBA-US"), SeriesKey("MUG-1", "FBA-DE")]
ATTRS = [
    SeriesAttributes(vendor="Acme", category="tea"),
    SeriesAttributes(vendor="Acme", category="tea"),
    SeriesAttributes(vendor="Potters", category="mugs"),
]
DEC = date(2026, 12, 1)


def flat() -> np.ndarray:
    return np.array([[1.0] * DAYS, [3.0] * DAYS, [2.0] * DAYS])


def test_monthly_breakdown_sums_days_into_calendar_months() -> None:
    months, totals = monthly_totals(flat(), START)
    assert months == [date(2026, 11, 1), DEC, date(2027, 1, 1)]
    assert totals[0].tolist() == [2.0, 31.0, 7.0]


def test_category_factor_scales_only_that_category_and_month() -> None:
    edit = ForecastEdit(EditScope.CATEGORY, "tea", DEC, factor=1.2)
    out, view = edit_forecast(flat(), START, KEYS, ATTRS, [edit])
    assert view.after[:, 1].tolist() == pytest.approx([31 * 1.2, 93 * 1.2, 62.0])
    assert view.after[:, 0].tolist() == view.before[:, 0].tolist()
    assert view.edited[:, 1].tolist() == [True, True, False]
    assert out[0, 0] == 1.0 and out[0, 2] == pytest.approx(1.2)


def test_variant_edit_beats_vendor_edit_for_the_same_month() -> None:
    edits = [
        ForecastEdit(EditScope.VENDOR, "Acme", DEC, factor=2.0),
        ForecastEdit(EditScope.VARIANT, "TEA-1", DEC, units=100),
    ]
    _, view = edit_forecast(flat(), START, KEYS, ATTRS, edits)
    assert view.after[0, 1] == pytest.approx(100.0)
    assert view.after[1, 1] == pytest.approx(186.0)


def test_group_units_are_spread_in_proportion_to_each_series_forecast() -> None:
    edit = ForecastEdit(EditScope.VENDOR, "Acme", DEC, units=400)
    _, view = edit_forecast(flat(), START, KEYS, ATTRS, [edit])
    assert view.after[:2, 1].tolist() == pytest.approx([100.0, 300.0])


def test_units_on_a_zero_forecast_are_spread_evenly() -> None:
    mean = flat()
    mean[0] = 0.0
    edit = ForecastEdit(EditScope.VARIANT, "TEA-1", DEC, units=62)
    out, view = edit_forecast(mean, START, KEYS, ATTRS, [edit])
    assert view.after[0, 1] == pytest.approx(62.0) and out[0, 5] == pytest.approx(2.0)


def test_warehouse_limited_edit_touches_only_that_warehouse() -> None:
    edits = [
        ForecastEdit(EditScope.WAREHOUSE, "FBA-DE", DEC, factor=0.5),
        ForecastEdit(EditScope.CATEGORY, "tea", DEC, factor=3.0, warehouse="FBA-DE"),
    ]
    _, view = edit_forecast(flat(), START, KEYS, ATTRS, edits)
    assert view.after[:, 1].tolist() == pytest.approx([31.0, 93.0, 31.0])


def test_edit_outside_the_horizon_changes_nothing() -> None:
    edit = ForecastEdit(EditScope.VARIANT, "TEA-1", date(2027, 6, 1), factor=5)
    out, view = edit_forecast(flat(), START, KEYS, ATTRS, [edit])
    np.testing.assert_array_equal(out, flat())
    assert not view.edited.any()


def test_an_edit_needs_units_or_a_factor_not_both() -> None:
    with pytest.raises(InvalidInput):
        ForecastEdit(EditScope.VARIANT, "A", DEC)
    with pytest.raises(InvalidInput):
        ForecastEdit(EditScope.VARIANT, "A", DEC, units=1, factor=1.0)


# TEA-1 sells in FBA-US and SHOPIFY, neither planned on its own: NA (combined) plans both.
NA_KEYS = [SeriesKey("TEA-1", "FBA-US"), SeriesKey("TEA-1", "SHOPIFY"), SeriesKey("TEA-1", "NA")]
NA_ATTRS = [SeriesAttributes(vendor="Acme", category="tea")] * 3
NA_LEVELS = EditLevels(np.array([False, False, True]), [(), (), (0, 1)])


def na_flat() -> np.ndarray:
    return np.array([[2.0] * DAYS, [1.0] * DAYS, [3.0] * DAYS])  # NA sums its members


def test_an_edit_naming_no_warehouse_lands_once_on_the_combined_row() -> None:
    edit = ForecastEdit(EditScope.VARIANT, "TEA-1", DEC, units=186)  # 2 × NA's 93
    _, view = edit_forecast(na_flat(), START, NA_KEYS, NA_ATTRS, [edit], levels=NA_LEVELS)
    assert view.after[:, 1].tolist() == pytest.approx([62.0, 31.0, 186.0])
    assert view.edited[:, 1].tolist() == [False, False, True]


def test_an_edit_naming_a_member_flows_into_the_combined_row_once() -> None:
    edit = ForecastEdit(EditScope.VARIANT, "TEA-1", DEC, units=131, warehouse="SHOPIFY")
    out, view = edit_forecast(na_flat(), START, NA_KEYS, NA_ATTRS, [edit], levels=NA_LEVELS)
    assert view.after[:, 1].tolist() == pytest.approx([62.0, 131.0, 193.0])  # NA: 93 + 100
    assert view.edited[:, 1].tolist() == [False, True, True]
    assert out[2, 0] == 3.0  # November untouched


def test_a_member_edit_replaces_its_part_of_an_edited_combined_month() -> None:
    edits = [
        ForecastEdit(EditScope.VENDOR, "Acme", DEC, factor=2.0),  # NA's own edit
        ForecastEdit(EditScope.VARIANT, "TEA-1", DEC, units=100, warehouse="SHOPIFY"),
    ]
    _, view = edit_forecast(na_flat(), START, NA_KEYS, NA_ATTRS, edits, levels=NA_LEVELS)
    # The rest of NA (FBA-US's 62) doubled, plus Shopify's 100.
    assert view.after[2, 1] == pytest.approx(2 * 62 + 100)


@pytest.mark.parametrize("combined", [10.0, 93.0, 200.0])  # NA's own forecast vs its members'
def test_edits_that_raise_a_month_never_lower_the_combined_row(combined: float) -> None:
    mean = na_flat()
    mean[2] = combined / 31
    edits = [
        ForecastEdit(EditScope.VARIANT, "TEA-1", DEC, factor=1.1),
        ForecastEdit(EditScope.VARIANT, "TEA-1", DEC, units=80, warehouse="SHOPIFY"),  # 31 → 80
    ]
    _, view = edit_forecast(mean, START, NA_KEYS, NA_ATTRS, edits, levels=NA_LEVELS)
    assert view.after[2, 1] >= view.before[2, 1]
    units = ForecastEdit(EditScope.VARIANT, "TEA-1", DEC, units=2 * combined)
    _, view = edit_forecast(mean, START, NA_KEYS, NA_ATTRS, [units], levels=NA_LEVELS)
    assert view.after[2, 1] == pytest.approx(2 * combined)
