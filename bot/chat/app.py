"""Composition root: build the Application, wire the handlers, set menus, run it."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Callable, Coroutine
from typing import Any

from prometheus_client import start_http_server
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import i18n
from bot.chat import handlers, teaching
from bot.chat.conversation import open_store
from bot.chat.dispatch import BudgetLimiter, Budgets, Dispatcher, Limits
from bot.chat.handlers import Services
from bot.chat.holder import KnowledgeHolder, ReloadResult
from bot.chat.request import AiohttpRequest, attach_clients, close_clients
from bot.curation.store import QuestionLog, StoreError
from bot.curation.teach import Teacher, TeachStore, follow_teachings
from bot.engine.loader import load
from bot.ops import health, webhook
from bot.ops.metrics import Metrics
from bot.ops.watch import watch_knowledge
from bot.settings import Settings

log = logging.getLogger(__name__)


def public_commands(lang: str = i18n.DEFAULT) -> list[BotCommand]:
    """The commands every chat's menu lists, described in ``lang``."""
    _ = i18n.translator(lang).gettext
    return [
        BotCommand("ask", _("Ask a question about the story")),
        BotCommand("help", _("How to ask")),
        BotCommand("sources", _("Where the answers come from")),
    ]


def private_commands(lang: str = i18n.DEFAULT) -> list[BotCommand]:
    """The menu of a private chat, described in ``lang``."""
    return [
        BotCommand("start", i18n.translator(lang).gettext("What I can answer")),
        *public_commands(lang),
    ]


PUBLIC_COMMANDS = public_commands()
PRIVATE_COMMANDS = private_commands()
ADMIN_COMMANDS = [  # admins' replies are English, and so is their menu
    *PRIVATE_COMMANDS,
    BotCommand("reload", "Reload the knowledge from disk"),
    BotCommand("version", "Live knowledge version"),
    BotCommand("unanswered", "Questions the bot could not answer"),
    BotCommand("stats", "Questions per day and answer rates"),
]
CONCURRENT_UPDATES = 16
# One connection per concurrent handler and a few for background calls: a larger pool only
# costs httpcore time scanning idle connections on every request.
POOL_SIZE = CONCURRENT_UPDATES + 8
# A short pause between getUpdates calls lets updates arrive in batches under load (one Bot
# API round trip per batch instead of per update) at the cost of at most 50 ms of latency.
POLL_INTERVAL = 0.05
POPULAR_DAYS = 30
PROBE_SECONDS = 30
# At shutdown, waiting answers get this long to go out (they are bounded: see Limits).
DRAIN_SECONDS = 20


def build_application(
    settings: Settings, services: Services, request: BaseRequest | None = None
) -> Application:
    """The configured Application with every handler registered.

    ``request`` replaces the HTTP client (offline handler tests pass a recording one).
    """
    base = settings.api_base_url.rstrip("/")
    clients = (
        AiohttpRequest(services.metrics, connection_pool_size=POOL_SIZE),
        AiohttpRequest(services.metrics),
    )
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .request(request or clients[0])
        .get_updates_request(request or clients[1])
        .base_url(base)
        .base_file_url(base.removesuffix("/bot") + "/file/bot")
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        # Handlers only read the shared snapshot, so updates can be answered concurrently.
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    budgets = None
    if settings.rate_limit:
        # The budget ledger waits before a chat send would exceed Telegram's limits; PTB's
        # AIORateLimiter behind it retries any 429 that happens anyway.
        budgets = Budgets(Limits(), services.metrics)
        builder = builder.rate_limiter(BudgetLimiter(budgets, max_retries=3))
    application = builder.build()
    services.dispatcher = Dispatcher(
        application.bot,
        services,
        services.metrics,
        budgets,
        send=handlers.with_retries,
        log_user_ids=settings.log_user_ids,
    )
    application.bot_data["services"] = services
    if request is None:
        attach_clients(application, *clients)
    _add_handlers(application)
    return application


