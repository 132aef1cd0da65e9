"""Russian: Snowball stems (inflection: поезд, поезда, поездом), question focus (когда ->
``@when``), stopwords, typo correction against the knowledge's words, chat cues."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from importlib.resources import files

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.engine.languages.common import Chat, Focus, clauses, fold, parts

# the interface's asked_for, shared: nothing to keep (see common.asked_for)
from bot.engine.languages.common import asked_for as asked_for
from bot.engine.languages.common import measure_units as measure_units
from bot.engine.languages.common import states_amount as _states_amount
from bot.engine.text import EMPTY_SYNONYMS, Synonyms, Vocabulary, alias_lengths

CODE = "ru"

_FOCUS = Focus.of(
    (
        (
            r"\b(?:сколько|скока|скоко) (?:по )?(?:времени|дней|часов|суток|минут)\b"
            r"|\bкак долго\b|\bдлительност\w*|\bза сколько\b",
            "@duration",
        ),
        (r"\b(?:сколько|скока|скоко) лет\b|\bвозраст\w*|\bкакого возраста\b", "@age"),
        (
            r"\bсколько вес\w*|\bвес(?:ит|ил|ила|ят|а)?\b|\bкакого размера\b"
            r"|\bнасколько (?:больш|тяжел)\w*",
            "@size",
        ),
        (r"\bкакой длины\b|\bдлин(?:а|ой|у)\b", "@length"),
        (r"\bкак далеко\b|\bрасстояни\w*", "@distance"),
        (
            r"\bкогда\b|\bв како[йем] (?:день|дату|время|году|месяце|числе)\b|\bкакого числа\b"
            r"|\bво сколько\b|\bв котором часу\b"
            r"|\bкакой (?:день|год)\b|\bкакая дата\b|\bдат[аеуы]\b|\bв какой день\b",
            "@when",
        ),
        (r"\bсколько\b|\bскока\b|\bскоко\b|\bкакое количество\b|\bчисло\b", "@count"),
        (r"\bкак (?:называ\w+|зовут|назван\w*|назвали)\b|\bназвани\w*|\bимя\b", "@name"),
        (r"\bгде\b|\bкуда\b|\bоткуда\b|\bв каком (?:городе|месте)\b|\bв какой стране\b", "@where"),
        (r"\bкто\b|\bкого\b|\bкому\b|\bкем\b|\bчей\b|\bчья\b|\bчьи\b|\bчье\b", "@who"),
        (
            r"\bпочему\b|\bзачем\b|\bдля чего\b|\bпо какой причине\b|\bс какой целью\b"
            r"|\bпричин\w*|\bнафига\b|\bнафиг\b|\bчего ради\b|\bради чего\b|\bс чего бы\b",
            "@why",
        ),
        (
            r"\bкак\b(?! (?:быстро|скоро|долго|далеко|часто|рано|поздно)\b)|\bкаким образом\b"
            r"|\bна ч[её]м\b|\bкаким (?:транспортом|способом)\b",
            "@how",
        ),
    )
)

STOPWORDS: frozenset[str] = frozenset(
    """
    и в во не что он она оно они на я с со как а то все всё так его ее её но да ты к у же вы
    за бы по только мне было вот от меня еще ещё нет о об из ему теперь даже ну ли если уже
    или ни быть был была были будет будут него до вас нибудь уж вам ведь там потом себя ничего
    ей может могут они тут есть надо ней для мы тебя их чем сам чтоб без будто чего раз тоже
    себе под ж тогда этот того потому этого какой какая какое какие каким какую совсем ним
    здесь этом один почти мой тем чтобы нее сейчас при наконец хоть после над больше тот
    через эти нас про всего них нем нём ней нею ними нему него ею им ими ему вами тобой
    много разве свою этой перед иногда лучше чуть том нельзя
    такой им более всегда конечно всю между это эта эту этих этим пожалуйста скажите
    подскажите расскажите скажи подскажи расскажи объясните объясни знаете знаешь интересно
    вообще просто вот именно ли статье статья статьи статью новости новость говорится
    сказано пишут пишется написано является являлся являются был было ли то бы де мол
    хочу хотел хотела узнать знать вопрос кстати слушай слушайте привет бот обычно теперь
    вроде типа короче реально вообще-то собственно ведь разве неужели всё-таки правда
    интересует интересно мол значит ладно окей че чё чо шо
    """.split()
)
PREMISE_WORDS = frozenset(
    """
    понедельник вторник среда среду четверг пятница пятницу суббота субботу воскресенье
    январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь
    января февраля марта апреля мая июня июля августа сентября октября ноября декабря
    вчера сегодня завтра выходные
    """.split()
)

_stemmer = snowballstemmer.stemmer("russian")
_WORD = re.compile(r"[\w@]+")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball stem of one folded word; focus tokens and numbers pass unchanged."""
    if word.startswith("@") or word.isdigit():
        return word
    stemmed = _stemmer.stemWord(word)
    # Snowball leaves verb forms apart (встреча/встречу, пересечется/пересечься): one more
    # ending off, on both sides alike, when five letters or more remain.
    for ending in _VERB_TAILS:
        if stemmed.endswith(ending) and len(stemmed) - len(ending) >= MIN_STEM:
            return stemmed[: -len(ending)]
    return stemmed


