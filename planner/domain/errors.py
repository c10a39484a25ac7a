"""Typed errors whose messages a user can act on; translated once at each boundary."""

from __future__ import annotations


class PlannerError(Exception):
    """Base of every error planner reports to a person (CLI, Slack, sheet status column)."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(PlannerError):
    """The configuration file or environment is wrong; the message names the key to fix."""

    exit_code = 2


class NotFound(PlannerError):
    """A named thing (SKU, warehouse, order, vendor) does not exist."""


class InvalidInput(PlannerError):
    """A value given by a person (quantity, date, flag) is not acceptable."""


class DomainRuleViolation(PlannerError):
    """An action breaks a rule of the domain (a cycle in a bill of materials, say)."""


class InvalidTransition(DomainRuleViolation):
    """A stock order cannot move from its current status to the one asked for."""


class OrderLocked(DomainRuleViolation):
    """The order was saved to Amazon; it must be edited there."""
