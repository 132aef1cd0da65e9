"""Chinese (Simplified): no spaces between words, so text is read as character unigrams and
bigrams within each run of Han characters (a dictionary segmenter such as jieba costs 42 MB
installed and 89 MiB of memory for a few hundred phrasings). Question focus (什么时候 ->
``@when``), particles dropped, synonyms replaced in the text. A question's bigram that no
phrasing uses spans two words (or is a slip): it is dropped, its characters still count."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from bot.engine.languages.common import (
    Chat,
    Focus,
    clauses,
    fold,
    parts,
    phrase_synonyms,
    phrase_table,
)

# the interface's asked_for, shared: nothing to keep (see common.asked_for)
from bot.engine.languages.common import asked_for as asked_for
from bot.engine.languages.common import measure_units as measure_units
from bot.engine.languages.common import states_amount as _states_amount
from bot.engine.text import EMPTY_SYNONYMS, Synonyms, Vocabulary

CODE = "zh"

_FOCUS = Focus.of(
    (
        (r"多长时间|多久|几天|多少天|几个小时|多少小时|几小时|多少时间", "@duration"),
        (r"多大年纪|几岁|多少岁|年龄|年纪", "@age"),
        (r"多重|多大|多高|多长|重量|尺寸", "@size"),
        (r"多远|距离", "@distance"),
        (
            r"什么时候|啥时候|啥时|几时|多会儿|何时|哪天|哪一天|几号|几点|几月几[日号]|哪年|哪一年"
            r"|什么时间|什么日子|日期|(?:星期|礼拜|周)几",
            "@when",
        ),
        (r"多少|几(?=[个位名架辆枚节次种国])", "@count"),
        (r"叫什么|叫啥|名字|名称", "@name"),
        # "去哪" keeps its 去: going somewhere is part of what is asked
        (r"哪里|哪儿|在哪|(?<=去)哪|何处|什么地方|啥地方|哪个城市|哪个国家|哪座城市", "@where"),
        (r"谁|哪位|哪些人|什么人|啥人|是干什么的|是做什么的|什么身份", "@who"),
        (r"为什么|为何|为啥|图啥|图什么|什么原因|原因|目的|干什么|干嘛|干啥|做什么|干吗", "@why"),
        (r"怎么|咋|如何|怎样|什么方式|乘坐什么|坐什么|靠什么", "@how"),
    )
)
# Particles and chat words: they carry no topic (single characters only where they are
# almost never part of a content word).
_STOP = re.compile(
    r"请问|请|介绍一下|介绍|一下|你好|您好|知道|告诉我|告诉|文章里|报道里|新闻里|文章|报道|新闻|据说|"
    r"我们|你们|我|你|您|吗|呢|吧|啊|呀|嘛|么|的|了|是|哦|呗|有没有|是不是|还是|这个|那个|"
    r"这|那|一个|什么|啥|哪|都|也|就|还|又|被|把|会|要|能|可以|过|着|得"
)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|@\w+|[^\W\u3400-\u9fff\uf900-\ufaff]+")
PREMISE_STEMS: frozenset[str] = frozenset(
    "周一 周二 周三 周四 周五 周六 周日 星期 昨天 今天 明天".split()
)
# After the story ("阅兵进行得怎么样了？", "后来呢？", "他回国了吗？"): how something went,
# unless the story reports it done, and what can only have come later.
OUTCOME = re.compile(
    r"怎么样了|进行得(?:怎么样|如何)|(?:举行|办)得(?:怎么样|如何)|结果(?:如何|怎么样|怎样)",
    re.IGNORECASE,
)
STRICTLY_AFTER = re.compile(
    r"后来|之后(?:呢|怎么样|发生)|最后(?:怎么样|结果)|最终|结束了吗|已经结束|回国|回(?:到)?平壤",
    re.IGNORECASE,
)


def unknown_share(token: str) -> float:
    """How much of an unknown word's weight an unknown token carries. A pair of characters no
    entry uses spans two words (or holds a slip): none, it is dropped, its characters still
    count; a lone character is half a word (an unknown two-character word weighs as one)."""
    if not _is_han(token):
        return 1.0
    return {1: UNKNOWN_CHARACTER, 2: 0.0}.get(len(token), 1.0)


UNKNOWN_CHARACTER = 0.5


@lru_cache(maxsize=65536)
def _grams(run: str) -> tuple[str, ...]:
    if not _is_han(run):
        return (run,)  # a focus token, a number or a Latin word
    return (*run, *(run[i : i + 2] for i in range(len(run) - 1)))


def surface_words(text: str) -> list[str]:
    """The text's runs: Han characters between particles and punctuation, focus tokens,
    numbers and Latin words (synonyms and n-grams come after)."""
    return _HAN.findall(_STOP.sub(" ", _FOCUS.mark(fold(text))))


def analyse_surface(
    surface: list[str],
    synonyms: Synonyms = EMPTY_SYNONYMS,
    vocabulary: Vocabulary | None = None,
) -> list[str]:
    """Content n-grams of runs split by `surface_words`, synonyms replaced first (a
    question's bigrams no entry uses are dropped by the index: see `unknown_share`)."""
    runs = surface
    if synonyms.phrases:
        runs = phrase_table(synonyms).apply(" ".join(surface)).split()
    grams = [gram for run in runs for gram in _grams(run)]
    del vocabulary  # no typo correction: a slip is one character among the others
    return grams


def analyse(
    text: str, synonyms: Synonyms = EMPTY_SYNONYMS, vocabulary: Vocabulary | None = None
) -> list[str]:
    """Content n-grams of ``text``."""
    return analyse_surface(surface_words(text), synonyms, vocabulary)


def _is_han(gram: str) -> bool:
    return "\u3400" <= gram[0] <= "\u9fff" or "\uf900" <= gram[0] <= "\ufaff"


_ASKS = re.compile(r"吗|呢|什么|哪|谁|几|多少|怎么|如何|为什么|是否|@")


def message_parts(text: str) -> list[tuple[str, bool]]:
    """The message cut at punctuation, each part with whether it asks."""
    return parts(fold(text), _ASKS)


def asking_part(text: str) -> str | None:
    """None: the message is read whole (which sentence points back at another is not
    told apart in this language yet)."""
    del text
    return None


def question_clauses(text: str) -> list[str]:
    """The parts of a chatty message that ask; empty for one clause."""
    return clauses(fold(text), _ASKS)


_CHAT = Chat(
    cues=(
        ("sources", re.compile(r"来源|出处|消息来源|链接|原文")),
        ("help", re.compile(r"帮助|帮忙|怎么用|如何使用|你能做什么|你会什么|你是谁|命令|指令")),
        ("thanks", re.compile(r"谢谢|多谢|感谢|谢了|3q")),
    ),
    greeting=re.compile(r"你好|您好|嗨|哈喽|早上好|晚上好|下午好|大家好|hi|hello"),
    filler=re.compile(
        r"请|给我|我|你|您|的|了|啊|呀|吧|呢|吗|看看|一下|所有|非常|很|机器人|是什么|什么|是|哪些"
        r"|有|[^\w]+"
    ),
    max_chars=20,
)


def chat_kind(text: str) -> str | None:
    """ "greeting", "thanks", "help" or "sources" when that is all a message says."""
    return _CHAT.kind(fold(text))


# "他坐火车去吗？", "是不是很快？": a question whether something holds.
_YES_NO = re.compile(r"(?:吗|嗎)\W*$|是不是|有没有|有沒有|会不会|會不會|能不能")


def asks_yes_no(text: str) -> bool:
    """True for a yes/no question: 吗 at its end, or an A-not-A verb (是不是)."""
    return bool(_YES_NO.search(text))


def is_small_talk(text: str) -> bool:
    """True for greetings and thanks that ask nothing."""
    return chat_kind(text) in ("greeting", "thanks")


def synonyms(groups: Iterable[Iterable[str]]) -> Synonyms:
    """Synonym groups (first word canonical), replaced in the text before n-grams."""
    return phrase_synonyms(groups, lambda word: " ".join(surface_words(word)))


def vocabulary(counts: Mapping[str, int]) -> Vocabulary:
    """The knowledge's runs as written (no typo correction here: a slip is one character among
    the others, which still match)."""
    return Vocabulary(counts)


# Numerals: a "how many" answer states one (digits count in every language).
_NUMERALS = re.compile(r"[零〇一二两三四五六七八九十百千万亿半倍]|百分之")


def states_amount(text: str) -> bool:
    """True when a text gives a number or an amount."""
    return _states_amount(text, _NUMERALS)
