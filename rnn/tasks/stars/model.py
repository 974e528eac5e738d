"""The review-stars model the pages use: a loaded bundle (the RNN and its feed-forward baseline), predict() with
a per-word trace, and the small helpers the page shows the answer with."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import nn

from rnn.checkpoint import Bundle, bundle_dir, load_bundle
from rnn.nets.stars import StarsConfig, StarsPair, build_pair
from rnn.text import MAX_TOKENS, Vocab, tokenize, words
from rnn.trace import TaskResult, Trace

TASK, SST_TASK = "stars", "sst5"
STAR_LABELS = ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]
READOUT_TITLE = "Stars if the review ended at this word (forward direction only)"


@dataclass
class StarsModel:
    """A loaded bundle: the RNN and the feed-forward baseline, their shared input vocabulary and card."""

    bundle: Bundle
    vocab: Vocab

    @property
    def net(self) -> StarsPair:
        return self.bundle.model

    @property
    def config(self) -> StarsConfig:
        return self.bundle.config

    @property
    def networks(self) -> int:
        """How many networks answer together: one (the feed-forward baseline is shown beside it, not averaged in)."""
        return 1

    @property
    def labels(self) -> list[str]:
        return list(self.config.labels)

    def recurrent_layers(self) -> dict[str, nn.Module]:
        return {"forward GRU": self.net.rnn.forward_gru, "backward GRU": self.net.rnn.backward_gru}


@dataclass(kw_only=True)
class StarsResult(TaskResult):
    """index is the answer's class (0-based; stars = index + 1), None when there was nothing to read."""

    index: int | None
    label: str | None
    probs: dict[str, float]
    ann_index: int | None
    ann_label: str | None
    ann_probs: dict[str, float]

    @property
    def stars(self) -> int | None:
        return None if self.index is None else self.index + 1

    @property
    def ann_stars(self) -> int | None:
        return None if self.ann_index is None else self.ann_index + 1


def load(directory: str | Path | None = None, task: str = TASK) -> StarsModel:
    """Read a bundle (default assets/<task>/). Raises rnn.checkpoint.BundleError when it is missing or broken."""
    bundle = load_bundle(task, directory or bundle_dir(task), StarsConfig, build_pair, ("words",))
    return StarsModel(bundle=bundle, vocab=bundle.vocabs["words"])


def load_sst5(directory: str | Path | None = None) -> StarsModel:
    return load(directory, SST_TASK)


def encode(config: StarsConfig, vocab: Vocab, tokens: Sequence[str]) -> list[int]:
    return vocab.encode(t.lower() for t in tokens) if config.lowercase else vocab.encode(tokens)


def _known(config: StarsConfig, vocab: Vocab, tokens: Sequence[str]) -> list[bool]:
    return vocab.known(t.lower() for t in tokens) if config.lowercase else vocab.known(tokens)


def _distribution(labels: list[str], probs: torch.Tensor) -> dict[str, float]:
    return {label: round(float(p), 4) for label, p in zip(labels, probs)}


def predict(model: StarsModel, text: str) -> StarsResult:
    """Stars for one text from both networks, with the RNN's per-word trace. Never raises on any string."""
    every = tokenize(text or "", MAX_TOKENS + 1)
    truncated, tokens = len(every) > MAX_TOKENS, [t.text for t in every[:MAX_TOKENS]]
    hidden = model.config.hidden
    if not tokens:
        empty = Trace(tokens=[], known=[], hidden=np.zeros((0, hidden), np.float32), readout_title=READOUT_TITLE,
                      hidden_backward=np.zeros((0, hidden), np.float32))
        return StarsResult(text=text or "", trace=empty, index=None, label=None, probs={}, ann_index=None,
                           ann_label=None, ann_probs={})
    labels = model.labels
    word_ids = encode(model.config, model.vocab, tokens)
    with torch.inference_mode():
        ids = torch.tensor([word_ids])
        lengths = torch.tensor([len(tokens)])
        logits, prefix_logits, states = model.net.rnn(ids, lengths)
        probs = torch.softmax(logits[0] + model.net.rnn_offset, -1)
        prefix_probs = torch.softmax(prefix_logits[0], -1)
        ann_probs = torch.softmax(model.net.ann(ids)[0] + model.net.ann_offset, -1)
    trace = Trace(
        tokens=tokens,
        known=_known(model.config, model.vocab, tokens),
        hidden=states[0, :, :hidden].numpy(),
        hidden_backward=states[0, :, hidden:].numpy(),
        readout=[_distribution(labels, row) for row in prefix_probs],
        readout_title=READOUT_TITLE,
        ids=word_ids,
    )
    index, ann_index = int(probs.argmax()), int(ann_probs.argmax())
    return StarsResult(text=text, trace=trace, truncated=truncated, index=index, label=labels[index],
                       probs=_distribution(labels, probs), ann_index=ann_index, ann_label=labels[ann_index],
                       ann_probs=_distribution(labels, ann_probs))


def plain_words(text: str) -> str:
    """The words of a text without case or punctuation: "Not good, really bad." and "not good really bad" give the
    same, so a page can recognise an example however it was typed or linked."""
    return " ".join(w for w in words(text.lower()) if any(c.isalnum() for c in w))


def expected_stars(probs: dict[str, float]) -> float:
    """The mean of the star distribution (1-5): finer than the argmax, so a pair can differ within one class."""
    return sum((i + 1) * p for i, p in enumerate(probs.values()))


def contrast_summary(card: dict) -> str | None:
    """One sentence for the page: how both networks did on the card's contrast pairs (None when not measured)."""
    rnn = card.get("metrics", {})
    ff = next((v for k, v in card.get("baselines", {}).items() if k.startswith("Feed-forward")), {})
    keys = ("contrast_pair_accuracy", "contrast_polarity_accuracy")
    if not all(k in rnn and k in ff for k in keys):
        return None
    return (f"**Order and negation, measured.** On {card.get('contrast_pairs', 'the')} hand-written pairs of reviews with "
            "the same or nearly the same words, where order or negation decides which is the better one (*not bad, "
            "really good* / *not good, really bad*), the recurrent network gives the better review more stars in "
            f"**{rnn[keys[0]]:.0%}** of pairs and gets both sides right (4 or 5 stars against 1 or 2) in "
            f"**{rnn[keys[1]]:.0%}**; the feed-forward network: {ff[keys[0]]:.0%} and {ff[keys[1]]:.0%}.")
