"""Review stars (many-to-one): a bidirectional GRU reads a review and gives it 1 to 5 stars, beside a
feed-forward network on the bag of its one-hot words (the video's fixed slots, added up). The same code trains
the SST-5 benchmark model (task sst5).

API for the pages: load() -> StarsModel, predict(model, text) -> StarsResult (with a per-word trace).
CLIs: python -m rnn.train stars|sst5 [options]; python -m rnn.evaluate stars|sst5 FILE [--bundle DIR].
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from rnn.checkpoint import Bundle, bundle_dir, load_bundle, save_bundle
from rnn.data.reviews import REVIEWS_CSV, SPLIT_CSV, read_reviews, read_split, split_reviews
from rnn.data.sst import SST5_DIR, SST5_LABELS, read_trees
from rnn.evaluate import print_result
from rnn.nets.stars import StarsConfig, StarsPair, build_pair
from rnn.text import MAX_TOKENS, UNK, Vocab, tokenize, words
from rnn.trace import TaskResult, Trace
from rnn.training import count_parameters, fit

TASK, SST_TASK = "stars", "sst5"
# Hand-written minimal pairs (more positive review, less positive one): validation data for word order and negation.
CONTRAST_FILE = Path(__file__).resolve().parent.parent / "data" / "stars_contrast.tsv"
STAR_LABELS = ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]
READOUT_TITLE = "Stars if the review ended at this word (forward direction only)"


# ---------------------------------------------------------------------------------------------- inference
@dataclass
class StarsModel:
    """A loaded bundle: the RNN and the feed-forward baseline, their shared input vocabulary and card."""

    bundle: Bundle
    vocab: Vocab

    @property
    def net(self) -> StarsPair:
        return self.bundle.model

    @property
    def config(self) -> StarsConfig:
        return self.bundle.config

    @property
    def networks(self) -> int:
        """How many networks answer together: one (the feed-forward baseline is shown beside it, not averaged in)."""
        return 1

    @property
    def labels(self) -> list[str]:
        return list(self.config.labels)

    def recurrent_layers(self) -> dict[str, nn.Module]:
        return {"forward GRU": self.net.rnn.forward_gru, "backward GRU": self.net.rnn.backward_gru}


@dataclass(kw_only=True)
class StarsResult(TaskResult):
    """index is the answer's class (0-based; stars = index + 1), None when there was nothing to read."""

    index: int | None
    label: str | None
    probs: dict[str, float]
    ann_index: int | None
    ann_label: str | None
    ann_probs: dict[str, float]

    @property
    def stars(self) -> int | None:
        return None if self.index is None else self.index + 1

    @property
    def ann_stars(self) -> int | None:
        return None if self.ann_index is None else self.ann_index + 1


def load(directory: str | Path | None = None, task: str = TASK) -> StarsModel:
    """Read a bundle (default assets/<task>/). Raises rnn.checkpoint.BundleError when it is missing or broken."""
    bundle = load_bundle(task, directory or bundle_dir(task), StarsConfig, build_pair, ("words",))
    return StarsModel(bundle=bundle, vocab=bundle.vocabs["words"])


def load_sst5(directory: str | Path | None = None) -> StarsModel:
    return load(directory, SST_TASK)


def encode(config: StarsConfig, vocab: Vocab, tokens: Sequence[str]) -> list[int]:
    return vocab.encode(t.lower() for t in tokens) if config.lowercase else vocab.encode(tokens)


def _known(config: StarsConfig, vocab: Vocab, tokens: Sequence[str]) -> list[bool]:
    return vocab.known(t.lower() for t in tokens) if config.lowercase else vocab.known(tokens)


def _distribution(labels: list[str], probs: torch.Tensor) -> dict[str, float]:
    return {label: round(float(p), 4) for label, p in zip(labels, probs)}


