"""Logins that cannot stall the server: hash checks off the event loop, failed logins limited per client.

bcrypt is slow on purpose (~0.25 s of CPU per check). Run on the event loop, 16 wrong logins at once froze
every other request for seconds; in threads, they still compete for the cores. So: checks run in worker
threads, at most two at a time, and a client that failed RAPPORTBOT_LOGIN_ATTEMPTS times within
RAPPORTBOT_LOGIN_WINDOW seconds gets 429 with Retry-After before any hash is computed. Checks still running
count against the limit, so a burst of parallel guesses is cut off as early as a slow series.
"""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Callable

import anyio
import anyio.to_thread

# Two hash checks at once keep a logged-in user's next request answered on a 2-core machine.
_HASH_THREADS = 2


class LoginLimiter:
    """Per-client count of failed (and still running) logins within a sliding window."""

    def __init__(self, attempts: int, window_s: float) -> None:
        self.attempts, self.window_s = attempts, window_s
        self._failures: dict[str, deque[float]] = {}
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()
        self._hash_limiter: anyio.CapacityLimiter | None = None

    def begin(self, client: str) -> int | None:
        """Reserve a login attempt for `client`; None when it may go on, else seconds to wait (for 429)."""
        now = time.monotonic()
        with self._lock:
            failures = self._failures.setdefault(client, deque())
            while failures and failures[0] <= now - self.window_s:
                failures.popleft()
            if len(failures) + self._running.get(client, 0) >= self.attempts:
                oldest = failures[0] if failures else now
                return max(1, math.ceil(oldest + self.window_s - now))
            self._running[client] = self._running.get(client, 0) + 1
            if len(self._failures) > 10_000:  # forget idle clients so the table cannot grow without end
                for key in [k for k, v in self._failures.items() if not v and not self._running.get(k)][:5000]:
                    del self._failures[key]
            return None

    def end(self, client: str, ok: bool) -> None:
        """Finish the attempt `begin` reserved; a failure is counted, a success clears the client's failures."""
        with self._lock:
            self._running[client] = max(0, self._running.get(client, 1) - 1)
            if not self._running[client]:
                del self._running[client]
            if ok:
                self._failures.pop(client, None)
            else:
                self._failures.setdefault(client, deque()).append(time.monotonic())

    async def check(self, verify: Callable[[str, str], bool], user: str, password: str) -> bool:
        """`verify(user, password)` in a worker thread (two at a time), never on the event loop."""
        if self._hash_limiter is None:
            self._hash_limiter = anyio.CapacityLimiter(_HASH_THREADS)
        return await anyio.to_thread.run_sync(verify, user, password, limiter=self._hash_limiter)


def client_of(scope) -> str:
    """The client's address (uvicorn puts the proxy's X-Forwarded-For there when it trusts the proxy)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
