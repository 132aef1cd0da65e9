"""End-to-end load benchmark: the real `storybot run` process, then plain PTB echo bots, against
the Bot API emulator (tests/botapi_emulator.py) running in this process.

    python benchmarks/bench_load.py [--users 200] [--questions 25] [--window 256] [--rate 0]
    python benchmarks/bench_load.py --floods   # busy groups and floods, flood limits on

Prints figures only (no assertions) and appends them to the Load section of
benchmarks/README.md (--no-readme to skip). Simulated users ask in private chats and with
`/ask` in groups, questions from the dev and reader sets (answerable and not). With --rate 0
updates are pushed as fast as the bot drains them (at most --window unanswered at a time);
otherwise at a steady --rate updates per second.

A second storybot run ("storybot, follow-ups") makes half the questions follow-ups: each user
asks the opening turn of a conversation, then, once answered, its follow-up (in a group as a
reply to the bot's answer). Its replies must match the engine's answers read in context.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import platform
import resource
import shlex
import signal
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from botapi_emulator import BotApiEmulator, JsonDict, parse_html  # noqa: E402
from echo_bot import rich_reply  # noqa: E402

from bot.chat import render  # noqa: E402
from bot.engine.answering import answer_question  # noqa: E402
from bot.engine.evaluation import load_cases, load_conversations  # noqa: E402
from bot.engine.followup import Turn, next_turn  # noqa: E402
from bot.engine.loader import load  # noqa: E402
from bot.engine.model import Suggestion  # noqa: E402
from bot.settings import bundled_knowledge  # noqa: E402

# The reader's date, the same for the bot and for the replies it is checked against: an
# answer's tense and "as reported on" follow it.
TODAY = date.today()

EVAL_FILES = (
    REPO.parent / "shared/eval/dev_questions.yaml",
    REPO / "tests/data/reader_questions.yaml",
)
CONVERSATION_FILES = (
    REPO.parent / "shared/eval/dev_conversations.yaml",
    *sorted((REPO / "tests/data").glob("*conversations*.yaml")),
)
GROUPS = 20
FIRST_USER = 100_000
# The warm-up's users: no private context carries into the run, and no measured question is
# a repeat of the same reader's (answered once, bot/chat/dispatch.py).
WARMUP_USERS = 500_000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TARGET_RATIO = 0.8
TARGET_FOLLOWUP_RATIO = 0.9  # half the questions follow-ups: throughput within 10%
# (user, group chat or None for private, question, whether it follows up the user's last one)
Plan = list[tuple[int, int | None, str, bool]]
Expected = list[str]  # the reply text to each question of the plan


class TimedEmulator(BotApiEmulator):
    """The emulator, noting when each reply arrives and to which message it replies."""

    def __init__(self) -> None:
        # The throughput runs measure the bot against a server without flood limits.
        super().__init__(limits=None)
        self.replies: dict[tuple[int, int], list[tuple[float, str]]] = defaultdict(list)
        self.reply_messages: dict[tuple[int, int], JsonDict] = {}
        self.replied = asyncio.Event()
        self.answered = 0  # questions with at least one reply

    def _api_sendmessage(self, params: JsonDict) -> JsonDict:
        message = super()._api_sendmessage(params)
        reply_to = (params.get("reply_parameters") or {}).get("message_id")
        key = (message["chat"]["id"], reply_to)
        self.replies[key].append((time.perf_counter(), message["text"]))
        self.reply_messages.setdefault(key, message)
        self.answered += len(self.replies[key]) == 1
        self.replied.set()
        return message


@dataclass
class Question:
    """One pushed question and what the reply must say."""

    chat_id: int
    message_id: int
    pushed: float
    expected: str


@dataclass
class RunResult:
    """Figures of one bot under the load."""

    name: str
    questions: int
    seconds: float
    latencies: list[float]
    cpu_seconds: float
    peak_rss_kib: int
    driver_cpu_seconds: float
    missing: int
    duplicates: int
    wrong: int
    errors: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        """Answers per second over the measured run."""
        return (self.questions - self.missing) / self.seconds

    def percentile(self, share: float) -> float:
        """Reply latency at ``share`` (0..1), in milliseconds."""
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def workload(users: int, per_user: int) -> Plan:
    """(user, group or None, question) in a round-robin order: every user asks in turn."""
    cases = [case for path in EVAL_FILES for case in load_cases(path)]
    questions = [case.question for case in cases]
    plan = []
    for round_number in range(per_user):
        for index in range(users):
            user = FIRST_USER + index
            group = -1_000_000_000 - index % GROUPS if index % 2 else None
            question = questions[(index * per_user + round_number) % len(questions)]
            plan.append((user, group, question, False))
    return plan


def followup_workload(users: int, per_user: int) -> Plan:
    """Like `workload`, but every other question follows up the one before: users take
    turns asking an opening question, then all take turns asking its follow-up."""
    pairs = [
        (first.question, then.question)
        for path in CONVERSATION_FILES
        if path.is_file()
        for conversation in load_conversations(path)
        for first, then in zip(conversation.turns, conversation.turns[1:], strict=False)
        if then.kind == "follow"
    ]
    plan = []
    asked: dict[int, set[str]] = defaultdict(set)  # each reader's questions so far
    in_group: dict[int, set[str]] = defaultdict(set)  # the questions asked in each group
    for round_number in range(per_user // 2):
        chosen = []
        for index in range(users):
            group = index % GROUPS if index % 2 else None
            # A question asked again in the same chat within seconds is answered once (a
            # reader's repeat, or several readers of a group asking the same): each reader
            # takes the next pair that neither they nor their group has asked yet.
            number = index * per_user + round_number
            taken = asked[index] | (in_group[group] if group is not None else set())
            for _ in range(len(pairs)):
                if not set(pairs[number % len(pairs)]) & taken:
                    break
                number += 1
            chosen.append(pairs[number % len(pairs)])
            asked[index].update(chosen[-1])
            if group is not None:
                in_group[group].update(chosen[-1])
        for turn in (0, 1):
            for index in range(users):
                group = -1_000_000_000 - index % GROUPS if index % 2 else None
                plan.append((FIRST_USER + index, group, chosen[index][turn], bool(turn)))
    return plan


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of a live process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_kib(pid: int) -> int:
    """VmHWM (peak resident set) of a live process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def driver_cpu() -> float:
    """CPU seconds of this process: the emulator plus the load driver."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def start_bot(
    emulator: BotApiEmulator,
    command: list[str],
    workdir: Path,
    extra_env: dict[str, str] | None = None,
    rate_limit: str = "off",
) -> Any:
    """Start a bot subprocess and wait until it polls (PTB deletes the webhook first)."""
    env = {
        **(extra_env or {}),
        **os.environ,
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "STORYBOT_API_BASE_URL": emulator.base_url,
        "STORYBOT_RATE_LIMIT": rate_limit,
        "STORYBOT_LOG_LEVEL": "WARNING",
        "STORYBOT_DATA_DIR": str(workdir),
        "STORYBOT_DATABASE_URL": f"sqlite:///{workdir / 'log.sqlite3'}",
        "STORYBOT_TODAY": TODAY.isoformat(),
    }
    before = len(emulator.calls_to("deleteWebhook"))
    log = (workdir / "bot.log").open("ab")
    process = await asyncio.create_subprocess_exec(
        *command, stdout=log, stderr=asyncio.subprocess.STDOUT, env=env, cwd=workdir
    )
    log.close()
    await emulator.wait_for("deleteWebhook", timeout=30, count=before + 1)
    return process


async def drive(
    emulator: TimedEmulator,
    plan: Plan,
    expect: Expected,
    window: int,
    rate: float,
    timeout: float,  # noqa: ASYNC109
) -> tuple[list[Question], float]:
    """Push the plan, wait for the replies; the questions and the wall time of the run."""
    pushed: list[Question] = []
    started = time.perf_counter()
    base = emulator.answered
    in_order = any(follows for *_, follows in plan)
    last: dict[tuple[int, int | None], Question] = {}  # each user's last question per chat
    for number, (user, group, question, follows) in enumerate(plan):
        if rate:
            await asyncio.sleep(max(0.0, started + number / rate - time.perf_counter()))
        else:
            while number - (emulator.answered - base) >= window:
                emulator.replied.clear()
                await emulator.replied.wait()
        answer: JsonDict | None = None
        # In a conversation a reader asks on once the last answer is there.
        if (user, group) in last and (follows or in_order):
            before = last[user, group]
            key = (before.chat_id, before.message_id)
            # An answer that never comes is counted missing; the reader asks on regardless.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    while key not in emulator.reply_messages:
                        emulator.replied.clear()
                        await emulator.replied.wait()
            answer = emulator.reply_messages.get(key)
        if group is None:
            update = emulator.private_message(user, question)
        elif follows and answer is not None:
            update = emulator.group_message(group, user, question, reply_to=answer)
        else:
            update = emulator.group_message(group, user, f"/ask {question}")
        message = update["message"]
        pushed.append(
            Question(
                message["chat"]["id"], message["message_id"], time.perf_counter(), expect[number]
            )
        )
        last[user, group] = pushed[-1]
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            while emulator.answered - base < len(pushed):
                emulator.replied.clear()
                await emulator.replied.wait()
    arrivals = [emulator.replies.get((q.chat_id, q.message_id)) for q in pushed]
    last = max((replies[0][0] for replies in arrivals if replies), default=time.perf_counter())
    return pushed, last - started


async def run_one(
    name: str,
    command: list[str],
    plan: Plan,
    expect: Expected,
    args: argparse.Namespace,
    extra_env: dict[str, str],
) -> RunResult:
    """Start a bot on a fresh emulator, warm it up, measure the plan, stop it."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        async with TimedEmulator() as emulator:
            process = await start_bot(emulator, command, Path(tmp), extra_env)
            warmup = [(WARMUP_USERS + u, g, q, f) for u, g, q, f in plan[: args.warmup]]
            await drive(emulator, warmup, expect, args.window, 0, args.timeout)
            cpu_before, driver_before = cpu_of(process.pid), driver_cpu()
            pushed, seconds = await drive(
                emulator, plan, expect, args.window, args.rate, args.timeout
            )
            cpu = cpu_of(process.pid) - cpu_before
            driver = driver_cpu() - driver_before
            rss = peak_rss_kib(process.pid)
            await asyncio.sleep(0.5)  # late duplicates
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
            errors = (Path(tmp) / "bot.log").read_text(errors="replace").splitlines()
            latencies, missing, duplicates, wrong = [], 0, 0, 0
            for question in pushed:
                replies = emulator.replies.get((question.chat_id, question.message_id), [])
                if not replies:
                    missing += 1
                    continue
                duplicates += len(replies) - 1
                wrong += replies[0][1] != question.expected
                latencies.append(replies[0][0] - question.pushed)
    return RunResult(
        name, len(pushed), seconds, latencies, cpu, rss, driver, missing, duplicates, wrong,
        [line for line in errors if "ERROR" in line or "CRITICAL" in line],
    )  # fmt: skip


