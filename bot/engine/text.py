"""Text normalisation shared by questions and curated phrasings.

Both sides go through the same pipeline, so a question matches a phrasing whenever they mean
the same words: Unicode and case folding, quote marks, possessives, digit grouping, question
focus ("how many" -> ``@count``), stemming, synonyms and (for questions) typo correction
against the knowledge vocabulary.
"""

from __future__ import annotations

import gzip
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files

import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA
from spellchecker import SpellChecker

from bot.engine import lexicon
from bot.engine.timeline import NOW_WORDS

# The question's focus: what kind of answer it asks for. Kept as tokens of their own so that
# "How many planes flew over?" does not match an entry that only says planes flew over.
_FOCUS_RULES: tuple[tuple[str, str], ...] = (
    # "how long is the train" asks a length, "how long was he on board" a duration; so does
    # "how long is the holiday": a thing that lasts (see `resolve_measure`).
    (
        r"\bhow long (?:is|are|was|were)\b(?!(?: \w+){0,4} (?:take|took|taken|last|lasts|"
        r"lasted|on|aboard|inside|stuck|away|gone|there|open|closed)\b)",
        " @length ",
    ),
    # "how long can these fish get / do they grow": a length too
    (
        r"\bhow long\b(?= (?:can|could|do|does|did|will|would)(?: \w+){1,5} (?:get|grow|grew)"
        r"\W*$)",
        " @length ",
    ),
    (r"\bhow long\b", " @duration "),
    (r"\bhow (?:many|much)\b|\bnumber of\b|\bamount of\b", " @count "),
    (r"\bhow (?:heavy|big|large|tall|wide|high)\b|\bweigh\w*\b", " @size "),
    (r"\bhow old\b|\bage of\b", " @age "),
    (r"\bhow far\b|\bdistance\b", " @distance "),
    # "what's the lab called", "the name of the train", "...what is it called?": asks a name
    (
        r"\bnames? of\b|\bwhat(?: is| are| was|s)?(?= (?:\w+ ){1,4}called\b)"
        r"|\bwhat(?: is| are| was| were|s|re)? (?:his|her|their|its) (?:full |real )?names?\b"
        r"|(?<=\w )called(?=\W*$)",
        " @name ",
    ),
    # "what year": a time is asked, and the year is a word of the question too.
    (
        r"\b(?:what|which) (?:day|date|time|weekday)\b|\bwhen\b|\b(?:what|which) (?=year|month)"
        r"|\bat what point\b",
        " @when ",
    ),
    # "arrival day", "parade date": a trailing day asks when (but "a day" is a duration).
    (r"(?<!\ba )(?<!\bone )\b(?:day|date)\W*$", " @when "),
    (
        r"\b(?:what|which) (?:(?:us|u s|american) )?(?:city|town|place|country|state|province"
        r"|region|county|continent)\b|\bwhere\b",
        " @where ",
    ),
    (r"\bwho(?:m|se)?\b", " @who "),
    # "what for?", "for what?" and "what is it for" ask a purpose; "what's for dinner" does not.
    (
        r"\bwhy\b|\bfor what reason\b|\bwhat for\b(?! \w)|^\W*(?:and |but |so )?for what\W*$"
        r"|\bwhat(?: is| was|s)? (?:the|his|their|its) (?:\w+ )?reasons?\b"
        r"|\bwhat(?: is| are| was| were)? (?:it|that|this|they|those|these) for\b",
        " @why ",
    ),
    # Any other "how" asks the manner ("how is he travelling?"); "how fast" keeps "fast".
    (
        r"\bhow\b(?! (?:fast|quick|quickly|slow|slowly|soon|early|late)\b)|\bby what means\b"
        r"|\bin what way\b",
        " @how ",
    ),
)
# One regex for all rules: at each position the first rule that matches wins, as listed.
_FOCUS = re.compile("|".join(f"(?P<f{i}>{pattern})" for i, (pattern, _) in enumerate(_FOCUS_RULES)))
_FOCUS_TOKENS = {f"f{i}": token for i, (_, token) in enumerate(_FOCUS_RULES)}
# Every rule needs one of these words (or a word starting "weigh").
_FOCUS_TRIGGERS = frozenset(
    "how what which when where who whom whose why day date number amount age distance name "
    "names whats called".split()
)
# Focus tokens that name the kind of answer wanted: an entry none of whose phrasings asks
# that kind of question is unlikely to answer it ("how many planes?" vs "will planes fly?").
STRICT_FOCUS: frozenset[str] = frozenset(
    "@length @duration @count @size @age @distance @name @when @where @who @why".split()
)

# Function words, light verbs and chat filler: they carry no topic. Question words are not
# here; they become focus tokens above. Words that are a topic in some story ("found",
# "help", "people", "kind", "real", "answer", "short") are not here either.
STOPWORDS: frozenset[str] = NOW_WORDS | frozenset(
    """
    a about above after again all also am an and any are aren as at be been before being below
    between both but by can could did didn do does doesn doing don down during each either else
    ever for from further had has have having he her here hers herself him himself his how i if
    in into is isn it its itself just let me more most my myself no nor not now of off on once
    only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until up
    upon us very was wasn we were weren what whatever which while will with won would you your
    yours yourself yourselves s t ll re ve d m o y
    go goes going gone went come comes coming came get gets getting got gotten make makes made
    done instead enough
    making take takes taking took taken happen happens happened happening
    know knows knew known think thought want wanted like likes please pls plz
    thanks thank hey hi hello ok okay yes yeah yep really actually exactly basically anyway
    wonder wondering wondered curious sort bit lot thing things stuff something anything
    famous whole entire mean means meant guess maybe perhaps probably quite rather just even
    bot storybot dear explain give show offer offers offered provide provides need needs needed
    can't cannot someone anyone
    somebody anybody one ones lol haha hahaha af omg btw though ya yo mate guys folks
    honestly seriously literally totally quick question wait hang roughly approximately around
    somehow pretty kinda sorta sound sounds seem seems seemed apparently mention mentions
    mentioned onto into called many much reckon reckons ask asks asked asking true right correct bro
    fr hella smth sth w n ngl lowkey nah tbh idk imo rn bruh dude yall lemme gimme fam
    whether kindly inform enquire inquire might shall grateful regarding concerning indeed sir
    mr mrs ms dont didnt doesnt isnt wasnt
    arent werent cant wont im ive havent hasnt hadnt wouldnt couldnt shouldnt mustnt neednt
    aint youre theyre
    wow woah whoa ooh oh ah huh hmm um uh damn dang gosh geez jeez yikes ugh wtf lmao rofl
    heard hear hearing told reading read saw seen noticed remember
    super totally insanely crazy wild cool awesome amazing interesting weird funny nice neat
    realy genuinely definitely certainly surely supposedly allegedly
    good pure another tend tends tended judging
    sorry apologies apologise apologize dumb stupid silly naive noob newbie question questions
    query idea ideas clue clueless confused confusing helping assist advance find
    anywhere somewhere everywhere googled searched looked looking understand understood
    clarify sure unsure certain random thoughts keep keeps
    kept everybody anybody somebody briefly please
    asap regards bless tia wassup sup appreciate appreciated least altogether
    """.split()
)

