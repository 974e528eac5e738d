"""python -m rnn.evaluate attribution TASK FILE: is the word the attribution ranks first really the one the answer
depends on? For each text, delete the word with the largest attribution (either sign), and separately a word chosen
at random (fixed seed), and measure how far the answer moves. A faithful attribution moves it much more.

The attribution occludes a word (replaces it by <unk>); the check deletes it, so the check is not the attribution
read back: it asks whether what occlusion found also holds when the word is really gone.
"""
from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import torch

from rnn.attribution.occlusion import METHOD
from rnn.attribution.tasks import expected_stars_of, stars_attribution

CHECKED_TASKS = ("stars",)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rnn.evaluate attribution", description=__doc__.splitlines()[0])
    p.add_argument("task", choices=CHECKED_TASKS)
    p.add_argument("file", type=Path, help="stars: a clothing-review CSV (plain or .gz), as python -m rnn.evaluate stars reads")
    p.add_argument("--split", type=Path, default=None,
                   help="a split.csv (row id -> split): score only the rows of --part (default: every row of FILE)")
    p.add_argument("--part", default="valid", help="which split of --split to score (default valid)")
    p.add_argument("--bundle", type=Path, default=None, help="bundle folder (default assets/TASK)")
    p.add_argument("--seed", type=int, default=0, help="seeds the random word of each text")
    p.add_argument("--limit", type=int, default=0, help="score only the first N texts (0: all)")
    return p


def without(ids: list[int], position: int) -> list[int]:
    return ids[:position] + ids[position + 1:]


def stars_changes(model, token_lists: list[list[str]], seed: int) -> tuple[list[float], list[float]]:
    """|change in expected stars| when each text's top-attributed word is deleted, and when a random word is.
    Texts of one word are skipped: deleting it leaves nothing to read."""
    from rnn.tasks.stars.batches import collate
    from rnn.tasks.stars.model import encode

    rng = random.Random(seed)
    top_changes, random_changes = [], []
    for tokens in token_lists:
        if len(tokens) < 2:
            continue
        top = stars_attribution(model, tokens).ranked()[0]
        chosen = rng.randrange(len(tokens))
        ids = encode(model.config, model.vocab, tokens)
        with torch.inference_mode():
            base, no_top, no_random = expected_stars_of(model, *collate([ids, without(ids, top), without(ids, chosen)])).tolist()
        top_changes.append(abs(no_top - base))
        random_changes.append(abs(no_random - base))
    return top_changes, random_changes


def _stars_texts(args: argparse.Namespace) -> list[list[str]]:
    from rnn.data.reviews import read_reviews, read_split, split_reviews
    from rnn.text import MAX_TOKENS, words

    reviews = read_reviews(args.file)
    if args.split is not None:
        reviews = split_reviews(reviews, read_split(args.split)).get(args.part, [])
    return [words(r.text, MAX_TOKENS) for r in reviews]


def faithfulness_cli(argv: list[str]) -> int:
    from rnn.evaluate import print_result
    from rnn.tasks.stars.model import load

    args = _parser().parse_args(argv)
    torch.set_num_threads(1)
    model = load(args.bundle)
    texts = _stars_texts(args)
    texts = texts[: args.limit] if args.limit else texts
    top, chosen = stars_changes(model, texts, args.seed)
    if not top:
        print("no text of two or more words to score", file=sys.stderr)
        return 1
    top_mean, random_mean = sum(top) / len(top), sum(chosen) / len(chosen)
    print(f"{len(top)} texts: deleting the top word moves the expected stars by {top_mean:.3f} on average, "
          f"a random word by {random_mean:.3f}", file=sys.stderr)
    print_result({"top_word_change": round(top_mean, 4), "random_word_change": round(random_mean, 4), "n": len(top),
                  "method": METHOD, "ratio": round(top_mean / max(random_mean, 1e-9), 2), "removal": "deleted",
                  "answer": "expected stars"})
    return 0
