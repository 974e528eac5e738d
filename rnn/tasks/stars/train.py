"""Training: both networks on one split, the bundle and its card, and the review-stars CLI
(python -m rnn.train stars); the SST-5 benchmark's CLI reuses the parser and train_and_save."""
from __future__ import annotations

import argparse
import copy
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from rnn.checkpoint import bundle_dir, save_bundle
from rnn.data.reviews import REVIEWS_CSV, SPLIT_CSV, read_reviews, read_split, split_reviews
from rnn.data.sst import SST5_DIR, read_trees
from rnn.nets.stars import StarsConfig, StarsNet, StarsPair
from rnn.tasks.stars.batches import Examples, all_logits, batches, make_examples
from rnn.tasks.stars.metrics import (CONTRAST_FILE, contrast_probabilities, contrast_scores, objective,
                                     ordinal_penalty, read_contrast_pairs, scores, tune_offsets)
from rnn.tasks.stars.model import STAR_LABELS, TASK, StarsModel, load
from rnn.text import Vocab, words
from rnn.training import count_parameters, fit


@dataclass
class TrainOptions:
    epochs: int = 12
    ann_epochs: int = 8
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 0.0
    ordinal_weight: float = 0.5
    prefix_weight: float = 0.3
    word_dropout: float = 0.05
    patience: int = 3
    time_budget_s: float = 27 * 60
    seed: int = 1
    contrast_weight: float = 0.0  # model selection: objective + this x contrast polarity accuracy
    phrase_head: bool = False  # labels >= classes are another corpus's phrases, read by a head of their own
    teacher_weight: float = 0.5  # with targets (teachers' distributions): their share of what the RNN learns