def predict(model: StarsModel, text: str) -> StarsResult:
    """Stars for one text from both networks, with the RNN's per-word trace. Never raises on any string."""
    every = tokenize(text or "", MAX_TOKENS + 1)
    truncated, tokens = len(every) > MAX_TOKENS, [t.text for t in every[:MAX_TOKENS]]
    hidden = model.config.hidden
    if not tokens:
        empty = Trace(tokens=[], known=[], hidden=np.zeros((0, hidden), np.float32), readout_title=READOUT_TITLE,
                      hidden_backward=np.zeros((0, hidden), np.float32))
        return StarsResult(text=text or "", trace=empty, index=None, label=None, probs={}, ann_index=None,
                           ann_label=None, ann_probs={})
    labels = model.labels
    word_ids = encode(model.config, model.vocab, tokens)
    with torch.inference_mode():
        ids = torch.tensor([word_ids])
        lengths = torch.tensor([len(tokens)])
        logits, prefix_logits, states = model.net.rnn(ids, lengths)
        probs = torch.softmax(logits[0] + model.net.rnn_offset, -1)
        prefix_probs = torch.softmax(prefix_logits[0], -1)
        ann_probs = torch.softmax(model.net.ann(ids)[0] + model.net.ann_offset, -1)
    trace = Trace(
        tokens=tokens,
        known=_known(model.config, model.vocab, tokens),
        hidden=states[0, :, :hidden].numpy(),
        hidden_backward=states[0, :, hidden:].numpy(),
        readout=[_distribution(labels, row) for row in prefix_probs],
        readout_title=READOUT_TITLE,
        ids=word_ids,
    )
    index, ann_index = int(probs.argmax()), int(ann_probs.argmax())
    return StarsResult(text=text, trace=trace, truncated=truncated, index=index, label=labels[index],
                       probs=_distribution(labels, probs), ann_index=ann_index, ann_label=labels[ann_index],
                       ann_probs=_distribution(labels, ann_probs))


# ---------------------------------------------------------------------------------------------- metrics
def scores(gold: Sequence[int], predicted: Sequence[int], classes: int = 5) -> dict[str, float]:
    """accuracy, macro-F1 (over the classes that occur in gold or predictions) and mean absolute class error."""
    gold_a, pred_a = np.asarray(gold), np.asarray(predicted)
    if len(gold_a) == 0:
        return {"accuracy": 0.0, "macro_f1": 0.0, "mae": 0.0}
    f1s = []
    for c in range(classes):
        tp = int(((pred_a == c) & (gold_a == c)).sum())
        support, chosen = int((gold_a == c).sum()), int((pred_a == c).sum())
        if support or chosen:
            f1s.append(2 * tp / (support + chosen))
    return {
        "accuracy": float((gold_a == pred_a).mean()),
        "macro_f1": float(np.mean(f1s)),
        "mae": float(np.abs(gold_a - pred_a).mean()),
    }


def plain_words(text: str) -> str:
    """The words of a text without case or punctuation: "Not good, really bad." and "not good really bad" give the
    same, so a page can recognise an example however it was typed or linked."""
    return " ".join(w for w in words(text.lower()) if any(c.isalnum() for c in w))


def expected_stars(probs: dict[str, float]) -> float:
    """The mean of the star distribution (1-5): finer than the argmax, so a pair can differ within one class."""
    return sum((i + 1) * p for i, p in enumerate(probs.values()))


def contrast_summary(card: dict) -> str | None:
    """One sentence for the page: how both networks did on the card's contrast pairs (None when not measured)."""
    rnn = card.get("metrics", {})
    ff = next((v for k, v in card.get("baselines", {}).items() if k.startswith("Feed-forward")), {})
    keys = ("contrast_pair_accuracy", "contrast_polarity_accuracy")
    if not all(k in rnn and k in ff for k in keys):
        return None
    return (f"**Order and negation, measured.** On {card.get('contrast_pairs', 'the')} hand-written pairs of reviews with "
            "the same or nearly the same words, where order or negation decides which is the better one (*not bad, "
            "really good* / *not good, really bad*), the recurrent network gives the better review more stars in "
            f"**{rnn[keys[0]]:.0%}** of pairs and gets both sides right (4 or 5 stars against 1 or 2) in "
            f"**{rnn[keys[1]]:.0%}**; the feed-forward network: {ff[keys[0]]:.0%} and {ff[keys[1]]:.0%}.")


def read_contrast_pairs(path: str | Path) -> list[tuple[str, str]]:
    """Lines `more positive review<TAB>less positive review`; blank lines and lines starting with # skipped."""
    pairs = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not all(f.strip() for f in fields):
            raise ValueError(f"{path}:{number}: expected two reviews separated by one tab")
        pairs.append((fields[0].strip(), fields[1].strip()))
    return pairs


