"""Telegram rendering: answers as HTML with citations, inline keyboards, length limits.

Everything that came from a user or from the knowledge is escaped here and nowhere else, and no
message leaves this module longer than Telegram accepts (quotes are trimmed, never the answer).
Every text a reader sees is said in a language (``lang``, a code of `bot.i18n`): an answer in
its own (``Answer.language``), anything else in the reader's. Admins' replies stay English.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from babel import Locale
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot import i18n
from bot.chat.holder import ReloadResult
from bot.curation.grouping import UnansweredGroup
from bot.engine.model import (
    Answer,
    Citation,
    Outcome,
    Problem,
    Snapshot,
    Source,
    Suggestion,
    by_source,
)

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH
MAX_CALLBACK_BYTES = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
MAX_ECHO = 200  # how much of a user's question we quote back
MAX_BUTTON_TEXT = 60

# Callback data: a short prefix and an argument, always under Telegram's 64 bytes.
ANSWER_IN_PLACE = "a"  # "did you mean" choice: the message becomes the answer
ANSWER_NEW = "r"  # related question: answered in a new message
FEEDBACK = "f"  # 👍/👎 on a logged question: f:<question reference>:<1|0>
# Admins teach from /unanswered: t:<group>:<a>:<entry> adds to an entry, t:<group>:<m>[:<page>]
# lists more entries, t:<group>:<n> marks it not in the story, t:<group>:<i> ignores it; u:<ids>
# undoes teachings (ids joined by '-').
TEACH = "t"
UNDO = "u"
TEACH_ADD, TEACH_MORE, TEACH_DECLINE, TEACH_IGNORE = "a", "m", "n", "i"

_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTML message text and its inline keyboard."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


def e(text: str) -> str:
    """HTML-escape text for Telegram (quotes too, so it is safe inside attributes)."""
    return html.escape(text, quote=True)


def visible_length(html_text: str) -> int:
    """Length as Telegram counts it: tags removed, entities decoded, in UTF-16 code units."""
    plain = html.unescape(_TAG.sub("", html_text))
    return len(plain.encode("utf-16-le")) // 2


def callback(prefix: str, *args: str | int) -> str:
    """Callback data for a button; ValueError if it would exceed Telegram's 64 bytes."""
    data = ":".join([prefix, *map(str, args)])
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data longer than {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def parse_callback(data: str | None) -> tuple[str, list[str]] | None:
    """(prefix, args) of callback data we made, or None for anything else (forged, stale)."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    prefix, *args = data.split(":")
    # the entry, and the language its answer is wanted in (English when none is named)
    named = len(args) == 1 or (len(args) == 2 and args[1] in i18n.supported())
    if prefix in (ANSWER_IN_PLACE, ANSWER_NEW) and named and args[0]:
        return prefix, args
    if prefix == FEEDBACK and len(args) == 2 and _is_number(args[0]) and args[1] in ("0", "1"):
        return prefix, args
    teach_args = (
        (len(args) == 3 and args[1] == TEACH_ADD and bool(args[2]))
        or (len(args) == 3 and args[1] == TEACH_MORE and _is_number(args[2]))
        or (len(args) == 2 and args[1] in (TEACH_MORE, TEACH_DECLINE, TEACH_IGNORE))
    )
    if prefix == TEACH and teach_args and _is_number(args[0]):
        return prefix, args
    if prefix == UNDO and len(args) == 1 and all(_is_number(i) for i in args[0].split("-")):
        return prefix, args
    return None


def _is_number(text: str) -> bool:
    # isascii: "²".isdigit() holds, yet int("²") fails.
    return text.isascii() and text.isdigit()


def _button_text(text: str) -> str:
    return text if len(text) <= MAX_BUTTON_TEXT else text[: MAX_BUTTON_TEXT - 1] + "…"


def entry_callback(prefix: str, entry_id: str, lang: str = i18n.DEFAULT) -> str:
    """A button that answers an entry, in the language the button was offered in (English
    buttons name none, as before languages)."""
    return callback(prefix, entry_id) if lang == i18n.DEFAULT else callback(prefix, entry_id, lang)


def _buttons(
    suggestions: Iterable[Suggestion], prefix: str, lang: str = i18n.DEFAULT
) -> list[list[InlineKeyboardButton]]:
    return [
        [
            InlineKeyboardButton(
                _button_text(s.question), callback_data=entry_callback(prefix, s.entry, lang)
            )
        ]
        for s in suggestions
    ]


def _date(iso: str, lang: str) -> str:
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return iso
    return i18n.local_date(day, lang)


def citation_line(citation: Citation, lang: str = i18n.DEFAULT) -> str:
    """ "Source: <a href=URL>Title</a>, Publisher, date" (no link without a URL)."""
    _ = i18n.translator(lang).gettext
    title = e(citation.title)
    if citation.url:
        title = f'<a href="{e(citation.url)}">{title}</a>'
    return _("Source: {title}, {publisher}, {date}").format(
        title=title, publisher=e(citation.publisher), date=e(_date(citation.date, lang))
    )


def original_label(citation: Citation, lang: str) -> str:
    """ "Original quote (English):" before quotes in another language than the answer's;
    nothing when they are in the same language."""
    if citation.language == lang:
        return ""
    _ = i18n.translator(lang).gettext
    # Babel names the source's language in the reader's ("английский", "英语", "영어").
    name = Locale.parse(i18n.locale_name(lang)).languages.get(citation.language)
    label = _("Original quote ({language}):").format(language=name or citation.language)
    return f"<i>{e(label)}</i>\n"


def _quote_block(quote: str) -> str:
    return f"<blockquote>{e(quote)}</blockquote>"


def _fit(head: str, citations: Sequence[Citation], lang: str = i18n.DEFAULT) -> str:
    """Head, then the quotes of each source followed by its source line (once per source);
    quotes are trimmed, longest first, until the message fits."""
    sources = [
        (
            original_label(citations[group[0]], lang),
            citation_line(citations[group[0]], lang),
            group,
        )
        for group in by_source(citations)
    ]
    quotes = [c.quote for c in citations]
    while True:
        blocks = [
            label + "".join(_quote_block(quotes[i]) for i in indexes) + line
            for label, line, indexes in sources
        ]
        text = "\n\n".join([head, *blocks]) if head else "\n\n".join(blocks)
        excess = visible_length(text) - MAX_TEXT
        if excess <= 0:
            return text
        longest = max(range(len(quotes)), key=lambda i: len(quotes[i]), default=None)
        if longest is None or len(quotes[longest]) <= 1:
            # Only the answer is left and it is too long: the loader makes this impossible,
            # so cut hard rather than fail to reply.
            return text[: MAX_TEXT - 1] + "…"
        keep = max(0, len(quotes[longest]) - excess - 1)
        quotes[longest] = quotes[longest][:keep].rstrip() + "…"


def _clip(text: str) -> str:
    """The reader's words as a reply quotes them back: at most MAX_ECHO characters."""
    return text[:MAX_ECHO] + ("…" if len(text) > MAX_ECHO else "")


def unsaid(answer: Answer, question: str = "") -> str:
    """Why nothing is answered, in the answer's language: the engine's reason, or that the
    story doesn't say (why); ``question`` (HTML, escaped) is echoed after it when given."""
    _ = i18n.translator(answer.language).gettext
    if answer.reason:
        reason = e(i18n.say(answer.reason, answer.language))
        return f"{reason} (<i>{question}</i>)" if question else reason
    if question:
        if answer.reason_missing:
            return _("The story doesn't say why (<i>{question}</i>).").format(question=question)
        return _("The story doesn't say that (<i>{question}</i>).").format(question=question)
    return (
        _("The story doesn't say why.")
        if answer.reason_missing
        else _("The story doesn't say that.")
    )


def answer_reply(
    answer: Answer,
    *,
    feedback_ref: int | None = None,
    examples: Sequence[Suggestion] = (),
    bot_username: str = "",
) -> Reply:
    """The reply to one message in any band, or to a hello, thanks or a request for help or
    the sources, in the answer's language; ``examples`` (in that language too) are offered to
    a hello and when nothing in the story comes close to the question (help shows the first as
    its example)."""
    lang = answer.language
    _ = i18n.translator(lang).gettext
    if answer.outcome is Outcome.HELP:
        return help_reply(bot_username, examples, lang)
    if answer.outcome is Outcome.SOURCES:
        return sources_reply(answer.sources, lang)
    if answer.outcome is Outcome.THANKS:
        return Reply(_("You're welcome! Ask me anything else about the story."))
    # A follow-up shows what it was read with, so the reader can see it and correct it.
    about = ""
    if answer.about:
        about = "<i>{}</i>\n".format(_("about: {question}").format(question=e(_clip(answer.about))))
    if answer.outcome is Outcome.ANSWERED and answer.entry is not None:
        text = _fit(about + e(i18n.answer_text(answer)), answer.all_citations, lang)
        rows = _buttons(answer.related[:3], ANSWER_NEW, lang)
        if feedback_ref is not None:
            rows.append(
                [
                    InlineKeyboardButton("👍", callback_data=callback(FEEDBACK, feedback_ref, 1)),
                    InlineKeyboardButton("👎", callback_data=callback(FEEDBACK, feedback_ref, 0)),
                ]
            )
        return Reply(text, InlineKeyboardMarkup(rows) if rows else None)
    asked = e(_clip(answer.question))
    if answer.outcome is Outcome.SUGGESTED:
        text = about + _(
            "I'm not sure what you mean by <i>{question}</i>. Did you mean one of these?"
        ).format(question=asked)
        return Reply(
            text, InlineKeyboardMarkup(_buttons(answer.suggestions, ANSWER_IN_PLACE, lang))
        )
    if answer.outcome is Outcome.GREETING:
        text = _("Hello! I answer questions about one news story, with its sources.")
        if examples:
            text += " " + _("For example:")
            return Reply(text, InlineKeyboardMarkup(_buttons(examples, ANSWER_IN_PLACE, lang)))
        return Reply(text + " " + _("Try /help."))
    text = about + unsaid(answer, asked)
    if answer.suggestions:
        text += "\n" + _("Here is what it does cover that comes closest:")
        return Reply(
            text, InlineKeyboardMarkup(_buttons(answer.suggestions, ANSWER_IN_PLACE, lang))
        )
    if examples:
        text += "\n" + _("Here are some things it does answer:")
        return Reply(text, InlineKeyboardMarkup(_buttons(examples, ANSWER_IN_PLACE, lang)))
    return Reply(text + "\n" + _("Try /help to see what I can answer."))


@dataclass(frozen=True, slots=True)
class Asker:
    """Who asked: a combined answer names them with a mention that needs no username."""

    user_id: int | None
    name: str


@dataclass(frozen=True, slots=True)
class Part:
    """One question of a combined answer, the askers who asked it, and its 👍/👎 reference."""

    askers: tuple[Asker, ...]
    answer: Answer
    feedback_ref: int | None = None


MAX_NAME = 64  # of an asker's name in a mention
COMBINED_QUOTE = 300  # a combined answer quotes each source at most this long


def mention(asker: Asker, lang: str = i18n.DEFAULT) -> str:
    """The asker's name, linked to them by id (works without a username; escaped)."""
    name = asker.name.strip() or i18n.translator(lang).gettext("Someone")
    if len(name) > MAX_NAME:
        name = name[: MAX_NAME - 1] + "…"
    if asker.user_id is None:
        return f"<b>{e(name)}</b>"
    return f'<a href="tg://user?id={asker.user_id}">{e(name)}</a>'


def _names(askers: Sequence[Asker], lang: str) -> str:
    names = [mention(a, lang) for a in askers]
    if len(names) == 1:
        return names[0]
    _ = i18n.translator(lang).gettext
    return _("{names} and {last}").format(names=", ".join(names[:-1]), last=names[-1])


def _part_text(number: int, part: Part) -> str:
    answer = part.answer
    lang = answer.language
    _ = i18n.translator(lang).gettext
    asked = answer.question[:MAX_ECHO] + ("…" if len(answer.question) > MAX_ECHO else "")
    head = f"<b>{number}.</b> " + _("{names} asked <i>{question}</i>").format(
        names=_names(part.askers, lang), question=e(asked)
    )
    if answer.outcome is Outcome.ANSWERED and answer.entry is not None:
        blocks = [e(i18n.answer_text(answer))]
        for indexes in by_source(answer.all_citations):
            first = answer.all_citations[indexes[0]]
            quotes = "".join(_quote_block(_trimmed(answer.all_citations[i].quote)) for i in indexes)
            blocks.append(original_label(first, lang) + quotes + citation_line(first, lang))
        return head + "\n" + "\n".join(blocks)
    if answer.outcome is Outcome.SUGGESTED:
        return head + "\n" + _("I'm not sure what that means. Did you mean one of these (buttons)?")
    if answer.outcome is Outcome.GREETING:
        return head + "\n" + _("Hello! I answer questions about one news story, with its sources.")
    if answer.outcome is Outcome.THANKS:
        return head + "\n" + _("You're welcome!")
    if answer.outcome in (Outcome.HELP, Outcome.SOURCES):
        return head + "\n" + _("Ask me about the story; /help and /sources tell more.")
    return head + "\n" + unsaid(answer)


def _trimmed(quote: str) -> str:
    return quote if len(quote) <= COMBINED_QUOTE else quote[: COMBINED_QUOTE - 1].rstrip() + "…"


def combined_reply(parts: Sequence[Part]) -> Reply:
    """One message answering several askers: a numbered part per question, naming who asked
    it; "did you mean" choices are answered in a new message and 👍/👎 name their part."""
    rows: list[list[InlineKeyboardButton]] = []
    for number, part in enumerate(parts, 1):
        lang = part.answer.language
        for s in part.answer.suggestions[:3]:
            label = _button_text(f"{number}. {s.question}")
            data = entry_callback(ANSWER_NEW, s.entry, lang)
            rows.append([InlineKeyboardButton(label, callback_data=data)])
        if part.feedback_ref is not None and part.answer.answered:
            rows.append(
                [
                    InlineKeyboardButton(
                        f"👍 {number}", callback_data=callback(FEEDBACK, part.feedback_ref, 1)
                    ),
                    InlineKeyboardButton(
                        f"👎 {number}", callback_data=callback(FEEDBACK, part.feedback_ref, 0)
                    ),
                ]
            )
    text = "\n\n".join(_part_text(number, part) for number, part in enumerate(parts, 1))
    return Reply(text, InlineKeyboardMarkup(rows) if rows else None)


def flood_notice(asker: Asker | None, lang: str = i18n.DEFAULT) -> Reply:
    """Said once to a reader who asks faster than the bot may answer."""
    _ = i18n.translator(lang).gettext
    if asker is None:
        return Reply(
            _(
                "You're asking faster than I'm allowed to answer here. I'll answer your latest "
                "question; the ones before it I'll skip. Thanks for your patience!"
            )
        )
    return Reply(
        _(
            "{name}, you're asking faster than I'm allowed to answer here. I'll answer your "
            "latest question; the ones before it I'll skip. Thanks for your patience!"
        ).format(name=mention(asker, lang))
    )


def start_reply(
    snapshot: Snapshot, examples: Sequence[Suggestion], lang: str = i18n.DEFAULT
) -> Reply:
    """The greeting: what the bot knows about, with example questions as buttons."""
    _ = i18n.translator(lang).gettext
    sources = ", ".join(
        f"<i>{e(s.title)}</i> ({e(s.publisher)})" for s in snapshot.sources.values()
    )
    text = _(
        "Hi! I answer questions about one news story, and I show where each answer comes from."
        "\n\nI know: {sources}.\n\nAsk me anything about it, or try one of these:"
    ).format(sources=sources)
    return Reply(text, InlineKeyboardMarkup(_buttons(examples, ANSWER_NEW, lang)))


def help_reply(
    bot_username: str, examples: Sequence[Suggestion] = (), lang: str = i18n.DEFAULT
) -> Reply:
    """How to ask, in each kind of chat; the example (in ``lang``) is a question the knowledge
    answers."""
    _ = i18n.translator(lang).gettext
    if examples:
        first = _("Ask me about the story in your own words, e.g. <i>{example}</i>").format(
            example=e(examples[0].question)
        )
    else:
        first = _("Ask me about the story in your own words.")
    how = _(
        "• In this chat: just write your question.\n"
        "• In groups: <code>/ask your question</code>, mention @{name}, or reply to me.\n"
        "• Anywhere: type <code>@{name} your question</code> and pick an answer.\n\n"
        "Every answer quotes its source. When the story doesn't say, I tell you so.\n"
        "/sources lists what I know."
    ).format(name=e(bot_username))
    return Reply(f"{first}\n\n{how}")


def sources_reply(sources: Iterable[Source], lang: str = i18n.DEFAULT) -> Reply:
    """The list of sources with links."""
    lines = [i18n.translator(lang).gettext("The story I know about comes from:")]
    for source in sources:
        title = e(source.title)
        if source.url:
            title = f'<a href="{e(source.url)}">{title}</a>'
        lines.append(f"• {title}, {e(source.publisher)}, {e(_date(source.date, lang))}")
    return Reply("\n".join(lines))


def version_reply(snapshot: Snapshot, loaded_at: str) -> Reply:
    """The live knowledge version and when it was loaded."""
    return Reply(
        f"Knowledge version <code>{e(snapshot.version)}</code>, loaded {e(loaded_at)} in "
        f"{snapshot.load_seconds * 1000:.0f} ms: {len(snapshot.entries)} entries, "
        f"{len(snapshot.facts)} facts."
    )


def _ids(label: str, ids: Sequence[str], limit: int = 20) -> str:
    shown = ", ".join(e(i) for i in ids[:limit])
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return f"{label} ({len(ids)}): {shown}{more}"


def reload_replies(
    result: ReloadResult, replica: str = "", *, others_follow: bool = False
) -> list[Reply]:
    """The admin's report of a reload: counts and changes, or every problem (split to fit)."""
    where = f" on {e(replica)}" if replica else ""
    follow = (
        "Other replicas follow on their own: they watch the knowledge files."
        if others_follow
        else ""
    )
    if not result.ok:
        header = (
            f"Reload refused{where}: {len(result.problems)} problem(s). "
            f"Still serving version <code>{e(result.snapshot.version)}</code>."
        )
        return [Reply(text) for text in split_lines([header, *map(_problem, result.problems)])]
    snapshot, changes = result.snapshot, result.changes
    lines = [
        f"Reloaded{where} in {result.seconds * 1000:.0f} ms: version "
        f"<code>{e(snapshot.version)}</code>.",
        f"{len(snapshot.sources)} sources, {len(snapshot.facts)} facts, "
        f"{len(snapshot.entries)} entries, {snapshot.phrasing_count} phrasings.",
    ]
    if not changes:
        lines.append("No entries changed.")
    for label, ids in (
        ("Added", changes.added),
        ("Removed", changes.removed),
        ("Changed", changes.changed),
    ):
        if ids:
            lines.append(_ids(label, ids))
    if follow:
        lines.append(follow)
    return [Reply(text) for text in split_lines(lines)]


def _problem(problem: Problem) -> str:
    where = f"{problem.file}:{problem.line}" if problem.line else problem.file
    return f"• <code>{e(where)}</code> {e(problem.message)}"


def split_lines(lines: Sequence[str], limit: int = MAX_TEXT) -> list[str]:
    """Join lines into as few messages as fit, never splitting a line (long lines are cut)."""
    messages: list[str] = []
    current = ""
    for line in lines:
        if visible_length(line) > limit:
            line = e(html.unescape(_TAG.sub("", line))[: limit - 1]) + "…"
        candidate = f"{current}\n{line}" if current else line
        if current and visible_length(candidate) > limit:
            messages.append(current)
            candidate = line
        current = candidate
    if current:
        messages.append(current)
    return messages


def teach_group_reply(
    number: int, group: UnansweredGroup, group_id: int, closest: Sequence[Suggestion]
) -> Reply:
    """One /unanswered group with its teaching buttons: add to one of the closest entries,
    pick another, not in the story, ignore."""
    details = [f"{outcome} {count}" for outcome, count in group.outcomes.items()]
    if group.unhelpful:
        details.append(f"👎 {group.unhelpful}")
    lines = [f"<b>{number}.</b> {group.count}× <i>{e(group.question[:MAX_ECHO])}</i>"]
    lines.append(" · ".join(details))
    others = [q for q in group.examples if q != group.question][:3]
    if others:
        lines.append("also: " + " | ".join(f"<i>{e(q[:80])}</i>" for q in others))
    rows = [
        [
            InlineKeyboardButton(
                _button_text(f"Add to: {s.question}"),
                callback_data=callback(TEACH, group_id, TEACH_ADD, s.entry),
            )
        ]
        for s in closest[:3]
    ]
    rows.append(
        [InlineKeyboardButton("Other entry…", callback_data=callback(TEACH, group_id, TEACH_MORE))]
    )
    rows.append(
        [
            InlineKeyboardButton(
                "Not in the story", callback_data=callback(TEACH, group_id, TEACH_DECLINE)
            ),
            InlineKeyboardButton("Ignore", callback_data=callback(TEACH, group_id, TEACH_IGNORE)),
        ]
    )
    return Reply("\n".join(lines), InlineKeyboardMarkup(rows))


def teach_entries_reply(
    question: str, group_id: int, entries: Sequence[Suggestion], next_page: int | None = None
) -> Reply:
    """More entries to add a group's question to, and a button to the next page of them."""
    text = f"Add <i>{e(question[:MAX_ECHO])}</i> to which entry?"
    rows = [
        [
            InlineKeyboardButton(
                _button_text(s.question),
                callback_data=callback(TEACH, group_id, TEACH_ADD, s.entry),
            )
        ]
        for s in entries
    ]
    if next_page is not None:
        data = callback(TEACH, group_id, TEACH_MORE, next_page)
        rows.append([InlineKeyboardButton("More entries…", callback_data=data)])
    return Reply(text, InlineKeyboardMarkup(rows))


def teach_result_reply(ok: bool, message: str, undo_ids: Sequence[int] = ()) -> Reply:
    """What a teaching did (with an Undo button) or why it was refused."""
    text = ("✅ " if ok else "⚠️ ") + e(message)
    if ok and undo_ids:
        data = callback(UNDO, "-".join(map(str, undo_ids)))
        return Reply(
            text, InlineKeyboardMarkup([[InlineKeyboardButton("Undo", callback_data=data)]])
        )
    return Reply(text)
