"""'Watch it learn': a tiny GRU and the video's feed-forward network trained live, side by side, on a
negation task generated from a small grammar (shipped as code, no dataset needed).

The catch the page shows: training sentences start with at most one filler word, so "not" only ever
stands in slots 4-5 (counting from 1, as the page does). The shifted test set puts three or four filler
words in front. The RNN reads "not" with the same weights wherever it stands; the feed-forward network has
one weight row per (slot, word) and has never trained the rows for "not" in slots 7-8.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from rnn.text import Vocab
from rnn.training import fit

SUBJECTS = ["the film", "the food", "this phone", "my day", "the hotel", "the song"]
VERBS = ["was", "is", "seemed", "looked"]
GOOD = ["good", "great", "nice", "fine"]
BAD = ["bad", "awful", "poor", "boring"]
FILLERS = ["well", "honestly", "so", "yes", "ok"]
LABELS = ("negative", "positive")
MAX_SLOTS = 12  # the feed-forward network's fixed input: 12 word slots
DEFAULT_EPOCHS = 15  # the page's starting point: both networks fit the training set, and they part ways on the shifted test
RNN_NAME, FEED_FORWARD_NAME = "RNN (GRU)", "Feed-forward (one-hot by slot)"


@dataclass(frozen=True)
class Example:
    words: tuple[str, ...]
    label: int  # 1 positive, 0 negative

    @property
    def text(self) -> str:
        return " ".join(self.words)


def _sentence(prefix: list[str], subject: str, verb: str, negated: bool, adjective: str) -> Example:
    words = [*prefix, *subject.split(), verb, *(["not"] if negated else []), adjective]
    positive = (adjective in GOOD) != negated
    return Example(tuple(words), int(positive))


def negation_data(seed: int = 0) -> tuple[list[Example], list[Example]]:
    """(training set, shifted test set). Training: no filler or one; test: three or four fillers first."""
    rng = random.Random(seed)
    grid = list(itertools.product(SUBJECTS, VERBS, (False, True), GOOD + BAD))
    train = [_sentence([f] if f else [], s, v, n, a) for (s, v, n, a), f in
             zip(grid, itertools.cycle([None, *FILLERS]))]
    shifted = [_sentence(rng.sample(FILLERS, rng.choice([3, 4])), s, v, n, a) for s, v, n, a in rng.sample(grid, 120)]
    return train, shifted


def not_slots(examples: list[Example]) -> list[int]:
    """The slots, counted from 1 as the page shows them, in which "not" stands somewhere in these sentences."""
    return sorted({e.words.index("not") + 1 for e in examples if "not" in e.words})


def watch_sentences(shifted: list[Example]) -> list[Example]:
    """The shifted sentences with "not", which stands there in a slot the feed-forward network never trained."""
    return [e for e in shifted if "not" in e.words]


def vocabulary() -> Vocab:
    return Vocab.build([w.split() for w in SUBJECTS] + [VERBS, GOOD, BAD, FILLERS, ["not"]])


class TinyRNN(nn.Module):
    """Embedding -> one GRU layer -> the last hidden state -> positive/negative."""

    def __init__(self, vocab_size: int, hidden: int = 16):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, 8)
        self.gru = nn.GRU(8, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 2)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        states, _ = self.gru(self.embed(ids))
        last = states[torch.arange(len(ids)), lengths - 1]
        return self.out(last)


class SlotFeedForward(nn.Module):
    """The video's feed-forward network: MAX_SLOTS one-hot vectors concatenated -> dense -> positive/negative.

    A dense layer on a concatenation of one-hot vectors is a sum of one weight row per (slot, word);
    an embedding table indexed by slot * vocab + word is exactly that, without building the huge input.
    """

    def __init__(self, vocab_size: int, hidden: int = 16, slots: int = MAX_SLOTS):
        super().__init__()
        self.vocab_size, self.slots = vocab_size, slots
        self.first = nn.EmbeddingBag(slots * vocab_size, hidden, mode="sum", padding_idx=None)
        self.bias = nn.Parameter(torch.zeros(hidden))
        self.out = nn.Linear(hidden, 2)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        ids = ids[:, : self.slots]
        slots = torch.arange(ids.shape[1]).expand_as(ids)
        rows = slots * self.vocab_size + ids
        weights = (ids != Vocab.pad_id).float()  # padding slots are all-zero inputs
        return self.out(torch.tanh(self.first(rows, per_sample_weights=weights) + self.bias))


def encode(examples: list[Example], vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    longest = max(len(e.words) for e in examples)
    ids = torch.full((len(examples), longest), Vocab.pad_id)
    for row, e in enumerate(examples):
        ids[row, : len(e.words)] = torch.tensor(vocab.encode(e.words))
    lengths = torch.tensor([len(e.words) for e in examples])
    return ids, lengths, torch.tensor([e.label for e in examples])


def accuracy(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> float:
    ids, lengths, labels = batch
    with torch.no_grad():
        return float((model(ids, lengths).argmax(-1) == labels).float().mean())


def positive_probabilities(model: nn.Module, sentences: list[Example], vocab: Vocab) -> list[float]:
    ids, lengths, _ = encode(sentences, vocab)
    with torch.no_grad():
        return torch.softmax(model(ids, lengths), -1)[:, 1].tolist()


def featured_sentence(sentences: list[Example], final: dict[str, list[float]]) -> Example:
    """The sentence that shows the point: the first one the RNN gets right and the feed-forward network wrong,
    judged by each network's P(positive) for every sentence after its last epoch; the first sentence if none is.

    Chosen from the trained result rather than written down, so it stays true when the training changes.
    """
    def right(name: str, index: int) -> bool:
        return (final[name][index] > 0.5) == bool(sentences[index].label)

    parting = (i for i in range(len(sentences)) if right(RNN_NAME, i) and not right(FEED_FORWARD_NAME, i))
    return sentences[next(parting, 0)]


def watched_history(history: dict[str, list[dict]], index: int) -> dict[str, list[dict]]:
    """Each network's curve for one watched sentence, in the shape viz.live_watch_chart reads."""
    return {name: [{"epoch": row["epoch"], "watched_positive": row["watch_positive"][index]} for row in rows]
            for name, rows in history.items()}


