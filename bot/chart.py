"""The `sku` command's forecast chart: history bars, forecast line, stockout periods, as PNG.

Drawn on a numpy canvas and encoded with zlib: no plotting library needed for one small chart.
"""

from __future__ import annotations

import itertools
import struct
import zlib
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from bot.font import HEIGHT, draw_text, text_width
from bot.queries import ChartSeries

Colour = tuple[int, int, int]
WHITE: Colour = (255, 255, 255)
INK: Colour = (40, 40, 40)
GRID: Colour = (225, 225, 225)
BARS: Colour = (96, 125, 160)
LINE: Colour = (230, 120, 20)
STOCKOUT: Colour = (250, 205, 205)
TODAY: Colour = (150, 150, 150)

LEFT, RIGHT, TOP, BOTTOM = 48, 12, 30, 24


def png_bytes(canvas: NDArray[np.uint8]) -> bytes:
    """Encode an (height, width, 3) RGB array as a PNG file."""
    height, width = canvas.shape[:2]
    raw = np.zeros((height, width * 3 + 1), dtype=np.uint8)  # filter byte 0 on each row
    raw[:, 1:] = canvas.reshape(height, width * 3)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"IDAT", zlib.compress(raw.tobytes(), 9)),
            chunk(b"IEND", b""),
        ]
    )


def forecast_chart(series: ChartSeries, *, width: int = 760, height: int = 300) -> bytes:
    """History, forecast and stockout periods of one SKU as a PNG image."""
    canvas = np.full((height, width, 3), WHITE, dtype=np.uint8)
    history = np.asarray(series.units, dtype=np.float64)
    forecast = np.asarray(series.forecast, dtype=np.float64)
    days = len(history) + len(forecast)
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    top = float(max(history.max(initial=0.0), forecast.max(initial=0.0), 1.0)) * 1.1
    x_of = np.linspace(LEFT, LEFT + plot_w, days + 1).astype(int)

    def y_of(value: float) -> int:
        return TOP + plot_h - round(min(value, top) / top * plot_h)

    for fraction in (0.25, 0.5, 0.75, 1.0):
        canvas[y_of(top * fraction / 1.1), LEFT : LEFT + plot_w] = GRID
    _shade_stockouts(canvas, series, x_of, plot_h)
    for i, units in enumerate(history):
        if units > 0:
            canvas[y_of(units) : TOP + plot_h, x_of[i] : max(x_of[i + 1] - 1, x_of[i] + 1)] = BARS
    today_x = x_of[len(history)]
    canvas[TOP : TOP + plot_h : 3, today_x] = TODAY
    points = [(int((x_of[len(history) + i] + x_of[len(history) + i + 1]) // 2), y_of(v))
              for i, v in enumerate(forecast)]  # fmt: skip
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        _line(canvas, x0, y0, x1, y1, LINE)
    canvas[TOP : TOP + plot_h + 1, LEFT - 1] = INK
    canvas[TOP + plot_h, LEFT - 1 : LEFT + plot_w] = INK
    _labels(canvas, series, x_of, top)
    return png_bytes(canvas)


def _shade_stockouts(
    canvas: NDArray[np.uint8], series: ChartSeries, x_of: NDArray[np.int64], plot_h: int
) -> None:
    for i, out in enumerate(series.out_of_stock):
        if out:
            canvas[TOP : TOP + plot_h, x_of[i] : x_of[i + 1]] = STOCKOUT
    if series.stockout_from is not None:
        first = len(series.units) + max((series.stockout_from - series.forecast_start).days, 0)
        if first < len(x_of) - 1:
            canvas[TOP : TOP + plot_h, x_of[first] : x_of[-1]] = STOCKOUT


def _line(canvas: NDArray[np.uint8], x0: int, y0: int, x1: int, y1: int, colour: Colour) -> None:
    """A two-pixel-thick straight line."""
    steps = max(abs(x1 - x0), abs(y1 - y0), 1)
    xs = np.rint(np.linspace(x0, x1, steps + 1)).astype(int)
    ys = np.rint(np.linspace(y0, y1, steps + 1)).astype(int)
    for dy in (0, 1):
        canvas[np.clip(ys + dy, 0, canvas.shape[0] - 1), np.clip(xs, 0, canvas.shape[1] - 1)] = (
            colour
        )


def _labels(
    canvas: NDArray[np.uint8],
    series: ChartSeries,
    x_of: NDArray[np.int64],
    top: float,
) -> None:
    height = canvas.shape[0]
    draw_text(canvas, LEFT, 8, f"{series.sku}  UNITS PER DAY", INK, scale=1)
    legend = [("HISTORY", BARS), ("FORECAST", LINE), ("STOCKOUT", STOCKOUT)]
    x = canvas.shape[1] - RIGHT - sum(text_width(t) + 18 for t, _ in legend)
    for text, colour in legend:
        canvas[8 : 8 + HEIGHT, x : x + 8] = colour
        draw_text(canvas, x + 11, 8, text, INK)
        x += text_width(text) + 18
    plot_h = height - TOP - BOTTOM
    for fraction in (0.0, 0.5, 1.0):
        value = top / 1.1 * fraction
        label = f"{value:.0f}" if top >= 10 else f"{value:.1f}"
        y = TOP + plot_h - round(fraction / 1.1 * plot_h) - HEIGHT // 2
        draw_text(canvas, LEFT - 6 - text_width(label), y, label, INK)
    start = series.start
    total = len(x_of) - 1
    for i in range(total):
        d = start + timedelta(days=i)
        if d.day == 1:
            label = _month(d)
            draw_text(
                canvas, int(x_of[i]) - text_width(label) // 2, height - BOTTOM + 8, label, INK
            )
            canvas[TOP + plot_h : TOP + plot_h + 4, x_of[i]] = INK


def _month(d: date) -> str:
    return ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")[
        d.month - 1
    ]
