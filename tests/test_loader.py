"""The loader: every problem it reports, with its file and line, on mutated knowledge copies."""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

import pytest
from helpers_knowledge import BUNDLED, SOURCE_FILE, copy_knowledge, edit, line_of, problem

from bot.engine.loader import MAX_ANSWER_CHARS, coverage_gaps, curation_notes, load, validate
from bot.engine.model import KnowledgeError
from bot.engine.yamlfile import MAX_DEPTH

Expected = tuple[str, int | None, str]  # file, line, part of the message

BILLION_LAUGHS = "\n".join(
    [
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]"
            for i in range(9)
        ),
    ]
)


# Each case breaks a fresh copy of the bundled knowledge and says which problem it expects.


def yaml_syntax_error(k: Path) -> Expected:
    edit(k, "facts.yaml", "  - id: article-byline\n", "  - id: article-byline: oops\n")
    return "facts.yaml", line_of(k, "facts.yaml", "article-byline: oops"), "needs quotes"


def duplicate_yaml_key(k: Path) -> Expected:
    edit(
        k, "facts.yaml", '    quote: "The parade, set', '    quote: x\n    quote: "The parade, set'
    )
    line = line_of(k, "facts.yaml", "The parade, set")
    return "facts.yaml", line, "key 'quote' appears twice"


def phrasings_a_number(k: Path) -> Expected:
    edit(
        k,
        "faq.yaml",
        r"(id: departure-day\n.*\n    phrasings:)\n(      - .*\n)+",
        r"\1 5\n",
        regex=True,
    )
    line = line_of(k, "faq.yaml", "phrasings: 5")
    return "faq.yaml", line, "entry departure-day: 'phrasings' must be a list, not a number"


def answer_a_list(k: Path) -> Expected:
    edit(k, "faq.yaml", "answer: Kim Jong Un boarded his armored train", "answer: [a]\n    # ")
    line = line_of(k, "faq.yaml", "answer: [a]")
    return "faq.yaml", line, "entry departure-day: 'answer' must be text, not a list"


def missing_required_field(k: Path) -> Expected:
    edit(k, "facts.yaml", "    statement: The parade is set for Wednesday.\n", "")
    line = line_of(k, "facts.yaml", "id: parade-on-wednesday")
    return "facts.yaml", line, "fact parade-on-wednesday: missing required field 'statement'"


def missing_required_entry_field(k: Path) -> Expected:
    edit(k, "faq.yaml", "    question: When did Kim leave for China?\n", "")
    line = line_of(k, "faq.yaml", "id: departure-day")
    return "faq.yaml", line, "entry departure-day: missing required field 'question'"


def unknown_field_with_hint(k: Path) -> Expected:
    edit(k, "facts.yaml", "    statement: The parade is set", "    statment: The parade is set")
    line = line_of(k, "facts.yaml", "statment:")
    message = "fact parade-on-wednesday: unknown field 'statment' (did you mean 'statement'?)"
    return "facts.yaml", line, message


def unknown_top_level_key(k: Path) -> Expected:
    edit(k, "synonyms.yaml", "synonyms:\n", "synonym:\n  - x\nsynonyms:\n")
    return "synonyms.yaml", line_of(k, "synonyms.yaml", "synonym:"), "unknown top-level key"


def unknown_source_id(k: Path) -> Expected:
    edit(
        k,
        "facts.yaml",
        "  - id: parade-on-wednesday\n    source: gli-2025-09-02-kim-train",
        "  - id: parade-on-wednesday\n    source: gli-nowhere",
    )
    line = line_of(k, "facts.yaml", "source: gli-nowhere")
    return "facts.yaml", line, "fact parade-on-wednesday: unknown source 'gli-nowhere'"


def unknown_fact_id(k: Path) -> Expected:
    edit(
        k,
        "faq.yaml",
        "headed-to-beijing-parade, departure-reported",
        "no-such-fact, departure-reported",
    )
    line = line_of(k, "faq.yaml", "no-such-fact")
    return "faq.yaml", line, "entry departure-day: unknown fact 'no-such-fact' in 'facts'"


