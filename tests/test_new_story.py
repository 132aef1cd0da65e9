"""A new story: `storybot new` scaffolds its knowledge; the curator loop; the test stories.

The two test stories (tests/data/stories/) are real, freely licensed articles of other fields
whose knowledge was curated from the article alone by following knowledge/README.md; their
blind sets were written by another helper who read only the article, and measured once before
any engine change (notes/newstory.md). The floors keep what general mechanisms reached.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.engine import languages
from bot.engine.answering import answer_question
from bot.engine.evaluation import (
    evaluate,
    evaluate_conversations,
    load_cases,
    load_conversations,
)
from bot.engine.followup import next_turn
from bot.engine.loader import load, validate
from bot.engine.model import Outcome
from bot.engine.text import analyse, asked_for

STORIES = Path(__file__).parent / "data" / "stories"
ARTICLE = STORIES / "nasa-mars-sample-return" / "sources" / "n-2024-04-15-nasa-sets-path.txt"
NEW = [
    "--source",
    str(ARTICLE),
    "--title",
    "NASA Sets Path to Return Mars Samples, Seeks Innovative Designs",
    "--publisher",
    "NASA",
    "--date",
    "2024-04-15",
]
# Rates reached by general mechanisms only (the stories' knowledge never changed for them):
# vintage 34/40 answered, 9/10 near misses (26/40 and 9/10 before tuning); NASA 27/40 and 9/10
# (17/40 and 8/10 before). The astronaut trainer and COVID-19 stories were curated and measured
# once with the general lexicon in (15/40 and 8/10; 22/40 and 7/10) and are not tuned on.
# Unrelated questions: 10/10 each, before and after. Everyday words read as the reader's own
# wording beside the knowledge's (matcher.PARAPHRASE_SHARE) then gave trainer 18/40, NASA
# 29/40, COVID-19 28/40, vintage unchanged, no near miss or unrelated question lost.
# Tenth session: yes/no questions credit the answer's words, and a question in one entry's
# own words is answered below the band in thin knowledge (see notes/newstory.md): the floors
# below were raised to the figures then.
FLOORS = {
    "voa-vintage-clothing": {"answerable": 0.85, "unrelated": 1.0, "nearmiss": 0.9},
    "nasa-mars-sample-return": {"answerable": 0.75, "unrelated": 1.0, "nearmiss": 0.9},
    # Irregular past forms read as their verb (eighth session: +8 answered across the sets)
    # took one near miss: "Which Army unit did he work with?" now clears the margin (0.60).
    "nasa-astronaut-fitness-trainer": {"answerable": 0.52, "unrelated": 1.0, "nearmiss": 0.7},
    # A count, a share or a price needs that kind of number (ninth session): COVID-19 and the
    # farming story +2 near misses each, microcredentials +1.
    "voa-covid-year-2021": {"answerable": 0.75, "unrelated": 1.0, "nearmiss": 0.9},
    # A fifth story (arts), curated and blind-written in the sixth session, first measured on
    # that session's starting engine: 17/40, 10/10, 9/10.
    "voa-english-play": {"answerable": 0.6, "unrelated": 1.0, "nearmiss": 0.9},
    # A sixth (technology), the same way: 20/40, 10/10, 7/10 on the starting engine (which
    # could not load it as curated: "on the ground" read as "on what grounds", a why).
    "voa-supersonic-jet": {"answerable": 0.62, "unrelated": 1.0, "nearmiss": 0.7},
    # A seventh (pet care) and an eighth (education), curated and blind-set the same way and
    # measured once at the end of the session: 29/40 and 28/40 (23/40 and 26/40 on the
    # session's starting engine).
    "voa-betta-fish": {"answerable": 0.72, "unrelated": 1.0, "nearmiss": 0.8},
    "voa-microcredentials": {"answerable": 0.72, "unrelated": 1.0, "nearmiss": 1.0},
    # A ninth (sport), curated by a first-time helper from the article alone and blind-set by
    # another in the seventh session, measured once before any engine change: 24/40, 10/10,
    # 7/10. Names-only subjects ("which teams played in 1903?" is not the teams entry's) then
    # gave 29/40, 10/10, 6/10.
    "voa-world-series": {"answerable": 0.82, "unrelated": 1.0, "nearmiss": 0.7},
    # A tenth (farming technology), curated by a first-time helper from knowledge/README.md
    # and blind-set by another in the eighth session, measured once: 18/40, 10/10, 8/10 (the
    # same on that session's starting engine). "Who carried out the study?" (a verb that only
    # says someone did it) and "who wrote this?" with nothing before it then gave 20/40; lexicon
    # groups for wiping out, funding and pasture 22/40.
    "voa-virtual-fences-cows": {"answerable": 0.57, "unrelated": 1.0, "nearmiss": 1.0},
    # An eleventh (rivers and wildlife; VOA Learning English, 2024-10-31, public domain, the
    # text from a public GitHub copy), curated by a first-time helper from knowledge/README.md
    # and blind-set by another in the ninth session, measured once: 20/40, 9/10, 8/10 (the
    # same on that session's starting engine). "How much / how many" asking for the noun after
    # them and no two-slip typo correction into a function word ("gorges" read as "goes"):
    # 10/10 unrelated, 9/10 near misses.
    "voa-mekong-giant-salmon-carp": {"answerable": 0.57, "unrelated": 1.0, "nearmiss": 0.9},
    # A twelfth (technology year in review; VOA Learning English, 2024-12-20, public domain,
    # the text from a public GitHub copy), curated by a first-time helper from
    # knowledge/README.md and blind-set by another in the tenth session (5 unrelated and 5
    # near misses), measured once: 23/40, 5/5, 4/5 (the same on that session's starting
    # engine).
    "voa-top-tech-stories-2024": {"answerable": 0.57, "unrelated": 1.0, "nearmiss": 0.8},
    # A thirteenth (education and work: a cooking school for people leaving prison; VOA
    # Learning English, 2024-02-20, public domain, the text from a public GitHub copy),
    # curated by a first-time helper from knowledge/README.md in about 30 minutes and
    # blind-set by another in the twelfth session, measured once: 21/40, 10/10, 8/10 (the same
    # on that session's starting engine).
    "voa-cooking-school-hope": {"answerable": 0.52, "unrelated": 1.0, "nearmiss": 0.8},
}
# Second blind sets of four stories (seventh session: other helpers, the article alone),
# measured once before that session's engine changes: trainer 26/40 answered, 8/10 near
# misses; supersonic jet 26/40, 9/10; play 34/40, 8/10; COVID-19 22/40, 9/10; 10/10 unrelated
# each.
SECOND_FLOORS = {
    "nasa-astronaut-fitness-trainer": {"answerable": 0.65, "unrelated": 1.0, "nearmiss": 0.8},
    "voa-english-play": {"answerable": 0.87, "unrelated": 1.0, "nearmiss": 0.8},
    "voa-covid-year-2021": {"answerable": 0.7, "unrelated": 1.0, "nearmiss": 0.9},
    "voa-supersonic-jet": {"answerable": 0.7, "unrelated": 1.0, "nearmiss": 0.9},
    # The farming story's second set, written at the end of the eighth session and measured
    # once on its final engine: 27/40, 10/10, 8/10 (23/40 on the session's starting engine).
    "voa-virtual-fences-cows": {"answerable": 0.67, "unrelated": 1.0, "nearmiss": 0.8},
    # The Mekong story's second set, written late in the ninth session and measured once:
    # 19/40, 10/10, 9/10 (18/40, 10/10, 9/10 on the session's starting engine); a quoted
    # speaker asked by description ("the Nevada biologist") then gave 20/40.
    "voa-mekong-giant-salmon-carp": {"answerable": 0.5, "unrelated": 1.0, "nearmiss": 0.9},
    # The technology story's second set (10 unrelated, 10 near misses), written in the middle
    # of the tenth session and measured once: 22/40, 10/10, 8/10 (the same on the session's
    # starting engine).
    "voa-top-tech-stories-2024": {"answerable": 0.55, "unrelated": 1.0, "nearmiss": 0.8},
}
# Conversations about stories other than the bundled one (`<story>_conversations.yaml`),
# written by helpers from the article alone in the eleventh session and measured once: World
# Series open 16/20, follow-ups 13/30, switches 5/8, near misses 5/10 (the same on the
# session's starting engine); virtual fences 11/20, 16/30, 5/8, 9/10 (14/30 follow-ups on the
# starting engine). Follow-ups lean on thin knowledge answering the opener first.
# The cooking-school story's (twelfth session): 15/20, 23/30, 6/8, 5/10, the same on that
# session's starting engine.
CONVERSATION_FLOORS = {
    "voa-world-series": {"open": 0.8, "follow": 0.53, "switch": 0.62, "nearmiss": 0.5},
    "voa-virtual-fences-cows": {"open": 0.55, "follow": 0.56, "switch": 0.62, "nearmiss": 0.9},
    "voa-cooking-school-hope": {"open": 0.75, "follow": 0.8, "switch": 0.75, "nearmiss": 0.6},
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("STORYBOT_"):
            monkeypatch.delenv(name)


def test_new_scaffolds_a_folder_check_accepts_with_its_to_dos(tmp_path: Path, capsys):
    folder = tmp_path / "mars"
    assert main(["new", str(folder), *NEW]) == 0
    assert "entries to write" in capsys.readouterr().out
    assert (folder / "schema" / "knowledge.schema.json").is_file()
    source = next((folder / "sources").iterdir())
    assert source.read_bytes() == ARTICLE.read_bytes()  # verbatim
    facts = yaml.safe_load((folder / "facts.yaml").read_text(encoding="utf-8"))["facts"]
    assert len(facts) == 20  # one per sentence, headline and link line included
    assert facts[0]["statement"] == facts[0]["quote"]  # the headline: no dateline here
    assert main(["check", "--knowledge", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "to do: entry story-summary ('What is the story about?')" in out
    assert "0 entries (9 to do)" in out  # the lead paragraph is the summary's draft
    # Stubs answer nobody.
    snapshot = load(folder)
    assert not snapshot.entries and len(snapshot.todo) == 9
    assert not answer_question(snapshot, "What is the story about?").answered


def test_new_drafts_an_article_saved_without_its_headline(tmp_path: Path):
    """A text that starts with its body: the lead is the summary's draft (not drafted twice),
    and the credit line ("The Associated Press reported this story...") says who published
    it when no dateline does."""
    article = next((STORIES / "voa-mekong-giant-salmon-carp" / "sources").iterdir())
    folder = tmp_path / "mekong"
    argv = ["new", str(folder), "--source", str(article), "--title", "Giant salmon carp"]
    assert main([*argv, "--publisher", "VOA Learning English", "--date", "2024-10-31"]) == 0
    snapshot = load(folder)
    drafts = {todo.id: todo.fact_ids for todo in snapshot.todo}
    lead = snapshot.facts[drafts["story-summary"][0]].quote
    assert lead.startswith("Researchers say a large fish")
    assert all(
        ids != drafts["story-summary"] for name, ids in drafts.items() if name != "story-summary"
    )
    credit = [snapshot.facts[fact_id].quote for fact_id in drafts["story-source"]]
    assert credit == [
        "The Associated Press reported this story.",
        "Bryan Lynn adapted the report for VOA Learning English.",
    ]


def test_new_sets_headings_and_sign_offs_aside(tmp_path: Path, capsys):
    """Section headings and "I'm Andrew Smith." tell no fact: no drafted fact or entry for
    them; sources.yaml lists them as uncovered_ok, so check does not ask for them either."""
    article = next((STORIES / "voa-virtual-fences-cows" / "sources").iterdir())
    folder = tmp_path / "fences"
    argv = ["new", str(folder), "--source", str(article), "--title", "Virtual Fences"]
    assert main([*argv, "--publisher", "VOA Learning English", "--date", "2024-03-22"]) == 0
    facts = yaml.safe_load((folder / "facts.yaml").read_text(encoding="utf-8"))["facts"]
    quotes = {fact["quote"] for fact in facts}
    assert "How it works" not in quotes and "I’m Andrew Smith." not in quotes
    assert "Andrew Smith wrote this story for VOA Learning English." in quotes  # a credit
    source = yaml.safe_load((folder / "sources.yaml").read_text(encoding="utf-8"))["sources"][0]
    assert source["uncovered_ok"][:2] == ["How it works", "Benefits of virtual fencing"]
    capsys.readouterr()
    assert main(["check", "--knowledge", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "not quoted by any fact" not in out
    # each uncited sentence is listed once, not again as its fact, and not at all when an
    # entry still to write cites it (the "who published" one cites the headline)
    assert "no entry cites it" not in out and "no FAQ entry cites" not in out
    assert f"{len(facts)} not cited by an entry" in out


def test_the_dateline_draft_says_who_published_the_story_and_when(tmp_path: Path):
    article = Path(__file__).parents[1] / "knowledge" / "sources" / "gli-2025-09-02-kim-train.txt"
    folder = tmp_path / "kim"
    argv = ["new", str(folder), "--source", str(article), "--title", "Kim Rides Train"]
    assert main([*argv, "--publisher", "GLI", "--date", "2025-09-02"]) == 0
    facts = yaml.safe_load((folder / "facts.yaml").read_text(encoding="utf-8"))["facts"]
    assert facts[1]["quote"] == "By Global Leaders Insights Team | Sep 02, 2025"
    assert facts[1]["statement"] == "GLI published the story on 2 September 2025."
    faq = yaml.safe_load((folder / "faq.yaml").read_text(encoding="utf-8"))["entries"]
    # who published it, and when: the dateline; under what title: the headline
    assert faq[1]["facts"] == [facts[1]["id"], facts[0]["id"]]


def test_a_lead_sentence_naming_the_year_is_no_dateline(tmp_path: Path):
    """ "Throughout 2024, we saw..." names the year but is the lead, not a dateline: its draft
    stays the sentence (its quote proves nothing about the publisher), the summary cites it,
    and who published the story is the credit line at the end."""
    story = STORIES / "voa-top-tech-stories-2024"
    article = next((story / "sources").iterdir())
    folder = tmp_path / "tech"
    argv = ["new", str(folder), "--source", str(article), "--title", "Top Technology Stories"]
    publisher = "Voice of America (VOA Learning English)"
    assert main([*argv, "--publisher", publisher, "--date", "2024-12-20"]) == 0
    snapshot = load(folder)
    assert not [f for f in snapshot.facts.values() if "published the story" in f.statement]
    drafts = {todo.id: todo.fact_ids for todo in snapshot.todo}
    lead = snapshot.facts[drafts["story-summary"][0]]
    assert lead.quote.startswith("Throughout 2024, we saw") and lead.statement == lead.quote
    credit = [snapshot.facts[fact_id].quote for fact_id in drafts["story-source"]]
    assert credit == ["Bryan Lynn wrote this story for VOA Learning English."]
    # the publisher's acronym names the source, not its initials ("vavle")
    assert list(snapshot.sources) == ["voa-2024-12-20-top-technology-stories"]


def test_a_byline_without_a_date_says_only_whose_story_it_is(tmp_path: Path):
    article = next((STORIES / "nasa-astronaut-fitness-trainer" / "sources").iterdir())
    folder = tmp_path / "trainer"
    argv = ["new", str(folder), "--source", str(article), "--title", "Career Journey"]
    assert main([*argv, "--publisher", "NASA", "--date", "2024-02-13"]) == 0
    snapshot = load(folder)
    (source,) = [todo for todo in snapshot.todo if todo.id == "story-source"]
    byline, *headline = [snapshot.facts[fact_id] for fact_id in source.fact_ids]
    assert (byline.quote, byline.statement) == ("By NASA", "The story is by NASA.")
    assert len(headline) == 1  # and the headline: under what title


@pytest.mark.parametrize(
    "credit",
    [
        "Jane Doe wrote this story for Example News.",
        "Jane Doe produced this report for Example News.",
        "This story was written by Jane Doe.",
        "Reporting by Jane Doe; Editing by John Roe",
    ],
)
def test_new_recognises_a_credit_line(tmp_path: Path, credit: str):
    article = tmp_path / "article.txt"
    article.write_text(
        "Town Opens New Library\n\nThe town opened a new library on Monday. It holds 20,000 "
        f"books.\n\nThe mayor said more readers are welcome.\n\n{credit}\n",
        encoding="utf-8",
    )
    folder = tmp_path / "library"
    argv = ["new", str(folder), "--source", str(article), "--title", "Town Opens New Library"]
    assert main([*argv, "--publisher", "Example News", "--date", "2025-03-03"]) == 0
    snapshot = load(folder)
    (source,) = [todo for todo in snapshot.todo if todo.id == "story-source"]
    # the credit line says who published it, the headline under what title
    quotes = [snapshot.facts[fact_id].quote for fact_id in source.fact_ids]
    assert quotes == [credit, "Town Opens New Library"]
    (summary,) = [todo for todo in snapshot.todo if todo.id == "story-summary"]
    assert snapshot.facts[summary.fact_ids[0]].quote == "The town opened a new library on Monday."
    # every drafted fact is cited by an entry to write: the first check lists only those
    assert main(["check", str(folder)]) == 0


def test_check_shows_what_two_phrasings_of_different_entries_both_read_as(tmp_path: Path, capsys):
    folder = tmp_path / "tech"
    shutil.copytree(STORIES / "voa-top-tech-stories-2024", folder)
    faq = folder / "faq.yaml"
    text = faq.read_text(encoding="utf-8")
    faq.write_text(
        text.replace(
            "      - faa air taxi rules\n", "      - faa air taxi rules\n      - flying taxis\n"
        ),
        encoding="utf-8",
    )
    assert main(["check", str(folder)]) == 0
    out = capsys.readouterr().out
    assert (
        "phrasing 'what is an air taxi' means the same words as 'flying taxis' in entry "
        "faa-air-taxis (both read as: air_taxi;"
    ) in out


def test_lexicon_shows_the_reading_and_the_groups_holding_a_word(capsys):
    knowledge = STORIES / "voa-top-tech-stories-2024"
    args = ["lexicon", "--knowledge", str(knowledge), "app", "chips", "what is an air taxi"]
    assert main([*args, "zorblax", "the"]) == 0
    out = capsys.readouterr().out
    assert "'app' reads as: softwar\n  softwar:\n    lexicon group [software, app]\n" in out
    # the story's group, and the lexicon group whose word it claims
    assert "'chips' reads as: chip\n  chip:\n    synonyms.yaml group chip: [chips," in out
    assert "    lexicon group [semiconductor]\n" in out
    assert "  words that read as nothing: what, is, an\n" in out
    assert "  zorblax (no entry uses it): in no synonym group\n" in out
    assert "'the' reads as nothing" in out


def test_a_guard_a_phrasing_uses_names_the_word_and_lexicon_reads_the_broken_folder(
    tmp_path: Path, capsys
):
    # a guard with a lexicon word's alias: "armed" reads as a weapon, so as the guard
    folder = tmp_path / "tech"
    shutil.copytree(STORIES / "voa-top-tech-stories-2024", folder)
    synonyms = folder / "synonyms.yaml"
    synonyms.write_text(
        synonyms.read_text(encoding="utf-8")
        + "  - canonical: weapons_guard\n    guard: true\n    aliases: [weapon]\n",
        encoding="utf-8",
    )
    faq = folder / "faq.yaml"
    text = faq.read_text(encoding="utf-8")
    faq.write_text(
        text.replace(
            "      - faa air taxi rules\n", "      - faa air taxi rules\n      - armed drones\n"
        ),
        encoding="utf-8",
    )
    assert main(["check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert (
        "phrasing 'armed drones' of entry faa-air-taxis uses its words ('armed' reads as it" in out
    )
    # the curator asks the lexicon why, while the folder is broken
    assert main(["lexicon", "--knowledge", str(folder), "armed"]) == 0
    captured = capsys.readouterr()
    assert "'armed' reads as: weapons_guard" in captured.out
    assert "synonyms.yaml guard weapons_guard: [weapon]" in captured.out
    assert "reading with its synonyms.yaml and the lexicon only" in captured.err


def test_once_an_entry_is_written_ask_answers_from_it(tmp_path: Path, capsys):
    folder = tmp_path / "mars"
    assert main(["new", str(folder), *NEW]) == 0
    faq = folder / "faq.yaml"
    text = faq.read_text(encoding="utf-8")
    written = text.replace(
        "  - id: story-summary\n    todo: true\n",
        "  - id: story-summary\n    phrasings: [what is this about, summary, what happened]\n"
        "    answer: NASA is looking for cheaper, faster ways to bring Mars samples to Earth.\n",
    )
    assert written != text
    faq.write_text(written, encoding="utf-8")
    capsys.readouterr()
    assert main(["ask", "--knowledge", str(folder), "what's this story about?"]) == 0
    assert "cheaper, faster ways" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--date", "15/04/2024"], "--date '15/04/2024' must be a date as YYYY-MM-DD"),
        (["--url", "http://nasa.gov"], "must be an https:// link"),
    ],
)
def test_new_refuses_bad_input(tmp_path: Path, capsys, change: list[str], message: str):
    assert main(["new", str(tmp_path / "k"), *NEW, *change]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "k").exists()


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path, capsys):
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["new", str(tmp_path / "k"), *NEW]) == 2
    assert "already exists and is not empty" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "k").iterdir()] == ["notes.txt"]


def test_a_to_do_entry_is_checked_like_any_reference(tmp_path: Path):
    folder = tmp_path / "mars"
    assert main(["new", str(folder), *NEW]) == 0
    faq = folder / "faq.yaml"
    faq.write_text(
        faq.read_text(encoding="utf-8").replace("    todo: true", "    todo: yes please", 1),
        encoding="utf-8",
    )
    _, problems = validate(folder)
    assert [p.message for p in problems] == [
        "entry story-summary: 'todo' must be true, or left out once written"
    ]


def test_show_fails_names_the_entry_and_the_words_to_add(tmp_path: Path, capsys):
    knowledge = STORIES / "voa-vintage-clothing"
    questions = tmp_path / "q.yaml"
    questions.write_text(
        '- {q: "what do unsold frocks become", expect: answer, kind: paraphrase,'
        " all: [[blankets]]}\n",
        encoding="utf-8",
    )
    main(["eval", "--knowledge", str(knowledge), "--show-fails", str(questions)])
    out = capsys.readouterr().out
    assert "should answer: unsold-clothes" in out
    assert "words unsold-clothes does not know: frocks, become" in out
    assert "      - what do unsold frocks become" in out  # a phrasing to paste
    assert "aliases: [frocks]" in out  # a synonym line to fill in


@pytest.mark.parametrize("story", sorted(FLOORS))
def test_test_story_knowledge_is_clean(story: str):
    snapshot, problems = validate(STORIES / story)
    assert problems == [] and snapshot is not None
    groups = yaml.safe_load((STORIES / story / "synonyms.yaml").read_text(encoding="utf-8"))
    words = {w for g in groups["synonyms"] for w in (g["canonical"], *g["aliases"])}
    assert not words & {"reason", "why", "talk", "said", "website"}  # the lexicon's


@pytest.mark.parametrize(
    ("story", "blind_set", "floors"),
    [(story, f"{story}_blind.yaml", FLOORS[story]) for story in sorted(FLOORS)]
    + [(story, f"{story}_blind2.yaml", SECOND_FLOORS[story]) for story in sorted(SECOND_FLOORS)],
)
def test_test_story_blind_set_floors(story: str, blind_set: str, floors: dict[str, float]):
    snapshot = load(STORIES / story)
    report = evaluate(snapshot, load_cases(STORIES / blind_set))
    rates = {kind: report.rate(kind) for kind in floors}
    for kind, floor in floors.items():
        correct, total = rates[kind]
        assert correct / total >= floor, (kind, rates, [c.question for c, _ in report.misses()])


@pytest.mark.parametrize("story", sorted(CONVERSATION_FLOORS))
def test_test_story_conversation_floors(story: str):
    snapshot = load(STORIES / story)
    report = evaluate_conversations(
        snapshot, load_conversations(STORIES / f"{story}_conversations.yaml")
    )
    for kind, floor in CONVERSATION_FLOORS[story].items():
        correct, total = report.rate(kind)
        assert correct / total >= floor, (kind, correct, total)


def test_follow_ups_about_another_story_read_the_turn_before():
    snapshot = load(STORIES / "voa-world-series")
    titles = answer_question(snapshot, "how many world seires have the yankees won")
    most = answer_question(snapshot, "is that the most?", context=next_turn(titles, snapshot))
    assert most.entry is not None and most.entry.id == titles.entry.id == "most-titles"
    quote = answer_question(snapshot, "I'm writing a piece: what did Judge say about Ohtani?")
    said = answer_question(snapshot, "when did he say that?", context=next_turn(quote, snapshot))
    assert said.entry is not None and "22 October" in said.entry.answer
    record = answer_question(snapshot, "What home run record does Aaron Judge hold?")
    year = answer_question(snapshot, "which year?", context=next_turn(record, snapshot))
    assert year.entry is not None and "2022" in year.entry.answer
    fences = load(STORIES / "voa-virtual-fences-cows")
    rancher = answer_question(fences, "How does that rancher in Florida keep an eye on his cattle?")
    name = answer_question(fences, "whats his name?", context=next_turn(rancher, fences))
    assert name.answered and name.entry is not None and "Jim Strickland" in name.entry.answer


def test_an_answer_with_a_sum_of_money_is_about_money():
    fences = load(STORIES / "voa-virtual-fences-cows")  # "...gave $9.9 million to Cornell"
    answer = answer_question(fences, "Which university got money from the Bezos Earth Fund?")
    assert answer.answered and answer.entry is not None and answer.entry.id == "cornell-bezos"


def test_thin_knowledge_weighs_an_everyday_word_it_lacks_less_than_a_rare_one():
    thin = load(STORIES / "voa-vintage-clothing").index  # about 10 phrasings per entry
    dense = load(Path(__file__).parents[1] / "knowledge").index  # about 55
    for index in (thin, dense):
        assert not index.knows("accept") and not index.knows("zorblax")
    assert thin.weight("accept") < thin.weight("zorblax")  # "acceptable": everyday English
    assert dense.weight("accept") == dense.weight("zorblax")


def test_a_guard_keeps_its_full_weight_in_thin_knowledge(tmp_path: Path):
    folder = tmp_path / "vintage"
    shutil.copytree(STORIES / "voa-vintage-clothing", folder)
    with (folder / "synonyms.yaml").open("a", encoding="utf-8") as synonyms:
        synonyms.write("  - canonical: weather\n    guard: true\n    aliases: [rain, snow]\n")
    index = load(folder).index
    assert "weather" in index.synonyms.guarded
    assert index.weight("weather") == index.weight("zorblax") > index.weight("accept")


def test_thin_knowledge_reads_everyday_words_beside_its_own_as_the_readers_wording():
    covid = load(STORIES / "voa-covid-year-2021")
    # "giant" and "drive" are the reader's words for the vaccination programme the entry tells
    giant = answer_question(covid, "Which governments paid for the giant vaccine drive?")
    assert giant.answered and giant.entry is not None
    assert giant.entry.id == "vaccination-program"
    # ...but the noun a which/what question asks for keeps its weight: the story gives no
    # deadline
    mars = load(STORIES / "nasa-mars-sample-return")
    assert not answer_question(mars, "What is the deadline for the industry proposals?").answered
    # and a question made mostly of words the story lacks is still declined
    assert not answer_question(covid, "What is the boiling point of water?").answered


def test_asked_for_names_what_a_which_or_what_question_asks_for():
    assert asked_for("Which Army unit did he work with?") == {"armi", "unit"}
    assert asked_for("What is the deadline for the proposals?") >= {"deadlin"}
    assert asked_for("What kind of job did he have?") >= {"job"}
    assert asked_for("Who got him hooked on lifting?") == frozenset()
    # "how much / how many" ask for the noun after them, not for a verb
    assert asked_for("How much electricity does the dam produce?") == {"electr"}
    assert asked_for("How many kilometers long is the river?") == {"kilomet"}
    assert asked_for("how much does a collar cost?") == frozenset()


def test_a_name_the_story_lacks_does_not_borrow_a_known_number():
    mekong = load(STORIES / "voa-mekong-giant-salmon-carp")
    # "Three Gorges" is not the three sightings, and the dams entry tells no electricity
    assert not answer_question(
        mekong, "How much electricity does the Three Gorges Dam produce?"
    ).answered
    assert answer_question(mekong, "How many dams are on the Mekong?").answered


def test_a_how_many_question_needs_a_number_in_the_answer():
    mars = load(STORIES / "nasa-mars-sample-return")
    # the Perseverance entry says since when it collects samples, not how many it has
    assert not answer_question(mars, "How many samples has Perseverance collected so far?").answered
    bundled = load(Path(__file__).parents[1] / "knowledge")
    assert answer_question(bundled, "how many other leaders are going?").answered


@pytest.mark.parametrize(
    ("code", "text", "states"),
    [
        ("en", "26 other world leaders", True),
        ("en", "twice as fast", True),
        ("en", "It has collected samples since 2021.", False),
        ("ru", "ещё двадцать шесть лидеров", True),
        ("ru", "с 2021 года", False),
        ("zh", "另外二十六位领导人", True),
        ("ko", "다른 정상 26명", True),
    ],
)
def test_states_amount_per_language(code: str, text: str, states: bool):
    assert languages.get(code).states_amount(text) is states


def test_what_happened_at_an_event_the_story_tells_without_a_date_is_answered():
    jet = load(STORIES / "voa-supersonic-jet")
    answer = answer_question(jet, "What happened in Palmdale?")
    assert answer.answered and answer.entry is not None and answer.entry.id == "unveiling"


def test_an_entry_about_a_subject_answers_what_its_answer_says_of_it(tmp_path: Path):
    folder = tmp_path / "jet"
    shutil.copytree(STORIES / "voa-supersonic-jet", folder)
    faq = folder / "faq.yaml"
    text = faq.read_text(encoding="utf-8")
    entry = "  - id: concorde\n    question: What was the Concorde?\n"
    faq.write_text(text.replace(entry, entry + "    about: the Concorde\n"), encoding="utf-8")
    answer = answer_question(load(folder), "who operated the concorde")  # its own phrasing
    assert answer.answered and answer.entry is not None and answer.entry.id == "concorde"


@pytest.mark.parametrize("folder", [*sorted(FLOORS), "bundled"])
def test_every_phrasing_the_curators_wrote_answers_its_own_entry(folder: str):
    knowledge = Path(__file__).parents[1] / "knowledge" if folder == "bundled" else STORIES / folder
    snapshot = load(knowledge)
    wrong = []
    for entry in snapshot.entries.values():
        for phrasing in (entry.question, *entry.phrasings):
            answer = answer_question(snapshot, phrasing)
            if answer.outcome == Outcome.SOURCES:
                continue  # "what are the sources?": the sources reply lists them
            if not (answer.answered and answer.entry is not None and answer.entry.id == entry.id):
                wrong.append((entry.id, phrasing, answer.outcome, answer.entry and answer.entry.id))
    assert not wrong


@pytest.mark.parametrize(
    ("folder", "question", "entry"),
    [
        # a speaker the entry's own phrasings ask about, in other words
        ("nasa-mars-sample-return", "what did NASA's science chief say?", "nicky-fox"),
        ("nasa-astronaut-fitness-trainer", "what did his friend tell him?", "school-struggles"),
        # how someone reacted is what they did, not whose words
        ("voa-covid-year-2021", "how did the governments react to delta?", "restrictions"),
        ("voa-supersonic-jet", "how will NASA check how people react?", "cities-testing"),
    ],
)
def test_questions_about_someones_words_or_reaction_reach_the_entry(folder, question, entry):
    answer = answer_question(load(STORIES / folder), question)
    assert answer.answered and answer.entry is not None and answer.entry.id == entry


def test_a_measure_needs_its_unit_in_the_answer():
    jet = load(STORIES / "voa-supersonic-jet")
    # its size entry gives the length and width in feet, not the weight
    assert not answer_question(jet, "How much does the X-59 weigh?").answered
    assert answer_question(jet, "how long is the x-59").answered
    english = languages.get("en")
    assert english.measure_units("how heavy is it?").search("about 12 tons")
    assert not english.measure_units("how tall is he?").search("he is 60")
    assert english.measure_units("how big is it?") is None
    # a time of day: the day alone does not say it
    kick_off = english.measure_units("what time does it kick off")
    assert kick_off.search("at 8 p.m.") and not kick_off.search("set for wednesday, 3 september")
    assert english.measure_units("what time of year is the festival?") is None
    assert languages.get("ru").measure_units("сколько он весит?") is None  # English rules only


def test_a_count_a_share_a_price_or_a_named_unit_needs_that_kind_of_number():
    english = languages.get("en")
    # a count is not a price, a share or a year
    count = english.measure_units("How many courses does Coursera offer?")
    assert count.search("it offers 7,000 courses") and count.search("a dozen of them")
    assert not count.search("membership costs $59 a month or 399 dollars a year")
    assert not count.search("cows ate nearly 70 percent of the plants, in 2024")
    assert english.measure_units("how many dollars did it cost?") is None
    # a list of names says how many
    listed = "It passes through China, Laos, Thailand, Myanmar, Cambodia and Vietnam."
    assert english.states_amount(listed) and count.search(listed.lower())
    assert not english.states_amount("It passes through China and Laos.")
    # a share needs a share
    share = english.measure_units("What percentage of people need to be immune?")
    assert share.search("about 70%") and share.search("half of them")
    assert not share.search("many people in a community")
    assert english.measure_units("How effective is it, in percent?") is not None
    # a price or a sum spent needs money
    price = english.measure_units("How much did COVAX spend on vaccines?")
    assert price.search("billions of dollars") and price.search("it is free")
    assert not price.search("bought shots for poor countries")
    assert english.measure_units("what's the price of a ticket?") is not None
    assert english.measure_units("so what did the whole trip cost?") is not None
    assert english.measure_units("how much is China spending on it?") is not None
    # an age needs an age, not any number ("in 2020"); the story's own age is its date
    age = english.measure_units("how old was she then?")
    assert age.search("she was 34 years old") and age.search("a 34-year-old mother")
    assert not age.search("she was charged in 2020 and served four years")
    assert english.measure_units("how old is this news") is None
    # time spent is a duration, not a sum
    assert english.measure_units("how much time did he spend on the train?") is None
    # a unit asked outright
    volts = english.measure_units("How strong is the shock, in volts?")
    assert volts.search("about 800 volts") and not volts.search("a mild electric shock")
    # the story that says none of these declines them
    cows = load(STORIES / "voa-virtual-fences-cows")
    assert not answer_question(cows, "How many cattle were in the Oregon study?").answered
    assert answer_question(cows, "What did the Oregon study find?").answered


def test_filler_adverbs_go_but_the_words_they_come_from_stay():
    assert analyse("what is the BASIC language") == ["basic", "languag"]
    assert analyse("basically, when did he leave?") == ["@when", "leav"]
    assert "total" in analyse("what is the total cost") and analyse("totally when") == ["@when"]
    # "I searched / googled it" is chat; "search" and Google are a technology story's topics
    assert analyse("I searched and googled, when did he leave?") == ["@when", "leav"]
    assert analyse("google search") == ["googl", "search"]


def test_last_season_is_not_answered_by_this_season():
    series = load(STORIES / "voa-world-series")
    assert answer_question(series, "How many home runs did Ohtani hit this season?").answered
    assert not answer_question(series, "How many home runs did Ohtani hit last season?").answered


def test_an_amount_in_words_answers_how_many():
    english = languages.get("en")
    # "a week" is not counted: "how many hours a week does it take?" is not answered by it
    assert not english.states_amount("from a week to a month")
    assert english.states_amount("several leaders")
    assert not english.states_amount("many languages")


def test_check_advises_more_phrasings_for_thin_knowledge(capsys):
    assert main(["check", "--knowledge", str(STORIES / "voa-betta-fish")]) == 0
    hint = capsys.readouterr().out
    assert "hint: 10 phrasings per entry" in hint and "fewest now: " in hint
    assert main(["check"]) == 0  # the bundled story, about 55 an entry: no hint
    assert "hint:" not in capsys.readouterr().out


def test_a_date_or_a_name_s_number_is_no_amount():
    english = languages.get("en")
    assert not english.states_amount("On Monday, 1 September 2025, Kim swung by a missile lab.")
    assert not english.states_amount("the Hwasong-20 and the X-59")
    assert english.states_amount("engines with 1,960 kN of thrust")
    assert not languages.get("ru").states_amount("ракета Хвасон-20")


def test_a_story_s_name_is_kept_where_a_stopword_shares_its_stem(tmp_path: Path):
    """ "Judge" (Aaron Judge) stems as the filler "judging" does: the story's group wins."""
    knowledge = tmp_path / "series"
    shutil.copytree(STORIES / "voa-world-series", knowledge)
    synonyms = knowledge / "synonyms.yaml"
    text = synonyms.read_text(encoding="utf-8")
    text = text.replace("canonical: aaron-judge\n    aliases: [aaron judge, judge]",
                        "canonical: judge\n    aliases: [aaron judge]")  # fmt: skip
    synonyms.write_text(text, encoding="utf-8")
    snapshot = load(knowledge)
    assert snapshot.index.analyse("judge") == ["judg"]
    answer = answer_question(snapshot, "What did Judge say about Ohtani?")
    assert answer.answered and answer.entry.id == "judge-on-ohtani"


