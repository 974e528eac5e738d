"""A feed-forward network (ANN) on one-hot words: the video's one-hot slots added up, a dense hidden layer, softmax out.

It cannot see word order. The one-hot vectors of a text's words are summed into one bag-of-words
vector, so "not bad, really good" and "not good, really bad" are the same input and get the same
answer. nn.EmbeddingBag(mode="sum") computes exactly (sum of one-hots) @ W without building the
vocabulary-sized vectors; the parameter count is the same as the dense layer it stands for.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class FeedForwardConfig:
    vocab_size: int
    hidden: int = 64
    classes: int = 5
    dropout: float = 0.3


class FeedForwardNet(nn.Module):
    """Bag of one-hot words -> dense ReLU layer -> class logits. Id 0 (<pad>) contributes nothing."""

    def __init__(self, config: FeedForwardConfig):
        super().__init__()
        self.config = config
        # The input layer: one weight row per vocabulary word (the one-hot vector's 1 picks its row).
        self.input = nn.EmbeddingBag(config.vocab_size, config.hidden, mode="sum", padding_idx=0)
        self.input_bias = nn.Parameter(torch.zeros(config.hidden))
        # Initialise like the dense layer it stands for (nn.Linear over vocab_size inputs), not like an
        # embedding: summing ~60 N(0, 1) rows would start the hidden layer far in saturation.
        bound = config.vocab_size ** -0.5
        nn.init.uniform_(self.input.weight, -bound, bound)
        with torch.no_grad():
            self.input.weight[0].zero_()
        self.dropout = nn.Dropout(config.dropout)
        self.output = nn.Linear(config.hidden, config.classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """ids: [batch, time] word ids padded with 0 -> logits [batch, classes]."""
        hidden = torch.relu(self.input(ids) + self.input_bias)
        return self.output(self.dropout(hidden))


def dense_parameters(layer_sizes: list[int]) -> int:
    """Weights and biases of a stack of fully connected layers, e.g. [inputs, hidden, outputs]."""
    return sum(n_in * n_out + n_out for n_in, n_out in zip(layer_sizes, layer_sizes[1:]))


def one_hot_parameters(vocab_size: int, hidden: int, outputs: int, positions: int = 1) -> int:
    """Parameters of the video's ANN over one-hot words.

    positions=1 is the bag of words (one-hot vectors summed). positions=N is the video's fixed-size
    input: one vocabulary-sized one-hot slot per word position, so the input layer grows with both the
    vocabulary and the longest sentence it accepts, and no weight is shared between positions.
    """
    return dense_parameters([positions * vocab_size, hidden, outputs])
