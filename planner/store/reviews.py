"""Repository for the review log: publications of plans and approved rows turned into orders."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from planner.domain.errors import DomainRuleViolation
from planner.ports import Publication, RowApproval
from planner.store import tables as t


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SqlReviews:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def record_publication(self, publication: Publication) -> Publication:
        self._conn.execute(
            insert(t.review_publications).values(
                plan_id=publication.plan_id,
                target=publication.target,
                published_at=publication.published_at,
                published_by=publication.published_by,
                rows=publication.rows,
            )
        )
        return publication

    def last_publication(self, target: str) -> Publication | None:
        rp = t.review_publications
        r = self._conn.execute(
            select(rp).where(rp.c.target == target).order_by(rp.c.id.desc()).limit(1)
        ).first()
        if r is None:
            return None
        return Publication(r.plan_id, r.target, _aware(r.published_at), r.published_by, r.rows)

    def add_approval(self, approval: RowApproval, *, after: str | None = None) -> RowApproval:
        """Record a row turned into an order; `after` is the row's last order the approver saw
        (None: none), so a row ordered meanwhile by someone else is refused, not ordered twice."""
        ra = t.review_approvals
        last = self._conn.execute(
            select(ra.c.order_number, ra.c.seq)
            .where(ra.c.row_key == approval.row_key)
            .order_by(ra.c.seq.desc())
            .limit(1)
        ).first()
        seen = None if last is None else str(last.order_number)
        if seen != after:
            raise DomainRuleViolation(
                f"row {approval.row_key} is already order {seen}"
                + ("" if after is None else f" (not {after} as when it was read)"),
                hint="run `planner approve` again: it shows what is ordered now",
            )
        try:
            self._conn.execute(
                insert(ra).values(
                    plan_id=approval.plan_id,
                    row_key=approval.row_key,
                    order_number=approval.order_number,
                    quantity=approval.quantity,
                    approved_by=approval.approved_by,
                    approved_at=approval.approved_at,
                    seq=1 if last is None else last.seq + 1,
                )
            )
        except IntegrityError:  # another approval of this row landed between the read and now
            raise DomainRuleViolation(
                f"row {approval.row_key} was ordered by someone else at the same moment; "
                "nothing was ordered twice",
                hint="run `planner approve` again: it shows what is ordered now",
            ) from None
        return approval

    def approvals(self, row_keys: Iterable[str]) -> builtins.list[RowApproval]:
        ra = t.review_approvals
        keys = sorted(set(row_keys))
        found: list[RowApproval] = []
        for start in range(0, len(keys), 500):  # bounded IN lists
            rows = self._conn.execute(
                select(ra).where(ra.c.row_key.in_(keys[start : start + 500])).order_by(ra.c.id)
            )
            found += [
                RowApproval(
                    r.plan_id,
                    r.row_key,
                    r.order_number,
                    r.quantity,
                    r.approved_by,
                    _aware(r.approved_at),
                )
                for r in rows
            ]
        return found
