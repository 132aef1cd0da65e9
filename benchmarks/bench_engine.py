"""Engine benchmark: answer latency, load time and memory, beside a brute-force rapidfuzz baseline.

    python benchmarks/bench_engine.py [--sizes 1000,10000,100000] [--profile]

Prints figures only (no assertions). Runs on the bundled knowledge and on synthetic knowledge
generated into a temporary directory with about 10 phrasings, one fact and a source sentence
per entry; the vocabulary is a Zipf-distributed set of pronounceable words, so the index sees
rare and common words as in real text.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import platform
import pstats
import random
import resource
import shutil
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from itertools import accumulate
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bot.engine.answering import answer_question
from bot.engine.evaluation import load_cases, load_conversations
from bot.engine.followup import Turn, next_turn
from bot.engine.loader import load
from bot.engine.model import Snapshot
from bot.settings import bundled_knowledge

REPO = Path(__file__).resolve().parents[1]
EVAL_FILES = (
    REPO.parent / "shared/eval/dev_questions.yaml",
    REPO / "tests/data/reader_questions.yaml",
)
CONVERSATION_FILES = (
    REPO.parent / "shared/eval/dev_conversations.yaml",
    *sorted((REPO / "tests/data").glob("*conversations*.yaml")),
)
LANGUAGE_FILES = (
    REPO.parent / "shared/eval/dev_multilingual.yaml",
    *sorted((REPO / "tests/data/lang").glob("*.yaml")),
)
TARGET_P99_BUNDLED_MS = 1.0
TARGET_P99_100K_MS = 10.0
TARGET_LOAD_100K_S = 5.0
PHRASINGS_PER_ENTRY = 10
ENTRIES_PER_SOURCE = 100
BASELINE_QUESTIONS = 150  # the brute-force baseline is slow at 100k phrasings

_ONSETS = "b c d f g h j k l m n p r s t v w z br ch cl dr fl gr pl sh st th tr".split()
_VOWELS = "a e i o u ai ea ou".split()
_CODAS = ["", "", "n", "r", "s", "t", "l", "m", "nd", "rk", "st"]
_TEMPLATES = (
    "what is the {a} of the {b}",
    "how many {a} does the {b} have",
    "when did the {a} {b}",
    "where is the {a} {b}",
    "who {a} the {b} {c}",
    "why did {a} {b} the {c}",
    "is the {a} {b}",
    "{a} {b} {c}",
    "tell me about {a} and {b}",
    "did the {a} really {b} {c}",
    "how {a} is the {b} {c}",
    "which {a} {b} the {c}",
)


def word_list(size: int, rng: random.Random) -> list[str]:
    """``size`` distinct pronounceable lowercase words."""
    found: dict[str, None] = {}
    while len(found) < size:
        syllables = rng.choice((1, 2, 2, 3, 3, 4))
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables)
        )
        if 3 <= len(word) <= 14:
            found[word] = None
    return list(found)


class Zipf:
    """Draws words with Zipf-like frequencies: a few very common, most rare."""

    def __init__(self, words: list[str], rng: random.Random) -> None:
        self.words, self.rng = words, rng
        self.cumulative = list(accumulate(1 / (rank + 1) for rank in range(len(words))))

    def draw(self, count: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=count)


def write_synonyms(path: Path, vocabulary: list[str], rng: random.Random) -> None:
    """Synonym groups over rarely used words so that no alias collides with another."""
    pool = rng.sample(vocabulary[len(vocabulary) // 2 :], 600)
    lines = ["synonyms:"]
    for start in range(0, len(pool), 3):
        canonical, *aliases = pool[start : start + 3]
        lines += [f"  - canonical: {canonical}", f"    aliases: [{', '.join(aliases)}]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def synthetic_knowledge(directory: Path, phrasings: int, seed: int = 7) -> list[str]:
    """Write a knowledge set with about ``phrasings`` phrasings; return them all."""
    rng = random.Random(seed)
    vocabulary = word_list(max(2000, phrasings // 4), rng)
    zipf = Zipf(vocabulary, rng)
    entries_count = max(1, phrasings // (PHRASINGS_PER_ENTRY + 1))
    (directory / "sources").mkdir(parents=True)
    sources, facts, faq, texts = ["sources:"], ["facts:"], ["entries:"], []
    all_phrasings: list[str] = []
    seen: set[str] = set()
    for number in range(entries_count):
        source_id = f"src-{number // ENTRIES_PER_SOURCE}"
        topic = list(dict.fromkeys(zipf.draw(3) + rng.sample(vocabulary, 3)))
        sentence = f"The {topic[0]} {' '.join(zipf.draw(4))} {topic[-1]} in {number}."
        texts.append(sentence)
        facts += [
            f"  - id: fact-{number}",
            f"    source: {source_id}",
            f"    statement: {sentence}",
            f'    quote: "{sentence}"',
        ]
        lines = []
        while len(lines) < PHRASINGS_PER_ENTRY + 1:
            a, b, c = rng.sample(topic, 3)
            text = rng.choice(_TEMPLATES).format(a=a, b=b, c=c)
            text = f"{text} {' '.join(zipf.draw(rng.randint(0, 2)))}".strip()
            key = " ".join(sorted(text.split()))
            if key not in seen:
                seen.add(key)
                lines.append(text)
        question, *rest = lines
        all_phrasings += lines
        faq += [
            f"  - id: entry-{number}",
            f"    question: {question}",
            "    phrasings:",
            *(f"      - {p}" for p in rest),
            f"    answer: {sentence}",
            f"    facts: [fact-{number}]",
        ]
        if any(line.startswith("why ") for line in lines):  # only these may ask why
            faq.append("    gives_reason: true")
        if (number + 1) % ENTRIES_PER_SOURCE == 0 or number == entries_count - 1:
            sid = f"src-{number // ENTRIES_PER_SOURCE}"
            (directory / "sources" / f"{sid}.txt").write_text("\n".join(texts), encoding="utf-8")
            texts = []
            sources += [
                f"  - id: {sid}",
                f"    title: Synthetic source {sid}",
                "    publisher: Bench",
                '    date: "2025-09-02"',
                "    language: en",
                f"    file: sources/{sid}.txt",
            ]
    for name, lines in (("sources.yaml", sources), ("facts.yaml", facts), ("faq.yaml", faq)):
        (directory / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_synonyms(directory / "synonyms.yaml", vocabulary, rng)
    return all_phrasings


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def variants(
    phrasings: Sequence[str], count: int, rng: random.Random, *, unspaced: bool = False
) -> list[str]:
    """Questions near the phrasings: verbatim, with a typo, shuffled, shortened, or unrelated.
    ``unspaced``: a language written without spaces (Chinese), whose words are taken as pairs
    of characters and written together again."""
    split = _pairs if unspaced else str.split
    glue = "" if unspaced else " "
    vocabulary = sorted({w for p in phrasings for w in split(p)})
    questions = []
    for _ in range(count):
        words = split(rng.choice(phrasings))
        kind = rng.randrange(5)
        if kind == 1:
            words = [typo(w, rng) for w in words]
        elif kind == 2:
            rng.shuffle(words)
        elif kind == 3:
            words = words[: max(1, len(words) // 2)]
        elif kind == 4:
            words = rng.sample(vocabulary, 4)
        questions.append(glue.join(words))
    return questions


def _pairs(text: str) -> list[str]:
    text = "".join(text.split())
    return [text[i : i + 2] for i in range(0, len(text), 2)]


def bundled_questions(snapshot: Snapshot, rng: random.Random) -> list[str]:
    questions = [
        case.question for path in EVAL_FILES if path.is_file() for case in load_cases(path)
    ]
    phrasings = [p for e in snapshot.entries.values() for p in (e.question, *e.phrasings)]
    questions += variants(phrasings, 250, rng)
    questions += [
        "What is the capital of France?",
        "hey bot, so my friend said something about a train and a parade, what is that about?",
        "x" * 900,
    ]
    return questions


def long_messages(source_text: str) -> list[str]:
    """Messages of about 4,000 characters (Telegram allows 4,096): chat with the question at
    the end, the story pasted back with a question, a letter with two questions inside, and
    a long message that asks nothing."""
    chat = (
        "Hello there, I have been following the news about the trip for days now and my "
        "family keeps discussing it at dinner, which is getting a bit much. "
    )
    pasted = " ".join(source_text.split())
    letter = chat * 11 + "When did he leave? " + chat * 11 + "How fast does the train go?"
    return [
        (chat * 40)[:3960] + " Anyway, how fast does the train go?",
        (pasted * 3)[:3960] + " so how fast does the train go?",
        letter,
        (chat * 40)[:4000],
    ]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latencies(
    ask: Callable[[str], object],
    questions: Sequence[str],
    rounds: int,
    forget: Callable[[], None] = lambda: None,
) -> list[float]:
    """Milliseconds per question, after one warm-up pass; ``forget`` before each, so a
    question asked again is not read from the index's kept readings."""
    for question in questions:
        ask(question)
    samples = []
    gc.disable()
    try:
        for _ in range(rounds):
            for question in questions:
                forget()
                started = time.perf_counter_ns()
                ask(question)
                samples.append((time.perf_counter_ns() - started) / 1e6)
    finally:
        gc.enable()
    return samples