class WithPhraseHead(nn.Module):
    """Training only: the RNN plus a second whole-text head for the labelled phrases of another corpus (SST-5).

    Both heads read the same pooled states, so what the phrases teach the reader ("not bad" is good) reaches the
    reviews' head; but the phrases' own star scale (no neutral, far fewer 5s) no longer pulls the reviews' head
    away from the reviews' scale. The phrase head is thrown away after training: the bundle keeps the RNN.
    """

    def __init__(self, rnn: StarsNet):
        super().__init__()
        self.rnn = rnn
        self.phrase_head = copy.deepcopy(rnn.head)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, gold: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(whole-text logits, a phrase's (gold >= classes) from the phrase head; prefix logits; gold as 0..classes-1)."""
        logits, prefix_logits, states = self.rnn(ids, lengths)
        classes = logits.shape[1]
        phrase = gold >= classes
        if phrase.any():
            logits = torch.where(phrase[:, None], self.phrase_head(self.rnn.pooled(states, lengths)), logits)
        return logits, prefix_logits, gold % classes


def blended_cross_entropy(logits: torch.Tensor, gold: torch.Tensor, targets: torch.Tensor | None,
                          weight: float) -> torch.Tensor:
    """Cross-entropy against (1 - weight) x the gold class + weight x targets (the teachers' distribution);
    the plain cross-entropy when there are no targets."""
    if targets is None:
        return F.cross_entropy(logits, gold)
    blend = (1 - weight) * F.one_hot(gold, logits.shape[1]) + weight * targets
    return -(blend * torch.log_softmax(logits, -1)).sum(-1).mean()


def train_pair(config: StarsConfig, train: Examples, valid: Examples, opts: TrainOptions,
               score: Callable[[dict], float], vocab: Vocab | None = None,
               contrast: Sequence[tuple[str, str]] = (), start: StarsPair | None = None) -> tuple[StarsPair, dict]:
    """Train the feed-forward baseline and the RNN on the same split; tune both one's offsets on valid.

    With contrast pairs (and the vocab to read them), each epoch's curve row also scores them (offsets not yet
    tuned then); model selection still uses score alone. start: trained networks to continue from (same config).
    """
    net = StarsPair(config)
    if start is not None:
        net.load_state_dict(start.state_dict())
    classes = config.classes

    def validate_with(which: str) -> Callable[[nn.Module], dict[str, float]]:
        def validate(_module: nn.Module) -> dict[str, float]:
            metrics = scores(valid.labels, all_logits(net, valid, which).argmax(-1).tolist(), classes)
            row = {**metrics, "objective": score(metrics)}
            if contrast and vocab is not None:
                row.update(contrast_scores(contrast_probabilities(net, vocab, contrast, which), len(contrast)))
                row["objective"] += opts.contrast_weight * row["polarity_accuracy"]
            return row
        return validate

    def ann_loss(module: nn.Module, batch) -> torch.Tensor:
        ids, _lengths, gold, _targets = batch
        gold = gold % classes  # the bag of words has one head for reviews and phrases alike
        logits = module(ids)
        return F.cross_entropy(logits, gold) + opts.ordinal_weight * ordinal_penalty(logits, gold)

    def rnn_loss(module: nn.Module, batch) -> torch.Tensor:
        ids, lengths, gold, targets = batch
        if opts.word_dropout:  # teach the <unk> embedding: words the model never saw must still read as something
            drop = (torch.rand(ids.shape) < opts.word_dropout) & (ids > 0)
            ids = ids.masked_fill(drop, Vocab.unk_id)
        if isinstance(module, WithPhraseHead):
            logits, prefix_logits, gold = module(ids, lengths, gold)
        else:
            logits, prefix_logits, _ = module(ids, lengths)
        mask = torch.arange(ids.shape[1])[None, :] < lengths[:, None]
        prefix_gold = gold[:, None].expand_as(mask)
        prefix = F.cross_entropy(prefix_logits[mask], prefix_gold[mask])
        whole = blended_cross_entropy(logits, gold, targets, opts.teacher_weight)
        return whole + opts.ordinal_weight * ordinal_penalty(logits, gold) + opts.prefix_weight * prefix

    common = dict(train_batches=lambda epoch: batches(train, opts.batch_size, epoch), monitor="objective",
                  patience=opts.patience, seed=opts.seed, weight_decay=opts.weight_decay)
    print("training the feed-forward (one-hot bag of words) baseline", file=sys.stderr)
    ann_fit = fit(net.ann, loss_of=ann_loss, validate=validate_with("ann"), epochs=opts.ann_epochs, lr=opts.lr,
                  time_budget_s=opts.time_budget_s / 6, **common)
    print("training the recurrent network", file=sys.stderr)
    trainee = WithPhraseHead(net.rnn) if opts.phrase_head else net.rnn
    rnn_fit = fit(trainee, loss_of=rnn_loss, validate=validate_with("rnn"), epochs=opts.epochs, lr=opts.lr,
                  time_budget_s=opts.time_budget_s, **common)
    net.eval()
    # the bundle stores float16: tune and measure the weights that ship (near-ties in a pair can flip otherwise)
    net.load_state_dict({k: v.half().to(v.dtype) if v.is_floating_point() else v for k, v in net.state_dict().items()})
    for which, fitted in (("ann", ann_fit), ("rnn", rnn_fit)):
        logits = all_logits(net, valid, which)
        getattr(net, f"{which}_offset").copy_(tune_offsets(logits, valid.labels, score))
    report = {
        "ann": scores(valid.labels, (all_logits(net, valid, "ann") + net.ann_offset).argmax(-1).tolist(), classes),
        "rnn": scores(valid.labels, (all_logits(net, valid, "rnn") + net.rnn_offset).argmax(-1).tolist(), classes),
        "ann_untuned": ann_fit.best_metrics,
        "rnn_curve": rnn_fit.curve,
        "ann_seconds": ann_fit.seconds,
        "rnn_seconds": rnn_fit.seconds,
        "rnn_best_epoch": rnn_fit.best_epoch,
        "rnn_untuned": rnn_fit.best_metrics,
    }
    return net, report


def option_parser(task: str, description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m rnn.train {task}", description=description)
    d = TrainOptions()
    p.add_argument("--out", type=Path, default=bundle_dir(task), help=f"bundle folder (default assets/{task})")
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--ann-epochs", type=int, default=d.ann_epochs)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--ordinal-weight", type=float, default=d.ordinal_weight)
    p.add_argument("--prefix-weight", type=float, default=d.prefix_weight)
    p.add_argument("--embed", type=int, default=128)
    p.add_argument("--hidden", type=int, default=64, help="GRU units per direction")
    p.add_argument("--min-freq", type=int, default=2, help="rarer training words become <unk>")
    p.add_argument("--limit", type=int, default=None, help="train on the first N examples only (smoke runs)")
    p.add_argument("--time-budget", type=float, default=d.time_budget_s, help="seconds; the RNN stops after the epoch that passes it")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--init", type=Path, default=None, metavar="BUNDLE",
                   help="start from this trained bundle (its vocabulary and sizes) instead of from scratch")
    p.add_argument("--contrast-weight", type=float, default=d.contrast_weight,
                   help="pick the epoch by the validation objective plus this times the contrast polarity accuracy")
    p.add_argument("--teacher", nargs="+", type=Path, default=[], metavar="BUNDLE",
                   help="distil: the RNN also learns these trained bundles' mean star distribution for each review "
                        "(each reads it with its own vocabulary); added phrases keep their own label")
    p.add_argument("--teacher-weight", type=float, default=d.teacher_weight,
                   help="with --teacher: the teachers' share of the target (the rest is the review's own stars)")
    p.add_argument("--phrase-head", action="store_true",
                   help="with added phrases: train them through a head of their own, so the reviews' head keeps the "
                        "reviews' star scale (the head is dropped after training)")
    p.add_argument("--contrast", type=Path, default=CONTRAST_FILE,
                   help="minimal pairs scored every epoch and on the card (default: the repo's hand-written set)")
    return p


