"""The review classifier: embeddings -> bidirectional GRU -> max+mean pooling -> class logits.

Besides the answer for the whole text, a second, forward-only head reads the forward GRU state after
every word. It is trained jointly on every prefix (each prefix carries the review's label), so
`prefix_logits[t]` is honestly "what the model would say if the review ended at word t": the forward
state at t has read nothing after t.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from rnn.baselines.feedforward import FeedForwardConfig, FeedForwardNet


@dataclass
class StarsConfig:
    vocab_size: int
    labels: list[str] = field(default_factory=lambda: ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"])
    embed: int = 128
    hidden: int = 64  # per direction
    dropout: float = 0.4
    ann_hidden: int = 64
    lowercase: bool = True

    @property
    def classes(self) -> int:
        return len(self.labels)


class StarsNet(nn.Module):
    """The recurrent classifier (many-to-one) with a forward-only per-prefix readout head."""

    def __init__(self, config: StarsConfig):
        super().__init__()
        self.embedding = nn.Embedding(config.vocab_size, config.embed, padding_idx=0)
        self.dropout = nn.Dropout(config.dropout)
        # Two one-way GRUs rather than nn.GRU(bidirectional=True): the backward one reads each text
        # reversed within its own length, so padding always comes last for both directions and nothing
        # needs packing (packed sequences made training 2x slower on the CPU).
        self.forward_gru = nn.GRU(config.embed, config.hidden, batch_first=True)
        self.backward_gru = nn.GRU(config.embed, config.hidden, batch_first=True)
        self.head = nn.Linear(4 * config.hidden, config.classes)  # [max-pool ; mean-pool] of both directions
        self.prefix_head = nn.Linear(config.hidden, config.classes)
        self.hidden_size = config.hidden

    def states(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """GRU outputs [batch, time, 2*hidden]; padding positions are zero. lengths must be >= 1."""
        embedded = self.dropout(self.embedding(ids))
        mask = (torch.arange(ids.shape[1], device=ids.device)[None, :] < lengths[:, None]).unsqueeze(-1)
        forward_states, _ = self.forward_gru(embedded)
        flip = reverse_index(lengths, ids.shape[1]).unsqueeze(-1)
        backward_states, _ = self.backward_gru(embedded.gather(1, flip.expand_as(embedded)))
        backward_states = backward_states.gather(1, flip.expand_as(backward_states))
        return torch.cat([forward_states, backward_states], dim=-1) * mask

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """-> (logits [B, C], prefix_logits [B, T, C], states [B, T, 2H])."""
        states = self.states(ids, lengths)
        prefix_logits = self.prefix_head(self.dropout(states[..., : self.hidden_size]))
        return self.head(self.pooled(states, lengths)), prefix_logits, states

    def pooled(self, states: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """[max-pool ; mean-pool] of states [B, T, 2H] over each text's own length -> [B, 4H] (what a head reads)."""
        mask = (torch.arange(states.shape[1], device=states.device)[None, :] < lengths[:, None]).unsqueeze(-1)
        max_pool = states.masked_fill(~mask, float("-inf")).max(dim=1).values
        mean_pool = states.sum(dim=1) / lengths[:, None].to(states.dtype)
        return self.dropout(torch.cat([max_pool, mean_pool], dim=-1))


def reverse_index(lengths: torch.Tensor, total: int) -> torch.Tensor:
    """[B, total] positions that reverse each row within its length and leave its padding in place."""
    positions = torch.arange(total, device=lengths.device)[None, :]
    return torch.where(positions < lengths[:, None], lengths[:, None] - 1 - positions, positions)


class StarsPair(nn.Module):
    """What a bundle holds: the RNN and the feed-forward baseline trained on the same split, plus each
    one's decision offsets (added to the logits; tuned on validation against the class imbalance)."""

    def __init__(self, config: StarsConfig):
        super().__init__()
        self.config = config
        self.rnn = StarsNet(config)
        self.ann = FeedForwardNet(FeedForwardConfig(config.vocab_size, config.ann_hidden, config.classes, config.dropout))
        self.register_buffer("rnn_offset", torch.zeros(config.classes))
        self.register_buffer("ann_offset", torch.zeros(config.classes))


def build_pair(config: StarsConfig, vocabs: dict) -> StarsPair:
    """load_bundle's build_model: the module from its config (the vocabulary is already counted in it)."""
    return StarsPair(config)
