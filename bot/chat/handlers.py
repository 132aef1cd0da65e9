"""Thin Telegram handlers: find the question, ask the engine, send what render.py makes."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import random
import re
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import (
    Chat,
    ForceReply,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import ContextTypes, filters

from bot import i18n
from bot.chat import conversation, render
from bot.chat.conversation import ConversationStore, MemoryConversations
from bot.chat.dispatch import Dispatcher, Job
from bot.chat.holder import KnowledgeHolder
from bot.curation.report import CHART_DAYS, format_stats, render_chart
from bot.engine import languages
from bot.engine.answering import answer_entry, answer_question
from bot.engine.followup import Turn, next_turn
from bot.engine.model import Answer, Outcome, Suggestion
from bot.ops.metrics import Metrics
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.curation.store import QuestionLog
    from bot.curation.teach import Teacher

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_REMEMBERED_REPLIES = 500  # per chat: which bot message answered which question
MAX_REMEMBERED_ANSWERS = 2048
INLINE_RESULTS = 5
SEND_ATTEMPTS = 5
MAX_RETRY_WAIT = 60.0
MAX_BACKOFF = 8.0
_DEEP_LINK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class Services:
    """What handlers share, kept in ``application.bot_data['services']``."""

    settings: Settings
    holder: KnowledgeHolder
    metrics: Metrics = field(default_factory=Metrics)
    question_log: QuestionLog | None = None
    teacher: Teacher | None = None  # None without a question log: teachings live beside it
    replica: str = ""
    watching: bool = False
    webhook: bool = False
    popular: Counter[str] = field(default_factory=Counter)
    # The turns follow-up questions are read with (shared by replicas on PostgreSQL).
    conversations: ConversationStore = field(default_factory=MemoryConversations)
    # Every answer to a question goes out through it (fair, combined, within flood limits).
    dispatcher: Dispatcher | None = None
    # Readers ask the same popular questions over and over: their answers are kept, keyed by
    # the knowledge version so a reload never serves an old answer, and by the reader's app
    # language, which may decide the language of the answer.
    _answers: OrderedDict[tuple[str, dt.date, str, Turn | None, str | None], Answer] = field(
        default_factory=OrderedDict
    )

    def answer(self, question: str, context: Turn | None = None, hint: str | None = None) -> Answer:
        """The engine's answer to ``question`` on the live knowledge, read as a follow-up of
        ``context`` when it is one, in the question's language (``hint``, the reader's
        Telegram language_code, breaks ties); memoised: readers ask the same things alike."""
        snapshot = self.holder.snapshot
        today = self.settings.reader_today()  # answers are said as of the reader's day
        key = (snapshot.version, today, question, context, hint)
        known = self._answers.get(key)
        if known is not None:
            self._answers.move_to_end(key)
            return known
        answer = answer_question(
            snapshot, question, self.settings.bands, context=context, today=today, hint=hint
        )
        self._answers[key] = answer
        if len(self._answers) > MAX_REMEMBERED_ANSWERS:
            self._answers.popitem(last=False)
        return answer

    def answer_job(self, job: Job) -> Answer:
        """The answer a dispatched job asks for: a button's entry, or its question."""
        if job.entry_id is not None:
            return answer_entry(self.holder.snapshot, job.entry_id, language=job.language)
        return self.answer(job.question, job.turn_before, job.hint)

    def examples(self, count: int, language: str = i18n.DEFAULT) -> list[Suggestion]:
        """Example questions in ``language``: the most asked first."""
        return _examples(self, count, language)

    def knowledge_version(self) -> str:
        """The live knowledge's version."""
        return self.holder.snapshot.version

    def record(self, answer: Answer, chat_type: str) -> int | None:
        """Count and log the question (never raises); the reference 👍/👎 use for it."""
        self.metrics.questions.labels(outcome=answer.outcome.value).inc()
        if answer.answered and answer.entry:
            self.popular[answer.entry.id] += 1
        if self.question_log is None:
            return None
        return self.question_log.record(
            question=answer.question,
            chat_type=chat_type,
            outcome=answer.outcome.value,
            entry=answer.entry.id if answer.entry else None,
            confidence=answer.confidence,
            knowledge_version=self.holder.snapshot.version,
            context=answer.about,
        )

    @property
    def reader_seconds(self) -> float:
        """How long a private chat's last exchange is kept for follow-ups."""
        return self.settings.conversation_minutes * 60

    async def remember(
        self, chat: Chat, user: User | None, answer: Answer, reply_id: int | None = None
    ) -> None:
        """The reader's conversation goes on from ``answer``, and bot message ``reply_id``
        (once sent) answers it."""
        turn = next_turn(answer, self.holder.snapshot)
        await conversation.remember_reader(
            self.conversations, chat, user, turn, self.reader_seconds
        )
        if reply_id is not None:
            await conversation.remember_answer(self.conversations, chat, reply_id, turn)

    async def remember_dispatched(
        self, chat: Chat, user: User | None, answer: Answer, reply_id: int | None
    ) -> None:
        """A dispatched job's ``remember``: before its answer is sent (``reply_id`` None) the
        reader's conversation goes on from ``answer``; after, bot message ``reply_id`` answers
        it."""
        turn = next_turn(answer, self.holder.snapshot)
        if reply_id is None:
            await conversation.remember_reader(
                self.conversations, chat, user, turn, self.reader_seconds
            )
        else:
            await conversation.remember_answer(self.conversations, chat, reply_id, turn)

    def is_admin(self, update: Update) -> bool:
        """True only for configured admin user ids (checked on every call)."""
        user = update.effective_user
        return user is not None and user.id in self.settings.admins


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The shared services of the running application."""
    return context.bot_data["services"]


def hint(update: object) -> str | None:
    """The reader's Telegram app language ("ru-RU"), if Telegram says it."""
    user = update.effective_user if isinstance(update, Update) else None
    return user.language_code if user else None


