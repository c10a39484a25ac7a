"""Repository for plans: the recommendation rows people review, kept per planning run."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from planner.domain.orders import OrderKind
from planner.domain.plan import Plan, Recommendation, WarehouseMetrics
from planner.store import tables as t

# Field names read once: ``asdict`` deep-copies every value, which cost seconds per 100,000
# rows for fields that are all plain values already.
_REC_FIELDS = tuple(f.name for f in fields(Recommendation))
_METRIC_FIELDS = tuple(f.name for f in fields(WarehouseMetrics))
_REC_NAMES = frozenset(_REC_FIELDS)


def _to_json(rec: Recommendation) -> dict[str, Any]:
    data = {name: getattr(rec, name) for name in _REC_FIELDS}
    data["kind"] = rec.kind.value
    data["stockout_date"] = rec.stockout_date.isoformat() if rec.stockout_date else None
    data["moved_on"] = rec.moved_on.isoformat() if rec.moved_on else None
    return data


def _from_json(data: dict[str, Any]) -> Recommendation:
    values = {k: v for k, v in data.items() if k in _REC_NAMES}
    values["kind"] = OrderKind(values["kind"])
    if values.get("stockout_date"):
        values["stockout_date"] = date.fromisoformat(values["stockout_date"])
    if values.get("moved_on"):
        values["moved_on"] = date.fromisoformat(values["moved_on"])
    if values.get("settings_source"):
        values["settings_source"] = tuple(tuple(pair) for pair in values["settings_source"])
    return Recommendation(**values)


class SqlPlans:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def save(self, plan: Plan) -> Plan:
        plan.created_at = plan.created_at or datetime.now(UTC)
        result = self._conn.execute(
            insert(t.plans).values(
                made_on=plan.made_on,
                created_at=plan.created_at,
                currency=plan.currency,
                purpose="what-if" if plan.what_if else "live",
                compare=[{n: getattr(m, n) for n in _METRIC_FIELDS} for m in plan.compare],
            )
        )
        plan.id = int(result.inserted_primary_key[0])  # type: ignore[index]
        rows = [
            {"plan_id": plan.id, "key": r.key, "data": _to_json(r)} for r in plan.recommendations
        ]
        if rows:
            self._conn.execute(insert(t.plan_rows), rows)
        return plan

    def latest(self, *, what_if: bool = False) -> Plan | None:
        """The newest live plan (the one people review), or with ``what_if`` the newest of any."""
        query = select(t.plans).order_by(t.plans.c.id.desc()).limit(1)
        if not what_if:
            query = query.where(t.plans.c.purpose == "live")
        head = self._conn.execute(query).first()
        if head is None:
            return None
        rows = self._conn.execute(
            select(t.plan_rows.c.data).where(t.plan_rows.c.plan_id == head.id)
        ).scalars()
        return Plan(
            made_on=head.made_on,
            recommendations=[_from_json(d) for d in rows],
            compare=[WarehouseMetrics(**m) for m in head.compare],
            created_at=head.created_at,
            id=head.id,
            currency=head.currency or "USD",
            what_if=head.purpose == "what-if",
        )