def _options(args: argparse.Namespace) -> TrainOptions:
    return TrainOptions(epochs=args.epochs, ann_epochs=args.ann_epochs, batch_size=args.batch_size, lr=args.lr,
                        ordinal_weight=args.ordinal_weight, prefix_weight=args.prefix_weight,
                        time_budget_s=args.time_budget, seed=args.seed, contrast_weight=args.contrast_weight,
                        phrase_head=args.phrase_head, teacher_weight=args.teacher_weight)


def train_and_save(task: str, argv: list[str], args: argparse.Namespace, labels: list[str],
                   train_tokens: list[list[str]], train_labels: list[int],
                   valid_tokens: list[list[str]], valid_labels: list[int],
                   score: Callable[[dict], float], headline: dict, data: dict, notes: str, title: str,
                   majority_labels: list[int]) -> int:
    """majority_labels: the labels the 'most common class' baseline counts (the task's own data, not added phrases)."""
    torch.set_num_threads(1)  # small batches gain little from more threads, and the CPU is often shared with other runs
    started = time.monotonic()
    if args.init:  # continue a trained bundle: its vocabulary and sizes stay, new words read as <unk>
        start = load(args.init, task)
        vocab, config = start.vocab, start.config
        start_net: StarsPair | None = start.net
    else:
        vocab = Vocab.build([[w.lower() for w in t] for t in train_tokens], min_freq=args.min_freq)
        config = StarsConfig(vocab_size=len(vocab), labels=labels, embed=args.embed, hidden=args.hidden)
        start_net = None
    train = make_examples(config, vocab, train_tokens, train_labels)
    teachers = [load(directory, task) for directory in args.teacher]
    if teachers:
        train.targets = teacher_targets(teachers, train_tokens, train_labels, len(majority_labels), config.classes)
    valid = make_examples(config, vocab, valid_tokens, valid_labels)
    print(f"{len(train.ids)} training / {len(valid.ids)} validation examples, vocabulary {len(vocab)}", file=sys.stderr)
    contrast = read_contrast_pairs(args.contrast) if args.contrast else []
    net, report = train_pair(config, train, valid, _options(args), score, vocab, contrast, start_net)
    if contrast:
        for which in ("rnn", "ann"):  # after the offsets: what the page shows
            measured = contrast_scores(contrast_probabilities(net, vocab, contrast, which), len(contrast))
            report[which].update({f"contrast_{k}": v for k, v in measured.items()})
    keys = list(report["rnn"])
    metric_row = {k: round(report["rnn"][k], 4) for k in keys}
    card = {
        "task": task,
        "title": title,
        "model": f"word embeddings ({config.embed}) → bidirectional GRU ({config.hidden} per direction) → max+mean pooling → softmax",
        "parameters": count_parameters(net.rnn),
        "data": {**data, "train_size": len(train.ids), "valid_size": len(valid.ids)},
        # a continued bundle is rebuilt by the command of the one it started from, then this one
        "command": " && ".join([*([start.bundle.card.get("command", "")] if args.init else []),
                                " ".join(["python -m rnn.train", task, *argv])]),
        "curve": report["rnn_curve"],
        "metrics": metric_row,
        "baselines": {
            f"Feed-forward network (one-hot bag of words, {config.ann_hidden} hidden units; "
            f"{count_parameters(net.ann):,} parameters)": {k: round(report["ann"][k], 4) for k in keys},
            "Always the most common class": {k: round(v, 4) for k, v in _majority(valid.labels, majority_labels, config.classes).items()},
        },
        "headline": {**headline, "value": round(report["rnn"][headline["key"]], 4)},
        # a continued bundle's time includes the time of the one it started from
        "train_seconds": round(time.monotonic() - started + (start.bundle.card.get("train_seconds", 0) if args.init else 0)),
        "notes": notes + f" Best epoch {report['rnn_best_epoch']}; before the offsets the RNN scored "
                 + ", ".join(f"{k} {v:.3f}" for k, v in report["rnn_untuned"].items()) + ".",
        "vocabulary": len(vocab),
        "offsets": {"rnn": [round(float(v), 2) for v in net.rnn_offset], "ann": [round(float(v), 2) for v in net.ann_offset]},
    }
    if contrast:
        card["contrast_pairs"] = len(contrast)
    if teachers:
        card["model"] += (f", distilled from {len(teachers)} network{'s' if len(teachers) > 1 else ''} "
                          f"(weight {args.teacher_weight:g})")
        card["teachers"] = [{"model": t.bundle.card.get("title", "") + ": " + t.bundle.card.get("model", ""),
                             "command": t.bundle.card.get("command", "")} for t in teachers]
    save_bundle(args.out, net, config, {"words": vocab}, card)
    print(f"saved {args.out}: RNN {metric_row}; feed-forward {card['baselines']}", file=sys.stderr)
    return 0


