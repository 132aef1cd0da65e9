"""`storybot ask --conversation`, `storybot chat` and `storybot eval` on conversation files,
through the real console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml


def storybot(tmp_path: Path, *argv: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBOT_")}
    env["HOME"] = str(tmp_path)  # `chat` keeps its history there
    return subprocess.run(
        [sys.executable, "-m", "bot", *argv],
        cwd=tmp_path, env=env, input=stdin, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip


def test_ask_json_conversation_reads_each_line_after_the_last(tmp_path: Path):
    stdin = "When is the parade?\nwhat will happen there?\n\nwhat will happen there?\n"
    done = storybot(tmp_path, "ask", "--json", "--conversation", stdin=stdin)
    assert done.returncode == 0, done.stderr
    first, follow, fresh = [json.loads(line) for line in done.stdout.splitlines()]
    assert first["followup_of"] is None and first["read_as"] == "When is the parade?"
    assert follow["answered"] and follow["entry"] == "parade-features"
    assert follow["followup_of"] == "parade-date"
    assert follow["read_as"] == "what will happen there? (about: When is the parade?)"
    # The blank line started a new conversation: nothing to follow up.
    assert not fresh["answered"] and fresh["followup_of"] is None


def test_plain_ask_json_keeps_its_contract(tmp_path: Path):
    done = storybot(tmp_path, "ask", "--json", stdin="When is the parade?\nwhat day?\n")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert all("read_as" not in line for line in lines)
    assert not lines[1]["answered"]  # without --conversation every line stands alone


def test_conversation_takes_no_question_arguments(tmp_path: Path):
    done = storybot(tmp_path, "ask", "--conversation", "when?")
    assert done.returncode != 0 and "stdin" in done.stderr and "Traceback" not in done.stderr


def test_chat_keeps_context_and_shows_the_reading(tmp_path: Path):
    done = storybot(tmp_path, "chat", stdin="When is the parade?\nwhat will happen there?\n")
    assert done.returncode == 0, done.stderr
    assert "(about: When is the parade?)" in done.stdout
    assert "troops" in done.stdout


def test_eval_reports_turn_kinds_and_targets(tmp_path: Path):
    conversations = [
        {
            "id": "parade",
            "turns": [
                {"q": "When is the parade?", "kind": "open", "all": [["wednesday"]]},
                {"q": "what will happen there?", "kind": "follow", "all": [["troops"]]},
                {"q": "how long will it last?", "kind": "nearmiss"},
                {"q": "How fast does the train go?", "kind": "switch", "all": [["60"]]},
            ],
        }
    ]
    path = tmp_path / "conversations.yaml"
    path.write_text(yaml.safe_dump(conversations), encoding="utf-8")
    done = storybot(tmp_path, "eval", str(path), "--target", "follow=1", "--target", "switch=1")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = {line.split(":")[0].strip(): line for line in done.stdout.splitlines()}
    assert {"open", "follow", "nearmiss", "switch"} <= set(lines)
    assert "1/1" in lines["follow"] and "ok" in lines["follow"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump([{"id": "x", "turns": [{"q": "when?", "kind": "later"}]}]))
    done = storybot(tmp_path, "eval", str(bad))
    assert done.returncode != 0 and "conversation x, turn 1" in done.stderr
    assert "Traceback" not in done.stderr
