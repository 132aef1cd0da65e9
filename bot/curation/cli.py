"""`storybot report` and `storybot stats` on the question log, and log questions as eval cases."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import yaml

from bot.curation.addsource import SourceError, add_source
from bot.curation.reading import explain, story_groups
from bot.curation.report import (
    CHART_DAYS,
    FORMATS,
    chart_extensions,
    chart_format,
    format_stats,
    format_unanswered,
    render_chart,
)
from bot.curation.scaffold import new_story
from bot.curation.store import LoggedQuestion, MissingLogError, QuestionLog
from bot.curation.teach import UNDO, TeachStore, export_overlay
from bot.curation.yamledit import EditError
from bot.engine.loader import FAQ_FILE, load, validate, words_only
from bot.engine.matcher import MatchIndex
from bot.engine.model import KnowledgeError, Outcome, Snapshot
from bot.engine.text import STOPWORDS
from bot.settings import Settings

_WORD = re.compile(r"\w+")
FROM_LOG_KIND = "fromlog"
CLI_ADMIN = 0  # the admin id the audit trail records for the command line (an operator)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, not {text!r}")
    return int(text)


def add_knowledge_option(
    parser: argparse.ArgumentParser,
    help_text: str = "knowledge directory (default: $STORYBOT_KNOWLEDGE or bundled)",
    *,
    positional: bool = False,
) -> None:
    """The ``--knowledge DIR`` option every command that reads the knowledge takes; with
    ``positional``, the folder may be given as a plain DIR argument too (`storybot check kb`),
    for commands that take no other positional argument it could be mistaken for."""
    parser.add_argument("--knowledge", type=Path, metavar="DIR", help=help_text)
    if positional:
        parser.add_argument(
            "folder", type=Path, nargs="?", metavar="DIR", help="the same as --knowledge DIR"
        )


# Positional arguments of free text or a file, where a curator may put the knowledge folder
# out of habit (`storybot ask kb "..."`, `storybot eval kb blind.yaml`).
_FREE_ARGUMENTS = ("question", "phrase", "file")


def command_parser(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> argparse.ArgumentParser:
    """The (sub)command's own parser that ``args`` were read by: its errors show its usage."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = action.choices.get(getattr(args, action.dest, None) or "")
            if chosen is not None:
                return command_parser(chosen, args)
    return parser


def settle_knowledge(
    parser: argparse.ArgumentParser, args: argparse.Namespace, extras: list[str]
) -> None:
    """Fold a positional DIR into ``args.knowledge``, and turn a stray knowledge folder into an
    error of the command's own that says to use --knowledge (argparse's own names the top-level
    usage, or reads the folder as a question)."""
    command = command_parser(parser, args)
    folder = getattr(args, "folder", None)
    if folder is not None:
        if args.knowledge is not None and args.knowledge.resolve() != folder.resolve():
            command.error(f"DIR {folder} and --knowledge {args.knowledge} differ: give one")
        args.knowledge = folder
    for name in _FREE_ARGUMENTS:
        value = getattr(args, name, None)
        stray = next((v for v in _listed(value) if _is_knowledge_folder(str(v))), None)
        if stray is not None:
            command.error(f"{stray} is a folder, not a {name}: use --knowledge {stray}")
    if extras:
        stray = next((e for e in extras if _is_knowledge_folder(e)), None)
        hint = f": to read the knowledge in {stray}, use --knowledge {stray}" if stray else ""
        command.error(f"unrecognized arguments: {' '.join(extras)}{hint}")


