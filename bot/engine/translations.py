"""Curated translations (``knowledge/i18n/<code>.yaml``): the entries' questions, answers and
phrasings in another language, read into one snapshot per language that shares the English
sources and facts (quotes stay verbatim in the source's language) and has its own index.

A broken translation file is reported and skipped: it never stops the English knowledge
from loading. Each translated entry stores the stamp of the English question and answer it
was made from (``translated_from``), so a later change of the English shows the translation
as stale (`storybot translations stamp` writes the stamps).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

from bot.engine import languages, lexicon, timeline
from bot.engine.matcher import MatchIndex
from bot.engine.model import Entry, Problem, Snapshot
from bot.engine.yamlfile import YamlList, YamlMap, read_yaml

I18N_DIR = "i18n"
MIN_PHRASINGS = 8
MAX_TEXT_CHARS = 3000
_FIELDS = ("id", "translated_from", "question", "answer", "phrasings")
_REQUIRED = ("id", "question", "answer", "phrasings")
_Add = Callable[[int | None, str], None]  # reports one problem of the file being read
_NUMBER = re.compile(r"\d+(?:[.,\s]\d{3})*(?:\.\d+)?")


def stamp(entry: Entry) -> str:
    """The short hash of what a translation of ``entry`` is made from: its English question
    and answer."""
    return hashlib.sha256(f"{entry.question}\n{entry.answer}".encode()).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class TranslationFile:
    """One language's translation file as read: what is usable of it, and where."""

    language: str
    file: str  # as problems name it: "i18n/ru.yaml"
    entries: Mapping[str, Entry]  # the translated entries (facts and links as in English)
    synonyms: tuple[tuple[str, ...], ...]
    stamps: Mapping[str, str | None]  # entry id -> its translated_from, as written
    lines: Mapping[str, int]  # entry id -> its line


def translation_files(directory: Path) -> list[Path]:
    """The translation files of a knowledge directory, in name order."""
    folder = Path(directory) / I18N_DIR
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def read_translations(
    directory: Path, english: Mapping[str, Entry]
) -> tuple[list[TranslationFile], list[Problem]]:
    """Every readable translation file, and the problems of all of them."""
    found, problems = [], []
    for path in translation_files(directory):
        translation, file_problems = _read(path, english)
        problems += file_problems
        if translation is not None:
            found.append(translation)
    return found, problems


def _read(path: Path, english: Mapping[str, Entry]) -> tuple[TranslationFile | None, list[Problem]]:
    name = f"{I18N_DIR}/{path.name}"
    data, problems = read_yaml(path, name)
    if problems:
        return None, problems
    problems = []

    def add(line: int | None, message: str) -> None:
        problems.append(Problem(name, line, message))

    if not isinstance(data, YamlMap):
        add(1, "expected a mapping with 'language:' and an 'entries:' list")
        return None, problems
    for extra in sorted(set(data) - {"language", "entries", "synonyms"}):
        add(data.line_of(extra), f"unknown top-level key {extra!r}")
    code = data.get("language")
    if code != path.stem:
        add(data.line_of("language"), f"'language' must be {path.stem!r}, as the file is named")
        return None, problems
    if code == languages.DEFAULT or code not in languages.CODES:
        known = ", ".join(c for c in languages.CODES if c != languages.DEFAULT)
        add(data.line_of("language"), f"no analyser for language {code!r} (one of: {known})")
        return None, problems
    items = data.get("entries")
    if not isinstance(items, YamlList):
        add(data.line_of("entries"), "'entries' must be a list")
        return None, problems
    entries: dict[str, Entry] = {}
    stamps: dict[str, str | None] = {}
    lines: dict[str, int] = {}
    for item, line in zip(items, items.item_lines, strict=True):
        if not isinstance(item, YamlMap):
            add(line, "each item of 'entries' must be a mapping")
            continue
        entry = _entry(item, english, entries, lines, add)
        if entry is not None:
            entries[entry.id] = entry
            lines[entry.id] = item.line
            written = item.get("translated_from")
            stamps[entry.id] = str(written) if written is not None else None
    groups = _synonyms(data, add)
    return TranslationFile(code, name, entries, groups, stamps, lines), problems


