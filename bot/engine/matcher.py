"""The match index: question -> entries ranked by a confidence in [0, 1].

Confidence answers "how much of what this question asks does this entry account for?":

* coverage: the share of the question's information (content words weighted by inverse entry
  frequency, so "hwasong" counts far more than "kim") that the entry accounts for. A word
  counts fully when it runs through the entry's phrasings, less when only a few phrasings, the
  answer or the quoted source have it. A word no entry knows ("payload", "heavy") weighs as
  much as the rarest known word, so a question about something the story does not say stays
  low even when its other words match well.
* closeness: how closely the question matches the entry's single best phrasing, by weighted
  word overlap and by rapidfuzz's ratio on the sorted words (which forgives leftover slips),
  counted only for the known share of the question's information.

confidence = 0.6 * coverage + 0.4 * closeness, times 0.8 when the question asks for a kind of
answer (a count, a time, a place, a person...) that none of the entry's phrasings asks for.
Around 1.0 the question is one of the phrasings; at 0.5 half of what it asks is unaccounted
for.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from operator import itemgetter

from rapidfuzz import fuzz, process

from bot.engine import languages
from bot.engine.languages import Analyser
from bot.engine.model import Entry
from bot.engine.text import STRICT_FOCUS, Synonyms, Vocabulary, english_stems, without_links

ANSWER_WORD_CREDIT = 0.6
_MONEY = re.compile(r"[$€£¥]\s?\d|\b\d[\d,.]*\s?(?:dollars|euros|pounds|yuan|yen)\b")
# A yes/no question restates what the answer says ("do air taxis run on electric power?" -
# "they generally operate on electric power"): the answer's words count this much for it.
YES_NO_CREDIT = 0.8
# A phrasing word gets full credit when at least this many of the entry's phrasings use it.
CENTRAL_USES = 8
FOCUS_MISMATCH = 0.8
# An entry that tells who someone is also tells their name ("name of the chinese leader?").
ANSWERS_TOO = {"@name": ("@name", "name", "@who")}
PREMISE_WEIGHT = 1.0
# Phrasings per entry from which the knowledge reads as dense: every word it lacks weighs in
# full. Below, an everyday English word it lacks weighs less, down to THIN_FLOOR of that.
DENSE_PHRASINGS = 30
THIN_FLOOR = 0.35
# In thin knowledge, an everyday word it lacks that is not what the question asks for ("who got
# him *hooked* on...", "the *giant* vaccine drive") is the reader's own wording when at least
# PARAPHRASE_TOPICS of the question's other words are the knowledge's: it weighs this share.
# The noun a which/what question asks for keeps its weight: "which army *unit*?", "what is the
# *deadline*?" ask for something the story may not say.
PARAPHRASE_SHARE = 0.05
PARAPHRASE_TOPICS = 2
# Everyday words no entry knows that a question in an entry's own words may still use.
PLAIN_UNKNOWN = 1
FOCUS_WEIGHT = 0.8  # question focus ("@when") weighs a little less than a content word
CANDIDATES = 8
FEW_SCORES = 64
ANALYSED_KEPT = 512  # readings of recent messages kept per index (a few hundred KiB at most)
MIN_PART_TOPICS = 2  # known words an asking part of a long message needs to stand alone
COMMON_POSTINGS = 200
# Borrowed words (a follow-up's topic) an entry lacks count this share of their weight against it.
OPTIONAL_SHARE = 0.25
COVERAGE_SHARE, OVERLAP_SHARE, FUZZY_SHARE = 0.6, 0.25, 0.15


@dataclass(frozen=True, slots=True)
class Match:
    """One entry's score for one question."""

    entry: Entry
    confidence: float
    coverage: float
    closeness: float
    reason_missing: bool = False  # a why-question, and the entry's answer gives no reason


@dataclass(frozen=True, slots=True)
class _Phrasing:
    tokens: frozenset[str]
    sorted_text: str


