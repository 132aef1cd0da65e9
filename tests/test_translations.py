"""Curated translations (knowledge/i18n/): loading, problems by file and line, coverage
notes (missing, thin, stale), stamps, the schema, and the CLI's per-language reports."""

import json

import pytest
import yaml
from helpers_knowledge import BUNDLED, copy_knowledge, edit, line_of

from bot.cli import main
from bot.engine.answering import answer_question
from bot.engine.evaluation import evaluate, load_cases
from bot.engine.loader import load
from bot.engine.translations import I18N_DIR, coverage, stamp, write_stamps

LANGUAGES = ("ru", "zh", "ko")
SPEED_ANSWER = "answer: Kim's train runs at a leisurely 60 km/h"


@pytest.fixture(scope="module")
def snapshot():
    return load(BUNDLED)


def test_bundled_translations_are_complete_clean_and_fresh(snapshot):
    assert snapshot.translation_problems == ()
    report = {c.language: c for c in coverage(snapshot)}
    assert sorted(report) == sorted(LANGUAGES)
    for language in report.values():
        assert language.translated == len(snapshot.entries)
        assert language.notes == ()


def test_each_language_has_its_own_index_over_the_same_facts(snapshot):
    for code in LANGUAGES:
        view = snapshot.in_language(code)
        assert view.language == code and code == view.index.language.CODE
        assert view.facts is snapshot.facts and view.sources is snapshot.sources
        assert view.entries.keys() == snapshot.entries.keys()
        for entry_id, entry in view.entries.items():
            english = snapshot.entries[entry_id]
            assert entry.fact_ids == english.fact_ids and entry.answer != english.answer


def test_a_broken_translation_file_never_stops_the_english(tmp_path):
    directory = copy_knowledge(tmp_path)
    (directory / I18N_DIR / "zh.yaml").write_text("language: zh\nentries: [\n", encoding="utf-8")
    snapshot = load(directory)
    assert snapshot.in_language("zh") is None and snapshot.in_language("ru") is not None
    assert any(p.file == "i18n/zh.yaml" and p.line for p in snapshot.translation_problems)
    assert answer_question(snapshot, "How fast is the train?").answered
    assert answer_question(snapshot, "Когда начнётся парад?").answered


def test_problems_name_the_file_and_line(tmp_path):
    directory = copy_knowledge(tmp_path)
    name = f"{I18N_DIR}/ru.yaml"
    edit(directory, name, "  - id: travel-mode", "  - id: no-such-entry")
    edit(directory, name, "language: ru", "language: ru\ncolour: red")
    snapshot = load(directory)
    found = {(p.file, p.line, p.message) for p in snapshot.translation_problems}
    assert (
        name,
        line_of(directory, name, "no-such-entry"),
        "entry no-such-entry: no entry 'no-such-entry' in faq.yaml",
    ) in found
    assert (name, line_of(directory, name, "colour:"), "unknown top-level key 'colour'") in found
    # the rest of the file still answers
    assert "departure-day" in snapshot.in_language("ru").entries
    assert "travel-mode" not in snapshot.in_language("ru").entries


def test_a_file_for_a_language_without_an_analyser_is_refused(tmp_path):
    directory = copy_knowledge(tmp_path)
    text = (directory / I18N_DIR / "ru.yaml").read_text(encoding="utf-8")
    (directory / I18N_DIR / "xx.yaml").write_text(
        text.replace("language: ru", "language: xx"), encoding="utf-8"
    )
    snapshot = load(directory)
    assert any("no analyser for language 'xx'" in p.message for p in snapshot.translation_problems)


