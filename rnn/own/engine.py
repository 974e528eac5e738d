"""Training on a teacher's sentences, bounded for a shared classroom server: both networks on one core within a
time budget, and at most one training per server process at a time (the others wait in TRAINING_QUEUE).

A Training is made before it runs and keeps every epoch it finished: a page whose run is interrupted (its stop
button, a new click) still has both networks as they were after their last epoch.
"""
from __future__ import annotations

import contextlib
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import torch
from torch import nn
from torch.nn import functional as F

from rnn.checkpoint import Bundle
from rnn.own.data import OwnData
from rnn.own.model import (FEED_FORWARD_NAME, MAX_VOCAB, RNN_NAME, OwnConfig, OwnModel, OwnPair, OwnRNN, encode,
                           one_word_apart, tokens_of)
from rnn.text import Vocab
from rnn.training import count_parameters, fit, one_thread

DEFAULT_SECONDS = 45.0  # of one core, both networks together
MAX_SECONDS = 60.0
DEFAULT_EPOCHS = 20
# A small dataset is a few batches an epoch: it gets more epochs, so that every network makes this many updates.
MIN_UPDATES = 300
MAX_EPOCHS = 100
FEED_FORWARD_SHARE = 0.2  # of the budget; it trains first and is quick
BATCH = 32
LEARNING_RATES = {RNN_NAME: 1e-2, FEED_FORWARD_NAME: 1e-2}
POLL_S = 0.5