def reader_language(update: object) -> str:
    """The language of replies that answer no question (commands, buttons, errors): the
    reader's app language when the bot speaks it, else English."""
    return i18n.pick(hint(update))


async def with_retries(call: Callable[[], Awaitable[T]]) -> T:
    """Run a Bot API call, retrying flood waits and network failures a few times.

    A timed-out send may in rare cases have been delivered anyway; one duplicate is judged
    better than a reader left without an answer.
    """
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return await call()
        except RetryAfter as exc:
            if attempt == SEND_ATTEMPTS:
                raise
            wait = exc.retry_after
            seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
            log.warning("Bot API asks to wait %.0fs; retry %d", seconds, attempt)
            await asyncio.sleep(min(seconds, MAX_RETRY_WAIT))
        except NetworkError as exc:
            if isinstance(exc, BadRequest | Forbidden) or attempt == SEND_ATTEMPTS:
                raise
            log.warning("Bot API call failed (%s); retry %d", type(exc).__name__, attempt)
            # Exponential backoff with jitter, so many handlers do not retry in lockstep.
            backoff = min(MAX_BACKOFF, 0.5 * 2 ** (attempt - 1))
            await asyncio.sleep(backoff * random.uniform(0.5, 1.0))  # noqa: S311 - not crypto
    raise AssertionError("unreachable")


# --- finding the question -------------------------------------------------------------------


class AddressedToBot(filters.MessageFilter):
    """Group messages meant for the bot: a mention of it, or a reply to one of its messages."""

    def filter(self, message: Message) -> bool:
        """True when the message mentions the bot or replies to it."""
        bot = message.get_bot()
        replied = message.reply_to_message
        if replied and replied.from_user and replied.from_user.id == bot.id:
            return True
        return _mentions_bot(message)