def _add_handlers(application: Application) -> None:
    groups = filters.ChatType.GROUPS
    # Group 0 first: commands, buttons and inline queries. A message is handled by at most one
    # handler per group, so "/ask@Bot ..." is taken by the command and never again by the
    # mention handler below it. Channel posts never reach CommandHandler, hence their own
    # handler in group 1.
    application.add_handlers(
        [
            CommandHandler("start", handlers.start, filters.ChatType.PRIVATE),
            CommandHandler("help", handlers.help_command),
            CommandHandler("sources", handlers.sources),
            CommandHandler("ask", handlers.ask),
            CommandHandler("reload", handlers.reload),
            CommandHandler("version", handlers.version),
            CommandHandler("unanswered", teaching.unanswered),
            CommandHandler("stats", handlers.stats),
            CallbackQueryHandler(teaching.teach_button, pattern=teaching.is_teaching),
            CallbackQueryHandler(handlers.button),
            InlineQueryHandler(handlers.inline_query),
        ],
        group=0,
    )
    new_text = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    application.add_handlers(
        [
            MessageHandler(filters.ChatType.PRIVATE & new_text, handlers.private_text),
            MessageHandler(
                groups & new_text & handlers.AddressedToBot(), handlers.addressed_in_group
            ),
            MessageHandler(filters.UpdateType.CHANNEL_POST & filters.TEXT, handlers.channel_post),
            MessageHandler(filters.UpdateType.EDITED & filters.TEXT, handlers.edited_question),
        ],
        group=1,
    )
    application.add_error_handler(handlers.error_handler)


async def _post_init(application: Application) -> None:
    """The question log, command menus per scope, SIGHUP reloads, and a start-up line."""
    services: Services = application.bot_data["services"]
    bot = application.bot
    open_question_log(services)  # only now: initialize() has checked the token with getMe
    if services.teacher is not None and services.teacher.store.overlay().items:
        # Teachings that no longer fit the files (an entry they name was removed) must not keep
        # the bot down: the reload is refused, the bot answers from the files, and the problems
        # show on every /reload.
        result = await services.holder.reload()
        if not result.ok:
            log.warning("taught knowledge left out, it does not fit the files")
    try:
        await bot.set_my_commands(PRIVATE_COMMANDS, scope=BotCommandScopeAllPrivateChats())
        await bot.set_my_commands(PUBLIC_COMMANDS, scope=BotCommandScopeAllGroupChats())
        # Telegram shows a reader the menu of their app's language, else the one above.
        for lang in i18n.supported():
            if lang != i18n.DEFAULT:
                await bot.set_my_commands(
                    private_commands(lang),
                    scope=BotCommandScopeAllPrivateChats(),
                    language_code=lang,
                )
                await bot.set_my_commands(
                    public_commands(lang),
                    scope=BotCommandScopeAllGroupChats(),
                    language_code=lang,
                )
        for admin in sorted(services.settings.admins):
            # Scopes only hide commands; handlers still check the user id on every call.
            await bot.set_my_commands(ADMIN_COMMANDS, scope=BotCommandScopeChat(admin))
    except TelegramError as exc:  # an admin who never opened a chat with the bot, say
        log.warning("could not set every command menu: %s", exc)
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGHUP, _in_background, services.holder.reload)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread / Windows
        log.info("SIGHUP reload unavailable here")
    _in_background(_heartbeat, services)
    if services.webhook:
        _in_background(_probe_api, application)
    if services.teacher is not None:  # teachings made on other replicas
        _in_background(follow_teachings, services.holder, services.teacher.store)
    if services.settings.watch_knowledge:
        _in_background(watch_knowledge, services.holder, services.settings.watch_interval)
    snapshot = services.holder.snapshot
    log.info(
        "ready as @%s: knowledge %s (%d entries), %d admin(s)",
        bot.username,
        snapshot.version,
        len(snapshot.entries),
        len(services.settings.admins),
    )


_background: set[asyncio.Task] = set()