def unknown_related_id(k: Path) -> Expected:
    edit(
        k,
        "faq.yaml",
        "related: [arrival-time, travel-mode, missile-lab-visit]",
        "related: [nowhere]",
    )
    line = line_of(k, "faq.yaml", "related: [nowhere]")
    return "faq.yaml", line, "entry departure-day: unknown entry 'nowhere' in 'related'"


def duplicate_fact_id(k: Path) -> Expected:
    first = line_of(k, "facts.yaml", "id: kim-boarded-train-monday")
    edit(k, "facts.yaml", "  - id: arrived-early-tuesday", "  - id: kim-boarded-train-monday")
    line = line_of(k, "facts.yaml", "id: kim-boarded-train-monday", nth=2)
    message = f"duplicate id 'kim-boarded-train-monday' (first on line {first})"
    return "facts.yaml", line, message


def duplicate_entry_id(k: Path) -> Expected:
    first = line_of(k, "faq.yaml", "id: departure-day")
    edit(k, "faq.yaml", "  - id: travel-mode", "  - id: departure-day")
    line = line_of(k, "faq.yaml", "id: departure-day", nth=2)
    return "faq.yaml", line, f"duplicate id 'departure-day' (first on line {first})"


def phrasing_in_two_entries(k: Path) -> Expected:
    first = line_of(k, "faq.yaml", "- when did kim leave")
    edit(
        k,
        "faq.yaml",
        "      - how did kim travel\n",
        "      - how did kim travel\n      - When did Kim leave?\n",
    )
    line = line_of(k, "faq.yaml", "- When did Kim leave?")
    message = (
        f"entry travel-mode: phrasing 'When did Kim leave?' is also in entry 'departure-day' "
        f"(line {first})"
    )
    return "faq.yaml", line, message


def quote_not_in_source(k: Path) -> Expected:
    edit(k, "facts.yaml", 'quote: "but at a chill 60 km/h"', 'quote: "but at a chill 80 km/h"')
    line = line_of(k, "facts.yaml", "chill 80 km/h")
    return "facts.yaml", line, "fact train-speed: quote not found word for word in source"


def empty_answer(k: Path) -> Expected:
    edit(
        k,
        "faq.yaml",
        "answer: Kim Jong Un boarded his armored train on Monday",
        'answer: ""\n    # ',
    )
    line = line_of(k, "faq.yaml", 'answer: ""')
    return "faq.yaml", line, "entry departure-day: 'answer' is empty"


def over_long_answer(k: Path) -> Expected:
    long = "x" * (MAX_ANSWER_CHARS + 1)
    edit(
        k,
        "faq.yaml",
        "answer: Kim Jong Un boarded his armored train on Monday",
        f"answer: {long}\n    # ",
    )
    line = line_of(k, "faq.yaml", f"answer: {long}")
    message = f"'answer' is {MAX_ANSWER_CHARS + 1} characters, longer than {MAX_ANSWER_CHARS}"
    return "faq.yaml", line, message


def bad_date(k: Path) -> Expected:
    edit(k, "sources.yaml", 'date: "2025-09-02"', 'date: "02/09/2025"')
    line = line_of(k, "sources.yaml", "date:")
    return "sources.yaml", line, "date '02/09/2025' is not a date as YYYY-MM-DD: use YYYY-MM-DD"


def non_https_url(k: Path) -> Expected:
    edit(k, "sources.yaml", "url: null", "url: http://example.com/story")
    line = line_of(k, "sources.yaml", "url:")
    return "sources.yaml", line, "url must be an https:// link or null"


def non_utf8_bytes(k: Path) -> Expected:
    path = k / "faq.yaml"
    path.write_bytes(
        path.read_bytes().replace(b"kim heads to china when", b"kim heads to ch\xefna")
    )
    line = path.read_bytes().split(b"\n").index(b"      - kim heads to ch\xefna") + 1
    return "faq.yaml", line, "not valid UTF-8 (byte 0xef)"


