"""The `storybot` command: ask, chat, check, eval in the terminal; run, webhook for Telegram."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime as dt
import json
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from types import ModuleType

from bot import i18n
from bot.curation.cli import add_knowledge_option, eval_from_log, settle_knowledge
from bot.curation.cli import register as register_curation
from bot.curation.drafting import uncited_sentences
from bot.engine.advice import miss_advice
from bot.engine.answering import answer_question
from bot.engine.evaluation import (
    evaluate,
    evaluate_conversations,
    is_conversation_file,
    load_cases,
    load_conversations,
)
from bot.engine.followup import Turn, next_turn
from bot.engine.languages import CODES, DEFAULT
from bot.engine.loader import coverage_gaps, curation_notes, load, validate
from bot.engine.model import Answer, KnowledgeError, Outcome, Snapshot, by_source
from bot.engine.translations import coverage, write_stamps
from bot.logs import redactor, setup_logging
from bot.ops.health import check_heartbeat
from bot.settings import Settings, SettingsError

# Phrasings per entry the curators' guide advises (a blind set's answers rise with them).
ADVISED_PHRASINGS = 20


def format_answer(answer: Answer, examples: Sequence[str] = ()) -> str:
    """An answer as plain terminal text: answer, citation, suggestions; ``examples`` are
    questions to try when the reader only said hello or nothing in the story comes close."""
    if not answer.outcome.is_question:
        return _format_chat(answer, examples)
    lines: list[str] = []
    if answer.about:  # a follow-up: how it was read, so the reader can correct it
        lines.append(f"(about: {answer.about})")
    if answer.outcome is Outcome.ANSWERED:
        lines.append(i18n.answer_text(answer))  # the notes said in the answer's language
        citations = answer.all_citations
        # A translated answer quotes the source in its own language, labelled as the original.
        label = "Original: " if answer.language != DEFAULT else ""
        for group in by_source(citations):  # the quotes of each source, then the source once
            lines.extend(f'  {label}"{citations[i].quote}"' for i in group)
            source = citations[group[0]]
            where = f"{source.title}, {source.publisher}, {source.date}"
            lines.append(f"  Source: {where}" + (f" <{source.url}>" if source.url else ""))
        if answer.related:
            lines.append("Related: " + " | ".join(s.question for s in answer.related))
    elif answer.outcome is Outcome.SUGGESTED:
        lines.append("Did you mean:")
        lines.extend(f"  - {s.question}  [{s.entry}]" for s in answer.suggestions)
    else:
        unsaid = "The story doesn't say why." if answer.reason_missing else "The story doesn't say."
        lines.append(i18n.say(answer.reason, answer.language) if answer.reason else unsaid)
        if answer.suggestions:
            lines.append("Closest topics it covers:")
            lines.extend(f"  - {s.question}  [{s.entry}]" for s in answer.suggestions)
        elif examples:
            lines.append("Some things it does answer:")
            lines.extend(f"  - {question}" for question in examples)
    lines.append(f"(confidence {answer.confidence:.2f})")
    return "\n".join(lines)


def _format_chat(answer: Answer, examples: Sequence[str]) -> str:
    """The reply to a message that asks nothing about the story: hello, thanks, help, sources."""
    if answer.outcome is Outcome.SOURCES:
        lines = ["The story I know about comes from:"]
        for source in answer.sources:
            where = f"{source.title}, {source.publisher}, {source.date}"
            lines.append(f"  - {where}" + (f" <{source.url}>" if source.url else ""))
        return "\n".join(lines)
    if answer.outcome is Outcome.THANKS:
        return "You're welcome! Ask me anything else about the story."
    if answer.outcome is Outcome.HELP:
        lines = [
            "Ask me about the story in your own words; every answer quotes its source, and "
            'when the story doesn\'t say, I say so. Ask "sources" for the sources. For example:'
        ]
    else:
        lines = ["Hello! I answer questions about one news story, with its sources."]
    lines.extend(f"  - {question}" for question in examples)
    return "\n".join(lines)


def _examples(snapshot: Snapshot, count: int = 3) -> list[str]:
    """Questions to try: the first entries', as curators ordered them."""
    return [entry.question for entry in list(snapshot.entries.values())[:count]]


