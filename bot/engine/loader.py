"""Knowledge directory -> validated, immutable Snapshot; every problem with file and line."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import re
import time
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from rapidfuzz import process

from bot.engine import languages, lexicon, timeline
from bot.engine.matcher import MatchIndex
from bot.engine.model import Entry, Fact, KnowledgeError, Problem, Snapshot, Source, Todo
from bot.engine.overlay import DECLINED_PREFIX, EMPTY_OVERLAY, Overlay, declined_id
from bot.engine.sentences import split_sentences
from bot.engine.text import (
    STOPWORDS,
    Synonyms,
    analyse,
    analyse_surface,
    canonical_token,
    fold_accents,
    lasting_words,
    stem,
    surface_words,
    words,
)
from bot.engine.translations import I18N_DIR, translation_files, with_translations
from bot.engine.yamlfile import YamlList, YamlMap, read_yaml

SOURCES_FILE = "sources.yaml"
FACTS_FILE = "facts.yaml"
FAQ_FILE = "faq.yaml"
SYNONYMS_FILE = "synonyms.yaml"
KNOWLEDGE_FILES = (SOURCES_FILE, FACTS_FILE, FAQ_FILE, SYNONYMS_FILE)
_REQUIRED = ", ".join(KNOWLEDGE_FILES[:-1]) + " and " + KNOWLEDGE_FILES[-1]
OVERLAY = "taught knowledge"  # where problems of the database's teachings are reported

# An answer and its citations must fit one Telegram message (4096 characters) with room for
# the HTML markup and the "Source:" line; the renderer trims quotes, never the answer.
MAX_ANSWER_CHARS = 3000
MAX_QUESTION_CHARS = 300
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
_DATE = re.compile(r"^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$")
_QUOTE_MARKS = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "`": "'"})


@dataclass
class _Checker:
    """Collects problems while walking the YAML of one file."""

    file: str
    problems: list[Problem] = field(default_factory=list)
    unreadable: bool = False

    def add(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    def read(self, path: Path) -> Any:
        """The file's YAML data; None (with the reason reported) when it cannot be read."""
        if not path.exists():
            self.add(None, f"required file is missing (a knowledge directory needs {_REQUIRED})")
            self.unreadable = True
            return None
        data, problems = read_yaml(path, self.file)
        self.problems.extend(problems)
        self.unreadable = bool(problems)
        return data

    def items(self, data: Any, key: str) -> list[YamlMap]:
        """The list under the top-level ``key``, keeping only well-formed mappings."""
        if self.unreadable:
            return []  # why is already reported; "file is empty" would only confuse
        if data is None:
            self.add(None, f"file is empty: expected a top-level '{key}:' list")
            return []
        if not isinstance(data, YamlMap):
            self.add(getattr(data, "line", 1), f"expected a mapping with a '{key}:' list")
            return []
        for extra in sorted(set(data) - {key}):
            self.add(data.line_of(extra), f"unknown top-level key {extra!r}")
        value = data.get(key)
        if not isinstance(value, YamlList):
            self.add(data.line_of(key), f"'{key}' must be a list")
            return []
        result = []
        for item, line in zip(value, value.item_lines, strict=True):
            if isinstance(item, YamlMap):
                result.append(item)
            else:
                self.add(line, f"each item of '{key}' must be a mapping, not {_kind(item)}")
        return result

    def declared(self, items: Iterable[YamlMap]) -> set[str] | None:
        """Every id the file declares, for checking references to it; None when that set is
        uncertain (the file is unreadable, or an id appears twice, so the duplicate's intended
        id is missing): its references would only repeat a cause already reported."""
        ids = [item["id"] for item in items if isinstance(item.get("id"), str)]
        if self.unreadable or len(set(ids)) < len(ids) or not all(map(_ID.match, ids)):
            return None  # a misspelt id may be the one a reference means
        return set(ids)

    def fields(
        self, item: YamlMap, what: str, required: Iterable[str], optional: Iterable[str] = ()
    ) -> bool:
        """Report missing and unknown keys; False when a required key is missing."""
        required, allowed = list(required), {*required, *optional}
        ok = True
        for name in required:
            if name not in item:
                self.add(item.line, f"{what}: missing required field '{name}'")
                ok = False
        for name in item:
            if name not in allowed:
                hint = process.extractOne(name, sorted(allowed), score_cutoff=70)
                tip = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.add(item.line_of(name), f"{what}: unknown field {name!r}{tip}")
        return ok

    def text(self, item: YamlMap, name: str, what: str, *, limit: int = 1000) -> str | None:
        """A non-empty string field, or None after reporting what is wrong with it."""
        value = item.get(name)
        if not isinstance(value, str):
            self.add(item.line_of(name), f"{what}: '{name}' must be text, not {_kind(value)}")
            return None
        value = value.strip()
        if not value:
            self.add(item.line_of(name), f"{what}: '{name}' is empty")
            return None
        if len(value) > limit:
            self.add(
                item.line_of(name),
                f"{what}: '{name}' is {len(value)} characters, longer than {limit}",
            )
            return None
        return value

    def text_list(self, item: YamlMap, name: str, what: str, *, limit: int = 1000) -> list[str]:
        """A list of non-empty strings (may be empty), reporting bad items by line."""
        return [text for text, _ in self.text_items(item, name, what, limit=limit)]

    def text_items(
        self, item: YamlMap, name: str, what: str, *, limit: int = 1000
    ) -> list[tuple[str, int]]:
        """Like `text_list`, with each item's line; an item repeated in the list is reported."""
        value = item.get(name, YamlList())
        if not isinstance(value, YamlList):
            self.add(item.line_of(name), f"{what}: '{name}' must be a list, not {_kind(value)}")
            return []
        result: list[tuple[str, int]] = []
        first: dict[str, int] = {}
        for element, line in zip(value, getattr(value, "item_lines", []), strict=False):
            if not isinstance(element, str) or not element.strip():
                self.add(line, f"{what}: items of '{name}' must be non-empty text")
            elif len(element) > limit:
                self.add(line, f"{what}: an item of '{name}' is longer than {limit} characters")
            elif element.strip() in first:
                self.add(
                    line,
                    f"{what}: {element.strip()!r} appears twice in '{name}' "
                    f"(first on line {first[element.strip()]})",
                )
            else:
                first[element.strip()] = line
                result.append((element.strip(), line))
        return result

    def ident(self, item: YamlMap, what: str, seen: dict[str, int]) -> str | None:
        """The item's id, checked for shape and uniqueness within the file."""
        value = self.text(item, "id", what, limit=48)
        if value is None:
            return None
        line = item.line_of("id")
        if not _ID.match(value):
            suggestion = re.sub(r"[^a-z0-9_-]+", "-", value.lower()).strip("-_")[:48]
            better = f" (for example {suggestion!r})" if _ID.match(suggestion) else ""
            self.add(
                line,
                f"{what}: id {value!r} breaks the rule for ids: lowercase letters, digits, '-' "
                f"and '_' only, starting with a letter or digit{better}; references to "
                f"{self.file} ids are checked once its ids are valid",
            )
            return None
        if value in seen:
            self.add(
                line,
                f"{what}: duplicate id {value!r} (first on line {seen[value]}); references to "
                f"{self.file} ids are checked once its ids are unique",
            )
            return None
        seen[value] = line
        return value