def anchors_and_aliases(k: Path) -> Expected:
    (k / "synonyms.yaml").write_text(BILLION_LAUGHS, encoding="utf-8")
    return "synonyms.yaml", 1, "anchors and aliases (&, *) are not allowed"


def nesting_too_deep(k: Path) -> Expected:
    depth = MAX_DEPTH + 5
    (k / "synonyms.yaml").write_text("synonyms: " + "[" * depth + "]" * depth, encoding="utf-8")
    return "synonyms.yaml", 1, f"nesting deeper than {MAX_DEPTH} levels"


def missing_file(k: Path) -> Expected:
    (k / "facts.yaml").unlink()
    return "facts.yaml", None, "required file is missing"


def missing_synonyms(k: Path) -> Expected:
    # Without it every guard would silently stop guarding ("who built the train" answered).
    (k / "synonyms.yaml").unlink()
    return "synonyms.yaml", None, "required file is missing"


def unclosed_bracket(k: Path) -> Expected:
    edit(
        k, "facts.yaml", "statement: The article was written", "statement: [The article was written"
    )
    line = line_of(k, "facts.yaml", "statement: [The article")
    return "facts.yaml", line, "[ opened here is not closed (line"


def unclosed_quote(k: Path) -> Expected:
    edit(
        k, "facts.yaml", "statement: The article was written", 'statement: "The article was written'
    )
    line = line_of(k, "facts.yaml", 'statement: "The article')
    return "facts.yaml", line, "the quoted text starting here runs on to line"


def unclosed_quote_at_the_end(k: Path) -> Expected:
    with (k / "synonyms.yaml").open("a", encoding="utf-8") as file:
        file.write('  - canonical: "oops\n    aliases: [x]\n')
    line = line_of(k, "synonyms.yaml", '"oops')
    return "synonyms.yaml", line, '" opened here is not closed'


def duplicate_source_id(k: Path) -> Expected:
    text = (k / "sources.yaml").read_text(encoding="utf-8")
    second = text.split("sources:\n", 1)[1].replace("gli-2025-09-02-kim-train", "second", 1)
    (k / "sources.yaml").write_text(
        text + second.replace("id: second", "id: gli-2025-09-02-kim-train")
    )
    line = line_of(k, "sources.yaml", "id: gli-2025-09-02-kim-train", nth=2)
    return "sources.yaml", line, "duplicate id 'gli-2025-09-02-kim-train'"


def missing_source_text(k: Path) -> Expected:
    (k / SOURCE_FILE).unlink()
    return "sources.yaml", line_of(k, "sources.yaml", "file:"), f"cannot read {SOURCE_FILE!r}"


def empty_file(k: Path) -> Expected:
    (k / "facts.yaml").write_text("", encoding="utf-8")
    return "facts.yaml", None, "file is empty: expected a top-level 'facts:' list"


def item_not_a_mapping(k: Path) -> Expected:
    edit(k, "facts.yaml", "facts:\n", "facts:\n  - just text\n")
    line = line_of(k, "facts.yaml", "- just text")
    return "facts.yaml", line, "each item of 'facts' must be a mapping, not text"


CASES: list[Callable[[Path], Expected]] = [
    yaml_syntax_error,
    duplicate_yaml_key,
    phrasings_a_number,
    answer_a_list,
    missing_required_field,
    missing_required_entry_field,
    unknown_field_with_hint,
    unknown_top_level_key,
    unknown_source_id,
    unknown_fact_id,
    unknown_related_id,
    duplicate_fact_id,
    duplicate_entry_id,
    phrasing_in_two_entries,
    quote_not_in_source,
    empty_answer,
    over_long_answer,
    bad_date,
    non_https_url,
    non_utf8_bytes,
    anchors_and_aliases,
    nesting_too_deep,
    missing_file,
    missing_synonyms,
    unclosed_bracket,
    unclosed_quote,
    unclosed_quote_at_the_end,
    missing_source_text,
    empty_file,
    item_not_a_mapping,
]


