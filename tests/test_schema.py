"""knowledge/schema/knowledge.schema.json: a valid JSON Schema the bundled knowledge follows."""

from __future__ import annotations

import json

import pytest
import yaml
from helpers_knowledge import BUNDLED

from bot.engine.loader import KNOWLEDGE_FILES, MAX_ANSWER_CHARS

jsonschema = pytest.importorskip(
    "jsonschema", reason="jsonschema is not installed (add it to the test extra to run these)"
)

SCHEMA = json.loads((BUNDLED / "schema/knowledge.schema.json").read_text(encoding="utf-8"))


def validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(SCHEMA)
    return cls(SCHEMA, format_checker=cls.FORMAT_CHECKER)


def test_schema_is_valid_json_schema():
    jsonschema.validators.validator_for(SCHEMA).check_schema(SCHEMA)


@pytest.mark.parametrize("name", KNOWLEDGE_FILES)
def test_bundled_file_follows_the_schema(name: str):
    data = yaml.safe_load((BUNDLED / name).read_text(encoding="utf-8"))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator().iter_errors(data)]
    assert errors == []


def test_schema_rejects_broken_knowledge():
    broken = {
        "facts": [{"id": "Bad Id", "source": "s", "statement": "x"}],
        "entries": [{"id": "e", "question": "q", "phrasings": [], "answer": "", "facts": []}],
        "extra": [],
    }
    paths = {tuple(e.absolute_path) for e in validator().iter_errors(broken)}
    assert {(), ("facts", 0), ("facts", 0, "id"), ("entries", 0, "answer")} <= paths


def test_schema_answer_limit_matches_the_loader():
    assert SCHEMA["$defs"]["entry"]["properties"]["answer"]["maxLength"] == MAX_ANSWER_CHARS


@pytest.mark.parametrize("story", ["voa-vintage-clothing", "nasa-mars-sample-return"])
@pytest.mark.parametrize("name", KNOWLEDGE_FILES)
def test_test_stories_follow_the_schema(story: str, name: str):
    folder = BUNDLED.parent / "tests" / "data" / "stories" / story
    data = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
    assert [e.message for e in validator().iter_errors(data)] == []


def test_to_do_entries_follow_the_schema_and_written_ones_need_an_answer():
    todo = {"entries": [{"id": "story-summary", "todo": True, "question": "?", "facts": ["a"]}]}
    assert list(validator().iter_errors(todo)) == []
    written = {"entries": [{"id": "story-summary", "question": "?", "facts": ["a"]}]}
    assert any(
        "'phrasings' is a required property" in e.message for e in validator().iter_errors(written)
    )
