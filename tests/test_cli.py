"""The `storybot` command: the --json contract, stdin, exit codes and knowledge overrides."""

from __future__ import annotations

import asyncio
import io
import json
import os
import pty
import re
import select
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from botapi_emulator import BotApiEmulator
from conftest import StartBot
from helpers_knowledge import BUNDLED, copy_knowledge, edit, line_of
from PIL import Image

from bot.cli import main
from bot.curation.store import QuestionLog
from bot.engine.languages import CODES
from bot.engine.model import Outcome

CONTRACT_KEYS = [
    "question",
    "answered",
    "answer",
    "confidence",
    "entry",
    "citations",
    "suggestions",
    "outcome",
    "entries",
    "sources",
    "language",
]
CITATION_KEYS = ["source", "title", "publisher", "date", "url", "quote"]
SUGGESTION_KEYS = ["entry", "question"]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No STORYBOT_* setting of the machine running the tests leaks in."""
    for name in list(os.environ):
        if name.startswith("STORYBOT_"):
            monkeypatch.delenv(name)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# What `ask` says on stderr when it falls back to the bundled story (no --knowledge).
BUNDLED_NOTICE = re.compile(r"^storybot ask: no --knowledge .*\n", re.MULTILINE)


def quiet(err: str) -> str:
    """stderr without the bundled-story notice: nothing else may be there."""
    return BUNDLED_NOTICE.sub("", err, count=1)


def ask_json(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict]:
    code, out, err = run(capsys, "ask", "--json", *argv)
    assert (code, quiet(err)) == (0, "")
    return [json.loads(line) for line in out.splitlines()]


def assert_contract(reply: dict) -> None:
    """One line of `ask --json`: exactly these keys, of exactly these types."""
    assert list(reply) == CONTRACT_KEYS
    assert isinstance(reply["question"], str)
    assert isinstance(reply["answered"], bool)
    assert isinstance(reply["confidence"], float)
    assert 0.0 <= reply["confidence"] <= 1.0
    assert isinstance(reply["citations"], list)
    assert isinstance(reply["suggestions"], list)
    assert reply["outcome"] in {outcome.value for outcome in Outcome}
    assert reply["answered"] == (reply["outcome"] == Outcome.ANSWERED.value)
    assert reply["language"] in CODES
    assert isinstance(reply["entries"], list)
    if reply["answered"]:
        assert isinstance(reply["answer"], str) and reply["answer"]
        assert isinstance(reply["entry"], str)
        assert reply["entries"][0] == reply["entry"]
        assert reply["citations"]
    else:
        assert reply["answer"] is None and reply["entry"] is None
        assert reply["citations"] == [] and reply["entries"] == []
    for citation in reply["citations"]:
        assert list(citation) == CITATION_KEYS
        assert all(isinstance(citation[k], str) for k in CITATION_KEYS if k != "url")
        assert citation["url"] is None or citation["url"].startswith("https://")
    for suggestion in reply["suggestions"]:
        assert list(suggestion) == SUGGESTION_KEYS
        assert all(isinstance(value, str) for value in suggestion.values())


def test_json_contract_one_line_per_question_in_order(capsys: pytest.CaptureFixture[str]):
    questions = ["how fast is the train", "What is the capital of France?", "departure", "train"]
    replies = ask_json(capsys, *questions)
    assert [r["question"] for r in replies] == questions
    for reply in replies:
        assert_contract(reply)
    answered, abstained, *_ = replies
    assert answered["answered"] and "60" in answered["answer"]
    assert not abstained["answered"]
    assert any(r["suggestions"] for r in replies)


def test_stdin_mode_skips_blank_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(sys, "stdin", io.StringIO("when did kim leave\n\n  \nhow fast\n"))
    replies = ask_json(capsys)
    assert [r["question"] for r in replies] == ["when did kim leave", "how fast"]
    assert all(r["answered"] for r in replies)


def test_plain_text_answer(capsys: pytest.CaptureFixture[str]):
    code, out, _ = run(capsys, "ask", "how fast is the train")
    assert code == 0
    assert "60 km/h" in out and "Source:" in out and "(confidence" in out


def test_quotes_of_one_source_then_the_source_once(capsys: pytest.CaptureFixture[str]):
    _, out, _ = run(capsys, "ask", "how fast is the train and how long did the trip take")
    lines = out.splitlines()
    quotes = [n for n, line in enumerate(lines) if line.startswith('  "')]
    sources = [n for n, line in enumerate(lines) if line.startswith("  Source: ")]
    assert len(quotes) == 2 and len(sources) == 1
    assert max(quotes) < sources[0]


def python_dash_m_bot(cwd: Path, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    """`python -m bot ARGV...` in a subprocess, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_python_dash_m_bot_subprocess(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBOT_")}
    done = python_dash_m_bot(tmp_path, env, "ask", "--json", "how fast is the train", "recipe?")
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["answered"] for r in replies] == [True, False]
    for reply in replies:
        assert_contract(reply)