class TrainingQueue:
    """One training at a time in this process; the others wait their turn, told how many are ahead of them."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._tickets: list[object] = []

    def __len__(self) -> int:
        with self._changed:
            return len(self._tickets)

    @contextlib.contextmanager
    def turn(self, on_wait: Callable[[int], None] | None = None) -> Iterator[None]:
        """Wait until every training queued before this one is done, then hold the turn for the with-block.
        on_wait(how many are ahead) is called while waiting, every POLL_S (so a page can show it, or be stopped)."""
        ticket = object()
        with self._changed:
            self._tickets.append(ticket)
        try:
            while (ahead := self._ahead(ticket)) > 0:
                if on_wait is not None:
                    on_wait(ahead)
                with self._changed:
                    self._changed.wait(POLL_S)
            yield
        finally:
            with self._changed:
                self._tickets.remove(ticket)
                self._changed.notify_all()

    def _ahead(self, ticket: object) -> int:
        with self._changed:
            return self._tickets.index(ticket)


TRAINING_QUEUE = TrainingQueue()


@dataclass
class Training:
    """Both networks, their data and every epoch they finished; run() trains, result() packs the model."""

    data: OwnData
    vocab: Vocab
    config: OwnConfig
    pair: OwnPair
    batches: dict[str, tuple[torch.Tensor, ...]]
    history: dict[str, list[dict]] = field(default_factory=lambda: {RNN_NAME: [], FEED_FORWARD_NAME: []})
    seconds: float = 0.0
    out_of_time: bool = False
    command: str = ""

    @property
    def networks(self) -> dict[str, nn.Module]:
        """In training order: the quick feed-forward network first, so a stopped run still has it trained."""
        return {FEED_FORWARD_NAME: self.pair.ff, RNN_NAME: self.pair.rnn}

    def run(self, seconds: float = DEFAULT_SECONDS, epochs: int = DEFAULT_EPOCHS,
            on_epoch: Callable[[str, dict], None] | None = None) -> None:
        """Train the feed-forward network, then the RNN, within `seconds` of one core (capped at MAX_SECONDS)."""
        started = time.monotonic()
        deadline = started + min(seconds, MAX_SECONDS)
        shares = {FEED_FORWARD_NAME: started + FEED_FORWARD_SHARE * min(seconds, MAX_SECONDS), RNN_NAME: deadline}
        try:
            # the budget is one core's; fit seeds torch's global generator: keep that to ourselves
            with one_thread(), torch.random.fork_rng():
                for name, net in self.networks.items():
                    self._fit(name, net, shares[name], epochs, on_epoch)
        finally:
            self.seconds = round(time.monotonic() - started, 1)

    def _fit(self, name: str, net: nn.Module, deadline: float, epochs: int, on_epoch) -> None:
        train, valid = self.batches["train"], self.batches["valid"]
        order = torch.Generator().manual_seed(0)
        batch = max(8, min(BATCH, len(train[0]) // 10))  # smaller batches for a few dozen sentences
        epochs = min(MAX_EPOCHS, max(epochs, math.ceil(MIN_UPDATES / math.ceil(len(train[0]) / batch))))

        def epoch_batches(epoch: int):
            permutation = torch.randperm(len(train[0]), generator=order)
            for start in range(0, len(permutation), batch):
                if start and time.monotonic() > deadline:
                    self.out_of_time = True
                    return
                index = permutation[start:start + batch]
                yield tuple(t[index] for t in train)

        def validate(model: nn.Module) -> dict[str, float]:
            logits = run_network(model, train)
            return {"train_fit_loss": float(F.cross_entropy(logits, train[-1])),
                    "train_accuracy": float((logits.argmax(-1) == train[-1]).float().mean()),
                    "valid_accuracy": accuracy(model, valid)}

        def record(model: nn.Module, row: dict) -> None:
            self.history[name].append(row)
            if on_epoch is not None:
                on_epoch(name, row)

        fit(net, train_batches=epoch_batches, loss_of=lambda model, b: F.cross_entropy(run_network(model, b), b[-1]),
            validate=validate, monitor="train_fit_loss", higher_is_better=False, epochs=epochs,
            lr=LEARNING_RATES[name], time_budget_s=max(0.0, deadline - time.monotonic()), progress=False,
            on_epoch=record, scheduler_step=lambda optimizer, epoch, _: _decay(optimizer, LEARNING_RATES[name], epoch, epochs))
        if len(self.history[name]) < epochs:  # fit stops early only when the budget is spent
            self.out_of_time = True

    def scores(self) -> dict[str, float]:
        """Held-out accuracy of each network as it is now, and of always guessing the most common label."""
        valid = self.batches["valid"]
        with torch.inference_mode():
            return {"rnn_accuracy": accuracy(self.pair.rnn, valid), "ff_accuracy": accuracy(self.pair.ff, valid),
                    "majority_accuracy": self.data.majority_accuracy()}

    def result(self, name: str, licence: str, demo: str | None = None,
               memory_pair: tuple[str, str] | None = None) -> OwnModel:
        """The trained pair as a model the pages use, with its card (data named `name`)."""
        self.pair.eval()
        for p in self.pair.parameters():
            p.requires_grad_(False)
        card = own_card(self, name, licence)
        bundle = Bundle(model=self.pair, config=self.config, vocabs={"words": self.vocab}, card=card)
        self.config.demo = demo or self.data.texts(self.data.valid)[0]
        return OwnModel(bundle=bundle, vocab=self.vocab, demo=self.config.demo,
                        memory_pair=memory_pair or one_word_apart(self.config.demo, self.vocab),
                        history={k: list(v) for k, v in self.history.items()})


def _decay(optimizer: torch.optim.Optimizer, start: float, epoch: int, epochs: int) -> None:
    """The learning rate falls linearly to a tenth of `start` by the last epoch: the last epochs settle, so the
    network the page keeps is not one noisy step away from a better one."""
    for group in optimizer.param_groups:
        group["lr"] = start * (1 - 0.9 * epoch / epochs)


def run_network(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """The RNN reads the letter trigrams too; the feed-forward network reads word ids by slot only."""
    ids, lengths, grams, _ = batch
    return model(ids, lengths, grams) if isinstance(model, OwnRNN) else model(ids, lengths)


def accuracy(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> float:
    with torch.inference_mode():
        return float((run_network(model, batch).argmax(-1) == batch[-1]).float().mean())


def prepare(data: OwnData, seed: int = 0) -> Training:
    """Vocabulary (the training rows' words, at most MAX_VOCAB), config and both networks with seeded weights."""
    tokens = [tokens_of(row.text) for row in data.rows]
    vocab = Vocab.build(([w.lower() for w in tokens[i]] for i in data.train), max_size=MAX_VOCAB)
    config = OwnConfig(vocab_size=len(vocab), labels=list(data.labels))
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        pair = OwnPair(config)
    batches = {}
    for part, indices in (("train", data.train), ("valid", data.valid)):
        ids, lengths, grams = encode([tokens[i] for i in indices], vocab, config)
        batches[part] = (ids, lengths, grams, torch.tensor(data.targets(indices)))
    return Training(data=data, vocab=vocab, config=config, pair=pair, batches=batches)


def own_card(training: Training, name: str, licence: str) -> dict:
    """The model card: held-out accuracy of the RNN beside the feed-forward network and the majority guess."""
    scores = training.scores()
    rnn_curve = training.history[RNN_NAME]
    return {
        "task": "own", "title": "Your sentences",
        "model": f"GRU ({training.config.hidden} units) over word and letter-trigram vectors, mean of its states",
        "parameters": count_parameters(training.pair.rnn),
        "data": {"name": name, "licence": licence, "train_size": len(training.data.train),
                 "valid_size": len(training.data.valid)},
        "command": training.command or "trained on the Your sentences page",
        "curve": rnn_curve, "metrics": {"accuracy": scores["rnn_accuracy"]},
        "baselines": {FEED_FORWARD_NAME: {"accuracy": scores["ff_accuracy"]},
                      "Always the most common label": {"accuracy": scores["majority_accuracy"]}},
        "headline": {"key": "accuracy", "label": "held-out accuracy", "value": scores["rnn_accuracy"], "format": "pct"},
        "train_seconds": training.seconds, "trained_on": "CPU (one core)", "vocabulary": len(training.vocab),
        "best_epoch": min(rnn_curve, key=lambda row: row["train_fit_loss"])["epoch"] if rnn_curve else None,
        "notes": "Held out: a fifth of the rows of each label, chosen with a fixed seed; neither network trained on them.",
    }
