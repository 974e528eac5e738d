"""Training batches: English and French ids from the pairs, padded, in batches of similar source length."""
from __future__ import annotations

import random

import torch

from rnn.tasks.translate.model import english_tokens, french_tokens, source_ids
from rnn.text import Vocab


def encode_pairs(pairs, src_vocab: Vocab, tgt_vocab: Vocab, max_tokens: int | None) -> list[tuple[list[int], list[int]]]:
    data = []
    for english, french in pairs:
        src, tgt = english_tokens(english, None), french_tokens(french)
        if src and tgt and (max_tokens is None or (len(src) <= max_tokens and len(tgt) <= max_tokens)):
            data.append((source_ids(src_vocab, src), tgt_vocab.encode(tgt)))
    return data


def batches(data, batch_size: int, seed: int):
    """Batches of similar source length (less padding), in a seeded random order."""
    rng = random.Random(seed)
    order = sorted(range(len(data)), key=lambda i: (len(data[i][0]), rng.random()))
    chunks = [order[i: i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(chunks)
    for chunk in chunks:
        yield _collate([data[i] for i in chunk])


def pad(rows: list[list[int]]) -> torch.Tensor:
    width = max(len(r) for r in rows)
    return torch.tensor([r + [Vocab.pad_id] * (width - len(r)) for r in rows])


def _collate(examples):
    src = pad([s for s, _ in examples])
    lengths = torch.tensor([len(s) for s, _ in examples])
    tgt_in = pad([[Vocab.bos_id] + t for _, t in examples])
    tgt_out = pad([t + [Vocab.eos_id] for _, t in examples])
    return src, lengths, tgt_in, tgt_out

