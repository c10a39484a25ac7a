"""Charts drawn with matplotlib: what a person sees in them, and where they end up.

Images are decoded and checked for their size and the colours of what they should show, not
compared pixel by pixel.
"""

from __future__ import annotations

import io
import subprocess
import sys
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cli_support import fixture_console_config  # noqa: F401  (a fixture)
from cli_support import run_joined as run
from PIL import Image

from planner.adapters.charts import (
    BAND,
    FORECAST,
    HISTORY,
    NOW,
    PRE_LAUNCH,
    SAFETY,
    cover_chart,
    forecast_chart,
    vendor_orders_chart,
)
from planner.domain.catalog import Variant, Vendor
from planner.domain.errors import NotFound
from planner.domain.orders import OrderKind, OrderLine, OrderStatus, StockOrder
from planner.domain.warehouses import Warehouse, WarehouseKind
from planner.ports.charts import ChartSeries, CoverLine, SafetyStockLine, VendorMonths
from planner.services.vendor_orders import vendor_months
from planner.store.uow import SqlUnitOfWork

TODAY = date(2026, 6, 15)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def decode(png: bytes) -> Image.Image:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(png)).convert("RGB")


def colours(image: Image.Image) -> set[tuple[int, int, int]]:
    return {c for _, c in image.getcolors(maxcolors=image.width * image.height) or []}


def series(*, band: bool, safety: bool = False, launch: int = 0) -> ChartSeries:
    days = 120
    forecast = tuple(4.0 + (i % 7) / 3 for i in range(60))
    return ChartSeries(
        sku="TEA-1",
        start=TODAY - timedelta(days=days),
        units=tuple(float(i % 9) for i in range(days)),
        out_of_stock=tuple(40 <= i < 50 for i in range(days)),
        forecast_start=TODAY,
        forecast=forecast,
        stockout_from=None,
        band_low=tuple(max(f - 3, 0.0) for f in forecast) if band else (),
        band_high=tuple(f + 4 for f in forecast) if band else (),
        safety_stock=(SafetyStockLine("FBA-US", 120.0),) if safety else (),
        before_launch=tuple(i < launch for i in range(days)),
    )


def test_forecast_chart_has_the_asked_size_and_shows_history_and_forecast() -> None:
    image = decode(forecast_chart(series(band=False), title="TEA-1", width=700, height=280))
    assert image.size == (700, 280)
    assert {rgb(HISTORY), rgb(FORECAST)} <= colours(image)


def test_the_uncertainty_band_is_drawn_only_when_the_forecast_has_quantiles() -> None:
    with_band = colours(decode(forecast_chart(series(band=True), title="TEA-1")))
    without = colours(decode(forecast_chart(series(band=False), title="TEA-1")))
    assert rgb(BAND) in with_band
    assert rgb(BAND) not in without


def test_safety_stock_is_drawn_when_the_plan_has_it() -> None:
    drawn = colours(decode(forecast_chart(series(band=False, safety=True), title="TEA-1")))
    plain = colours(decode(forecast_chart(series(band=False), title="TEA-1")))
    assert rgb(SAFETY) in drawn and rgb(SAFETY) not in plain


def test_days_before_a_launch_are_shaded_apart_from_stockouts() -> None:
    launched = colours(decode(forecast_chart(series(band=False, launch=30), title="TEA-1")))
    plain = colours(decode(forecast_chart(series(band=False), title="TEA-1")))
    assert rgb(PRE_LAUNCH) in launched and rgb(PRE_LAUNCH) not in plain


def test_non_ascii_titles_are_drawn_and_missing_glyphs_do_not_warn() -> None:
    data = series(band=False)
    accented = forecast_chart(data, title="Thé vert – 50 g")
    plain = forecast_chart(data, title="The vert - 50 g")
    assert decode(accented).tobytes() != decode(plain).tobytes()  # the text itself is drawn
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cjk = decode(forecast_chart(data, title="緑茶 – Уджи – 50 g"))
    assert cjk.size == (760, 300)
    assert not [w for w in caught if "Glyph" in str(w.message)]


def test_cover_chart_grows_with_its_rows_and_marks_rows_that_run_out_in_red() -> None:
    lines = [
        CoverLine("TEA-1", "FBA-US", 5.0, 30, 60),  # runs out before an order lands
        CoverLine("TEA-2", "FBA-DE", 90.0, 30, 60),
    ]
    small = decode(cover_chart(lines, title="Stock cover"))
    large = decode(cover_chart(lines * 6, title="Stock cover"))
    assert small.width == 760 and large.height > small.height
    assert rgb(NOW) in colours(small)
    calm = decode(cover_chart(lines[1:], title="Stock cover"))
    assert rgb(NOW) not in colours(calm)


def bar_runs(image: Image.Image, colour: tuple[int, int, int]) -> int:
    """Bars crossing the lowest row of the plot that holds the colour at all."""
    pixels = image.load()
    assert pixels is not None
    for y in range(image.height - 1, -1, -1):
        row = [pixels[x, y] == colour for x in range(image.width)]
        if any(row):
            return sum(1 for x in range(image.width) if row[x] and (x == 0 or not row[x - 1]))
    return 0


