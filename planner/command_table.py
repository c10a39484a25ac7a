"""The table of `planner`'s sub-commands (planner/commands/), imported only when run (or asked
for --help).

COMMANDS names each command's module and its short help, so `planner --help` lists every
command without importing any; tests/test_startup.py checks the table against the commands.
planner.cli reads it here, not from planner.commands, whose modules import planner.cli: the
command line and its commands import each other in no loop.
"""

from __future__ import annotations

import importlib

_P = "planner.commands."
_CYCLE, _BOT, _AMAZON, _CATALOG = _P + "cycle", _P + "bot", _P + "amazon", _P + "catalog"
_REVIEW, _SETUP, _PLAN = _P + "review", _P + "setup", _P + "plan"

# name -> (module that registers it on `cli`, first paragraph of its help)
COMMANDS: dict[str, tuple[str, str]] = {
    "accounts": (
        "planner.commands.accounts",
        "List the config's accounts: database, schema, connections, review sheet, digest channel.",
    ),
    "amazon": (
        _AMAZON,
        "Amazon connections: check credentials, see sync state, set sources of FBA shipments.",
    ),
    "approve": (
        _REVIEW,
        "Turn ticked rows of the review sheet into orders; refused rows get a reason in Status.",
    ),
    "chat": (
        _BOT,
        'Run a bot command here and show the answer: planner chat "/planner sku ABC-1".',
    ),
    "compare": (
        _PLAN,
        "Compare warehouses side by side (from the latest plan), with transfer suggestions.",
    ),
    "db": (
        "planner.commands.db",
        "Database schema: upgrade to the current version, show where it is.",
    ),
    "demo": (
        "planner.commands.demo",
        "The whole daily story on a realistic demo seller (or, --seller-only, just the seller).",
    ),
    "digest": (
        _BOT,
        "Send the daily digest to [slack] digest_channel (or print it in console mode).",
    ),
    "export": (
        _SETUP,
        "Export vendors, products, warehouses or boms as a CSV file `planner import` takes back.",
    ),
    "forecast": (
        "planner.commands.forecast",
        "Forecast your own data from a CSV (or see `planner forecast accuracy`).",
    ),
    "import": (
        _SETUP,
        "Import vendors, products, warehouses, boms or stock-history from a CSV file.",
    ),
    "init": (
        "planner.commands.init",
        "Write planner.toml (or --config PATH): database, Amazon, review sheet, Slack.",
    ),
    "merge": (_CATALOG, "Merge duplicate variants' listings, history and stock into TARGET."),
    "order": (
        "planner.commands.order",
        "Show one stock order, edit it, receive it into an IP warehouse, or set its source.",
    ),
    "orders": (
        "planner.commands.orders",
        "List stock orders: open (default), late, fba, unknown-source or all.",
    ),
    "plan": (
        _PLAN,
        "Forecast, then recommend what to buy, assemble and transfer; keep it for review.",
    ),
    "publish": (
        _REVIEW,
        "Write the latest plan to the review sheet, keeping people's edits on standing rows.",
    ),
    "push": (
        "planner.commands.push",
        "Save a purchase or transfer order bound for FBA to Amazon; it is then locked.",
    ),
    "run": (
        _CYCLE,
        "Run the daily cycle once: sync → plan → publish → digest (for cron and the demo).",
    ),
    "sandbox": (
        _AMAZON,
        "The built-in Amazon sandbox (SP-API and Login with Amazon on a local port).",
    ),
    "serve": (
        _BOT,
        "Run the daily scheduler and the Slack bot (http: POST /slack/events on [slack] port).",
    ),
    "settings": (
        _REVIEW,
        "The seller's setup in the review sheet's settings tabs (Vendors, Products, …).",
    ),
    "status": (
        _CYCLE,
        "The last runs of the daily cycle with their steps, and sync health per connection.",
    ),
    "supply": (
        "planner.commands.supply",
        "Where every unit is: on hand, reserved, Amazon inbound by status, on order, committed, "
        "on the way (counted once) and the position planning counts, per SKU and warehouse.",
    ),
    "sync": (
        _AMAZON,
        "Sync listings, FBA stock, sales and FBA shipments from Amazon into the store.",
    ),
    "vendors": (
        _SETUP,
        "List vendors with their currency and ordering terms (empty: the account's settings).",
    ),
    "warehouses": (
        _CATALOG,
        "List warehouses, their kind, whether they are planned, and combined members.",
    ),
    "worker": (
        _CYCLE,
        "Run the daily cycle's tasks from the task queue ([queue]) until stopped.",
    ),
}


def load_all() -> None:
    """Import every command module (each registers its commands on `planner.cli.cli`)."""
    for module in sorted({module for module, _ in COMMANDS.values()}):
        importlib.import_module(module)
