"""The SST-5 benchmark: the same two networks trained on every labelled phrase of the SST-5 train trees and
scored on whole sentences (python -m rnn.train sst5, python -m rnn.evaluate sst5 FILE)."""
from __future__ import annotations

from pathlib import Path

from rnn.data.sst import SST5_DIR, SST5_LABELS, read_trees
from rnn.evaluate import print_result
from rnn.tasks.stars.evaluate import eval_parser, evaluate_examples
from rnn.tasks.stars.model import SST_TASK, load_sst5
from rnn.tasks.stars.train import option_parser, sst_phrases, train_and_save


def train_sst5_cli(argv: list[str]) -> int:
    p = option_parser(SST_TASK, "Train the SST-5 benchmark model (all labelled phrases of the train trees).")
    p.add_argument("--data-dir", type=Path, default=SST5_DIR)
    # 159k short phrases: bigger batches, fewer feed-forward epochs (the shipped bundle's settings).
    p.set_defaults(batch_size=128, epochs=8, ann_epochs=2, time_budget=1800)
    args = p.parse_args(argv)
    train_items = sst_phrases(args.data_dir)[: args.limit]
    dev = read_trees(args.data_dir / "dev.txt")
    return train_and_save(
        SST_TASK, argv, args, list(SST5_LABELS),
        [list(w) for w, _ in train_items], [y for _, y in train_items],
        [list(t.words) for t in dev], [t.label for t in dev],
        lambda m: m["accuracy"],
        {"key": "accuracy", "label": "SST-5 dev sentence accuracy", "format": "pct"},
        {"name": "Stanford Sentiment Treebank, fine-grained (SST-5): every distinct labelled phrase of the train trees",
         "licence": "no explicit licence (research use)",
         "attribution": "Socher et al. 2013, Recursive Deep Models for Semantic Compositionality Over a Sentiment Treebank."},
        "Trained on phrases, scored on whole dev sentences. Embeddings are learned from scratch (no GloVe).",
        "SST-5 benchmark: bidirectional GRU",
        [y for _, y in train_items],
    )


def evaluate_sst5_cli(argv: list[str]) -> int:
    args = eval_parser(SST_TASK, "an SST file of PTB trees (sentence-level accuracy)").parse_args(argv)
    model = load_sst5(args.bundle)
    trees = [t for t in read_trees(args.file) if t.words]
    result = evaluate_examples(model, [list(t.words) for t in trees], [t.label for t in trees])
    print_result({"accuracy": round(result["rnn"]["accuracy"], 4), "n": len(trees)})
    return 0
