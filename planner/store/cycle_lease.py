"""One daily cycle (or one Amazon sync) at a time, across processes: a lease in counters.

Three rows per lease, e.g. `cycle:until` (the expiry, unix seconds), `cycle:pid` and
`cycle:host` (who holds it); the sync lease uses `sync:…`. Taking it is a compare-and-set on
the expiry the taker read, so of two processes starting at once exactly one wins, on SQLite
and PostgreSQL alike. A lease is free once it expires or, on this machine, as soon as its
process is gone (a `planner run` killed with SIGKILL does not make the next run wait).
"""

from __future__ import annotations

import os
import secrets
import socket
import zlib

from sqlalchemy import Connection, Engine, String, insert, select, update
from sqlalchemy.exc import IntegrityError

from planner.store import tables as t

CYCLE, SYNC = "cycle", "sync"
UNTIL, PID, HOST, TOKEN = "until", "pid", "host", "token"


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


def row_names_fit(name: str) -> bool:
    """Whether a lease's rows (`<name>:until`, …) fit counters.name."""
    column = t.counters.c.name.type
    width = column.length if isinstance(column, String) and column.length else 0
    return len(f"{name}:{UNTIL}") <= width


class SqlCycleLease:
    def __init__(self, engine: Engine, *, pid: int | None = None, name: str = CYCLE) -> None:
        if not row_names_fit(name):  # PostgreSQL refuses the row, SQLite keeps it whole
            raise ValueError(f"lease name {name!r} is too long for the counters table")
        self._engine = engine
        self._rows = {
            f"{name}:until": UNTIL, f"{name}:pid": PID, f"{name}:host": HOST,
            f"{name}:token": TOKEN,
        }  # fmt: skip
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
            if until is not None and until > now and self._held_by_live(held):
                return False
            c = t.counters
            if until is None:
                conn.execute(insert(c).values(name=self._name[UNTIL], value=now + seconds))
            else:
                swapped = conn.execute(
                    update(c)
                    .where(c.c.name == self._name[UNTIL], c.c.value == until)
                    .values(value=now + seconds)
                )
                if swapped.rowcount != 1:  # another process took it between our read and write
                    return False
            _write(conn, self._name[PID], self._pid)
            _write(conn, self._name[HOST], self._host)
            _write(conn, self._name[TOKEN], self._token)
        return True

    def held(self, *, now: int) -> bool:
        """Whether a live process holds the lease (a cycle is really running now)."""
        with self._engine.connect() as conn:
            held = self._read(conn)
        until = held.get(UNTIL)
        return until is not None and until > now and self._held_by_live(held)

    def renew(self, *, now: int, seconds: int) -> bool:
        """Extend our lease; False when it is no longer ours."""
        with self._engine.begin() as conn:
            if not self._ours(self._read(conn)):
                return False
            _write(conn, self._name[UNTIL], now + seconds)
        return True

    def release(self) -> None:
        with self._engine.begin() as conn:
            if self._ours(self._read(conn)):
                _write(conn, self._name[UNTIL], 0)

    def _read(self, conn: Connection) -> dict[str, int]:
        """The lease's rows, keyed until / pid / host."""
        c = t.counters
        rows = conn.execute(select(c.c.name, c.c.value).where(c.c.name.in_(list(self._rows))))
        return {self._rows[name]: int(value) for name, value in rows}

    def _ours(self, held: dict[str, int]) -> bool:
        return (
            held.get(PID) == self._pid
            and held.get(HOST) == self._host
            and held.get(TOKEN) == self._token
        )

    def _held_by_live(self, held: dict[str, int]) -> bool:
        if held.get(HOST) != self._host:
            return True  # another machine: only the expiry tells
        pid = held.get(PID)
        return pid is not None and _alive(pid)


def _write(conn: Connection, name: str, value: int) -> None:
    c = t.counters
    done = conn.execute(update(c).where(c.c.name == name).values(value=value))
    if done.rowcount == 0:
        conn.execute(insert(c).values(name=name, value=value))
