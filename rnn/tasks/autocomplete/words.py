"""The words the language model reads and writes: its tokens, joining them back into text, and the alphabetical
index that finds the vocabulary words starting with a half-typed prefix.

Tokenisation: spaCy's English tokenizer, lower-cased ("Don't stop." -> do, n't, stop, .). Each sentence starts
from <bos> with a fresh state and ends with <eos>, because the model is used on one sentence at a time.
"""
from __future__ import annotations

import bisect
from typing import Iterable, Mapping

import numpy as np

from rnn.text import MAX_TOKENS, SPECIALS, Token, Vocab, tokenize

SUGGESTIONS = 3  # words shown at a time, on the page and in the keystroke simulation
# Tokens glued to the previous word when words are joined back into text.
_NO_SPACE_BEFORE = {".", ",", "!", "?", ";", ":", "n't", "'s", "'re", "'m", "'ll", "'ve", "'d", "%", ")"}


def lm_tokens(text: str, max_tokens: int | None = MAX_TOKENS) -> list[Token]:
    """The tokens the model reads: spaCy tokens, lower-cased, with their offsets in text."""
    return [Token(t.text.lower(), t.start, t.end) for t in tokenize(text, max_tokens)]


def join_words(words: Iterable[str], capitalise: bool = False, casing: Mapping[str, str] | None = None) -> str:
    """The model's lower-case words back into text: spaces between words, none before punctuation and clitics,
    "I" upper-case, each word as it is usually written (casing: "tom" -> "Tom"), and the first word capitalised
    when it starts a sentence."""
    out = ""
    for w in words:
        w = "I" if w == "i" else (casing or {}).get(w, w)
        if not out and capitalise:
            w = w[:1].upper() + w[1:]
        out += w if (not out or w in _NO_SPACE_BEFORE) else " " + w
    return out


class PrefixIndex:
    """The vocabulary sorted alphabetically, so the words starting with a prefix are one contiguous slice."""

    def __init__(self, vocab: Vocab):
        pairs = sorted((w, i) for i, w in enumerate(vocab.itos) if w not in SPECIALS)  # <eos> is never typed
        self.words = [w for w, _ in pairs]
        self.ids = np.array([i for _, i in pairs], dtype=np.int64)

    def span(self, prefix: str) -> tuple[int, int]:
        lo = bisect.bisect_left(self.words, prefix)
        hi = bisect.bisect_left(self.words, prefix + "\U0010ffff") if prefix else len(self.words)
        return lo, hi

    def suggest(self, probs: np.ndarray, prefix: str, k: int = SUGGESTIONS) -> list[int]:
        """Ids of the k most probable words starting with prefix (most probable first; ties by alphabet)."""
        lo, hi = self.span(prefix)
        if lo >= hi:
            return []
        ids = self.ids[lo:hi]
        p = probs[ids]
        if len(ids) > k:
            keep = np.argpartition(-p, k - 1)[:k]
            ids, p = ids[keep], p[keep]
        order = sorted(range(len(ids)), key=lambda j: (-p[j], j))
        return [int(ids[j]) for j in order]