def test_every_citation_quote_is_word_for_word_in_its_source(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    faq = yaml.safe_load((BUNDLED / "faq.yaml").read_text(encoding="utf-8"))["entries"]
    sources = yaml.safe_load((BUNDLED / "sources.yaml").read_text(encoding="utf-8"))["sources"]
    texts = {s["id"]: (BUNDLED / s["file"]).read_text(encoding="utf-8") for s in sources}
    questions = [entry["question"] for entry in faq]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(questions)))
    replies = ask_json(capsys)
    assert len(replies) == len(questions)
    citations = [c for r in replies for c in r["citations"]]
    assert len(citations) >= len(questions) * 0.9
    for citation in citations:
        assert citation["quote"] in texts[citation["source"]]


def test_check_bundled_exits_0(capsys: pytest.CaptureFixture[str]):
    code, out, _ = run(capsys, "check")
    assert code == 0
    assert out.splitlines()[-1].startswith("ok: 1 sources")


def test_check_broken_exits_1_with_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    knowledge = copy_knowledge(tmp_path)
    edit(knowledge, "sources.yaml", "url: null", "url: http://example.com")
    edit(knowledge, "faq.yaml", "related: [arrival-time,", "related: [nowhere,")
    code, out, err = run(capsys, "check", "--knowledge", str(knowledge))
    assert code == 1
    url_line = line_of(knowledge, "sources.yaml", "url:")
    related_line = line_of(knowledge, "faq.yaml", "related: [nowhere,")
    assert out.splitlines() == [
        f"sources.yaml:{url_line}: source gli-2025-09-02-kim-train: url must be an https:// "
        "link or null",
        f"faq.yaml:{related_line}: entry departure-day: unknown entry 'nowhere' in 'related'",
    ]
    assert "2 problem(s)" in err


def test_check_strict_fails_on_uncovered_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    knowledge = copy_knowledge(tmp_path)
    source = knowledge / "sources/gli-2025-09-02-kim-train.txt"
    source.write_text(source.read_text(encoding="utf-8") + "\nA brand new sentence here.\n")
    assert run(capsys, "check", "--knowledge", str(knowledge))[0] == 0
    code, out, _ = run(capsys, "check", "--strict", "--knowledge", str(knowledge))
    assert code == 1 and "A brand new sentence here." in out


