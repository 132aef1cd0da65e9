"""Webhook mode: one tornado server for Telegram's updates, /healthz, /status and /metrics.

PTB's own `run_webhook` serves only the update path; this follows PTB's customwebhookbot
example and feeds `application.update_queue` itself, with the same secret-token check.
/healthz may be public (it says healthy or not, nothing more); /status and /metrics are for
the private network (the deploy files' proxies route neither).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import re
import secrets
import signal
from pathlib import Path
from typing import Any

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.ext import Application
from tornado.log import access_log

from bot.chat.handlers import Services
from bot.chat.request import close_clients
from bot.ops.health import report
from bot.settings import SettingsError

log = logging.getLogger(__name__)

MAX_UPDATE_BYTES = 1024 * 1024
SECRET_FILE = "webhook-secret"  # noqa: S105 - a file name, not a secret
# What Telegram accepts as a secret_token.
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def generated_secret(data_dir: Path) -> tuple[str, Path]:
    """The webhook secret kept in ``data_dir`` (created on first use, mode 0600), and its file.

    Never printed: Telegram gets it from setWebhook, and only replicas sharing one URL need
    to share it (they set STORYBOT_WEBHOOK_SECRET instead).
    """
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{SECRET_FILE}.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(draft, path)  # atomic, and never replaces one another process made first
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    if path.stat().st_mode & 0o077:
        raise SettingsError(f"{path} holds the webhook secret: make it private (chmod 600)")
    secret = path.read_text(encoding="utf-8").strip()
    check_secret(secret, str(path))
    return secret, path


def check_secret(secret: str, where: str) -> None:
    """SettingsError unless Telegram would accept ``secret`` (never echoing it)."""
    if not _SECRET.match(secret):
        raise SettingsError(
            f"the webhook secret in {where} must be 1 to 256 letters, digits, '_' or '-'"
        )


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
    """GET /healthz: 200 when healthy, 503 otherwise; the body says only which."""

    def initialize(self, services: Services, details: bool = False) -> None:
        """Bind the services to report on; ``details``: the whole report (GET /status)."""
        self.services = services
        self.details = details

    def get(self) -> None:
        """The health report as JSON."""
        svc = self.services
        healthy, details = report(
            svc.holder.snapshot, svc.metrics.last_success, svc.settings.health_max_age,
            svc.replica,
        )  # fmt: skip
        self.set_status(200 if healthy else 503)
        self.write(details if self.details else {"status": details["status"]})


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
            (r"/status", HealthHandler, {"services": services, "details": True}),
            (r"/metrics", MetricsHandler, {"services": services}),
        ],
        log_function=log_request,
    )


PROBES = frozenset({"/healthz", "/status", "/metrics"})


def log_request(handler: tornado.web.RequestHandler) -> None:
    """Tornado's access log, with successful probes and scrapes (Kubernetes and uptime checks,
    Prometheus: every few seconds) at DEBUG instead of INFO."""
    status = handler.get_status()
    if handler.request.path in PROBES:
        level = logging.DEBUG if status < 400 else logging.WARNING
    else:
        level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    request = handler.request
    access_log.log(
        level, "%d %s %s (%s) %.2fms", status, request.method, request.uri, request.remote_ip,
        1000 * request.request_time(),
    )  # fmt: skip


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