def _snapshot(args: argparse.Namespace) -> tuple[Snapshot, Settings]:
    settings = Settings.from_env(knowledge_dir=args.knowledge, today=getattr(args, "today", None))
    return load(settings.knowledge_dir), settings


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer questions from the command line or stdin."""
    snapshot, settings = _snapshot(args)
    if args.knowledge is None and not os.environ.get("STORYBOT_KNOWLEDGE"):
        # Said, not silent: a curator who forgot --knowledge would read the wrong story's answers.
        titles = "; ".join(s.title for s in snapshot.sources.values())
        print(
            f"storybot ask: no --knowledge (or STORYBOT_KNOWLEDGE): answering from the bundled "
            f"story ({titles})",
            file=sys.stderr,
        )
    if args.conversation and args.question:
        raise SettingsError("--conversation reads the questions from stdin, not arguments")
    if not args.question and sys.stdin.isatty():  # piped stdin is read without a word
        print(
            "Type a question and press Enter, one per line; Ctrl-D to end.\n"
            '(Or ask directly: storybot ask "How fast is the train?", or try storybot chat.)',
            file=sys.stderr,
        )
    # stdin is read lazily, so a tool can feed one question and read its answer at a time.
    if args.conversation:  # a blank line starts a new conversation
        questions = (line.strip() for line in sys.stdin)
    else:
        questions = args.question or (line.strip() for line in sys.stdin if line.strip())
    context: Turn | None = None
    number = 0
    today = settings.reader_today()
    for question in questions:
        if not question:
            context = None
            continue
        answer = answer_question(
            snapshot, question, settings.bands, context=context, today=today, language=args.lang
        )
        if args.conversation:
            context = next_turn(answer, snapshot)
        if args.json:
            line = answer.to_json()
            if args.conversation:
                line |= {"followup_of": answer.followup_of, "read_as": answer.read_as}
            print(json.dumps(line, ensure_ascii=False), flush=True)
        else:
            # Questions to try, in the reader's language when the knowledge is translated.
            examples = _examples(snapshot.in_language(answer.language) or snapshot)
            print(("\n" if number else "") + format_answer(answer, examples), flush=True)
        number += 1
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """An interactive session with readline history."""
    snapshot, settings = _snapshot(args)
    history = Path.home() / ".storybot_history"
    try:
        import readline  # line editing, and history kept across sessions
    except ImportError:  # no readline on Windows
        readline = None
    if readline is not None:
        with contextlib.suppress(OSError):
            readline.read_history_file(history)
        atexit.register(_save_history, readline, history)
    print(f"storybot: {len(snapshot.entries)} topics loaded. Ask a question; Ctrl-D to quit.")
    context: Turn | None = None  # follow-ups ("and when?") are read with the last turn
    while True:
        try:
            question = input("? ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if question:
            answer = answer_question(
                snapshot,
                question,
                settings.bands,
                context=context,
                today=settings.reader_today(),
                language=args.lang,
            )
            context = next_turn(answer, snapshot)
            examples = _examples(snapshot.in_language(answer.language) or snapshot)
            print(format_answer(answer, examples) + "\n")


def _save_history(readline: ModuleType, history: Path) -> None:
    with contextlib.suppress(OSError):
        readline.set_history_length(1000)
        readline.write_history_file(history)


def cmd_check(args: argparse.Namespace) -> int:
    """Validate a knowledge directory and report coverage gaps."""
    settings = Settings.from_env(knowledge_dir=args.knowledge)
    snapshot, problems = validate(settings.knowledge_dir)
    for problem in problems:
        print(problem)
    if snapshot is None:
        print(f"{len(problems)} problem(s) found in {settings.knowledge_dir}", file=sys.stderr)
        return 1
    gaps = coverage_gaps(snapshot)
    for source, sentence in gaps:
        print(f"{source.file}: not quoted by any fact: {sentence!r}")
    uncited = uncited_sentences(snapshot)
    # sentences that entries still to write cite are on the to-do list below already
    for source_id, sentence in uncited_sentences(snapshot, with_todo=True):
        print(f"{snapshot.sources[source_id].file}: no FAQ entry cites: {sentence!r}")
    # a fact quoting a sentence listed above needs no line of its own
    listed = " ".join(" ".join(sentence.split()) for _, sentence in uncited)
    notes = curation_notes(
        snapshot, [f.id for f in snapshot.facts.values() if " ".join(f.quote.split()) in listed]
    )
    for note in notes:
        print(f"note: {note}")
    for entry_id, question, _ in snapshot.todo:
        print(
            f"to do: entry {entry_id} ({question!r}): write its phrasings and answer, then "
            "remove 'todo: true'"
        )
    # Translations are checked apart: their problems never stop the English from loading.
    for problem in snapshot.translation_problems:
        print(problem)
    for language in coverage(snapshot):
        for note in language.notes:
            print(f"note: {note}")
        print(
            f"{language.language}: {language.translated}/{len(snapshot.entries)} entries "
            f"translated, {language.phrasings} phrasings, {len(language.notes)} note(s) "
            f"({language.file})"
        )
    written = sum(len(entry.phrasings) for entry in snapshot.entries.values())
    print(
        f"ok: {len(snapshot.sources)} sources, {len(snapshot.facts)} facts, "
        f"{len(snapshot.entries)} entries ({len(snapshot.todo)} to do), "
        f"{written} phrasings (and {len(snapshot.entries)} questions); "
        f"{len(gaps)} uncovered sentence(s), {len(uncited)} not cited by an entry, "
        f"{len(notes)} note(s); version {snapshot.version}"
    )
    per_entry = written / max(1, len(snapshot.entries))
    if snapshot.entries and per_entry < ADVISED_PHRASINGS:
        # the entries to grow next, so the hint moves as the curator works
        fewest = sorted(snapshot.entries.values(), key=lambda entry: len(entry.phrasings))[:3]
        print(
            f"hint: {per_entry:.0f} phrasings per entry; stories curated with 8-12 (a first "
            f"hour) answer about two thirds of readers' questions: {ADVISED_PHRASINGS} or more "
            "answer more; fewest now: "
            + ", ".join(f"{entry.id} ({len(entry.phrasings)})" for entry in fewest)
            + " (knowledge/README.md, 'A new story in under an hour')"
        )
    if snapshot.translation_problems:
        print(
            f"{len(snapshot.translation_problems)} problem(s) in the translations",
            file=sys.stderr,
        )
        return 1
    return 1 if gaps and args.strict else 0


def cmd_stamp(args: argparse.Namespace) -> int:
    """Write translated_from into translation files: this translation is of today's English."""
    settings = Settings.from_env(knowledge_dir=args.knowledge)
    snapshot = load(settings.knowledge_dir)
    codes = [args.language] if args.language else [c.language for c in coverage(snapshot)]
    for code in codes:
        only = None if args.entry is None else args.entry
        if args.all:
            only = [e.id for e in snapshot.entries.values()]
        stamped = write_stamps(settings.knowledge_dir, snapshot.entries, code, only)
        print(f"{code}: stamped {len(stamped)} entr{'y' if len(stamped) == 1 else 'ies'}")
    return 0