class MatchIndex:
    """Immutable inverted index from content stems to entries, with per-stem weights."""

    __slots__ = (
        "_analysed",
        "_credits",
        "_entries",
        "_exact",
        "_guarded",
        "_known_readings",
        "_lightest",
        "_numbers",
        "_phrasing_texts",
        "_phrasings",
        "_phrasings_with",
        "_postings",
        "_scored",
        "_thin",
        "_timed",
        "_told",
        "_unknown_weight",
        "_weights",
        "language",
        "synonyms",
        "vocabulary",
    )

    def __init__(
        self,
        entries: list[Entry],
        phrasings: list[list[_Phrasing]],
        credits: list[dict[str, float]],
        postings: dict[str, tuple[int, ...]],
        synonyms: Synonyms,
        vocabulary: Vocabulary,
        language: Analyser,
        timed: list[bool] | None = None,
        exact: dict[tuple[str, ...], int] | None = None,
        told: list[frozenset[str]] | None = None,
    ) -> None:
        self.language = language  # how questions and phrasings are read
        # Answering one message reads the same text several times (the whole, its clauses,
        # the naming and measure checks): the last few hundred readings are kept.
        self._analysed: dict[str, tuple[str, ...]] = {}
        # and a message's parts are searched again as questions of their own: the scores of
        # the last few hundred readings are kept too
        self._scored: dict[
            tuple[tuple[str, ...], frozenset[str], int, bool], tuple[Match, ...]
        ] = {}
        # The knowledge's own texts (entries' questions and answers) are read again in every
        # conversation: their readings are kept for good (a few per entry).
        self._known_readings: dict[str, tuple[str, ...]] = {}
        self._entries = entries
        self._exact = exact or {}
        self._timed = timed or [False] * len(entries)
        # per entry: the words only its answer (or evidence) uses, not its phrasings
        self._told = told or [frozenset()] * len(entries)
        self._numbers = {entry.id: number for number, entry in enumerate(entries)}
        self._phrasings = phrasings
        self._credits = credits
        self._postings = postings
        self.synonyms = synonyms
        self.vocabulary = vocabulary
        total = len(entries)
        self._weights = {
            token: _idf(total, len(ids)) * (FOCUS_WEIGHT if token.startswith("@") else 1.0)
            for token, ids in postings.items()
        }
        self._unknown_weight = _idf(total, 0.5)
        # How far the knowledge is from saying most things readers ask in ordinary words: with
        # few phrasings per entry, an everyday word it lacks ("acceptable", "feeling") says
        # less that the story lacks the topic than a name or a rare word it lacks does.
        # (A guard's word keeps its full weight: the curator named it as what the story lacks.)
        per_entry = sum(map(len, phrasings)) / max(1, total)
        self._thin = max(THIN_FLOOR, min(1.0, per_entry / DENSE_PHRASINGS))
        if self._thin < 1.0:
            english_stems()  # read while loading, not on a reader's first question
        self._guarded = synonyms.guarded
        self._phrasing_texts = [[p.sorted_text for p in ps] for ps in phrasings]
        # Fixed once the weights are, so a question costs bit operations only. Per entry: its
        # phrasings' weights, lightest first, and for each word a bit mask of the phrasings
        # using it (bit i: the i-th lightest).
        self._lightest: list[tuple[float, ...]] = []
        self._phrasings_with: list[dict[str, int]] = []
        for ps in phrasings:
            weighed = sorted(
                ((sum(self.weight(t) for t in p.tokens), p.tokens) for p in ps),
                key=lambda pair: pair[0],
            )
            uses: dict[str, int] = {}
            for bit, (_, tokens) in enumerate(weighed):
                for token in tokens:
                    uses[token] = uses.get(token, 0) | 1 << bit
            self._lightest.append(tuple(weight for weight, _ in weighed))
            self._phrasings_with.append(uses)

    @classmethod
    def build(
        cls,
        entries: Iterable[Entry],
        synonyms: Synonyms,
        evidence: Mapping[str, str] | None = None,
        surfaces: Mapping[str, list[str]] | None = None,
        language: Analyser | None = None,
    ) -> MatchIndex:
        """Index the entries' phrasings (strong words), answers and evidence (weak words).

        ``evidence`` maps an entry id to more text that backs its answer (its facts' quotes):
        a reader may ask in the source's own words. ``surfaces`` may hold each phrasing's
        `surface_words`, already computed by the loader. ``language`` reads the text
        (default English); the scoring is the same for every language.
        """
        language = language or languages.get(languages.DEFAULT)
        surface_words, analyse_surface = language.surface_words, language.analyse_surface
        entries = list(entries)
        evidence = evidence or {}
        surfaces = surfaces or {}
        surface: Counter[str] = Counter()
        # Typos are corrected towards words as readers write them: the aliases' own words, not
        # their stems ("married" must not become the stem "marri" of nothing, or "marked").
        surface.update(synonyms.written)
        postings: dict[str, list[int]] = {}
        credit_maps, phrasing_lists = [], []
        timed: list[bool] = []  # per entry: does its answer tell when?
        told: list[frozenset[str]] = []
        exact: dict[tuple[str, ...], int] = {}
        shared: set[tuple[str, ...]] = set()  # the same words in two entries: no one owner
        for number, entry in enumerate(entries):
            phrasings = []
            for text in (entry.question, *entry.phrasings):
                written = surfaces.get(text) or surface_words(text)
                key = tuple(written)
                if exact.setdefault(key, number) != number:
                    shared.add(key)
                surface.update(written)
                tokens = analyse_surface(written, synonyms)
                phrasings.append(_Phrasing(frozenset(tokens), " ".join(sorted(tokens))))
            uses = Counter(t for p in phrasings for t in p.tokens)
            written = surface_words(f"{entry.answer} {evidence.get(entry.id, '')}")
            surface.update(written)
            credits = dict.fromkeys(analyse_surface(written, synonyms), ANSWER_WORD_CREDIT)
            if _MONEY.search(entry.answer):  # "got money from...?": "$9.9 million" is money
                credits.setdefault("money", ANSWER_WORD_CREDIT)
            told.append(frozenset(t for t in credits if t not in uses))
            for token, count in uses.items():
                credits[token] = 1.0 - (1.0 - ANSWER_WORD_CREDIT) * max(
                    0.0, 1.0 - count / CENTRAL_USES
                )
            for token in credits:
                postings.setdefault(token, []).append(number)
            credit_maps.append(credits)
            timed.append(not language.PREMISE_STEMS.isdisjoint(credits) or "@when" in credits)
            phrasing_lists.append(phrasings)
        frozen = {token: tuple(ids) for token, ids in postings.items()}
        vocabulary = language.vocabulary(surface)
        for key in shared:
            del exact[key]
        return cls(
            entries,
            phrasing_lists,
            credit_maps,
            frozen,
            synonyms,
            vocabulary,
            language,
            timed,
            exact,
            told,
        )

    def curated(self, question: str) -> Entry | None:
        """The entry one of whose phrasings the question is, word for word (as folded);
        None when it is none, or the phrasing of two entries."""
        number = self._exact.get(tuple(self.language.surface_words(question)))
        return None if number is None else self._entries[number]

    def entries_using(self, token: str) -> list[Entry]:
        """The entries whose phrasings, answer or evidence use ``token``."""
        return [self._entries[number] for number in self._postings.get(token, ())]

    def analyse(self, question: str) -> list[str]:
        """The question's content stems, deduplicated, in order; without the unknown tokens
        its language says carry nothing (a Chinese character pair no entry uses)."""
        known = self._analysed.get(question)
        if known is None:
            tokens = self.language.analyse(question, self.synonyms, self.vocabulary)
            known = tuple(
                t
                for t in dict.fromkeys(tokens)
                if t in self._weights or self.language.unknown_share(t) > 0
            )
            if len(self._analysed) >= ANALYSED_KEPT:
                self._analysed.clear()
            self._analysed[question] = known
        return list(known)

    def analyse_known(self, text: str) -> list[str]:
        """``analyse`` for a text of the knowledge's own (an entry's question or answer),
        whose reading is kept for good: never pass a reader's message."""
        known = self._known_readings.get(text)
        if known is None:
            known = self._known_readings[text] = tuple(self.analyse(text))
        return list(known)

    def forget_readings(self) -> None:
        """Drop the kept readings and scores: a benchmark times each message as read the
        first time."""
        self._analysed.clear()
        self._scored.clear()

    def accounts_for(self, entry_id: str, token: str) -> bool:
        """True when the entry's phrasings, answer or evidence use ``token``."""
        number = self._numbers.get(entry_id)
        return number is not None and token in self._credits[number]

    def entry_count(self, token: str) -> int:
        """How many entries use ``token``."""
        return len(self._postings.get(token, ()))

    def knows(self, token: str) -> bool:
        """True when some entry uses ``token``."""
        return token in self._weights

    def search_tokens(
        self,
        tokens: list[str],
        scale: Mapping[str, float],
        limit: int = 5,
        optional: frozenset[str] = frozenset(),
    ) -> list[Match]:
        """Entries ranked for analysed tokens, each weighed times ``scale`` (default 1): a
        follow-up's words count fully, the words it borrows from the turn before less. An
        ``optional`` word an entry lacks costs it only OPTIONAL_SHARE of its weight."""
        return self._score(tokens, None, scale, optional, limit=limit)[:limit]

    def weight(self, token: str) -> float:
        """How much a stem says about which entry is meant (unknown stems weigh most)."""
        weight = self._weights.get(token)
        if weight is not None:
            return weight
        # An unknown number or weekday is usually a premise to check ("does it do 200 km/h?",
        # "did he leave on Sunday?"), not a topic the story lacks.
        if token.isdigit() or token in self.language.PREMISE_STEMS:
            return PREMISE_WEIGHT
        weight = self._unknown_weight * self.language.unknown_share(token)
        if self._thin < 1.0 and self._is_everyday_unknown(token):
            return weight * self._thin
        return weight

    def tells_when(self, entry_id: str) -> bool:
        """True when the entry's answer tells a time (a day, a month, a date)."""
        number = self._numbers.get(entry_id)
        return number is not None and self._timed[number]

    def only_its_words(self, question: str, entry_id: str) -> bool:
        """True in thin knowledge when the question is in the entry's own words: it uses no
        word the entry lacks but at most one everyday word no entry knows, and what it asks
        (a time, a place, "which *unit*?") is the entry's. (With a few phrasings per entry, such a
        question can stay below the answer band however plainly it means the entry.)"""
        if self._thin >= 1.0:
            return False
        unknown = 0
        credits = self._credits[self._numbers[entry_id]]
        for token in self.analyse(question):
            if token in STRICT_FOCUS:
                if not _answers_kind(credits, token):
                    return False  # "when was it launched?" of an entry that never tells when
                continue
            if token.startswith("@") or token in credits:
                continue
            if self.knows(token) or not self._is_everyday_unknown(token):
                return False  # another entry's word, or a name or term no entry knows
            unknown += 1
        asked = self.language.asked_for(question, self.synonyms, self.vocabulary)
        return unknown <= PLAIN_UNKNOWN and all(t in credits for t in asked)

    def _is_everyday_unknown(self, token: str) -> bool:
        """An everyday English word no entry uses and no guard names (numbers are premises)."""
        return (
            token not in self._weights
            and not token.isdigit()
            and token not in self.language.PREMISE_STEMS
            and token in english_stems()
            and token not in self._guarded
        )

    def search(self, question: str, limit: int = 5) -> list[Match]:
        """Entries ranked by confidence, best first; empty when nothing overlaps.

        A chatty message is also scored clause by clause ("hey, quick one: when did he
        leave?"), and each entry keeps its best score, so preambles do not drown the question.
        """
        question = without_links(question)
        best: dict[str, Match] = {}
        asked_for = (
            self.language.asked_for(question, self.synonyms, self.vocabulary)
            if self._thin < 1.0
            else frozenset()
        )
        yes_no = self.language.asks_yes_no
        whole = yes_no(question)
        for tokens, polar in (
            (self.analyse(question), whole),
            *((self.analyse(c), yes_no(c)) for c in self.language.question_clauses(question)),
            *((tokens, whole) for tokens in self._parts(question)),
        ):
            for match in self._scored_matches(tokens, asked_for, limit, polar):
                known = best.get(match.entry.id)
                if known is None or match.confidence > known.confidence:
                    best[match.entry.id] = match
        return sorted(best.values(), key=lambda m: -m.confidence)[:limit]

    def _scored_matches(
        self, tokens: list[str], asked_for: frozenset[str], limit: int, yes_no: bool
    ) -> tuple[Match, ...]:
        """``_score``'s matches, kept: the same words score the same."""
        key = (tuple(tokens), asked_for, limit, yes_no)
        matches = self._scored.get(key)
        if matches is None:
            matches = tuple(self._score(tokens, asked_for, limit=limit, yes_no=yes_no))
            if len(self._scored) >= ANALYSED_KEPT:
                self._scored.clear()
            self._scored[key] = matches
        return matches

    def _parts(self, question: str) -> list[list[str]]:
        """The analysed message without its framing, and its sentences that stand alone.

        Framing: parts that ask nothing and name nothing the knowledge knows ("my cousin sent
        this in the family group", "ok different topic"), when some part does. Standing
        alone, in a message of three parts or more: a part that asks (a question, or "I should
        be grateful to learn...") and names at least two things the knowledge knows, as the
        one question in a letter ("Dear Sir, ... Yours, Harold").
        """
        parts = self.language.message_parts(question)
        if len(parts) < 2:
            return []
        analysed = [(self.analyse(part), part, asks) for part, asks in parts]
        kept = [
            tokens
            for tokens, part, asks in analysed
            if asks
            or (not self.language.is_small_talk(part) and any(t in self._weights for t in tokens))
        ]
        found = []
        if 0 < len(kept) < len(parts):
            found.append(list(dict.fromkeys(t for tokens in kept for t in tokens)))
        if len(parts) >= 3:
            found += [
                tokens
                for tokens, _, asks in analysed
                if asks
                and sum(t in self._weights and t[0] != "@" for t in tokens) >= MIN_PART_TOPICS
            ]
        return found

    def _score(
        self,
        tokens: list[str],
        asked_for: frozenset[str] | None = None,
        scale: Mapping[str, float] | None = None,
        optional: frozenset[str] = frozenset(),
        limit: int | None = None,
        yes_no: bool = False,
    ) -> list[Match]:
        """Matches for analysed tokens. ``asked_for`` (a whole question's, None for a
        follow-up's borrowed reading) lets thin knowledge read the reader's own everyday
        words as paraphrase. With a ``limit``, candidates that cannot reach the best
        ``limit`` are not scored (they would not be returned). ``yes_no``: the question asks
        whether something holds, so an entry's answer words count YES_NO_CREDIT at least."""
        if all(t.startswith("@") for t in tokens):
            return []  # "how are you?": a question word alone names no topic
        weights = {t: self.weight(t) * (scale.get(t, 1.0) if scale else 1.0) for t in tokens}
        if asked_for is not None and self._thin < 1.0:
            topics = sum(t in self._weights and not t.startswith("@") for t in tokens)
            if topics >= PARAPHRASE_TOPICS:
                for token in weights:
                    if token not in asked_for and self._is_everyday_unknown(token):
                        weights[token] *= PARAPHRASE_SHARE
        total = sum(weights.values())
        # Candidates come from the rarer words; words in a large share of the entries only
        # add to the score of those candidates (walking their postings costs the most).
        common_cut = max(COMMON_POSTINGS, len(self._entries) // 5)
        rare = [t for t in weights if 0 < len(self._postings.get(t, ())) <= common_cut]
        common = [t for t in weights if len(self._postings.get(t, ())) > common_cut]
        scores: dict[int, float] = {}
        for token in rare or common:
            weight = weights[token]
            for number in self._postings.get(token, ()):
                scores[number] = scores.get(number, 0.0) + weight * self._credits[number][token]
        if rare and common:
            for number in scores:
                credits = self._credits[number]
                scores[number] += sum(weights[t] * credits.get(t, 0.0) for t in common)
        if yes_no:
            for number in scores:
                told = self._told[number]
                scores[number] += sum(
                    weights[t] * (YES_NO_CREDIT - ANSWER_WORD_CREDIT) for t in weights if t in told
                )
        premises = [t for t in weights if t in self.language.PREMISE_STEMS]
        for number in scores if premises else ():
            # An entry that tells when checks the day or month a reader supposes ("did it
            # happen on a Sunday?"), even where the story names that day for something else.
            if self._timed[number]:
                credits = self._credits[number]
                scores[number] += sum(
                    weights[t] * ANSWER_WORD_CREDIT for t in premises if t not in credits
                )
        # "are there like 50 leaders going?": an entry that gives a number of that thing (the
        # word after the number) checks the one a reader supposes, as a time checks a day
        supposed = _supposed_counts(tokens, self._weights) if yes_no else {}
        for number in scores if supposed else ():
            credits = self._credits[number]
            if any(t.isdigit() for t in credits):
                scores[number] += sum(
                    weights[t] * ANSWER_WORD_CREDIT
                    for t, thing in supposed.items()
                    if thing in credits
                )
        best = (
            # (what heapq.nlargest is defined as, and faster on a few dozen scores)
            sorted(scores.items(), key=itemgetter(1), reverse=True)[:CANDIDATES]
            if len(scores) <= FEW_SCORES
            else heapq.nlargest(CANDIDATES, scores.items(), key=itemgetter(1))
        )
        query_text = " ".join(sorted(tokens))
        known_share = sum(w for t, w in weights.items() if t in self._weights) / total
        focus = {t for t in tokens if t in STRICT_FOCUS}
        asks_why = "@why" in focus
        matches: list[Match] = []
        # The best ``limit`` confidences so far (a min-heap): a candidate whose bound cannot
        # reach the lowest of them would not be returned, so it is not scored in full.
        leaders: list[float] = []
        # coverage is at most what it would be with every optional word missing
        least_total = total - (1 - OPTIONAL_SHARE) * sum(weights.get(t, 0.0) for t in optional)
        for number, covered in best:
            full = bool(limit) and len(leaders) >= limit
            # closeness is at most the known share: a candidate with less coverage than this
            # one cannot beat the limit-th best
            if full and _bound(covered / least_total, known_share) < leaders[0]:
                break
            overlap = self._overlap(number, weights, total)
            missing = sum(weights[t] for t in optional if t not in self._credits[number])
            coverage = covered / (total - (1 - OPTIONAL_SHARE) * missing)
            # nor can one whose overlap leaves it short even if it read like a phrasing
            if full and _bound(coverage, known_share * _closeness(overlap, 1.0)) < leaders[0]:
                continue
            texts = self._phrasing_texts[number]
            fuzzy = process.extractOne(query_text, texts, scorer=fuzz.ratio)[1] / 100
            # Reading like a phrasing says little when part of the question is about something
            # no entry knows ("the speed of *light*"): closeness counts for the known part only.
            closeness = _closeness(overlap, fuzzy) * known_share
            confidence = _bound(coverage, closeness)
            if focus and not all(_answers_kind(self._credits[number], f) for f in focus):
                confidence *= FOCUS_MISMATCH
            entry = self._entries[number]
            # A why-question asks for a reason: an entry whose answer gives none ("Kim's
            # train is green") names its topic but cannot answer it.
            reason_missing = asks_why and not entry.gives_reason
            confidence = min(confidence, 1.0)
            matches.append(Match(entry, confidence, coverage, closeness, reason_missing))
            if limit:
                (heapq.heappushpop if full else heapq.heappush)(leaders, confidence)
        return sorted(matches, key=lambda m: -m.confidence) if scale else matches

    def _overlap(self, number: int, weights: Mapping[str, float], total: float) -> float:
        """The best weighted overlap (Dice) of the question with one of the entry's phrasings.

        The phrasings are split into groups sharing the same of the question's words, each
        group a bit mask: the lightest phrasing of a group (its lowest bit) overlaps most."""
        uses = self._phrasings_with[number]
        groups = [(-1, 0.0)]  # every phrasing, no word shared yet
        for token, weight in weights.items():
            mask = uses.get(token)
            if mask is None:
                continue
            split = []
            for group, shared in groups:
                inside = group & mask
                if not inside:
                    split.append((group, shared))
                    continue
                split.append((inside, shared + weight))
                if outside := group & ~mask:
                    split.append((outside, shared))
            groups = split
        lightest = self._lightest[number]
        return max(
            (
                2 * shared / (total + lightest[(group & -group).bit_length() - 1])
                for group, shared in groups
                if shared  # (a group sharing a word is a subset of a word's mask: positive)
            ),
            default=0.0,
        )

    def __len__(self) -> int:
        return sum(len(p) for p in self._phrasings)


def _closeness(overlap: float, fuzzy: float) -> float:
    """How closely a question reads like an entry's best phrasing, from its overlap and ratio."""
    return (OVERLAP_SHARE * overlap + FUZZY_SHARE * fuzzy) / (OVERLAP_SHARE + FUZZY_SHARE)


def _bound(coverage: float, closeness: float) -> float:
    """The confidence of a coverage and a closeness (before any focus mismatch)."""
    return COVERAGE_SHARE * coverage + (1 - COVERAGE_SHARE) * closeness


def _supposed_counts(tokens: list[str], known: Mapping[str, float]) -> dict[str, str]:
    """The numbers the knowledge does not use in a question, each with the word after it (what
    it counts): "are there like 50 leaders going?" supposes 50 leaders."""
    return {
        token: following
        for token, following in pairwise(tokens)
        if token.isdigit() and token not in known and not following.startswith("@")
    }


def _answers_kind(credits: Mapping[str, float], focus: str) -> bool:
    """True when an entry (its credits) answers the kind of question ``focus`` asks."""
    return any(kind in credits for kind in ANSWERS_TOO.get(focus, (focus,)))


def _idf(total: int, frequency: float) -> float:
    return math.log((total + 1) / (frequency + 0.5)) + 0.1