def test_vendor_chart_has_one_bar_per_month_with_orders() -> None:
    months = tuple(date(2026, m, 1) for m in range(1, 9))
    values = (1200.0, 0.0, 300.0, 0.0, 0.0, 450.0, 80.0, 0.0)
    data = VendorMonths("Uji Green Co", "USD", months, values, tuple(int(v > 0) for v in values))
    image = decode(vendor_orders_chart(data, title="Uji Green Co"))
    assert image.size == (760, 300)
    assert bar_runs(image, rgb(HISTORY)) == 4


def add_vendor_orders(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.warehouses.add(Warehouse("IP-MAIN", "Main", WarehouseKind.IP))
        uow.variants.add(Variant("TEA-1", "Thé vert – 50 g"))
        uow.vendors.add(Vendor("Thé & Co", currency="EUR"))
        uow.vendors.add(Vendor("Other Vendor"))
        placed = [
            ("PO-1", datetime(2026, 3, 2, tzinfo=UTC), OrderStatus.RECEIVED, 10, 2.0),
            ("PO-2", datetime(2026, 3, 20, tzinfo=UTC), OrderStatus.OPEN, 5, 4.0),
            ("PO-3", datetime(2026, 5, 9, tzinfo=UTC), OrderStatus.OPEN, 1, 7.5),
            ("PO-4", datetime(2026, 5, 9, tzinfo=UTC), OrderStatus.CANCELLED, 99, 1.0),
            ("PO-5", datetime(2026, 6, 1, tzinfo=UTC), OrderStatus.DRAFT, 99, 1.0),
        ]
        for number, created, status, qty, cost in placed:
            uow.orders.add(
                StockOrder(
                    number, OrderKind.PURCHASE, "IP-MAIN", "Thé & Co", status,
                    [OrderLine("TEA-1", qty, unit_cost=cost)], created_at=created,
                )
            )  # fmt: skip
        uow.commit()


def test_vendor_months_sum_placed_orders_by_month_whatever_the_case(uow: SqlUnitOfWork) -> None:
    add_vendor_orders(uow)
    with uow:
        data = vendor_months(uow, "thé & CO", today=TODAY)
    assert data.vendor == "Thé & Co" and data.currency == "EUR"
    assert data.months == (date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1))
    assert data.values == (40.0, 0.0, 7.5, 0.0)  # cancelled and draft orders are left out
    assert data.orders == (2, 0, 1, 0)


def test_an_unknown_vendor_is_refused_naming_the_close_ones(uow: SqlUnitOfWork) -> None:
    add_vendor_orders(uow)
    with uow, pytest.raises(NotFound) as caught:
        vendor_months(uow, "The and Co", today=TODAY)
    assert "The and Co" in str(caught.value) and "Thé & Co" in (caught.value.hint or "")


def test_forecast_view_writes_the_chart_with_its_band(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart = config.parent / "tea.png"
    code, out = run(capsys, config, "forecast", "view", "--sku", "TEA-0008", "--chart", str(chart))
    assert code == 0, out
    assert "TEA-0008" in out and str(chart) in out
    image = decode(chart.read_bytes())
    assert image.size == (760, 300)
    assert {rgb(FORECAST), rgb(BAND), rgb(HISTORY)} <= colours(image)


def test_forecast_chart_to_a_missing_folder_or_of_an_unknown_sku_is_refused(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nowhere = config.parent / "no-such-folder" / "tea.png"
    view = ("forecast", "view", "--sku")
    code, out = run(capsys, config, *view, "TEA-0008", "--chart", str(nowhere))
    assert code == 1 and "no-such-folder" in out and "Traceback" not in out
    assert not nowhere.parent.exists()
    code, out = run(capsys, config, *view, "NOPE-1", "--chart", "x.png")
    assert code == 1 and "NOPE-1" in out and not (config.parent / "x.png").exists()


def test_chat_vendors_with_a_name_writes_the_vendor_chart(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, config, "chat", "/planner vendors")
    vendor = next(line.split("  ")[0] for line in out.splitlines() if line.startswith("Uji"))
    code, out = run(capsys, config, "chat", f"/planner vendors {vendor.upper()}")
    assert code == 0, out
    assert "purchase order(s) placed with Uji Green Co" in out
    (png,) = (config.parent / "charts").glob("*orders.png")
    assert decode(png.read_bytes()).size == (760, 300)
    code, out = run(capsys, config, "chat", "/planner vendors Uji Gren")
    assert code == 1 and "Uji Green Co" in out and "Traceback" not in out


def test_console_digest_writes_the_stock_cover_chart(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, config, "digest")
    assert code == 0, out
    (png,) = (config.parent / "charts").glob("stock-cover-*.png")
    assert str(png) in out.replace("\n", "")
    assert decode(png.read_bytes()).width == 760


def test_commands_that_draw_nothing_do_not_load_matplotlib() -> None:
    code = (
        "import sys, planner.cli, bot.core, bot.commands, bot.console, bot.slack; "
        "print('matplotlib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
