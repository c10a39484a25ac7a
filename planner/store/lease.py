"""The one lease across processes (the Lease port), kept in the counters table.

Four rows per lease, e.g. `cycle:until` (the expiry, unix seconds), `cycle:pid`, `cycle:host`
and `cycle:token` (who holds it). Taking it is a compare-and-set on the expiry the taker read,
so of two processes starting at once exactly one wins, on SQLite and PostgreSQL alike; renewing
and releasing are compare-and-sets on it too, so a holder whose lease was taken over can neither
extend nor free the new holder's. A lease is free once it expires or, on this machine, as soon
as its process is gone (a `planner run` or `planner push` killed with SIGKILL does not make the
next one wait). A name too long for counters.name is cut and a hash of the whole name appended.

The names in use: `cycle` (the daily cycle), `sync` (every Amazon sync), `push:<order>` (one
push of an order at a time) and `once:<key>` (the bot's once-only buttons).
"""

from __future__ import annotations

import os
import secrets
import socket
import zlib
from collections.abc import Iterable

from sqlalchemy import Connection, Engine, String, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from planner.store import tables as t

CYCLE, SYNC = "cycle", "sync"
PUSH = "push:"  # the push lease of an order: `push:<order number>`
UNTIL, PID, HOST, TOKEN = "until", "pid", "host", "token"
PARTS = (UNTIL, PID, HOST, TOKEN)


def push_lease(order_number: str) -> str:
    """The name of the lease a push of the order holds while it runs."""
    return f"{PUSH}{order_number}"


def _this_host() -> int:
    return zlib.crc32(socket.gethostname().encode()) & 0x7FFFFFFF


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def holder_alive(pid: int | None, host: int | None) -> bool:
    """Whether the process a lease names may still run: on another machine, always."""
    if host != _this_host():
        return True  # another machine: only the expiry tells
    return pid is not None and _alive(pid)


def _fits(key: str) -> bool:
    """Whether a lease's rows (`<key>:until`, …) fit counters.name."""
    column = t.counters.c.name.type
    width = column.length if isinstance(column, String) and column.length else 0
    return len(f"{key}:{UNTIL}") <= width


def lease_key(name: str) -> str:
    """The rows' prefix for a lease name; a long name is cut, with a hash of the whole of it."""
    if _fits(name):
        return name
    digest = f"{zlib.crc32(name.encode()):08x}"
    for keep in range(len(name), -1, -1):
        key = f"{name[:keep]}~{digest}"
        if _fits(key):
            return key
    raise ValueError("the counters table cannot hold a lease")


class SqlLease:
    """The Lease port on the counters table; each instance is one holder (its own token)."""

    def __init__(self, engine: Engine, name: str, *, pid: int | None = None) -> None:
        self._engine = engine
        key = lease_key(name)
        self._rows = {f"{key}:{part}": part for part in PARTS}
        self._name = {v: k for k, v in self._rows.items()}
        self._pid = os.getpid() if pid is None else pid
        # Two holders in one process (the scheduler's sync and the bot's) share pid and host:
        # the token tells which of them holds the lease.
        self._token = secrets.randbelow(2**31 - 1) + 1
        self._host = _this_host()

    def take(self, *, now: int, seconds: int) -> bool:
        """Hold the lease until now + seconds; False while a live process holds it."""
        try:
            return self._take(now=now, seconds=seconds)
        except IntegrityError:  # two first-ever takes at once: the other one inserted first
            return False

    def _take(self, *, now: int, seconds: int) -> bool:
        with self._engine.begin() as conn:
            held = self._read(conn)
            until = held.get(UNTIL)
            if until is not None and until > now and holder_alive(held.get(PID), held.get(HOST)):
                return False
            c = t.counters
            if until is None:
                conn.execute(insert(c).values(name=self._name[UNTIL], value=now + seconds))
            elif not _swap(conn, self._name[UNTIL], until, now + seconds):
                return False  # another process took it between our read and write
            _write(conn, self._name[PID], self._pid)
            _write(conn, self._name[HOST], self._host)
            _write(conn, self._name[TOKEN], self._token)
        return True

    def held(self, *, now: int) -> bool:
        """Whether a live process holds the lease (its work is really running now)."""
        with self._engine.connect() as conn:
            held = self._read(conn)
        until = held.get(UNTIL)
        return until is not None and until > now and holder_alive(held.get(PID), held.get(HOST))

    def renew(self, *, now: int, seconds: int) -> bool:
        """Extend our lease; False when it is no longer ours."""
        with self._engine.begin() as conn:
            held = self._read(conn)
            if not self._ours(held):
                return False
            return _swap(conn, self._name[UNTIL], held[UNTIL], now + seconds)

    def release(self) -> None:
        """Free the lease if it is still ours (its rows go: a once-only key leaves nothing)."""
        with self._engine.begin() as conn:
            held = self._read(conn)
            if self._ours(held) and _swap(conn, self._name[UNTIL], held[UNTIL], 0):
                conn.execute(delete(t.counters).where(t.counters.c.name.in_(list(self._rows))))

    def _read(self, conn: Connection) -> dict[str, int]:
        """The lease's rows, keyed until / pid / host / token."""
        c = t.counters
        rows = conn.execute(select(c.c.name, c.c.value).where(c.c.name.in_(list(self._rows))))
        return {self._rows[name]: int(value) for name, value in rows}

    def _ours(self, held: dict[str, int]) -> bool:
        return (
            UNTIL in held
            and held.get(PID) == self._pid
            and held.get(HOST) == self._host
            and held.get(TOKEN) == self._token
        )


def live_leases(conn: Connection, names: Iterable[str], *, now: int) -> set[str]:
    """Of these lease names, those a live process holds right now (a killed one holds none)."""
    keys = {lease_key(n): n for n in names}
    rows = {f"{k}:{part}": (k, part) for k in keys for part in (UNTIL, PID, HOST)}
    if not rows:
        return set()
    c = t.counters
    held: dict[str, dict[str, int]] = {k: {} for k in keys}
    for name, value in conn.execute(select(c.c.name, c.c.value).where(c.c.name.in_(list(rows)))):
        key, part = rows[name]
        held[key][part] = int(value)
    return {
        keys[k]
        for k, h in held.items()
        if h.get(UNTIL, 0) > now and holder_alive(h.get(PID), h.get(HOST))
    }


def saving(conn: Connection, numbers: Iterable[str], *, now: int) -> set[str]:
    """The orders a live push holds the lease of right now (a killed push holds none)."""
    names = {push_lease(n): n for n in numbers}
    return {names[name] for name in live_leases(conn, names, now=now)}


def _swap(conn: Connection, name: str, expected: int, value: int) -> bool:
    c = t.counters
    done = conn.execute(
        update(c).where(c.c.name == name, c.c.value == expected).values(value=value)
    )
    return bool(done.rowcount == 1)


def _write(conn: Connection, name: str, value: int) -> None:
    c = t.counters
    done = conn.execute(update(c).where(c.c.name == name).values(value=value))
    if done.rowcount == 0:
        conn.execute(insert(c).values(name=name, value=value))