def verdict(value: float, target: float | None) -> str:
    if target is None:
        return ""
    return f"  target < {target:g}: {'ok' if value < target else 'MISSED'}"


def measure(
    label: str,
    directory: Path,
    questions: list[str],
    phrasings: list[str],
    *,
    p99_target: float | None,
    load_target: float | None,
    rounds: int,
    profile: bool,
    long_too: bool = False,
) -> None:
    gc.collect()
    started = time.perf_counter()
    snapshot = load(directory)
    load_seconds = time.perf_counter() - started
    del snapshot
    gc.collect()
    tracemalloc.start()
    snapshot = load(directory)
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    forget = snapshot.index.forget_readings
    ours = latencies(lambda q: answer_question(snapshot, q), questions, rounds, forget)
    longest = long_messages(next(iter(snapshot.sources.values())).text) if long_too else []
    long = (
        latencies(lambda q: answer_question(snapshot, q), longest, 25, forget) if long_too else []
    )
    baseline_questions = questions[:BASELINE_QUESTIONS]
    brute = latencies(
        lambda q: process.extractOne(
            q, phrasings, scorer=fuzz.token_set_ratio, processor=utils.default_process
        ),
        baseline_questions,
        1,
    )
    p50, p99 = percentile(ours, 0.5), percentile(ours, 0.99)
    b50, b99 = percentile(brute, 0.5), percentile(brute, 0.99)
    print(f"\n== {label}: {len(snapshot.entries)} entries, {snapshot.phrasing_count} phrasings")
    print(
        f"  load (parse+validate+index): {load_seconds:8.3f} s{verdict(load_seconds, load_target)}"
    )
    print(
        f"  load memory: peak {peak / 2**20:7.1f} MiB, retained {retained / 2**20:7.1f} MiB "
        f"(tracemalloc); process maxrss so far {maxrss_mb:7.1f} MiB"
    )
    print(
        f"  ours      ({len(questions)} q x {rounds}): p50 {p50:7.3f} ms  p99 {p99:7.3f} ms  "
        f"mean {statistics.fmean(ours):7.3f} ms{verdict(p99, p99_target)}"
    )
    if long:
        print(
            f"  long messages (~4,000 chars, {len(longest)} x 25): p50 "
            f"{percentile(long, 0.5):7.3f} ms  p99 {percentile(long, 0.99):7.3f} ms  "
            f"max {max(long):7.3f} ms"
        )
    print(
        f"  rapidfuzz ({len(baseline_questions)} q): p50 {b50:7.3f} ms  p99 {b99:7.3f} ms  "
        f"-> ours/baseline p50 {p50 / b50:5.2f}x, p99 {p99 / b99:5.2f}x"
    )
    if profile:
        report("load", lambda: load(directory))
        report("answers", lambda: [answer_question(snapshot, q) for q in questions])


