"""The evaluation CLI: multi-reference BLEU and chrF of a translate bundle on a file of pairs."""
from __future__ import annotations

import argparse

from rnn.data.tatoeba import read_pairs
from rnn.tasks.translate.corpus import evaluate_pairs
from rnn.tasks.translate.model import load


def evaluate_cli(argv: list[str]) -> int:
    from rnn.evaluate import print_result

    p = argparse.ArgumentParser(prog="python -m rnn.evaluate translate",
                                description="Multi-reference BLEU/chrF of the translate model on a pairs file.")
    p.add_argument("file", help="lines English<TAB>French[<TAB>anything], plain or .gz")
    p.add_argument("--beam", type=int, default=1, help="beam width (1 = greedy)")
    p.add_argument("--bundle", default=None, help="bundle directory (default assets/translate)")
    args = p.parse_args(argv)
    pairs = read_pairs(args.file)
    if not pairs:
        print(f"no English<TAB>French pairs in {args.file}", flush=True)
        return 1
    print_result(evaluate_pairs(load(args.bundle), pairs, beam=max(1, args.beam), with_confidence=True))
    return 0
