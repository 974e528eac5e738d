"""The two networks trained on a teacher's sentences, and what the pages use: OwnModel (the task contract) and
predict(model, text) with the RNN's per-word trace beside the feed-forward network's answer."""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import torch
from torch import nn

from rnn.checkpoint import Bundle
from rnn.live_training import MAX_SLOTS, SlotFeedForward
from rnn.registry import Task
from rnn.text import Vocab, words
from rnn.trace import TaskResult, Trace

TASK = "own"
# A training sentence is cut here: MAX_TEXT_CHARS characters are rarely more words than this.
MAX_SENTENCE_TOKENS = 80
MAX_VOCAB = 4000
RNN_NAME, FEED_FORWARD_NAME = "RNN (GRU)", f"Feed-forward (one-hot by slot, {MAX_SLOTS} slots)"
READOUT_TITLE = "The label if the sentence ended at this word"
# Bounds a bundle's config must keep: a hostile config.json must not make the loader allocate gigabytes.
CONFIG_LIMITS = {"embed": 256, "hidden": 256, "buckets": 20000, "max_grams": 32, "ff_hidden": 64, "slots": 64}


@dataclass
class OwnConfig:
    vocab_size: int
    labels: list[str]
    embed: int = 32
    hidden: int = 32
    buckets: int = 2000  # hashed letter trigrams: unseen words that share parts with seen ones ("boring"/"bored")
    max_grams: int = 12
    ff_hidden: int = 16
    slots: int = MAX_SLOTS
    dropout: float = 0.5
    demo: str = ""  # the sentence the pages open on

    def check(self) -> None:
        """ValueError when the config is outside what this app ever trains."""
        if not 4 < self.vocab_size <= MAX_VOCAB:
            raise ValueError(f"vocab_size {self.vocab_size} is outside 5..{MAX_VOCAB}")
        if not (2 <= len(self.labels) <= 10 and all(isinstance(x, str) for x in self.labels)):
            raise ValueError("labels must be 2 to 10 names")
        for name, most in CONFIG_LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
                raise ValueError(f"{name} {value!r} is outside 1..{most}")
        if not isinstance(self.demo, str) or len(self.demo) > 1000:
            raise ValueError("demo must be a sentence")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout {self.dropout!r} is outside 0..1")


def trigrams(word: str, config: OwnConfig) -> list[int]:
    """The word's letter trigrams (with < and > at its ends) hashed into buckets 1..buckets (0 is padding)."""
    marked = f"<{word}>"
    return [zlib.crc32(marked[i:i + 3].encode()) % config.buckets + 1 for i in range(len(marked) - 2)][: config.max_grams]


class OwnRNN(nn.Module):
    """Word vector + letter-trigram vector -> one GRU layer -> the mean of its hidden states -> a label.

    The mean over the sentence (rather than the last state) and the trigrams both help a network that learns from a
    few hundred sentences: every word's state counts, and an unseen word is read through the parts it shares."""

    def __init__(self, config: OwnConfig):
        super().__init__()
        self.embed = nn.Embedding(config.vocab_size, config.embed, padding_idx=Vocab.pad_id)
        self.pieces = nn.EmbeddingBag(config.buckets + 1, config.embed, mode="mean", padding_idx=0)
        self.gru = nn.GRU(config.embed, config.hidden, batch_first=True)
        self.drop = nn.Dropout(config.dropout)
        self.out = nn.Linear(config.hidden, len(config.labels))

    def states(self, ids: torch.Tensor, grams: torch.Tensor) -> torch.Tensor:
        """The hidden state after each word: [batch, words, hidden]."""
        batch, steps, width = grams.shape
        pieces = self.pieces(grams.reshape(batch * steps, width)).reshape(batch, steps, -1)
        states, _ = self.gru(self.drop(self.embed(ids) + pieces))
        return states

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, grams: torch.Tensor) -> torch.Tensor:
        mask = (ids != Vocab.pad_id).unsqueeze(-1).float()
        mean = (self.states(ids, grams) * mask).sum(1) / lengths.clamp(min=1).unsqueeze(-1)
        return self.out(self.drop(mean))


class OwnFeedForward(SlotFeedForward):
    """The video's feed-forward network (one-hot by slot, as on Watch it learn) with one output per label."""

    def __init__(self, config: OwnConfig):
        super().__init__(config.vocab_size, config.ff_hidden, config.slots)
        self.out = nn.Linear(config.ff_hidden, len(config.labels))


class OwnPair(nn.Module):
    """Both networks in one module, so one state_dict holds the bundle (the RNN first: its word table is the one
    the Hidden state page shows)."""

    def __init__(self, config: OwnConfig):
        super().__init__()
        self.rnn, self.ff = OwnRNN(config), OwnFeedForward(config)


