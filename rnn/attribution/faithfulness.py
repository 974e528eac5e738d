"""python -m rnn.evaluate attribution TASK FILE: is the word the attribution ranks first really the one the answer
depends on? For each text, delete the word with the largest attribution (either sign), and separately a word chosen
at random (fixed seed), and measure how far the answer moves. A faithful attribution moves it much more.

The attribution occludes a word (replaces it by <unk>); the check deletes it, so the check is not the attribution
read back: it asks whether what occlusion found also holds when the word is really gone.

The answer, per task (FILE in the format python -m rnn.evaluate TASK reads): stars, the expected stars (a review
CSV); entities, the probability of the type the tagger gives the first word of its first name in each sentence,
over the other words (a CoNLL file); translate, the log-probability of one French word of the reference, chosen at
random, given the reference before it (English<TAB>French lines); autocomplete, the probability of the top guess
for each sentence's last word, over the words before it (one sentence a line).
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Callable, Iterator

import torch

from rnn.attribution.occlusion import METHOD, Attribution
from rnn.attribution.tasks import (entity_attribution, expected_stars_of, next_word_attribution, stars_attribution,
                                   translation_attribution)

# what each task's answer is, as the JSON line names it
ANSWERS = {"stars": "expected stars", "entities": "probability of the word's type",
           "translate": "log-probability of the French word", "autocomplete": "probability of the top next-word guess"}
# (the attribution, the answer with a word deleted, the positions that may be deleted)
Case = tuple[Attribution, Callable[[int], float], list[int]]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rnn.evaluate attribution", description=__doc__.splitlines()[0])
    p.add_argument("task", choices=tuple(ANSWERS))
    p.add_argument("file", type=Path, help="the task's evaluation format (stars: a clothing-review CSV, plain or .gz)")
    p.add_argument("--split", type=Path, default=None,
                   help="stars: a split.csv (row id -> split): score only the rows of --part (default: every row)")
    p.add_argument("--part", default="valid", help="which split of --split to score (default valid)")
    p.add_argument("--bundle", type=Path, default=None, help="bundle folder (default assets/TASK)")
    p.add_argument("--seed", type=int, default=0, help="seeds the random word of each text")
    p.add_argument("--limit", type=int, default=0, help="score only the first N texts (0: all)")
    return p


def without(items: list, position: int) -> list:
    return items[:position] + items[position + 1:]


def word_changes(cases: Iterator[Case], seed: int) -> tuple[list[float], list[float]]:
    """|change in the answer| when each text's top-attributed word is deleted, and when a random word is."""
    rng = random.Random(seed)
    top_changes, random_changes = [], []
    for found, answer_without, allowed in cases:
        if not allowed:
            continue
        top = next(t for t in found.ranked() if t in allowed)
        chosen = rng.choice(allowed)
        top_changes.append(abs(answer_without(top) - found.answer))
        random_changes.append(abs(answer_without(chosen) - found.answer))
    return top_changes, random_changes


# ---------------------------------------------------------------- each task's texts and answers


def stars_cases(model, token_lists: list[list[str]]) -> Iterator[Case]:
    """Reviews of one word are left out: deleting it leaves nothing to read."""
    from rnn.tasks.stars.model import encode

    for tokens in token_lists:
        if len(tokens) < 2:
            continue
        ids = encode(model.config, model.vocab, tokens)

        def answer_without(position: int, ids: list[int] = ids) -> float:
            with torch.inference_mode():
                return float(expected_stars_of(model, torch.tensor([without(ids, position)]))[0])

        yield stars_attribution(model, tokens), answer_without, list(range(len(tokens)))


def entity_cases(model, token_lists: list[list[str]]) -> Iterator[Case]:
    """The word explained is never deleted (its own tag would be gone); sentences the tagger finds no name in are
    left out."""
    from rnn.tasks.entities import tag_sentences

    for tokens, tags in zip(token_lists, tag_sentences(model, token_lists)):
        named = [i for i, tag in enumerate(tags) if tag != "O"]
        if not named or len(tokens) < 2:
            continue
        index, kind = named[0], tags[named[0]][2:]

        def answer_without(position: int, tokens: list[str] = tokens, index: int = index, kind: str = kind) -> float:
            return entity_attribution(model, without(tokens, position), index - (position < index), kind).answer

        yield entity_attribution(model, tokens, index, kind), answer_without, without(list(range(len(tokens))), index)


def translate_cases(model, pairs: list[tuple[str, str]], seed: int) -> Iterator[Case]:
    from rnn.tasks.translate.model import english_tokens, french_tokens

    pick = random.Random(seed + 1)  # apart from the random word's generator, so the French word does not move it
    for english, french in pairs:
        source, target = english_tokens(english), [*french_tokens(french), "<eos>"]
        if len(source) < 2:
            continue
        position = pick.randrange(len(target))

        def answer_without(p: int, source: list[str] = source, target: list[str] = target, at: int = position) -> float:
            return translation_attribution(model, without(source, p), target, at).answer

        yield translation_attribution(model, source, target, position), answer_without, list(range(len(source)))


def autocomplete_cases(model, sentences: list[str]) -> Iterator[Case]:
    from rnn.tasks.autocomplete.words import lm_tokens

    for sentence in sentences:
        context = [t.text for t in lm_tokens(sentence)][:-1]
        if len(context) < 2:
            continue
        found = next_word_attribution(model, context)

        def answer_without(position: int, context: list[str] = context, guess: str = found.target) -> float:
            return next_word_attribution(model, without(context, position), guess=guess).answer

        yield found, answer_without, list(range(len(context)))


def _cases(args: argparse.Namespace) -> Iterator[Case]:
    from rnn.tasks import task_module
    from rnn.text import MAX_TOKENS, words

    model = task_module(args.task).load(args.bundle)
    limit = args.limit or None
    if args.task == "stars":
        from rnn.data.reviews import read_reviews, read_split, split_reviews

        reviews = read_reviews(args.file)
        if args.split is not None:
            reviews = split_reviews(reviews, read_split(args.split)).get(args.part, [])
        return stars_cases(model, [words(r.text, MAX_TOKENS) for r in reviews[:limit]])
    if args.task == "entities":
        from rnn.data.conll import read_conll

        return entity_cases(model, [s.tokens[:MAX_TOKENS] for s in read_conll(args.file)[:limit]])
    if args.task == "translate":
        from rnn.data.tatoeba import read_pairs

        return translate_cases(model, read_pairs(args.file)[:limit], args.seed)
    from rnn.data.sentences import read_lines

    return autocomplete_cases(model, list(read_lines(args.file))[:limit])


def faithfulness_cli(argv: list[str]) -> int:
    from rnn.evaluate import print_result

    args = _parser().parse_args(argv)
    torch.set_num_threads(1)
    top, chosen = word_changes(_cases(args), args.seed)
    if not top:
        print("no text of two or more words to score", file=sys.stderr)
        return 1
    top_mean, random_mean = sum(top) / len(top), sum(chosen) / len(chosen)
    print(f"{len(top)} texts: deleting the top word moves the {ANSWERS[args.task]} by {top_mean:.3f} on average, "
          f"a random word by {random_mean:.3f}", file=sys.stderr)
    print_result({"top_word_change": round(top_mean, 4), "random_word_change": round(random_mean, 4), "n": len(top),
                  "method": METHOD, "ratio": round(top_mean / max(random_mean, 1e-9), 2), "removal": "deleted",
                  "answer": ANSWERS[args.task]})
    return 0
