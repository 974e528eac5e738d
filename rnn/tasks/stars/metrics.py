"""What training selects by and the CLIs report: accuracy, macro-F1 and MAE, the class offsets tuned on them,
the ordinal loss term, and the hand-written contrast pairs that test word order and negation."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from rnn.nets.stars import StarsPair
from rnn.tasks.stars.batches import all_logits, make_examples
from rnn.text import UNK, Vocab, words

# Hand-written minimal pairs (more positive review, less positive one): validation data for word order and negation.
CONTRAST_FILE = Path(__file__).resolve().parents[2] / "data" / "stars_contrast.tsv"


def scores(gold: Sequence[int], predicted: Sequence[int], classes: int = 5) -> dict[str, float]:
    """accuracy, macro-F1 (over the classes that occur in gold or predictions) and mean absolute class error."""
    gold_a, pred_a = np.asarray(gold), np.asarray(predicted)
    if len(gold_a) == 0:
        return {"accuracy": 0.0, "macro_f1": 0.0, "mae": 0.0}
    f1s = []
    for c in range(classes):
        tp = int(((pred_a == c) & (gold_a == c)).sum())
        support, chosen = int((gold_a == c).sum()), int((pred_a == c).sum())
        if support or chosen:
            f1s.append(2 * tp / (support + chosen))
    return {
        "accuracy": float((gold_a == pred_a).mean()),
        "macro_f1": float(np.mean(f1s)),
        "mae": float(np.abs(gold_a - pred_a).mean()),
    }


def objective(metrics: dict[str, float]) -> float:
    """The one number model selection maximises on validation: accuracy, macro-F1 and MAE at once."""
    return metrics["accuracy"] + metrics["macro_f1"] - metrics["mae"]


def tune_offsets(logits: torch.Tensor, gold: Sequence[int], score: Callable[[dict], float], rounds: int = 3) -> torch.Tensor:
    """Per-class logit offsets (a learned class prior) that maximise score on the given (validation) logits.

    The data is skewed to 5 stars; plain argmax rarely says 2 or 3 stars, which costs macro-F1 and MAE.
    Coordinate ascent over a grid, class by class, keeping the last class at 0 (offsets are relative).
    """
    offsets = torch.zeros(logits.shape[1])
    grid = torch.linspace(-2.0, 2.0, 41)

    def value(o: torch.Tensor) -> float:
        return score(scores(gold, (logits + o).argmax(-1).tolist(), logits.shape[1]))

    best = value(offsets)
    for _ in range(rounds):
        for c in range(logits.shape[1] - 1):
            for g in grid:
                trial = offsets.clone()
                trial[c] = g
                v = value(trial)
                if v > best + 1e-9:
                    best, offsets = v, trial
    return offsets


def ordinal_penalty(logits: torch.Tensor, gold: torch.Tensor) -> torch.Tensor:
    """The expected distance |predicted class - true class| under the model's distribution (MAE-aware)."""
    classes = torch.arange(logits.shape[1], device=logits.device)
    distance = (classes[None, :] - gold[:, None]).abs().to(logits.dtype)
    return (torch.softmax(logits, -1) * distance).sum(-1).mean()


def read_contrast_pairs(path: str | Path) -> list[tuple[str, str]]:
    """Lines `more positive review<TAB>less positive review`; blank lines and lines starting with # skipped."""
    pairs = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not all(f.strip() for f in fields):
            raise ValueError(f"{path}:{number}: expected two reviews separated by one tab")
        pairs.append((fields[0].strip(), fields[1].strip()))
    return pairs


def contrast_scores(probs: torch.Tensor, pairs_count: int) -> dict[str, float]:
    """probs [2N, C]: row 2i the more positive review of pair i, row 2i+1 the less positive one.

    A pair is right when the first review's expected stars are strictly higher; its polarity is right when
    the first gets 4 stars or more and the second 2 or fewer (argmax).
    """
    stars = torch.arange(1, probs.shape[1] + 1, dtype=probs.dtype)
    expected = (probs * stars).sum(-1).view(pairs_count, 2)
    argmax = (probs.argmax(-1) + 1).view(pairs_count, 2)
    return {
        "pair_accuracy": float((expected[:, 0] > expected[:, 1]).float().mean()) if pairs_count else 0.0,
        "polarity_accuracy": float(((argmax[:, 0] >= 4) & (argmax[:, 1] <= 2)).float().mean()) if pairs_count else 0.0,
    }


def contrast_probabilities(net: StarsPair, vocab: Vocab, pairs: Sequence[tuple[str, str]], which: str) -> torch.Tensor:
    """[2N, C] star distributions (the bundle's offsets applied) of the rnn or the ann for every review of pairs."""
    texts = [review for pair in pairs for review in pair]
    data = make_examples(net.config, vocab, [words(t) or [UNK] for t in texts], [0] * len(texts))
    return torch.softmax(all_logits(net, data, which) + getattr(net, f"{which}_offset"), -1)
