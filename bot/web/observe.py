"""Operators' view: one JSON log line per request and per answer, and Prometheus metrics at /metrics.

Question text goes into the log only with RAPPORTBOT_LOG_QUESTIONS=1: questions can be sensitive.
Metrics live in a registry per app, so several apps (tests) in one process do not collide.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone
from typing import Any, Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily

from bot.types import Answer

log = logging.getLogger("rapportbot.requests")

# Route labels are a fixed set, so odd URLs cannot blow up the metrics' cardinality.
_ROUTES = ("/api/ask", "/api/health", "/api/feedback", "/v1/chat/completions", "/v1/models", "/metrics",
           "/docs", "/openapi.json")


def route_label(path: str) -> str:
    if path in _ROUTES:
        return path
    if path.startswith("/embed"):
        return "embed"
    if path.startswith(("/api/", "/v1/")):
        return "api-other"
    return "page"


class QueryBatching:
    """The query batcher's counts at scrape time: embedded / calls is the mean batch under load."""

    def __init__(self, batcher_of: Callable[[], Any]) -> None:
        self._batcher_of = batcher_of

    def collect(self):
        batcher = self._batcher_of()
        calls = CounterMetricFamily("rapportbot_query_embed_calls", "e5 calls that embedded questions (one per batch)")
        texts = CounterMetricFamily("rapportbot_query_embeddings", "Questions embedded by those calls")
        calls.add_metric([], getattr(batcher, "calls", 0))
        texts.add_metric([], getattr(batcher, "embedded", 0))
        return [calls, texts]


class Metrics:
    def __init__(self, query_batcher: Callable[[], Any] = lambda: None) -> None:
        """`query_batcher()`: the loaded store's query batcher, or None (no store yet, no dense search)."""
        self.registry = CollectorRegistry()
        self.registry.register(QueryBatching(query_batcher))
        self.requests = Counter("rapportbot_http_requests", "HTTP requests by route and status class",
                                ["route", "status"], registry=self.registry)
        self.latency = Histogram("rapportbot_http_request_seconds", "HTTP request latency (whole response)",
                                 ["route"], registry=self.registry,
                                 buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.answers = Counter("rapportbot_answers", "Answers given, by channel and mode",
                               ["channel", "mode"], registry=self.registry)
        self.refusals = Counter("rapportbot_refusals", "Answers that said the report does not cover the question",
                                ["channel"], registry=self.registry)
        self.fallbacks = Counter("rapportbot_llm_fallbacks",
                                 "LLM configured but the extractive answer was given (timeout, error, bad output)",
                                 ["channel"], registry=self.registry)
        self.feedback = Counter("rapportbot_feedback", "Feedback rows stored", ["rating"], registry=self.registry)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def llm_configured(service: Any, fallback_settings: Any) -> bool:
    """Whether answers are meant to come from an LLM (the service's own settings win)."""
    settings = getattr(service, "settings", None) or fallback_settings
    return bool(settings.llm.enabled)


def answer_facts(answer: Answer, llm_enabled: bool) -> dict[str, Any]:
    return {"mode": answer.mode, "refused": answer.refused, "quotes": len(answer.citations),
            "language": answer.language, "fallback": bool(llm_enabled and answer.mode == "extractive"),
            "question": answer.question}


def count_answer(metrics: Metrics, channel: str, facts: dict[str, Any]) -> None:
    metrics.answers.labels(channel, facts["mode"]).inc()
    if facts["refused"]:
        metrics.refusals.labels(channel).inc()
    if facts["fallback"]:
        metrics.fallbacks.labels(channel).inc()


def log_line(record: dict[str, Any], log_questions: bool) -> None:
    record = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), **record}
    if not log_questions:
        record.pop("question", None)
    log.info(json.dumps(record, ensure_ascii=False))


class RequestObserver:
    """ASGI middleware: time each request to its last body byte, count it, log it with its answer facts."""

    def __init__(self, app, metrics: Metrics, log_questions: bool) -> None:
        self.app, self.metrics, self.log_questions = app, metrics, log_questions

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        state = scope.setdefault("rapportbot", {})
        status = {"code": 500}

        async def observed_send(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self._finish(scope, state, status["code"], started)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            if not state.get("_logged"):
                self._finish(scope, state, status["code"], started)

    def _finish(self, scope, state: dict[str, Any], status: int, started: float) -> None:
        if state.get("_logged"):
            return
        state["_logged"] = True
        elapsed = time.perf_counter() - started
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        route = route_label(path[len(root):] if root and path.startswith(root) else path)
        self.metrics.requests.labels(route, f"{status // 100}xx").inc()
        self.metrics.latency.labels(route).observe(elapsed)
        if route == "page" and status < 400:
            return  # page assets and Gradio's own polling: counted, not logged line by line
        record = {"route": route, "method": scope.get("method"), "status": status,
                  "latency_ms": round(elapsed * 1000, 1)}
        record.update({k: v for k, v in (state.get("answer") or {}).items()})
        if state.get("user"):
            record["user"] = state["user"]
        log_line(record, self.log_questions)


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr for `rapportbot.requests` (uvicorn's access log is switched off by `serve`)."""
    if log.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False