def _listed(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else [] if value is None else [value]


def _is_knowledge_folder(text: str) -> bool:
    """True for a folder named as a path ("kb/", "/work/kb") or holding a faq.yaml: never a
    question a reader would type."""
    path = Path(text)
    return path.is_dir() and ("/" in text or os.sep in text or (path / FAQ_FILE).is_file())


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `report` and `stats` subcommands to the `storybot` parser."""

    def common(sub: argparse.ArgumentParser, days: int) -> None:
        sub.add_argument(
            "--days",
            type=_positive,
            default=days,
            metavar="N",
            help=f"look back N days (default {days})",
        )
        sub.add_argument("--format", choices=FORMATS, default="text", help="output format")
        sub.add_argument(
            "--database",
            metavar="URL",
            help="question log (default: $STORYBOT_DATABASE_URL or "
            "storybot.sqlite3 in $STORYBOT_DATA_DIR)",
        )

    report = subparsers.add_parser(
        "report", help="the commonest questions the bot abstained on, suggested or got 👎 for"
    )
    common(report, days=7)
    add_knowledge_option(
        report,
        "knowledge that groups questions by meaning (default: $STORYBOT_KNOWLEDGE or bundled)",
    )
    report.set_defaults(handler=cmd_report)

    stats = subparsers.add_parser("stats", help="questions per day, answer rates, top entries")
    common(stats, days=30)
    stats.add_argument(
        "--chart",
        type=_chart_file,
        metavar="FILE",
        help=f"also draw questions per day of the last {CHART_DAYS} days, as an image of the "
        "type the extension names (.png, .jpg, .webp, .gif, .bmp, .tif)",
    )
    stats.set_defaults(handler=cmd_stats)

    add = subparsers.add_parser(
        "add-source", help="add an article's text as a source, drafting one fact per sentence"
    )
    add.add_argument("file", type=Path, help="the article's text (UTF-8, plain text)")
    add.add_argument("--title", required=True, help="the article's headline")
    add.add_argument("--publisher", required=True, help="who published it")
    add.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="publication date")
    add.add_argument("--url", metavar="URL", help="https:// link shown with citations")
    add.add_argument(
        "--id", dest="source_id", help="source id (default: from publisher, date, title)"
    )
    add_knowledge_option(add)
    add.set_defaults(handler=cmd_add_source)

    new = subparsers.add_parser(
        "new",
        help="start a knowledge folder for a new story: its source, one drafted fact per "
        "sentence, and FAQ entries to write",
    )
    new.add_argument("directory", type=Path, metavar="DIR", help="the folder to create")
    new.add_argument("--source", required=True, type=Path, metavar="FILE", help="the article")
    new.add_argument("--title", required=True, help="the article's headline")
    new.add_argument("--publisher", required=True, help="who published it")
    new.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="publication date")
    new.add_argument("--url", metavar="URL", help="https:// link shown with citations")
    new.set_defaults(handler=cmd_new)

    lexicon = subparsers.add_parser(
        "lexicon",
        help="how the engine reads words or phrases, and which synonym groups hold them",
        description="Print, per argument, the tokens the story's index reads it as, the words "
        "that read as nothing, and for each token the synonym groups that hold it: the "
        "story's synonyms.yaml and the engine's general lexicon (bot/engine/lexicon/).",
    )
    add_knowledge_option(lexicon)
    lexicon.add_argument(
        "phrase", nargs="+", metavar="WORD_OR_PHRASE", help="each argument is read on its own"
    )
    lexicon.set_defaults(handler=cmd_lexicon)

    knowledge = subparsers.add_parser(
        "knowledge", help="knowledge taught from Telegram: list it, or export it into the YAML"
    )
    actions = knowledge.add_subparsers(dest="action", required=True, metavar="ACTION")
    overlay = actions.add_parser("overlay", help="list the taught knowledge and its audit trail")
    overlay.add_argument("--database", metavar="URL", help="the question log's database")
    overlay.set_defaults(handler=cmd_overlay)
    undo = actions.add_parser(
        "undo", help="take teachings back by id (see 'overlay'); recorded as admin 0"
    )
    undo.add_argument("ids", type=_positive, nargs="+", metavar="ID", help="teaching ids")
    undo.add_argument("--database", metavar="URL", help="the question log's database")
    undo.set_defaults(handler=cmd_undo)
    export = actions.add_parser(
        "export", help="write taught phrasings into faq.yaml and clear them from the database"
    )
    export.add_argument("--database", metavar="URL", help="the question log's database")
    add_knowledge_option(export)
    export.set_defaults(handler=cmd_export)


def _chart_file(text: str) -> Path:
    if chart_format(text) is None:
        accepted = ", ".join(chart_extensions())
        raise argparse.ArgumentTypeError(
            f"cannot tell which image type to write from the name {text!r}: end it in one of "
            f"{accepted}"
        )
    return Path(text)


def open_log_to_read(database: str | None, settings: Settings) -> QuestionLog:
    """The existing question log at ``database`` (default: the settings'); a missing one is
    an error that says who writes the log and where, not a new empty log reported as quiet."""
    try:
        return QuestionLog.open(
            database or settings.question_log_url, settings.retention_days, create=False
        )
    except MissingLogError as exc:
        if database or settings.database_url:  # a log named on purpose: the name is wrong
            hint = "only `storybot run` and `storybot webhook` write a question log: check the URL"
        else:
            hint = (
                "only `storybot run` and `storybot webhook` write it, in their data directory "
                "(STORYBOT_DATA_DIR, default ./data, relative to the directory the bot runs in): "
                "run this where the bot runs, or point STORYBOT_DATA_DIR, STORYBOT_DATABASE_URL "
                "or --database URL at its log"
            )
        raise MissingLogError(f"{exc}; {hint}") from None


def _open(args: argparse.Namespace) -> QuestionLog:
    return open_log_to_read(args.database, Settings.from_env())


def _index(knowledge: Path | None) -> MatchIndex | None:
    """The knowledge's index, to group questions by meaning; None (with a note) if it is broken."""
    directory = Settings.from_env(knowledge_dir=knowledge).knowledge_dir
    snapshot, problems = validate(directory)
    if snapshot is None:
        print(
            f"note: the knowledge in {directory} has {len(problems)} problem(s) (storybot check): "
            "questions are grouped by their words, not their meaning",
            file=sys.stderr,
        )
        return None
    return snapshot.index


def _print(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def cmd_report(args: argparse.Namespace) -> int:
    """Print the unanswered-questions report."""
    with _open(args) as log:
        index = _index(args.knowledge)
        groups = log.unanswered(args.days, index=index)
        ignored = TeachStore(log.backend).ignored()  # what admins chose to ignore in Telegram
        groups = [g for g in groups if not set(g.examples) <= ignored]
        _print(format_unanswered(groups, args.days, args.format))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """Print the statistics and, with --chart, write the chart."""
    with _open(args) as log:
        stats = log.stats(args.days)
        # Taught answers are recognised by meaning: that needs the knowledge's index.
        snapshot, _ = validate(Settings.from_env().knowledge_dir)
        taught = None
        if snapshot is not None:
            taught = TeachStore(log.backend).taught_answers(args.days, snapshot.index)
        _print(format_stats(stats, args.format, taught=taught))
        if args.chart:
            chart_stats = stats if args.days >= CHART_DAYS else log.stats(CHART_DAYS)
            render_chart(chart_stats, args.chart, chart_format(args.chart) or "PNG")
            print(f"chart written to {args.chart}", file=sys.stderr)
    return 0


def cmd_add_source(args: argparse.Namespace) -> int:
    """Add the article and print what was drafted and what no entry cites yet."""
    directory = Settings.from_env(knowledge_dir=args.knowledge).knowledge_dir
    try:
        added = add_source(
            directory,
            args.file,
            title=args.title,
            publisher=args.publisher,
            date=args.date,
            url=args.url,
            source_id=args.source_id,
        )
    except SourceError as exc:
        print(f"storybot add-source: {exc}\nnothing was changed", file=sys.stderr)
        return 2
    _print(
        f"added source {added.source_id} ({added.file}) and {len(added.facts)} drafted fact(s) "
        f"in facts.yaml: review each statement"
    )
    for fact in added.facts:
        _print(f"  {fact.id}: {fact.quote}")
    _print(f"{len(added.uncited)} sentence(s) no FAQ entry cites yet:")
    for sentence in added.uncited:
        _print(f"  {sentence}")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    """Scaffold a knowledge folder and say what to do next."""
    try:
        story = new_story(
            args.directory,
            args.source,
            title=args.title,
            publisher=args.publisher,
            date=args.date,
            url=args.url,
        )
    except SourceError as exc:
        print(f"storybot new: {exc}", file=sys.stderr)
        return 2
    where = story.directory
    _print(
        f"created {where}: source {story.source_id}, {len(story.facts)} drafted fact(s), "
        f"{len(story.todo)} entries to write ({', '.join(story.todo)})\n"
        f"next: rewrite the statements in {where / 'facts.yaml'}, write the entries in "
        f'{where / "faq.yaml"} (knowledge/README.md: "A new story in under an hour"), then\n'
        f"  storybot check {where}\n"
        f'  storybot ask --knowledge {where} "..."'
    )
    return 0


def cmd_lexicon(args: argparse.Namespace) -> int:
    """Print how the story's index reads each argument and the groups holding its tokens."""
    settings = Settings.from_env(knowledge_dir=args.knowledge)
    try:
        snapshot = load(settings.knowledge_dir)
    except KnowledgeError as error:
        # a curator mending the folder needs the reading most: read with its synonyms alone
        print(
            f"storybot lexicon: {settings.knowledge_dir} has {len(error.problems)} problem(s) "
            "(storybot check lists them): reading with its synonyms.yaml and the lexicon only, "
            "so no entry is known",
            file=sys.stderr,
        )
        snapshot = words_only(settings.knowledge_dir)
    if args.knowledge is None and not os.environ.get("STORYBOT_KNOWLEDGE"):
        # the story's groups and words change the reading: say whose they are
        print(
            f"storybot lexicon: no --knowledge: reading with the bundled story's synonyms "
            f"({settings.knowledge_dir})",
            file=sys.stderr,
        )
    groups = story_groups(snapshot)
    _print("\n".join(explain(snapshot, phrase, groups) for phrase in args.phrase))
    return 0


def cmd_overlay(args: argparse.Namespace) -> int:
    """List the active teachings, then the audit trail."""
    with _open(args) as log:
        store = TeachStore(log.backend)
        overlay, trail = store.overlay(), store.trail()
    for item in overlay.items:
        target = f" -> {item.entry}" if item.entry else ""
        _print(f"#{item.id} {item.kind}: {item.text!r}{target}")
    _print(f"{len(overlay.items)} active teaching(s), revision {overlay.revision}")
    if trail:
        _print("audit trail, newest first:")
    for row in trail:
        about = f" #{row.target}" if row.target else ""
        target = f" -> {row.entry}" if row.entry else ""
        text = row.text.replace("\n", " | ")
        who = f"{row.taught_at} admin {row.admin_id}"
        _print(f"  #{row.id} {who}: {row.action}{about} {text!r}{target}")
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    """Deactivate teachings from the command line (the running bots follow within seconds)."""
    with _open(args) as log:
        store = TeachStore(log.backend)
        live = [row for row in map(store.get, args.ids) if row is not None and row.active]
        if not live:
            print("storybot knowledge undo: no active teaching with those ids", file=sys.stderr)
            return 2
        store.deactivate(CLI_ADMIN, [row.id for row in live], UNDO)
    for row in live:
        _print(f"undone #{row.id} {row.action}: {row.text!r}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write the taught phrasings into faq.yaml and take them out of the overlay."""
    directory = Settings.from_env(knowledge_dir=args.knowledge).knowledge_dir
    with _open(args) as log:
        try:
            done = export_overlay(TeachStore(log.backend), directory, CLI_ADMIN)
        except EditError as exc:
            print(f"storybot knowledge export: {exc}\nnothing was changed", file=sys.stderr)
            return 2
    entries = ", ".join(done.entries) or "none"
    _print(
        f"exported {done.phrasings} phrasing(s) into {directory / 'faq.yaml'} (entries: {entries})"
    )
    if done.kept:
        _print(
            f"{len(done.kept)} 'not in the story' question(s) stay in the database: "
            "the YAML files have no place for them"
        )
    return 0


def distinctive_word(snapshot: Snapshot, entry_id: str) -> str | None:
    """The word of an entry's answer that the fewest answers contain (the longest on ties)."""
    frequency = Counter(
        word
        for entry in snapshot.entries.values()
        for word in set(_WORD.findall(entry.answer.casefold()))
    )
    # Casefolded words of the answer itself, so the eval's substring check finds them.
    words = [
        w
        for w in _WORD.findall(snapshot.entries[entry_id].answer.casefold())
        if len(w) >= 4 and w not in STOPWORDS
    ]
    return min(words, key=lambda w: (frequency[w], -len(w)), default=None)


def from_log_cases(
    log: QuestionLog, days: int, snapshot: Snapshot | None = None
) -> list[dict[str, Any]]:
    """Question-file entries from the log's reviewed rows, each with a ``note`` for the curator.

    A question answered and rated 👍 (and never 👎) becomes an answer case that must contain
    the most distinctive word of that entry's answer; one abstained on or rated 👎 becomes an
    abstain case. The knowledge (``$STORYBOT_KNOWLEDGE`` or bundled) is loaded unless given.
    """
    if snapshot is None:
        snapshot = load(Settings.from_env().knowledge_dir)
    asked: dict[str, list[LoggedQuestion]] = {}
    for row in log.reviewed(days):
        asked.setdefault(row.question, []).append(row)
    cases: list[dict[str, Any]] = []
    for question, rows in asked.items():
        down = sum(row.helpful is False for row in rows)
        abstained = sum(row.outcome == Outcome.ABSTAINED for row in rows)
        liked = Counter(
            row.entry
            for row in rows
            if row.helpful and row.outcome == Outcome.ANSWERED and row.entry in snapshot.entries
        )
        if liked and not down:
            entry, votes = liked.most_common(1)[0]
            word = distinctive_word(snapshot, entry)
            if word is not None:
                cases.append(
                    {
                        "q": question,
                        "expect": "answer",
                        "kind": FROM_LOG_KIND,
                        "topic": entry,
                        "all": [[word]],
                        "note": f"answered with {entry}, 👍 {votes}: check that {word!r} is what "
                        "answers it",
                    }
                )
        elif down or abstained:
            cases.append(
                {
                    "q": question,
                    "expect": "abstain",
                    "kind": FROM_LOG_KIND,
                    "topic": None,
                    "note": f"abstained {abstained}, 👎 {down}: add an entry and make this "
                    "an answer case, or keep it if the story does not say",
                }
            )
    return cases


def write_cases(cases: list[dict[str, Any]], out: TextIO, days: int) -> None:
    """Write cases in the question-file format, one per line, each note as a comment above."""
    today = datetime.now(UTC).date()
    out.write(
        f"# {len(cases)} question(s) from the question log, last {days} day(s), {today}.\n"
        "# Review each one before adding it to a question file.\n"
    )
    for case in cases:
        item = {key: value for key, value in case.items() if key != "note"}
        if case.get("note"):
            out.write(f"# {case['note']}\n")
        flow = yaml.safe_dump(
            item, default_flow_style=True, allow_unicode=True, sort_keys=False, width=10**6
        )
        out.write(f"- {flow}")


def eval_from_log(
    database_url: str | None, days: int, out: TextIO, knowledge: Path | None = None
) -> int:
    """`storybot eval --from-log`: write reviewed log questions as a question file; exit status.

    ``database_url`` None: the settings' question log."""
    settings = Settings.from_env(knowledge_dir=knowledge)
    snapshot = load(settings.knowledge_dir)
    with open_log_to_read(database_url, settings) as log:
        cases = from_log_cases(log, days, snapshot)
    write_cases(cases, out, days)
    return 0