# Chat spellings too short for typo correction.
_CHAT_SPELLINGS = dict(
    pair.split(":")
    for pair in """
    wat:what wut:what wht:what whats:what wen:when whn:when wher:where whos:who hw:how y:why
    u:you ur:your r:are em:them gonna:going wanna:want gotta:got tho:though thx:thanks
    teh:the hte:the adn:and nad:and taht:that waht:what wiht:with hav:have frm:from fom:from
    abt:about bc:because cuz:because coz:because b4:before thru:through rly:really
    ppl:people yr:year yrs:years govt:government gov:government prez:president
    1st:first 2nd:second 3rd:third 2day:today tmrw:tomorrow tmr:tomorrow
    """.split()
)

_QUOTES = str.maketrans({"’": "'", "‘": "'", "‛": "'", "`": "'", "´": "'", "“": '"', "”": '"'})
_POSSESSIVE = re.compile(r"(\w)'s?\b")
_DIGIT_GROUP = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")
_NON_WORD = re.compile(r"[^\w@]+")
_ASCII_NON_WORD = str.maketrans(
    {chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) in "_@")}
)
_LINK = re.compile(r"\b(?:[a-z][a-z0-9+.-]*://|www\.)\S*", re.IGNORECASE)
_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")

_stemmer = snowballstemmer.stemmer("english")
SLIP_COST = math.log(10)  # how much less likely a word is for each typing slip it needs
# Seen this often in pyspellchecker's English word counts, a word is real, not a typo (about
# 19,000 words; "leisurely" and "clout" just make it, "whin" and "wot" do not).
REAL_WORD_COUNT = 1000
# Seen this often, a word may be real or a slip ("Africa", "Tesla", "gorges"; but also "lon"
# for "long"): it is corrected only one slip away, never two ("africa" is not "america").
RARE_WORD_COUNT = 200


_VOWELS = frozenset("aeiouy")


# Irregular past forms Snowball leaves apart from their verb ("said" / "say"), where the form
# has no common sense of its own (not "left", "found", "saw", "felt", "shot", "lead", "won").
_IRREGULAR_PAST = dict(
    pair.split(":")
    for pair in """
    said:say told:tell wrote:write written:write thought:think brought:bring bought:buy
    caught:catch taught:teach fought:fight sought:seek held:hold kept:keep met:meet paid:pay
    sold:sell sent:send built:build began:begin begun:begin broke:break broken:break
    chose:choose chosen:choose drove:drive driven:drive ate:eat eaten:eat flew:fly flown:fly
    forgot:forget forgotten:forget gave:give given:give grew:grow grown:grow knew:know
    known:know rode:ride ridden:ride spoke:speak spoken:speak stole:steal
    stolen:steal took:take taken:take threw:throw thrown:throw wore:wear worn:wear
    understood:understand heard:hear slept:sleep sang:sing sung:sing swam:swim
    """.split()
)


