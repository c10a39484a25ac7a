"""Moments as stored: SQLite gives datetimes back naive; every stored moment is UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime | None) -> datetime:
    """The moment in UTC (naive ones are taken as UTC); the earliest one for None."""
    if moment is None:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
