"""The Bot API HTTP client, instrumented: success times and errors by kind for health/metrics."""

from __future__ import annotations

from typing import Any

from telegram.request import HTTPXRequest, RequestData

from bot.ops.metrics import Metrics


class InstrumentedRequest(HTTPXRequest):
    """PTB's httpx client that reports each call's outcome (never its URL: it holds the token)."""

    def __init__(self, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._metrics = metrics

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        **timeouts: Any,
    ) -> tuple[int, bytes]:
        """Perform the call and count its outcome."""
        try:
            code, payload = await super().do_request(url, method, request_data, **timeouts)
        except Exception as exc:
            self._metrics.api_errors.labels(kind=type(exc).__name__).inc()
            raise
        if 200 <= code < 300:
            self._metrics.api_success()
        else:
            self._metrics.api_errors.labels(kind=f"http_{code}").inc()
        return code, payload