def contrast_scores(probs: torch.Tensor, pairs_count: int) -> dict[str, float]:
    """probs [2N, C]: row 2i the more positive review of pair i, row 2i+1 the less positive one.

    A pair is right when the first review's expected stars are strictly higher; its polarity is right when
    the first gets 4 stars or more and the second 2 or fewer (argmax).
    """
    stars = torch.arange(1, probs.shape[1] + 1, dtype=probs.dtype)
    expected = (probs * stars).sum(-1).view(pairs_count, 2)
    argmax = (probs.argmax(-1) + 1).view(pairs_count, 2)
    return {
        "pair_accuracy": float((expected[:, 0] > expected[:, 1]).float().mean()) if pairs_count else 0.0,
        "polarity_accuracy": float(((argmax[:, 0] >= 4) & (argmax[:, 1] <= 2)).float().mean()) if pairs_count else 0.0,
    }


def objective(metrics: dict[str, float]) -> float:
    """The one number model selection maximises on validation: accuracy, macro-F1 and MAE at once."""
    return metrics["accuracy"] + metrics["macro_f1"] - metrics["mae"]


def tune_offsets(logits: torch.Tensor, gold: Sequence[int], score: Callable[[dict], float], rounds: int = 3) -> torch.Tensor:
    """Per-class logit offsets (a learned class prior) that maximise score on the given (validation) logits.

    The data is skewed to 5 stars; plain argmax rarely says 2 or 3 stars, which costs macro-F1 and MAE.
    Coordinate ascent over a grid, class by class, keeping the last class at 0 (offsets are relative).
    """
    offsets = torch.zeros(logits.shape[1])
    grid = torch.linspace(-2.0, 2.0, 41)

    def value(o: torch.Tensor) -> float:
        return score(scores(gold, (logits + o).argmax(-1).tolist(), logits.shape[1]))

    best = value(offsets)
    for _ in range(rounds):
        for c in range(logits.shape[1] - 1):
            for g in grid:
                trial = offsets.clone()
                trial[c] = g
                v = value(trial)
                if v > best + 1e-9:
                    best, offsets = v, trial
    return offsets


# ---------------------------------------------------------------------------------------------- batches
@dataclass
class Examples:
    ids: list[list[int]]  # every list non-empty, at most MAX_TOKENS long
    labels: list[int]


def make_examples(config: StarsConfig, vocab: Vocab, token_lists: Sequence[Sequence[str]], labels: Sequence[int]) -> Examples:
    kept = [(encode(config, vocab, t[:MAX_TOKENS]), y) for t, y in zip(token_lists, labels) if t]
    return Examples([k[0] for k in kept], [k[1] for k in kept])


