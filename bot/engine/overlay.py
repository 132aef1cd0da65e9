"""Knowledge taught at run time, merged onto the reviewed files by the loader.

Curators teach from Telegram: a phrasing added to an entry, or a question marked as not in the
story. The teachings live in the database (every replica reads the same ones) until
`storybot knowledge export` writes them into the YAML files. This module only describes them;
the loader checks and merges them exactly like the files' own content.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum


class TaughtKind(StrEnum):
    """What a teaching adds."""

    PHRASING = "phrasing"  # one more way to ask an entry's question
    DECLINE = "decline"  # a question the story does not answer: the bot says so


@dataclass(frozen=True, slots=True)
class Taught:
    """One active teaching."""

    id: int
    kind: TaughtKind
    text: str  # the phrasing, or the declined question
    entry: str | None = None  # the entry a phrasing joins


@dataclass(frozen=True, slots=True)
class Overlay:
    """The active teachings at one revision of the database (0: none ever)."""

    revision: int = 0
    items: tuple[Taught, ...] = ()

    def digest(self) -> str:
        """A short hash of the teachings: part of the knowledge version."""
        digest = hashlib.sha256()
        for item in self.items:
            digest.update(f"{item.id}\0{item.kind}\0{item.entry or ''}\0{item.text}\0".encode())
        return digest.hexdigest()[:12]

    def phrasings(self) -> list[Taught]:
        """The taught phrasings, oldest first."""
        return [item for item in self.items if item.kind is TaughtKind.PHRASING]

    def declines(self) -> list[Taught]:
        """The questions taught as not in the story, oldest first."""
        return [item for item in self.items if item.kind is TaughtKind.DECLINE]


EMPTY_OVERLAY = Overlay()
DECLINED_PREFIX = "~declined-"  # ids of the index's stand-ins for declined questions


def declined_id(taught: Taught) -> str:
    """The index id standing for one declined question (never a valid entry id)."""
    return f"{DECLINED_PREFIX}{taught.id}"
