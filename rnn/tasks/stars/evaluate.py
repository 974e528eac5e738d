"""The review-stars evaluation CLIs: python -m rnn.evaluate stars FILE and stars-contrast FILE."""
from __future__ import annotations

import argparse
from pathlib import Path

from rnn.data.reviews import read_reviews
from rnn.evaluate import print_result
from rnn.tasks.stars.batches import all_logits, make_examples
from rnn.tasks.stars.metrics import contrast_probabilities, contrast_scores, read_contrast_pairs, scores
from rnn.tasks.stars.model import TASK, StarsModel, load
from rnn.text import words


def evaluate_examples(model: StarsModel, token_lists: list[list[str]], gold: list[int]) -> dict[str, dict]:
    """Scores of the RNN and of the feed-forward baseline (each with its bundled offsets)."""
    data = make_examples(model.config, model.vocab, token_lists, gold)
    classes = model.config.classes
    return {
        which: scores(data.labels, (all_logits(model.net, data, which) + getattr(model.net, f"{which}_offset")).argmax(-1).tolist(), classes)
        for which in ("rnn", "ann")
    }


def eval_parser(task: str, what: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m rnn.evaluate {task}", description=f"Score a bundle on {what}.")
    p.add_argument("file", type=Path)
    p.add_argument("--bundle", type=Path, default=None, help=f"bundle folder (default assets/{task})")
    return p


def evaluate_cli(argv: list[str]) -> int:
    args = eval_parser(TASK, "a clothing-review CSV (plain or .gz); rows with empty Review Text are skipped").parse_args(argv)
    model = load(args.bundle)
    reviews = read_reviews(args.file)
    result = evaluate_examples(model, [words(r.text) for r in reviews], [r.stars - 1 for r in reviews])
    rnn, ann = result["rnn"], result["ann"]
    print_result({"accuracy": round(rnn["accuracy"], 4), "macro_f1": round(rnn["macro_f1"], 4), "mae": round(rnn["mae"], 4),
                  "n": len(reviews), "ann_accuracy": round(ann["accuracy"], 4), "ann_macro_f1": round(ann["macro_f1"], 4),
                  "ann_mae": round(ann["mae"], 4)})
    return 0


def evaluate_contrast_cli(argv: list[str]) -> int:
    args = eval_parser("stars-contrast", "minimal pairs: UTF-8 lines `more positive review<TAB>less positive review`, "
                        "# comments").parse_args(argv)
    model = load(args.bundle)
    pairs = read_contrast_pairs(args.file)
    rnn, ann = (contrast_scores(contrast_probabilities(model.net, model.vocab, pairs, which), len(pairs))
                for which in ("rnn", "ann"))
    print_result({"pair_accuracy": round(rnn["pair_accuracy"], 4), "polarity_accuracy": round(rnn["polarity_accuracy"], 4),
                  "ff_pair_accuracy": round(ann["pair_accuracy"], 4), "ff_polarity_accuracy": round(ann["polarity_accuracy"], 4),
                  "n_pairs": len(pairs)})
    return 0
