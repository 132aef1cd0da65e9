"""The `storybot` command: the --json contract, stdin, exit codes and knowledge overrides."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers_knowledge import BUNDLED, copy_knowledge, edit, line_of

from bot.cli import main

CONTRACT_KEYS = [
    "question",
    "answered",
    "answer",
    "confidence",
    "entry",
    "citations",
    "suggestions",
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


def ask_json(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict]:
    code, out, err = run(capsys, "ask", "--json", *argv)
    assert (code, err) == (0, "")
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
    if reply["answered"]:
        assert isinstance(reply["answer"], str) and reply["answer"]
        assert isinstance(reply["entry"], str)
        assert reply["citations"]
    else:
        assert reply["answer"] is None and reply["entry"] is None
        assert reply["citations"] == []
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
