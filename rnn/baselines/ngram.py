"""An interpolated Kneser-Ney trigram language model over word ids: the baseline the LSTM must beat.

Small and vectorised on purpose: the keystroke simulation asks for the whole next-word distribution after every
word of thousands of sentences, which nltk.lm (one Python call per word and candidate) cannot do in minutes.

    P3(w | u v) = max(c(u v w) - D3, 0) / c(u v .) + D3 * N1+(u v .) / c(u v .) * P2(w | v)
    P2(w | v)   = max(N1+(. v w) - D2, 0) / N1+(. v .) + D2 * N1+(v .) / N1+(. v .) * P1(w)
    P1(w)       = max(N1+(. w) - D1, 0) / N1+(. .) + D1 * N1+(. ) / N1+(. .) * uniform(w)

c counts trigrams in the data; N1+ counts distinct contexts a word was seen after ("continuation counts"),
which is what makes "Francisco" unlikely after unseen words. D = n1 / (n1 + 2 n2) per order (Ney et al. 1994).
A context never seen falls back to the lower order entirely.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Iterable, Sequence

import numpy as np


def _discount(counts: Iterable[int]) -> float:
    histogram = Counter(counts)
    n1, n2 = histogram.get(1, 0), histogram.get(2, 0)
    return n1 / (n1 + 2 * n2) if n1 + n2 else 0.75


class _Level:
    """The counts of one order, per context: word ids, their (continuation) counts, the total and distinct count."""

    def __init__(self, table: dict[tuple, Counter], discount: float):
        self.discount = discount
        self.rows: dict[tuple, tuple[np.ndarray, np.ndarray, float, int]] = {}
        for context, counter in table.items():
            ids = np.fromiter(counter.keys(), dtype=np.int64, count=len(counter))
            counts = np.fromiter(counter.values(), dtype=np.float64, count=len(counter))
            self.rows[context] = (ids, counts, float(counts.sum()), len(counter))

    def mix(self, context: tuple, lower: np.ndarray) -> np.ndarray:
        """This order's interpolated distribution for context, given the lower order's."""
        row = self.rows.get(context)
        if row is None:
            return lower
        ids, counts, total, distinct = row
        out = lower * (self.discount * distinct / total)
        out[ids] += np.maximum(counts - self.discount, 0.0) / total
        return out


class KneserNeyTrigram:
    """Interpolated Kneser-Ney trigram over ids 0..vocab_size-1; sentences are padded with bos and end with eos."""

    def __init__(self, vocab_size: int, bos_id: int, eos_id: int, never: Sequence[int] = ()):
        self.vocab_size, self.bos_id, self.eos_id = vocab_size, bos_id, eos_id
        # ids that are never predicted (padding, <bos>) get no share of the uniform floor
        self.predictable = np.ones(vocab_size, dtype=bool)
        self.predictable[list(never)] = False

    def fit(self, sentences: Iterable[Sequence[int]]) -> "KneserNeyTrigram":
        tri: dict[tuple, Counter] = defaultdict(Counter)
        for ids in sentences:
            padded = [self.bos_id, self.bos_id, *ids, self.eos_id]
            for u, v, w in zip(padded, padded[1:], padded[2:]):
                tri[(u, v)][w] += 1
        # continuation counts: in how many distinct (u v) contexts was "v w" seen, and in how many u was w seen
        bi: dict[tuple, Counter] = defaultdict(Counter)
        for (u, v), counter in tri.items():
            for w in counter:
                bi[(v,)][w] += 1
        uni: Counter = Counter()
        for (v,), counter in bi.items():
            for w in counter:
                uni[w] += 1
        self.trigram = _Level(tri, _discount(c for counter in tri.values() for c in counter.values()))
        self.bigram = _Level(bi, _discount(c for counter in bi.values() for c in counter.values()))
        d1 = _discount(uni.values())
        floor = self.predictable / self.predictable.sum()
        counts = np.zeros(self.vocab_size)
        counts[list(uni)] = list(uni.values())
        total = counts.sum()
        self.unigram = np.maximum(counts - d1, 0.0) / total + d1 * len(uni) / total * floor
        return self

    def next_probs(self, history: Sequence[int]) -> np.ndarray:
        """P(next word | the last two ids of history), a float64 vector over the vocabulary summing to 1."""
        u, v = ([self.bos_id, self.bos_id, *history])[-2:]
        return self.trigram.mix((u, v), self.bigram.mix((v,), self.unigram.copy()))

    def sentence_probs(self, ids: Sequence[int]) -> np.ndarray:
        """[len(ids) + 1, vocab]: the distribution before each word of the sentence and before its end."""
        return np.stack([self.next_probs(ids[:t]) for t in range(len(ids) + 1)])

    def log_likelihood(self, ids: Sequence[int]) -> float:
        """Natural-log probability of the sentence, its end (eos) included."""
        targets = [*ids, self.eos_id]
        return float(sum(np.log(self.next_probs(ids[:t])[w]) for t, w in enumerate(targets)))
