"""Repository for plans: the recommendation rows people review, kept per planning run."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from planner.domain.orders import OrderKind
from planner.domain.plan import Plan, Recommendation, WarehouseMetrics
from planner.store import tables as t


def _to_json(rec: Recommendation) -> dict[str, Any]:
    data = asdict(rec)
    data["kind"] = rec.kind.value
    data["stockout_date"] = rec.stockout_date.isoformat() if rec.stockout_date else None
    return data


def _from_json(data: dict[str, Any]) -> Recommendation:
    known = {f.name for f in fields(Recommendation)}
    values = {k: v for k, v in data.items() if k in known}
    values["kind"] = OrderKind(values["kind"])
    if values.get("stockout_date"):
        values["stockout_date"] = date.fromisoformat(values["stockout_date"])
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
                compare=[asdict(m) for m in plan.compare],
            )
        )
        plan.id = int(result.inserted_primary_key[0])  # type: ignore[index]
        rows = [
            {"plan_id": plan.id, "key": r.key, "data": _to_json(r)} for r in plan.recommendations
        ]
        if rows:
            self._conn.execute(insert(t.plan_rows), rows)
        return plan

    def latest(self) -> Plan | None:
        head = self._conn.execute(select(t.plans).order_by(t.plans.c.id.desc()).limit(1)).first()
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
        )
