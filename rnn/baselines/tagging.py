"""The entity tagger's baseline without any RNN: each word gets the tag it most often had in training."""
from __future__ import annotations

from collections import Counter, defaultdict

from rnn.data.conll import Sentence


def most_frequent_tag_baseline(train: list[Sentence], sentences: list[list[str]]) -> list[list[str]]:
    """Each word gets the tag it most often had in training (unseen words: O), repaired into valid BIO."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for sentence in train:
        for word, tag in zip(sentence.tokens, sentence.tags):
            counts[word][tag[2:] if tag != "O" else "O"] += 1
    out = []
    for tokens in sentences:
        kinds = [counts[w].most_common(1)[0][0] if w in counts else "O" for w in tokens]
        out.append([k if k == "O" else ("I-" if i and kinds[i - 1] == k else "B-") + k for i, k in enumerate(kinds)])
    return out