def _entry(
    item: YamlMap,
    english: Mapping[str, Entry],
    seen: Mapping[str, Entry],
    lines: Mapping[str, int],
    add: _Add,
) -> Entry | None:
    entry_id = item.get("id")
    what = f"entry {entry_id!s}"
    for field in sorted(set(item) - set(_FIELDS)):
        add(item.line_of(field), f"{what}: unknown field {field!r}")
    missing = [field for field in _REQUIRED if field not in item]
    if missing:
        add(item.line, f"{what}: missing required field '{missing[0]}'")
        return None
    if not isinstance(entry_id, str) or entry_id not in english:
        add(item.line_of("id"), f"{what}: no entry {entry_id!r} in faq.yaml")
        return None
    if entry_id in seen:
        add(item.line_of("id"), f"{what}: translated twice (first on line {lines[entry_id]})")
        return None
    texts = {}
    for field in ("question", "answer"):
        value = item.get(field)
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT_CHARS:
            add(item.line_of(field), f"{what}: '{field}' must be non-empty text")
            return None
        texts[field] = " ".join(value.split()) if field == "question" else value.strip()
    phrasings = item.get("phrasings")
    if not isinstance(phrasings, YamlList):
        add(item.line_of("phrasings"), f"{what}: 'phrasings' must be a list")
        return None
    kept: list[str] = []
    for phrasing, line in zip(phrasings, phrasings.item_lines, strict=True):
        if not isinstance(phrasing, str) or not phrasing.strip():
            add(line, f"{what}: phrasings must be non-empty text")
        elif phrasing.strip() in kept or phrasing.strip() == texts["question"]:
            add(line, f"{what}: phrasing {phrasing.strip()!r} appears twice")
        else:
            kept.append(phrasing.strip())
    if "translated_from" in item and not isinstance(item["translated_from"], str):
        # A stamp of digits only, unquoted, reads as a number (and loses leading zeros).
        add(item.line_of("translated_from"), f"{what}: 'translated_from' must be quoted text")
    original = english[entry_id]
    return Entry(
        entry_id,
        texts["question"],
        tuple(kept),
        texts["answer"],
        original.fact_ids,
        original.related,
        original.gives_reason,
    )


def _synonyms(data: YamlMap, add: _Add) -> tuple[tuple[str, ...], ...]:
    value = data.get("synonyms", YamlList())
    if not isinstance(value, YamlList):
        add(data.line_of("synonyms"), "'synonyms' must be a list of groups (lists of words)")
        return ()
    groups = []
    for group, line in zip(value, getattr(value, "item_lines", []), strict=False):
        words = group if isinstance(group, list) else None
        if not words or len(words) < 2 or not all(isinstance(w, str) and w.strip() for w in words):
            add(line, "a synonym group is a list of two or more words")
            continue
        groups.append(tuple(w.strip() for w in words))
    return tuple(groups)


def with_translations(snapshot: Snapshot) -> Snapshot:
    """The snapshot with its translations read (one snapshot per language, each with an
    index of its own) and the problems of the translation files."""
    files, problems = read_translations(snapshot.directory, snapshot.entries)
    views = {}
    for translation in files:
        if translation.entries:
            views[translation.language] = in_language(snapshot, translation)
    return replace(
        snapshot, translations=MappingProxyType(views), translation_problems=tuple(problems)
    )


def in_language(snapshot: Snapshot, translation: TranslationFile) -> Snapshot:
    """The knowledge as read and answered in the translation's language."""
    analyser = languages.get(translation.language)
    synonyms = analyser.synonyms(merged_groups(translation.synonyms, translation.language))
    # Readers may use the source's names and numbers ("Hwasong-20", "1,960"): the quotes
    # back each entry as they do in English.
    evidence = {
        entry.id: " ".join(snapshot.facts[f].quote for f in entry.fact_ids)
        for entry in translation.entries.values()
    }
    indexed = [
        replace(e, answer=timeline.weekdays_only(e.answer)) for e in translation.entries.values()
    ]
    index = MatchIndex.build(indexed, synonyms, evidence, language=analyser)
    return replace(
        snapshot,
        entries=MappingProxyType(dict(translation.entries)),
        index=index,
        declined=frozenset(),
        language=translation.language,
        translations=MappingProxyType({}),
        translation_problems=(),
    )