def _is_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _source_date(check: _Checker, item: YamlMap, what: str) -> str | None:
    """The source's date as text in ISO form; any other way of writing it is one problem that
    says how to write it (the source's facts and entries are not reported again)."""
    date = check.text(item, "date", what, limit=100)
    if date and not _is_date(date):
        check.add(
            item.line_of("date"),
            f"{what}: date {date!r} is not a date as YYYY-MM-DD: use YYYY-MM-DD, quoted, for "
            'example "2025-09-02"',
        )
        return None
    return date


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {str: "text", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), "a list" if isinstance(value, list) else "a mapping"
    )


class _QuoteFinder:
    """Finds a quote in a source text ignoring whitespace and quote-mark style."""

    def __init__(self, text: str) -> None:
        folded, positions = [], []
        previous_space = True
        for i, char in enumerate(text.translate(_QUOTE_MARKS)):
            if char.isspace():
                if previous_space:
                    continue
                char, previous_space = " ", True
            else:
                previous_space = False
            folded.append(char)
            positions.append(i)
        self._text, self._folded, self._positions = text, "".join(folded), positions

    def find(self, quote: str) -> str | None:
        """The exact text of the source that the quote stands for, or None."""
        needle = " ".join(quote.translate(_QUOTE_MARKS).split())
        start = self._folded.find(needle) if needle else -1
        if start < 0:
            return None
        end = self._positions[start + len(needle) - 1] + 1
        return self._text[self._positions[start] : end]

    def difference(self, quote: str) -> str:
        """Where a quote that is not in the source parts from it, as a curator fixes it: the
        source's word beside the quote's ("the source has 'Māori' where the quote has
        'Maori'"), after the longest run of the quote's words the source has."""
        asked = quote.translate(_QUOTE_MARKS).split()
        source = self._folded.split(" ")
        keys = [_word_key(w) for w in source]
        wanted = [_word_key(w) for w in asked]
        best_start, best_run = 0, 0
        for start, key in enumerate(keys):
            if key != wanted[0]:
                continue
            run = 0
            while run < min(len(wanted), len(keys) - start) and keys[start + run] == wanted[run]:
                run += 1
            if run > best_run:
                best_start, best_run = start, run
        if not best_run:
            return "no word of the source starts it"
        # Words equal but for accents or case: name the first one written differently.
        for offset in range(best_run):
            if source[best_start + offset] != asked[offset]:
                return (
                    f"the source has {source[best_start + offset]!r} where the quote has "
                    f"{asked[offset]!r}"
                )
        if best_run == len(wanted):
            return "it differs from the source in punctuation"
        found = source[best_start + best_run] if best_start + best_run < len(source) else None
        after = " ".join(asked[max(0, best_run - 3) : best_run])
        return (
            f"after {after!r} the source has {found!r} where the quote has {asked[best_run]!r}"
            if found
            else f"the source ends after {after!r}"
        )


def _word_key(word: str) -> str:
    """A word as compared when telling where a quote parts from its source."""
    return fold_accents(word.casefold()).strip(".,;:!?\"'()")