_VERB_TAILS = ("ет", "ит", "ут", "ют", "ат", "ят", "а", "я", "е", "и", "у", "ю", "о")
MIN_STEM = 5


PREMISE_STEMS: frozenset[str] = frozenset(stem(w) for w in PREMISE_WORDS)
_STOP_STEMS = STOPWORDS | frozenset(stem(w) for w in STOPWORDS)
# After the story ("как прошёл парад?", "чем всё закончилось?", "он вернулся?"): how something
# went, unless the story reports it done, and what can only have come later.
OUTCOME = re.compile(
    r"\bкак\s+(?:вс[её]\s+)?прош(?:ёл|ел|ла|ло|ли)\b"
    r"|\bчто\s+(?:было|произошло|случилось)\s+(?:на|во\s+время|в\s+ходе)\b",
    re.IGNORECASE,
)
STRICTLY_AFTER = re.compile(
    r"\bчем\s+(?:вс[её]\s+)?(?:за)?кончил\w*|\bв\s+итоге\b|\bв\s+конце\s+концов\b"
    r"|\bчто\s+было\s+(?:потом|дальше|после)\b|\bвернул(?:ся|ась|ись)\b|\bверн[её]тся\b"
    r"|\bпосле\s+(?:парада|поездки|визита|встречи|саммита|церемонии|торжеств)\w*"
    r"|\bуже\s+(?:прош(?:ёл|ел|ла|ло)|закончил\w*)",
    re.IGNORECASE,
)


def _fold(text: str) -> str:
    return fold(text).replace("ё", "е")


def surface_words(text: str) -> list[str]:
    """Folded words as written (ё as е), before focus and stemming."""
    return _WORD.findall(_fold(text))


def analyse_surface(
    surface: list[str],
    synonyms: Synonyms = EMPTY_SYNONYMS,
    vocabulary: Vocabulary | None = None,
) -> list[str]:
    """Content stems of words split by `surface_words`: focus tokens, typos corrected,
    stopwords dropped, synonyms applied."""
    # Spoken spellings, then slips, so a misspelt question word still asks ("кагда" is
    # "когда"); "када" is one slip from "куда" too, but readers write it for "когда".
    surface = [SPOKEN.get(w, w) for w in surface]
    if vocabulary is not None:
        surface = [vocabulary.correct(w) for w in surface]
    words = _FOCUS.mark(" ".join(surface)).split()
    stems = synonyms.apply([stem(w) for w in words if w not in STOPWORDS])
    return [s for s in stems if s not in _STOP_STEMS]


def analyse(
    text: str, synonyms: Synonyms = EMPTY_SYNONYMS, vocabulary: Vocabulary | None = None
) -> list[str]:
    """Content stems of ``text``."""
    return analyse_surface(surface_words(text), synonyms, vocabulary)


_ASKS = re.compile(
    r"^(?:а |и |но )?(?:когда|где|куда|откуда|кто|что|чем|чей|почему|зачем|как|какой|какая|"
    r"какое|какие|сколько|ли)\b|\bли\b|\b(?:скажите|подскажите|расскажите|хочу узнать)\b"
)


def message_parts(text: str) -> list[tuple[str, bool]]:
    """The message cut at punctuation, each part with whether it asks."""
    return parts(_fold(text), _ASKS)


def asking_part(text: str) -> str | None:
    """None: the message is read whole (which sentence points back at another is not
    told apart in this language yet)."""
    del text
    return None


def question_clauses(text: str) -> list[str]:
    """The parts of a chatty message that ask; empty for one clause."""
    return clauses(_fold(text), _ASKS)


