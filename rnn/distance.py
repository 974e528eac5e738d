"""'Memory over distance': the video's simple RNN, a GRU and an LSTM of the same size, trained live on a task whose
answer depends on a word k steps back, and the gradient that reaches each earlier word.

The task reads like the end of a review: a verdict word ("great", "awful", ...), neutral words, then
"so the review is", after which the network answers positive or negative. Only the verdict word decides, and it
stands `distance` words before the answer. For each distance a fresh network of each kind learns from sentences of
that distance only, so it has to find the verdict word from scratch: the signal that says "that word mattered"
travels back from the answer one step at a time, through the same weights at every step.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from rnn.live_training import BAD, GOOD, LABELS
from rnn.text import Vocab
from rnn.training import count_parameters, fit, one_thread

# What comes between the verdict and the answer: neutral phrases in random order, the last one cut to fit.
PHRASES = ["we saw it", "after dinner", "with two friends", "in the old cinema", "on a rainy sunday",
           "the seats were red", "the film ran long", "then we went home", "the music played on",
           "the actors came back", "it had a long ending", "and the plot went on", "we ate popcorn"]
CLOSING = ("so", "the", "review", "is")
CELLS = {"Simple RNN": nn.RNN, "GRU": nn.GRU, "LSTM": nn.LSTM}
SIMPLE, GATED = "Simple RNN", ("GRU", "LSTM")
# Words the network reads after the verdict word before it answers (the closing phrase is the last four).
DISTANCES = (4, 8, 12, 20, 30, 40)
HIDDEN = 16
# Each gated cell's keep gate starts leaning towards keeping: sigmoid(3) = 95 % of the memory kept per step (the
# LSTM's forget gate is commonly started open). PyTorch's own start keeps about half per step, and with that start
# this short training leaves the GRU and the LSTM at chance at the longest distance too.
KEEP_GATE_BIAS = 3.0
KEEP_SHARE = 1 / (1 + np.exp(-KEEP_GATE_BIAS))
STEPS_PER_EPOCH, EPOCHS, BATCH, LEARNING_RATE = 25, 6, 32, 0.02
TRAIN_SIZE, TEST_SIZE = 1000, 300
# A whole run (3 cells x every distance) stops early past this, so a slow, busy server still answers in time.
TIME_CAP_S = 45.0


def vocabulary() -> Vocab:
    return Vocab.build([GOOD, BAD, CLOSING, *(phrase.split() for phrase in PHRASES)])


def filler(count: int, rng: random.Random) -> list[str]:
    """count neutral words: random phrases one after another, the last one cut where the count is reached."""
    words: list[str] = []
    while len(words) < count:
        words += rng.choice(PHRASES).split()
    return words[:count]


def sentence(distance: int, positive: bool, rng: random.Random) -> list[str]:
    """The verdict word, distance - 4 neutral words, then "so the review is"."""
    if distance < len(CLOSING):
        raise ValueError(f"the distance counts the closing words: at least {len(CLOSING)}")
    verdict = rng.choice(GOOD if positive else BAD)
    return [verdict, *filler(distance - len(CLOSING), rng), *CLOSING]


def examples(distance: int, count: int, seed: int) -> list[tuple[list[str], int]]:
    """(words, label) pairs, half positive and half negative in random order."""
    rng = random.Random(seed * 1000 + distance)
    labels = [i % 2 for i in range(count)]
    rng.shuffle(labels)
    return [(sentence(distance, bool(label), rng), label) for label in labels]


def encode(pairs: list[tuple[list[str], int]], vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
    """Word ids [N, T] and labels [N]: every sentence of one distance has the same length, so nothing is padded."""
    return torch.tensor([vocab.encode(words) for words, _ in pairs]), torch.tensor([label for _, label in pairs])


class MemoryNet(nn.Module):
    """Embedding -> one recurrent layer of the given cell -> the hidden state after the last word -> 2 labels."""

    def __init__(self, cell: str, vocab_size: int, hidden: int = HIDDEN, embedding: int = 8,
                 keep_bias: float = KEEP_GATE_BIAS):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding)
        self.recurrent = CELLS[cell](embedding, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 2)
        if cell in GATED:
            # PyTorch orders the LSTM's gates (input, forget, cell, output) and the GRU's (reset, update, new):
            # the second block is the gate that keeps the old memory in both.
            with torch.no_grad():
                self.recurrent.bias_ih_l0[hidden:2 * hidden] += keep_bias

    def read(self, embedded: torch.Tensor) -> torch.Tensor:
        """Scores from word vectors [N, T, E]: the gradient chart differentiates with respect to these."""
        states, _ = self.recurrent(embedded)
        return self.out(states[:, -1])

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.read(self.embed(ids))


def fresh_network(cell: str, vocab: Vocab, seed: int, keep_bias: float = KEEP_GATE_BIAS) -> MemoryNet:
    """Seeded random weights, drawn from a forked generator so global randomness is untouched."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return MemoryNet(cell, len(vocab), keep_bias=keep_bias)


