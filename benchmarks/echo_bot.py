"""The cheapest useful PTB bot, as a throughput yardstick for bench_load.py.

    TELEGRAM_BOT_TOKEN=... STORYBOT_API_BASE_URL=http://127.0.0.1:PORT/bot \
        python benchmarks/echo_bot.py

Same client set-up as storybot where it matters for throughput (base URL, 64 concurrent
updates, a 256-connection pool, no rate limiter): it replies to every text message with its text.
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters
from telegram.request import HTTPXRequest


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the message's own text."""
    message = update.effective_message
    await message.reply_text(message.text, do_quote=True)


def build(token: str, base_url: str) -> Application:
    """The echo Application against ``base_url`` (a Bot API server, ending in /bot)."""
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url.rstrip("/"))
        .request(HTTPXRequest(connection_pool_size=256))
        .concurrent_updates(64)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    return application


def main() -> None:
    """Poll until SIGINT/SIGTERM."""
    application = build(os.environ["TELEGRAM_BOT_TOKEN"], os.environ["STORYBOT_API_BASE_URL"])
    application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)


if __name__ == "__main__":
    main()