def teacher_targets(teachers: Sequence[StarsModel], token_lists: Sequence[Sequence[str]], labels: Sequence[int],
                    taught: int, classes: int) -> torch.Tensor:
    """[N, classes] for the examples make_examples keeps (non-empty texts): the teachers' mean star distribution for the
    first `taught` texts (the reviews, each teacher reading with its own vocabulary), the label itself for the rest."""
    kept = [i for i, tokens in enumerate(token_lists) if tokens]
    reviews, phrases = [i for i in kept if i < taught], [i for i in kept if i >= taught]
    targets = torch.zeros(len(token_lists), classes)
    for teacher in teachers:
        data = make_examples(teacher.config, teacher.vocab, [token_lists[i] for i in reviews], [0] * len(reviews))
        targets[reviews] += torch.softmax(all_logits(teacher.net, data, "rnn"), -1) / len(teachers)
    targets[phrases] = F.one_hot(torch.tensor([labels[i] % classes for i in phrases], dtype=torch.long), classes).float()
    return targets[kept]


def _majority(valid_labels: list[int], train_labels: list[int], classes: int) -> dict[str, float]:
    common = max(range(classes), key=train_labels.count)
    return scores(valid_labels, [common] * len(valid_labels), classes)


def sst_phrases(data_dir: Path) -> list[tuple[tuple[str, ...], int]]:
    """Every distinct labelled phrase of the SST-5 train trees (words, class 0..4), first label kept."""
    phrases: dict[tuple[str, ...], int] = {}
    for tree in read_trees(data_dir / "train.txt"):
        for phrase in tree.phrases:
            phrases.setdefault(phrase.words, phrase.label)
    return list(phrases.items())


def train_cli(argv: list[str]) -> int:
    p = option_parser(TASK, "Train the review-stars RNN and its feed-forward baseline on the clothing reviews.")
    p.add_argument("--data", type=Path, default=REVIEWS_CSV)
    p.add_argument("--split", type=Path, default=SPLIT_CSV)
    p.add_argument("--sst-phrases", type=Path, nargs="?", const=SST5_DIR, default=None, metavar="SST5_DIR",
                   help="also train on every labelled phrase of SST-5's train trees (very negative = 1 star ... "
                        "very positive = 5): short phrases such as 'not bad' teach negation, which clothing reviews rarely show")
    p.add_argument("--sst-skip-neutral", action="store_true",
                   help="leave out the neutral SST phrases (mostly fragments such as 'the film'), which teach that a "
                        "short text is worth 3 stars")
    args = p.parse_args(argv)
    groups = split_reviews(read_reviews(args.data), read_split(args.split))
    train_rows, valid_rows = groups.get("train", [])[: args.limit], groups.get("valid", [])
    train_tokens, train_labels = [words(r.text) for r in train_rows], [r.stars - 1 for r in train_rows]
    data = {"name": "Women's E-Commerce Clothing Reviews (review text → 1-5 stars)", "licence": "CC0 1.0",
            "attribution": "Nick Brooks (nicapotato), Kaggle 2018: anonymised reviews from a clothing web shop."}
    if args.sst_phrases:
        phrases = [(w, y) for w, y in sst_phrases(args.sst_phrases) if not (args.sst_skip_neutral and y == 2)][: args.limit]
        train_tokens += [list(w) for w, _ in phrases]
        train_labels += [y + (len(STAR_LABELS) if args.phrase_head else 0) for _, y in phrases]
        data = {**data, "name": data["name"] + f", plus {len(phrases):,} labelled phrases of the SST-5 train trees",
                "licence": data["licence"] + " (reviews); SST-5: no explicit licence, research use",
                "attribution": data["attribution"] + " SST-5: Socher et al. 2013."}
    return train_and_save(
        TASK, argv, args, STAR_LABELS,
        train_tokens, train_labels,
        [words(r.text) for r in valid_rows], [r.stars - 1 for r in valid_rows],
        objective,
        {"key": "accuracy", "label": "validation accuracy", "format": "pct"},
        data,
        "Model selection and the per-class decision offsets (a class prior against the 5-star skew) were tuned on "
        "validation by accuracy + macro-F1 − MAE; the same procedure was applied to the feed-forward network. "
        "MAE is in stars. The per-word chart comes from a forward-only head trained jointly on every prefix.",
        "Review stars: bidirectional GRU",
        [r.stars - 1 for r in train_rows],
    )
