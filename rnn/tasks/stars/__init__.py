"""Review stars (many-to-one): a bidirectional GRU reads a review and gives it 1 to 5 stars, beside a
feed-forward network on the bag of its one-hot words (the video's fixed slots, added up). The same code trains
the SST-5 benchmark model (task sst5, in rnn.tasks.stars.sst5).

API for the pages: load() -> StarsModel, predict(model, text) -> StarsResult (with a per-word trace).
CLIs: python -m rnn.train stars|sst5 [options]; python -m rnn.evaluate stars|stars-contrast|sst5 FILE [--bundle DIR].

Modules: model (the bundle, predict, the page's helpers), batches, metrics (scores, offsets, contrast pairs),
train (both networks, the bundle's card, the stars CLI), evaluate (the stars CLIs), sst5 (the benchmark's CLIs).
"""
from rnn.tasks.stars.evaluate import evaluate_cli
from rnn.tasks.stars.model import (MAX_TOKENS, TASK, StarsModel, StarsResult, contrast_summary, expected_stars, load,
                                   plain_words, predict)
from rnn.tasks.stars.train import train_cli

__all__ = ["MAX_TOKENS", "TASK", "StarsModel", "StarsResult", "contrast_summary", "evaluate_cli", "expected_stars",
           "load", "plain_words", "predict", "train_cli"]