# Words Snowball cuts down to another word's stem: a Department of Labor is no departure, an
# organization no organ, a business no "busy".
_OWN_STEMS = {
    word: own
    for own, forms in {
        "department": "department departments",
        "apartment": "apartment apartments",
        "organization": "organization organizations organisation organisations",
        "business": "business businesses",
        "executive": "executive executives",
    }.items()
    for word in forms.split()
}


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball stem of one lowercase word; focus tokens and numbers pass unchanged."""
    if word.startswith("@") or word.isdigit():
        return word
    if word in _DIGITS:
        return _DIGITS[word]
    if word in _OWN_STEMS:
        return _OWN_STEMS[word]
    word = _IRREGULAR_PAST.get(word, word)
    if len(word) >= 3 and word[-1] == "s" and not _VOWELS.intersection(word[:-1]):
        return word[:-1]  # an acronym's plural ("MVPs", "ICBMs"), which Snowball keeps
    return _stemmer.stemWord(word)


_SLIPS = frozenset({"2", "dose", "b"})  # the words `_slips_in_context` reads


def _slips_in_context(words: list[str]) -> list[str]:
    """Chat spellings that are words of their own elsewhere: "get 2 china" ("to", after a
    verb of going), "how fast dose the train go" ("does", before its subject; "a dose of"),
    "who's gonna b there" ("be", after a modal; "plan b")."""
    read = []
    for number, word in enumerate(words):
        before = words[number - 1] if number else ""
        after = words[number + 1] if number + 1 < len(words) else ""
        if word == "2" and before in _GOING:
            word = "to"
        elif word == "dose" and after in _ASKED_OF and before not in _DOSE_BEFORE:
            word = "does"
        elif word == "b" and before in _BEFORE_BE:
            word = "be"
        read.append(word)
    return read


# What a question asks about, right after its verb: "does *the* train", "does *it*".
_ASKED_OF = frozenset("the a an it he she they this that his her their its".split())
_DOSE_BEFORE = frozenset("a the one first second third each per booster this that".split())
_BEFORE_BE = frozenset("gonna going will wont to can could should would might must".split())
_GOING = frozenset(
    "get got go goes going went gone come came coming back way trip travel travelled traveled "
    "headed heading head move moved fly flew flying ride rode".split()
)
# "the 3 countries" and "the three countries" read alike ("one" is also a pronoun: "which one").
_DIGITS = {
    word: str(number)
    for number, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
    if number >= 2
}


def without_links(text: str) -> str:
    """The text with its links blanked: a link's words are an address, not what a reader
    asks ("what does https://example.com/kim-train say about the speed?")."""
    if "://" in text or "www." in text.lower():
        return _LINK.sub(" ", text)
    return text


def fold(text: str) -> str:
    """Unicode NFKC, case folding, straight quotes, Latin letters without their accents, no
    possessives, no digit grouping."""
    if text.isascii():  # the common case: nothing for NFKC, zero-width or curly quotes to do
        text = text.translate(_QUOTES).lower()
    else:
        text = unicodedata.normalize("NFKC", text)
        text = fold_accents(_ZERO_WIDTH.sub("", text).translate(_QUOTES).casefold())
    if "'" in text:
        text = _POSSESSIVE.sub(r"\1", text)
    if "%" in text:  # "10%" reads as "10 percent", as a reader may write it
        text = text.replace("%", " percent ")
    if "," in text or "." in text:
        text = _DIGIT_GROUP.sub("", text)
    return text


def fold_accents(text: str) -> str:
    """Latin letters without their accents ("Māori" -> "Maori", "café" -> "cafe"), as readers
    type them on any keyboard; other scripts keep theirs (Cyrillic "й" is a letter of its own,
    Hangul syllables are not split)."""
    if text.isascii():
        return text
    return "".join(_bare_letter(char) for char in text)


@lru_cache(maxsize=4096)
def _bare_letter(char: str) -> str:
    decomposed = unicodedata.normalize("NFD", char)
    base = decomposed[0]
    marks = decomposed[1:]
    if marks and base.isascii() and base.isalpha() and all(map(unicodedata.combining, marks)):
        return base
    return char


# Chat that frames a question without naming a topic: "thanks in advance", "can you help me
# out?", "my dad asked me" (whose dad is the reader's, not Kim's father), "I meant".
_FRAMING = re.compile(
    r"\b(?:thanks|thank you|thx|ty) in advance\b"
    r"|\b(?:can|could|would|will) (?:you|u) (?:please |pls )?help(?: me)?(?: out)?\b"
    r"|\b(?:you|u) can help(?: me)?\b|\bhelp (?:me )?with (?:this|that)\b"
    r"|\bhelp me (?:out|understand)\b|\bany (?:idea|ideas|clue)\b|\bif (?:you|u) know\b"
    r"|\bgood (?:morning|afternoon|evening|night|day)\b|\basking for a friend\b"
    r"|\bi mean(?:t)?\b"  # "no, I meant the parade": a correction says what is asked
    r"|\b(?:is|was) it (?:accurate|fair) (?:that|to say)\b"  # a fact check, as "is it true"
    # "back in 2020" is in 2020, no support ("back then" stays: it asks about the past)
    r"|\b(?:way )?back(?= in\b)"
    r"|\b(?:in|from) the (?:(?:first|second|third|fourth|last|final|middle|next|opening|closing)"
    r" )?(?:paragraph|sentence|line|section|part|bit)(?: of (?:the|this) (?:article|story))?\b"
    r"|\bin the middle of (?:the|this) (?:article|story|page)\b"
    r"|\bfirst time (?:using|here|asking|trying|on)\b|\bor am i wrong\b|\bkeep it short\b"
    r"|\b(?:saw|read|seen|heard) (?:this|it|that) on (?:twitter|x|facebook|fb|tiktok|instagram"
    r"|insta|reddit|telegram|whatsapp|youtube|the news|tv)\b"
    r"|\bquick (?:question|q)\b|\breal talk\b|\bfor real\b|\bno big deal\b"
    # how to answer, not what: "what's the short answer?", "in plain English"
    r"|\b(?:short|quick|simple|brief|straight|honest) (?:answer|version)\b"
    r"|\bin (?:short|brief|a word|simple terms|plain (?:english|terms|words))\b"
    # "who is it meant to help?" asks who it helps, not what it means
    r"|\b(?:meant|supposed|intended) to\b"
    # "who's going apart from kim?": "apart" (the stem of "apartment") says no more
    r"|\b(?:apart|aside) from\b"
    r"|\bin the first place\b|\bat all(?=\s*\W*$)"
    r"|\b(?:please|pls|plz) reply\b"
    r"|\bquestions? (?:about|on|regarding) (?:the |this |that )?(?:\w+ )?(?:story|article|news)\b"
    # A letter's courtesies: "would you be so good as to tell me whether", "I should be most
    # grateful to learn", "yours faithfully" wrap the question and name no topic.
    r"|\b(?:would|could|will) (?:you|u) be so (?:good|kind) as to (?:tell|let|inform|advise)"
    r"(?: (?:me|us))?(?: know)?\b"
    r"|\b(?:i|we) (?:would|should|'d) be (?:most |very |so |extremely |much )?(?:grateful|obliged"
    r"|thankful|glad)(?: (?:if (?:you|u) (?:could|would|can|will)(?: kindly)?|to))?"
    r"(?: (?:tell|let|inform|advise|learn|know|hear|state|confirm|explain|clarify|share))?"
    r"(?: (?:me|us))?(?: (?:know|of|about))?\b"
    r"|\b(?:kindly |please )?(?:inform|advise) (?:me|us)(?: (?:of|about|as to))?\b"
    r"|\byours (?:faithfully|sincerely|truly)\b|\b(?:sincerely|respectfully|faithfully) yours\b"
    r"|\b(?:with )?(?:kind|best|warm|warmest|kindest) (?:regards|wishes)\b|\bmany thanks\b"
    r"|\bto whom it may concern\b|\bdear (?:sir|madam|sirs)(?: (?:or|and|/) madam)?\b"
    r"|\bi hope (?:this|my) (?:message|email|letter|note) finds (?:you|u) well\b"
    # who the reader is ("I am a retired engineer and..."), and chat idioms
    r"|\b(?:i am|i'm|im) (?:a|an) (?:(?!of\b|on\b|in\b|about\b|at\b|for\b)\w+ ){0,2}\w+"
    r"(?=\s*(?:[,.;]|\band\b|\bfrom\b|\bwho\b))|\blong story short\b"
    r"|\b(?:my|our) (?:dad|father|mum|mom|mother|parents?|brother|sister|son|daughter|wife"
    r"|husband|partner|girlfriend|boyfriend|friends?|mates?|buddy|uncle|aunt|grandma|grandpa"
    r"|grandfather|grandmother|teacher|boss|colleagues?|coworkers?|roommate|kids?)\b"
)


_WISE = re.compile(r"(?<=\w)-wise\b")


def surface_words(text: str) -> list[str]:
    """Folded words as written, framing dropped, before focus detection: what typo
    correction compares to."""
    folded = fold(text)
    if "-wise" in folded:  # "trade-wise", "money-wise": about trade, about money
        folded = _WISE.sub("", folded)
    return _split(_FRAMING.sub(" ", folded))


def _split(folded: str) -> list[str]:
    if folded.isascii():
        return folded.translate(_ASCII_NON_WORD).split()
    return _NON_WORD.sub(" ", folded).split()


# Words never "corrected" into something else: function words and question words.
COMMON_WORDS: frozenset[str] = STOPWORDS | frozenset(
    "what when where who whom whose why how which many much long old far heavy".split()
)


def words(text: str, vocabulary: Vocabulary | None = None) -> list[str]:
    """Folded words of ``text`` with question focus tokens, punctuation dropped.

    With a vocabulary, misspelt words are corrected first, so "wich city" still asks a place.
    """
    return _focused(surface_words(text), vocabulary)


# Things that last rather than measure (a trip, a holiday, a meeting): "how long is" one of
# them asks a duration. The lexicon lists them; a story adds its own (`lasting_words`).
LASTING: frozenset[str] = frozenset(stem(w) for w in lexicon.word_list("en", "lasting"))
_ASKS_LASTING = re.compile(
    r"\bhow long (?:does|did|do|will|would|is|was|has|had)(?: (?:the|a|an|this|that|his|her"
    r"|their|its))?(?: \w+)?? (\w+) (?:last|lasts|lasted|go on|goes on|went on)\b"
)
_PRONOUNS = frozenset("it they this that he she we you i".split())


def lasting_words(phrasings: Iterable[str]) -> frozenset[str]:
    """Stems of the things a story's phrasings ask how long they last ("how long does matariki
    last?"): "how long is matariki?" then asks a duration too. ("How long did the train take"
    asks how long the trip took: the train does not last.)"""
    found = set()
    for text in phrasings:
        if "how long" in text.lower():
            for match in _ASKS_LASTING.finditer(fold(text)):
                if match.group(1) not in _PRONOUNS:
                    found.add(stem(match.group(1)))
    return frozenset(found)


# Amounts rather than things (a budget, a crowd, a deficit): "how big is" one of them asks how
# much, like "how much" does.
AMOUNTS: frozenset[str] = frozenset(stem(w) for w in lexicon.word_list("en", "amounts"))


def resolve_measure(tokens: list[str], lasting: frozenset[str]) -> list[str]:
    """``@length`` read as ``@duration`` where a thing that lasts follows it, ``@size`` as
    ``@count`` where an amount does."""
    for i, word in enumerate(tokens):
        after = tokens[i + 1 : i + 1 + LENGTH_REACH]
        if word == "@length" and any(stem(w) in lasting for w in after):
            tokens[i] = "@duration"
        elif word == "@size" and any(stem(w) in AMOUNTS for w in after):
            tokens[i] = "@count"
    return tokens


LENGTH_REACH = 5  # words after "how long is" that may name what is asked about


def _focused(
    surface: list[str], vocabulary: Vocabulary | None, lasting: frozenset[str] = LASTING
) -> list[str]:
    raw = [_CHAT_SPELLINGS.get(w, w) for w in surface]
    if not _SLIPS.isdisjoint(raw):
        raw = _slips_in_context(raw)
    if vocabulary is not None:
        raw = [vocabulary.correct(w) for w in raw]
        # An adverb the knowledge never uses ("roughly", "honestly") is how, not what, a
        # reader asks: dropping it keeps it from counting as a topic the story lacks.
        raw = [w for w in raw if not (len(w) > 4 and w.endswith("ly") and w not in vocabulary)]
    if _FOCUS_TRIGGERS.isdisjoint(raw) and not any(w.startswith("weigh") for w in raw):
        return [w for w in raw if w != "@"]  # no rule can match: skip the regex
    text = _FOCUS.sub(lambda match: _FOCUS_TOKENS[match.lastgroup], " ".join(raw))
    tokens = [w for w in text.split() if w != "@"]
    resolve = "@length" in tokens or "@size" in tokens
    return resolve_measure(tokens, lasting) if resolve else tokens


def alias_lengths(phrases: Iterable[tuple[str, ...]]) -> dict[str, tuple[int, ...]]:
    """Each alias's first stem -> the lengths of the aliases it starts, longest first."""
    lengths: dict[str, set[int]] = {}
    for key in phrases:
        lengths.setdefault(key[0], set()).add(len(key))
    return {first: tuple(sorted(n, reverse=True)) for first, n in lengths.items()}


