"""BiLSTM-CRF sequence tagger over word embeddings + a character CNN + a small casing feature.

Words are looked up lower-cased (digits folded to 0) so the table stays small and shared across casings;
case survives through the character CNN (which sees the word as typed) and the casing feature, which is
what lets the tagger call an unseen capitalised word a name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnn.nets.crf import CRF

MAX_WORD_CHARS = 20
CASINGS = ("<pad>", "numeric", "mainly_numeric", "lower", "upper", "title", "has_digit", "other")
_DIGITS = re.compile(r"\d")


def normalise(word: str) -> str:
    """The word-table key: lower-cased, every digit 0 (so 1996 and 1997 share a row)."""
    return _DIGITS.sub("0", word.lower())


def casing(word: str) -> int:
    """Index into CASINGS describing how the word is written."""
    digits = sum(c.isdigit() for c in word)
    if word.isdigit():
        return 1
    if digits / max(len(word), 1) > 0.5:
        return 2
    if word.islower():
        return 3
    if word.isupper():
        return 4
    if word[:1].isupper():
        return 5
    if digits:
        return 6
    return 7


@dataclass
class TaggerConfig:
    n_words: int
    n_chars: int
    tags: list[str] = field(default_factory=list)
    word_dim: int = 100
    char_dim: int = 30
    char_filters: int = 50
    char_width: int = 3
    case_dim: int = 8
    hidden: int = 100
    dropout: float = 0.5


class BiLSTMTagger(nn.Module):
    def __init__(self, config: TaggerConfig):
        super().__init__()
        self.config = config
        self.word_emb = nn.Embedding(config.n_words, config.word_dim, padding_idx=0)
        self.char_emb = nn.Embedding(config.n_chars, config.char_dim, padding_idx=0)
        self.char_cnn = nn.Conv1d(config.char_dim, config.char_filters, config.char_width, padding=config.char_width // 2)
        self.case_emb = nn.Embedding(len(CASINGS), config.case_dim, padding_idx=0)
        self.dropout = nn.Dropout(config.dropout)
        in_dim = config.word_dim + config.char_filters + config.case_dim
        self.lstm = nn.LSTM(in_dim, config.hidden, batch_first=True, bidirectional=True)
        self.emit = nn.Linear(2 * config.hidden, len(config.tags))
        self.crf = CRF(config.tags)

    def _char_features(self, chars: torch.Tensor) -> torch.Tensor:
        """chars [B, T, L] -> [B, T, filters]: max over each word's character n-gram detectors."""
        b, t, length = chars.shape
        x = self.char_emb(chars.view(b * t, length)).transpose(1, 2)  # [B*T, char_dim, L]
        x = self.char_cnn(self.dropout(x))
        x = x.masked_fill((chars.view(b * t, 1, length) == 0), -1e4)  # pads never win the max
        x = x.max(dim=2).values
        x = x.masked_fill(x < -1e3, 0.0)  # a padding word (all pads) reads as zeros
        return x.view(b, t, -1)

    def encode(self, words: torch.Tensor, chars: torch.Tensor, cases: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(emissions [B, T, K], LSTM outputs [B, T, 2H]: forward states then backward states)."""
        x = torch.cat([self.word_emb(words), self._char_features(chars), self.case_emb(cases)], dim=2)
        x = self.dropout(x)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=words.shape[1])
        return self.emit(self.dropout(out)), out

    def loss(self, words, chars, cases, lengths, tags) -> torch.Tensor:
        emissions, _ = self.encode(words, chars, cases, lengths)
        return self.crf.nll(emissions, tags, length_mask(lengths, words.shape[1]))

    def decode(self, words, chars, cases, lengths) -> list[list[int]]:
        emissions, _ = self.encode(words, chars, cases, lengths)
        return self.crf.viterbi(emissions, length_mask(lengths, words.shape[1]))


def length_mask(lengths: torch.Tensor, width: int) -> torch.Tensor:
    """[B, width] bool: True on each sentence's real tokens."""
    return torch.arange(width, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)
