"""The cheapest useful PTB bot, as a throughput yardstick for bench_load.py.

    TELEGRAM_BOT_TOKEN=... STORYBOT_API_BASE_URL=http://127.0.0.1:PORT/bot \
        python benchmarks/echo_bot.py [--aiohttp] [--rich]

It replies to every text message with its text, with storybot's set-up where it matters for
throughput (base URL, concurrent updates, connection pool, polling interval, no rate limiter)
and PTB's own HTTP client (httpx). With `--aiohttp` it uses storybot's Bot API client instead.
With `--rich` it replies with one fixed storybot answer (HTML, quotes, citations, buttons): a
reply of storybot's size without any of storybot's work.
"""

from __future__ import annotations

import os
import sys

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters
from telegram.request import HTTPXRequest

from bot.chat.app import CONCURRENT_UPDATES, POLL_INTERVAL, POOL_SIZE
from bot.chat.render import Reply, answer_reply
from bot.chat.request import AiohttpRequest
from bot.engine.answering import answer_entry
from bot.engine.loader import load
from bot.ops.metrics import Metrics
from bot.settings import bundled_knowledge

RICH_ENTRY = "train-speed"


def rich_reply() -> Reply:
    """The fixed answer the rich echo sends: a typical storybot reply, feedback row included."""
    return answer_reply(answer_entry(load(bundled_knowledge()), RICH_ENTRY), feedback_ref=1)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the message's own text."""
    message = update.effective_message
    await message.reply_text(message.text, do_quote=True)


def build(token: str, base_url: str, *, rich: bool = False, aiohttp: bool = False) -> Application:
    """The echo Application against ``base_url`` (a Bot API server, ending in /bot)."""
    builder = ApplicationBuilder().token(token).base_url(base_url.rstrip("/"))
    if aiohttp:
        builder = builder.request(
            AiohttpRequest(Metrics(), connection_pool_size=POOL_SIZE)
        ).get_updates_request(AiohttpRequest(Metrics()))
    else:
        builder = builder.request(HTTPXRequest(connection_pool_size=POOL_SIZE))
    application = builder.concurrent_updates(CONCURRENT_UPDATES).build()
    if rich:
        reply = rich_reply()

        async def rich_echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            """Reply with the fixed storybot answer."""
            await update.effective_message.reply_html(
                reply.text, reply_markup=reply.keyboard, do_quote=True
            )

        application.add_handler(MessageHandler(filters.TEXT, rich_echo))
    else:
        application.add_handler(MessageHandler(filters.TEXT, echo))
    return application


def main() -> None:
    """Poll until SIGINT/SIGTERM."""
    application = build(
        os.environ["TELEGRAM_BOT_TOKEN"],
        os.environ["STORYBOT_API_BASE_URL"],
        rich="--rich" in sys.argv,
        aiohttp="--aiohttp" in sys.argv,
    )
    application.run_polling(
        allowed_updates=Update.ALL_TYPES, drop_pending_updates=False, poll_interval=POLL_INTERVAL
    )


if __name__ == "__main__":
    main()
