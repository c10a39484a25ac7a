"""One log line when a step of the work starts and one when it ends, with counts and duration.

    with logged_step(log, "sync amazon-eu") as step:
        ...
        step.counts["requests"] = 86

logs "sync amazon-eu: started" and then "sync amazon-eu: 86 requests, 1.1 s" (or "FAILED after
1.1 s: why", and the error goes on), so planner.log tells the day's story step by step.
Use cases whose result says it all take the `logged(what, summary)` decorator instead.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def describe_counts(counts: Mapping[str, object]) -> str:
    """ "86 requests, 312 order lines": each count before its name, underscores as spaces."""
    return ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in counts.items())


@dataclass
class StepNote:
    """What the end line says: the counts, or a summary written by the caller."""

    counts: dict[str, object] = field(default_factory=dict)
    summary: str = ""

    def text(self) -> str:
        return ", ".join(part for part in (self.summary, describe_counts(self.counts)) if part)


@contextmanager
def logged_step(log: logging.Logger, what: str) -> Iterator[StepNote]:
    """Log the start and the end of `what`; the caller fills the yielded note."""
    note = StepNote()
    log.info("%s: started", what)
    started = time.perf_counter()
    try:
        yield note
    except BaseException as exc:
        # INFO: whoever called reports the error itself (CLI, Slack); the log keeps the story.
        log.info("%s: FAILED after %.1f s: %s", what, time.perf_counter() - started, exc)
        raise
    done = note.text()
    log.info("%s: %s%.1f s", what, f"{done}, " if done else "", time.perf_counter() - started)


def logged(what: str, summary: Callable[[R], str]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a use case so each call logs its start, and its end as `summary(result)`."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        log = logging.getLogger(function.__module__)

        @functools.wraps(function)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            with logged_step(log, what) as note:
                result = function(*args, **kwargs)
                note.summary = summary(result)
            return result

        return call

    return decorate