def collate(ids: Sequence[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad a batch with <pad> (0) -> (ids [B, T], lengths [B])."""
    lengths = torch.tensor([len(x) for x in ids])
    padded = torch.zeros(len(ids), int(lengths.max()), dtype=torch.long)
    for row, x in enumerate(ids):
        padded[row, : len(x)] = torch.tensor(x)
    return padded, lengths


def batches(data: Examples, batch_size: int, epoch: int) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Shuffled (seeded by epoch), bucketed by length so little time goes into padding."""
    rng = random.Random(epoch)
    order = list(range(len(data.ids)))
    rng.shuffle(order)
    out = []
    window = batch_size * 50
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: len(data.ids[i]))
        for b in range(0, len(chunk), batch_size):
            members = chunk[b : b + batch_size]
            ids, lengths = collate([data.ids[i] for i in members])
            out.append((ids, lengths, torch.tensor([data.labels[i] for i in members])))
    rng.shuffle(out)
    return out


def all_logits(net: nn.Module, data: Examples, which: str, batch_size: int = 256) -> torch.Tensor:
    """Logits [N, C] of the rnn or the ann for every example, in order (offsets not applied)."""
    order = sorted(range(len(data.ids)), key=lambda i: len(data.ids[i]))
    out = torch.zeros(len(order), len(net.config.labels))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            members = order[start : start + batch_size]
            ids, lengths = collate([data.ids[i] for i in members])
            out[members] = net.rnn(ids, lengths)[0] if which == "rnn" else net.ann(ids)
    return out


def contrast_probabilities(net: StarsPair, vocab: Vocab, pairs: Sequence[tuple[str, str]], which: str) -> torch.Tensor:
    """[2N, C] star distributions (the bundle's offsets applied) of the rnn or the ann for every review of pairs."""
    texts = [review for pair in pairs for review in pair]
    data = make_examples(net.config, vocab, [words(t) or [UNK] for t in texts], [0] * len(texts))
    return torch.softmax(all_logits(net, data, which) + getattr(net, f"{which}_offset"), -1)


def ordinal_penalty(logits: torch.Tensor, gold: torch.Tensor) -> torch.Tensor:
    """The expected distance |predicted class - true class| under the model's distribution (MAE-aware)."""
    classes = torch.arange(logits.shape[1], device=logits.device)
    distance = (classes[None, :] - gold[:, None]).abs().to(logits.dtype)
    return (torch.softmax(logits, -1) * distance).sum(-1).mean()


# ---------------------------------------------------------------------------------------------- training
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
        ids, _lengths, gold = batch
        logits = module(ids)
        return F.cross_entropy(logits, gold) + opts.ordinal_weight * ordinal_penalty(logits, gold)

    def rnn_loss(module: nn.Module, batch) -> torch.Tensor:
        ids, lengths, gold = batch
        if opts.word_dropout:  # teach the <unk> embedding: words the model never saw must still read as something
            drop = (torch.rand(ids.shape) < opts.word_dropout) & (ids > 0)
            ids = ids.masked_fill(drop, Vocab.unk_id)
        logits, prefix_logits, _ = module(ids, lengths)
        mask = torch.arange(ids.shape[1])[None, :] < lengths[:, None]
        prefix_gold = gold[:, None].expand_as(mask)
        prefix = F.cross_entropy(prefix_logits[mask], prefix_gold[mask])
        return F.cross_entropy(logits, gold) + opts.ordinal_weight * ordinal_penalty(logits, gold) + opts.prefix_weight * prefix

    common = dict(train_batches=lambda epoch: batches(train, opts.batch_size, epoch), monitor="objective",
                  patience=opts.patience, seed=opts.seed, weight_decay=opts.weight_decay)
    print("training the feed-forward (one-hot bag of words) baseline", file=sys.stderr)
    ann_fit = fit(net.ann, loss_of=ann_loss, validate=validate_with("ann"), epochs=opts.ann_epochs, lr=opts.lr,
                  time_budget_s=opts.time_budget_s / 6, **common)
    print("training the recurrent network", file=sys.stderr)
    rnn_fit = fit(net.rnn, loss_of=rnn_loss, validate=validate_with("rnn"), epochs=opts.epochs, lr=opts.lr,
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


def _parser(task: str, description: str) -> argparse.ArgumentParser:
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
    p.add_argument("--contrast", type=Path, default=CONTRAST_FILE,
                   help="minimal pairs scored every epoch and on the card (default: the repo's hand-written set)")
    return p


def _options(args: argparse.Namespace) -> TrainOptions:
    return TrainOptions(epochs=args.epochs, ann_epochs=args.ann_epochs, batch_size=args.batch_size, lr=args.lr,
                        ordinal_weight=args.ordinal_weight, prefix_weight=args.prefix_weight,
                        time_budget_s=args.time_budget, seed=args.seed, contrast_weight=args.contrast_weight)


def _train_and_save(task: str, argv: list[str], args: argparse.Namespace, labels: list[str],
                    train_tokens: list[list[str]], train_labels: list[int],
                    valid_tokens: list[list[str]], valid_labels: list[int],
                    score: Callable[[dict], float], headline: dict, data: dict, notes: str, title: str,
                    majority_labels: list[int]) -> int:
    """majority_labels: the labels the 'most common class' baseline counts (the task's own data, not added phrases)."""
    torch.set_num_threads(1)  # four engineers train on two shared cores: one thread each keeps it fair
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
    save_bundle(args.out, net, config, {"words": vocab}, card)
    print(f"saved {args.out}: RNN {metric_row}; feed-forward {card['baselines']}", file=sys.stderr)
    return 0


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
    p = _parser(TASK, "Train the review-stars RNN and its feed-forward baseline on the clothing reviews.")
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
        train_labels += [y for _, y in phrases]
        data = {**data, "name": data["name"] + f", plus {len(phrases):,} labelled phrases of the SST-5 train trees",
                "licence": data["licence"] + " (reviews); SST-5: no explicit licence, research use",
                "attribution": data["attribution"] + " SST-5: Socher et al. 2013."}
    return _train_and_save(
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


def train_sst5_cli(argv: list[str]) -> int:
    p = _parser(SST_TASK, "Train the SST-5 benchmark model (all labelled phrases of the train trees).")
    p.add_argument("--data-dir", type=Path, default=SST5_DIR)
    # 159k short phrases: bigger batches, fewer feed-forward epochs (the shipped bundle's settings).
    p.set_defaults(batch_size=128, epochs=8, ann_epochs=2, time_budget=1800)
    args = p.parse_args(argv)
    train_items = sst_phrases(args.data_dir)[: args.limit]
    dev = read_trees(args.data_dir / "dev.txt")
    return _train_and_save(
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


# ---------------------------------------------------------------------------------------------- evaluation
def evaluate_examples(model: StarsModel, token_lists: list[list[str]], gold: list[int]) -> dict[str, dict]:
    """Scores of the RNN and of the feed-forward baseline (each with its bundled offsets)."""
    data = make_examples(model.config, model.vocab, token_lists, gold)
    classes = model.config.classes
    return {
        which: scores(data.labels, (all_logits(model.net, data, which) + getattr(model.net, f"{which}_offset")).argmax(-1).tolist(), classes)
        for which in ("rnn", "ann")
    }


def _eval_parser(task: str, what: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m rnn.evaluate {task}", description=f"Score a bundle on {what}.")
    p.add_argument("file", type=Path)
    p.add_argument("--bundle", type=Path, default=None, help=f"bundle folder (default assets/{task})")
    return p


def evaluate_cli(argv: list[str]) -> int:
    args = _eval_parser(TASK, "a clothing-review CSV (plain or .gz); rows with empty Review Text are skipped").parse_args(argv)
    model = load(args.bundle)
    reviews = read_reviews(args.file)
    result = evaluate_examples(model, [words(r.text) for r in reviews], [r.stars - 1 for r in reviews])
    rnn, ann = result["rnn"], result["ann"]
    print_result({"accuracy": round(rnn["accuracy"], 4), "macro_f1": round(rnn["macro_f1"], 4), "mae": round(rnn["mae"], 4),
                  "n": len(reviews), "ann_accuracy": round(ann["accuracy"], 4), "ann_macro_f1": round(ann["macro_f1"], 4),
                  "ann_mae": round(ann["mae"], 4)})
    return 0


def evaluate_sst5_cli(argv: list[str]) -> int:
    args = _eval_parser(SST_TASK, "an SST file of PTB trees (sentence-level accuracy)").parse_args(argv)
    model = load_sst5(args.bundle)
    trees = [t for t in read_trees(args.file) if t.words]
    result = evaluate_examples(model, [list(t.words) for t in trees], [t.label for t in trees])
    print_result({"accuracy": round(result["rnn"]["accuracy"], 4), "n": len(trees)})
    return 0


def evaluate_contrast_cli(argv: list[str]) -> int:
    args = _eval_parser("stars-contrast", "minimal pairs: UTF-8 lines `more positive review<TAB>less positive review`, "
                        "# comments").parse_args(argv)
    model = load(args.bundle)
    pairs = read_contrast_pairs(args.file)
    rnn, ann = (contrast_scores(contrast_probabilities(model.net, model.vocab, pairs, which), len(pairs))
                for which in ("rnn", "ann"))
    print_result({"pair_accuracy": round(rnn["pair_accuracy"], 4), "polarity_accuracy": round(rnn["polarity_accuracy"], 4),
                  "ff_pair_accuracy": round(ann["pair_accuracy"], 4), "ff_polarity_accuracy": round(ann["polarity_accuracy"], 4),
                  "n_pairs": len(pairs)})
    return 0
