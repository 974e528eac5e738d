"""Occlusion, the attribution method every task uses: replace one word at a time by the unknown word <unk>, read
the sentence again, and see how far the answer moves.

It asks the network itself, so it is faithful whatever sits between the words and the answer (two directions,
a CRF, attention, an ensemble of networks): nothing is approximated. The sentence keeps its length and its word
order; only that one word's identity is taken away. All the variants of a sentence go through the network as one
batch: the sentence itself in row 0, then one row per word with that word occluded.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

METHOD = "occlusion"
METHOD_TEXT = ("occlusion: each word in turn is replaced by the unknown word `<unk>` (a word the network never saw), "
               "the network reads the sentence again, and the change in its answer is that word's influence")


def _percent(probability: float) -> str:
    """A whole percentage, "<1%" rather than a "0%" that reads as "impossible"."""
    return "<1%" if probability < 0.005 else f"{probability:.0%}"


def _points(change: float) -> str:
    shown = _signed(100 * change, 0)
    return f"{shown} point" if shown.lstrip("+\u2212") == "1" else f"{shown} points"


def _signed(value: float, digits: int) -> str:
    """+1.40 / −1.40 with a real minus sign (a hyphen reads as a dash on a projector)."""
    text = f"{abs(value):.{digits}f}"
    if float(text) == 0:
        return text
    return ("+" if value > 0 else "\u2212") + text


# What an answer is measured in: how a page writes a value, a change of it, and the change's unit.
KINDS = {
    "stars": (lambda v: f"{v:.2f}", lambda d: f"{_signed(d, 2)} stars", "stars"),
    "probability": (_percent, _points, "percentage points"),
    "logprob": (lambda v: f"{_percent(math.exp(v))} (log-probability {_signed(v, 2)})",
                lambda d: f"{_signed(d, 2)} in log-probability", "log-probability (natural log)"),
}


@dataclass
class Attribution:
    """How much each word moved one answer. scores[t] = the answer on the whole text minus the answer with word t
    occluded: positive means the word pushed the answer up, negative down."""

    tokens: list[str]
    scores: list[float]
    answer: float  # the answer on the text as typed
    measure: str  # what the answer is, in words ("the expected stars", "the probability that “Moscow” is a place")
    kind: str  # a key of KINDS
    target: str = ""  # the word whose answer it is: the word tagged, the French word, the next-word guess
    focus: int | None = None  # where target stands among tokens, when it is one of them (the word tagged)
    method: str = METHOD

    def __post_init__(self) -> None:
        if len(self.scores) != len(self.tokens):
            raise ValueError("an attribution needs one score per token")
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")

    def ranked(self) -> list[int]:
        """Word positions, the most influential (largest change either way) first; ties in reading order."""
        return sorted(range(len(self.scores)), key=lambda t: (-abs(self.scores[t]), t))

    def value_text(self, value: float) -> str:
        return KINDS[self.kind][0](value)

    def change_text(self, change: float) -> str:
        return KINDS[self.kind][1](change)

    @property
    def unit(self) -> str:
        return KINDS[self.kind][2]


def occluded(x: torch.Tensor, replacement: torch.Tensor | int) -> torch.Tensor:
    """x [T, ...] (one sentence's inputs) -> [T+1, T, ...]: row 0 is x, row t+1 is x with position t replaced."""
    rows = x.unsqueeze(0).repeat(x.shape[0] + 1, *([1] * x.dim())).clone()
    positions = torch.arange(x.shape[0])
    rows[positions + 1, positions] = replacement if isinstance(replacement, torch.Tensor) else torch.tensor(replacement)
    return rows


def occlusion_scores(answer: Callable[..., torch.Tensor], inputs: tuple[torch.Tensor, ...],
                     replacements: tuple[torch.Tensor | int, ...]) -> tuple[float, list[float]]:
    """(the answer on the sentence, each word's score). inputs: one sentence's tensors, [T, ...] each (word ids, and
    whatever else a network reads per word); replacements: what each reads for an occluded word. answer maps the
    batch of variants ([T+1, T, ...] each) to one number per row, in one forward pass."""
    batch = tuple(occluded(x, r) for x, r in zip(inputs, replacements))
    with torch.inference_mode():
        values = answer(*batch).double()
    return float(values[0]), (values[0] - values[1:]).tolist()
