"""Korean: particles and verb endings stripped from each word (김정은은 -> 김정은, 출발했어요
-> 출발), then syllable unigrams and bigrams, so a word still meets its other forms (열차를,
열차로) and compounds meet their parts. Question focus (언제 -> ``@when``), synonyms replaced
in the text. A question's bigram that no phrasing uses is dropped, its syllables still count."""

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

CODE = "ko"

_FOCUS = Focus.of(
    (
        (r"얼마나 ?(?:오래|걸)\w*|몇 ?시간|며칠 ?동안|몇 ?일 ?동안|기간", "@duration"),
        (r"몇 ?살|나이", "@age"),
        (r"무게|얼마나 ?(?:무거|크|큰)\w*|크기", "@size"),
        (r"거리|얼마나 ?멀\w*", "@distance"),
        (r"언제|며칠|몇 ?월|몇 ?일|무슨 ?요일|어느 ?날|날짜|몇 ?시", "@when"),
        (r"몇|얼마나 ?많\w*|얼마|어느 ?정도", "@count"),
        (r"이름|명칭|뭐라고 ?(?:불|부르)\w*", "@name"),
        (r"어디|어느 ?(?:나라|도시|곳)", "@where"),
        (r"누가|누구|누군", "@who"),
        (r"왜|이유|무슨 ?목적|목적", "@why"),
        (r"어떻게|어떤 ?방법|어떤 ?수단|무엇을 ?타고|뭘 ?타고|뭐 ?타고|무엇으로|뭐로", "@how"),
    )
)
# Endings glued to a word, longest first: particles (은, 에서, 으로...) and the endings of
# questions and statements (했어요, 인가요, 습니까...).
_ENDINGS = tuple(
    sorted(
        """
        했습니까 했나요 했어요 했는지 했을까요 했다고 했다 했던 합니까 하나요 해요 한다 하는
        했을 할까요 할 한 인가요 입니까 입니다 이에요 예요 이었나요 였나요 이었어요 였어요 였다
        이다 인지 일까요 나요 까요 어요 아요 었나요 았나요 었어요 았어요 습니까 습니다 는지
        어여 아여 나여 래요 대요 는데 인데 냐 니 죠 지요 던가요 더라 거든요 ㅂ니까 니까
        어 아 야 지 네 나 니야 이야 이냐 거야 거예요 건가요 거죠 건지 는거 ㄴ거
        에서는 에게서 으로부터 으로는 에서도 까지는 이라고 라고 에서 에게 한테 으로 까지 부터
        에선 한테서 께서 께 이랑 에서의 으로의 에의
        처럼 보다 이나 이랑 랑 하고 에는 와는 과는 은 는 이 가 을 를 의 에 와 과 도 로 만 요
        """.split(),
        key=len,
        reverse=True,
    )
)
_ENDING_SET = frozenset(_ENDINGS)
# Words that carry no topic: pronouns, chat, "the article says".
STOPWORDS: frozenset[str] = frozenset(
    """
    그 이 저 것 거 뭐 무엇 무슨 어떤 어느 좀 수 있 있어요 있나요 있습니까 있었나요 있다 있는
    되 된 된다 되나요 됐나요 됐어요 그리고 그런데 근데 혹시 제발 알려 알려줘 알려주세요
    알려줄래 궁금 궁금해요 궁금합니다 기사 기사에서 뉴스 정말 진짜 나 저는 제가 너 당신
    그럼 그러면 요즘 지금 하나 또 또는 및 대해 대해서 관련 관해 말해 말해줘 말해주세요
    설명해 설명해줘 주세요 해줘 안녕 봇 다 더 많이 뭡니까 뭔가요 뭐예요 뭐야 뭔데 뭐죠
    누구누구 무엇무엇 어때 어때요 어떤가요 뭐냐 뭐지 뭔지 뭘까 뭐야 게 건 걸 거 것이
    거야 거예요 건가요 거죠 맞아 맞아요 맞나요 맞죠 아니죠 아니에요 거임 뭐임 건데 건지 건가
    """.split()
)
_WORD = re.compile(r"@\w+|[가-힣]+|[^\W가-힣]+")
PREMISE_STEMS: frozenset[str] = frozenset(
    "월요일 화요일 수요일 목요일 금요일 토요일 일요일 어제 오늘 내일 주말".split()
)
# After the story ("열병식은 어떻게 됐어요?", "결국 어떻게 됐어?", "평양으로 돌아갔어?"):
# how something went, unless the story reports it done, and what can only have come later.
OUTCOME = re.compile(
    r"어떻게\s*(?:됐|되었)|어땠|잘\s*(?:끝났|치러졌)",
    re.IGNORECASE,
)
STRICTLY_AFTER = re.compile(
    r"결국|끝난\s*(?:후|뒤)|끝났|돌아왔|돌아갔|귀국",
    re.IGNORECASE,
)


@lru_cache(maxsize=65536)
def _stripped(word: str) -> str:
    """The word without the particle or ending glued to it. A one-syllable ending leaves at
    least two syllables (나이, 차이 stay), or one that is a past-tense stem (탔어 -> 탔)."""
    for ending in _ENDINGS:
        rest = len(word) - len(ending)
        if word.endswith(ending) and (
            rest >= 2 or (rest == 1 and (len(ending) > 1 or _past(word[0])))
        ):
            return word[: -len(ending)]
    return word