def train_live(model: nn.Module, train: list[Example], shifted: list[Example], vocab: Vocab, *, epochs: int = DEFAULT_EPOCHS,
               seed: int = 0, on_epoch: Callable[[dict[str, float]], None] | None = None) -> list[dict[str, float]]:
    """Train one network on the training set in mini-batches, reporting after each epoch: the training
    loss, accuracy on the training set and on the shifted test set. Runs in a few seconds on one core."""
    train_batch, shifted_batch = encode(train, vocab), encode(shifted, vocab)
    order = torch.Generator().manual_seed(seed)

    def batches(epoch: int):
        permutation = torch.randperm(len(train), generator=order)
        for start in range(0, len(train), 16):
            index = permutation[start:start + 16]
            yield tuple(t[index] for t in train_batch)

    def loss_of(net: nn.Module, batch) -> torch.Tensor:
        ids, lengths, labels = batch
        return F.cross_entropy(net(ids, lengths), labels)

    def validate(net: nn.Module) -> dict[str, float]:
        return {"train_accuracy": accuracy(net, train_batch), "shifted_accuracy": accuracy(net, shifted_batch)}

    # fit() seeds torch's global generator; fork it so a live run never disturbs anyone else's randomness.
    with torch.random.fork_rng():
        result = fit(model, train_batches=batches, loss_of=loss_of, validate=validate, monitor="train_accuracy",
                     epochs=epochs, lr=0.01, seed=seed, progress=False,
                     on_epoch=(lambda net, row: on_epoch(row)) if on_epoch else None)
    return result.curve


def fresh_networks(vocab: Vocab, seed: int = 0) -> dict[str, nn.Module]:
    """Both networks with seeded random weights (from a forked generator, so global randomness is untouched)."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return {RNN_NAME: TinyRNN(len(vocab)), FEED_FORWARD_NAME: SlotFeedForward(len(vocab))}