@dataclass(frozen=True, slots=True)
class Synonyms:
    """Alias phrases (as stem tuples) mapped to a canonical stem, longest alias first."""

    phrases: Mapping[tuple[str, ...], str]
    lengths: Mapping[str, tuple[int, ...]]  # first stem -> its aliases' lengths, longest first
    written: frozenset[str]  # the aliases' words as curators wrote them (typo targets)
    lasting: frozenset[str] = LASTING  # stems of things that last ("how long is" asks a duration)
    guarded: frozenset[str] = frozenset()  # tokens of guards: what the story does not say
    # Tokens of the story's own groups: content words even where a stopword shares the stem
    # ("judge", a player's name, is not the filler "judging").
    story_tokens: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        groups: Iterable[tuple[str, Iterable[str]]],
        lasting: frozenset[str] = frozenset(),
        guards: Iterable[str] = (),
        story: Iterable[str] = (),
    ) -> Synonyms:
        """Build from ``(canonical, aliases)`` pairs as written by curators; ``lasting``: the
        story's own things that last, beside the lexicon's; ``guards``: the canonical words of
        the guard groups; ``story``: the canonical words of the story's own groups."""
        phrases: dict[tuple[str, ...], str] = {}
        written: set[str] = set()
        for canonical, aliases in groups:
            target = canonical_token(canonical)
            for alias in (canonical, *aliases):
                alias_words = words(alias)
                written.update(w for w in alias_words if not w.startswith("@"))
                key = tuple(_alike(stem(w)) for w in alias_words)
                if key:
                    phrases[key] = target
        return cls(
            phrases,
            alias_lengths(phrases),
            frozenset(written),
            LASTING | lasting,
            frozenset(canonical_token(g) for g in guards),
            frozenset(canonical_token(c) for c in story),
        )

    def apply(self, stems: list[str]) -> list[str]:
        """Replace every alias phrase in ``stems`` by its canonical stem (greedy, longest)."""
        if not self.phrases:
            return stems
        alike = [_alike(s) for s in stems]
        out: list[str] = []
        i = 0
        while i < len(stems):
            size, canonical = self._alias_at(alike, i)
            # "that north korea": the alias "the north" must not take the first word of a
            # longer one after its article ("north korea")
            if canonical is not None and alike[i] == "the":
                after, _ = self._alias_at(alike, i + 1)
                if after >= size:
                    size, canonical = 0, None
            if canonical is not None:
                out.append(canonical)
                i += size
            else:
                out.append(stems[i])
                i += 1
        return out

    def _alias_at(self, alike: list[str], start: int) -> tuple[int, str | None]:
        """The longest alias at ``start``: its length in words and canonical stem (0, None
        when none starts there)."""
        if start < len(alike):
            for size in self.lengths.get(alike[start], ()):
                canonical = self.phrases.get(tuple(alike[start : start + size]))
                if canonical is not None:
                    return size, canonical
        return 0, None


# "where is that lab" is the alias "where is the lab": a phrase reads alike with any of these.
_DETERMINERS = {"that": "the", "these": "the", "those": "the"}


def _alike(stem: str) -> str:
    return _DETERMINERS.get(stem, stem)


def canonical_token(canonical: str) -> str:
    """The token a synonym group's canonical word becomes in analysed text."""
    return "_".join(stem(w) for w in words(canonical))


EMPTY_SYNONYMS = Synonyms({}, {}, frozenset())


class Vocabulary:
    """Surface words of the knowledge with their counts, bucketed for typo lookup."""

    __slots__ = ("_buckets", "_counts")

    def __init__(self, counts: Mapping[str, int]) -> None:
        english_words()  # read once while loading, not on a reader's first typo (~0.15 s)
        self._counts = dict(counts)
        buckets: dict[str, list[str]] = {}
        for word in self._counts:
            buckets.setdefault(word[0], []).append(word)
        self._buckets = buckets

    def __contains__(self, word: str) -> bool:
        return word in self._counts

    def __len__(self) -> int:
        return len(self._counts)

    def correct(self, word: str) -> str:
        """The known word a slip or two away from ``word`` (same first letter), else ``word``.

        Only misspellings are corrected: a real English word the knowledge does not use ("cost",
        "tend") is a topic the story may lack, not a typo. Words of three or four letters may be
        one slip off ("whin", "hve"), longer ones two ("trane", "chalenge").
        """
        if (
            len(word) < 3
            or word in self._counts
            or word in COMMON_WORDS
            or not word.isalpha()
            or word in english_words()
        ):
            return word
        dropped_g = word + "g"  # "goin", "takin": the commonest spelling of speech
        if word.endswith("in") and (dropped_g in self._counts or dropped_g in english_words()):
            return dropped_g
        found = process.extract(
            word,
            self._buckets.get(word[0], ()),
            scorer=OSA.distance,
            score_cutoff=1 if len(word) <= 4 or word in rare_english_words() else 2,
            limit=None,
        )
        # Two slips from a function word is another word, not a typo: read as "goes",
        # "gorges" would vanish from the question.
        found = [hit for hit in found if hit[1] <= 1 or hit[0] not in STOPWORDS]
        if not found:
            return word
        # The likeliest intended word: each slip makes a word ten times less likely, a word
        # the knowledge uses often is likelier, a dropped letter is the commonest slip of all
        # ("wich" is "which", not "with"), and a spelling by sound beats other slips ("trane"
        # is "train", not "trade").
        sounds = _skeleton(word)
        return max(
            found,
            key=lambda hit: (
                math.log(self._counts[hit[0]])
                - SLIP_COST
                * (hit[1] - _omits(word, hit[0]) / 2 - (_skeleton(hit[0]) == sounds) * 1.5),
                hit[0],
            ),
        )[0]


