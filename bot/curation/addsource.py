"""`storybot add-source`: a new article joins the knowledge with one drafted fact per sentence.

All or nothing: the input is checked, the new knowledge is built and validated in a scratch
copy, and only then are the real files written (each atomically; a failure part way puts the
earlier ones back). sources.yaml and facts.yaml are edited as text, so comments and layout stay.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.curation.drafting import DraftFact, draft_facts, set_aside, slug, uncited_sentences
from bot.curation.yamledit import EditError, append_items, scalar, write_atomically
from bot.engine.loader import FACTS_FILE, SOURCES_FILE, validate

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TAG = re.compile(
    r"<(?:!doctype|html|head|body|p|div|span|br|a|script|style|meta|link|table|li|ul|h[1-6])"
    r"\b[^>]*>",
    re.IGNORECASE,
)
MAX_FIELD_CHARS = 1000
HTML_TAGS = 3  # tags in a text that make it a web page rather than an article's text


class SourceError(ValueError):
    """The new source cannot be added; the message says why. Nothing was changed."""


@dataclass(frozen=True, slots=True)
class AddedSource:
    """What add-source did."""

    source_id: str
    file: str  # relative to the knowledge folder
    facts: tuple[DraftFact, ...]
    uncited: tuple[str, ...]  # the new source's sentences no FAQ entry cites yet


def read_article(path: Path) -> str:
    """An article's text: UTF-8, not empty, plain text rather than a web page."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SourceError(
            f"{path}: not UTF-8 text (line {line}, byte {raw[exc.start]:#04x}): "
            "save the article as UTF-8"
        ) from exc
    if not text.strip():
        raise SourceError(f"{path}: the file is empty")
    tags = _TAG.findall(text)
    if text.lstrip().startswith("<") or len(tags) >= HTML_TAGS:
        shown = tags[0] if tags else text.lstrip()[:20]
        raise SourceError(
            f"{path}: looks like HTML ({shown!r}), not the article's text: save the text "
            "itself (for example the browser's reader view, copied as plain text)"
        )
    return text


def source_id_for(publisher: str, date: str, title: str) -> str:
    """A readable source id: the publisher's short name, the date and the title's first
    words. The short name is an acronym the publisher's name holds ("Voice of America (VOA
    Learning English)" -> "voa", "NASA" -> "nasa"), else its initials ("Global Leaders
    Insights Team" -> "glit")."""
    acronyms = _ACRONYM.findall(publisher)
    # a name written all in capitals ("THE DAILY NEWS") holds no acronym, only words
    if acronyms and (publisher != publisher.upper() or len(acronyms) == 1):
        short = acronyms[0].casefold()
    else:
        short = "".join(word[0] for word in slug(publisher, words=8).split("-"))[:8]
    return f"{short}-{date}-{slug(title, words=3, limit=48 - len(short) - 12)}"


_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,7}\b")


def check_fields(title: str, publisher: str, date: str, url: str | None) -> None:
    for name, value in (("title", title), ("publisher", publisher)):
        if not value.strip():
            raise SourceError(f"--{name} is empty")
        if len(value) > MAX_FIELD_CHARS or "\n" in value:
            raise SourceError(f"--{name} must be one line of at most {MAX_FIELD_CHARS} characters")
    try:
        if not _DATE.match(date):
            raise ValueError
        dt.date.fromisoformat(date)
    except ValueError:
        raise SourceError(
            f"--date {date!r} must be a date as YYYY-MM-DD, e.g. 2025-09-03"
        ) from None
    if url is not None and not re.match(r"^https://\S+$", url):
        raise SourceError(f"--url {url!r} must be an https:// link")


def source_item(
    source_id: str,
    title: str,
    publisher: str,
    date: str,
    url: str | None,
    file: str,
    uncovered_ok: Sequence[str] = (),
) -> str:
    """The source's sources.yaml item; ``uncovered_ok`` lists lines that tell no fact
    (headings, sign-offs)."""
    lines = [
        f"- id: {source_id}",
        f"  title: {scalar(title.strip())}",
        f"  publisher: {scalar(publisher.strip())}",
        f'  date: "{date}"',
        f"  url: {scalar(url)}",
        "  language: en",
        f"  file: {file}",
    ]
    if uncovered_ok:
        lines.append("  # headings and sign-offs: no fact to quote")
        lines.append("  uncovered_ok:")
        lines.extend(f"    - {scalar(line)}" for line in uncovered_ok)
    return "\n".join(lines)


