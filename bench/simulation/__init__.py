"""The inventory simulation behind bench/simulate.py: world, policies, demo world, comparison."""
