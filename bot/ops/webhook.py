"""Webhook mode: one tornado server for Telegram's updates, /healthz and /metrics.

PTB's own `run_webhook` serves only the update path; this follows PTB's customwebhookbot
example and feeds `application.update_queue` itself, with the same secret-token check.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from typing import Any

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.ext import Application

from bot.chat.handlers import Services
from bot.chat.request import close_clients
from bot.ops.health import report

log = logging.getLogger(__name__)

MAX_UPDATE_BYTES = 1024 * 1024


class UpdateHandler(tornado.web.RequestHandler):
    """POST <path>: one update from Telegram, accepted only with the secret token."""

    def initialize(self, bot_application: Application, secret: str) -> None:
        """Bind the bot's application and the expected secret."""
        self.bot_application = bot_application
        self.secret = secret

    async def post(self) -> None:
        """Check the secret, parse the update and queue it."""
        given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook request refused: missing or wrong secret token")
            raise tornado.web.HTTPError(403)
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.bot_application.bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("webhook request with a malformed update: %s", exc)
            raise tornado.web.HTTPError(400) from None
        await self.bot_application.update_queue.put(update)
        self.set_status(200)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Expected refusals are logged above, without tornado's traceback."""
        if not isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)


class HealthHandler(tornado.web.RequestHandler):
    """GET /healthz: 200 with details when healthy, 503 otherwise."""

    def initialize(self, services: Services) -> None:
        """Bind the services to report on."""
        self.services = services

    def get(self) -> None:
        """The health report as JSON."""
        svc = self.services
        healthy, details = report(
            svc.holder.snapshot, svc.metrics.last_success, svc.settings.health_max_age,
            svc.replica,
        )  # fmt: skip
        self.set_status(200 if healthy else 503)
        self.write(details)


class MetricsHandler(tornado.web.RequestHandler):
    """GET /metrics: Prometheus text format."""

    def initialize(self, services: Services) -> None:
        """Bind the services whose metrics to expose."""
        self.services = services

    def get(self) -> None:
        """The metrics exposition."""
        self.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.write(self.services.metrics.exposition())


def make_app(application: Application, services: Services) -> tornado.web.Application:
    """The tornado app with the webhook, health and metrics routes."""
    settings = services.settings
    return tornado.web.Application(
        [
            (
                rf"/{settings.webhook_path}/?",
                UpdateHandler,
                {"bot_application": application, "secret": settings.webhook_secret},
            ),
            (r"/healthz", HealthHandler, {"services": services}),
            (r"/metrics", MetricsHandler, {"services": services}),
        ]
    )


async def serve(application: Application, services: Services) -> None:
    """Register the webhook, serve until SIGINT/SIGTERM, then shut down gracefully."""
    settings = services.settings
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = tornado.httpserver.HTTPServer(
        make_app(application, services), max_body_size=MAX_UPDATE_BYTES
    )
    try:
        await application.initialize()
    except BaseException:
        await close_clients(application)
        raise
    if application.post_init:
        await application.post_init(application)
    try:
        server.listen(settings.webhook_port, settings.webhook_listen)
        await application.bot.set_webhook(
            url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
        await application.start()
        log.info(
            "webhook server on %s:%d/%s", settings.webhook_listen, settings.webhook_port,
            settings.webhook_path,
        )  # fmt: skip
        await stop.wait()
        log.info("stopping: finishing in-flight updates")
    finally:
        server.stop()
        if application.running:
            await application.stop()
        if application.post_stop:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