def fact_item(fact: DraftFact, source_id: str) -> str:
    return "\n".join(
        [
            f"- id: {fact.id}",
            f"  source: {source_id}",
            f"  statement: {scalar(fact.statement)}",
            f"  quote: {scalar(fact.quote)}",
        ]
    )


def add_source(
    directory: Path,
    article: Path,
    *,
    title: str,
    publisher: str,
    date: str,
    url: str | None = None,
    source_id: str | None = None,
) -> AddedSource:
    """Store the article under sources/, list it in sources.yaml and draft its facts."""
    check_fields(title, publisher, date, url)
    text = read_article(article)
    directory = Path(directory)
    snapshot, problems = validate(directory)
    if snapshot is None:
        raise SourceError(
            f"the knowledge in {directory} has {len(problems)} problem(s): fix them first "
            f"(storybot check); the first: {problems[0]}"
        )
    source_id = source_id or source_id_for(publisher, date, title)
    if not _ID.match(source_id):
        raise SourceError(
            f"source id {source_id!r} must be at most 48 lowercase letters, digits, '-' or '_'"
        )
    if source_id in snapshot.sources:
        raise SourceError(f"source id {source_id!r} is already taken: choose another with --id")
    file = f"sources/{source_id}.txt"
    if (directory / file).exists():
        raise SourceError(f"{directory / file} already exists: choose another id with --id")
    for known in snapshot.sources.values():
        if " ".join(known.text.split()) == " ".join(text.split()):
            raise SourceError(f"this article is already source {known.id!r}")
    drafts = draft_facts(text, taken_ids=snapshot.facts.keys())
    if not drafts:
        raise SourceError(f"{article}: no sentences found")

    paths = {name: directory / name for name in (SOURCES_FILE, FACTS_FILE)}
    old = {name: path.read_text(encoding="utf-8") for name, path in paths.items()}
    try:
        new = {
            SOURCES_FILE: append_items(
                old[SOURCES_FILE],
                SOURCES_FILE,
                "sources",
                [source_item(source_id, title, publisher, date, url, file, set_aside(text))],
            ),
            FACTS_FILE: append_items(
                old[FACTS_FILE],
                FACTS_FILE,
                "facts",
                [fact_item(fact, source_id) for fact in drafts],
                comment=f"--- {source_id}: drafted by storybot add-source, one per sentence; "
                "rewrite each statement, keep the quotes that matter ---",
            ),
        }
    except EditError as exc:
        raise SourceError(str(exc)) from exc
    _validate_in_scratch(directory, file, text, new)
    _write_all(directory, file, text, new, old)
    after, _ = validate(directory)
    uncited = [s for _, s in uncited_sentences(after, source_id)] if after else []
    return AddedSource(source_id, file, tuple(drafts), tuple(uncited))


def _validate_in_scratch(directory: Path, file: str, text: str, new: dict[str, str]) -> None:
    """Refuse (SourceError) unless the knowledge with the new files loads cleanly."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "knowledge"
        shutil.copytree(directory, copy)
        (copy / file).write_text(text, encoding="utf-8", newline="")
        for name, content in new.items():
            (copy / name).write_text(content, encoding="utf-8", newline="")
        _, problems = validate(copy)
    if problems:
        listed = "\n".join(f"  {p}" for p in problems)
        raise SourceError(f"the new source would break the knowledge:\n{listed}")


def _write_all(
    directory: Path, file: str, text: str, new: dict[str, str], old: dict[str, str]
) -> None:
    """Write the text, then each YAML file; on a failure, put back what was written."""
    target = directory / file
    written: list[str] = []
    try:
        write_atomically(target, text)
        for name, content in new.items():
            write_atomically(directory / name, content)
            written.append(name)
    except OSError as exc:
        for name in written:
            write_atomically(directory / name, old[name])
        target.unlink(missing_ok=True)
        raise SourceError(f"cannot write to {directory}: {exc.strerror or exc}") from exc
