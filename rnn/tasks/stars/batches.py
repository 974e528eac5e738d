"""Examples as input ids, and the padded, length-bucketed batches both networks train and score on."""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from rnn.nets.stars import StarsConfig
from rnn.tasks.stars.model import encode
from rnn.text import MAX_TOKENS, Vocab


@dataclass
class Examples:
    ids: list[list[int]]  # every list non-empty, at most MAX_TOKENS long
    labels: list[int]
    targets: torch.Tensor | None = None  # [N, classes]: a distribution to learn instead of the label (distillation)


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


def batches(data: Examples, batch_size: int, epoch: int) -> list[tuple[torch.Tensor, ...]]:
    """(ids, lengths, labels, targets) batches, shuffled (seeded by epoch), bucketed by length so little time goes into
    padding; targets is None when data has none."""
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
            targets = None if data.targets is None else data.targets[members]
            out.append((ids, lengths, torch.tensor([data.labels[i] for i in members]), targets))
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