def english_words() -> frozenset[str]:
    """Common English words (pyspellchecker's frequency list): real words, never typos."""
    return _english_words()[0]


def rare_english_words() -> frozenset[str]:
    """Less common English words: real, or one slip off a word the knowledge uses."""
    return _english_words()[1]


@cache
def _english_words() -> tuple[frozenset[str], frozenset[str]]:
    """The common and the rare words of pyspellchecker's English word counts.

    Read straight from the package's word counts: building its SpellChecker would hold all
    160,000 words in memory at once (40 MiB at peak, against 8).
    """
    try:
        text = gzip.decompress((files("spellchecker") / "resources/en.json.gz").read_bytes())
    except OSError:  # a layout this does not know: the public way
        counts = SpellChecker(language="en").word_frequency.items()
    else:
        # only counts of three digits or more can reach RARE_WORD_COUNT: 0.1 s, not 0.5
        counts = ((word, int(count)) for word, count in _WORD_COUNT.findall(text.decode()))
    common, rare = set(), set()
    for word, count in counts:
        if count >= REAL_WORD_COUNT:
            common.add(word)
        elif count >= RARE_WORD_COUNT:
            rare.add(word)
    return frozenset(common), frozenset(rare)


@cache
def english_stems() -> frozenset[str]:
    """Stems of the English words, common and rare: everyday words a reader may use."""
    return frozenset(stem(w) for w in english_words() | rare_english_words())


_WORD_COUNT = re.compile(r'"([^"\\]+)": ?(\d{3,})')


def _skeleton(word: str) -> str:
    """The consonants of a word, doubles collapsed: what a spelling by ear keeps."""
    consonants = [c for c in word if c not in "aeiouy"]
    return "".join(c for i, c in enumerate(consonants) if i == 0 or c != consonants[i - 1])


def _omits(typo: str, word: str) -> bool:
    """True when ``typo`` is ``word`` with letters left out."""
    letters = iter(word)
    return len(typo) < len(word) and all(char in letters for char in typo)


_CLAUSE_BREAK = re.compile(
    # not the comma of a list ("China, Russia and North Korea"; not "..., or have there been")
    r"(?:[.?!;:\n]|,(?!\s*\w+(?:\s\w+)?\s+(?:and|or)\s+(?!(?:what|when|where|who|why|how|"
    r"which|is|are|was|were|did|does|do|will|can|could|has|have|had)\b)))[.?!;:,\n]*"
    r"|\s[-–—]+\s|"
    r"\s+(?:and|but|or|so)\s+(?=(?:(?:on|in|at|by|for|from|to|with)\s+)?(?:what|when|where|"
    r"who|why|how|which|is|are|was|were|did|does|do|will|can|could|has|have)\b)|"
    # "if i got on his train what would i eat": a question word and an auxiliary verb
    # mid-sentence start the ask ("...what he said" or "when kim arrived" do not)
    r"(?<=\w)\s+(?=(?:what|when|where|who|why|how|which)\s+(?:would|will|did|does|do|is|are|"
    r"was|were|can|could|should|has|have)\b)"
)
_QUESTION_START = re.compile(
    r"^\s*(?:(?:on|in|at|by|for|from|to|with)\s+(?=what|which|whom|when))?"  # "on what day..."
    r"(?:what|whats|when|where|who|whose|whom|why|how|which|is|are|was|were|did|does|do|"
    r"will|would|can|could|has|have|had|should)\b"
)


# Values a yes/no question may get wrong ("did he leave on Sunday?", "does it do 200 km/h?"):
# unknown to the knowledge, they are a premise to check, not a topic the story lacks.
PREMISE_WORDS: frozenset[str] = frozenset(
    """
    monday tuesday wednesday thursday friday saturday sunday weekend yesterday today tomorrow
    january february march april may june july august september october november december
    """.split()
)


SMALL_TALK: frozenset[str] = frozenset(
    """
    hi hello hey hiya howdy yo sup greetings good morning afternoon evening night day thanks
    thank you thx ty cheers bye goodbye ok okay cool great nice awesome lol haha there bot
    storybot dear all everyone folks guys much so very a lot welcome how are r u doing
    """.split()
)


# "did he fly?", "is it armored?", "doesn't it stop?": an auxiliary opens a yes/no question.
_YES_NO = re.compile(
    r"^\W*(?:do|does|did|is|are|was|were|can|could|will|would|has|have|had|should|shall|must"
    r"|may|might)(?:n'?t)?\b"
)


def asks_yes_no(text: str) -> bool:
    """True for a yes/no question ("Did Kim fly?", not "Why did Kim not fly?")."""
    return bool(_YES_NO.match(fold(text)))


def is_small_talk(text: str) -> bool:
    """True for greetings, thanks and chat that asks nothing ("good morning!", "thanks a lot",
    "can you help me?"): nothing to look up."""
    folded = fold(text)
    written = _split(folded)
    if written[:1] == ["how"] and written[1:] in ([], ["much"], ["so"]):
        # "how?", "how much?", "how so?" after an answer ask about it; "how are you" is chat
        return False
    return bool(written) and (
        all(word in SMALL_TALK for word in written) or not _split(_FRAMING.sub(" ", folded))
    )


# What a message means when it asks nothing about the story, told by general-language cues.
# The first kind whose cue a message has wins ("hi, sources please" asks for the sources).
CHAT_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "sources",
        re.compile(
            r"\b(?:sources|references|citations|bibliography|links)\b"
            r"|\bwhere (?:is|does|did) (?:this|that|it|all this) (?:come |came )?from\b"
            r"|\bwhere did (?:you|u) get (?:this|that|it)\b"
        ),
    ),
    (
        "help",
        re.compile(
            r"\b(?:help|commands|instructions|usage|menu)\b"
            r"|\bhow (?:does|do) (?:this|it|you|u) work\b|\bhow do i use (?:this|it|you|u)\b"
            r"|\bwhat (?:can|do) (?:you|u) (?:do|know)\b|\bwhat can i ask\b"
            r"|\b(?:who|what) are (?:you|u)\b"
        ),
    ),
    (
        "thanks",
        re.compile(
            r"\b(?:thanks|thank|thx|ty|tysm|cheers|appreciated?|thankyou|ta)\b"
            r"|\bmuch obliged\b"
        ),
    ),
)
# Words that may stand beside a cue in a message that is only that: "please give me the
# sources", "can you help me?", "ok great, thank you so much!".
CHAT_FILLER: frozenset[str] = SMALL_TALK | frozenset(
    """
    please pls plz me us i we my the a an your you u can could would will may might give show
    list send tell share what which where is are was get want need needs some any see do does
    have has just now again for of to with it that this these those its in on about story
    article news piece info really so much lot very ok okay great perfect got alright
    right kind sure yes yeah yep no nope hmm oh ah well then also find
    """.split()
)
MAX_CHAT_WORDS = 16  # a longer message asks something, or says more than hello