def accuracy(net: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> float:
    ids, labels = batch
    with torch.no_grad():
        return float((net(ids).argmax(-1) == labels).float().mean())


def gradient_by_step_back(net: MemoryNet, batch: tuple[torch.Tensor, torch.Tensor]) -> list[float]:
    """The size (L2 norm) of d loss / d word vector for the word s steps before the answer, averaged over the
    sentences; index s = 0 is the last word read. Each sentence's own loss, so the batch size does not scale it."""
    ids, labels = batch
    embedded = net.embed(ids).detach().requires_grad_(True)
    F.cross_entropy(net.read(embedded), labels, reduction="sum").backward()
    net.zero_grad(set_to_none=True)
    return embedded.grad.norm(dim=-1).mean(0).flip(0).tolist()


@dataclass
class Trained:
    """One network trained at one distance: its accuracy on held-out sentences of that distance."""
    cell: str
    distance: int
    accuracy: float
    epochs: int
    seconds: float


@dataclass
class DistanceRun:
    """Everything the page shows, computed once per press of Train."""
    results: list[Trained] = field(default_factory=list)
    # cell -> gradient size per step back, at the largest distance, before and after that network's training
    gradient_before: dict[str, list[float]] = field(default_factory=dict)
    gradient_after: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0

    def accuracy(self, cell: str) -> dict[int, float]:
        return {r.distance: r.accuracy for r in self.results if r.cell == cell}

    def cell_seconds(self, cell: str) -> float:
        return sum(r.seconds for r in self.results if r.cell == cell)


def train_one(cell: str, distance: int, vocab: Vocab, seed: int = 0, time_budget_s: float | None = None,
              keep_bias: float = KEEP_GATE_BIAS) -> tuple[MemoryNet, Trained, tuple[torch.Tensor, torch.Tensor]]:
    """A fresh network of one cell trained on sentences of one distance; (network, result, held-out batch)."""
    train_batch = encode(examples(distance, TRAIN_SIZE, seed), vocab)
    test_batch = encode(examples(distance, TEST_SIZE, seed + 1), vocab)
    net = fresh_network(cell, vocab, seed, keep_bias)

    def batches(epoch: int):
        order = torch.Generator().manual_seed(seed * 100 + epoch)
        for _ in range(STEPS_PER_EPOCH):
            index = torch.randint(0, TRAIN_SIZE, (BATCH,), generator=order)
            yield train_batch[0][index], train_batch[1][index]

    def loss_of(model: nn.Module, batch) -> torch.Tensor:
        return F.cross_entropy(model(batch[0]), batch[1])

    # The best epoch is chosen on the training sentences; the held-out ones are only measured.
    with one_thread(), torch.random.fork_rng():  # fit() seeds torch's global generator
        result = fit(net, train_batches=batches, loss_of=loss_of,
                     validate=lambda m: {"train_accuracy": accuracy(m, train_batch)}, monitor="train_accuracy",
                     epochs=EPOCHS, lr=LEARNING_RATE, seed=seed, progress=False, time_budget_s=time_budget_s)
    # in whole percents, as every view shows it, so that the narration's thresholds judge the number the table shows
    trained = Trained(cell, distance, round(accuracy(net, test_batch), 2), len(result.curve), result.seconds)
    return net, trained, test_batch


# A training step's time: a fixed part (the optimiser, the loss, Python) plus a part per word read, here relative to
# the fixed part. Measured on one thread, 32 sentences of 41 words: about 5 ms fixed, and the recurrent layer's
# forward + backward 7.4 (simple RNN), 18.3 (GRU) and 3.4 ms (LSTM: PyTorch fuses its steps on the CPU).
_PER_WORD_COST = {"Simple RNN": 0.036, "GRU": 0.09, "LSTM": 0.017}


def _cost(cell: str, distance: int) -> float:
    return 1 + _PER_WORD_COST[cell] * (distance + 1)


def train_all(seed: int = 0, distances: tuple[int, ...] = DISTANCES, time_cap_s: float = TIME_CAP_S,
              on_result: Callable[[DistanceRun, Trained], None] | None = None) -> DistanceRun:
    """Every cell at every distance, on one core, within time_cap_s (see the share below);
    on_result(run so far, the newest result) after each network, for a live chart."""
    vocab, run, started = vocabulary(), DistanceRun(), time.monotonic()
    longest = max(distances)
    plan = [(cell, distance) for cell in CELLS for distance in distances]
    # Each training gets a share of the time left in proportion to its expected cost, so a slow server cuts every
    # network a little rather than the last ones a lot.
    cost_left = sum(_cost(cell, distance) for cell, distance in plan)
    with one_thread():
        for cell, distance in plan:
            share = max(time_cap_s - (time.monotonic() - started), 0.0) * _cost(cell, distance) / cost_left
            cost_left -= _cost(cell, distance)
            if distance == longest:
                run.gradient_before[cell] = gradient_by_step_back(
                    fresh_network(cell, vocab, seed), encode(examples(distance, TEST_SIZE, seed + 1), vocab))
            net, trained, test_batch = train_one(cell, distance, vocab, seed, time_budget_s=share)
            run.results.append(trained)
            if distance == longest:
                run.gradient_after[cell] = gradient_by_step_back(net, test_batch)
            if on_result is not None:
                on_result(run, trained)
    run.seconds = round(time.monotonic() - started, 1)
    return run


def parameter_counts() -> dict[str, int]:
    """Each cell's weights at the page's size: the same hidden size, so the gated cells have 3x and 4x the
    recurrent weights (one set per gate)."""
    vocab = vocabulary()
    return {cell: count_parameters(fresh_network(cell, vocab, 0)) for cell in CELLS}


def example_rows(distance: int, count: int = 4, seed: int = 0) -> list[tuple[str, str]]:
    """A few sentences of one distance as (text, label) for the page's table."""
    return [(" ".join(words), LABELS[label]) for words, label in examples(distance, count, seed)]


# ---- the narration: the charts' numbers in words, generated from the run (a run on a busy server may differ) ----

CHANCE = 1 / len(LABELS)  # guessing: half the sentences are positive
RELIABLE, GUESSING = 0.9, 0.6  # "right at least 90 % of the time"; under 60 % is within noise of chance


def reach(accuracy: dict[int, float]) -> int | None:
    """The largest distance up to which every measured distance is at least RELIABLE; None if the first is not."""
    held = None
    for distance in sorted(accuracy):
        if accuracy[distance] < RELIABLE:
            break
        held = distance
    return held


def in_sentence(cell: str) -> str:
    """A cell's name inside a sentence: "simple RNN", "GRU"."""
    return cell.replace("Simple", "simple")


def _listed(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}" if len(numbers) > 1 else str(numbers[0])


def cell_story(cell: str, accuracy: dict[int, float]) -> str:
    """One sentence about one cell: how far it stays reliable, and where it is no better than guessing."""
    held, longest, cell = reach(accuracy), max(accuracy), in_sentence(cell)
    if held == longest:
        story = f"The {cell} is right at least {RELIABLE:.0%} of the time at every distance up to k = {longest}"
    elif held is None:
        story = f"The {cell} is under {RELIABLE:.0%} already at k = {min(accuracy)}"
    else:
        story = f"The {cell} is right at least {RELIABLE:.0%} of the time up to k = {held}"
    guessed = [d for d in sorted(accuracy) if accuracy[d] < GUESSING]
    if guessed:
        story += f", and no better than guessing (under {GUESSING:.0%}) at k = {_listed(guessed)}"
    return story + "."


def accuracy_story(run: DistanceRun) -> list[str]:
    """The accuracy chart in words: every cell at the largest distance, then each cell's reach."""
    longest = max(r.distance for r in run.results)
    at_longest = ", ".join(f"the {in_sentence(cell)} {run.accuracy(cell)[longest]:.0%}" for cell in CELLS)
    return [f"At k = {longest} words back: {at_longest} (guessing gets {CHANCE:.0%})."] + \
        [cell_story(cell, run.accuracy(cell)) for cell in CELLS]


def cut_story(run: DistanceRun) -> str | None:
    """How many networks the time cap stopped early, if any: their numbers may be lower than a quiet server's."""
    cut = [r for r in run.results if r.epochs < EPOCHS]
    if not cut:
        return None
    return (f"The server was busy, so the time limit ({TIME_CAP_S:.0f} s for the whole run) stopped {len(cut)} of the "
            f"{len(run.results)} networks before their last epoch (the table says which, and after how many of "
            f"{EPOCHS}). Those may have learned less than they would on a quiet server.")


def accuracy_table(run: DistanceRun) -> dict[str, dict[str, str]]:
    """cell -> row name -> shown value: the accuracy at each k (with the epochs where the time cap cut training
    short), the weights and the training time."""
    parameters = parameter_counts()

    def shown(r: Trained) -> str:
        return f"{r.accuracy:.0%}" + (f" ({r.epochs} of {EPOCHS} epochs)" if r.epochs < EPOCHS else "")

    return {cell: {**{f"k = {r.distance}": shown(r) for r in run.results if r.cell == cell},
                   "weights": f"{parameters[cell]:,}", "training time": f"{run.cell_seconds(cell):.1f} s"}
            for cell in CELLS}


def relative(gradient: list[float]) -> list[float]:
    """Each step back's gradient size as a share of the last word's, the chart's scale (1 at the last word)."""
    return [g / gradient[0] if gradient[0] else 0.0 for g in gradient]


def _share(ratio: float) -> str:
    """A ratio against the last word's gradient in plain words: "0.19 of", "2.5 times", "5.2 × 10⁻¹³ of"."""
    if ratio >= 1:
        return f"{ratio:.1f} times"
    if ratio >= 0.01:
        return f"{ratio:.2f} of"
    mantissa, exponent = f"{ratio:.1e}".split("e")
    superscript = str(int(exponent)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{mantissa} × 10{superscript} of"


def gradient_story(gradients: dict[str, list[float]], when: str) -> list[str]:
    """The gradient chart in words: for each cell, the gradient at the verdict word against the last word's."""
    back = len(next(iter(gradients.values()))) - 1
    lines = [f"{when}, on sentences whose verdict word is {back} words back, the gradient that reaches the verdict "
             "word, against the one at the last word:"]
    for cell, gradient in gradients.items():
        ratio = relative(gradient)[-1]
        line = f"{cell}: {_share(ratio)} the last word's"
        if 0 < ratio < 0.1:
            line += f" (10 times smaller every {back / -np.log10(ratio):.1f} words)"
        lines.append(line + ".")
    return lines