def expected_replies(plan: Plan, *, private_context: bool) -> tuple[Expected, Expected, Expected]:
    """Reply texts (as Telegram shows them) to each question of the plan: storybot's, echo's
    and the rich echo's. Storybot reads a follow-up with the user's last turn, and (with
    ``private_context``) every private question with the last turn of that chat."""
    snapshot = load(bundled_knowledge())
    # The bot offers example questions when nothing is close; which ones does not change the text.
    examples = [Suggestion(eid, entry.question) for eid, entry in snapshot.entries.items()][:3]
    rich_text = parse_html(rich_reply().text)[0]
    story, echo, rich = [], [], []
    turns: dict[tuple[int, int | None], Turn] = {}
    for user, group, question, follows in plan:
        context = (
            turns.get((user, group)) if follows or (group is None and private_context) else None
        )
        answer = answer_question(snapshot, question, context=context, today=TODAY)
        turns[user, group] = next_turn(answer, snapshot)
        html = render.answer_reply(answer, examples=examples).text
        story.append(parse_html(html)[0])
        echo.append(question if group is None or follows else f"/ask {question}")
        rich.append(rich_text)
    return story, echo, rich


def report(results: list[RunResult], args: argparse.Namespace, wall: float) -> str:
    """The figures as a Markdown block (also printed)."""
    cpu_model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    lines = [
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: `nproc` = {os.cpu_count()}, {cpu_model}, Python {platform.python_version()}. "
        f"Command: `{shlex.join(['python', 'benchmarks/bench_load.py', *sys.argv[1:]])}` "
        f"({args.users} users x {args.questions} questions, half private, half `/ask` in "
        f"{GROUPS} groups; {'window ' + str(args.window) if not args.rate else f'{args.rate:g}/s'}"
        f"). Whole run: {wall:.0f} s.",
        "",
        "| bot | answers/s | p50 | p99 | bot CPU / answer | bot peak RSS | emulator+driver CPU "
        "| missing | duplicates | wrong |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        cpu_ms = 1000 * r.cpu_seconds / max(1, len(r.latencies))
        lines.append(
            f"| {r.name} | {r.throughput:.0f} | {r.percentile(0.5):.0f} ms | "
            f"{r.percentile(0.99):.0f} ms | {cpu_ms:.2f} ms | {r.peak_rss_kib / 1024:.0f} MiB | "
            f"{100 * r.driver_cpu_seconds / r.seconds:.0f}% of a core | {r.missing} | "
            f"{r.duplicates} | {r.wrong} |"
        )
    by_name = {r.name: r for r in results}
    if "storybot, follow-ups" in by_name:
        ratio = by_name["storybot, follow-ups"].throughput / by_name["storybot"].throughput
        verdict = "ok" if ratio >= TARGET_FOLLOWUP_RATIO else "MISSED"
        lines += [
            "",
            f"storybot with half follow-ups / storybot: {ratio:.2f} "
            f"(target >= {TARGET_FOLLOWUP_RATIO}): {verdict}",
        ]
    if {"storybot", "echo", "echo, aiohttp", "rich echo, aiohttp"} <= set(by_name):
        story, echo, echo_aiohttp, rich_aiohttp = (
            by_name[n].throughput
            for n in ("storybot", "echo", "echo, aiohttp", "rich echo, aiohttp")
        )
        ratio = story / echo
        verdict = "ok" if ratio >= TARGET_RATIO else "MISSED"
        lines += [
            "",
            f"storybot/echo throughput: {ratio:.2f} (target >= {TARGET_RATIO}): {verdict}",
            f"storybot/echo on storybot's client: {story / echo_aiohttp:.2f} "
            "(the same HTTP client: what storybot's reply and work cost)",
            f"storybot/rich echo on storybot's client: {story / rich_aiohttp:.2f} "
            "(the same reply too: what matching, logging and metrics cost)",
        ]
    for r in results:
        lines += [f"{r.name} logged: {line}" for line in r.errors[:5]]
    return "\n".join(lines) + "\n"


# --- busy groups and floods (Telegram's flood limits on, in the emulator and in the bot) ---

FLOOD_GROUP = -1_000_777_000


def named_at(emulator: BotApiEmulator, chat_id: int, asked: dict[int, int]) -> dict:
    """user -> (time, combined?) of the first message answering them: a reply to their
    question, or a combined answer mentioning them (tg://user?id=)."""
    by_message = {message_id: user for user, message_id in asked.items()}
    found: dict[int, tuple[float, bool]] = {}
    for call in emulator.calls_to("sendMessage"):
        if call.params["chat_id"] != chat_id:
            continue
        _, entities = parse_html(call.params["text"])
        users = {
            int(e["url"].removeprefix("tg://user?id="))
            for e in entities
            if e["type"] == "text_link" and e["url"].startswith("tg://user?id=")
        }
        combined = bool(users)
        replied = (call.params.get("reply_parameters") or {}).get("message_id")
        if replied in by_message:
            users.add(by_message[replied])
        for user in users & asked.keys():
            found.setdefault(user, (call.time, combined))
    return found


async def until(condition: Any, timeout: float) -> None:  # noqa: ASYNC109
    """Poll ``condition`` every 50 ms for at most ``timeout`` seconds."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)


def latency_figures(latencies: list[float]) -> str:
    """p50 / p99 / max of latencies in seconds."""
    ordered = sorted(latencies) or [float("nan")]
    pick = lambda share: ordered[min(len(ordered) - 1, int(share * len(ordered)))]  # noqa: E731
    return f"{pick(0.5):.2f} s | {pick(0.99):.2f} s | {ordered[-1]:.2f} s"


async def stop(process: Any) -> None:
    """SIGTERM, and SIGKILL after 30 s (a bot still retrying refused sends may not stop)."""
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()
        await process.wait()


async def busy_group(questions: list[str], readers: int, seconds: float) -> str:
    """``readers`` readers ask in one group within ``seconds``: a table row."""
    with tempfile.TemporaryDirectory(prefix="bench-group-") as tmp:
        async with BotApiEmulator() as emulator:
            process = await start_bot(
                emulator, [sys.executable, "-m", "bot", "run"], Path(tmp), rate_limit="on"
            )
            asked, pushed = {}, {}
            for i in range(readers):
                user = FIRST_USER + i
                update = emulator.group_message(
                    FLOOD_GROUP, user, f"/ask {questions[i % len(questions)]}",
                    first_name=f"Reader {i}",
                )  # fmt: skip
                asked[user] = update["message"]["message_id"]
                pushed[user] = time.time()
                await asyncio.sleep(seconds / readers)
            await until(lambda: len(named_at(emulator, FLOOD_GROUP, asked)) == readers, 60)
            named = named_at(emulator, FLOOD_GROUP, asked)
            messages = len(emulator.calls_to("sendMessage"))
            await stop(process)
    latencies = [named[user][0] - pushed[user] for user in named]
    combined = sum(is_combined for _, is_combined in named.values())
    return (
        f"| {readers} readers in one group within {seconds:g} s | "
        f"{latency_figures(latencies)} | {combined / readers:.0%} | {messages} | "
        f"{readers - len(named)} | {len(emulator.flood_log)} |"
    )


async def flood(questions: list[str], count: int, others: int) -> tuple[str, str]:
    """One account sends ``count`` questions in half a second (in proportion for more), while
    ``others`` readers ask once each in their private chats: a table row, and the flooder's
    fate and the bot's memory."""
    flooder = FIRST_USER
    with tempfile.TemporaryDirectory(prefix="bench-flood-") as tmp:
        async with BotApiEmulator() as emulator:
            process = await start_bot(
                emulator, [sys.executable, "-m", "bot", "run"], Path(tmp), rate_limit="on"
            )
            rss_before = peak_rss_kib(process.pid)
            seconds = 0.5 * max(1, count / 300)
            batch = max(1, count // 50)
            asked, pushed, latest = {}, {}, 0
            for i in range(count):
                update = emulator.private_message(flooder, f"{questions[i % len(questions)]} {i}")
                latest = update["message"]["message_id"]
                if i % batch == batch - 1:
                    await asyncio.sleep(seconds / 50)
                    reader = FIRST_USER + 1 + len(asked)
                    if len(asked) < others:
                        update = emulator.private_message(reader, questions[len(asked)])
                        asked[reader] = update["message"]["message_id"]
                        pushed[reader] = time.time()

            def all_named() -> bool:
                return all(named_at(emulator, user, {user: asked[user]}) for user in asked)

            await until(all_named, 30)
            await until(lambda: named_at(emulator, flooder, {flooder: latest}), 30)
            flooded_at = time.time()
            latencies = []
            for user in asked:
                named = named_at(emulator, user, {user: asked[user]})
                if named:
                    latencies.append(named[user][0] - pushed[user])
            got_latest = named_at(emulator, flooder, {flooder: latest})
            to_flooder = [m["text"] for m in emulator.sent_messages(flooder)]
            notices = sum("asking faster than" in text for text in to_flooder)
            rss = peak_rss_kib(process.pid)
            await stop(process)
    row = (
        f"| {others} readers while one account sends {count} | {latency_figures(latencies)} "
        f"| - | {len(emulator.calls_to('sendMessage'))} | {others - len(latencies)} "
        f"| {len(emulator.flood_log)} |"
    )
    fate = (
        f"Flood of {count}: the flooder got {len(to_flooder) - notices} answers and "
        f"{notices} notice; its latest question {'was' if got_latest else 'was NOT'} "
        f"answered ({flooded_at - pushed.get(FIRST_USER + 1, flooded_at):.1f} s after the "
        f"first other reader asked); bot peak RSS {rss_before / 1024:.0f} -> "
        f"{rss / 1024:.0f} MiB."
    )
    return row, fate


async def floods(args: argparse.Namespace) -> str:
    """The busy-group and flood scenarios, as a Markdown block."""
    cases = [case for path in EVAL_FILES if path.is_file() for case in load_cases(path)]
    questions = list(dict.fromkeys(case.question for case in cases if case.expect == "answer"))
    rows = []
    for readers, seconds in ((30, 1.0), (60, 10.0)):
        rows.append(await busy_group(questions, readers, seconds))
        print(rows[-1], flush=True)
    fates = []
    for count in (300, args.flood_size):
        row, fate = await flood(questions, count, others=20)
        print(row, flush=True)
        rows.append(row)
        fates.append(fate)
    lines = [
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: busy groups and floods",
        "",
        f"Command: `{shlex.join(['python', 'benchmarks/bench_load.py', *sys.argv[1:]])}` "
        "(flood limits on in the emulator and the bot; latency: from a reader's question to "
        "the first message naming them).",
        "",
        "| scenario | p50 | p99 | max | combined share | messages sent | unanswered | 429s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        *(f"* {fate}" for fate in fates),
    ]
    return "\n".join(lines) + "\n"


async def main(args: argparse.Namespace) -> None:
    """Run storybot and the echo bots under the same load and print (and record) the figures."""
    if importlib.util.find_spec("sniffio") is None and not (args.no_echo or args.floods):
        sys.exit(
            "sniffio is missing: it would slow the echo bot's httpx client down and flatter "
            "storybot. pip install -e '.[bench]'"
        )
    if args.floods:
        text = await floods(args)
        print(text)
        if not args.no_readme:
            with (REPO / "benchmarks/README.md").open("a", encoding="utf-8") as readme:
                readme.write("\n" + text)
        return
    started = time.perf_counter()
    plan = workload(args.users, args.questions)
    story, echo, rich = expected_replies(plan, private_context=False)
    storybot = [sys.executable, "-m", "bot", "run"]
    # Questions standing alone, as before conversations: no private context.
    alone = {"STORYBOT_CONVERSATION_MINUTES": "0"}
    runs = [("storybot", storybot, plan, story, alone)]
    if not args.no_echo:
        echo_bot = str(REPO / "benchmarks/echo_bot.py")
        runs.append(("echo", [sys.executable, echo_bot], plan, echo, {}))
        runs.append(("echo, aiohttp", [sys.executable, echo_bot, "--aiohttp"], plan, echo, {}))
        rich_bot = [sys.executable, echo_bot, "--rich", "--aiohttp"]
        runs.append(("rich echo, aiohttp", rich_bot, plan, rich, {}))
    if not args.no_followups:
        followups = followup_workload(args.users, args.questions)
        in_context = expected_replies(followups, private_context=True)[0]
        runs.append(("storybot, follow-ups", storybot, followups, in_context, {}))
    results = [
        await run_one(name, command, questions, expect, args, env)
        for name, command, questions, expect, env in runs
    ]
    text = report(results, args, time.perf_counter() - started)
    print(text)
    if not args.no_readme:
        with (REPO / "benchmarks/README.md").open("a", encoding="utf-8") as readme:
            readme.write("\n" + text)


def parse_args() -> argparse.Namespace:
    """Command-line flags."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--questions", type=int, default=25, help="questions per user")
    parser.add_argument("--window", type=int, default=256, help="max unanswered (--rate 0)")
    parser.add_argument("--rate", type=float, default=0, help="updates/s (0: as fast as drained)")
    parser.add_argument("--warmup", type=int, default=200, help="questions before measuring")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for replies")
    parser.add_argument("--no-echo", action="store_true", help="skip the echo bot run")
    parser.add_argument("--no-followups", action="store_true", help="skip the follow-up run")
    parser.add_argument("--no-readme", action="store_true", help="don't append to the README")
    parser.add_argument(
        "--floods", action="store_true", help="busy groups and floods under Telegram's limits"
    )
    parser.add_argument("--flood-size", type=int, default=10_000, help="the big flood")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
