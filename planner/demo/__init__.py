"""A generated demo seller (catalog, history, stock, orders) for demos, benchmarks and tests, and
everything else of the demo: loading it into a store (seeding, amazon), its defaults and sandbox
ship-from address (defaults, places), and `planner demo`'s simulated buyer (buyer). The story
itself, which composes through the App, is planner.commands.demo_story. The core (domain, engine,
forecast, ports, services, store, config) never imports this package; the demo wires itself in
through the composition root.
"""

from planner.demo.generator import DEMO_TODAY, DemoSeller, generate_seller
from planner.demo.sales import synthetic_history

__all__ = ["DEMO_TODAY", "DemoSeller", "generate_seller", "synthetic_history"]