def test_show_fails_reads_a_question_s_names_whole(tmp_path: Path, capsys):
    """ "Aaron Judge" is the story's name: neither "aaron" nor "judge" is a word it lacks."""
    questions = tmp_path / "questions.yaml"
    questions.write_text(
        '- {q: "What did Aaron Judge tell the press about his rival Ohtani?", expect: answer,'
        ' all: [["ohtani"]]}\n',
        encoding="utf-8",
    )
    knowledge = STORIES / "voa-world-series"
    main(["eval", "--knowledge", str(knowledge), "--show-fails", str(questions)])
    lacking = [line for line in capsys.readouterr().out.splitlines() if "does not know" in line]
    assert lacking == ["    words judge-on-ohtani does not know: press, rival"]


@pytest.mark.parametrize(
    ("code", "question", "expected"),
    [
        ("en", "Did Kim fly?", True),
        ("en", "doesn't it stop anywhere?", True),
        ("en", "Why did Kim not fly?", False),
        ("en", "Hi! Did Kim fly?", False),  # the message; its asking clause is read as well
        ("zh", "金正恩坐火车去北京吗？", True),
        ("zh", "金正恩什么时候出发？", False),
        ("ru", "Правда ли, что поезд бронированный?", True),
        ("ru", "Когда Ким уехал?", False),
        ("ko", "김정은은 기차로 갔어요?", True),
        ("ko", "김정은은 언제 출발했어요?", False),
    ],
)
def test_each_language_tells_a_yes_no_question(code: str, question: str, expected: bool):
    assert languages.get(code).asks_yes_no(question) is expected


def test_a_yes_no_question_is_answered_by_the_answer_it_restates():
    # "Is 2040 soon enough for Nelson?" checks what the answer says ("...returns samples in
    # 2040, which Nelson called too far away"): its words count almost as a phrasing's.
    mars = load(STORIES / "nasa-mars-sample-return")
    assert answer_question(mars, "Is 2040 soon enough for Nelson?").answered


def test_a_question_in_one_entry_s_own_words_is_answered_below_the_band():
    # Thin knowledge: every word the entry's, the next entry far behind (a "did you mean"
    # offering one plain choice at 0.60 before)
    covid = load(STORIES / "voa-covid-year-2021")
    answer = answer_question(covid, "Where did the whole health crisis start spreading from?")
    assert answer.answered and answer.confidence < 0.6
    # a question of a kind the entry never answers ("when", of an entry that never tells
    # when) still gets the "did you mean"
    vintage = load(STORIES / "voa-vintage-clothing")
    assert not answer_question(vintage, "When was the Levis Secondhand program launched?").answered
