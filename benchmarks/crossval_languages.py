"""Cross-validation of each translation's phrasings: how well a language's analyser reads
questions it has not seen, without touching the blind sets.

    python benchmarks/crossval_languages.py [ru zh ko en] [--show]

For each language, every entry's phrasings are split in three; each third in turn is left out
of the index and asked. Right: answered with its own entry; wrong: answered with another;
the rest get a did-you-mean or a decline. English is measured the same way (600 questions of
each third) as a yardstick; it has about 50 phrasings an entry, the translations about 14.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Mapping
from dataclasses import replace

from bot.engine import languages, timeline
from bot.engine.answering import answer_question
from bot.engine.loader import load
from bot.engine.matcher import MatchIndex
from bot.engine.model import Entry, Snapshot
from bot.engine.text import Synonyms
from bot.engine.translations import merged_groups, read_translations
from bot.settings import bundled_knowledge

FOLDS = 3
ENGLISH_SAMPLE = 600


def folds(
    snapshot: Snapshot,
    code: str,
    entries: Mapping[str, Entry],
    synonyms: Synonyms,
    rng: random.Random,
) -> list[tuple[Snapshot, list[tuple[str, str]]]]:
    """Per fold: the snapshot with that third of the phrasings left out, and those."""
    analyser = languages.get(code)
    evidence = {
        e.id: " ".join(snapshot.facts[f].quote for f in e.fact_ids) for e in entries.values()
    }
    found = []
    for fold in range(FOLDS):
        kept: dict[str, Entry] = {}
        held: list[tuple[str, str]] = []
        for entry in entries.values():
            texts = entry.phrasings
            kept[entry.id] = replace(
                entry, phrasings=tuple(p for i, p in enumerate(texts) if i % FOLDS != fold)
            )
            held += [(entry.id, p) for i, p in enumerate(texts) if i % FOLDS == fold]
        indexed = [replace(e, answer=timeline.weekdays_only(e.answer)) for e in kept.values()]
        index = MatchIndex.build(indexed, synonyms, evidence, language=analyser)
        view = replace(snapshot, entries=kept, index=index, language=code, translations={})
        if code == languages.DEFAULT:
            held = rng.sample(held, min(ENGLISH_SAMPLE, len(held)))
            found.append((view, held))
        else:
            found.append((replace(snapshot, translations={code: view}), held))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("codes", nargs="*", default=["ru", "zh", "ko"])
    parser.add_argument("--show", action="store_true", help="print every question missed")
    args = parser.parse_args()
    snapshot = load(bundled_knowledge())
    rng = random.Random(1)
    files, _ = read_translations(snapshot.directory, snapshot.entries)
    translations = {translation.language: translation for translation in files}
    for code in args.codes:
        if code == languages.DEFAULT:
            entries, synonyms = snapshot.entries, snapshot.index.synonyms
        else:
            translation = translations[code]
            entries = translation.entries
            synonyms = languages.get(code).synonyms(merged_groups(translation.synonyms, code))
        right = wrong = total = 0
        for view, held in folds(snapshot, code, entries, synonyms, rng):
            for entry_id, question in held:
                answer = answer_question(view, question, language=code)
                total += 1
                if answer.answered and answer.entry and answer.entry.id == entry_id:
                    right += 1
                    continue
                wrong += answer.answered
                if args.show:
                    got = answer.entry.id if answer.entry else answer.outcome.value
                    print(f"  {code} {entry_id}: {question!r} -> {got} ({answer.confidence:.2f})")
        print(f"{code}: right {right}/{total} ({right / total:.1%}), wrong answers {wrong}")


if __name__ == "__main__":
    main()