def phrasing_uses_a_guard(k: Path) -> Expected:
    edit(k, "faq.yaml", "      - who published this piece\n", "      - what wine brand is it\n")
    line = line_of(k, "synonyms.yaml", "canonical: winedetail") + 1  # its "guard: true"
    return "synonyms.yaml", line, "guard winedetail: phrasing 'what wine brand is it'"


def guard_not_a_boolean(k: Path) -> Expected:
    edit(
        k,
        "synonyms.yaml",
        "canonical: winedetail\n    guard: true",
        "canonical: winedetail\n    guard: maybe",
    )
    line = line_of(k, "synonyms.yaml", "guard: maybe")
    return "synonyms.yaml", line, "synonym group winedetail: 'guard' must be true or false"


def alias_with_filler_adverb(k: Path) -> Expected:
    edit(k, "synonyms.yaml", "aliases: [where is the lab,", "aliases: [where exactly is the lab,")
    line = line_of(k, "synonyms.yaml", "where exactly is the lab")
    return "synonyms.yaml", line, "alias 'where exactly is the lab' contains 'exactly'"


def alias_read_as_a_question_word(k: Path) -> Expected:
    # "weigh" is "how heavy": every size question would read as the group's word
    old = "canonical: winedetail\n    guard: true\n    aliases: ["
    edit(k, "synonyms.yaml", old, old + "weigh, ")
    line = line_of(k, "synonyms.yaml", "aliases: [weigh, ")
    return "synonyms.yaml", line, "alias 'weigh' reads as a question word (@size)"


def guard_named_by_a_question_word(k: Path) -> Expected:
    edit(k, "synonyms.yaml", "canonical: winedetail\n", "canonical: weight\n")
    line = line_of(k, "synonyms.yaml", "canonical: weight")
    return "synonyms.yaml", line, "synonym group weight: 'weight' reads as a question word"


def why_phrasing_without_a_reason(k: Path) -> Expected:
    # "No — Kim travelled by train" does not say why he did not fly.
    edit(k, "faq.yaml", "      - did kim take a plane\n", "      - why didn't kim fly\n")
    line = line_of(k, "faq.yaml", "why didn't kim fly")
    return "faq.yaml", line, 'entry did-kim-fly: phrasing "why didn\'t kim fly" asks why'


def gives_reason_not_a_boolean(k: Path) -> Expected:
    edit(k, "faq.yaml", "    gives_reason: true\n", "    gives_reason: sometimes\n")
    line = line_of(k, "faq.yaml", "gives_reason: sometimes")
    return "faq.yaml", line, "'gives_reason' must be true or false"


CASES += [
    phrasing_uses_a_guard,
    guard_not_a_boolean,
    alias_with_filler_adverb,
    alias_read_as_a_question_word,
    guard_named_by_a_question_word,
    why_phrasing_without_a_reason,
    gives_reason_not_a_boolean,
]


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    return copy_knowledge(tmp_path)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_problem_reported_with_file_and_line(knowledge: Path, case: Callable[[Path], Expected]):
    file, line, text = case(knowledge)
    snapshot, problems = validate(knowledge)
    assert snapshot is None
    problem(problems, file, line, text)
    with pytest.raises(KnowledgeError) as raised:
        load(knowledge)
    assert raised.value.problems == problems
    assert all(str(p) in str(raised.value) for p in problems)


@pytest.mark.parametrize(
    "date", ["2025-9-2", "2025-13-01", "2025-09-32", "yesterday", "2 September 2025"]
)
def test_bad_dates(knowledge: Path, date: str):
    edit(knowledge, "sources.yaml", 'date: "2025-09-02"', f'date: "{date}"')
    _, problems = validate(knowledge)
    line = line_of(knowledge, "sources.yaml", "date:")
    # One problem that says how to write it: the facts and entries of the source are not
    # reported again.
    assert [(p.file, p.line) for p in problems] == [("sources.yaml", line)]
    problem(problems, "sources.yaml", line, f"date {date!r} is not a date as YYYY-MM-DD: use")