def conversation_turns(snapshot: Snapshot) -> list[tuple[str, Turn]]:
    """Every turn after the first of the conversation sets, with the context it is read with."""
    turns = []
    for path in CONVERSATION_FILES:
        if not path.is_file():
            continue
        for conversation in load_conversations(path):
            context = None
            for case in conversation.turns:
                if context is not None:
                    turns.append((case.question, context))
                context = next_turn(
                    answer_question(snapshot, case.question, context=context), snapshot
                )
    return turns


def measure_with_context(directory: Path, rounds: int) -> None:
    """Latency of questions asked as the next turn of a conversation (follow-ups and not)."""
    snapshot = load(directory)
    turns = conversation_turns(snapshot)
    contexts = dict(enumerate(turns))
    samples = latencies(
        lambda n: answer_question(snapshot, contexts[n][0], context=contexts[n][1]),
        list(contexts),
        rounds,
        snapshot.index.forget_readings,
    )
    p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
    print(
        f"  with context ({len(turns)} turns x {rounds}): p50 {p50:7.3f} ms  p99 {p99:7.3f} ms"
        f"  mean {statistics.fmean(samples):7.3f} ms{verdict(p99, TARGET_P99_BUNDLED_MS)}"
    )


def measure_languages(directory: Path, rng: random.Random, rounds: int) -> None:
    """Latency per language on the bundled knowledge (its questions written in that language:
    question files with 'lang', the translations' phrasings with slips, shuffled and cut), and
    what the translations cost to load and keep."""
    snapshot = load(directory)
    cases = [case for path in LANGUAGE_FILES if path.is_file() for case in load_cases(path)]
    for code, view in sorted(snapshot.translations.items()):
        phrasings = [p for e in view.entries.values() for p in (e.question, *e.phrasings)]
        questions = [case.question for case in cases if case.lang == code]
        questions += variants(phrasings, 250, rng, unspaced=code == "zh")

        def forget(view: Snapshot = view) -> None:
            view.index.forget_readings()
            snapshot.index.forget_readings()

        samples = latencies(lambda q: answer_question(snapshot, q), questions, rounds, forget)
        p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
        print(
            f"  {code} ({len(questions)} q x {rounds}): p50 {p50:7.3f} ms  p99 {p99:7.3f} ms  "
            f"mean {statistics.fmean(samples):7.3f} ms{verdict(p99, TARGET_P99_BUNDLED_MS)}"
        )
    with tempfile.TemporaryDirectory(prefix="storybot-bench-") as tmp:
        english_only = Path(tmp) / "knowledge"
        shutil.copytree(directory, english_only, ignore=shutil.ignore_patterns("i18n"))
        retained = {}
        for label, path in (("English only", english_only), ("all languages", directory)):
            del snapshot
            gc.collect()
            tracemalloc.start()
            snapshot = load(path)
            retained[label] = tracemalloc.get_traced_memory()[0] / 2**20
            tracemalloc.stop()
        started = time.perf_counter()
        load(english_only)
        english_seconds = time.perf_counter() - started
        started = time.perf_counter()
        load(directory)
        all_seconds = time.perf_counter() - started
    print(
        f"  knowledge retained: English only {retained['English only']:.1f} MiB, all languages "
        f"{retained['all languages']:.1f} MiB; load {english_seconds:.3f} s -> {all_seconds:.3f} s"
    )


