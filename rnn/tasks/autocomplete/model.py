"""The model the pages use: the loaded bundle with its caches, and what it answers while a student types
(suggestions, completions of the half-typed word, the grey continuation, sampled text)."""
from __future__ import annotations

import math
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import torch

from rnn.checkpoint import Bundle, bundle_dir, load_bundle
from rnn.nets.lm import LMConfig, LMEnsemble, LSTMLanguageModel, State
from rnn.tasks.autocomplete.casing import load_casing
from rnn.tasks.autocomplete.search import beam_continuation
from rnn.tasks.autocomplete.words import SUGGESTIONS, PrefixIndex, join_words, lm_tokens
from rnn.text import MAX_TOKENS, Token, Vocab
from rnn.trace import TaskResult, Trace

TASK = "autocomplete"
READOUT_WORDS = 5  # the trace's likeliest next words after each word


class _LRU:
    """A small least-recently-used map, safe to share between the threads Streamlit serves sessions from."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


@dataclass
class Context:
    """What the LSTM made of the words typed so far (shared between keystrokes: never changed once read, except that
    its distribution is filled in the first time it is asked for)."""
    feats: torch.Tensor  # [n+1, hidden] top-layer outputs after <bos> and after each word
    state: State  # the LSTM state after the last word
    readout: tuple[dict[str, float], ...]  # the trace's READOUT_WORDS likeliest next words after each word
    # the whole next-word distribution after the last word (log-probs [V]): computed when first asked for
    # (AutocompleteModel.distribution), as the reading of a half-typed word is only shown, never continued
    distribution: torch.Tensor | None = None


class AutocompleteModel:
    """A loaded bundle: the LSTM language model, its vocabulary and the prefix index for completions.

    Two caches make a keystroke cheap. While a student types inside a word only the half-typed word changes, so the
    reading of the context is reused; a new word extends the cached reading of the text before it by one LSTM step
    (an exact continuation of the same computation). The grey continuation's beam search caches each step it takes
    (see beam_continuation). Thirty students opening the same link share both. The model is read-only, so sharing
    is safe.
    """

    def __init__(self, bundle: Bundle):
        self.bundle = bundle
        self.net: LSTMLanguageModel | LMEnsemble = bundle.model
        # the lead network: the single one, or an ensemble's first member. The suggestions are the whole model's;
        # the trace (the memory and the guesses after each word) is the lead's, and it alone writes the grey
        # continuation: with every network, a keystroke's beam search and guesses would cost about twice as much
        self.lead: LSTMLanguageModel = self.net.members[0] if isinstance(self.net, LMEnsemble) else self.net
        self.vocab: Vocab = bundle.vocabs["words"]
        self.index = PrefixIndex(self.vocab)
        self.casing: dict[str, str] = {}  # how each word is usually written (load() reads the bundle's)
        # Full, the two hold ~31 MB (15 + 16). The search steps a keystroke reuses are mostly its own student's last
        # keystroke's: with 30 or 120 students typing in turn, 2,048 steps kept saved as much as 4,096 (bench/README.md).
        self.contexts = _LRU(256)  # a long text's entry holds up to 200 x hidden floats, and V log-probs
        self.expansions = _LRU(2048)  # one beam-search step each: the lead's state (8 KB) and a few next words
        # every text starts here, so this reading is kept for good (outside the caches); every later word extends a
        # reading by one step, which is far cheaper than nn.LSTM's call on a whole text
        self.start = self._read(())

    @property
    def networks(self) -> int:
        """How many networks suggest together (1, or an ensemble's size)."""
        return len(self.net.members) if isinstance(self.net, LMEnsemble) else 1

    def lead_state(self, state: State) -> State:
        """The lead network's part of a state of self.net."""
        return self.net.member_states(state)[0] if isinstance(self.net, LMEnsemble) else state

    def recurrent_layers(self) -> dict[str, torch.nn.Module]:
        return {"lstm": self.lead.lstm}

    def clear_caches(self) -> None:
        self.contexts.clear()
        self.expansions.clear()

    def read_context(self, ids: tuple[int, ...]) -> Context:
        """The LSTM's reading of <bos> and ids (cached; extends the cached reading of ids[:-1] when there is one)."""
        if not ids:
            return self.start
        known = self.contexts.get(ids)
        if known is None:
            known = self._read(ids)
            self.contexts.put(ids, known)
        return known

    def _read(self, ids: tuple[int, ...]) -> Context:
        """Read ids, extending the reading of ids[:-1] by one step when it is at hand."""
        if not ids:
            parent = None
        else:
            parent = self.start if len(ids) == 1 else self.contexts.get(ids[:-1])
        with torch.inference_mode():
            if parent is not None:
                step, state = self.net.features(torch.tensor([[ids[-1]]]), parent.state)
                return Context(torch.cat([parent.feats, step[0]]), state, parent.readout + tuple(_readout(self, step[0])))
            out, state = self.net.features(torch.tensor([[self.vocab.bos_id, *ids]]))
            return Context(out[0], state, tuple(_readout(self, out[0, 1:])))

    def distribution(self, context: Context) -> torch.Tensor:
        """The next-word log-probabilities after a reading [V]; kept with the reading (only these: the probabilities
        are one exp away, and a second copy of V floats in each of the cached readings would double their memory).
        Two threads may both compute it the first time: the same numbers, so either may win."""
        if context.distribution is None:
            with torch.inference_mode():
                context.distribution = self.net.log_probs(context.feats[-1][None])[0]
        return context.distribution

    def sentence_log_probs(self, ids: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """(log-probs [len(ids)+1, V] before each word and at the end, hidden [len(ids), H] after each word)."""
        x = torch.tensor([[self.vocab.bos_id, *ids]])
        feats, _ = self.net.features(x)
        return self.net.log_probs(feats[0]), feats[0, 1:]



def build_net(config: LMConfig, vocabs: dict[str, Vocab]) -> LSTMLanguageModel | LMEnsemble:
    """The network a bundle's config describes (load_bundle's builder; the PTB benchmark's bundles too)."""
    return LMEnsemble(config) if config.other_members else LSTMLanguageModel(config)


def load(directory: str | Path | None = None) -> AutocompleteModel:
    """Read the bundle (raises rnn.checkpoint.BundleError when it is missing or broken)."""
    directory = directory or bundle_dir(TASK)
    model = AutocompleteModel(load_bundle(TASK, directory, LMConfig, build_net, ("words",)))
    model.casing = load_casing(directory)
    return model


@dataclass(kw_only=True)
class Result(TaskResult):
    context: list[str]  # the complete words the suggestion is based on
    prefix: str  # the half-typed last word ("" when the text ends in a space)
    next_words: dict[str, float]  # the most probable next words (ignoring the prefix), word -> probability
    completions: dict[str, float]  # the most probable words that start with the prefix
    continuation: list[str]  # a likely multi-word continuation (beam search); its first word completes the prefix
    kept_text: str = ""  # the text up to the half-typed word: kept_text + join_words(continuation) accepts it
    casing: Mapping[str, str] = field(default_factory=dict)  # the model's: how each word is written

    def written(self, word: str) -> str:
        """A word as the page shows it: names with their capitals."""
        return "I" if word == "i" else self.casing.get(word, word)

    def completed(self, words: Sequence[str]) -> str:
        """The text with words accepted: the first one replaces the half-typed word, keeping the typed letters."""
        if not words:
            return self.text
        typed = self.text[len(self.kept_text):]
        starts_sentence = not self.kept_text.strip() or self.kept_text.rstrip()[-1] in ".!?"
        joined = join_words(words, capitalise=starts_sentence, casing=self.casing)
        if typed and joined.lower().startswith(typed.lower()):
            joined = typed + joined[len(typed):]
        return self.kept_text + joined

    @property
    def context_trace(self) -> Trace:
        """The trace without the half-typed word (whose letters are not a word yet, known or not)."""
        n = len(self.context)
        t = self.trace
        return Trace(tokens=t.tokens[:n], known=t.known[:n], hidden=t.hidden[:n], readout=t.readout[:n],
                     readout_title=t.readout_title, ids=t.ids[:n])

    @property
    def grey(self) -> str:
        """What the continuation adds after the typed text (shown in grey)."""
        return self.completed(self.continuation)[len(self.text):]


def _split_prefix(text: str, tokens: list[Token]) -> tuple[list[Token], str, str]:
    """(tokens of the context, the half-typed word, the text before that word), from text and its lm_tokens."""
    capped = len(tokens) >= MAX_TOKENS
    if tokens and not capped and not text[-1:].isspace() and tokens[-1].end == len(text):
        return tokens[:-1], tokens[-1].text, text[: tokens[-1].start]
    return tokens, "", text if not text or text[-1:].isspace() else text + " "


def _top(probs: np.ndarray, ids: Iterable[int], vocab: Vocab) -> dict[str, float]:
    return {vocab.itos[i]: round(float(probs[i]), 5) for i in ids}


def _readout(model: AutocompleteModel, feats: torch.Tensor) -> list[dict[str, float]]:
    """The lead network's READOUT_WORDS most likely next words after each row of features, for the trace (whose
    hidden state is the lead's too)."""
    top_lp, top_ids = model.lead.top_words(feats[:, : model.lead.hidden_size], READOUT_WORDS)
    return [{model.vocab.itos[int(i)]: round(float(lp.exp()), 5) for lp, i in zip(top_lp[t], top_ids[t])}
            for t in range(len(feats))]


def predict(model: AutocompleteModel, text: str, k: int = 8) -> Result:
    """Suggestions for text as typed so far: next words, completions of the half-typed word, a continuation."""
    text = text if isinstance(text, str) else ""
    all_tokens = lm_tokens(text, MAX_TOKENS + 1)
    truncated, all_tokens = len(all_tokens) > MAX_TOKENS, all_tokens[:MAX_TOKENS]
    context, prefix, kept = _split_prefix(text, all_tokens)
    words = [t.text for t in all_tokens]
    ids = model.vocab.encode(words)
    n = len(context)
    # the context's reading is cached (typing inside a word does not change it); the trace also reads the half-typed
    # word, one step more and cached as well: its letters are mostly one unknown word until they make a known one,
    # and once a space completes it this same reading is the next context
    reading = model.read_context(tuple(ids[:n]))
    with_half_word = model.read_context(tuple(ids)) if len(ids) > n else reading
    feats, readout = with_half_word.feats, with_half_word.readout
    here = model.distribution(reading).exp().numpy()
    likeliest = np.argpartition(-here, k + 3)[: k + 3]
    likeliest = likeliest[np.argsort(-here[likeliest], kind="stable")]
    next_ids = [i for i in likeliest if i not in (model.vocab.unk_id, model.vocab.pad_id, model.vocab.bos_id)][:k]
    completion_ids = model.index.suggest(here, prefix, SUGGESTIONS) if prefix else None
    completions = _top(here, completion_ids, model.vocab) if prefix else {}
    # The grey text starts with the top suggestion (the first completion button, or the top bar), so the page never
    # shows the model suggesting two different next words at once.
    top_suggestion = (completion_ids or [])[:1] if prefix else next_ids[:1]
    with torch.inference_mode():
        continuation = beam_continuation(model, tuple(ids[:n]), top_suggestion)
    # a copy: the context's part of it lives in the shared cache
    hidden = feats[1:, : model.lead.hidden_size]
    whose = "the" if model.networks == 1 else "the first network's"
    trace = Trace(tokens=words, known=model.vocab.known(words), hidden=hidden.numpy().copy(), readout=readout, ids=ids,
                  readout_title=f"{whose} most likely next word")
    notes = []
    if prefix and not completions:
        notes.append(f"No word the model knows starts with “{prefix}”.")
    return Result(text=text, context=[t.text for t in context], prefix=prefix, next_words=_top(here, next_ids, model.vocab),
                  completions=completions, continuation=continuation, trace=trace, kept_text=kept, notes=notes,
                  truncated=truncated, casing=model.casing)


def generate(model: AutocompleteModel, text: str, temperature: float = 0.8, max_words: int = 15, seed: int | None = None) -> list[str]:
    """Let it write: sample words after text until the end of the sentence (or max_words). Per-call generator."""
    if not temperature > 0:
        raise ValueError("the temperature must be above 0")
    generator = torch.Generator().manual_seed(seed if seed is not None else random.randrange(2**31))
    with torch.inference_mode():
        ids = model.vocab.encode(t.text for t in lm_tokens(text if isinstance(text, str) else ""))
        reading = model.read_context(tuple(ids))
        out, state = reading.feats[-1], reading.state
        written: list[int] = []
        for _ in range(max_words):
            logits = model.net.log_probs(out[None])[0] / temperature
            logits[[model.vocab.unk_id, model.vocab.pad_id, model.vocab.bos_id]] = -math.inf
            word = int(torch.multinomial(torch.softmax(logits, -1), 1, generator=generator))
            if word == model.vocab.eos_id:
                break
            written.append(word)
            feats, state = model.net.features(torch.tensor([[word]]), state)
            out = feats[0, -1]
    return model.vocab.decode(written)

