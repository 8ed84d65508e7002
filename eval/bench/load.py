"""Load generator: N simulated users, each asking its questions one after another (no think time, so this
is the worst case), against a server on loopback. Bounded in requests and time; stops by itself."""
from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile (pct in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100.0 * len(ordered))))
    return ordered[rank - 1]


@dataclass
class LoadResult:
    users: int
    requests: int = 0
    errors: int = 0
    latencies_s: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    responses: list[Any] = field(default_factory=list)
    wall_s: float = 0.0
    timed_out: bool = False

    def summary(self) -> dict[str, Any]:
        p50, p95 = percentile(self.latencies_s, 50), percentile(self.latencies_s, 95)
        return {"users": self.users, "requests": self.requests, "errors": self.errors,
                "p50_ms": None if p50 is None else round(p50 * 1000, 1),
                "p95_ms": None if p95 is None else round(p95 * 1000, 1),
                "max_ms": round(max(self.latencies_s) * 1000, 1) if self.latencies_s else None,
                "throughput_rps": round(self.requests / self.wall_s, 1) if self.wall_s else None,
                "wall_s": round(self.wall_s, 2), "timed_out": self.timed_out,
                "error_samples": self.error_samples[:5]}


def ask_payload(question: str, user: int, i: int) -> tuple[str, dict[str, Any]]:
    return "/api/ask", {"question": question}


async def run_load(base_url: str, questions: list[str], users: int, per_user: int = 10,
                   request_timeout_s: float = 30.0, total_timeout_s: float = 300.0,
                   make_request: Callable[[str, int, int], tuple[str, dict[str, Any]]] = ask_payload,
                   keep_responses: bool = False, headers: dict[str, str] | None = None) -> LoadResult:
    """`users` concurrent clients x `per_user` POSTs each; a request is an error unless it returns 2xx JSON.

    `make_request(question, user, i) -> (path, json body)` chooses what each request sends (default:
    /api/ask). Users start at different questions so the server does not see one question 50 times at once.
    """
    result = LoadResult(users=users)
    limits = httpx.Limits(max_connections=users + 5, max_keepalive_connections=users + 5)
    started = time.perf_counter()

    async def one_user(client: httpx.AsyncClient, user: int) -> None:
        for i in range(per_user):
            question = questions[(user * per_user + i) % len(questions)]
            path, body = make_request(question, user, i)
            t0 = time.perf_counter()
            try:
                response = await client.post(path, json=body)
                elapsed = time.perf_counter() - t0
                ok = 200 <= response.status_code < 300
                data = response.json() if ok else None
            except (httpx.HTTPError, ValueError) as err:
                elapsed, ok, data = time.perf_counter() - t0, False, None
                response = None
                result.error_samples.append(f"{type(err).__name__}: {err}"[:200])
            result.requests += 1
            result.latencies_s.append(elapsed)
            if not ok:
                result.errors += 1
                if response is not None:
                    result.error_samples.append(f"HTTP {response.status_code}: {response.text[:200]}")
            elif keep_responses:
                result.responses.append((question, data))

    async with httpx.AsyncClient(base_url=base_url, timeout=request_timeout_s, limits=limits,
                                 trust_env=False, headers=headers) as client:
        tasks = [asyncio.create_task(one_user(client, u)) for u in range(users)]
        done, pending = await asyncio.wait(tasks, timeout=total_timeout_s)
        for task in pending:
            task.cancel()
        if pending:
            result.timed_out = True
            await asyncio.gather(*pending, return_exceptions=True)
    # Requests never sent or never finished before the time bound count as errors.
    result.errors += users * per_user - result.requests
    result.wall_s = time.perf_counter() - started
    return result


def run_load_sync(*args: Any, **kwargs: Any) -> LoadResult:
    """`run_load` from synchronous code (the bench command, tests)."""
    return asyncio.run(run_load(*args, **kwargs))