def _load_sources(directory: Path, check: _Checker) -> tuple[dict[str, Source], set[str] | None]:
    """The valid sources, and every source id declared (a source whose text is missing is
    reported once, not again by each fact quoting it); None when the ids are uncertain."""
    data = check.read(directory / SOURCES_FILE)
    sources: dict[str, Source] = {}
    seen: dict[str, int] = {}
    items = check.items(data, "sources")
    for item in items:
        what = f"source {item.get('id', '?')!s}"
        required = ("id", "title", "publisher", "date", "language", "file")
        if not check.fields(item, what, required, ("url", "uncovered_ok")):
            continue
        source_id = check.ident(item, what, seen)
        title, publisher = check.text(item, "title", what), check.text(item, "publisher", what)
        language = check.text(item, "language", what, limit=16)
        date, file = _source_date(check, item, what), check.text(item, "file", what)
        url = item.get("url")
        if url is not None and (not isinstance(url, str) or not url.startswith("https://")):
            check.add(item.line_of("url"), f"{what}: url must be an https:// link or null")
            url = None
        text = None
        if file:
            path = (directory / file).resolve()
            if not path.is_relative_to(directory.resolve()):
                check.add(item.line_of("file"), f"{what}: file {file!r} is outside the folder")
            else:
                try:
                    text = path.read_text(encoding="utf-8")
                except OSError as exc:
                    reason = exc.strerror or exc
                    check.add(item.line_of("file"), f"{what}: cannot read {file!r}: {reason}")
                except UnicodeDecodeError as exc:
                    check.add(item.line_of("file"), f"{what}: cannot read {file!r}: {exc}")
        uncovered = check.text_list(item, "uncovered_ok", what)
        if None not in (source_id, title, publisher, date, language, file, text):
            sources[source_id] = Source(
                source_id, title, publisher, date, url, language, file, text, tuple(uncovered)
            )
    return sources, check.declared(items)


def _load_facts(
    directory: Path, check: _Checker, sources: dict[str, Source], source_ids: set[str] | None
) -> tuple[dict[str, Fact], set[str] | None]:
    """The valid facts, and every fact id declared (so entries don't repeat fact errors);
    None for the ids when they are uncertain (see `_Checker.declared`)."""
    data = check.read(directory / FACTS_FILE)
    finders = {sid: _QuoteFinder(s.text) for sid, s in sources.items()}
    facts: dict[str, Fact] = {}
    seen: dict[str, int] = {}
    update_lines: dict[str, int] = {}
    items = check.items(data, "facts")
    declared = check.declared(items)
    for item in items:
        what = f"fact {item.get('id', '?')!s}"
        if not check.fields(item, what, ("id", "source", "statement", "quote"), FACT_OPTIONAL):
            continue
        fact_id = check.ident(item, what, seen)
        statement = check.text(item, "statement", what)
        quote = check.text(item, "quote", what)
        source_id = check.text(item, "source", what, limit=48)
        if source_id and source_ids is not None and source_id not in source_ids:
            check.add(item.line_of("source"), f"{what}: unknown source {source_id!r}")
            continue
        if not (fact_id and statement and quote and source_id in finders):
            continue
        exact = finders[source_id].find(quote)
        if exact is None:
            check.add(
                item.line_of("quote"),
                f"{what}: quote not found word for word in source {source_id!r}: "
                f"{_shorten(quote)!r} ({finders[source_id].difference(quote)})",
            )
            continue
        updates = check.text(item, "updates", what, limit=48) if "updates" in item else None
        if updates is not None:
            update_lines[fact_id] = item.line_of("updates")
        when = _fact_day(check, item, what, sources[source_id], f"{statement} {exact}")
        said_by = check.text(item, "said_by", what, limit=100) if "said_by" in item else None
        facts[fact_id] = Fact(
            fact_id, source_id, statement, exact, updates=updates, when=when, said_by=said_by
        )
    _check_updates(check, facts, sources, update_lines)
    return facts, declared


def _check_updates(
    check: _Checker, facts: dict[str, Fact], sources: dict[str, Source], lines: dict[str, int]
) -> None:
    """A fact may update an older fact: one that exists, from a source no newer than its own,
    without a chain that comes back to itself."""
    for fact_id, line in lines.items():
        fact = facts[fact_id]
        older = facts.get(fact.updates or "")
        what = f"fact {fact_id}"
        if older is None:
            check.add(line, f"{what}: updates unknown fact {fact.updates!r}")
        elif older.id == fact_id:
            check.add(line, f"{what}: a fact cannot update itself")
        elif sources[older.source_id].date > sources[fact.source_id].date:
            check.add(
                line,
                f"{what}: updates {older.id}, which comes from a newer source "
                f"({sources[older.source_id].date} after {sources[fact.source_id].date})",
            )
        else:
            seen, current = {fact_id}, older
            while current is not None and current.updates:
                if current.id in seen:
                    check.add(line, f"{what}: the chain of 'updates' comes back to {current.id}")
                    break
                seen.add(current.id)
                current = facts.get(current.updates)


def newest_fact(facts: Mapping[str, Fact], fact_id: str) -> Fact:
    """The newest fact in the chain of facts updating ``fact_id`` (itself when none does)."""
    updated_by = {f.updates: f for f in facts.values() if f.updates}
    current, seen = facts[fact_id], {fact_id}
    while current.id in updated_by and updated_by[current.id].id not in seen:
        current = updated_by[current.id]
        seen.add(current.id)
    return current


