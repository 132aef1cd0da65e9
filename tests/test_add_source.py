"""`storybot add-source`: a new article, its drafted facts, newer facts that update older ones."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.curation.addsource import source_id_for
from bot.curation.drafting import draft_facts, slug, split_sentences, uncited_sentences
from bot.curation.yamledit import EditError, append_items, append_to_item_list
from bot.engine.answering import answer_question
from bot.engine.loader import load, validate

FOLLOW_UP = Path(__file__).parent / "data" / "parade_followup.txt"  # fictional test data
ARGS = ["--title", "Kim Watches Beijing Parade", "--publisher", "Storybot Test Desk"]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("STORYBOT_"):
            monkeypatch.delenv(name)


def fingerprint(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def add(capsys, knowledge: Path, article: Path = FOLLOW_UP, *extra: str) -> tuple[int, str, str]:
    argv = ["add-source", str(article), *ARGS, "--date", "2025-09-03", "--knowledge"]
    code = main([*argv, str(knowledge), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_fixture_is_marked_as_fictional_test_data():
    assert FOLLOW_UP.read_text(encoding="utf-8").startswith("TEST DATA: a fictional")


def test_add_source_drafts_verbatim_quotes_and_check_lists_uncited(capsys, knowledge_copy):
    comments_before = [
        line for line in (knowledge_copy / "facts.yaml").read_text().splitlines() if "#" in line
    ]
    code, out, err = add(capsys, knowledge_copy)
    assert (code, err) == (0, "")
    sources = yaml.safe_load((knowledge_copy / "sources.yaml").read_text())["sources"]
    new = next(s for s in sources if s["publisher"] == "Storybot Test Desk")
    assert new["date"] == "2025-09-03" and new["file"] == f"sources/{new['id']}.txt"
    stored = (knowledge_copy / new["file"]).read_text(encoding="utf-8")
    assert stored == FOLLOW_UP.read_text(encoding="utf-8")  # kept exactly as given

    facts = yaml.safe_load((knowledge_copy / "facts.yaml").read_text())["facts"]
    drafted = [f for f in facts if f["source"] == new["id"]]
    assert len(drafted) == len(split_sentences(stored)) == 9
    for fact in drafted:
        assert fact["quote"] in stored  # verbatim, not merely "found after folding"
    ids = [f["id"] for f in drafted]
    assert "military-parade-beijing-place-wednesday" in ids  # readable ids
    assert len(set(f["id"] for f in facts)) == len(facts)
    # Comments and layout of the curated file survive.
    after = (knowledge_copy / "facts.yaml").read_text().splitlines()
    assert comments_before == [line for line in after if "#" in line][: len(comments_before)]
    assert "9 sentence(s) no FAQ entry cites yet" in out
    assert "took place on Wednesday" in out

    assert main(["check", "--knowledge", str(knowledge_copy)]) == 0
    out, _ = capsys.readouterr()
    uncited = [line for line in out.splitlines() if "no FAQ entry cites" in line]
    assert len(uncited) == 9
    assert any("After the parade, Kim rode his armored train" in line for line in uncited)
    assert "0 uncovered sentence(s), 9 not cited by an entry" in out


def test_a_newer_fact_updates_an_older_one(capsys, knowledge_copy):
    assert add(capsys, knowledge_copy)[0] == 0
    facts_file = knowledge_copy / "facts.yaml"
    facts_file.write_text(
        facts_file.read_text().replace(
            "  - id: military-parade-beijing-place-wednesday\n",
            "  - id: military-parade-beijing-place-wednesday\n    updates: parade-on-wednesday\n",
        )
    )
    snapshot = load(knowledge_copy)
    answer = answer_question(snapshot, "when is the parade?")
    assert answer.answered
    assert "set for Wednesday" in answer.text and "took place on Wednesday" in answer.text
    assert [c.date for c in answer.citations] == ["2025-09-02", "2025-09-03"]  # both cited
    assert (
        "td-2025-09-03-kim-watches-beijing",
        next(iter(split_sentences(FOLLOW_UP.read_text()))),
    ) in uncited_sentences(snapshot)


@pytest.mark.parametrize(
    ("updates", "message"),
    [
        ("no-such-fact", "updates unknown fact 'no-such-fact'"),
        ("military-parade-beijing-place-wednesday", "cannot update itself"),
    ],
)
def test_bad_updates_are_refused(capsys, knowledge_copy, updates, message):
    assert add(capsys, knowledge_copy)[0] == 0
    facts_file = knowledge_copy / "facts.yaml"
    facts_file.write_text(
        facts_file.read_text().replace(
            "  - id: military-parade-beijing-place-wednesday\n",
            f"  - id: military-parade-beijing-place-wednesday\n    updates: {updates}\n",
        )
    )
    _, problems = validate(knowledge_copy)
    assert any(message in str(p) and p.file == "facts.yaml" and p.line for p in problems)


def test_an_older_fact_cannot_update_a_newer_one(capsys, knowledge_copy):
    assert add(capsys, knowledge_copy)[0] == 0
    facts_file = knowledge_copy / "facts.yaml"
    facts_file.write_text(
        facts_file.read_text().replace(
            "  - id: parade-on-wednesday\n",
            "  - id: parade-on-wednesday\n    updates: military-parade-beijing-place-wednesday\n",
        )
    )
    _, problems = validate(knowledge_copy)
    assert any("comes from a newer source" in str(p) for p in problems)


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (b"Kim went \xff\xfe home.", (), "not UTF-8"),
        (b"  \n\n ", (), "is empty"),
        (b"<!doctype html><html><body><p>Kim rode.</p></body></html>", (), "looks like HTML"),
        (
            b"Kim rode.<br>He arrived.<br>The parade<p>began</p>",
            (),
            "looks like HTML",
        ),
        (b"Kim rode a train.", ("--date", "03/09/2025"), "must be a date as YYYY-MM-DD"),
        (b"Kim rode a train.", ("--date", "2025-02-30"), "must be a date as YYYY-MM-DD"),
        (b"Kim rode a train.", ("--id", "gli-2025-09-02-kim-train"), "already taken"),
        (b"Kim rode a train.", ("--id", "Not An Id"), "must be at most 48 lowercase"),
        (b"Kim rode a train.", ("--url", "http://example.org"), "https://"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    capsys, knowledge_copy, tmp_path, content, extra, message
):
    article = tmp_path / "article.txt"
    article.write_bytes(content)
    before = fingerprint(knowledge_copy)
    code, out, err = add(capsys, knowledge_copy, article, *extra)
    assert code == 2
    assert message in err and "nothing was changed" in err
    assert "Traceback" not in err and out == ""
    assert fingerprint(knowledge_copy) == before


def test_the_same_article_twice_is_refused(capsys, knowledge_copy):
    assert add(capsys, knowledge_copy)[0] == 0
    before = fingerprint(knowledge_copy)
    code, _, err = add(capsys, knowledge_copy, FOLLOW_UP, "--id", "another-id")
    assert code == 2 and "already source 'td-2025-09-03-kim-watches-beijing'" in err
    assert fingerprint(knowledge_copy) == before


def test_a_read_only_folder_is_refused_and_unchanged(capsys, knowledge_copy):
    if os.geteuid() == 0:
        pytest.skip("root writes to read-only folders")
    before = fingerprint(knowledge_copy)
    for path in (knowledge_copy, knowledge_copy / "sources"):
        path.chmod(0o555)
    try:
        code, _, err = add(capsys, knowledge_copy)
    finally:
        for path in (knowledge_copy, knowledge_copy / "sources"):
            path.chmod(0o755)
    assert code == 2 and "cannot write" in err
    assert fingerprint(knowledge_copy) == before


def test_console_script_adds_a_source(knowledge_copy):
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBOT_")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "add-source", str(FOLLOW_UP), *ARGS,
         "--date", "2025-09-03", "--url", "https://example.org/parade",
         "--knowledge", str(knowledge_copy)],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "added source td-2025-09-03-kim-watches-beijing" in done.stdout
    sources = yaml.safe_load((knowledge_copy / "sources.yaml").read_text())["sources"]
    assert sources[-1]["url"] == "https://example.org/parade"


def test_sentences_keep_abbreviations_and_lines():
    text = "Mr. Kim met Dr. J. Smith at the U.S. base. He left!\n- A list item\n\n“Why?” she asked."
    assert split_sentences(text) == [
        "Mr. Kim met Dr. J. Smith at the U.S. base.",
        "He left!",
        "A list item",
        "“Why?” she asked.",
    ]


@pytest.mark.parametrize(
    ("publisher", "short"),
    [
        ("Voice of America (VOA Learning English)", "voa"),  # the acronym it holds
        ("NASA", "nasa"),
        ("The Associated Press (AP)", "ap"),
        ("Global Leaders Insights Team", "glit"),  # no acronym: the initials
        ("THE DAILY NEWS", "dn"),  # capitals throughout: words, not acronyms
    ],
)
def test_a_source_id_starts_with_the_publisher_s_short_name(publisher: str, short: str):
    assert source_id_for(publisher, "2024-12-20", "Top Technology Stories of 2024") == (
        f"{short}-2024-12-20-top-technology-stories"
    )


def test_drafted_ids_are_readable_and_unique():
    drafts = draft_facts("The parade began. The parade began. Kim’s train left.", {"parade-began"})
    assert [d.id for d in drafts] == ["parade-began-2", "parade-began-3", "kim-train-left"]
    assert slug("Zürich—Beijing café") == "zurich-beijing-cafe"
    assert slug("!!!") == "fact"


def test_yaml_edits_keep_comments_and_check_the_result():
    text = "# head\nfacts:\n  # one\n  - id: a\n    quote: x\n\n  # tail comment\n"
    result = append_items(text, "facts.yaml", "facts", ["- id: b\n  quote: y"], comment="new")
    assert result == (
        "# head\nfacts:\n  # one\n  - id: a\n    quote: x\n  # new\n  - id: b\n    quote: y\n"
        "\n  # tail comment\n"
    )
    faq = "entries:\n  - id: e\n    phrasings:\n      - one # why\n      - two\n    answer: A\n"
    added = append_to_item_list(faq, "faq.yaml", "entries", "e", "phrasings", ["three: 3", "four"])
    assert added == (
        "entries:\n  - id: e\n    phrasings:\n      - one # why\n      - two\n"
        '      - "three: 3"\n      - four\n    answer: A\n'
    )
    with pytest.raises(EditError, match="no item with id"):
        append_to_item_list(faq, "faq.yaml", "entries", "nope", "phrasings", ["x"])
    with pytest.raises(EditError, match="block list"):
        append_to_item_list(
            "entries:\n  - id: e\n    phrasings: [a, b]\n", "f", "entries", "e", "phrasings", ["c"]
        )


def test_a_failed_write_puts_back_what_was_written(capsys, knowledge_copy, monkeypatch):
    from bot.curation import addsource

    real = addsource.write_atomically
    calls = []

    def failing(path, text):
        calls.append(path.name)
        if path.name == "facts.yaml" and calls.count("facts.yaml") == 1:
            raise PermissionError(13, "Permission denied")
        real(path, text)

    monkeypatch.setattr(addsource, "write_atomically", failing)
    before = fingerprint(knowledge_copy)
    code, _, err = add(capsys, knowledge_copy)
    assert code == 2 and "cannot write" in err and "Permission denied" in err
    assert "sources.yaml" in calls  # written, then put back
    assert fingerprint(knowledge_copy) == before


def test_a_sentence_ends_after_an_abbreviation_when_the_next_one_starts():
    text = "Teams from the two largest cities in the U.S. It is a final. U.S. officials said so."
    assert split_sentences(text) == [
        "Teams from the two largest cities in the U.S.",
        "It is a final.",
        "U.S. officials said so.",
    ]
