"""`storybot new`: a knowledge folder for a new story, drafted from its article.

The folder gets the JSON Schema, the article as its one source (verbatim), one drafted fact per
sentence (the dateline's statement already says who published the story and when) and FAQ
entries to write, marked `todo: true`: `storybot check` lists them, readers never get them.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from bot.curation.addsource import (
    SourceError,
    check_fields,
    fact_item,
    read_article,
    source_id_for,
    source_item,
)
from bot.curation.drafting import (
    HEADLINE_WORDS,
    DraftFact,
    draft_facts,
    is_heading,
    set_aside,
)
from bot.curation.yamledit import scalar
from bot.engine.loader import FACTS_FILE, FAQ_FILE, SOURCES_FILE, SYNONYMS_FILE, validate
from bot.settings import bundled_knowledge

SCHEMA = "schema/knowledge.schema.json"
HEADER = f"# yaml-language-server: $schema={SCHEMA}\n"
DATELINE_LINES = 4  # the dateline is among the article's first lines
PARAGRAPH_WORDS = 8  # words of a paragraph that name it in its entry's draft question


@dataclass(frozen=True, slots=True)
class NewStory:
    """What `new` wrote."""

    directory: Path
    source_id: str
    facts: tuple[DraftFact, ...]
    todo: tuple[str, ...]  # ids of the entries to write


def new_story(
    directory: Path,
    article: Path,
    *,
    title: str,
    publisher: str,
    date: str,
    url: str | None = None,
) -> NewStory:
    """Write a new knowledge folder at ``directory`` (which must not exist or be empty)."""
    check_fields(title, publisher, date, url)
    text = read_article(article)
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise SourceError(f"{directory} already exists and is not empty: choose a new folder")
    source_id = source_id_for(publisher, date, title)
    facts = draft_facts(text)
    if not facts:
        raise SourceError(f"{article}: no sentences found")
    facts = _with_dateline(facts, publisher, date)
    entries = _todo_entries(text, facts, title)
    file = f"sources/{source_id}.txt"
    files = {
        SOURCES_FILE: HEADER
        + "sources:\n"
        + _indented(source_item(source_id, title, publisher, date, url, file, set_aside(text))),
        FACTS_FILE: HEADER
        + "# Drafted by storybot new, one per sentence: rewrite each statement in plain words;\n"
        "# keep each quote word for word (shorten it to the part that proves the statement).\n"
        "facts:\n" + "".join(_indented(fact_item(fact, source_id)) for fact in facts),
        FAQ_FILE: HEADER
        + "# Entries marked 'todo: true' answer nobody yet: write 8-12 phrasings (the way\n"
        "# readers ask) and a short answer, cite the facts it says, then remove 'todo: true'.\n"
        "entries:\n" + "".join(_todo_item(*entry) for entry in entries),
        SYNONYMS_FILE: HEADER
        + "# This story's names and words (people, places, its own terms). General English\n"
        "# (why/reason, talk/say, site/outlet...) ships with the engine: no need to add it.\n"
        "synonyms: []\n",
    }
    (directory / "sources").mkdir(parents=True, exist_ok=True)
    (directory / "schema").mkdir(exist_ok=True)
    shutil.copyfile(bundled_knowledge() / SCHEMA, directory / SCHEMA)
    (directory / file).write_text(text, encoding="utf-8", newline="")
    for name, content in files.items():
        (directory / name).write_text(content, encoding="utf-8")
    _, problems = validate(directory)
    if problems:  # a drafting bug, not the curator's: say so plainly
        listed = "\n".join(f"  {p}" for p in problems)
        raise SourceError(f"the drafted folder does not load:\n{listed}")
    return NewStory(directory, source_id, tuple(facts), tuple(e[0] for e in entries))


def _indented(item: str) -> str:
    return "".join(f"  {line}\n" for line in item.splitlines())


def _with_dateline(facts: list[DraftFact], publisher: str, date: str) -> list[DraftFact]:
    """The facts, the dateline's draft saying what it tells readers: who published the story,
    and when. The dateline is the first of the opening lines that names the year or starts
    "By ..." ("By Global Leaders Insights Team | Sep 02, 2025")."""
    day = dt.date.fromisoformat(date)
    for number, fact in enumerate(facts[:DATELINE_LINES]):
        if str(day.year) in fact.quote or _BYLINE.match(fact.quote):
            statement = f"{publisher} published the story on {day.day} {day:%B %Y}."
            return [
                *facts[:number],
                DraftFact(fact.id, statement, fact.quote),
                *facts[number + 1 :],
            ]
    return facts


_BYLINE = re.compile(r"^\s*(?:by|published|updated|posted)\b", re.IGNORECASE)


def _todo_entries(
    text: str, facts: list[DraftFact], title: str
) -> list[tuple[str, str, list[str]]]:
    """Draft entries to write: what the story is about, who published it and when, and one
    per paragraph of the article citing that paragraph's facts."""
    by_quote = {fact.quote: fact.id for fact in facts}
    paragraphs = []
    for block in text.splitlines():  # a paragraph per line, as news text is saved
        ids = [fid for quote, fid in by_quote.items() if quote in block]
        if ids:
            paragraphs.append((block, ids))
    # The headline (a short line that ends no sentence) is the story's; a text saved without
    # one starts with its body.
    titled = bool(paragraphs) and is_heading(paragraphs[0][0], HEADLINE_WORDS)
    head = [fid for block, ids in paragraphs[:1] for fid in ids]
    dateline = [f.id for f in facts[:DATELINE_LINES] if "published the story" in f.statement]
    # "The Associated Press reported this story. Bryan Lynn adapted it for VOA...": who
    # published it, when no dateline says so
    credit = [f.id for f in facts if _CREDIT.search(f.quote)]
    body = [(b, ids) for b, ids in paragraphs[titled:] if set(ids) - set(dateline) - set(credit)]
    summary = (body[0][1] if body else head)[:3]
    drafts = [
        ("story-summary", "What is the story about?", summary),
        ("story-source", f"Who published {title!r}, and when?", dateline or credit or head[:1]),
    ]
    for number, (block, ids) in enumerate(body, 1):
        if set(ids) <= set(summary):  # a lead the summary's draft already cites whole
            continue
        opening = " ".join(block.split()[:PARAGRAPH_WORDS]).rstrip(",;:.!?")
        drafts.append((f"paragraph-{number}", f"What does the story say about: {opening}…?", ids))
    return drafts


_CREDIT = re.compile(
    r"\b(?:reported|wrote|adapted|edited|contributed to) (?:this|the) (?:story|report|article)\b"
    r"|\badapted (?:it|the report|the story) for\b",
    re.IGNORECASE,
)


def _todo_item(entry_id: str, question: str, cited: list[str]) -> str:
    return (
        f"  - id: {entry_id}\n    todo: true\n    question: {scalar(question)}\n"
        f"    facts: [{', '.join(cited)}]\n"
    )