def format_sources(snapshot: Snapshot) -> str:
    """The sources as plain terminal text: title, then publisher, date and link, then file."""
    blocks = []
    for source in snapshot.sources.values():
        link = f"<{source.url}>" if source.url else "no link"
        blocks.append(
            f"{source.title}\n  {source.publisher}, {source.date}, {link}\n"
            f"  {source.id}: {snapshot.directory / source.file}"
        )
    return "\n".join(blocks)


def cmd_sources(args: argparse.Namespace) -> int:
    """List the sources the knowledge quotes, as text or one JSON object per line."""
    snapshot, _ = _snapshot(args)
    if args.json:
        for source in snapshot.sources.values():
            print(json.dumps(source.to_json(snapshot.directory), ensure_ascii=False))
    else:
        print(format_sources(snapshot))
    return 0


def _target(text: str) -> tuple[str, float]:
    group, _, rate = text.partition("=")
    try:
        value = float(rate.rstrip("%")) / (100 if rate.endswith("%") else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected KIND=RATE, e.g. nearmiss=0.8: {text!r}"
        ) from None
    return group, value


def cmd_eval(args: argparse.Namespace) -> int:
    """Run a question file and print accuracy per kind (or export log questions as one)."""
    if args.from_log:
        return eval_from_log(args.database, args.days, sys.stdout, args.knowledge)
    if args.file is None:
        raise SettingsError("eval needs a question FILE (or --from-log)")
    snapshot, settings = _snapshot(args)
    today = settings.reader_today()
    conversations = None
    if is_conversation_file(args.file):  # per kind: open, follow, switch, nearmiss
        conversations = load_conversations(args.file)
        report = evaluate_conversations(snapshot, conversations, settings.bands, today=today)
    else:
        report = evaluate(snapshot, load_cases(args.file), settings.bands, today=today)
    if args.show_fails:
        for case, answer in report.misses():
            got = answer.entry.id if answer.entry else answer.outcome.value
            read = f" read as {answer.read_as!r}" if answer.about else ""
            print(
                f"MISS [{case.kind}] {case.question!r}: expected {case.expect}, got {got} "
                f"({answer.confidence:.2f}){read}"
            )
            if not conversations:
                for line in miss_advice(snapshot, case, answer):
                    print(textwrap.indent(line, "    "))
    failed = False
    targets = dict(args.target or ())
    for group in report.groups():
        correct, total = report.rate(group)
        if not total:
            continue
        rate = correct / total
        target = targets.get(group)
        verdict = "" if target is None else (" ok" if rate >= target else f" MISSED {target:.0%}")
        failed |= target is not None and rate < target
        print(f"{group:>12}: {correct:3d}/{total:<3d} {rate:6.1%}{verdict}")
    unknown = set(targets) - set(report.groups())
    if unknown:
        print(f"no questions of kind(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        failed = True
    return 1 if failed else 0


def _read_token_file(path: Path) -> str:
    """The token in ``path``; SettingsError naming the file (never its content) otherwise."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SettingsError(f"cannot read --token-file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise SettingsError(f"--token-file {path} is not UTF-8 text") from None
    if not token:
        raise SettingsError(
            f"--token-file {path} is empty: put the bot token from @BotFather in it"
        )
    return token


def _bot_settings(args: argparse.Namespace) -> Settings:
    token = _read_token_file(args.token_file) if args.token_file else None
    settings = Settings.from_env(
        knowledge_dir=args.knowledge,
        token=token,
        api_base_url=args.api_base_url,
        watch_knowledge=args.watch_knowledge,
    )
    settings.require_token(
        f"--token-file {args.token_file}" if args.token_file else "TELEGRAM_BOT_TOKEN"
    )
    setup_logging(
        settings.log_level, settings.log_format, secrets=[settings.token, settings.webhook_secret]
    )
    return settings


def _run_bot(run: Callable[[Settings], None], settings: Settings) -> int:
    """Run the bot; failures become one redacted line (PTB puts the token in some messages)."""
    from telegram.error import InvalidToken, NetworkError

    redact = redactor([settings.token, settings.webhook_secret])
    debug = logging.getLogger("bot").debug  # the traceback, for debugging only (redacted)
    try:
        run(settings)
    except InvalidToken as exc:
        debug("the Bot API rejected the token", exc_info=exc)
        print(
            "storybot: the Bot API rejected the bot token: check TELEGRAM_BOT_TOKEN or "
            "--token-file",
            file=sys.stderr,
        )
        return 2
    except NetworkError as exc:
        debug("the Bot API is unreachable", exc_info=exc)
        where = redact(settings.api_base_url)
        print(f"storybot: cannot reach the Bot API at {where}: {redact(str(exc))}", file=sys.stderr)
        return 1
    except (KnowledgeError, SettingsError, OSError):
        raise  # main() reports these in its own words
    except Exception:
        logging.getLogger("bot").exception("storybot stopped on an unexpected error")
        return 1
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the Telegram bot with long polling."""
    from bot.chat.app import run_polling  # Telegram imports only for the commands that need them

    return _run_bot(run_polling, _bot_settings(args))


def cmd_webhook(args: argparse.Namespace) -> int:
    """Run the Telegram bot behind a webhook."""
    from bot.chat.app import run_webhook
    from bot.ops.webhook import check_secret, generated_secret

    settings = _bot_settings(args)
    overrides = {
        "webhook_url": args.url,
        "webhook_listen": args.listen,
        "webhook_port": args.port,
        "webhook_path": args.path.strip("/") if args.path else None,
    }
    settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    if not settings.webhook_url.startswith("https://"):
        raise SettingsError("webhook mode needs --url or STORYBOT_WEBHOOK_URL: an https:// URL")
    if settings.webhook_secret:
        check_secret(settings.webhook_secret, "STORYBOT_WEBHOOK_SECRET")
    else:
        secret, path = generated_secret(settings.data_dir)
        settings = replace(settings, webhook_secret=secret)
        setup_logging(settings.log_level, settings.log_format, [settings.token, secret])
        logging.getLogger("bot").info(
            "STORYBOT_WEBHOOK_SECRET is not set: using the secret kept in %s (mode 0600); "
            "replicas behind one URL must share one set secret instead",
            path,
        )
    return _run_bot(run_webhook, settings)


def cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 when the running bot's heartbeat says healthy, 1 otherwise (for HEALTHCHECK)."""
    settings = Settings.from_env()
    healthy, reason = check_heartbeat(settings.health_file, args.max_age or settings.health_max_age)
    print(reason, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


def _version() -> str:
    """The installed package's version (pyproject.toml), as pip knows it."""
    try:
        return metadata.version("storybot")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def _today(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, not {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="storybot", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def today(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--today",
            type=_today,
            metavar="YYYY-MM-DD",
            help="answer as if the reader asked on this date (default: $STORYBOT_TODAY or "
            "the system clock)",
        )

    def language_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--lang",
            choices=CODES,
            help="read and answer the questions in this language (default: the language each "
            "question is written in)",
        )

    ask = commands.add_parser("ask", help="answer questions (arguments or one per stdin line)")
    add_knowledge_option(ask)
    today(ask)
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    language_option(ask)
    ask.add_argument(
        "--conversation",
        action="store_true",
        help="stdin is conversations: each line follows up the one before, a blank line "
        "starts a new conversation (--json adds followup_of and read_as)",
    )
    ask.add_argument("question", nargs="*", help="questions (each argument is one question)")
    ask.set_defaults(handler=cmd_ask)

    chat = commands.add_parser("chat", help="interactive terminal session")
    add_knowledge_option(chat, positional=True)
    today(chat)
    language_option(chat)
    chat.set_defaults(handler=cmd_chat)

    check = commands.add_parser("check", help="validate the knowledge; exit 1 on problems")
    add_knowledge_option(check, positional=True)
    check.add_argument("--strict", action="store_true", help="uncovered sentences fail too")
    check.set_defaults(handler=cmd_check)

    run_eval = commands.add_parser(
        "eval",
        help="accuracy on a question file",
        description="Answer every question of a question file and print the share right per "
        "kind. The format is in README.md, 'Question files'; tests/data/*_questions.yaml are "
        "examples.",
    )
    add_knowledge_option(run_eval)
    today(run_eval)
    run_eval.add_argument(
        "file",
        type=Path,
        nargs="?",
        help="a YAML list of {q, expect: answer|abstain, kind, topic, all: [[...]]} (e.g. "
        "tests/data/reader_questions.yaml), or of conversations {id, turns: [...]} (e.g. "
        "tests/data/blind_conversations_a.yaml); see the README's 'Question files'",
    )
    run_eval.add_argument("--show-fails", action="store_true", help="print every miss")
    run_eval.add_argument(
        "--target",
        type=_target,
        action="append",
        metavar="KIND=RATE",
        help="fail unless KIND (or answerable/abstain) reaches RATE",
    )
    run_eval.add_argument(
        "--from-log",
        action="store_true",
        help="instead, print reviewed questions of the log as a question file",
    )
    run_eval.add_argument("--days", type=int, default=30, help="with --from-log: look back N days")
    run_eval.add_argument("--database", metavar="URL", help="with --from-log: the question log")
    run_eval.set_defaults(handler=cmd_eval)

    sources = commands.add_parser("sources", help="list the sources the knowledge quotes")
    add_knowledge_option(sources, positional=True)
    sources.add_argument("--json", action="store_true", help="one JSON object per source")
    sources.set_defaults(handler=cmd_sources)

    register_curation(commands)

    translations = commands.add_parser(
        "translations", help="curated translations of the FAQ (knowledge/i18n/)"
    )
    actions = translations.add_subparsers(dest="action", required=True, metavar="ACTION")
    stamp = actions.add_parser(
        "stamp",
        help="mark translations as made from the current English (translated_from)",
        description="Write each translated entry's translated_from: the stamp of the English "
        "question and answer it was made from. By default only entries without one; "
        "--entry after checking a stale translation; --all for every entry.",
    )
    add_knowledge_option(stamp)
    stamp.add_argument(
        "language", nargs="?", choices=[c for c in CODES if c != DEFAULT], help="default: all"
    )
    stamp.add_argument("--entry", action="append", metavar="ID", help="stamp this entry")
    stamp.add_argument("--all", action="store_true", help="stamp every translated entry")
    stamp.set_defaults(handler=cmd_stamp)

    def telegram(sub: argparse.ArgumentParser) -> None:
        add_knowledge_option(sub)
        sub.add_argument(
            "--token-file",
            type=Path,
            metavar="FILE",
            help="read the bot token from FILE (default: $TELEGRAM_BOT_TOKEN)",
        )
        sub.add_argument(
            "--api-base-url",
            metavar="URL",
            help="Bot API server, e.g. http://127.0.0.1:8081/bot "
            "(default: $STORYBOT_API_BASE_URL or Telegram's)",
        )
        sub.add_argument(
            "--watch-knowledge",
            action="store_true",
            default=None,
            help="reload when the knowledge files change (default: $STORYBOT_WATCH_KNOWLEDGE)",
        )

    run = commands.add_parser("run", help="run the Telegram bot (long polling)")
    telegram(run)
    run.set_defaults(handler=cmd_run)

    webhook = commands.add_parser("webhook", help="run the Telegram bot behind a webhook")
    telegram(webhook)
    webhook.add_argument("--url", help="public https URL (default: $STORYBOT_WEBHOOK_URL)")
    webhook.add_argument("--listen", help="address to listen on (default 127.0.0.1)")
    webhook.add_argument("--port", type=int, help="port to listen on (default 8443)")
    webhook.add_argument("--path", help="URL path of the webhook (default: telegram)")
    webhook.set_defaults(handler=cmd_webhook)

    health = commands.add_parser("health", help="exit 0 if the running bot is healthy, else 1")
    health.add_argument(
        "--max-age",
        type=float,
        metavar="SECONDS",
        help="oldest acceptable Bot API success (default $STORYBOT_HEALTH_MAX_AGE)",
    )
    health.set_defaults(handler=cmd_health)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    # Unknown arguments are reported by the command's own parser (with its usage and a hint
    # for a knowledge folder), not argparse's top-level one.
    args, extras = parser.parse_known_args(argv)
    settle_knowledge(parser, args, extras)
    try:
        status = args.handler(args)
        sys.stdout.flush()  # here, so a reader gone away is caught below and not at exit
        return status
    except BrokenPipeError:  # before OSError, its base: `storybot ask ... | head -1`
        _discard_stdout()
        return 0
    except KeyboardInterrupt:  # Ctrl-C while `ask` reads a terminal
        print(file=sys.stderr)
        return 130
    except KnowledgeError as exc:
        print(f"storybot: {exc}", file=sys.stderr)
        return 1
    except (SettingsError, ValueError, OSError) as exc:
        print(f"storybot: {exc}", file=sys.stderr)
        return 2


def _discard_stdout() -> None:
    """Point stdout at the null device: the reader is gone, and Python's last flush at exit
    would otherwise fail again and print "Exception ignored ... BrokenPipeError"."""
    with contextlib.suppress(OSError, ValueError):  # no file descriptor (an in-memory stdout)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