def chat_kind(text: str) -> str | None:
    """ "greeting", "thanks", "help" or "sources" when that is all a message says ("help",
    "thank you!", "sources please", "good morning"); None when it asks about the story.

    A cue beside any word that is not filler is part of a question: "help" asks for help,
    "how does china help developing countries" asks about the story.
    """
    folded = fold(text)
    written = _split(folded)
    if not written or len(written) > MAX_CHAT_WORDS:
        return None
    kind = None
    rest = folded
    for name, cue in CHAT_CUES:
        if cue.search(rest):
            kind = kind or name
            rest = cue.sub(" ", rest)
    if kind is not None:
        return kind if all(word in CHAT_FILLER for word in _split(rest)) else None
    return "greeting" if is_small_talk(text) else None


def question_clauses(text: str) -> list[str]:
    """The parts of a chatty message that ask something ("hey, so... when did he leave?").

    Empty when the text is a single clause: then the whole text is the question. A short
    fragment joined to a question by "and"/"or" asks too ("train speed and when did he
    leave"), and a clause that names nothing of its own asks about the topic of the part
    before it ("what is the parade for and when is it?": when is the parade).
    """
    pieces = _CLAUSE_SPLIT.split(fold(text))
    parts: list[tuple[str, bool]] = []  # each part, and whether "and"/"or" joins it to the next
    for number in range(0, len(pieces), 2):
        part = pieces[number].strip()
        joined = number + 1 < len(pieces) and pieces[number + 1].strip(" ,") in ("and", "or")
        if part:
            parts.append((part, joined))
        elif joined and parts:
            parts[-1] = (parts[-1][0], True)  # ", and when...": the comma came first
    if len(parts) < 2:
        return []
    clauses = []
    context = ""  # the last part that names its own topic
    topic = ""  # what the last question names ("the parade" of "what is the parade for")
    named = False  # the topic is a name set before the question ("the train, how fast is it?")
    for number, (part, joined) in enumerate(parts):
        asks = bool(_QUESTION_START.match(part))
        short = len(part.split()) <= MAX_FRAGMENT_WORDS and not _TELLING.match(part)
        fragment = joined and short
        ellipsis = bool(_ELLIPSIS.match(part))
        # (after a name set before the question, only a personal "it"/"he": "that" there is
        # more often a conjunction, "which outlet reported that Kim...")
        pronoun = (_PERSONAL if named else _PRONOUN).search(part)
        if (asks or fragment) and topic and pronoun and (named or not _names_something(part)):
            # "...and when is it?": "it" is what the question before names.
            clauses.append(f"{part[: pronoun.start()]}{topic}{part[pronoun.end() :]}")
        elif asks or fragment:
            # "who built the train and in what year?", "...a parade? what's it for?": a short
            # clause asks about what the part before it names.
            clauses.append(f"{part} {context}" if ellipsis and context else part)
        if not ellipsis:
            context = part
            asking = _ASKING_WORDS.sub("", _TRAILING_PREPOSITIONS.sub("", part)).strip()
            # a name set before the question ("Rob Gifford - what's his position?") is its topic
            named = number == 0 and short and not asks
            topic = asking if (asks or fragment or named) and _names_something(asking) else ""
    return clauses


MAX_FRAGMENT_WORDS = 4
# The split keeps each break, so the words joining two parts can be read.
_CLAUSE_SPLIT = re.compile(f"({_CLAUSE_BREAK.pattern})")
# A part that tells rather than names a topic ("i read it and when did he leave?").
_TELLING = re.compile(r"^(?:i|im|we|my|our|me|you|u|your|ok|okay|so|well|also)\b")
# The question words (and their verb) in front of a part, and the prepositions ending it:
# without them, "what is the parade for" names its topic, "the parade".
_ASKING_WORDS = re.compile(
    _QUESTION_START.pattern + r"(?:\s+(?:is|are|was|were|did|does|do|will|would|can|could|has"
    r"|have|had|should)\b)?"
)
_TRAILING_PREPOSITIONS = re.compile(r"(?:\s+(?:for|about|to|from|with|of|on|at|in|by))+\s*$")
_PRONOUN = re.compile(r"\b(?:it|they|them|this|that)\b")
_PERSONAL = re.compile(r"\b(?:it|its|they|them|their|he|him|his|she|her)\b")


def _names_something(part: str) -> bool:
    """True when a part has a word of its own beyond question words, pronouns and filler."""
    return any(w not in COMMON_WORDS for w in _split(part))


# A question word and at most one more word: "and in what year?", "why?", "where to?".
_ELLIPSIS = re.compile(
    r"^(?:(?:in|on|at|by|for|from|to|with) )?(?:what|whats|which|when|where|why|how|who|whom)"
    r"(?: \w+)?(?: (?:it|that|this|they|them|those|these|there))?(?: (?:to|from|for|about))?$"
)
# Asking without a question word: "I should be grateful to learn...", "tell me...".
_REQUEST = re.compile(
    r"\b(?:like|love|grateful|glad|want|wants|wanted|need|needs|curious|keen|eager) to "
    r"(?:know|learn|hear|understand|find out)\b|\b(?:tell|show|explain|remind) (?:me|us)\b"
    r"|\bwondering\b|\bcurious (?:about|whether|if)\b|\blet (?:me|us) know\b"
    # a question inside a telling one: "it made me wonder how many...", "I'd find out how fast"
    r"|\b(?:wonder|wondered|find out|figure out|found out)\s+(?:how|what|when|where|who|why"
    r"|which|whether|if)\b"
)
_PART = re.compile(r"(.+?)(?:([.?!;:,\n]+)|\s[-–—]+\s|\s(?:but|so)\s|$)")


def message_parts(text: str) -> list[tuple[str, bool]]:
    """A message cut at punctuation and at "but"/"so", where framing ends and a question
    starts ("sorry if this is dumb but, publisher?"): each part, and whether it asks
    something (ends in "?" or starts like a question)."""
    parts = []
    for match in _PART.finditer(fold(text)):
        part = match.group(1).strip()
        if part:
            asks = (
                "?" in (match.group(2) or "")
                or bool(_QUESTION_START.match(part))
                or bool(_REQUEST.search(part))
            )
            parts.append((part, asks))
    return parts


def asking_sentences(text: str, limit: int) -> str:
    """What a long message asks, as a reader finds it: the sentences that ask (a question, or
    "I'd love to know..."), each short one with the sentence before it (what "when is it?"
    is about), at most ``limit`` characters. With no sentence that asks, the message's end.
    """
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    kept: list[str] = []
    for number, sentence in enumerate(sentences):
        folded = fold(sentence)
        asks = "?" in folded or _ASKING_SENTENCE.search(folded) or _REQUEST.search(folded)
        if not asks:
            continue
        if number and len(sentence.split()) < MAX_SHORT_QUESTION_WORDS:
            previous = sentences[number - 1]
            if len(previous) <= MAX_CONTEXT_CHARS and (not kept or kept[-1] != previous):
                kept.append(previous)
        kept.append(sentence)
    if not kept:
        return _tail(" ".join(text.split()), limit)
    found = " ".join(" ".join(kept).split())
    return found if len(found) <= limit else _tail(found, limit)


