"""Composition root: build the Application, wire the handlers, set menus, run it."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket

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
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.chat import handlers
from bot.chat.handlers import Services
from bot.chat.holder import KnowledgeHolder
from bot.engine.loader import load
from bot.settings import Settings

log = logging.getLogger(__name__)

PUBLIC_COMMANDS = [
    BotCommand("ask", "Ask a question about the story"),
    BotCommand("help", "How to ask"),
    BotCommand("sources", "Where the answers come from"),
]
PRIVATE_COMMANDS = [BotCommand("start", "What I can answer"), *PUBLIC_COMMANDS]
ADMIN_COMMANDS = [
    *PRIVATE_COMMANDS,
    BotCommand("reload", "Reload the knowledge from disk"),
    BotCommand("version", "Live knowledge version"),
]


def build_application(settings: Settings, services: Services) -> Application:
    """The configured Application with every handler registered."""
    base = settings.api_base_url.rstrip("/")
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(base)
        .base_file_url(base.removesuffix("/bot") + "/file/bot")
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        # Handlers only read the shared snapshot, so updates can be answered concurrently.
        .concurrent_updates(64)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if settings.rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    application = builder.build()
    application.bot_data["services"] = services
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
    """Command menus per scope, SIGHUP reloads, and a start-up line in the log."""
    services: Services = application.bot_data["services"]
    bot = application.bot
    try:
        await bot.set_my_commands(PRIVATE_COMMANDS, scope=BotCommandScopeAllPrivateChats())
        await bot.set_my_commands(PUBLIC_COMMANDS, scope=BotCommandScopeAllGroupChats())
        for admin in sorted(services.settings.admins):
            # Scopes only hide commands; handlers still check the user id on every call.
            await bot.set_my_commands(ADMIN_COMMANDS, scope=BotCommandScopeChat(admin))
    except TelegramError as exc:  # an admin who never opened a chat with the bot, say
        log.warning("could not set every command menu: %s", exc)
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGHUP, _reload_on_signal, services.holder)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread / Windows
        log.info("SIGHUP reload unavailable here")
    snapshot = services.holder.snapshot
    log.info(
        "ready as @%s: knowledge %s (%d entries), %d admin(s)",
        bot.username,
        snapshot.version,
        len(snapshot.entries),
        len(services.settings.admins),
    )


def _reload_on_signal(holder: KnowledgeHolder) -> None:
    task = asyncio.get_running_loop().create_task(holder.reload())
    _background.add(task)
    task.add_done_callback(_background.discard)


_background: set[asyncio.Task] = set()


async def _post_shutdown(application: Application) -> None:
    """Flush the question log so no answered question goes unrecorded."""
    services: Services = application.bot_data["services"]
    if services.question_log is not None:
        await services.question_log.close()


def make_services(settings: Settings) -> Services:
    """Load the knowledge (refusing broken knowledge) and gather what handlers share."""
    holder = KnowledgeHolder(load(settings.knowledge_dir))
    if not settings.admins:
        log.warning("no STORYBOT_ADMINS set: /reload is disabled (SIGHUP still reloads)")
    return Services(settings=settings, holder=holder, replica=socket.gethostname())


def run_polling(settings: Settings) -> None:
    """Long polling until SIGINT/SIGTERM; offsets are confirmed on the way out."""
    application = build_application(settings, make_services(settings))
    application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)


def run_webhook(settings: Settings) -> None:
    """PTB's webhook server; updates without the secret token are refused."""
    application = build_application(settings, make_services(settings))
    application.run_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=settings.webhook_path,
        webhook_url=settings.webhook_url,
        secret_token=settings.webhook_secret,
        allowed_updates=Update.ALL_TYPES,
    )