_CHAT = Chat(
    cues=(
        ("sources", re.compile(r"\bисточник\w*|\bссылк\w*|\bоткуда (?:информаци\w+|данные|это)\b")),
        (
            "help",
            re.compile(
                r"\bпомо(?:щь|ги|гите)\b|\bкоманд\w*|\bчто (?:ты|вы) (?:умеешь|умеете|знаешь)\b"
                r"|\bкак (?:тобой|вами|этим) пользоваться\b|\bкто (?:ты|вы)\b"
            ),
        ),
        ("thanks", re.compile(r"\bспасибо\b|\bблагодар\w*|\bспс\b|\bпасиб\w*")),
    ),
    greeting=re.compile(
        r"\bпривет\w*|\bздравствуй\w*|\bдобр(?:ый|ое|ой) (?:день|утро|вечер|ночи)\b|\bхай\b"
        r"|\bсалют\b|\bдоброго времени суток\b"
    ),
    filler=re.compile(
        r"\b(?:пожалуйста|бот|большое|огромное|мне|нам|дай|дайте|покажи|покажите|а|и|ну|ок|"
        r"окей|какие|твои|ваши|тебе|вам|очень|все|всем|нужны|нужна|нужен|можно|список|"
        r"ты|вы|еще)\b|[^\w]+"
    ),
)


def chat_kind(text: str) -> str | None:
    """ "greeting", "thanks", "help" or "sources" when that is all a message says."""
    return _CHAT.kind(_fold(text))


# "Правда ли, что...?", "Разве он летал?": a question whether something holds (one asked by
# intonation alone cannot be told from its words).
_YES_NO = re.compile(r"\bли\b|^\W*(?:разве|неужели)\b")


def asks_yes_no(text: str) -> bool:
    """True for a yes/no question marked by its words (ли, разве, неужели)."""
    return bool(_YES_NO.search(text.lower()))


def is_small_talk(text: str) -> bool:
    """True for greetings and thanks that ask nothing."""
    return chat_kind(text) in ("greeting", "thanks")


def synonyms(groups: Iterable[Iterable[str]]) -> Synonyms:
    """Synonym groups (first word canonical) as phrases of stems, like English ones."""
    phrases: dict[tuple[str, ...], str] = {}
    written: set[str] = set()
    for group in groups:
        canonical, *aliases = group
        target = "_".join(stem(w) for w in surface_words(canonical))
        for alias in (canonical, *aliases):
            alias_words = surface_words(alias)
            written.update(alias_words)
            key = tuple(stem(w) for w in alias_words)
            if key:
                phrases[key] = target
    return Synonyms(phrases, alias_lengths(phrases), frozenset(written))


# How chat spells question words, read as written in full before typos are corrected.
SPOKEN: dict[str, str] = {"када": "когда", "кода": "когда"}


def vocabulary(counts: Mapping[str, int]) -> Vocabulary:
    """The knowledge's Russian words, correcting slips towards them."""
    return RussianVocabulary(counts)


class RussianVocabulary(Vocabulary):
    """Typo correction for Russian: a word neither in the knowledge nor a common Russian word
    is corrected to the knowledge word one slip away (two for words of six letters or more),
    with the same first letter."""

    __slots__ = ()

    def correct(self, word: str) -> str:
        """The known word a slip or two away from ``word``, else ``word``."""
        if (
            len(word) < 4
            or word in self
            or word in STOPWORDS
            or not word.isalpha()
            or word in russian_words()
        ):
            return word
        found = process.extract(
            word,
            self._buckets.get(word[0], ()),
            scorer=OSA.distance,
            score_cutoff=1 if len(word) < 6 else 2,
            limit=None,
        )
        if not found:
            return word
        return min(found, key=lambda hit: (hit[1], -self._counts[hit[0]], hit[0]))[0]


@cache
def russian_words() -> frozenset[str]:
    """Common Russian word forms (pyspellchecker's list, 20,000 forms, bundled): real words,
    never typos."""
    data = gzip.decompress((files("spellchecker") / "resources/ru.json.gz").read_bytes())
    return frozenset(word.replace("ё", "е") for word in json.loads(data))


def unknown_share(token: str) -> float:
    """An unknown word weighs fully: a word no entry knows is a topic the story may lack."""
    del token
    return 1.0


# Numerals: a "how many" answer states one (digits count in every language).
_NUMERALS = re.compile(
    r"\b(?:ноль|одна|один|одно|два|две|три|четыре|пять|шесть|семь|восемь|девять|десять|\w*надцать|двадцать|тридцать|сорок|пятьдесят|шестьдесят|семьдесят|восемьдесят|девяносто|сто|сотни|тысяч\w*|миллион\w*|миллиард\w*|десятк\w*|половин\w*|дважды|вдвое|процент\w*)\b"
)


def states_amount(text: str) -> bool:
    """True when a text gives a number or an amount."""
    return _states_amount(text, _NUMERALS)
