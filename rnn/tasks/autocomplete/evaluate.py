"""python -m rnn.evaluate autocomplete FILE: the bundle's scores on other sentences, beside the n-gram's."""
from __future__ import annotations

import argparse

from rnn.checkpoint import bundle_dir
from rnn.data.sentences import TATOEBA, read_lines, tatoeba_split
from rnn.tasks.autocomplete.metrics import lstm_sentence_probs, ngram_for, score
from rnn.tasks.autocomplete.model import TASK, load


def evaluate_cli(argv: list[str]) -> int:
    from rnn.evaluate import print_result

    p = argparse.ArgumentParser(prog="python -m rnn.evaluate autocomplete FILE")
    p.add_argument("file", help="one sentence a line (plain or .gz)")
    p.add_argument("--bundle", default=str(bundle_dir(TASK)))
    p.add_argument("--train", default=str(TATOEBA), help="the n-gram baseline is fitted on this file's training split")
    args = p.parse_args(argv)
    model = load(args.bundle)
    sentences = list(read_lines(args.file))
    train_text, _ = tatoeba_split(args.train)
    lstm = score(sentences, lstm_sentence_probs(model), model.vocab)
    ngram = score(sentences, ngram_for(model.vocab, train_text).sentence_probs, model.vocab)
    print_result({**lstm, "ngram_perplexity": ngram["perplexity"], "ngram_keystroke_savings": ngram["keystroke_savings"],
                  "n_sentences": len(sentences)})
    return 0
