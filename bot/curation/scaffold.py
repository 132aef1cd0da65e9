"""`storybot new`: a knowledge folder for a new story, drafted from its article.

The folder gets the JSON Schema, the article as its one source (verbatim), one drafted fact per
sentence (a dateline's statement already says who published the story and when) and FAQ
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
    facts, dateline = _with_dateline(text, facts, publisher, date)
    entries = _todo_entries(text, facts, title, dateline)
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


def _with_dateline(
    text: str, facts: list[DraftFact], publisher: str, date: str
) -> tuple[list[DraftFact], str | None]:
    """The facts, the dateline's draft saying what it tells readers, and the dateline's id
    (None without one). The dateline is the first of the opening lines that stands alone on
    its line and names the publication date ("Sep 02, 2025") or starts "By ..." ("By Global
    Leaders Insights Team | Sep 02, 2025"). A sentence of the body that names the year
    ("Throughout 2024, we saw...") is no dateline: its quote cannot prove who published the
    story, or when."""
    day = dt.date.fromisoformat(date)
    lines = {line.strip() for line in text.splitlines()}
    for number, fact in enumerate(facts[:DATELINE_LINES]):
        quote = fact.quote.strip()
        dated = _names_day(quote, day)
        byline = _BYLINE.match(quote)
        if quote not in lines or len(quote.split()) > HEADLINE_WORDS:
            continue
        if dated:
            statement = f"{publisher} published the story on {day.day} {day:%B %Y}."
        elif byline is not None:  # "By NASA" names the author, not the day
            statement = f"The story is by {quote[byline.end() :].strip(' :|-')}."
        else:
            continue
        drafted = DraftFact(fact.id, statement, fact.quote)
        return [*facts[:number], drafted, *facts[number + 1 :]], fact.id
    return facts, None


_BYLINE = re.compile(r"^\s*by\b", re.IGNORECASE)


def _names_day(quote: str, day: dt.date) -> bool:
    """True when ``quote`` names the day itself, not only its year: the year with the month's
    name ("Sep 02, 2025", "2 September 2025") or the date in digits ("2025-09-02")."""
    if day.isoformat() in quote:
        return True
    words = {word.casefold().rstrip(".") for word in re.findall(r"[^\W\d_]+\.?", quote)}
    month = {f"{day:%B}".casefold(), f"{day:%b}".casefold()}
    return str(day.year) in quote and bool(words & month)


def _todo_entries(
    text: str, facts: list[DraftFact], title: str, dateline_id: str | None
) -> list[tuple[str, str, list[str]]]:
    """Draft entries to write: what the story is about, who published it and when (citing the
    dateline ``dateline_id`` or a credit line), and one per paragraph of the article citing
    that paragraph's facts."""
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
    dateline = [dateline_id] if dateline_id else []
    # "The Associated Press reported this story. Bryan Lynn adapted it for VOA...": who
    # published it, when no dateline says so
    credit = [f.id for f in facts if _CREDIT.search(f.quote)]
    body = [(b, ids) for b, ids in paragraphs[titled:] if set(ids) - set(dateline) - set(credit)]
    # the lead's facts, less a dateline or credit line: those tell who published it
    lead = body[0][1] if body else head
    summary = [fid for fid in lead if fid not in dateline and fid not in credit][:3] or lead[:1]
    # who published it and when, and under what headline (every drafted fact is cited, so a
    # fresh folder's first check lists only the entries to write)
    told = dateline or credit
    source = list(dict.fromkeys([*told, *(head if titled else [])])) or head[:1]
    drafts = [
        ("story-summary", "What is the story about?", summary),
        ("story-source", f"Who published {title!r}, and when?", source),
    ]
    for number, (block, ids) in enumerate(body, 1):
        if set(ids) <= set(summary):  # a lead the summary's draft already cites whole
            continue
        opening = " ".join(block.split()[:PARAGRAPH_WORDS]).rstrip(",;:.!?")
        drafts.append((f"paragraph-{number}", f"What does the story say about: {opening}…?", ids))
    return drafts


# "Bryan Lynn wrote this story for VOA Learning English.", "This report was produced by...",
# "Reporting by Jane Doe; Editing by John Roe"
_CREDIT = re.compile(
    r"\b(?:reported|wrote|written|adapted|edited|produced|prepared|contributed to) (?:this|the) "
    r"(?:story|report|article|lesson)\b"
    r"|\badapted (?:it|the report|the story|the article) for\b"
    r"|\b(?:story|report|article|lesson) (?:was |is )?(?:written|reported|adapted|produced) by\b"
    r"|^\s*(?:reporting|writing|editing) by\b",
    re.IGNORECASE,
)


def _todo_item(entry_id: str, question: str, cited: list[str]) -> str:
    return (
        f"  - id: {entry_id}\n    todo: true\n    question: {scalar(question)}\n"
        f"    facts: [{', '.join(cited)}]\n"
    )