def _mentions_bot(message: Message) -> bool:
    bot = message.get_bot()
    handle = f"@{bot.username}".casefold()
    for entity, text in message.parse_entities(
        [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    ).items():
        if text.casefold() == handle or (entity.user and entity.user.id == bot.id):
            return True
    return False


@cache
def _addressing(username: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The /ask command (with or without @username) and a mention of the bot."""
    name = re.escape(username)
    return (
        re.compile(rf"^/ask(?:@{name})?(?:\s+|$)", re.IGNORECASE),
        re.compile(rf"@{name}\b", re.IGNORECASE),
    )


def question_text(message: Message) -> str | None:
    """The question a message asks the bot, without the /ask command or the @mention."""
    text = message.text or ""
    ask_command, mention = _addressing(message.get_bot().username)
    command = ask_command.match(text)
    if command:
        text = text[command.end() :]
    elif text.startswith("/"):
        return None
    return " ".join(mention.sub(" ", text).split()) or None


def _remember(context: ContextTypes.DEFAULT_TYPE, question_id: int, reply_id: int) -> None:
    if context.chat_data is None:
        return
    replies: OrderedDict[int, int] = context.chat_data.setdefault("replies", OrderedDict())
    replies[question_id] = reply_id
    while len(replies) > MAX_REMEMBERED_REPLIES:
        replies.popitem(last=False)


def _logged_reply(svc: Services, answer: Answer, chat_type: str, bot_username: str) -> render.Reply:
    """Log the answer and render it with its 👍/👎 row (and examples when nothing is close)."""
    ref = svc.record(answer, chat_type)
    wants_examples = answer.outcome in (Outcome.ABSTAINED, Outcome.GREETING, Outcome.HELP)
    examples = _examples(svc, 3, answer.language) if wants_examples else ()
    return render.answer_reply(
        answer, feedback_ref=ref, examples=examples, bot_username=bot_username
    )


def job_for(update: Update, question: str, **details: Any) -> Job:
    """The dispatcher's job for a question asked in ``update``'s chat."""
    message = update.effective_message
    chat = update.effective_chat
    user = update.effective_user
    sender = message.sender_chat if message and user is None else None  # a channel's post
    return Job(
        chat_id=chat.id,
        chat_type=chat.type,
        question=question,
        user_id=user.id if user else None,
        name=user.full_name if user else (sender.title or "" if sender else ""),
        message_id=message.message_id if message else None,
        thread_id=message.message_thread_id if message and message.is_topic_message else None,
        hint=hint(update),
        **details,
    )


async def send(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: render.Reply) -> None:
    """Hand a ready reply (greeting, help) to the dispatcher: flood rules apply to it too."""
    await services(context).dispatcher.submit(job_for(update, "", reply=reply))


async def respond(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
    """Hand ``question`` to the dispatcher, which answers it in reply to its message, read
    with the turn before when it follows one up."""
    svc = services(context)
    message = update.effective_message
    used = await conversation.context_for(svc.conversations, message)
    await conversation.remember_asked(svc.conversations, message, used)

    async def answered(reply_id: int | None, answer: Answer) -> None:
        # The reader's next question follows this one up; a reply to the answer does too.
        await svc.remember_dispatched(message.chat, message.from_user, answer, reply_id)
        if reply_id is not None:
            _remember(context, message.message_id, reply_id)

    await svc.dispatcher.submit(job_for(update, question, turn_before=used, remember=answered))


# --- commands ------------------------------------------------------------------------------


def _examples(svc: Services, count: int = 4, language: str = i18n.DEFAULT) -> list[Suggestion]:
    """Example questions in ``language`` (where the entry is translated): the most asked
    first."""
    snapshot = svc.holder.snapshot
    ids = [eid for eid, _ in svc.popular.most_common(count) if eid in snapshot.entries]
    ids += [eid for eid in snapshot.entries if eid not in ids][: count - len(ids)]
    return [Suggestion(eid, answer_entry(snapshot, eid, language=language).question) for eid in ids]


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet, or answer the entry named by a deep link (/start <entry-id>), in the reader's
    language."""
    svc = services(context)
    await conversation.forget_reader(svc.conversations, update.effective_message)
    snapshot = svc.holder.snapshot
    payload = context.args[0] if context.args else ""
    lang = reader_language(update)
    if payload and _DEEP_LINK.match(payload) and payload in snapshot.entries:
        reply = render.answer_reply(answer_entry(snapshot, payload, language=lang))
    else:
        reply = render.start_reply(snapshot, _examples(svc, language=lang), lang)
        if payload and payload != "help":
            gone = i18n.translator(lang).gettext("That link points to a question I no longer have.")
            reply = render.Reply(f"{gone}\n\n{reply.text}", reply.keyboard)
    await send(update, context, reply)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain how to ask in each kind of chat (and start the conversation afresh)."""
    await conversation.forget_reader(services(context).conversations, update.effective_message)
    lang = reader_language(update)
    example = _examples(services(context), 1, lang)
    await send(update, context, render.help_reply(context.bot.username, example, lang))


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the sources the knowledge comes from."""
    sources_known = services(context).holder.snapshot.sources.values()
    await send(update, context, render.sources_reply(sources_known, reader_language(update)))


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask <question>; a bare /ask asks for the question."""
    message = update.effective_message
    question = question_text(message)
    if question:
        await respond(update, context, question)
        return
    _ = i18n.translator(reader_language(update)).gettext
    await message.reply_html(
        _(
            "What would you like to know about the story? Reply to this message with your "
            "question, or send <code>/ask</code> followed by it."
        ),
        reply_markup=ForceReply(selective=True, input_field_placeholder=_("Your question")),
        do_quote=True,
    )


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a private chat, any text is a question."""
    question = question_text(update.effective_message)
    if question:
        await respond(update, context, question)


async def addressed_in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a group, answer a mention of the bot or a reply to it."""
    question = question_text(update.effective_message)
    if question:
        await respond(update, context, question)


async def channel_post(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a channel, answer posts that start with /ask or mention the bot."""
    message = update.effective_message
    text = message.text or ""
    if not (text.lower().startswith("/ask") or _mentions_bot(message)):
        return
    question = question_text(message)
    if question:
        await respond(update, context, question)


async def edited_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """When a question the bot answered is edited, edit the answer to match."""
    message = update.effective_message
    replies = (context.chat_data or {}).get("replies", {})
    reply_id = replies.get(message.message_id)
    question = question_text(message)
    if reply_id is None or not question:
        return
    svc = services(context)
    used = await conversation.asked_with(svc.conversations, message)
    answer = svc.answer(question, used, hint(update))
    reply = _logged_reply(svc, answer, message.chat.type, context.bot.username)
    try:
        await with_retries(
            lambda: context.bot.edit_message_text(
                reply.text,
                chat_id=message.chat_id,
                message_id=reply_id,
                reply_markup=reply.keyboard,
            )
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
    await svc.remember(message.chat, message.from_user, answer, reply_id)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Inline buttons: "did you mean" choices, related questions, 👍/👎."""
    query = update.callback_query
    parsed = render.parse_callback(query.data)
    svc = services(context)
    _ = i18n.translator(reader_language(update)).gettext
    if parsed is None:
        await query.answer(_("Sorry, that button is no longer valid."))
        return
    prefix, args = parsed
    if prefix == render.FEEDBACK:
        saved = svc.question_log is not None and await svc.question_log.feedback(
            int(args[0]), args[1] == "1"
        )
        await query.answer(_("Thanks for the feedback!") if saved else _("Thanks!"))
        return
    snapshot = svc.holder.snapshot
    if args[0] not in snapshot.entries:
        await query.answer(_("Sorry, that question is no longer available."))
        return
    # The answer is said in the language the button was offered in.
    language = args[1] if len(args) > 1 else i18n.DEFAULT
    await query.answer()
    if prefix == render.ANSWER_NEW and isinstance(query.message, Message):
        chat = query.message.chat

        async def chosen(reply_id: int | None, answer: Answer) -> None:
            # The chosen entry is what the reader's next question follows up.
            await svc.remember_dispatched(chat, query.from_user, answer, reply_id)

        question = snapshot.entries[args[0]].question
        job = job_for(update, question, entry_id=args[0], language=language, remember=chosen)
        await svc.dispatcher.submit(job)
        return
    answer = answer_entry(snapshot, args[0], language=language)
    chat_type = query.message.chat.type if query.message else ChatType.SENDER
    reply = _logged_reply(svc, answer, chat_type, context.bot.username)
    sent = await with_retries(
        lambda: query.edit_message_text(reply.text, reply_markup=reply.keyboard)
    )
    # The chosen entry is what the reader's next question follows up.
    if isinstance(sent, Message):
        await svc.remember(sent.chat, query.from_user, answer, sent.message_id)


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """@bot question: up to five answers as articles, in the question's language; an empty
    query shows popular topics in the reader's."""
    query = update.inline_query
    svc = services(context)
    snapshot = svc.holder.snapshot
    text = query.query.strip()
    if text:
        lang = languages.detect(text, hint(update))
        # Telegram may hand cached results to anyone who types the same query: only when the
        # reader's app language decided the language are they theirs alone.
        personal = lang != languages.detect(text)
        view = snapshot.in_language(lang) or snapshot
        matches = view.index.search(text, limit=INLINE_RESULTS)
        entry_ids = [
            m.entry.id
            for m in matches
            if m.confidence >= svc.settings.bands.suggest and m.entry.id in snapshot.entries
        ]
    else:
        lang, personal = reader_language(update), True
        entry_ids = [s.entry for s in _examples(svc, INLINE_RESULTS)]
    results = []
    for entry_id in entry_ids:
        answer = answer_entry(snapshot, entry_id, text or None, language=lang)
        reply = render.answer_reply(answer)
        results.append(
            InlineQueryResultArticle(
                id=entry_id,
                title=answer.entry.question,
                description=i18n.answer_text(answer)[:120],
                input_message_content=InputTextMessageContent(
                    reply.text,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                ),
                reply_markup=reply.keyboard,
            )
        )
    button_text = None
    if text and not results:
        button_text = i18n.translator(lang).gettext("The story doesn't say. Ask me in private")
    await query.answer(
        results,
        cache_time=60,
        is_personal=personal,
        button=InlineQueryResultsButton(button_text, start_parameter="help")
        if button_text
        else None,
    )


# --- admin ---------------------------------------------------------------------------------


async def refuse_non_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Refuse and log when the caller is not an admin; True when refused."""
    if services(context).is_admin(update):
        return False
    user = update.effective_user
    command = (update.effective_message.text or "").split(maxsplit=1)[0][:40]
    # A refused admin command is a security event: the caller's id is logged on purpose.
    log.warning("refused %s from non-admin user id %s", command, user.id if user else None)
    _ = i18n.translator(reader_language(update)).gettext
    await update.effective_message.reply_text(_("Sorry, only the bot's admins can do that."))
    return True


async def reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: re-read the knowledge; report counts and changes, or every problem."""
    if await refuse_non_admin(update, context):
        return
    svc = services(context)
    result = await svc.holder.reload()
    for reply in render.reload_replies(result, svc.replica, others_follow=svc.watching):
        await update.effective_message.reply_html(reply.text)


async def _admin_question_log(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> QuestionLog | None:
    """The question log for an admin's report; None (after telling why) otherwise."""
    if await refuse_non_admin(update, context):
        return None
    question_log = services(context).question_log
    if question_log is None:
        await update.effective_message.reply_text("The question log is not available.")
    return question_log


async def _send_plain_report(update: Update, text: str) -> None:
    for chunk in render.split_lines([render.e(line) for line in text.splitlines()]):
        await update.effective_message.reply_html(chunk)


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: questions per day, answer rates, top entries, and a 30-day chart."""
    question_log = await _admin_question_log(update, context)
    if question_log is None:
        return
    svc = services(context)
    summary = await asyncio.to_thread(question_log.stats, _days(context.args, default=30))
    taught = None
    if svc.teacher is not None:
        index = svc.holder.snapshot.index
        taught = await asyncio.to_thread(svc.teacher.store.taught_answers, summary.days, index)
    await _send_plain_report(update, format_stats(summary, taught=taught))
    chart = io.BytesIO()
    await asyncio.to_thread(render_chart, summary, chart)
    await update.effective_message.reply_photo(
        chart.getvalue(), caption=f"Questions per day, last {CHART_DAYS} days"
    )


def _days(args: list[str] | None, default: int) -> int:
    if args and args[0].isdigit() and 0 < int(args[0]) <= 3650:
        return int(args[0])
    return default


async def version(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the live knowledge version and when it was loaded."""
    holder = services(context).holder
    loaded = holder.loaded_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    reply = render.version_reply(holder.snapshot, loaded)
    await update.effective_message.reply_html(reply.text)


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error with the update that caused it; tell the asker when we can."""
    log.error("error while handling an update: %s", _describe(update), exc_info=context.error)
    if isinstance(update, Update) and update.effective_message and update.effective_chat:
        if update.effective_chat.type == ChatType.CHANNEL:
            return
        _ = i18n.translator(reader_language(update)).gettext
        try:
            await update.effective_message.reply_text(
                _("Sorry, something went wrong while answering. Please try again.")
            )
        except Exception:  # the error handler must never raise
            log.warning("could not tell the user about the error", exc_info=True)


def _describe(update: object) -> Any:
    if isinstance(update, Update):
        kind = next((k for k in Update.ALL_TYPES if getattr(update, k, None)), "unknown")
        return f"update {update.update_id} ({kind})"
    return repr(update)[:200]