def _tail(text: str, limit: int) -> str:
    """The last ``limit`` characters of ``text``, from a word's start."""
    if len(text) <= limit:
        return text
    cut = text[-limit:]
    return cut.partition(" ")[2] or cut


MAX_SHORT_QUESTION_WORDS = 6
MAX_CONTEXT_CHARS = 300  # a longer sentence before a short question is not its topic
# A sentence that starts like a question, or has a clause that does ("anyway, how fast...";
# not ", which is..." or ", when he left", which are not questions).
_ASKING_SENTENCE = re.compile(_QUESTION_START.pattern + r"|[,;:-]\s*(?:what|why|how)\b")
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+|\n+")


def asking_part(text: str) -> str | None:
    """The sentences of a chatty message that ask, without those that ask nothing: a greeting,
    a sign-off, "asking for a friend", or what the reader heard or thinks ("my dad says Kim
    hates flying. so how did he get to China?"). An asking sentence that points back ("is that
    true?", "what is it for?") or names nothing keeps the sentence before it.

    None when every sentence asks or none does: then the whole message is the question.
    """
    sentences = [s.strip() for s in _CHAT_SENTENCE_END.split(text) if s and s.strip()]
    asking = [_asks(fold(sentence)) for sentence in sentences]
    if all(asking) or not any(asking):
        return None
    kept: list[str] = []
    for number, sentence in enumerate(sentences):
        if not asking[number]:
            continue
        if number and _needs_context(sentence):
            previous = sentences[number - 1]
            if not asking[number - 1] and len(previous) <= MAX_CONTEXT_CHARS:
                kept.append(_ended(previous))
        kept.append(_ended(sentence))
    return " ".join(" ".join(kept).split())


def _needs_context(sentence: str) -> bool:
    """True when an asking sentence is about the one before it: it names nothing of its own,
    or a word of it points back and it names little else ("what's gonna be in it?")."""
    named = [w for w in _split(_FRAMING.sub(" ", fold(sentence))) if w not in COMMON_WORDS]
    return not named or (
        bool(_POINTS_BACK.search(fold(sentence))) and len(named) <= MAX_POINTING_WORDS
    )


def _ended(sentence: str) -> str:
    """The sentence with an end mark (one cut at emoji has none), so it stays a sentence."""
    return sentence if sentence[-1] in ".?!" else sentence + "."


MAX_POINTING_WORDS = 1


def _asks(folded: str) -> bool:
    """True when a sentence asks: a "?", a question word or auxiliary in front ("is it armoured
    or nah", not "have a nice day"), or a request ("I should be grateful to learn...")."""
    folded = _OPENERS.sub("", folded)
    return (
        "?" in folded
        or (bool(_ASKING_SENTENCE.search(folded)) and not _WISH.match(folded))
        or bool(_REQUEST.search(folded))
        or bool(_FRAMING.search(folded) and _REQUEST_FRAMING.search(folded))
    )


# Sentences end at their punctuation, at a line break, and in chat at a run of emoji.
_CHAT_SENTENCE_END = re.compile(
    r"(?<=[.?!])\s+|\n+|\s*[\u2600-\u27bf\U0001f000-\U0001faff][\u2600-\u27bf"
    r"\U0001f000-\U0001faff\ufe0f\u200d]*\s*"
)
# Words that stand for something said before: the sentence they are in needs that one.
_POINTS_BACK = re.compile(
    r"\b(?:it|they|them|she|her|those|these)\b|\b(?:this|that)(?=\s*(?:\W*$|is\b|was\b|right"
    r"|true|correct|mean|about|for\b))"
)
# Chat in front of a question: "yo who's he meeting", "ok so, is it armoured".
_OPENERS = re.compile(
    r"^(?:\W*\b(?:hi|hey|hello|yo|ok|okay|so|well|anyway|anyways|lol|haha|bro|bruh|dude|ngl"
    r"|tbh|fr|oh|hmm|um|right|and|but|also|btw)\b)+\W*"
)
# An auxiliary in front that does not ask: "have a lovely day", "can't wait", "would love it".
_WISH = re.compile(
    r"^\W*(?:have|has|had|do|did|will|would|can|could|should)(?:n't|nt|'t| not| a| an| love"
    r"| like| appreciate| be (?:great|nice|lovely|good|fun|cool))\b"
)
# Framing that asks: the courtesy in front of a letter's question.
_REQUEST_FRAMING = re.compile(
    r"\b(?:tell|let|inform|advise|learn|know|hear|state|confirm|explain|clarify|share)\b"
)


def analyse(
    text: str,
    synonyms: Synonyms = EMPTY_SYNONYMS,
    vocabulary: Vocabulary | None = None,
) -> list[str]:
    """Content stems of ``text``: stopwords dropped, typos fixed, synonyms applied."""
    return analyse_surface(surface_words(text), synonyms, vocabulary)


def analyse_surface(
    surface: list[str],
    synonyms: Synonyms = EMPTY_SYNONYMS,
    vocabulary: Vocabulary | None = None,
) -> list[str]:
    """`analyse` for text already split by `surface_words` (saves folding it twice)."""
    tokens = _focused(surface, vocabulary, synonyms.lasting)
    stems = synonyms.apply([stem(w) for w in tokens if w not in _FILLER_FORMS])
    return [s for s in stems if s not in _STOP_STEMS or s in synonyms.story_tokens]


# Filler as written, dropped before stemming, whose stem is a topic word of its own
# ("basically" is filler, "basic" is not). "Kind", "guy", "actual", "help" and "regard" stay
# stopped: "this kind of train", "the Xi guy", "the actual parade" are filler too.
_FILLER_FORMS = frozenset(
    """
    basically exactly honestly literally presently roughly seriously totally interesting
    concerning quite folks searched googled
    """.split()
)
# Stopwords as written and as stemmed (synonyms may produce either form).
_STOP_STEMS: frozenset[str] = STOPWORDS | frozenset(stem(w) for w in STOPWORDS - _FILLER_FORMS)


# "which army unit...", "what is the deadline...", "what kind of job...": the words after a
# which/what name the thing the question asks for.
_ASKED_FOR = re.compile(
    r"\b(?:which|what)(?:\s+(?:kind|sort|type)s?\s+of)?(?:\s+(?:is|was|are|were))?"
    r"(?:\s+(?:the|a|an|his|her|their|its|this|that|these|those))?\s+(\w+)(?:\s+(\w+))?"
    # "how much electricity", "how many kilometers" (not "how much does it cost")
    r"|\bhow (?:much|many)\s+(?!(?:do|does|dose|did|is|are|was|were|can|will|would|could"
    r"|should|has|have|had)\b)(\w+)"
)


def asked_for(
    text: str, synonyms: Synonyms = EMPTY_SYNONYMS, vocabulary: Vocabulary | None = None
) -> frozenset[str]:
    """Stems of what a which/what question asks for: "which army unit?" -> army, unit."""
    found: set[str] = set()
    for match in _ASKED_FOR.finditer(fold(text)):
        words = " ".join(word for word in match.groups() if word)
        found.update(analyse(words, synonyms, vocabulary))
    return frozenset(found)