def test_coverage_reports_missing_thin_stale_and_lost_numbers(tmp_path):
    directory = copy_knowledge(tmp_path)
    name = f"{I18N_DIR}/ko.yaml"
    data = yaml.safe_load((directory / name).read_text(encoding="utf-8"))
    # the English answer of one entry changes: its translations are stale
    edit(directory, "faq.yaml", SPEED_ANSWER, SPEED_ANSWER.replace("60", "50"))
    # a Korean entry goes, another keeps three phrasings
    first, second = data["entries"][0]["id"], data["entries"][1]["id"]
    data["entries"] = data["entries"][1:]
    data["entries"][0]["phrasings"] = data["entries"][0]["phrasings"][:3]
    (directory / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    snapshot = load(directory)
    notes = {c.language: "\n".join(c.notes) for c in coverage(snapshot)}
    assert f"entry {first} is not translated" in notes["ko"]
    assert f"entry {second}: 3 phrasings; aim for 8" in notes["ko"]
    for code in LANGUAGES:
        assert "entry train-speed: stale" in notes[code]
        assert "lacks the English answer's ['50']" in notes[code]


def test_stamps_are_written_line_by_line_and_clear_stale_notes(tmp_path):
    directory = copy_knowledge(tmp_path)
    edit(directory, "faq.yaml", SPEED_ANSWER, SPEED_ANSWER.replace("60", "50"))
    snapshot = load(directory)
    path = directory / I18N_DIR / "ru.yaml"
    before = path.read_text(encoding="utf-8")
    assert write_stamps(directory, snapshot.entries, "ru") == []  # all stamped already
    assert write_stamps(directory, snapshot.entries, "ru", ["train-speed"]) == ["train-speed"]
    after = path.read_text(encoding="utf-8")
    # only that line changed; comments and layout stay
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    value = stamp(snapshot.entries["train-speed"])
    assert changed == [(changed[0][0], f'    translated_from: "{value}"')]
    notes = {c.language: "\n".join(c.notes) for c in coverage(load(directory))}
    assert "train-speed: stale" not in notes["ru"] and "train-speed: stale" in notes["zh"]


def test_stamps_are_added_where_missing(tmp_path):
    directory = copy_knowledge(tmp_path)
    path = directory / I18N_DIR / "zh.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if "translated_from:" not in line]
    path.write_text("".join(kept), encoding="utf-8")
    snapshot = load(directory)
    assert any("no 'translated_from'" in n for c in coverage(snapshot) for n in c.notes)
    assert len(write_stamps(directory, snapshot.entries, "zh")) == len(snapshot.entries)
    assert path.read_text(encoding="utf-8").splitlines(keepends=True) == lines


def test_the_translation_files_follow_their_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((BUNDLED / "schema/translation.schema.json").read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema).check_schema(schema)
    validator = jsonschema.validators.validator_for(schema)(schema)
    for code in LANGUAGES:
        data = yaml.safe_load((BUNDLED / I18N_DIR / f"{code}.yaml").read_text(encoding="utf-8"))
        assert [e.message for e in validator.iter_errors(data)] == []
    assert list(validator.iter_errors({"language": "ru", "entries": [{"id": "x"}]}))


def test_check_reports_each_language_and_fails_on_broken_translations(tmp_path, capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    for code in LANGUAGES:
        assert f"{code}: 44/44 entries translated" in out
    directory = copy_knowledge(tmp_path)
    edit(directory, f"{I18N_DIR}/ko.yaml", "  - id: travel-mode", "  - id: nowhere")
    assert main(["check", "--knowledge", str(directory)]) == 1
    out = capsys.readouterr().out
    assert f"i18n/ko.yaml:{line_of(directory, 'i18n/ko.yaml', 'nowhere')}: entry nowhere" in out
    assert "ko: 43/44 entries translated" in out


def test_stamp_command_stamps_one_entry(tmp_path, capsys):
    directory = copy_knowledge(tmp_path)
    edit(directory, "faq.yaml", SPEED_ANSWER, SPEED_ANSWER.replace("60", "50"))
    args = ["translations", "stamp", "ru", "--entry", "train-speed", "--knowledge", str(directory)]
    assert main(args) == 0
    assert capsys.readouterr().out == "ru: stamped 1 entry\n"


def test_ask_detects_or_forces_the_language(capsys):
    assert main(["ask", "--json", "阅兵式是哪天？", "When is the parade?"]) == 0
    replies = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["entry"], r["language"]) for r in replies] == [
        ("parade-date", "zh"),
        ("parade-date", "en"),
    ]
    assert main(["ask", "--lang", "ru", "Когда парад?"]) == 0
    out = capsys.readouterr().out
    assert "среду" in out and 'Original: "The parade, set for Wednesday"' in out


def test_eval_judges_the_language_and_reports_each(tmp_path, capsys):
    path = tmp_path / "questions.yaml"
    path.write_text(
        "- {q: 'Когда начнётся парад?', lang: ru, all: [[среду]]}\n"
        "- {q: 'When is the parade?', lang: ru, all: [[wednesday]]}\n"
        "- {q: '오늘 서울 날씨 어때?', expect: abstain, kind: unrelated, lang: ko}\n",
        encoding="utf-8",
    )
    report = evaluate(load(BUNDLED), load_cases(path))
    # an English answer to a question marked Russian is not in the asker's language
    assert [ok for _, _, ok in report.results] == [True, False, True]
    assert report.rate("ru:answerable") == (1, 2) and report.rate("ko:abstain") == (1, 1)
    assert main(["eval", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ru:answerable:   1/2" in out and "ko:abstain:   1/1" in out
