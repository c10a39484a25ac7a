"""Claims that make a double-clicked button act once (per process; the store backs it up)."""

from __future__ import annotations

import threading
import time

KEEP_SECONDS = 24 * 3600.0


class Claims:
    """`claim(key)` is True for the first caller only, until `release(key)`."""

    def __init__(self) -> None:
        self._held: dict[str, float] = {}
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._held) > 10_000:
                self._held = {k: t for k, t in self._held.items() if now - t < KEEP_SECONDS}
            if key in self._held:
                return False
            self._held[key] = now
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._held.pop(key, None)