# A year or a date is a time, not an amount: "since 2021" or "on 1 September" does not say how
# many samples there are; nor is a name's number ("Hwasong-20", "X-59", "COVID-19").
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
NOT_AMOUNTS = re.compile(
    rf"\b(?:1[5-9]|20)\d\d\b|(?<=[^\W\d_])-?\d+"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}|\b{_MONTH}\s+\d{{1,2}}\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
    r"|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty"
    r"|ninety|hundreds?|thousands?|millions?|billions?|trillions?|dozens?|half|twice|double"
    r"|triple|once|none|zero|several|few|couple"
)
_ENGLISH_AMOUNT = re.compile(rf"\d|\b(?:{_NUMBER_WORDS}|percent)\b")


# "China, Laos, Thailand, Myanmar, Cambodia and Vietnam": three names or more say how many.
_NAMED_LIST = re.compile(r"\b[A-Z][\w-]*(?:,\s+[A-Z][\w-]*)+,?\s+and\s+[A-Z][\w-]*")
# ...as the measure rules read it, lowercased ("kansas, new mexico and colorado")
_LIST = r"\b\w+(?: \w+)?(?:, \w+(?: \w+)?)+,? and \w+"


def states_amount(text: str) -> bool:
    """True when an English text gives a number or an amount ("26", "twice", "billions"), or
    lists three names or more."""
    # times before folding: folding reads "1,960" as 1960
    return bool(_ENGLISH_AMOUNT.search(fold(NOT_AMOUNTS.sub(" ", text)))) or bool(
        _NAMED_LIST.search(text)
    )


_CURRENCY = r"dollars?|euros?|pounds?|cents?|yuan|yen|rubles?|roubles?|won"
_MONEY = rf"[$€£¥₩₽]|\b(?:{_CURRENCY})\b"
# Units a question may ask its answer in ("..., in volts?"): the answer must use that word.
_UNITS = (
    r"volts|watts|degrees|celsius|fahrenheit|miles|kilomet(?:er|re)s|met(?:er|re)s|feet|inches"
    r"|kilograms|pounds|tons|tonnes|liters|litres|gallons|calories|dollars|euros|mph|knots"
)


# What an answer to "how heavy / tall / far / old" must name: a unit of that measure. (Sizes
# in general, "how big", may be given in anything: no rule.)
# A length, but not a speed ("60 km/h", "kilometers an hour").
_LENGTH = (
    r"(?:met(?:er|re)s?|feet|foot|ft|km|kilomet(?:er|re)s?|miles?|cm|inch(?:es)?)\b"
    r"(?!\s*(?:/\s*h|per hour|an hour|a hour|ph)\b)"
)
_MEASURES = (
    (re.compile(r"\bhow heavy\b|\bweigh"), r"kilo|\bkg\b|pound|\blbs?\b|\btons?\b|tonne|gram"),
    (re.compile(r"\bhow (?:tall|high)\b|\baltitude\b"), rf"\b{_LENGTH}|altitude|stor(?:e?y|ies)"),
    (re.compile(r"\bhow (?:wide|far)\b|\bdistance\b"), rf"\b{_LENGTH}"),
    # (an age, not any number: "in 2020" or "three years" is no one's age; the story's own
    # age, "how old is this news?", is its date)
    (
        re.compile(
            r"\bhow old\b(?! (?:is|are|was) (?:this|the|that) (?:news|article|story|report"
            r"|piece|post|info|information)\b)"
        ),
        r"\byears?[ -]old\b|\baged?\b|\bborn\b|\bages?\b",
    ),
    # A time of day: "what time does it start?" is not answered by the day alone.
    (
        re.compile(r"\b(?:what|which) (?:time|hour)\b(?! (?:of (?:the )?(?:year|day|month)|zone))"),
        r"\d:\d\d|\d\s*(?:a\.?m\b|p\.?m\b)|o'clock|\bnoon\b|midnight|midday|morning|afternoon"
        r"|evening|\bnight\b|\bdawn\b|\bdusk\b|overnight|\bhours?\b",
    ),
    # "how long ago": time since, in years or days ("80 years since..."), not a date
    (
        re.compile(r"\bhow long ago\b|\bhow (?:many|much) \w+ ago\b"),
        r"\bago\b|\bsince\b|\b(?:years?|days?|weeks?|months?|hours?|decades?|centur(?:y|ies))\b",
    ),
    # "last year", "last season": an answer about this one, or with no year, does not say.
    (
        re.compile(r"\blast (?:year|season)\b"),
        r"\blast (?:year|season)\b|\b(?:1[5-9]|20)\d\d\b|\bprevious"
        r"|\ba year (?:ago|earlier|before)",
    ),
    # A share: "what percent / what share of...", "..., in percent?".
    (
        re.compile(
            r"\b(?:what|which) (?:percent(?:age)?|share|proportion|fraction)\b|\bin percent"
        ),
        r"%|\bper ?cent|\bhalf\b|\bthirds?\b|\bquarters?\b|\bfifths?\b|\btenths?\b"
        r"|\bmajority\b|\bmost\b|\bout of\b|\b(?:one|1) in\b",
    ),
    # A price or a sum spent: a number of other things does not say it. (Time spent is a
    # duration: "how much time did he spend on the train?")
    (
        re.compile(
            r"\bhow much (?:(?!time\b)\w+ )*(?:cost(?:s|ing)?|spen(?:d|ds|t|ding)"
            r"|pa(?:y|ys|id|ying)|charg(?:e|es|ed|ing)|earn(?:s|ed|ing)?"
            r"|worth|money|budget|funding)\b|\bwhat(?: is| was)? the (?:price|cost)\b"
            r"|\bwhat (?:does|did|do|will|would)(?: \w+){1,4} cost\b"
        ),
        rf"{_MONEY}|\bfree\b|\bprices?\b|\bcosts?\b",
    ),
    # A unit asked outright: "how strong is the shock, in volts?"
    (re.compile(rf"\bin ({_UNITS})\W*$"), ""),
    # "how many cattle?": a count, not a price or a share ("$59 a month", "70 percent").
    (
        re.compile(r"\bhow many\b(?! (?:dollars|euros|pounds|cents|percent))"),
        rf"(?<![$€£¥\w.,-])(?!(?:1[5-9]|20)\d\d\b)(?:\d[\d,.]*|{_NUMBER_WORDS})\b"
        rf"(?!\s*(?:of\s+)?(?:%|per ?cent|{_CURRENCY})\b)|{_LIST}",
    ),
)


def measure_units(question: str) -> re.Pattern[str] | None:
    """The units an answer must name for the measure an English question asks ("how heavy
    is it?": kilograms, tons...); None when it asks no such measure."""
    # read as typed in chat too: "wat time does it start"
    folded = " ".join(_CHAT_SPELLINGS.get(word, word) for word in fold(question).split())
    for asks, units in _MEASURES:
        asked = asks.search(folded)
        if asked and asked.groups():  # the unit named: singular or plural
            return re.compile(rf"\b{re.escape(asked.group(1).removesuffix('s'))}")
        if asked:
            return re.compile(units)
    return None