def _with_updates(
    entries: dict[str, Entry], facts: Mapping[str, Fact], sources: Mapping[str, Source]
) -> dict[str, Entry]:
    """Entries that cite a fact a newer one updates also tell and cite the newest: the answer
    gains "Update (date): statement", and the citations keep the old quote beside the new."""
    if not any(f.updates for f in facts.values()):
        return entries
    result = {}
    for entry_id, entry in entries.items():
        answer, cited = entry.answer, list(entry.fact_ids)
        for fact_id in entry.fact_ids:
            newest = newest_fact(facts, fact_id)
            if newest.id not in cited:
                cited.append(newest.id)
                date = sources[newest.source_id].date
                answer = f"{answer} Update ({date}): {newest.statement}"
        result[entry_id] = replace(entry, answer=answer, fact_ids=tuple(cited))
    return result


FACT_OPTIONAL = ("updates", "when", "said_by")


def _fact_day(
    check: _Checker, item: YamlMap, what: str, source: Source, words_of_fact: str
) -> dt.date | None:
    """The fact's ``when:`` as a date, checked against the weekdays its words name."""
    if "when" not in item:
        return None
    raw = item["when"]
    if not isinstance(raw, str):
        check.add(item.line_of("when"), f"{what}: 'when' must be a date or a weekday")
        return None
    when, problem = timeline.resolve(raw, dt.date.fromisoformat(source.date))
    if problem:
        check.add(item.line_of("when"), f"{what}: {problem}")
        return None
    named = {day.weekday for day in timeline.stated_days(words_of_fact)}
    weekday = timeline.WEEKDAYS[when.weekday()]
    if named and weekday not in named:
        check.add(
            item.line_of("when"),
            f"{what}: when is {timeline.day_name(when)}, but the fact says "
            f"{', '.join(sorted(d.title() for d in named))}",
        )
    return when


def _load_entries(
    directory: Path,
    check: _Checker,
    facts: dict[str, Fact],
    fact_ids: set[str] | None,
    surfaces: dict[str, list[str]],
    lines: dict[str, int],
    todo: list[Todo],
) -> dict[str, Entry]:
    """The valid entries; ``surfaces`` receives each phrasing's words (the index reuses them),
    ``lines`` its line, ``todo`` the entries still to write (id, question, facts)."""
    data = check.read(directory / FAQ_FILE)
    items = check.items(data, "entries")
    all_ids = check.declared(items)
    entries: dict[str, Entry] = {}
    seen: dict[str, int] = {}
    phrasing_owner: dict[str, tuple[str, int]] = {}
    for item in items:
        what = f"entry {item.get('id', '?')!s}"
        if "todo" in item:
            _todo_entry(check, item, what, seen, fact_ids, todo)
            continue
        required = ("id", "question", "phrasings", "answer", "facts")
        optional = ("related", "gives_reason", "answer_after", "about")
        if not check.fields(item, what, required, optional):
            continue
        entry_id = check.ident(item, what, seen)
        question = check.text(item, "question", what, limit=MAX_QUESTION_CHARS)
        answer = check.text(item, "answer", what, limit=MAX_ANSWER_CHARS)
        phrasing_lines = check.text_items(item, "phrasings", what, limit=MAX_QUESTION_CHARS)
        phrasings = [text for text, _ in phrasing_lines]
        cited = check.text_list(item, "facts", what, limit=48)
        related = check.text_list(item, "related", what, limit=48)
        if "phrasings" in item and not phrasings:
            check.add(item.line_of("phrasings"), f"{what}: needs at least one phrasing")
        if "facts" in item and not cited:
            check.add(item.line_of("facts"), f"{what}: must cite at least one fact")
        for name, ids, known, kind in (
            ("facts", cited, fact_ids, "fact"),
            ("related", related, all_ids, "entry"),
        ):
            for ref in ids:
                if known is not None and ref not in known:
                    check.add(item.line_of(name), f"{what}: unknown {kind} {ref!r} in '{name}'")
        gives_reason = item.get("gives_reason", False)
        if not isinstance(gives_reason, bool):
            check.add(item.line_of("gives_reason"), f"{what}: 'gives_reason' must be true or false")
        if entry_id and entry_id in related:
            check.add(item.line_of("related"), f"{what}: an entry cannot be related to itself")
        asked = [(question, item.line_of("question"))] if question else []
        name = entry_id or str(item.get("id", "?"))  # as written, while the id is invalid
        for phrasing, line in [*asked, *phrasing_lines]:
            written = surfaces[phrasing] = surface_words(phrasing)
            lines.setdefault(phrasing, line)
            key = " ".join(written)
            owner = phrasing_owner.get(key)
            if owner and owner[0] != name:
                check.add(
                    line,
                    f"{what}: phrasing {phrasing!r} is also in entry {owner[0]!r} "
                    f"(line {owner[1]})",
                )
            elif owner is None:
                phrasing_owner[key] = (name, line)
        answer_after = about = None
        if "answer_after" in item:
            answer_after = check.text(item, "answer_after", what, limit=MAX_ANSWER_CHARS)
        if "about" in item:
            about = check.text(item, "about", what, limit=60)
        if entry_id and question and answer and phrasings and cited:
            if any(ref not in facts for ref in cited):
                continue  # already reported: unknown or broken fact
            _check_days(check, item, what, [facts[ref] for ref in cited])
            entries[entry_id] = Entry(
                entry_id,
                question,
                tuple(phrasings),
                answer,
                tuple(cited),
                tuple(related),
                gives_reason is True,
                answer_after,
                about,
            )
    return entries


