"""What the Your sentences page says about data and results, in words and table rows (pure functions)."""
from __future__ import annotations

from collections import Counter
from typing import Callable

from rnn.own.data import OwnData
from rnn.own.model import FEED_FORWARD_NAME, RNN_NAME, OwnModel, predict


def data_summary(data: OwnData, escape: Callable[[str], str]) -> str:
    """The data in a line of markdown; escape makes a label (the teacher's text) show exactly as typed."""
    counts = Counter(r.label for r in data.rows)
    labels = ", ".join(f"*{escape(label)}* ({counts[label]})" for label in data.labels)
    return (f"**{len(data.rows):,} sentences**, {len(data.labels)} labels: {labels}. The networks train on "
            f"{len(data.train):,} of them; {len(data.valid):,} (a fifth of each label, chosen with a fixed seed) are "
            "held out to measure them on sentences they never saw.")


def answers(model: OwnModel, text: str) -> dict[str, tuple[str, float]]:
    """Each network's label for text and its probability."""
    result = predict(model, text)
    return {RNN_NAME: (result.label, result.probs[result.label]),
            FEED_FORWARD_NAME: (result.ff_label, result.ff_probs[result.ff_label])}


def pair_rows(model: OwnModel, pair: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    """One table row per showcase sentence: its true label and what each network says, right or wrong."""
    rows = []
    for text, truth in pair:
        row = {"sentence": text, "true label": truth}
        for name, (label, p) in answers(model, text).items():
            row[name] = f"{'✅' if label == truth else '❌'} {label} ({p:.0%})"
        rows.append(row)
    return rows


def pair_verdict(model: OwnModel, pair: tuple[tuple[str, str], ...]) -> str:
    """What the two showcase sentences show after this training, said as it came out."""
    said = [answers(model, text) for text, _ in pair]
    rnn_right = sum(a[RNN_NAME][0] == truth for a, (_, truth) in zip(said, pair))
    ff_right = sum(a[FEED_FORWARD_NAME][0] == truth for a, (_, truth) in zip(said, pair))
    slots = model.bundle.config.slots
    same = said[0][FEED_FORWARD_NAME] == said[1][FEED_FORWARD_NAME]
    return (f"The two sentences share their first {slots} words, which is all the feed-forward network reads "
            f"({slots} slots): {'so it gives both exactly the same answer' if same else 'it still tells them apart'} "
            f"and gets {ff_right} of 2 right. The RNN reads to the last word and gets {rnn_right} of 2 right.")


def accuracy_rows(model: OwnModel) -> list[dict[str, str]]:
    card = model.bundle.card
    rows = [{"network": RNN_NAME, "held-out accuracy": card["metrics"]["accuracy"]}]
    rows += [{"network": name, "held-out accuracy": scores["accuracy"]} for name, scores in card["baselines"].items()]
    return [{**row, "held-out accuracy": f"{row['held-out accuracy']:.0%}"} for row in rows]
