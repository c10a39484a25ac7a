"""The built-in Amazon sandbox: SP-API and Login with Amazon on a local port, serving a seller."""

from __future__ import annotations

from datetime import date

from planner.adapters.amazon.sandbox.seller import SandboxSeller
from planner.adapters.amazon.sandbox.server import (
    AmazonSandbox,
    Fault,
    SandboxCredentials,
    SandboxSettings,
    SandboxStats,
    fault_operations,
    parse_fault,
)
from planner.demo import DemoSeller, generate_seller

__all__ = [
    "AmazonSandbox",
    "Fault",
    "SandboxCredentials",
    "SandboxSeller",
    "SandboxSettings",
    "SandboxStats",
    "demo_sandbox",
    "fault_operations",
    "parse_fault",
]


def demo_sandbox(
    demo: DemoSeller | None = None,
    *,
    seed: int = 7,
    variants: int = 300,
    today: date | None = None,
    history_days: int = 730,
    settings: SandboxSettings | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> AmazonSandbox:
    """A sandbox (not yet started) serving the given or a freshly generated demo seller."""
    if demo is None:
        demo = generate_seller(seed=seed, variants=variants, today=today, history_days=history_days)
    return AmazonSandbox(SandboxSeller(demo), settings, host=host, port=port)