def _todo_entry(
    check: _Checker,
    item: YamlMap,
    what: str,
    seen: dict[str, int],
    fact_ids: set[str] | None,
    todo: list[Todo],
) -> None:
    """An entry still to write (``todo: true``, as `storybot new` drafts them): its id,
    question and facts are checked; it answers nobody until the curator writes it and removes
    the mark."""
    optional = ("phrasings", "answer", "related", "gives_reason", "answer_after", "about")
    if not check.fields(item, what, ("id", "question", "facts", "todo"), optional):
        return
    if item["todo"] is not True:
        check.add(item.line_of("todo"), f"{what}: 'todo' must be true, or left out once written")
        return
    entry_id = check.ident(item, what, seen)
    question = check.text(item, "question", what, limit=MAX_QUESTION_CHARS)
    refs = check.text_list(item, "facts", what, limit=48)
    for ref in refs:
        if fact_ids is not None and ref not in fact_ids:
            check.add(item.line_of("facts"), f"{what}: unknown fact {ref!r} in 'facts'")
    if entry_id and question:
        todo.append(Todo(entry_id, question, tuple(refs)))


def _check_days(check: _Checker, item: YamlMap, what: str, cited: list[Fact]) -> None:
    """Each weekday an answer names agrees with its date and comes with the date of the
    cited fact it stands for; an after-the-event answer needs a dated fact."""
    dates = [fact.when for fact in cited if fact.when]
    for name in ("answer", "answer_after"):
        if isinstance(item.get(name), str):
            for problem in timeline.day_problems(item[name], dates):
                check.add(item.line_of(name), f"{what}: {problem}")
    if "answer_after" in item and not dates:
        check.add(
            item.line_of("answer_after"),
            f"{what}: 'answer_after' needs a cited fact with 'when' (after which day?)",
        )


# Adverbs that readers add and questions drop ("where exactly is the lab?").
FILLER_ADVERBS = frozenset(w for w in STOPWORDS if len(w) > 4 and w.endswith("ly"))


def _load_synonyms(
    directory: Path, check: _Checker, language: str, lasting: frozenset[str]
) -> tuple[Synonyms, list[tuple[str, int]]]:
    """The story's synonym groups over the general ones of its language, and the guards among
    the story's: (canonical word, line)."""
    # Required like the others: without it every guard would silently stop guarding.
    data = check.read(directory / SYNONYMS_FILE)
    groups: list[tuple[str, list[str]]] = []
    guards: list[tuple[str, int]] = []
    owner: dict[tuple[str, ...], tuple[str, int]] = {}
    for item in check.items(data, "synonyms"):
        what = f"synonym group {item.get('canonical', '?')!s}"
        if not check.fields(item, what, ("canonical", "aliases"), ("guard",)):
            continue
        canonical = check.text(item, "canonical", what, limit=60)
        alias_lines = check.text_items(item, "aliases", what, limit=60)
        if not canonical:
            continue
        guard = item.get("guard", False)
        if not isinstance(guard, bool):
            check.add(item.line_of("guard"), f"{what}: 'guard' must be true or false")
        elif guard:
            guards.append((canonical, item.line_of("guard")))
        # (phrases may well stand for a question word: "what made kim go" is "why")
        if guard is True and (question_word := _question_word(canonical)):
            check.add(item.line_of("canonical"), f"{what}: {canonical!r} {question_word}")
            continue
        for alias, line in alias_lines:
            key = tuple(stem(w) for w in words(alias))
            filler = [w for w in surface_words(alias) if w in FILLER_ADVERBS]
            if not key:
                check.add(line, f"{what}: alias {alias!r} has no words")
            elif question_word := _question_word(alias):
                check.add(line, f"{what}: alias {alias!r} {question_word}")
            elif filler:
                # Questions drop these adverbs before synonyms apply, unless some alias
                # keeps them known: then other aliases stop matching ("where exactly is...").
                check.add(
                    line,
                    f"{what}: alias {alias!r} contains {filler[0]!r}, filler that questions "
                    "drop: leave it out of the alias",
                )
            elif key in owner and owner[key][0] != canonical:
                check.add(
                    line,
                    f"{what}: alias {alias!r} is also in group {owner[key][0]!r} "
                    f"(line {owner[key][1]})",
                )
            else:
                owner[key] = (canonical, line)
        groups.append((canonical, [alias for alias, _ in alias_lines]))
    claimed = dict(owner)
    for canonical, _ in groups:
        claimed.setdefault(tuple(stem(w) for w in words(canonical)), (canonical, 0))
    merged = [*_general_groups(language, claimed), *groups]
    story = [canonical for canonical, _ in groups]
    return Synonyms.build(merged, lasting, (c for c, _ in guards), story), guards


def _question_word(word: str) -> str | None:
    """Why a one-word canonical or alias cannot be a synonym when the engine reads it as a
    question ("weigh" is "how heavy"): every such question would read as the group's word.
    None when it is a word of its own (a phrase, "who makes", is matched as written). Read
    as the story's index reads it (English rules)."""
    if len(word.split()) > 1:
        return None
    asks = analyse(word)
    if not asks or not all(t.startswith("@") for t in asks):
        return None
    return (
        f"reads as a question word ({' '.join(asks)}), which the engine reads itself: an "
        'answer that does not give it is declined already ("how heavy?" needs a weight). '
        "Leave it out, or name the group for what the story lacks in other words "
        "(body_weight: [kilograms, pounds])"
    )