def test_check_takes_the_folder_as_its_argument(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    knowledge = copy_knowledge(tmp_path)
    edit(knowledge, "faq.yaml", "related: [arrival-time,", "related: [nowhere,")
    code, out, _ = run(capsys, "check", str(knowledge))
    assert code == 1 and "unknown entry 'nowhere'" in out  # that folder, not the bundled one
    same = run(capsys, "check", str(knowledge), "--knowledge", str(knowledge) + "/")
    assert same[0] == 1
    with pytest.raises(SystemExit) as stop:
        main(["check", str(knowledge), "--knowledge", str(BUNDLED)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: storybot check") and "differ: give one" in err
    other = copy_knowledge(tmp_path / "other")
    code, out, _ = run(capsys, "sources", str(other))  # sources and chat take it too
    assert code == 0 and str(other / "sources") in out


@pytest.mark.parametrize(
    ("argv", "usage", "message"),
    [
        # the folder where a question, a question file or nothing is expected
        (["ask", "{kb}", "how fast is the train"], "ask", "is a folder, not a question"),
        (["eval", "{kb}", "questions.yaml"], "eval", "is a folder, not a file"),
        (["report", "{kb}"], "report", "unrecognized arguments: {kb}: to read the knowledge"),
        (["lexicon", "{kb}", "train"], "lexicon", "is a folder, not a phrase"),
    ],
)
def test_a_stray_knowledge_folder_says_to_use_the_option(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], usage: str, message: str
):
    knowledge = str(copy_knowledge(tmp_path))
    with pytest.raises(SystemExit) as stop:
        main([arg.format(kb=knowledge) for arg in argv])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: storybot {usage}")  # the command's usage, not storybot's
    assert message.format(kb=knowledge) in err and f"use --knowledge {knowledge}" in err


@pytest.fixture
def questions_file(tmp_path: Path) -> Path:
    path = tmp_path / "questions.yaml"
    path.write_text(
        "- {q: how fast is the train, expect: answer, kind: short, all: [['60']]}\n"
        "- {q: recipe for pancakes, expect: abstain, kind: unrelated}\n"
        "- {q: how heavy is the train, expect: answer, kind: paraphrase, all: [[tonnes]]}\n",
        encoding="utf-8",
    )
    return path


def test_eval_targets(capsys: pytest.CaptureFixture[str], questions_file: Path):
    met = run(capsys, "eval", str(questions_file), "--target", "short=1", "--target", "abstain=1")
    assert met[0] == 0
    assert "short:   1/1" in met[1] and "ok" in met[1]
    missed = run(capsys, "eval", str(questions_file), "--target", "answerable=60%")
    assert missed[0] == 1
    assert "MISSED 60%" in missed[1]
    unknown = run(capsys, "eval", str(questions_file), "--target", "typo=0.5")
    assert unknown[0] == 1 and "typo" in unknown[2]


def test_eval_show_fails(capsys: pytest.CaptureFixture[str], questions_file: Path):
    code, out, _ = run(capsys, "eval", "--show-fails", str(questions_file))
    assert code == 0
    assert out.splitlines()[0].startswith("MISS [paraphrase] 'how heavy is the train'")


def test_bad_target_is_a_usage_error(capsys: pytest.CaptureFixture[str], questions_file: Path):
    with pytest.raises(SystemExit) as exited:
        main(["eval", str(questions_file), "--target", "short=lots"])
    assert exited.value.code == 2
    assert "expected KIND=RATE" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STORYBOT_ANSWER_THRESHOLD", "high"),
        ("STORYBOT_ANSWER_THRESHOLD", "1.5"),
        ("STORYBOT_SUGGEST_THRESHOLD", "0.9"),
    ],
)
def test_malformed_setting_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, name: str, value: str
):
    monkeypatch.setenv(name, value)
    code, out, err = run(capsys, "ask", "how fast")
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1
    assert err.startswith("storybot: ") and name in err
    assert "Traceback" not in err


def test_malformed_setting_in_a_subprocess_has_no_traceback(tmp_path: Path):
    env = {**os.environ, "STORYBOT_ANSWER_THRESHOLD": "high"}
    done = python_dash_m_bot(tmp_path, env, "ask", "how fast")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "storybot: STORYBOT_ANSWER_THRESHOLD must be a number between 0 and 1, not 'high'"
    ]


@pytest.fixture
def marked_knowledge(tmp_path: Path) -> Path:
    """A knowledge copy whose speed answer says MARKER, to see which directory answered."""
    knowledge = copy_knowledge(tmp_path / "marked")
    edit(knowledge, "faq.yaml", "answer: Kim's train runs at", "answer: MARKER Kim's train runs at")
    return knowledge


def test_ask_says_when_it_answers_from_the_bundled_story(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    _, _, err = run(capsys, "ask", "how fast is the train")
    assert err.count("\n") == 1 and BUNDLED_NOTICE.match(err)
    assert "Kim Jong Un Rides Train" in err
    _, _, err = run(capsys, "ask", "--knowledge", str(BUNDLED), "how fast is the train")
    assert err == ""  # a knowledge folder named: nothing to say
    monkeypatch.setenv("STORYBOT_KNOWLEDGE", str(BUNDLED))
    _, _, err = run(capsys, "ask", "how fast is the train")
    assert err == ""


def test_storybot_knowledge_environment_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, marked_knowledge: Path
):
    assert "MARKER" not in ask_json(capsys, "how fast is the train")[0]["answer"]
    monkeypatch.setenv("STORYBOT_KNOWLEDGE", str(marked_knowledge))
    assert ask_json(capsys, "how fast is the train")[0]["answer"].startswith("MARKER")


