"""The answer service, loaded lazily and retried: `serve` starts even when the store is missing or
unreachable, says so on the page and with 503 on the API, and recovers once `rapportbot ingest` has run
(or the Chroma server is back) without a restart."""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from ingest.errors import StoreError

log = logging.getLogger("rapportbot.web")


class ServiceHolder:
    def __init__(self, factory: Callable[[], Any], retry_after_s: float = 3.0) -> None:
        self._factory = factory
        self._service: Any = None
        self._error: StoreError | None = None
        self._failed_at = 0.0
        self._retry_after_s = retry_after_s
        self._lock = threading.Lock()

    def get(self) -> Any:
        """The service; raises StoreError (naming `rapportbot ingest`) while it cannot be loaded."""
        service = self._service
        if service is not None:
            return service
        with self._lock:
            if self._service is not None:
                return self._service
            if self._error is not None and time.monotonic() - self._failed_at < self._retry_after_s:
                raise self._error
            try:
                self._service = self._factory()
                self._error = None
            except StoreError as err:
                self._error, self._failed_at = err, time.monotonic()
                log.warning("store not available: %s", err)
                raise
            return self._service

    def peek(self) -> Any:
        """The service if loaded, else None (never loads)."""
        return self._service

    @property
    def error(self) -> StoreError | None:
        return self._error