def _general_groups(
    language: str, owner: Mapping[tuple[str, ...], tuple[str, int]]
) -> list[tuple[str, list[str]]]:
    """The language's lexicon groups as the story leaves them: an alias the story gives a
    group of its own stays the story's, and a lexicon group whose canonical word the story
    files under another word joins that word ("trip" as an alias of the story's "holiday"
    takes "journey" with it)."""
    merged = []
    for canonical, *aliases in lexicon.groups(language):
        claimed = owner.get(tuple(stem(w) for w in words(canonical)))
        target = claimed[0] if claimed else canonical
        free = [a for a in aliases if tuple(stem(w) for w in words(a)) not in owner]
        merged.append((target, [canonical, *free] if target != canonical else free))
    return merged


def story_language(sources: Iterable[Source]) -> str:
    """The language most of the story's sources are in (English without sources)."""
    counts = Counter(source.language for source in sources)
    return counts.most_common(1)[0][0] if counts else "en"


def _guard_leaks(
    index: MatchIndex, guards: list[tuple[str, int]], surfaces: Mapping[str, list[str]]
) -> list[Problem]:
    """Phrasings that use a guard's words: their entry would answer what the guard marks as
    something the story does not say."""
    problems = []
    for canonical, line in guards:
        token = canonical_token(canonical)
        for entry in index.entries_using(token):  # usually none: only these are read again
            if entry.id.startswith(DECLINED_PREFIX):
                continue  # a declined question may well use a guard's words
            for text in (entry.question, *entry.phrasings):
                written = surfaces.get(text) or surface_words(text)
                if token not in analyse_surface(written, index.synonyms):
                    continue
                # which of the phrasing's words read as the guard ("armed" as a weapon)
                culprits = [w for w in written if token in analyse_surface([w], index.synonyms)]
                named = (
                    f" ({', '.join(map(repr, culprits))} reads as it: `storybot lexicon "
                    f"{culprits[0]}` shows why)"
                    if culprits
                    else ""
                )
                problems.append(
                    Problem(
                        SYNONYMS_FILE,
                        line,
                        f"guard {canonical}: phrasing {text!r} of entry {entry.id} uses its "
                        f"words{named}, so that entry would answer what the story does not say: "
                        "reword the phrasing, or drop 'guard' if the story now answers it",
                    )
                )
    return problems


def _whys_without_reason(
    index: MatchIndex, surfaces: Mapping[str, list[str]], lines: Mapping[str, int]
) -> list[Problem]:
    """Why-phrasings of entries that give no reason: such a phrasing claims a reason the
    answer does not give ("why didn't kim fly?" -> "No, he took the train")."""
    problems = []
    for entry in index.entries_using("@why"):  # only these can have one
        if entry.gives_reason or entry.id.startswith(DECLINED_PREFIX):  # a decline claims none
            continue
        for text in (entry.question, *entry.phrasings):
            written = surfaces.get(text) or surface_words(text)
            if "@why" in analyse_surface(written, index.synonyms):
                problems.append(
                    Problem(
                        FAQ_FILE if text in lines else OVERLAY,
                        lines.get(text),
                        f"entry {entry.id}: phrasing {text!r} asks why, but the entry does not "
                        "say it gives a reason: add 'gives_reason: true' if its answer says "
                        "why, or drop the phrasing",
                    )
                )
    return problems


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def content_hash(directory: Path, sources: Iterable[Source] = ()) -> str:
    """A short hash of every knowledge file's bytes: the knowledge version."""
    digest = hashlib.sha256()
    translated = [f"{I18N_DIR}/{path.name}" for path in translation_files(Path(directory))]
    names = [*KNOWLEDGE_FILES, *sorted({s.file for s in sources}), *translated]
    for name in names:
        path = directory / name
        digest.update(name.encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes())
        digest.update(b"\0")
    # The engine's general vocabulary answers too: a new lexicon is a new version.
    digest.update(lexicon.lexicon_bytes(story_language(sources)))
    return digest.hexdigest()[:12]


def validate(
    directory: Path, overlay: Overlay = EMPTY_OVERLAY
) -> tuple[Snapshot | None, list[Problem]]:
    """Load and check a knowledge directory with taught knowledge merged onto it: the
    snapshot when clean, and all problems."""
    # Loading allocates hundreds of thousands of objects that live on, none in cycles: the
    # cyclic collector would only rescan them again and again (a third of the load time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _validate(directory, overlay)
    finally:
        if collecting:
            gc.enable()