def test_knowledge_flag_wins_over_the_environment(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    marked_knowledge: Path,
    tmp_path: Path,
):
    monkeypatch.setenv("STORYBOT_KNOWLEDGE", str(tmp_path / "nowhere"))
    reply = ask_json(capsys, "--knowledge", str(marked_knowledge), "how fast is the train")[0]
    assert reply["answer"].startswith("MARKER")


def test_missing_knowledge_directory_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    code, out, err = run(capsys, "ask", "--knowledge", str(tmp_path / "nowhere"), "how fast")
    assert (code, out) == (1, "")
    assert "knowledge directory not found" in err


def test_run_with_broken_knowledge_lists_the_problems_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    knowledge = copy_knowledge(tmp_path)
    (knowledge / "facts.yaml").write_text("facts: [\n", encoding="utf-8")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    code, _, err = run(capsys, "run", "--knowledge", str(knowledge))
    assert code == 1
    assert "facts.yaml:" in err and "Traceback" not in err
    assert "unknown fact" not in err  # an unreadable facts.yaml is reported once, not per entry


def test_a_greeting_or_nothing_close_gets_questions_to_try(capsys: pytest.CaptureFixture[str]):
    _, out, _ = run(capsys, "ask", "good morning!")
    assert out.startswith("Hello!") and "  - When did Kim leave for China?" in out
    _, out, _ = run(capsys, "ask", "zxqv wplk")
    assert "The story doesn't say." in out and "Some things it does answer:" in out


def test_help_thanks_and_sources_get_what_a_person_means(capsys: pytest.CaptureFixture[str]):
    _, out, _ = run(
        capsys, "ask", "help", "thank you!", "sources please", "why is the train green?"
    )
    helped, thanked, listed, why = out.split("\n\n")
    assert helped.startswith("Ask me about the story") and "  - When did Kim leave" in helped
    assert "diplomatic clout" not in helped  # "help" is not China's boost to anyone
    assert thanked == "You're welcome! Ask me anything else about the story."
    assert listed.startswith("The story I know about comes from:")
    assert "Global Leaders Insights Team, 2025-09-02" in listed
    assert why.startswith("The story doesn't say why.") and "[train-colour]" in why


# --- The console script itself, as a user runs it ---------------------------------------------

STORYBOT = Path(sys.executable).with_name("storybot")  # installed by `pip install -e .`
REPO = Path(__file__).resolve().parents[1]