def merged_groups(story: Iterable[Iterable[str]], code: str) -> list[list[str]]:
    """The story's synonym groups with the language's general ones (`lexicon.groups`). The
    story wins: a general group that shares a word with a story group adds its other words
    to that group, under the story's canonical word."""
    groups = [list(group) for group in story]
    owner = {word.casefold(): group for group in groups for word in group}
    for general in lexicon.groups(code):
        words = [w for w in general if w.casefold() not in owner]
        shared = next((owner[w.casefold()] for w in general if w.casefold() in owner), None)
        if shared is not None:
            shared.extend(words)
        elif len(words) > 1:
            groups.append(words)
        for word in words:
            owner[word.casefold()] = shared if shared is not None else groups[-1]
    return groups


@dataclass(frozen=True, slots=True)
class Coverage:
    """How complete one language's translation is, for `storybot check`."""

    language: str
    file: str
    translated: int
    phrasings: int
    notes: tuple[str, ...]  # missing, thin, stale, unstamped and number mismatches


def coverage(snapshot: Snapshot) -> list[Coverage]:
    """Per translation file: what is translated, and what a curator should look at."""
    files, _ = read_translations(snapshot.directory, snapshot.entries)
    report = []
    for translation in files:
        notes = []
        where = translation.file
        for entry in snapshot.entries.values():
            if entry.id not in translation.entries:
                notes.append(f"{where}: entry {entry.id} is not translated")
        for entry_id, entry in translation.entries.items():
            line = f"{where}:{translation.lines[entry_id]}: entry {entry_id}"
            english = snapshot.entries[entry_id]
            if len(entry.phrasings) < MIN_PHRASINGS:
                notes.append(
                    f"{line}: {len(entry.phrasings)} phrasings; aim for {MIN_PHRASINGS} or more"
                )
            written = translation.stamps[entry_id]
            if written is None:
                notes.append(f"{line}: no 'translated_from' (storybot translations stamp)")
            elif written != stamp(english):
                notes.append(
                    f"{line}: stale, the English question or answer changed since it was "
                    "translated (check it, then: storybot translations stamp "
                    f"{translation.language} --entry {entry_id})"
                )
            # Dates may be written with more numbers (9月3日), never with fewer.
            lost = _numbers(english.answer) - _numbers(entry.answer)
            if lost:
                notes.append(f"{line}: the answer lacks the English answer's {sorted(lost)}")
        report.append(
            Coverage(
                translation.language,
                where,
                len(translation.entries),
                sum(1 + len(e.phrasings) for e in translation.entries.values()),
                tuple(notes),
            )
        )
    return report


def _numbers(text: str) -> set[str]:
    """The numbers of a text as digits only: "1,960" and "1 960" are 1960, "02" is 2."""
    return {re.sub(r"[.,\s](?=\d{3})", "", n).lstrip("0") or "0" for n in _NUMBER.findall(text)}


def write_stamps(
    directory: Path, english: Mapping[str, Entry], code: str, only: Iterable[str] | None = None
) -> list[str]:
    """Write ``translated_from`` into ``i18n/<code>.yaml``: for the entries in ``only``, or
    else for every entry that has none yet. Returns the ids stamped. The file is edited line
    by line, so its comments and layout stay."""
    path = Path(directory) / I18N_DIR / f"{code}.yaml"
    translation, problems = _read(path, english)
    if translation is None:
        raise ValueError("; ".join(str(p) for p in problems) or f"cannot read {path}")
    wanted = set(only) if only is not None else None
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    data, _ = read_yaml(path, translation.file)
    stamped = []
    inserts: list[tuple[int, str]] = []
    for item in data["entries"]:
        entry_id = item.get("id") if isinstance(item, YamlMap) else None
        if entry_id not in translation.entries:
            continue
        has = item.get("translated_from") is not None
        if (wanted is None and has) or (wanted is not None and entry_id not in wanted):
            continue
        value = stamp(english[entry_id])
        if "translated_from" in item:
            number = item.line_of("translated_from") - 1
            lines[number] = (
                re.sub(
                    r"(translated_from:\s*)[^#\n]*?(\s*(?:#.*)?)$",
                    lambda m, v=value: f'{m.group(1)}"{v}"{m.group(2)}',
                    lines[number].rstrip("\n"),
                )
                + "\n"
            )
        else:
            id_line = lines[item.line_of("id") - 1]
            indent = " " * id_line.index("id:")
            # Quoted: a stamp of digits only would read as a number.
            inserts.append((item.line_of("id"), f'{indent}translated_from: "{value}"\n'))
        stamped.append(entry_id)
    for after, text in sorted(inserts, reverse=True):
        lines.insert(after, text)
    path.write_text("".join(lines), encoding="utf-8")
    return stamped
