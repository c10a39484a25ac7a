"""The demo seller's default seed and size (light: read by command options before any work)."""

DEMO_SEED, DEMO_VARIANTS = 7, 300
