"""The Bot API HTTP client: python-telegram-bot's request interface on aiohttp, instrumented.

PTB's default client (httpx) spends more CPU per call than everything else storybot does for an
answer: under load, an aiohttp session and JSON bodies take the bot from 1.95 to 0.8 ms of CPU
per answer (benchmarks/README.md). Outcomes are counted for /healthz and /metrics; URLs are
never logged or put into errors, since they hold the bot token.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.ops.metrics import Metrics

Timeout = float | None
_CLIENTS = "http_clients"  # bot_data key


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` on one aiohttp session, sending JSON bodies (multipart for files).

    Timeouts map onto aiohttp's: ``pool_timeout`` bounds the wait for a pooled connection,
    ``connect_timeout`` the TCP connect, ``read_timeout`` each read. aiohttp has no write
    timeout, so the whole call is also capped at the sum of all four.
    """

    def __init__(
        self,
        metrics: Metrics,
        *,
        connection_pool_size: int = 1,
        read_timeout: Timeout = 5.0,
        write_timeout: Timeout = 5.0,
        connect_timeout: Timeout = 5.0,
        pool_timeout: Timeout = 1.0,
        media_write_timeout: Timeout = 20.0,
    ) -> None:
        self._metrics = metrics
        self._pool_size = connection_pool_size
        self._defaults = {
            "read": read_timeout,
            "write": write_timeout,
            "connect": connect_timeout,
            "pool": pool_timeout,
        }
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> Timeout:
        """The default read timeout in seconds."""
        return self._defaults["read"]

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown); it needs the running event loop."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                # HTTPS_PROXY and friends are honoured, as PTB's default client does.
                trust_env=True,
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Perform the call; TimedOut or NetworkError (without the URL) when it fails."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized")
        files = request_data is not None and request_data.contains_files
        read, write, connect, pool = (
            self._timeout(value, name, files)
            for value, name in (
                (read_timeout, "read"),
                (write_timeout, "write"),
                (connect_timeout, "connect"),
                (pool_timeout, "pool"),
            )
        )
        limits = (read, write, connect, pool)
        timeout = aiohttp.ClientTimeout(
            total=None if None in limits else sum(limits),  # type: ignore[arg-type]
            connect=pool,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, timeout=timeout, **_body(request_data)
            ) as response:
                code, payload = response.status, await response.read()
        except Exception as exc:
            self._metrics.api_errors.labels(kind=type(exc).__name__).inc()
            if isinstance(exc, asyncio.TimeoutError):
                raise TimedOut from exc
            if isinstance(exc, aiohttp.ClientError):
                detail = str(exc).replace(url.rsplit("/", 1)[0], "<Bot API URL>")
                raise NetworkError(f"aiohttp.{type(exc).__name__}: {detail}") from exc
            raise
        if 200 <= code < 300:
            self._metrics.api_success()
        else:
            self._metrics.api_errors.labels(kind=f"http_{code}").inc()
        return code, payload

    def _timeout(self, value: Any, name: str, files: bool) -> Timeout:
        """The timeout a call asked for, else this client's default (longer for uploads)."""
        if value is not BaseRequest.DEFAULT_NONE:
            return value
        if name == "write" and files:
            return self._media_write_timeout
        return self._defaults[name]


def _body(request_data: RequestData | None) -> dict[str, Any]:
    """aiohttp keyword arguments for the parameters: JSON, or multipart when files go along."""
    if request_data is None:
        return {}
    if not request_data.contains_files:
        # The Bot API takes JSON bodies; encoding nested values once here is cheaper than
        # PTB's default of JSON inside a URL-encoded form.
        return {
            "data": json.dumps(request_data.parameters).encode(),
            "headers": {"Content-Type": "application/json"},
        }
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return {"data": form}


def attach_clients(application: Application, *clients: AiohttpRequest) -> None:
    """Note the Bot API clients an application uses, for ``close_clients``."""
    application.bot_data[_CLIENTS] = clients


async def close_clients(application: Application) -> None:
    """Close the application's Bot API clients (again). PTB closes them only after a successful
    start: a rejected token or an unreachable Bot API would leave their connections open."""
    for client in application.bot_data.get(_CLIENTS, ()):
        await client.shutdown()
