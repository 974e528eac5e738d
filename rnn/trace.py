"""The trace every task returns beside its answer: what the network read and what it held after each word."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Trace:
    """One reading of a sentence by a recurrent network, step by step.

    hidden[t] is the hidden state after reading tokens[t] (forward direction). Bidirectional models also
    fill hidden_backward[t]: the backward direction's state at t, which has read tokens[t:] right to left.
    readout[t] is the model's answer if the input stopped at tokens[t] (star distribution, tag scores,
    next-word top-k): label -> probability, in display order.
    ids[t] is the vocabulary id the network read for tokens[t] (after its own normalising: lower case, digits as
    0, ...): the input neuron a one-hot layer would switch on. Empty when a trace does not record them.
    """

    tokens: list[str]
    known: list[bool]
    hidden: np.ndarray
    readout: list[dict[str, float]] = field(default_factory=list)
    readout_title: str = ""
    hidden_backward: np.ndarray | None = None
    ids: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.hidden = np.asarray(self.hidden, dtype=np.float32)
        if self.hidden.ndim != 2 or self.hidden.shape[0] != len(self.tokens):
            raise ValueError(f"hidden must be [tokens, units], got {self.hidden.shape} for {len(self.tokens)} tokens")
        if len(self.known) != len(self.tokens):
            raise ValueError("known must have one flag per token")
        if self.readout and len(self.readout) != len(self.tokens):
            raise ValueError("readout must have one entry per token")
        if self.ids and len(self.ids) != len(self.tokens):
            raise ValueError("ids must have one entry per token")
        if self.hidden_backward is not None:
            self.hidden_backward = np.asarray(self.hidden_backward, dtype=np.float32)
            if self.hidden_backward.shape[0] != len(self.tokens):
                raise ValueError("hidden_backward must have one row per token")

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def unknown_words(self) -> list[str]:
        return [w for w, k in zip(self.tokens, self.known) if not k]


@dataclass(kw_only=True)
class TaskResult:
    """What every task's predict() returns, whatever its answer: the text it was given, the network's trace,
    remarks for the page in plain words, and whether the text was cut to MAX_TOKENS tokens. Each task's result
    extends it with its own answer."""

    text: str
    trace: Trace
    notes: list[str] = field(default_factory=list)
    truncated: bool = False
