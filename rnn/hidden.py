"""What the Hidden State page computes from a trace: narration, memory distance, the 2-D path, parameter
counts, and the feed-forward network's one-hot input layer for the same sentence. Pure functions."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from rnn.trace import Trace

# A unit whose value moves by more than this after a word counts as "changed" in the narration.
CHANGE_THRESHOLD = 0.1


def narrate(trace: Trace, step: int) -> str:
    """One line in words: what reading trace.tokens[step] did to the hidden state and to the answer."""
    word = trace.tokens[step]
    now = trace.hidden[step]
    before = trace.hidden[step - 1] if step > 0 else np.zeros_like(now)
    delta = now - before
    changed = int((np.abs(delta) > CHANGE_THRESHOLD).sum())
    size = float(np.linalg.norm(delta) / (np.linalg.norm(before) + 1e-6)) if step > 0 else 1.0
    unit = int(np.argmax(np.abs(delta)))
    start = "Starting from an empty memory (all zeros)" if step == 0 else f"After “{trace.tokens[step - 1]}”"
    line = (f"Step {step + 1}: {start}, the network reads “{word}”"
            f"{' (an unknown word, read as <unk>)' if not trace.known[step] else ''}. "
            f"{changed} of {len(now)} units move by more than {CHANGE_THRESHOLD}"
            + (f"; the memory changes by {size:.0%} of its size" if step > 0 else "")
            + f"; unit {unit} moves most ({before[unit]:+.2f} → {now[unit]:+.2f}).")
    if trace.readout:
        label, p = max(trace.readout[step].items(), key=lambda item: item[1])
        line += f" Answer at this word: {label} ({p:.0%})."
    return line


def memory_distance(a: Trace, b: Trace) -> np.ndarray:
    """Euclidean distance between the two hidden states at each step both sentences reach."""
    steps = min(len(a), len(b))
    return np.linalg.norm(a.hidden[:steps] - b.hidden[:steps], axis=1)


def pca_2d(hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project hidden states [T, H] onto their two main directions; returns points [T, 2] and the
    share of variance each direction explains (so the page can say how faithful the picture is)."""
    centred = hidden - hidden.mean(axis=0, keepdims=True)
    if len(hidden) < 2 or not np.any(centred):
        return np.zeros((len(hidden), 2)), np.zeros(2)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    points = centred @ vt[:2].T
    if points.shape[1] < 2:
        points = np.pad(points, ((0, 0), (0, 2 - points.shape[1])))
    variance = singular**2 / np.sum(singular**2)
    return points, np.pad(variance[:2], (0, max(0, 2 - len(variance[:2]))))


@dataclass
class WeightRow:
    layer: str
    name: str
    shape: tuple[int, ...]
    count: int


def recurrent_weights(layers: dict[str, nn.Module]) -> list[WeightRow]:
    """Every weight matrix of the recurrent layers, with its real shape: these are shared by all time steps."""
    return [WeightRow(layer, name, tuple(p.shape), p.numel())
            for layer, module in layers.items() for name, p in module.named_parameters()]


def word_embedding(model: nn.Module, vocab_size: int) -> nn.Embedding | None:
    """The input word table of a task's network: its first nn.Embedding with a row per vocabulary word (an ensemble's
    first network's). It is what a one-hot slot times a weight matrix computes, shared by every position."""
    return next((m for m in model.modules() if isinstance(m, nn.Embedding) and m.num_embeddings == vocab_size), None)


def gate_count(module: nn.Module) -> int:
    """How many gate blocks are stacked in weight_ih (LSTM 4, GRU 3, plain RNN 1)."""
    return {"LSTM": 4, "GRU": 3}.get(type(module).__name__, 1)