def _past(syllable: str) -> bool:
    """True for a syllable closed by ㅆ, the past tense (했, 갔, 탔, 왔, 됐)."""
    return "가" <= syllable <= "힣" and (ord(syllable) - 0xAC00) % 28 == PAST_FINAL


PAST_FINAL = 20  # ㅆ among a Hangul syllable's 28 final consonants


def _is_hangul(text: str) -> bool:
    return "가" <= text[0] <= "힣"


def unknown_share(token: str) -> float:
    """How much of an unknown word's weight an unknown token carries: none for a pair of
    syllables no entry uses (dropped, its syllables still count), half a word for a lone
    syllable (an unknown two-syllable word weighs as one unknown word)."""
    if not _is_hangul(token):
        return 1.0
    return {1: UNKNOWN_CHARACTER, 2: 0.0}.get(len(token), 1.0)


UNKNOWN_CHARACTER = 0.5


@lru_cache(maxsize=65536)
def _grams(word: str) -> tuple[str, ...]:
    if not _is_hangul(word) or len(word) == 1:
        return (word,)  # a focus token, a number, a Latin word or one syllable
    return (*word, *(word[i : i + 2] for i in range(len(word) - 1)))


def surface_words(text: str) -> list[str]:
    """The text's words with focus tokens, endings stripped, stopwords dropped."""
    words = (
        _stripped(w) if _is_hangul(w) and w not in STOPWORDS else w
        for w in _WORD.findall(_FOCUS.mark(fold(text)))
    )
    # An ending left alone once a focus phrase is cut out ("얼마" + "예요") is no word.
    return [w for w in words if w not in STOPWORDS and w not in _ENDING_SET]


def analyse_surface(
    surface: list[str],
    synonyms: Synonyms = EMPTY_SYNONYMS,
    vocabulary: Vocabulary | None = None,
) -> list[str]:
    """Content n-grams of words split by `surface_words`, synonyms replaced first (a
    question's bigrams no entry uses are dropped by the index: see `unknown_share`)."""
    words = surface
    if synonyms.phrases:
        words = phrase_table(synonyms).apply(" ".join(surface)).split()
    grams = [gram for word in words for gram in _grams(word)]
    del vocabulary  # no typo correction: a slip is one character among the others
    return grams


def analyse(
    text: str, synonyms: Synonyms = EMPTY_SYNONYMS, vocabulary: Vocabulary | None = None
) -> list[str]:
    """Content n-grams of ``text``."""
    return analyse_surface(surface_words(text), synonyms, vocabulary)


_ASKS = re.compile(r"[까요]\s*$|언제|어디|누가|누구|무엇|뭐|왜|어떻게|몇|얼마|@")


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
        ("sources", re.compile(r"출처|소스|링크|원문|어디서 나온")),
        (
            "help",
            re.compile(
                r"도움말|도와줘|도와주세요|도움|사용법|명령어"
                r"|뭘 할 수|무엇을 할 수|누구세요|넌 누구"
            ),
        ),
        ("thanks", re.compile(r"감사|고마워|고맙|땡큐|ㄱㅅ")),
    ),
    greeting=re.compile(r"안녕|하이|좋은 (?:아침|저녁|하루)|반가워|반갑습니다"),
    filler=re.compile(
        r"합니다|해요|하세요|하십니까|드립니다|드려요|요|정말|너무|많이|대단히|주세요|좀|봇|"
        r"여러분|님|[^\w]+|ㅎ+|ㅋ+"
    ),
    max_chars=30,
)


def chat_kind(text: str) -> str | None:
    """ "greeting", "thanks", "help" or "sources" when that is all a message says."""
    return _CHAT.kind(fold(text))


# Question words: a question without one ("기차로 갔어요?") asks whether something holds.
_QUESTION_WORDS = re.compile(r"무엇|뭐|뭘|언제|어디|누가|누구|왜|어떻게|어떤|얼마|몇|어느|무슨")


def asks_yes_no(text: str) -> bool:
    """True for a question that asks no question word ("기차로 갔어요?")."""
    return "?" in text and not _QUESTION_WORDS.search(text)


def is_small_talk(text: str) -> bool:
    """True for greetings and thanks that ask nothing."""
    return chat_kind(text) in ("greeting", "thanks")


def synonyms(groups: Iterable[Iterable[str]]) -> Synonyms:
    """Synonym groups (first word canonical), replaced in the text before n-grams."""
    return phrase_synonyms(groups, lambda word: " ".join(surface_words(word)))


def vocabulary(counts: Mapping[str, int]) -> Vocabulary:
    """The knowledge's words as written (no typo correction here: a slip is one syllable among
    the others, which still match)."""
    return Vocabulary(counts)


# Numerals: a "how many" answer states one (digits count in every language).
_NUMERALS = re.compile(
    r"[일이삼사오육칠팔구십백천만억]|하나|둘|셋|넷|다섯|여섯|일곱|여덟|아홉|열|스물|서른|마흔|쉰|절반|두\s*배|퍼센트"
)


def states_amount(text: str) -> bool:
    """True when a text gives a number or an amount."""
    return _states_amount(text, _NUMERALS)