def test_a_bad_id_names_the_rule_and_its_references_wait(knowledge: Path):
    edit(knowledge, "faq.yaml", "- id: train-speed\n", "- id: Train Speed\n")
    _, problems = validate(knowledge)
    assert len(problems) == 1, problems
    problem(
        problems,
        "faq.yaml",
        line_of(knowledge, "faq.yaml", "- id: Train Speed"),
        "breaks the rule for ids: lowercase letters, digits, '-' and '_' only, starting with a "
        "letter or digit (for example 'train-speed')",
    )


def test_a_schema_header_without_its_schema_is_explained(knowledge: Path):
    shutil.rmtree(knowledge / "schema")
    notes = curation_notes(load(knowledge))
    assert any(
        "sources.yaml, facts.yaml, faq.yaml, synonyms.yaml: the first line names the schema "
        "'schema/knowledge.schema.json', which this folder does not have" in note
        for note in notes
    ), notes


def test_a_source_in_a_language_without_an_analyser_loads(tmp_path: Path):
    """The story's index reads English rules whatever its sources' language: a French source
    loads (its synonyms are checked as the index reads them) rather than failing on a missing
    French analyser."""
    story = tmp_path / "story"
    shutil.copytree(Path(__file__).parent / "data/stories/voa-mekong-giant-salmon-carp", story)
    edit(story, "sources.yaml", "    language: en\n", "    language: fr\n")
    snapshot, problems = validate(story)
    assert problems == [] and snapshot is not None


def test_bundled_knowledge_is_clean():
    snapshot, problems = validate(BUNDLED)
    assert problems == []
    assert snapshot is not None and snapshot.entries


def test_quote_differing_in_quote_marks_and_whitespace_loads_as_source_text(knowledge: Path):
    edit(
        knowledge,
        "facts.yaml",
        'quote: "North Korea’s Kim Jong Un boarded his fancy armored train on Monday"',
        'quote: "North  Korea\'s Kim\\n   Jong Un boarded his fancy armored train on Monday"',
    )
    snapshot = load(knowledge)
    quote = snapshot.facts["kim-boarded-train-monday"].quote
    assert quote == "North Korea’s Kim Jong Un boarded his fancy armored train on Monday"
    assert quote in (knowledge / SOURCE_FILE).read_text(encoding="utf-8")


def test_billion_laughs_and_very_deep_nesting_are_refused_quickly(knowledge: Path):
    for text in (BILLION_LAUGHS, "synonyms: " + "[" * 100_000 + "]" * 100_000):
        (knowledge / "synonyms.yaml").write_text(text, encoding="utf-8")
        started = time.perf_counter()
        snapshot, problems = validate(knowledge)
        assert time.perf_counter() - started < 1.0
        assert snapshot is None
        assert {p.file for p in problems} == {"synonyms.yaml"}


@pytest.mark.parametrize("case", [yaml_syntax_error, anchors_and_aliases, non_utf8_bytes])
def test_unreadable_file_is_one_problem(knowledge: Path, case: Callable[[Path], Expected]):
    file, _, _ = case(knowledge)
    _, problems = validate(knowledge)
    assert [p for p in problems if p.file == file and "file is empty" in p.message] == []


def test_validate_returns_every_problem_at_once(knowledge: Path):
    expected = [
        non_https_url(knowledge),
        quote_not_in_source(knowledge),
        empty_answer(knowledge),  # adds a line: broken before the related ids below it
        unknown_related_id(knowledge),
    ]
    # Two of them are in the same entry: the first does not hide the second.
    _, problems = validate(knowledge)
    for file, line, text in expected:
        problem(problems, file, line, text)
    assert len({p.file for p in problems}) == 3