@dataclass
class OneHotInput:
    """The input layer a feed-forward network needs for this sentence: max_len one-hot slots of vocab_size."""

    max_len: int
    vocab_size: int
    positions: list[int]  # slot of each word that fits
    word_ids: list[int]  # its vocabulary id (1 = <unk>)
    kept: list[str]
    cut: list[str]  # words beyond max_len, which the network never sees
    padded: int  # empty slots (all zeros) for a short sentence

    @property
    def neurons(self) -> int:
        return self.max_len * self.vocab_size

    @property
    def active(self) -> int:
        return len(self.kept)

    def input_index(self, slot: int) -> int:
        """Which of the input neurons the word in this slot switches on (its row in the first weight matrix)."""
        return self.positions[slot] * self.vocab_size + self.word_ids[slot]


def one_hot_input(tokens: list[str], ids: list[int], vocab_size: int, max_len: int) -> OneHotInput:
    """Lay the sentence into a fixed-size one-hot input layer: cut what is too long, pad what is short. ids are the
    vocabulary ids the model itself read for the tokens (Trace.ids), so the panel and the model never disagree."""
    kept, cut = tokens[:max_len], tokens[max_len:]
    return OneHotInput(max_len=max_len, vocab_size=vocab_size, positions=list(range(len(kept))),
                       word_ids=list(ids[:max_len]), kept=kept, cut=cut, padded=max_len - len(kept))


def feedforward_first_layer(max_len: int, vocab_size: int, hidden: int) -> int:
    """Parameters of a dense first layer from max_len one-hot slots to `hidden` units (weights + biases)."""
    return max_len * vocab_size * hidden + hidden


def repeated_word(tokens: list[str], max_len: int) -> tuple[str, int, int] | None:
    """A word that occurs twice within the first max_len tokens: (word, first slot, second slot)."""
    seen: dict[str, int] = {}
    for slot, word in enumerate(tokens[:max_len]):
        key = word.lower()
        if key in seen and word.isalpha():
            return word, seen[key], slot
        seen.setdefault(key, slot)
    return None


@dataclass
class SharingExample:
    """One word in two slots of the one-hot input layer, and the input neuron it switches on in each.

    Slots count from 1, as the page's captions and the one-hot chart show them; neurons are indices into the
    whole input layer, (slot - 1) * vocab_size + word id, counting from 0 like the vocabulary ids on the chart.
    """

    word: str
    slots: tuple[int, int]
    neurons: tuple[int, int]
    repeated: bool  # the word really stands in both slots; otherwise the second slot is a what-if


def sharing_example(layout: OneHotInput) -> SharingExample:
    """A repeated word in the sentence if it has one, else its first word and what it would switch on in slot 4."""
    repeat = repeated_word(layout.kept, layout.max_len)
    first, second = repeat[1:] if repeat else (0, min(3, layout.max_len - 1))
    moved = second * layout.vocab_size + layout.word_ids[first]
    return SharingExample(word=layout.kept[first], slots=(first + 1, second + 1),
                          neurons=(layout.input_index(first), layout.input_index(second) if repeat else moved),
                          repeated=repeat is not None)


def trace_csv(trace: Trace) -> str:
    """The trace as CSV: one row per word with its readout and every hidden unit (for a spreadsheet or a notebook)."""
    import csv
    import io

    labels = list(trace.readout[0]) if trace.readout else []
    units = trace.hidden.shape[1]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["step", "word", "known", *map(spreadsheet_text, labels), *(f"h{i}" for i in range(units))])
    for t, word in enumerate(trace.tokens):
        readout = [f"{trace.readout[t].get(label, 0.0):.4f}" for label in labels]
        writer.writerow([t + 1, spreadsheet_text(word), trace.known[t], *readout, *(f"{v:.5f}" for v in trace.hidden[t])])
    return out.getvalue()


def spreadsheet_text(cell: str) -> str:
    """A text cell a spreadsheet shows as text: one that starts like a formula (=, +, -, @, a tab or a carriage return)
    gets a leading apostrophe, so a typed '=HYPERLINK(...)' is never run when a student opens the file.
    The numbers are written by the app itself and stay numbers."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
