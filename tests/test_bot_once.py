"""A double-clicked button acts once across processes: each claim is the one Lease (bot.once).

Two Claims on one database stand for two processes (a second replica of the bot, or `planner
chat` beside `planner serve`): before, each process kept its own claims and both would act.
"""

from __future__ import annotations

import subprocess
import sys
import time
from functools import partial

from sqlalchemy import Engine, select

from bot.once import Claims
from planner.store import tables as t
from planner.store.lease import SqlLease


def test_a_claim_holds_in_another_process_until_it_is_released(engine: Engine) -> None:
    serve, chat = Claims(partial(SqlLease, engine)), Claims(partial(SqlLease, engine))
    assert serve.claim("approve:abc")
    assert not chat.claim("approve:abc")  # the same press, handled elsewhere: ignored
    assert not serve.claim("approve:abc")  # and twice in the same process too
    assert chat.claim("push:PO-1001")  # another key is its own claim
    chat.release("approve:abc")  # not its claim: nothing happens
    assert not serve.claim("approve:abc")
    serve.release("approve:abc")  # nothing was done: the person may press again
    assert chat.claim("approve:abc")
    chat.release("approve:abc")
    chat.release("push:PO-1001")
    with engine.connect() as conn:  # a released claim leaves no rows behind
        assert not conn.execute(select(t.counters.c.name).where(
            t.counters.c.name.like("once:%"))).all()  # fmt: skip


def test_a_claim_of_a_process_that_is_gone_is_free_at_once(engine: Engine) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = Claims(partial(SqlLease, engine, pid=int(gone.stdout)))
    assert dead.claim("transfer:7:IP-MAIN>FBA-FR")  # held for a day by a process now gone
    assert Claims(partial(SqlLease, engine)).claim("transfer:7:IP-MAIN>FBA-FR")


def test_a_long_key_gets_a_lease_of_its_own(engine: Engine) -> None:
    claims, now = Claims(partial(SqlLease, engine)), time.time()
    long = "approve:" + "n" * 60
    assert claims.claim(long) and claims.claim(long + "2")
    assert not Claims(partial(SqlLease, engine), clock=lambda: now + 60).claim(long)
