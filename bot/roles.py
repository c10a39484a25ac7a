"""Who may do what: viewers, approvers and admins, by Slack user id or user group.

Roles nest: an admin is also an approver, an approver also a viewer. No viewers configured means
everyone in the workspace may view. User groups (S…) are expanded with usergroups.users.list and
kept for a few minutes.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from planner.domain.errors import PlannerError

log = logging.getLogger("planner.bot.roles")

GROUP_TTL_SECONDS = 300.0


class Role(enum.IntEnum):
    NONE = 0
    VIEWER = 1
    APPROVER = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class NotAllowed(PlannerError):
    """The person lacks the role an action needs."""


@dataclass(frozen=True, slots=True)
class RoleLists:
    viewers: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()


# Looks up the members of a user group (S…); raises on failure.
GroupMembers = Callable[[str], Sequence[str]]


class RoleBook:
    """Resolves a Slack user's role from the configured lists (thread-safe, cached groups)."""

    def __init__(
        self,
        lists: RoleLists,
        members: GroupMembers | None = None,
        *,
        ttl: float = GROUP_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lists = lists
        self._members = members
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def role_of(self, user_id: str) -> Role:
        """The highest role the user holds."""
        lists = self._lists
        if self._holds(user_id, lists.admins):
            return Role.ADMIN
        if self._holds(user_id, lists.approvers):
            return Role.APPROVER
        if not lists.viewers or self._holds(user_id, lists.viewers):
            return Role.VIEWER
        return Role.NONE

    def require(self, user_id: str, role: Role, doing: str) -> Role:
        """The user's role, or NotAllowed saying who may do it."""
        held = self.role_of(user_id)
        if held < role:
            lists = self._lists
            nobody = not lists.admins and (role is Role.ADMIN or not lists.approvers)
            hint = f"ask an admin to add you to [slack.roles] {role.label}s"
            if nobody:
                hint = (
                    f"nobody is set up as {role.label} yet: add Slack user ids (U…) or user "
                    f"groups (S…) to [slack.roles] {role.label}s in planner's configuration"
                )
            raise NotAllowed(
                f"only {role.label}s may {doing}; you are "
                + ("not on planner's lists" if held is Role.NONE else f"a {held.label}"),
                hint=hint,
            )
        return held

    def _all(self) -> Iterable[str]:
        return (*self._lists.viewers, *self._lists.approvers, *self._lists.admins)

    def _holds(self, user_id: str, ids: Sequence[str]) -> bool:
        if user_id in ids:
            return True
        return any(user_id in self._group(g) for g in ids if _is_group(g))

    def _fresh(self, group: str) -> bool:
        cached = self._cache.get(group)
        return cached is not None and self._clock() - cached[0] < self._ttl

    def _group(self, group: str) -> frozenset[str]:
        with self._lock:
            if self._fresh(group):
                return self._cache[group][1]
        members: frozenset[str] = frozenset()
        if self._members is not None:
            try:
                members = frozenset(self._members(group))
            except Exception as exc:  # Slack down or the group gone: nobody gains a role by it
                log.warning("could not list the members of user group %s: %s", group, exc)
                return members
        with self._lock:
            self._cache[group] = (self._clock(), members)
        return members


def _is_group(slack_id: str) -> bool:
    return slack_id.startswith("S")