def report(what: str, run: Callable[[], object]) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(run)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
    print(f"  -- cProfile of {what} (cumulative) --")
    print("\n".join("    " + line for line in out.getvalue().splitlines()[6:] if line.strip()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="synthetic phrasing counts")
    parser.add_argument("--profile", action="store_true", help="cProfile load and answers")
    args = parser.parse_args()
    rng = random.Random(42)
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    print(f"python {platform.python_version()} on {cpu}")

    knowledge = bundled_knowledge()
    snapshot = load(knowledge)
    questions = bundled_questions(snapshot, rng)
    phrasings = [p for e in snapshot.entries.values() for p in (e.question, *e.phrasings)]
    del snapshot
    measure(
        "bundled",
        knowledge,
        questions,
        phrasings,
        p99_target=TARGET_P99_BUNDLED_MS,
        load_target=None,
        rounds=5,
        long_too=True,
        profile=args.profile,
    )
    measure_with_context(knowledge, rounds=20)
    measure_languages(knowledge, rng, rounds=5)
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  process maxrss with all languages loaded: {maxrss_mb:.1f} MiB")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="storybot-bench-") as tmp:
            phrasings = synthetic_knowledge(Path(tmp), size)
            big = size >= 100_000
            measure(
                f"synthetic {size}",
                Path(tmp),
                variants(phrasings, 400, rng),
                phrasings,
                p99_target=TARGET_P99_100K_MS if big else None,
                load_target=TARGET_LOAD_100K_S if big else None,
                rounds=3 if size < 100_000 else 2,
                profile=args.profile and big,
            )


if __name__ == "__main__":
    main()
