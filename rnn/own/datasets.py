"""Ready-made datasets a teacher can start from, generated here from small grammars (no licence needed, nothing
downloaded). In each, word order or a word far along decides the label, and each comes with a pair of sentences
that share their first 12 words and differ only after them: the feed-forward network reads 12 slots, so it must
give both the same answer; the RNN reads to the end."""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from rnn.own.data import to_csv

ROWS = 400


@dataclass(frozen=True)
class ReadyMade:
    title: str
    description: str
    rows: tuple[tuple[str, str], ...]  # (text, label)
    pair: tuple[tuple[str, str], tuple[str, str]]  # two (sentence, true label), alike in their first 12 words

    def csv(self) -> str:
        return to_csv(list(self.rows))


def _rows(make: Callable[[random.Random], tuple[str, str]], avoid: set[str], seed: int) -> tuple[tuple[str, str], ...]:
    """ROWS distinct generated rows, none of them one of the showcase sentences."""
    rng, seen = random.Random(seed), dict.fromkeys(avoid)
    rows = []
    while len(rows) < ROWS:
        text, label = make(rng)
        if text not in seen:
            seen[text] = None
            rows.append((text, label))
    return tuple(rows)


def _prefix(rng: random.Random, phrases: list[str], most: int) -> list[str]:
    return rng.sample(phrases, rng.randint(0, most))


OPINIONS = ["well", "honestly", "so", "ok", "to be fair", "if you ask me", "in the end", "all in all", "i must say",
            "after all that"]
THINGS = ["the film", "the food", "this phone", "the hotel", "the song", "my new bike", "the last show", "the trip"]
GOOD, BAD = ["good", "great", "nice", "lovely", "fine"], ["bad", "awful", "poor", "boring", "terrible"]


def _negation(rng: random.Random) -> tuple[str, str]:
    negated, adjective = rng.random() < 0.5, rng.choice(GOOD + BAD)
    words = [*_prefix(rng, OPINIONS, 4), rng.choice(THINGS), rng.choice(["was", "is", "seemed", "felt"]),
             *(["not"] if negated else []), *([rng.choice(["really", "very", "quite"])] if rng.random() < 0.3 else []),
             adjective]
    return " ".join(words), "positive" if (adjective in GOOD) != negated else "negative"


PARTS = ["the room", "the view", "the staff", "the food", "the price", "the music", "the bed", "the pool"]
DETAILS = ["we had", "on the top floor", "at the front", "they gave us", "on the first night", "by the window"]


def _but(rng: random.Random) -> tuple[str, str]:
    first, second = rng.sample(PARTS, 2)
    before, after = rng.choice(GOOD + BAD), rng.choice(GOOD + BAD)
    words = [first, *_prefix(rng, DETAILS, 2), "was", before, "but", second, "was", after]
    return " ".join(words), "positive" if after in GOOD else "negative"


ANIMALS = ["cat", "dog", "fox"]
WHEN_WHERE = ["this morning", "early", "in the big garden", "behind the old house", "after lunch", "yesterday",
              "near the river", "at night"]


def _who(rng: random.Random) -> tuple[str, str]:
    doer, other = rng.sample(ANIMALS, 2)
    verb = rng.choice(["chased", "bit", "followed", "pushed", "woke", "licked"])
    words = [*_prefix(rng, WHEN_WHERE, 3), "the", doer, verb, "the", other]
    return " ".join(words), doer


def _dataset(title: str, description: str, make: Callable, pair: tuple[tuple[str, str], tuple[str, str]],
             seed: int) -> ReadyMade:
    return ReadyMade(title, description, _rows(make, {pair[0][0], pair[1][0]}, seed), pair)


READY_MADE = {
    "negation": _dataset(
        "Not good, not bad", "Short reviews, positive or negative; *not* flips the meaning, and a few opening words "
        "push it further along.", _negation,
        (("well honestly if you ask me to be fair the film was not good", "negative"),
         ("well honestly if you ask me to be fair the film was good", "positive")), seed=1),
    "but": _dataset(
        "…but what came after", "Two opinions joined by *but*: the one after it decides (the same words in the "
        "other order mean the opposite).", _but,
        (("the room we had on the top floor was awful but the view was lovely", "positive"),
         ("the room we had on the top floor was awful but the view was bad", "negative")), seed=2),
    "who": _dataset(
        "Who did it?", "Which animal did something to another: the one named first. Three labels, and only the "
        "order tells them apart.", _who,
        (("early this morning in the big garden behind the old house the dog chased the cat", "dog"),
         ("early this morning in the big garden behind the old house the cat chased the dog", "cat")), seed=3),
}
