"""The languages readers are answered in: gettext catalogs, the reader's language, local dates.

Every string a reader sees is an English message id translated through the catalog of the
reader's language, ``bot/locale/<code>/LC_MESSAGES/storybot.po``. The ``.po`` files are read at
run time with Babel (compiled in memory on first use, once per language), so an editable
install, a wheel and a container all work without a build step; the catalogs ship as package
data. Extraction: see README ("Translations").
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from functools import cache
from importlib import resources

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.engine.model import Answer
from bot.engine.phrases import DateStyle, Day, Phrase, english_date

DOMAIN = "storybot"
DEFAULT = "en"
# English is the message ids themselves; the others have a catalog each.
LANGUAGES = ("en", "ru", "zh", "ko")
# Babel's locale for each language (Chinese is Simplified).
_LOCALES = {"en": "en_GB", "ru": "ru", "zh": "zh_Hans", "ko": "ko"}
# Babel's date formats for each style (English keeps the knowledge's own "2 Sep 2025").
_FORMATS = {DateStyle.SHORT: "medium", DateStyle.LONG: "long", DateStyle.WEEKDAY: "full"}


def supported() -> tuple[str, ...]:
    """The language codes the bot speaks, English first."""
    return LANGUAGES


def pick(language_code: str | None) -> str:
    """The language to speak to a reader whose Telegram app uses ``language_code`` (an IETF
    tag: "ru", "ru-RU", "zh-hans", "pt-br"); English when the bot does not speak it."""
    if not language_code:
        return DEFAULT
    primary = language_code.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else DEFAULT


@cache
def translator(code: str) -> gettext.NullTranslations:
    """The translations of one language (English and unknown codes: the message ids)."""
    if code == DEFAULT or code not in LANGUAGES:
        return gettext.NullTranslations()
    po = resources.files("bot") / "locale" / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as file:
        catalog = read_po(file, locale=_LOCALES[code], domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out: they say English instead
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def locale_name(code: str) -> str:
    """Babel's locale identifier for a language code ("zh" -> "zh_Hans")."""
    return _LOCALES.get(code, _LOCALES[DEFAULT])


def local_date(date: dt.date, code: str, style: DateStyle = DateStyle.LONG) -> str:
    """``date`` as readers of ``code`` write it: "3 September 2025", "3 сентября 2025 г.",
    "2025年9月3日", "2025년 9월 3일"."""
    if code not in LANGUAGES or code == DEFAULT:
        return english_date(Day(date, style))
    return format_date(date, _FORMATS[style], locale=_LOCALES[code])


def preload() -> None:
    """Read every catalog and each language's CLDR data now (tens of milliseconds, about
    5 MB for all four: notes/l10n.md), so no reader's first reply in a language waits."""
    day = dt.date(2000, 1, 1)
    for code in LANGUAGES:
        translator(code)
        for style in DateStyle:
            local_date(day, code, style)


def say(text: str, code: str) -> str:
    """What the engine said (a `Phrase` is translated, dates written per language); any other
    text is knowledge and is said as it is."""
    if not isinstance(text, Phrase):
        return text
    translations = translator(code)
    return text.say(
        translations.gettext,
        translations.ngettext,
        lambda day: local_date(day.date, code, day.style),
    )


def answer_text(answer: Answer) -> str:
    """The text of an answer (every part) in its language, the engine's notes said in it."""
    return "\n".join(
        say(part.said or part.entry.answer, answer.language) for part in answer.parts if part.entry
    )
