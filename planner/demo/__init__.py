"""A generated demo seller (catalog, history, stock, orders) for demos, benchmarks and tests."""

from planner.demo.generator import DEMO_TODAY, DemoSeller, generate_seller
from planner.demo.sales import synthetic_history

__all__ = ["DEMO_TODAY", "DemoSeller", "generate_seller", "synthetic_history"]