def user_environment(**extra: str) -> dict[str, str]:
    """The test process's environment without any storybot setting or token, plus ``extra``."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("STORYBOT_") and k != "TELEGRAM_BOT_TOKEN"
    }
    return {**keep, **extra}


def storybot(
    cwd: Path, *argv: str, input: str | None = None, **env: str
) -> subprocess.CompletedProcess:
    """The `storybot` console script in ``cwd``, its output captured as text."""
    return subprocess.run(
        [STORYBOT, *argv], cwd=cwd, env=user_environment(**env), input=input,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_version_is_the_installed_package_version(tmp_path: Path):
    done = storybot(tmp_path, "--version")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"storybot {metadata.version('storybot')}\n"


def test_ask_without_questions_on_a_terminal_says_what_to_type(tmp_path: Path):
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [STORYBOT, "ask"], stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=tmp_path, env=user_environment(),
    )  # fmt: skip
    os.close(terminal)
    try:
        # Nothing typed yet: the prompt must come on its own.
        ready, _, _ = select.select([process.stderr], [], [], 60)
        assert ready, "storybot ask waits on the terminal without a word"
        notice = process.stderr.readline().decode()
        assert BUNDLED_NOTICE.match(notice), notice  # no --knowledge: it says whose story
        prompt = process.stderr.readline().decode()
        assert "one per line" in prompt and "Ctrl-D" in prompt
        os.write(controller, b"how fast is the train\n\x04")  # a question, then Ctrl-D
        out, _ = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
        os.close(controller)
    assert process.returncode == 0
    assert "60 km/h" in out.decode() and "Ctrl-D" not in out.decode()  # stdout stays answers


def test_ask_reading_a_pipe_prints_no_prompt(tmp_path: Path):
    done = storybot(tmp_path, "ask", "--json", input="how fast is the train\n")
    assert (done.returncode, quiet(done.stderr)) == (0, "")
    assert json.loads(done.stdout)["answered"]


def test_ask_into_head_ends_quietly(tmp_path: Path):
    # Far more output than a pipe holds: storybot is still writing when head has gone.
    questions = ["how fast is the train"] * 600
    asking = subprocess.Popen(
        [STORYBOT, "ask", *questions], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=tmp_path, env=user_environment(),
    )  # fmt: skip
    head = subprocess.Popen(["head", "-1"], stdin=asking.stdout, stdout=subprocess.PIPE)
    asking.stdout.close()  # head alone reads it now
    first, _ = head.communicate(timeout=120)
    assert asking.wait(timeout=120) == 0
    assert quiet(asking.stderr.read().decode()) == ""
    asking.stderr.close()
    assert first.decode().startswith("Kim's train runs at")


def test_eval_yaml_error_is_one_line_naming_file_and_line(tmp_path: Path):
    path = tmp_path / "questions.yaml"
    path.write_text(
        "- {q: how fast is the train, expect: answer, all: [['60']]}\n"
        "- {q: recipe for pancakes, expect: abstain}\n"
        "- q: when did he leave: monday\n",
        encoding="utf-8",
    )
    done = storybot(tmp_path, "eval", "questions.yaml")
    assert (done.returncode, done.stdout) == (2, "")
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("storybot: questions.yaml:3: ")


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("{q: when did he leave, expect: answer}", "an answerable question needs 'all'"),
        ("{q: when did he leave, expect: maybe}", "expect must be 'answer' or 'abstain'"),
        ("{q: when did he leave, all: [monday]}", "'all' must be a list of groups"),
        ("{expect: abstain}", "needs a 'q' text"),
    ],
)
def test_eval_item_error_names_file_question_and_line(tmp_path: Path, item: str, message: str):
    (tmp_path / "questions.yaml").write_text(
        "# two fine questions, then a broken one\n"
        "- {q: how fast is the train, expect: answer, all: [['60']]}\n"
        "- {q: recipe for pancakes, expect: abstain}\n"
        f"- {item}\n",
        encoding="utf-8",
    )
    done = storybot(tmp_path, "eval", "questions.yaml")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"storybot: questions.yaml: question 3 (line 4): {message}")
    assert len(done.stderr.splitlines()) == 1


def readme_section(title: str) -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index(f"\n## {title}\n")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else None]


def test_eval_help_and_readme_document_the_question_file_format(tmp_path: Path):
    done = storybot(tmp_path, "eval", "--help")
    assert done.returncode == 0
    named = re.findall(r"[\w/]+_questions\.yaml", done.stdout)
    assert named and all((REPO / name).is_file() for name in named), named
    section = readme_section("Question files")
    for key in ("q", "expect", "kind", "topic", "all"):
        assert f"`{key}`" in section
    # The README's example is a working question file.
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "example.yaml").write_text(example, encoding="utf-8")
    done = storybot(tmp_path, "eval", "example.yaml", "--target", "answerable=1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "answerable:" in done.stdout


def test_json_outcome_and_every_answered_entry(tmp_path: Path):
    questions = [
        "how fast is the train and how long did the trip take",
        "kim",
        "recipe for pancakes",
        "departure",
    ]
    done = storybot(tmp_path, "ask", "--json", *questions)
    assert (done.returncode, quiet(done.stderr)) == (0, "")
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    for reply in replies:
        assert_contract(reply)
    two_parts, vague, unrelated, single = replies
    assert two_parts["outcome"] == "answered"
    assert two_parts["entries"] == ["train-speed", "journey-duration"]
    assert two_parts["entry"] == "train-speed"
    assert (vague["outcome"], vague["entries"]) == ("suggested", [])
    assert (unrelated["outcome"], unrelated["entries"]) == ("abstained", [])
    assert single["entries"] == [single["entry"]]
    assert single["sources"] == []


def test_json_sources_request_lists_the_sources(tmp_path):
    done = storybot(tmp_path, "ask", "--json", "give me the sources")
    reply = json.loads(done.stdout)
    assert reply["outcome"] == "sources"
    assert [s["publisher"] for s in reply["sources"]] == ["Global Leaders Insights Team"]
    assert reply["sources"][0]["date"] == "2025-09-02"


def test_readme_documents_every_json_field():
    section = readme_section("Running the bot")
    for key in [*CONTRACT_KEYS, *CITATION_KEYS]:
        assert f'"{key}"' in section, key


@pytest.mark.parametrize("command", ["report", "stats"])
def test_report_without_a_question_log_says_who_writes_it_and_where(tmp_path: Path, command: str):
    done = storybot(tmp_path, command)
    assert (done.returncode, done.stdout) == (2, "")
    error = done.stderr
    assert str(tmp_path / "data" / "storybot.sqlite3") in error  # absolute, not data/...
    assert "storybot run" in error and "storybot webhook" in error
    assert "relative to the directory" in error
    assert "STORYBOT_DATA_DIR" in error and "STORYBOT_DATABASE_URL" in error
    assert not (tmp_path / "data").exists()


def test_a_run_that_cannot_reach_the_bot_api_creates_no_database(tmp_path: Path):
    with socket.socket() as sock:  # a port nobody listens on: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = storybot(
        tmp_path, "run", "--api-base-url", f"http://127.0.0.1:{port}/bot",
        TELEGRAM_BOT_TOKEN="123456:" + "A" * 35,
    )  # fmt: skip
    assert done.returncode == 1
    assert "cannot reach the Bot API" in done.stderr
    assert not (tmp_path / "data").exists()  # no database, not even its directory


async def test_a_rejected_token_creates_no_database_and_a_started_bot_does(
    botapi: BotApiEmulator, start_bot: StartBot, tmp_path: Path
):
    database = tmp_path / "log.sqlite3"  # where start_bot points the question log
    wrong = "123456789:AAwrongTokenThatTheServerRejects12345"
    bot = await start_bot(ready=False, TELEGRAM_BOT_TOKEN=wrong)
    assert await asyncio.wait_for(bot.process.wait(), 30) == 2
    assert not database.exists()
    bot = await start_bot()
    await bot.stop()
    assert database.is_file()


@pytest.fixture
def question_log(tmp_path: Path) -> str:
    """A question log with a few questions, as a database URL."""
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    log = QuestionLog.open(url)

    async def fill() -> None:
        for question in ("how fast is the train", "recipe for pancakes"):
            log.record(
                question=question, chat_type="private", outcome=Outcome.ABSTAINED,
                entry=None, confidence=0.1, knowledge_version="test",
            )  # fmt: skip
        await log.close()

    asyncio.run(fill())
    return url


@pytest.mark.parametrize(
    ("name", "image_format"),
    [("chart.png", "PNG"), ("chart.jpg", "JPEG"), ("chart.JPEG", "JPEG"), ("c.webp", "WEBP")],
)
def test_chart_is_written_in_the_format_its_name_says(
    tmp_path: Path, question_log: str, name: str, image_format: str
):
    done = storybot(tmp_path, "stats", "--database", question_log, "--chart", name)
    assert done.returncode == 0, done.stderr
    with Image.open(tmp_path / name) as image:
        assert image.format == image_format


@pytest.mark.parametrize("name", ["chart.xyz", "chart"])
def test_chart_with_an_unknown_extension_is_refused(tmp_path: Path, question_log: str, name: str):
    done = storybot(tmp_path, "stats", "--database", question_log, "--chart", name)
    assert done.returncode == 2
    assert "--chart" in done.stderr and ".png" in done.stderr and ".jpg" in done.stderr
    assert not (tmp_path / name).exists()


def test_empty_token_file_is_named(tmp_path: Path):
    (tmp_path / "token").write_text("\n", encoding="utf-8")
    done = storybot(tmp_path, "run", "--token-file", "token")
    assert done.returncode == 2
    assert done.stderr == (
        "storybot: --token-file token is empty: put the bot token from @BotFather in it\n"
    )


@pytest.mark.parametrize(
    ("token", "fault"),
    [
        ("123:abc", "has only 3 characters"),
        ("123456:has spaces in it and is long enough", "may only hold letters"),
        ("bot123456:" + "A" * 35, "leave out the 'bot'"),
        ("A" * 40, "no ':'"),
    ],
)
@pytest.mark.parametrize("from_file", [True, False])
def test_malformed_token_states_the_real_format_without_echoing_it(
    tmp_path: Path, token: str, fault: str, from_file: bool
):
    if from_file:
        (tmp_path / "token").write_text(token, encoding="utf-8")
        done = storybot(tmp_path, "run", "--token-file", "token")
        source = "--token-file token"
    else:
        done = storybot(tmp_path, "run", TELEGRAM_BOT_TOKEN=token)
        source = "TELEGRAM_BOT_TOKEN"
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1
    assert f"the bot token in {source} is malformed" in done.stderr
    assert fault in done.stderr
    assert "bot id in digits, a colon, then a 35-character secret" in done.stderr
    assert not [part for part in token.split(":") if len(part) >= 3 and part in done.stderr]


def test_sources_lists_title_publisher_date_link_and_file(tmp_path: Path):
    listed = yaml.safe_load((BUNDLED / "sources.yaml").read_text(encoding="utf-8"))["sources"]
    done = storybot(tmp_path, "sources")
    assert (done.returncode, done.stderr) == (0, "")
    for source in listed:
        assert source["title"] in done.stdout
        assert f"{source['publisher']}, {source['date']}" in done.stdout
        assert str(BUNDLED / source["file"]) in done.stdout
    assert "no link" in done.stdout  # the bundled source has url: null

    done = storybot(tmp_path, "sources", "--json")
    assert (done.returncode, done.stderr) == (0, "")
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [row["id"] for row in rows] == [source["id"] for source in listed]
    for row, source in zip(rows, listed, strict=True):
        assert list(row) == ["id", "title", "publisher", "date", "url", "language", "file"]
        assert {k: row[k] for k in ("title", "publisher", "url")} == {
            k: source[k] for k in ("title", "publisher", "url")
        }
        assert Path(row["file"]).is_file()


def test_sources_of_another_knowledge_directory(tmp_path: Path):
    knowledge = copy_knowledge(tmp_path / "k")
    edit(knowledge, "sources.yaml", "url: null", "url: https://example.org/kim-train")
    done = storybot(tmp_path, "sources", "--knowledge", str(knowledge))
    assert done.returncode == 0, done.stderr
    assert "<https://example.org/kim-train>" in done.stdout
    assert str(knowledge / "sources") in done.stdout


def test_readme_quick_start_shows_what_the_command_prints(tmp_path: Path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    command = re.search(r'storybot ask "([^"]+)"', quick_start)
    assert command, "the quick start asks a question"
    shown = quick_start.split("answers in the terminal", 1)[1].split("```\n", 2)[1]
    done = storybot(tmp_path, "ask", command.group(1))
    assert (done.returncode, quiet(done.stderr)) == (0, "")
    assert done.stdout == shown


def test_today_sets_the_tense_of_ask(capsys: pytest.CaptureFixture[str]):
    before = ask_json(capsys, "--today", "2025-09-02", "When is the parade?")[0]
    after = ask_json(capsys, "--today", "2025-09-04", "When is the parade?")[0]
    assert before["answer"] == "The parade is set for Wednesday, 3 September 2025."
    assert after["answer"] == (
        "The parade was set for Wednesday, 3 September 2025 (as reported on 2 Sep 2025)."
    )


def test_today_comes_from_the_environment_too(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("STORYBOT_TODAY", "2025-09-04")
    code, out, _ = run(capsys, "ask", "How did the parade go?")
    assert code == 0
    assert "before the parade (Wednesday, 3 September 2025); it doesn't say how it went" in out


def test_a_bad_today_is_a_usage_error(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_info:
        main(["ask", "--today", "yesterday", "When is the parade?"])
    assert exit_info.value.code == 2
    assert "expected a date as YYYY-MM-DD, not 'yesterday'" in capsys.readouterr().err


def test_chat_and_eval_take_today(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    lines = iter(["is the parade today?"])

    def finish(prompt: str = "") -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr("builtins.input", finish)
    code, out, _ = run(capsys, "chat", "--today", "2025-09-03")
    assert code == 0 and "Wednesday, 3 September 2025 is today." in out
    cases = tmp_path / "time.yaml"
    cases.write_text(
        '- {q: "When is the parade?", expect: answer, kind: time, all: [["was set for"]]}\n',
        encoding="utf-8",
    )
    assert run(capsys, "eval", str(cases), "--today", "2025-09-04")[0] == 0
    assert run(capsys, "eval", str(cases), "--today", "2025-09-02", "--target", "time=1")[0] == 1
