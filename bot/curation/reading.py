"""`storybot lexicon`: how the engine reads a word or phrase, and which synonym groups hold it.

A curator deciding whether a word needs a synonym group, or why two phrasings "mean the same
words", sees the tokens the story's index reads (the engine's own analyser, synonyms applied)
and, per token, the groups that read as it: the story's `synonyms.yaml` and the general
lexicon of the story's language (`bot/engine/lexicon/<code>.yaml`).
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from bot.engine import lexicon
from bot.engine.loader import SYNONYMS_FILE, story_language
from bot.engine.model import Snapshot
from bot.engine.text import canonical_token, stem, surface_words, words

SHOWN_WORDS = 8  # words of a group shown; the rest are counted


@dataclass(frozen=True, slots=True)
class Group:
    """A synonym group as written, with where it comes from."""

    canonical: str
    aliases: tuple[str, ...]
    origin: str  # "story" (synonyms.yaml) or "lexicon" (the engine's general English)
    guard: bool = False

    @property
    def words(self) -> tuple[str, ...]:
        return (self.canonical, *self.aliases)


@dataclass(frozen=True, slots=True)
class Groups:
    """The synonym groups a story reads: by the token their words become, and by word."""

    by_token: dict[str, list[Group]]
    by_word: dict[str, list[Group]]  # casefolded word or phrase -> the groups listing it


def story_groups(snapshot: Snapshot) -> Groups:
    """Every synonym group the story reads: the story's groups first, then the lexicon's
    (less the aliases the story files under its own, as the loader leaves them)."""
    index = snapshot.index
    data = yaml.safe_load((snapshot.directory / SYNONYMS_FILE).read_text(encoding="utf-8"))
    story = [
        Group(str(g["canonical"]), tuple(map(str, g["aliases"])), "story", g.get("guard") is True)
        for g in (data or {}).get("synonyms") or []
    ]
    claimed = {_key(word) for group in story for word in group.words}
    by_token: dict[str, list[Group]] = {}
    for group in story:
        by_token.setdefault(canonical_token(group.canonical), []).append(group)
    for canonical, *aliases in lexicon.groups(story_language(snapshot.sources.values())):
        # read as the index reads it: a lexicon group whose word the story claims joins the
        # story's group ("semiconductor" under a story's "chip")
        reading = index.analyse(canonical)
        token = reading[0] if len(reading) == 1 else canonical_token(canonical)
        free = tuple(a for a in aliases if _key(a) not in claimed)
        by_token.setdefault(token, []).append(Group(canonical, free, "lexicon"))
    by_word: dict[str, list[Group]] = {}
    for groups in by_token.values():
        for group in groups:
            for word in group.words:
                by_word.setdefault(word.casefold(), []).append(group)
    return Groups(by_token, by_word)


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(phrase))


def explain(snapshot: Snapshot, phrase: str, groups: Groups) -> str:
    """How ``phrase`` reads, as lines of text: its tokens, the words that read as nothing,
    the groups holding each token, and groups that list the phrase but read it otherwise
    (``groups`` from `story_groups`)."""
    index = snapshot.index
    tokens = index.analyse(phrase)
    if tokens:
        lines = [f"{phrase!r} reads as: {' '.join(tokens)}"]
    else:
        lines = [f"{phrase!r} reads as nothing: stopwords and filler carry no topic"]
    dropped = [w for w in dict.fromkeys(surface_words(phrase)) if not index.analyse(w)]
    if tokens and len(surface_words(phrase)) > 1 and dropped:
        lines.append(f"  words that read as nothing: {', '.join(dropped)}")
    shown: list[Group] = []
    for token in tokens:
        held = groups.by_token.get(token, [])
        shown.extend(held)
        # a guard's word is used by no entry on purpose
        unused = not index.knows(token) and token not in index.synonyms.guarded
        use = " (no entry uses it)" if unused else ""
        if not held:
            kind = "a question word, which the engine reads itself" if token[0] == "@" else ""
            lines.append(f"  {token}{use}: {kind or 'in no synonym group'}")
        else:
            lines.append(f"  {token}{use}:")
            lines.extend(f"    {_describe(group)}" for group in held)
    listed = [g for g in groups.by_word.get(phrase.strip().casefold(), []) if g not in shown]
    if listed:
        lines.append("  listed, but read otherwise here, in:")
        lines.extend(f"    {_describe(group)}" for group in listed)
    return "\n".join(lines)


def _describe(group: Group) -> str:
    """The group as its file writes it: synonyms.yaml's canonical word and aliases, or the
    lexicon's list with its canonical word first."""
    if group.origin == "story":
        kind = "guard" if group.guard else "group"
        return f"synonyms.yaml {kind} {group.canonical}: [{_listed(group.aliases)}]"
    return f"lexicon group [{_listed(group.words)}]"


def _listed(items: tuple[str, ...]) -> str:
    more = len(items) - SHOWN_WORDS
    return ", ".join(items[:SHOWN_WORDS]) + (f", ... (+{more})" if more > 0 else "")
