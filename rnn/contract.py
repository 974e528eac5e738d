"""The task contract: what every task's loaded model offers the pages (the Hidden state page above all), and what
its predict(model, text) returns: a result extending rnn.trace.TaskResult (text, trace, notes, truncated)."""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from torch import nn

from rnn.checkpoint import Bundle
from rnn.text import Vocab


@runtime_checkable
class TaskModel(Protocol):
    bundle: Bundle  # weights, config, vocabularies and the card (bundle.card)
    vocab: Vocab  # the input words; trace.ids index it

    @property
    def networks(self) -> int:
        """How many networks answer together (an ensemble's trace shows its first)."""

    def recurrent_layers(self) -> dict[str, nn.Module]:
        """The recurrent layers whose weights every time step shares (the first network's in an ensemble)."""