def test_snapshot_is_immutable(knowledge: Path):
    snapshot = load(knowledge)
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.version = "x"  # type: ignore[misc]
    for mapping in (snapshot.sources, snapshot.facts, snapshot.entries):
        assert isinstance(mapping, MappingProxyType)
        with pytest.raises(TypeError):
            mapping["x"] = None  # type: ignore[index]
    entry = next(iter(snapshot.entries.values()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.answer = "x"  # type: ignore[misc]
    assert isinstance(entry.phrasings, tuple)


def test_version_is_a_content_hash(tmp_path: Path):
    first, second = copy_knowledge(tmp_path / "a"), copy_knowledge(tmp_path / "b")
    assert load(first).version == load(second).version
    edit(second, "faq.yaml", "answer: Kim Jong Un boarded", "answer: Kim Jong-un boarded")
    assert load(second).version != load(first).version
    third = copy_knowledge(tmp_path / "c")
    with (third / SOURCE_FILE).open("a", encoding="utf-8") as text:
        text.write("\n")
    assert load(third).version != load(first).version


def test_coverage_gaps_finds_a_new_source_sentence(knowledge: Path):
    assert coverage_gaps(load(knowledge)) == []
    sentence = "The train also carried a small orchestra for the evenings."
    with (knowledge / SOURCE_FILE).open("a", encoding="utf-8") as text:
        text.write(f"\n{sentence}\n")
    gaps = coverage_gaps(load(knowledge))
    assert [(source.id, text) for source, text in gaps] == [("gli-2025-09-02-kim-train", sentence)]


def test_a_quote_running_across_sentences_covers_both(tmp_path: Path):
    """A quote that leaves out the start of one sentence ("He said that") and runs into the
    next covers both, as a quote inside one sentence does."""
    story = tmp_path / "fences"
    shutil.copytree(Path(__file__).parent / "data/stories/voa-virtual-fences-cows", story)
    edit(story, "facts.yaml", 'quote: "He said that by changing', 'quote: "by changing')
    assert coverage_gaps(load(story)) == []
    edit(
        story, "facts.yaml", 'quote: "by changing fence boundaries, the systems prevent', 'quote: "'
    )
    edit(story, "facts.yaml", "regenerate, or grow again.", "regenerate")
    gaps = [text for _, text in coverage_gaps(load(story))]
    assert len(gaps) == 1 and gaps[0].startswith("He said that by changing fence boundaries")


def test_missing_directory(tmp_path: Path):
    snapshot, problems = validate(tmp_path / "nowhere")
    assert snapshot is None
    assert [p.message for p in problems] == ["knowledge directory not found"]


def test_an_item_repeated_within_one_list_is_reported_on_its_own_line(knowledge: Path):
    edit(knowledge, "faq.yaml", "      - how fast\n", "      - how fast\n      - how fast\n")
    edit(knowledge, "synonyms.yaml", "aliases: [locomotive,", "aliases: [locomotive, locomotive,")
    _, problems = validate(knowledge)
    problem(problems, "faq.yaml", line_of(knowledge, "faq.yaml", "- how fast", 2), "appears twice")
    line = line_of(knowledge, "synonyms.yaml", "locomotive, locomotive")
    problem(problems, "synonyms.yaml", line, "appears twice")


@pytest.mark.parametrize("name", ["sources.yaml", "facts.yaml"])
def test_an_unreadable_file_is_the_only_problem_reported(knowledge: Path, name: str):
    (knowledge / name).write_text(f"{name.split('.')[0]}: [\n", encoding="utf-8")
    _, problems = validate(knowledge)
    assert [p.file for p in problems] == [name]


@pytest.mark.parametrize(
    "case",
    [
        missing_source_text,  # not also "unknown source" for each of its 39 facts
        duplicate_entry_id,  # not also "unknown entry 'travel-mode'" where others relate to it
        duplicate_fact_id,  # not also "unknown fact 'arrived-early-tuesday'" in three entries
        duplicate_source_id,
        missing_synonyms,
        unclosed_bracket,
        unclosed_quote,
    ],
    ids=lambda case: case.__name__,
)
def test_one_cause_is_one_problem_at_its_line(knowledge: Path, case: Callable[[Path], Expected]):
    file, line, text = case(knowledge)
    _, problems = validate(knowledge)
    assert problems == [problem(problems, file, line, text)]