def _in_background(function: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> None:
    """Run a coroutine function as a task we keep a reference to (and cancel at shutdown)."""
    task = asyncio.get_running_loop().create_task(function(*args))
    _background.add(task)
    task.add_done_callback(_background.discard)


async def _heartbeat(services: Services) -> None:
    """Keep the heartbeat file fresh for `storybot health`."""
    while True:
        _, details = health.report(
            services.holder.snapshot,
            services.metrics.last_success,
            services.settings.health_max_age,
            services.replica,
        )
        try:
            await asyncio.to_thread(health.write_heartbeat, services.settings.health_file, details)
        except OSError as exc:
            log.warning("cannot write the heartbeat file: %s", exc)
        await asyncio.sleep(health.HEARTBEAT_SECONDS)


async def _probe_api(application: Application) -> None:
    """In webhook mode nothing polls: ask for the webhook's state now and then."""
    while True:
        try:
            info = await application.bot.get_webhook_info()
            if info.last_error_message:
                log.warning("Telegram reports a webhook error: %s", info.last_error_message)
        except TelegramError as exc:
            log.warning("Bot API probe failed: %s", exc)
        await asyncio.sleep(PROBE_SECONDS)


async def _post_stop(application: Application) -> None:
    """Send the answers still waiting, then stop the background tasks."""
    services: Services = application.bot_data["services"]
    if services.dispatcher is not None:
        await services.dispatcher.drain(DRAIN_SECONDS)
    for task in list(_background):
        task.cancel()
    await asyncio.gather(*_background, return_exceptions=True)


async def _post_shutdown(application: Application) -> None:
    """Flush the question log so no answered question goes unrecorded; remove the heartbeat,
    so `storybot health` says stopped at once."""
    services: Services = application.bot_data["services"]
    health.remove_heartbeat(services.settings.health_file)
    if services.question_log is not None:
        await services.question_log.close()
    await services.conversations.close()


def make_services(settings: Settings, *, webhook: bool = False) -> Services:
    """Load the knowledge (refusing broken knowledge) and gather what handlers share."""
    metrics = Metrics()

    def on_reload(result: ReloadResult) -> None:
        metrics.reloads.labels(result="ok" if result.ok else "refused").inc()
        metrics.knowledge_loaded(result.snapshot)

    if not settings.admins:
        log.warning("no STORYBOT_ADMINS set: /reload is disabled (SIGHUP still reloads)")
    holder = KnowledgeHolder(load(settings.knowledge_dir), on_reload=on_reload)
    i18n.preload()  # before the first update: no reader waits for a catalog
    metrics.knowledge_loaded(holder.snapshot)
    return Services(
        settings=settings,
        holder=holder,
        metrics=metrics,
        conversations=open_store(settings.database_url, settings.context_secret),
        replica=socket.gethostname(),
        watching=settings.watch_knowledge,
        webhook=webhook,
    )


def open_question_log(services: Services) -> None:
    """Open (on the first run, create) the question log; without one the bot still answers.

    Called once the Bot API has accepted the token, so a run that fails to start leaves no
    empty database behind.
    """
    settings = services.settings
    try:
        services.question_log = QuestionLog.open(settings.question_log_url, settings.retention_days)
        # Inline mode's empty query shows the most asked topics, also right after a restart.
        services.popular.update(dict(services.question_log.stats(POPULAR_DAYS).top_entries))
    except StoreError as exc:
        log.warning("question log unavailable, answering without it: %s", exc)
        return
    # Taught knowledge lives beside the log; from now on every reload merges it.
    teachings = TeachStore(services.question_log.backend)
    services.holder.attach_overlay(teachings.overlay)
    services.teacher = Teacher(teachings, services.holder, settings.bands)


def run_polling(settings: Settings) -> None:
    """Long polling until SIGINT/SIGTERM; offsets are confirmed on the way out."""
    services = make_services(settings)
    if settings.metrics_port:
        start_http_server(settings.metrics_port, registry=services.metrics.registry)
    application = build_application(settings, services)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        # getMe first, outside PTB's bootstrap loop: a rejected token or an unreachable Bot API
        # is raised to the caller, which reports it in one line; the loop would log its
        # traceback at ERROR first (run_polling skips an application already initialised).
        loop.run_until_complete(application.initialize())
        application.run_polling(
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
            poll_interval=POLL_INTERVAL,
            close_loop=False,
        )
    finally:
        loop.run_until_complete(close_clients(application))
        loop.close()


def run_webhook(settings: Settings) -> None:
    """The webhook server with /healthz and /metrics; refuses updates without the secret."""
    services = make_services(settings, webhook=True)
    asyncio.run(webhook.serve(build_application(settings, services), services))
