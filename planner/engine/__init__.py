"""The planning core: replenishment maths on whole arrays (series × days); no I/O, no clock.

``plan.plan(PlanArrays) -> PlanOutcome`` runs every planning rule at once; the other modules
are its steps, and the dense history the forecasters read (history.py).
"""
