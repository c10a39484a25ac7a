"""SQLAlchemy Core tables: the store's schema (the domain never sees these)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

# Stable constraint names so Alembic migrations behave the same on SQLite and PostgreSQL.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

CASCADE = "CASCADE"

meta = Table(
    "planner_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

marketplaces = Table(
    "marketplaces",
    metadata,
    Column("marketplace_id", String(20), primary_key=True),
    Column("region", String(2), nullable=False),
    Column("country", String(64), nullable=False),
    Column("country_code", String(2), nullable=False, unique=True),
    Column("domain", String(64), nullable=False),
    Column("endpoint", String(128), nullable=False),
)

connections = Table(
    "connections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("region", String(2), nullable=False),
    Column("seller_id", String(64), nullable=False, default=""),
    Column("inbound_order_type", String(16), nullable=False),
    Column("default_source_warehouse", String(64)),
    Column("ignore_unreceived_after_days", Integer),
    Column("pooled_fba", Boolean, nullable=False, default=True),  # migration 0015
    Column("remote_fulfillment", Boolean, nullable=False, default=False),  # migration 0016
)

connection_marketplaces = Table(
    "connection_marketplaces",
    metadata,
    Column("connection_id", ForeignKey("connections.id", ondelete=CASCADE), primary_key=True),
    Column("marketplace_id", ForeignKey("marketplaces.marketplace_id"), primary_key=True),
)

warehouses = Table(
    "warehouses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("connection_id", ForeignKey("connections.id")),
    Column("marketplace_id", ForeignKey("marketplaces.marketplace_id")),
    Column("currency", String(3), nullable=False, default="USD"),
    Column("address", JSON),
    Column("supplies", JSON),  # code -> transit days (null: default); null: default lanes
)

warehouse_members = Table(
    "warehouse_members",
    metadata,
    Column("combined_id", ForeignKey("warehouses.id", ondelete=CASCADE), primary_key=True),
    Column("member_id", ForeignKey("warehouses.id"), primary_key=True),
    Column("include_sales", Boolean, nullable=False),
    Column("include_stock", Boolean, nullable=False),
)

vendors = Table(
    "vendors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("lead_time_days", Integer),
    Column("moq", Integer, nullable=False, default=0),
    Column("pack_size", Integer, nullable=False, default=1),
    Column("min_order_value", Float, nullable=False, default=0.0),
    Column("order_days", String(16), nullable=False, default=""),
    Column("currency", String(3), nullable=False, default="USD"),
    Column("email", String(254)),
    Column("notes", Text, nullable=False, default=""),
    Column("pack_rounding", String(16), nullable=False, default="up"),
    Column("address", Text),
)

variants = Table(
    "variants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sku", String(128), nullable=False, unique=True),
    Column("title", String(512), nullable=False, default=""),
    Column("vendor_id", ForeignKey("vendors.id")),
    Column("category", String(128)),
    Column("brand", String(128)),
    Column("tags", String(512), nullable=False, default=""),
    Column("cost", Float, nullable=False, default=0.0),
    Column("price", Float, nullable=False, default=0.0),
    Column("pack_size", Integer),
    Column("is_assembly", Boolean, nullable=False, default=False),
    Column("launched_on", Date),
    Column("similar_to_id", ForeignKey("variants.id")),
    Column("active", Boolean, nullable=False, default=True),
    Column("vendor_sku", String(128)),
    Column("moq", Integer),
    Column("discontinued", Boolean, nullable=False, default=False),
    Column("forecast_method", String(32), nullable=False, default="auto"),
)

listings = Table(
    "listings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(64), nullable=False),
    # "" rather than NULL for channels without marketplaces, so the unique key holds everywhere.
    Column("marketplace_id", String(20), nullable=False, default=""),
    Column("seller_sku", String(128), nullable=False),
    Column("variant_id", ForeignKey("variants.id"), nullable=False, index=True),
    Column("asin", String(16)),
    Column("fnsku", String(16)),
    UniqueConstraint("channel", "marketplace_id", "seller_sku", name="uq_listings_channel_key"),
)

boms = Table(
    "boms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("assembly_id", ForeignKey("variants.id"), nullable=False, unique=True),
    Column("assembly_time_days", Integer, nullable=False, default=0),
    Column("assembly_cycle_days", Integer, nullable=False, default=0),
)

bom_components = Table(
    "bom_components",
    metadata,
    Column("bom_id", ForeignKey("boms.id", ondelete=CASCADE), primary_key=True),
    Column("component_id", ForeignKey("variants.id"), primary_key=True),
    Column("quantity", Float, nullable=False),
)

stock_levels = Table(
    "stock_levels",
    metadata,
    Column("variant_id", ForeignKey("variants.id"), primary_key=True),
    Column("warehouse_id", ForeignKey("warehouses.id"), primary_key=True),
    Column("available", Integer, nullable=False, default=0),
    Column("reserved", Integer, nullable=False, default=0),
    Column("inbound_working", Integer, nullable=False, default=0),
    Column("inbound_shipped", Integer, nullable=False, default=0),
    Column("inbound_receiving", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True)),
)

# History tables key days as integers (days since 1970-01-01): compact, and read back into numpy
# arrays without parsing dates, which is what keeps years of history fast to load and read.
daily_sales = Table(
    "daily_sales",
    metadata,
    Column("variant_id", Integer, ForeignKey("variants.id"), primary_key=True),
    Column("warehouse_id", Integer, ForeignKey("warehouses.id"), primary_key=True),
    Column("day", Integer, primary_key=True),
    Column("channel", String(32), primary_key=True, default=""),
    Column("units", Float, nullable=False),
    Column("revenue", Float, nullable=False, default=0.0),
)

# Sparse: only days a variant was not fully in stock; a missing row means in stock all day.
stockout_days = Table(
    "stockout_days",
    metadata,
    Column("variant_id", Integer, ForeignKey("variants.id"), primary_key=True),
    Column("warehouse_id", Integer, ForeignKey("warehouses.id"), primary_key=True),
    Column("day", Integer, primary_key=True),
    Column("in_stock_fraction", Float, nullable=False),
)

stock_orders = Table(
    "stock_orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("status", String(24), nullable=False),
    Column("destination_id", ForeignKey("warehouses.id"), nullable=False),
    Column("source_vendor_id", ForeignKey("vendors.id")),
    Column("source_warehouse_id", ForeignKey("warehouses.id")),
    Column("expected_on", Date),
    Column("created_at", DateTime(timezone=True)),
    Column("created_by", String(128)),
    Column("external_ref", String(64), unique=True),
    Column("note", Text, nullable=False, default=""),
    Column("amazon_plan_id", String(64)),
    Column("amazon_shipment_ids", JSON),
    Column("amazon_confirmation_ids", JSON),
    Column("amazon_split", Boolean),
    # Set by the push as its last act only (migration 0008): the order is fully saved to Amazon.
    Column("amazon_pushed_at", DateTime(timezone=True)),
    Column("received_on", Date),  # the day the order became received (migration 0009)
    # The push's state (planner.domain.push, migration 0014); amazon_plan_id holds its plan id.
    Column("push_state", String(16)),
    Column("push_token", String(16)),
    Column("push_claimed_at", BigInteger),  # unix seconds the claim was last taken (0: none)
    Column("push_step", String(16)),  # the step a stopped push stopped at
)

stock_order_lines = Table(
    "stock_order_lines",
    metadata,
    Column("order_id", ForeignKey("stock_orders.id", ondelete=CASCADE), primary_key=True),
    Column("variant_id", ForeignKey("variants.id"), primary_key=True),
    Column("ordered", Integer, nullable=False),
    Column("received", Integer, nullable=False, default=0),
    Column("unit_cost", Float, nullable=False, default=0.0),
)

settings_overrides = Table(
    "settings_overrides",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scope", String(16), nullable=False),
    Column("key", String(128), nullable=False, default=""),
    # "" = every warehouse; a code otherwise (kept as text so the unique key holds everywhere).
    Column("warehouse", String(64), nullable=False, default=""),
    Column("lead_time_days", Integer),
    Column("days_of_stock", Integer),
    Column("service_level", Float),
    Column("min_stock", Integer),
    Column("max_stock", Integer),
    UniqueConstraint("scope", "key", "warehouse", name="uq_settings_overrides_scope_key"),
)

forecast_edits = Table(
    "forecast_edits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scope", String(16), nullable=False),
    Column("key", String(128), nullable=False),
    Column("month", Date, nullable=False),
    Column("warehouse", String(64), nullable=False, default=""),
    Column("units", Float),
    Column("factor", Float),
    Column("note", Text, nullable=False, default=""),
    Column("created_by", String(128)),
    UniqueConstraint("scope", "key", "month", "warehouse", name="uq_forecast_edits_key"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("objects", JSON, nullable=False),
    Column("origin", String(32), nullable=False),
    Column("details", JSON, nullable=False),
    Index("ix_audit_log_at", "at"),
)

plans = Table(
    "plans",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("made_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("compare", JSON, nullable=False),
    Column("currency", String(3), nullable=False, default="USD"),
    # "live": made by the daily cycle or a person for its day, the plan people review;
    # "what-if": made for another day (`plan --today D`), kept apart from review and the bot.
    Column("purpose", String(16), nullable=False, default="live"),
)

# One row per recommendation; the numbers travel as JSON so the plan's shape can grow freely.
plan_rows = Table(
    "plan_rows",
    metadata,
    Column("plan_id", ForeignKey("plans.id", ondelete=CASCADE), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("data", JSON, nullable=False),
)

# Each night's forecast, compactly: per series the next 28 days as one JSON list of rounded
# daily values, so accuracy can be measured later against what really sold.
forecast_snapshots = Table(
    "forecast_snapshots",
    metadata,
    Column("made_on", Integer, primary_key=True),  # day number of the first forecast day
    Column("variant_id", Integer, ForeignKey("variants.id"), primary_key=True),
    Column("warehouse_id", Integer, ForeignKey("warehouses.id"), primary_key=True),
    Column("method", String(32), nullable=False),
    Column("daily", JSON, nullable=False),
)

# -- the Amazon sync (migration 0002) ------------------------------------------------------------

# Where each kind of data of each connection was last synced to, and the last failure.
sync_state = Table(
    "sync_state",
    metadata,
    Column("connection_id", ForeignKey("connections.id", ondelete=CASCADE), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("watermark", DateTime(timezone=True)),
    Column("synced_at", DateTime(timezone=True)),
    Column("failed_at", DateTime(timezone=True)),
    Column("error", Text),
    Column("details", JSON, nullable=False),
)

# Raw order lines as Amazon reported them: a changed or cancelled order re-aggregates only the
# days it touches into daily_sales (joined to listings, so merged listings count as one variant).
amazon_order_lines = Table(
    "amazon_order_lines",
    metadata,
    Column("connection_id", ForeignKey("connections.id", ondelete=CASCADE), primary_key=True),
    Column("order_id", String(32), primary_key=True),
    Column("seller_sku", String(128), primary_key=True),
    Column("marketplace_id", String(20), nullable=False),
    Column("warehouse_id", ForeignKey("warehouses.id"), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("day", Integer, nullable=False),
    # Seconds since 1970-01-01 UTC: millions of lines are written and compared on each backfill.
    Column("purchased_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("status", String(32), nullable=False),
    Column("counted", Boolean, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("revenue", Float, nullable=False),
    Index("ix_amazon_order_lines_day", "connection_id", "day"),
)

# The last FBA inventory snapshot per listing, with what stock_levels does not keep.
amazon_inventory = Table(
    "amazon_inventory",
    metadata,
    Column("connection_id", ForeignKey("connections.id", ondelete=CASCADE), primary_key=True),
    Column("marketplace_id", String(20), primary_key=True),
    Column("seller_sku", String(128), primary_key=True),
    Column("fnsku", String(16)),
    Column("asin", String(16)),
    Column("fulfillable", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    Column("inbound_working", Integer, nullable=False),
    Column("inbound_shipped", Integer, nullable=False),
    Column("inbound_receiving", Integer, nullable=False),
    Column("unfulfillable", Integer, nullable=False),
    Column("researching", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True)),
)

# Review sheet: each publish of a plan (who, when, where), and each approved row turned into an
# order. A row (by key, across plans) is ordered once; a second order of the same row is the next
# `seq`, so two approvals racing for the same row cannot both insert (migration 0011).
review_publications = Table(
    "review_publications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, nullable=False),
    Column("target", String(512), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("published_by", String(128), nullable=False),
    Column("rows", Integer, nullable=False, default=0),
    Index("ix_review_publications_target", "target"),
)

review_approvals = Table(
    "review_approvals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, nullable=False),
    Column("row_key", String(200), nullable=False),
    Column("order_number", String(32), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("approved_by", String(128), nullable=False),
    Column("approved_at", DateTime(timezone=True), nullable=False),
    Column("seq", Integer, nullable=False),  # 1 for a row's first order, 2 for a second, …
    UniqueConstraint("row_key", "seq", name="uq_review_approvals_row_seq"),
    Index("ix_review_approvals_row_key", "row_key"),
)

# The daily cycle's run history: one row per run, its steps' results as JSON.
runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("trigger", String(32), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),
    Column("steps", JSON, nullable=False),
    # Held the cycle lease (synced, planned or published); a digest-only run did not.
    Column("exclusive", Boolean, nullable=False, server_default=true()),
    Column("queued", Boolean, nullable=False, server_default=false()),
)

# The tasks of a queued run (planner/services/queued_cycle.py): one row per unit of work, so a
# task delivered twice, or to a second worker after the first was killed, is done once.
run_tasks = Table(
    "run_tasks",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("detail", JSON, nullable=False),
    Column("error", Text),
    Column("hint", Text),
    Column("result", LargeBinary),  # a forecasting part's result (numpy's npz, no pickle)
    Column("updated_at", Float, nullable=False),  # unix seconds
    Column("seconds", Float, nullable=False, server_default="0"),  # how long its last run took
)

# Each stock order's Amazon shipments as Amazon last reported them: an inbound plan split into
# several shipments is received and closed per shipment, and the order adds them up.
order_amazon_shipments = Table(
    "order_amazon_shipments",
    metadata,
    Column("order_id", ForeignKey("stock_orders.id", ondelete=CASCADE), primary_key=True),
    Column("shipment_id", String(64), primary_key=True),
    Column("marketplace_id", String(20), nullable=False),
    Column("name", String(255), nullable=False, default=""),
    Column("status", String(16), nullable=False),
    Column("expected_on", Date),
    # [[seller_sku, fnsku, shipped, received], ...]: Amazon's SKUs, mapped to variants on use
    # (so merging variants or listings never leaves a stale row behind).
    Column("items", JSON, nullable=False),
)