def _validate(directory: Path, overlay: Overlay) -> tuple[Snapshot | None, list[Problem]]:
    started = time.perf_counter()
    directory = Path(directory)
    if not directory.is_dir():
        return None, [Problem(str(directory), None, "knowledge directory not found")]
    checks = {name: _Checker(name) for name in KNOWLEDGE_FILES}
    # None when uncertain (sources.yaml unreadable, a duplicate id): then facts' source
    # references are not checked.
    sources, source_ids = _load_sources(directory, checks[SOURCES_FILE])
    facts, declared_facts = _load_facts(directory, checks[FACTS_FILE], sources, source_ids)
    surfaces: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    todo: list[Todo] = []
    entries = _load_entries(
        directory, checks[FAQ_FILE], facts, declared_facts, surfaces, lines, todo
    )
    entries = _with_updates(entries, facts, sources)
    # What the story's phrasings ask how long it lasts ("how long does matariki last?").
    lasting = lasting_words(lines)
    synonyms, guards = _load_synonyms(
        directory, checks[SYNONYMS_FILE], story_language(sources.values()), lasting
    )
    problems = [p for c in checks.values() for p in c.problems]
    if not problems and not entries and not todo:
        problems.append(Problem(FAQ_FILE, None, "no entries: the bot would know nothing"))
    if problems:
        return None, problems
    entries, declined, problems = _merge_overlay(entries, overlay, surfaces)
    if problems:
        return None, problems
    # A fact's speaker backs it too: "what did Strickland say?" asks for the entries that
    # cite his words.
    evidence = {
        entry.id: " ".join(_backing(facts[f]) for f in entry.fact_ids) for entry in entries.values()
    }
    # The index reads answers without the dates beside their weekdays: "3 September 2025"
    # would make "3" a rare word of one entry, and a question's "the 3 of them" about it.
    indexed = [replace(e, answer=timeline.weekdays_only(e.answer)) for e in entries.values()]
    index = MatchIndex.build([*indexed, *declined], synonyms, evidence, surfaces)
    problems = _guard_leaks(index, guards, surfaces) + _whys_without_reason(index, surfaces, lines)
    if problems:
        return None, problems
    version = content_hash(directory, sources.values())
    if overlay.items:  # taught knowledge is part of what answers: a new version
        version = hashlib.sha256(f"{version}+{overlay.digest()}".encode()).hexdigest()[:12]
    snapshot = Snapshot(
        directory=directory,
        sources=MappingProxyType(sources),
        facts=MappingProxyType(facts),
        entries=MappingProxyType(entries),
        index=index,
        version=version,
        load_seconds=time.perf_counter() - started,
        declined=frozenset(entry.id for entry in declined),
        overlay=overlay,
        todo=tuple(todo),
    )
    # Translations come last: whatever is wrong with them, the English knowledge stands.
    return with_translations(snapshot), []


def _merge_overlay(
    entries: dict[str, Entry], overlay: Overlay, surfaces: dict[str, list[str]]
) -> tuple[dict[str, Entry], list[Entry], list[Problem]]:
    """Entries with the taught phrasings added, the stand-ins of declined questions for the
    index, and what is wrong with the teachings (checked like phrasings in faq.yaml)."""
    if not overlay.items:
        return entries, [], []
    problems = []
    owner = {
        " ".join(surfaces.get(text) or surface_words(text)): entry.id
        for entry in entries.values()
        for text in (entry.question, *entry.phrasings)
    }
    from_files = set(owner)
    added: dict[str, list[str]] = {}
    for taught in overlay.phrasings():
        where = f"taught #{taught.id}"
        written = surface_words(taught.text)
        key = " ".join(written)
        if taught.entry not in entries:
            problems.append(Problem(OVERLAY, None, f"{where}: entry {taught.entry!r} is gone"))
        elif not analyse_surface(written):
            problems.append(Problem(OVERLAY, None, f"{where}: {taught.text!r} has no words"))
        elif owner.get(key) == taught.entry and key in from_files:
            continue  # the files have it already (exported, or added by hand): nothing to do
        elif key in owner:
            problems.append(
                Problem(
                    OVERLAY,
                    None,
                    f"{where}: phrasing {taught.text!r} is already in entry {owner[key]!r}",
                )
            )
        else:
            owner[key] = taught.entry
            surfaces[taught.text] = written
            added.setdefault(taught.entry, []).append(taught.text)
    merged = dict(entries)
    for entry_id, texts in added.items():
        entry = merged[entry_id]
        merged[entry_id] = replace(entry, phrasings=(*entry.phrasings, *texts))
    declined = []
    for taught in overlay.declines():
        written = surface_words(taught.text)
        if not analyse_surface(written):
            problems.append(
                Problem(OVERLAY, None, f"taught #{taught.id}: {taught.text!r} has no words")
            )
            continue
        surfaces[taught.text] = written
        declined.append(Entry(declined_id(taught), taught.text, (), "", (), ()))
    return merged, declined, problems


def load(directory: Path, overlay: Overlay = EMPTY_OVERLAY) -> Snapshot:
    """Load a knowledge directory, refusing it with KnowledgeError if it has any problem."""
    snapshot, problems = validate(directory, overlay)
    if snapshot is None:
        raise KnowledgeError(problems)
    return snapshot


def words_only(directory: Path) -> Snapshot:
    """The story's reading of words, for a folder that does not load: its synonyms (the groups
    that read) over the lexicon of its language, with no entries. What `storybot lexicon`
    shows while a curator mends the folder; never answers anyone."""
    directory = Path(directory)
    sources, _ = _load_sources(directory, _Checker(SOURCES_FILE))
    language = story_language(sources.values())
    synonyms, _ = _load_synonyms(directory, _Checker(SYNONYMS_FILE), language, frozenset())
    index = MatchIndex.build([], synonyms, language=languages.get(language))
    return Snapshot(directory, MappingProxyType(sources), {}, {}, index, "", 0.0)


