"""The `storybot` command: ask, chat, check, eval in the terminal; run, webhook for Telegram."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime as dt
import json
import logging
import secrets
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from types import ModuleType

from bot.curation.cli import eval_from_log
from bot.curation.cli import register as register_curation
from bot.engine.answering import answer_question
from bot.engine.evaluation import evaluate, load_cases
from bot.engine.loader import coverage_gaps, curation_notes, load, validate
from bot.engine.model import Answer, KnowledgeError, Outcome, Snapshot, by_source
from bot.engine.text import is_small_talk
from bot.logs import redactor, setup_logging
from bot.ops.health import check_heartbeat
from bot.settings import Settings, SettingsError


def format_answer(answer: Answer, examples: Sequence[str] = ()) -> str:
    """An answer as plain terminal text: answer, citation, suggestions; ``examples`` are
    questions to try when the reader only said hello or nothing in the story comes close."""
    lines: list[str] = []
    if answer.outcome is Outcome.ANSWERED:
        lines.append(answer.text or "")
        citations = answer.all_citations
        for group in by_source(citations):  # the quotes of each source, then the source once
            lines.extend(f'  "{citations[i].quote}"' for i in group)
            source = citations[group[0]]
            where = f"{source.title}, {source.publisher}, {source.date}"
            lines.append(f"  Source: {where}" + (f" <{source.url}>" if source.url else ""))
        if answer.related:
            lines.append("Related: " + " | ".join(s.question for s in answer.related))
    elif answer.outcome is Outcome.SUGGESTED:
        lines.append("Did you mean:")
        lines.extend(f"  - {s.question}  [{s.entry}]" for s in answer.suggestions)
    elif is_small_talk(answer.question):
        lines.append("Hello! I answer questions about one news story, with its sources.")
        lines.extend(f"  - {question}" for question in examples)
    else:
        lines.append(answer.reason or "The story doesn't say.")
        if answer.suggestions:
            lines.append("Closest topics it covers:")
            lines.extend(f"  - {s.question}  [{s.entry}]" for s in answer.suggestions)
        elif examples:
            lines.append("Some things it does answer:")
            lines.extend(f"  - {question}" for question in examples)
    lines.append(f"(confidence {answer.confidence:.2f})")
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
    # stdin is read lazily, so a tool can feed one question and read its answer at a time.
    questions = args.question or (line.strip() for line in sys.stdin if line.strip())
    examples = _examples(snapshot)
    for number, question in enumerate(questions):
        answer = answer_question(snapshot, question, settings.bands, today=settings.reader_today())
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        else:
            print(("\n" if number else "") + format_answer(answer, examples), flush=True)
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
    while True:
        try:
            question = input("? ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if question:
            answer = answer_question(
                snapshot, question, settings.bands, today=settings.reader_today()
            )
            print(format_answer(answer, _examples(snapshot)) + "\n")


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
    notes = curation_notes(snapshot)
    for note in notes:
        print(f"note: {note}")
    print(
        f"ok: {len(snapshot.sources)} sources, {len(snapshot.facts)} facts, "
        f"{len(snapshot.entries)} entries, {snapshot.phrasing_count} phrasings; "
        f"{len(gaps)} uncovered sentence(s), {len(notes)} note(s); version {snapshot.version}"
    )
    return 1 if gaps and args.strict else 0


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
        settings = Settings.from_env()
        url = args.database or settings.question_log_url
        return eval_from_log(url, args.days, sys.stdout, args.knowledge)
    if args.file is None:
        raise SettingsError("eval needs a question FILE (or --from-log)")
    snapshot, settings = _snapshot(args)
    cases = load_cases(args.file)
    report = evaluate(snapshot, cases, settings.bands, today=settings.reader_today())
    if args.show_fails:
        for case, answer in report.misses():
            got = answer.entry.id if answer.entry else answer.outcome.value
            print(
                f"MISS [{case.kind}] {case.question!r}: expected {case.expect}, got {got} "
                f"({answer.confidence:.2f})"
            )
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


def _bot_settings(args: argparse.Namespace) -> Settings:
    token = None
    if args.token_file:
        try:
            token = args.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            message = f"cannot read --token-file {args.token_file}: {exc.strerror}"
            raise SettingsError(message) from None
    settings = Settings.from_env(
        knowledge_dir=args.knowledge,
        token=token,
        api_base_url=args.api_base_url,
        watch_knowledge=args.watch_knowledge,
    )
    settings.require_token()
    setup_logging(
        settings.log_level, settings.log_format, secrets=[settings.token, settings.webhook_secret]
    )
    return settings


def _run_bot(run: Callable[[Settings], None], settings: Settings) -> int:
    """Run the bot; failures become one redacted line (PTB puts the token in some messages)."""
    from telegram.error import InvalidToken, NetworkError

    redact = redactor([settings.token, settings.webhook_secret])
    try:
        run(settings)
    except InvalidToken:
        print(
            "storybot: the Bot API rejected the bot token: check TELEGRAM_BOT_TOKEN or "
            "--token-file",
            file=sys.stderr,
        )
        return 2
    except NetworkError as exc:
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
    if not settings.webhook_secret:
        secret = secrets.token_urlsafe(32)
        print(
            "STORYBOT_WEBHOOK_SECRET is not set; generated one for this run (set it to keep "
            f"it across restarts):\n{secret}",
            file=sys.stderr,
        )
        settings = replace(settings, webhook_secret=secret)
        setup_logging(settings.log_level, settings.log_format, [settings.token, secret])
    return _run_bot(run_webhook, settings)


def cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 when the running bot's heartbeat says healthy, 1 otherwise (for HEALTHCHECK)."""
    settings = Settings.from_env()
    healthy, reason = check_heartbeat(settings.health_file, args.max_age or settings.health_max_age)
    print(reason, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


def _today(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, not {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="storybot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def knowledge(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--knowledge",
            type=Path,
            metavar="DIR",
            help="knowledge directory (default: $STORYBOT_KNOWLEDGE or bundled)",
        )

    def today(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--today",
            type=_today,
            metavar="YYYY-MM-DD",
            help="answer as if the reader asked on this date (default: $STORYBOT_TODAY or "
            "the system clock)",
        )

    ask = commands.add_parser("ask", help="answer questions (arguments or one per stdin line)")
    knowledge(ask)
    today(ask)
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("question", nargs="*", help="questions (each argument is one question)")
    ask.set_defaults(handler=cmd_ask)

    chat = commands.add_parser("chat", help="interactive terminal session")
    knowledge(chat)
    today(chat)
    chat.set_defaults(handler=cmd_chat)

    check = commands.add_parser("check", help="validate the knowledge; exit 1 on problems")
    knowledge(check)
    check.add_argument("--strict", action="store_true", help="uncovered sentences fail too")
    check.set_defaults(handler=cmd_check)

    run_eval = commands.add_parser("eval", help="accuracy on a question file")
    knowledge(run_eval)
    today(run_eval)
    run_eval.add_argument(
        "file", type=Path, nargs="?", help="questions in the dev_questions.yaml format"
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

    register_curation(commands)

    def telegram(sub: argparse.ArgumentParser) -> None:
        knowledge(sub)
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
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KnowledgeError as exc:
        print(f"storybot: {exc}", file=sys.stderr)
        return 1
    except (SettingsError, ValueError, OSError) as exc:
        print(f"storybot: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # pragma: no cover - `storybot ask ... | head`
        return 0
