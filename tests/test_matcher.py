"""Matching on the bundled knowledge, the confidence bands, the eval sets, and text.py."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from helpers_knowledge import BUNDLED, REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from spellchecker import SpellChecker

from bot.engine.answering import Bands, answer_question
from bot.engine.evaluation import evaluate, load_cases
from bot.engine.loader import load
from bot.engine.model import Outcome, Snapshot
from bot.engine.text import (
    REAL_WORD_COUNT,
    Synonyms,
    Vocabulary,
    analyse,
    english_words,
    fold,
    stem,
    words,
)

DEV_QUESTIONS = Path(__file__).resolve().parents[2] / "shared/eval/dev_questions.yaml"

# Floors for the independent question sets (written from the story alone, without looking
# at the knowledge): the figures when last raised minus about one question, so a regression
# fails while noise does not. Raise them as the bot improves (`storybot eval FILE`).
INDEPENDENT_SETS = {
    "reader_questions.yaml": {"answerable": 0.96, "unrelated": 1.0, "nearmiss": 0.9},  # 96, 28/30
    "holdout_questions.yaml": {"answerable": 0.95, "unrelated": 1.0, "nearmiss": 0.91},  # 96, 33/35
    "fresh_questions.yaml": {"answerable": 0.83, "unrelated": 1.0, "nearmiss": 0.9},  # 81/96, 28
    "final_questions.yaml": {"answerable": 0.9, "unrelated": 1.0, "nearmiss": 0.86},  # 87/95, 27
    "readers2_questions.yaml": {"answerable": 0.95, "unrelated": 1.0, "nearmiss": 0.94},  # 96, 34
    "channel_questions.yaml": {"answerable": 0.9, "unrelated": 1.0, "nearmiss": 0.8},  # 87/95, 25
    "newsroom_questions.yaml": {"answerable": 0.9, "unrelated": 1.0, "nearmiss": 0.86},  # 87, 27
    "tester_questions.yaml": {"answerable": 0.86, "unrelated": 1.0, "nearmiss": 0.96},  # 83, 30
    "everyday_questions.yaml": {"answerable": 0.88, "unrelated": 1.0, "nearmiss": 0.96},  # 85, 30
    "chatty_questions.yaml": {"answerable": 0.84, "unrelated": 1.0, "nearmiss": 0.8},  # 43/50, 8/10
    # measured once (eleventh session): 89/100, 30/30, 29/30
    "street_questions.yaml": {"answerable": 0.89, "unrelated": 1.0, "nearmiss": 0.96},  # 90, 29
}


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    return load(BUNDLED)


def entry_of(snapshot: Snapshot, question: str) -> str | None:
    """The id of the entry answered, or None when the bot did not answer."""
    answer = answer_question(snapshot, question)
    return answer.entry.id if answer.answered and answer.entry else None


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        # typos
        ("how fast is kims trian", "train-speed"),
        ("wat colour is the trian", "train-colour"),
        ("kim arival china", "arrival-time"),
        ("Which Hwasnog missiles were mentioned?", "hwasong-missiles"),
        # what will happen at an event is its lineup, not anything about it
        ("What's going to happen at the parade in Beijing?", "parade-features"),
        ("whats gonna happen at the beijing parade", "parade-features"),
        # how to answer is no topic
        ("My son asks why Kim went to China. What's the short answer?", "trip-purpose"),
        ("in plain english, how fast is the train", "train-speed"),
        ("North Korea backed Xi's new global setup: who is it meant to help?", "global-order"),
        # a number the story does not give is checked by the entry that counts the same thing
        ("are there like 50 leaders going", "other-leaders"),
    ],
)
def test_typos_and_everyday_framing(snapshot: Snapshot, question: str, entry: str):
    assert entry_of(snapshot, question) == entry


def test_word_order_does_not_matter(snapshot: Snapshot):
    first, second = (answer_question(snapshot, q) for q in ("kim train speed", "train speed kim"))
    assert first.answered and first.entry == second.entry
    assert first.confidence == pytest.approx(second.confidence)


@pytest.mark.parametrize(
    ("question", "variant"),
    [
        ("is the train armored", "is the train armoured"),
        ("is the train armored", "is the train bulletproof"),
        ("why did kim go to beijing", "why did kim go to peking"),
        ("how many km/h does the train do", "how many kilometres per hour does the train do"),
    ],
)
def test_synonyms_reach_the_same_entry(snapshot: Snapshot, question: str, variant: str):
    expected = entry_of(snapshot, question)
    assert expected is not None
    assert entry_of(snapshot, variant) == expected


@pytest.mark.parametrize(
    ("question", "entry"),
    [("how fast", "train-speed"), ("destination", "destination"), ("parade", None)],
)
def test_short_fragments(snapshot: Snapshot, question: str, entry: str | None):
    answered = entry_of(snapshot, question)
    assert answered is not None
    assert entry is None or answered == entry


@pytest.mark.parametrize(
    ("question", "entry", "says"),
    [
        ("did kim fly to china?", "did-kim-fly", "train"),
        ("did kim go by car?", "did-kim-fly", "train"),
        ("is the train armoured?", "train-armored", "armored"),
    ],
)
def test_yes_no_questions(snapshot: Snapshot, question: str, entry: str, says: str):
    answer = answer_question(snapshot, question)
    assert answer.answered and answer.entry and answer.entry.id == entry
    assert says in (answer.text or "").lower()


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of France?",
        "who won the world cup",
        "recipe for pancakes",
        "",
        "???",
        "How long is Kim's train?",
        "What is the range of the Hwasong-20?",
        "How heavy is Kim's train?",
        "How many planes flew over the parade?",
    ],
)
def test_abstains_on_unrelated_and_near_misses(snapshot: Snapshot, question: str):
    assert not answer_question(snapshot, question).answered


def test_did_you_mean_for_ambiguous_one_word_queries(snapshot: Snapshot):
    # Which single words are ambiguous changes as curators add phrasings: take the story's own.
    story = " ".join(source.text for source in snapshot.sources.values())
    candidates = sorted({w for w in fold(story).split() if w.isalpha() and len(w) > 3})
    offered = [
        a
        for a in (answer_question(snapshot, w) for w in candidates)
        if a.outcome is Outcome.SUGGESTED
    ]
    assert offered, "no word of the story gets a 'did you mean'"
    for answer in offered:
        assert answer.text is None and answer.entry is None
        assert 1 <= len(answer.suggestions) <= 3
        for suggestion in answer.suggestions:
            assert snapshot.entries[suggestion.entry].question == suggestion.question
    assert any(len(a.suggestions) >= 2 for a in offered)


def test_curated_phrasings_answer_their_own_entry(snapshot: Snapshot):
    total, own = 0, 0
    for entry in snapshot.entries.values():
        for phrasing in (entry.question, *entry.phrasings):
            total += 1
            own += entry_of(snapshot, phrasing) == entry.id
    assert own / total >= 0.95, f"only {own}/{total} phrasings answer their own entry"


STORY_WORDS = (
    "how when where who did kim train parade beijing xi putin fast missile speed the armoured "
    "60 km/h monday leave arrive day trian is was many"
).split()


@settings(max_examples=150, deadline=None)
@given(
    question=st.text(max_size=120)
    | st.lists(st.sampled_from(STORY_WORDS), max_size=12).map(" ".join)
)
def test_confidence_is_between_zero_and_one(snapshot: Snapshot, question: str):
    answer = answer_question(snapshot, question)
    assert 0.0 <= answer.confidence <= 1.0
    for match in snapshot.index.search(question):
        assert 0.0 <= match.confidence <= 1.0


def test_bands_follow_the_thresholds(snapshot: Snapshot):
    question = "how many kilometres per hour does the train go"
    answer = answer_question(snapshot, question)
    assert answer.answered
    confidence = answer.confidence
    assert 0.5 < confidence < 0.99
    above = min(1.0, confidence + 0.005)
    assert answer_question(snapshot, question, Bands(answer=confidence, suggest=0.1)).answered
    suggested = answer_question(snapshot, question, Bands(answer=above, suggest=confidence))
    assert suggested.outcome is Outcome.SUGGESTED
    assert suggested.suggestions[0].entry == answer.entry.id
    abstained = answer_question(snapshot, question, Bands(answer=above, suggest=above))
    assert abstained.outcome is Outcome.ABSTAINED


def test_bands_reject_inverted_thresholds():
    with pytest.raises(ValueError, match="suggest <= answer"):
        Bands(answer=0.4, suggest=0.6)


def test_dev_set_targets(snapshot: Snapshot):
    if not DEV_QUESTIONS.is_file():
        pytest.skip(f"dev set not found at {DEV_QUESTIONS} (../shared/eval from the repo root)")
    report = evaluate(snapshot, load_cases(DEV_QUESTIONS))
    rates = {group: report.rate(group) for group in ("answerable", "unrelated", "nearmiss")}
    misses = [case.question for case, _ in report.misses()]
    answerable, unrelated, nearmiss = (c / t for c, t in rates.values())
    assert answerable >= 0.95, (rates, misses)
    assert unrelated == 1.0, (rates, misses)
    assert nearmiss >= 0.80, (rates, misses)


@pytest.mark.parametrize("name", INDEPENDENT_SETS)
def test_independent_sets_do_not_regress(snapshot: Snapshot, name: str):
    report = evaluate(snapshot, load_cases(REPO / "tests/data" / name))
    rates = {}
    for group in INDEPENDENT_SETS[name]:
        correct, total = report.rate(group)
        assert total, f"no {group} questions in {name}"
        rates[group] = correct / total
    floors = INDEPENDENT_SETS[name]
    below = {g: f"{rates[g]:.1%} < {floor:.0%}" for g, floor in floors.items() if rates[g] < floor}
    assert not below, below


def one_typo(question: str, rng: random.Random) -> str:
    """The question with one word of four letters or more mistyped: a swap, a dropped or
    doubled letter, or a wrong vowel, never the first letter."""
    words_ = question.split()
    choices = [i for i, w in enumerate(words_) if len(w) >= 4 and w.isalpha()]
    if not choices:
        return question
    i = rng.choice(choices)
    word = words_[i].lower()
    at = rng.randrange(1, len(word) - 1)
    vowels = [j for j, c in enumerate(word) if c in "aeiou" and j > 0]
    slip = rng.choice(["swap", "drop", "double", "vowel"] if vowels else ["swap", "drop"])
    if slip == "swap":
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    elif slip == "drop":
        word = word[:at] + word[at + 1 :]
    elif slip == "double":
        word = word[:at] + word[at] + word[at:]
    else:
        j = rng.choice(vowels)
        word = word[:j] + rng.choice("aeiou".replace(word[j], "")) + word[j + 1 :]
    words_[i] = word
    return " ".join(words_)


def robustness(snapshot: Snapshot, variant: Callable[[str], str]) -> tuple[float, float]:
    """Over the questions of the independent sets that the bot gets right as written, two
    variants each: the share of answerable ones still answered, and of the others still
    abstained."""
    counts = {"answer": [0, 0], "abstain": [0, 0]}  # right, asked
    for name in INDEPENDENT_SETS:
        for case in load_cases(REPO / "tests/data" / name):
            if not case.judge(answer_question(snapshot, case.question)):
                continue
            for _ in range(2):
                counts[case.expect][0] += case.judge(
                    answer_question(snapshot, variant(case.question))
                )
                counts[case.expect][1] += 1
    return counts["answer"][0] / counts["answer"][1], counts["abstain"][0] / counts["abstain"][1]


def test_one_typo_per_question_still_gets_the_answer_or_the_abstention(snapshot: Snapshot):
    rng = random.Random(2025)
    answered, abstained = robustness(snapshot, lambda question: one_typo(question, rng))
    # 94.3% and 99.3% over the seven sets when last measured; over the first four, before real
    # English words were told from typos: 80.5% and 99.8%.
    assert answered >= 0.92 and abstained >= 0.98, (answered, abstained)


def test_chat_around_a_question_changes_nothing(snapshot: Snapshot):
    framings = yaml.safe_load((REPO / "tests/data/framings.yaml").read_text(encoding="utf-8"))
    rng = random.Random(2025)

    def framed(question: str) -> str:
        return rng.choice(framings["prefixes"]) + question + rng.choice(framings["suffixes"])

    answered, abstained = robustness(snapshot, framed)
    # 91.4% and 100% over the seven sets when last measured; over the first four, before
    # framing phrases and framing-only parts of a message were set aside: 69.7% and 99.1%.
    assert answered >= 0.87 and abstained >= 0.99, (answered, abstained)


# --- text.py ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("ＫＩＭ ﬁne", "kim fine"),  # NFKC: full-width letters, ligatures
        ("Straße", "strasse"),  # case folding, not just lower()
        ("Kim’s train", "kim train"),  # curly apostrophe, then the possessive
        ("the trio's plans", "the trio plans"),
        ("“quoted” ‘words’", "\"quoted\" 'words'"),
        ("1,960 kN", "1960 kn"),
        ("3.5 and 1,96", "3.5 and 1,96"),  # not digit grouping
        ("zero\u200bwidth", "zerowidth"),
    ],
)
def test_fold(raw: str, folded: str):
    assert fold(raw) == folded


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("How many planes flew?", "@count"),
        ("how much wine", "@count"),
        ("How long is the train?", "@length"),
        ("How long can one of these fish get?", "@length"),
        ("how long do they grow", "@length"),
        ("how long does he get to stay", "@duration"),
        ("At what point of the day did he arrive?", "@when"),
        ("how long was the trip", "@duration"),
        ("how long did it take", "@duration"),
        ("When did he leave?", "@when"),
        ("which day", "@when"),
        ("Where is Kim going?", "@where"),
        ("what city", "@where"),
        ("Who is Xi?", "@who"),
        ("why go", "@why"),
        ("how heavy is it", "@size"),
        ("how old is he", "@age"),
        ("how far is beijing", "@distance"),
    ],
)
def test_focus_tokens(question: str, focus: str):
    tokens = words(question)
    assert [t for t in tokens if t.startswith("@")] == [focus]


def test_words_corrects_typos_before_focus():
    vocabulary = Vocabulary({"which": 5, "city": 3})
    assert words("wich city", vocabulary) == ["@where"]


def test_synonyms_apply_longest_match_first():
    synonyms = Synonyms.build([("dprk", ["north korea"]), ("northward", ["north"])])
    assert synonyms.apply(["north", "korea", "north"]) == ["dprk", "northward"]
    capital = Synonyms.build([("beijing", ["capital of china"]), ("china", ["chinese"])])
    stems = [stem(w) for w in words("the capital of china is chinese")]
    assert capital.apply(stems) == ["the", stem("beijing"), "is", "china"]
    assert Synonyms.build([]).apply(["a", "b"]) == ["a", "b"]
    # an alias after an article ("the north") leaves a longer one its first word
    north = Synonyms.build([("dprk", ["the north", "north korea"]), ("first", ["first time"])])
    assert north.apply(["that", "north", "korea"]) == ["that", "dprk"]
    assert north.apply(["the", "north", "said"]) == ["dprk", "said"]
    assert north.apply(["the", "first", "time"]) == ["the", "first"]


def test_back_in_a_year_is_that_year():
    assert analyse("What was she charged with back in 2020?") == analyse(
        "What was she charged with in 2020?"
    )
    assert analyse("did china back the plan") != analyse("did china the plan")


def test_is_it_accurate_frames_a_fact_check_as_is_it_true_does():
    assert analyse("Is it accurate that North Korea builds ICBMs from carbon fiber?") == analyse(
        "Is it true that North Korea builds ICBMs from carbon fiber?"
    )


def test_numbers_read_alike_in_digits_and_words():
    assert analyse("what do the 3 countries have in common") == analyse(
        "what do the three countries have in common"
    )
    assert "1" not in analyse("which one is faster")  # "one" is also a pronoun
    # "2" is "to" in chat after a verb of going, a number elsewhere
    assert analyse("wen did kim get 2 china") == analyse("when did kim get to china")
    assert "2" in analyse("which 2 models")
    # "dose" is "does" before its subject, a dose elsewhere
    assert analyse("how fast dose the train go") == analyse("how fast does the train go")
    assert "dose" in analyse("a second dose of the vaccine")
    # "b" is "be" after a modal, a letter elsewhere
    assert analyse("who else gonna b there") == analyse("who else is going to be there")
    assert "b" in analyse("plan b")


def test_apart_from_says_no_more():
    # "apart" is the stem of "apartment": "apart from kim" must not ask about homes
    assert analyse("who is going apart from kim") == analyse("who is going, kim")


def test_wise_after_a_hyphen_says_what_about():
    assert analyse("and trade-wise?") == ["trade"]
    assert analyse("money-wise, how much") == analyse("money, how much")


def test_a_phrase_reads_alike_with_the_or_that():
    where = Synonyms.build([("lablocation", ["where is the lab"])])
    for asked in ("where is that lab", "where is the lab"):
        assert where.apply([stem(w) for w in words(asked)]) == [stem("lablocation")], asked
    # "this time" is not "the time": only that, these and those read as "the"
    assert Synonyms.build([("when", ["the time"])]).apply(["this", "time"]) == ["this", "time"]
    # words that match no phrase stay as written
    assert where.apply(["that", "lab"]) == ["that", "lab"]


@pytest.mark.parametrize(
    ("counts", "word", "corrected"),
    [
        ({"train": 3}, "trian", "train"),  # a transposition is one typo
        ({"lobster": 2}, "lobstre", "lobster"),
        ({"hwasong": 2}, "hwsaogn", "hwasong"),  # seven letters or more: two typos
        ({"train": 3}, "train", "train"),
        ({"beijing": 3}, "peijing", "peijing"),  # the first letter must match
        ({"bread": 1, "break": 9}, "breal", "break"),  # ties go to the commoner word
        ({"bread": 9, "break": 1}, "breal", "bread"),
        ({"cat": 1}, "cst", "cat"),  # three or four letters: one slip
        ({"when": 1}, "whin", "when"),
        ({"cat": 1}, "ct", "ct"),  # two letters are left alone
        ({"have": 9}, "hve", "have"),
        ({"whet": 100}, "what", "what"),  # question and function words are never typos
        ({"coast": 9}, "cost", "cost"),  # nor are real English words the knowledge lacks
        ({"tent": 9}, "tend", "tend"),
        ({"train": 3}, "tr4in", "tr4in"),  # not a word
        ({"parade": 3}, "pxrxde", "parade"),  # five letters or more: two slips
        ({"parade": 3}, "pxrxdx", "pxrxdx"),  # three: too far
        ({"train": 3, "trade": 3}, "trane", "train"),  # spelt as it sounds
        ({"gain": 50, "going": 1}, "goin", "going"),  # a dropped g
        ({"gain": 50}, "talkin", "talking"),
        ({"goes": 9}, "gorges", "gorges"),  # two slips from a function word: another word
        ({"america": 9}, "africa", "africa"),  # a less common word: one slip at most
        ({"long": 9}, "lon", "long"),
        ({"goes": 9}, "gose", "goes"),  # one: a typo of it
    ],
)
def test_vocabulary_correct(counts: dict[str, int], word: str, corrected: str):
    assert Vocabulary(counts).correct(word) == corrected


def test_english_words_are_pyspellcheckers_common_words():
    counts = SpellChecker(language="en").word_frequency.items()
    assert english_words() == {w for w, count in counts if count >= REAL_WORD_COUNT}
    assert {"cost", "built", "tend", "hotel"} <= english_words()
    assert not {"whin", "trane", "grean", "hve"} & english_words()


def test_an_acronym_s_plural_stems_as_the_acronym():
    """Snowball keeps "mvps" (no vowel to stem after): "how many MVPs" asks about the MVP."""
    assert [stem(w) for w in ("mvps", "icbms", "mvp", "bus", "this")] == [
        "mvp", "icbm", "mvp", "bus", "this"
    ]  # fmt: skip