def coverage_gaps(snapshot: Snapshot) -> list[tuple[Source, str]]:
    """Sentences of each source that no fact quotes (and that are not marked uncovered_ok)."""
    gaps = []
    for source in snapshot.sources.values():
        text = folded_text(source.text)
        quoted = quoted_spans(text, [folded_text(f.quote) for f in _facts_of(snapshot, source)])
        skipped = {folded_text(s) for s in source.uncovered_ok}
        for sentence, folded, start in placed_sentences(source.text, text):
            end = start + len(folded)
            if folded in skipped or (start >= 0 and _covered(start, end, quoted, text)):
                continue
            gaps.append((source, sentence))
    return gaps


def placed_sentences(source_text: str, folded: str) -> Iterator[tuple[str, str, int]]:
    """Each sentence of a source as written, as folded, and where it starts in the source's
    ``folded`` text (-1 when it is not found there)."""
    at = 0
    for sentence in split_sentences(source_text):
        folded_sentence = folded_text(sentence)
        start = folded.find(folded_sentence, at)
        if start >= 0:
            at = start + len(folded_sentence)
        yield sentence, folded_sentence, start


def folded_text(text: str) -> str:
    """Text as quotes are compared with it: whitespace and quote-mark style ignored."""
    return " ".join(text.translate(_QUOTE_MARKS).split())


def _facts_of(snapshot: Snapshot, source: Source) -> list[Fact]:
    return [f for f in snapshot.facts.values() if f.source_id == source.id]


def quoted_spans(text: str, quotes: Iterable[str]) -> list[tuple[int, int]]:
    """Where the quotes stand in the text (every place each one does)."""
    spans = []
    for quote in filter(None, quotes):
        start = text.find(quote)
        while start >= 0:
            spans.append((start, start + len(quote)))
            start = text.find(quote, start + 1)
    return spans


def _covered(start: int, end: int, quoted: list[tuple[int, int]], text: str) -> bool:
    """True when quotes together span at least 60% of the sentence's letters (a quote may run
    on from the sentence before or into the next)."""
    marked = bytearray(end - start)
    for q_start, q_end in quoted:
        for i in range(max(start, q_start), min(end, q_end)):
            marked[i - start] = 1
    letters = [i for i in range(start, end) if not text[i].isspace()]
    return sum(marked[i - start] for i in letters) >= 0.6 * len(letters)


MIN_PHRASINGS = 8
SCHEMA_PATH = "schema/knowledge.schema.json"
_SCHEMA_HEADER = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)")


def schema_notes(directory: Path) -> list[str]:
    """The files whose editor header (``# yaml-language-server: $schema=...``) points at a
    schema the folder lacks: the editor then checks nothing, silently."""
    missing: dict[str, list[str]] = {}
    for name in KNOWLEDGE_FILES:
        try:
            first = (directory / name).read_text(encoding="utf-8").split("\n", 1)[0]
        except OSError:
            continue
        header = _SCHEMA_HEADER.match(first)
        if header is not None and not (directory / header.group(1)).is_file():
            missing.setdefault(header.group(1), []).append(name)
    notes = []
    for where, names in missing.items():
        fix = (
            f"write $schema={SCHEMA_PATH}"
            if (directory / SCHEMA_PATH).is_file()
            else f"copy the bundled knowledge's schema/ folder here ({SCHEMA_PATH})"
        )
        notes.append(
            f"{', '.join(names)}: the first line names the schema {where!r}, which this "
            f"folder does not have, so editors check nothing: {fix}; storybot new does it"
        )
    return notes


def curation_notes(snapshot: Snapshot, listed: Collection[str] = ()) -> list[str]:
    """Advice for curators that does not stop loading: facts no entry cites (but those in
    ``listed``, already reported by the sentence they quote), thin entries, phrasings that
    can never match (only stopwords), and phrasings of different entries that mean the same
    words."""
    notes = schema_notes(snapshot.directory)
    index = snapshot.index
    cited = {fact_id for entry in snapshot.entries.values() for fact_id in entry.fact_ids}
    notes.extend(
        f"fact {fact_id}: no entry cites it, so no question can reach it"
        for fact_id in snapshot.facts
        if fact_id not in cited and fact_id not in listed
    )
    owners: dict[frozenset[str], tuple[str, str]] = {}
    for entry in snapshot.entries.values():
        if len(entry.phrasings) < MIN_PHRASINGS:
            notes.append(
                f"entry {entry.id}: {len(entry.phrasings)} phrasings; "
                f"aim for {MIN_PHRASINGS} or more"
            )
        for phrasing in (entry.question, *entry.phrasings):
            reading = list(dict.fromkeys(analyse(phrasing, index.synonyms)))
            tokens = frozenset(reading)
            if not tokens - {t for t in tokens if t.startswith("@")}:
                notes.append(f"entry {entry.id}: phrasing {phrasing!r} has no topic words")
                continue
            owner = owners.setdefault(tokens, (entry.id, phrasing))
            if owner[0] != entry.id:
                # the reading shows why: dropped words, merged forms, a synonym group
                notes.append(
                    f"entry {entry.id}: phrasing {phrasing!r} means the same words as "
                    f"{owner[1]!r} in entry {owner[0]} (both read as: {' '.join(reading)}; "
                    "storybot lexicon shows how)"
                )
    return notes


def _backing(fact: Fact) -> str:
    """The text that backs a fact: its quote, and who said it."""
    return f"{fact.quote} {fact.said_by} said" if fact.said_by else fact.quote