def build_pair(config: OwnConfig, vocabs: dict[str, Vocab]) -> OwnPair:
    config.check()
    if len(vocabs["words"]) != config.vocab_size:
        raise ValueError(f"the vocabulary has {len(vocabs['words'])} words, the config says {config.vocab_size}")
    return OwnPair(config)


def tokens_of(text: str) -> list[str]:
    return words(text, max_tokens=MAX_SENTENCE_TOKENS)


def encode(sentences: list[list[str]], vocab: Vocab, config: OwnConfig) -> tuple[torch.Tensor, ...]:
    """(ids, lengths, trigram ids) for a batch of tokenised sentences, padded to the longest (at least one word)."""
    longest = max([1, *(len(s) for s in sentences)])
    ids = torch.full((len(sentences), longest), Vocab.pad_id)
    grams = torch.zeros((len(sentences), longest, config.max_grams), dtype=torch.long)
    for row, sentence in enumerate(sentences):
        lowered = [w.lower() for w in sentence]
        if lowered:
            ids[row, : len(lowered)] = torch.tensor(vocab.encode(lowered))
        for step, word in enumerate(lowered):
            pieces = trigrams(word, config)
            grams[row, step, : len(pieces)] = torch.tensor(pieces)
    return ids, torch.tensor([max(1, len(s)) for s in sentences]), grams


def one_word_apart(text: str, vocab: Vocab) -> tuple[str, str]:
    """text and text with its first word swapped for a common training word: two sentences one early word apart."""
    tokens = tokens_of(text)
    common = [w for w in vocab.itos[4:10] if tokens and w != tokens[0].lower()]
    if not tokens or not common:
        return text, text
    return " ".join(tokens), " ".join([common[0], *tokens[1:]])


@dataclass
class OwnModel:
    """A trained (or uploaded) pair: it lives in one browser session only. demo is the sentence the Hidden state
    page opens on; memory_pair, two sentences that differ in one early word."""

    bundle: Bundle
    vocab: Vocab
    demo: str
    memory_pair: tuple[str, str]
    history: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def pair(self) -> OwnPair:
        return self.bundle.model

    @property
    def labels(self) -> list[str]:
        return list(self.bundle.config.labels)

    @property
    def networks(self) -> int:
        return 1  # the feed-forward network is shown beside it, not averaged in

    def recurrent_layers(self) -> dict[str, nn.Module]:
        return {"GRU": self.pair.rnn.gru}

    @property
    def entry(self) -> Task:
        """This model as the Hidden state page lists a task."""
        return Task(TASK, "Your sentences", "✍️", "pages/8_Your_Sentences.py", "Your own labelled sentences.",
                    "many-to-one", "Your sentences", self.demo, self.memory_pair)


@dataclass(kw_only=True)
class OwnResult(TaskResult):
    probs: dict[str, float]
    ff_probs: dict[str, float]

    @property
    def label(self) -> str | None:
        return max(self.probs, key=self.probs.get) if self.probs else None

    @property
    def ff_label(self) -> str | None:
        return max(self.ff_probs, key=self.ff_probs.get) if self.ff_probs else None


def predict(model: OwnModel, text: str) -> OwnResult:
    """Both networks' answers for text, and the RNN's trace: its state and its answer after every word."""
    tokens = tokens_of(text)
    truncated = len(tokens) >= MAX_SENTENCE_TOKENS and len(words(text, max_tokens=None)) > MAX_SENTENCE_TOKENS
    if not tokens:
        return OwnResult(text=text, trace=Trace([], [], torch.zeros(0, model.bundle.config.hidden).numpy()),
                         probs={}, ff_probs={})
    config, labels = model.bundle.config, model.labels
    ids, lengths, grams = encode([tokens], model.vocab, config)
    with torch.inference_mode():
        states = model.pair.rnn.states(ids, grams)[0]
        running = states.cumsum(0) / torch.arange(1, len(tokens) + 1).unsqueeze(-1)
        steps = torch.softmax(model.pair.rnn.out(running), -1)
        ff = torch.softmax(model.pair.ff(ids, lengths), -1)[0]
    readout = [dict(zip(labels, row.tolist())) for row in steps]
    lowered = [w.lower() for w in tokens]
    trace = Trace(tokens, model.vocab.known(lowered), states.numpy(), readout, READOUT_TITLE, ids=ids[0].tolist())
    notes = [f"The feed-forward network reads only the first {config.slots} words; it never sees "
             f"“{' '.join(tokens[config.slots:])}”."] if len(tokens) > config.slots else []
    return OwnResult(text=text, trace=trace, notes=notes, truncated=truncated, probs=readout[-1],
                     ff_probs=dict(zip(labels, ff.tolist())))
