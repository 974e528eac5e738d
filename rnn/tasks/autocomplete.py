"""Autocomplete: a word-level LSTM language model that suggests the next words while you type (the video's Gmail example).

Tokenisation: spaCy's English tokenizer, lower-cased ("Don't stop." -> do, n't, stop, .). Each sentence starts
from <bos> with a fresh state and ends with <eos>, because the model is used on one sentence at a time.

Keystroke savings (one function for the LSTM and the n-gram, so both are measured the same way): the sentence is typed
character by character; before each character the 3 most probable vocabulary words that start with what is typed
of the current word are shown; if the intended word is among them, one keystroke accepts it together with the
space that follows it. Savings = 1 - keystrokes / characters of the sentence. Words are compared lower-cased.
"""
from __future__ import annotations

import argparse
import bisect
import math
import random
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import torch

from rnn.checkpoint import Bundle, bundle_dir, load_bundle, save_bundle
from rnn.data.sentences import PTB, TATOEBA, read_lines, read_ptb, tatoeba_split
from rnn.nets.lm import LMConfig, LMEnsemble, LSTMLanguageModel, State
from rnn.registry import rebuild_command
from rnn.tasks.casing import load_casing, save_casing, surface_forms
from rnn.text import MAX_TOKENS, SPECIALS, Token, Vocab, tokenize
from rnn.trace import TaskResult, Trace

TASK = "autocomplete"
SUGGESTIONS = 3  # words shown at a time, on the page and in the keystroke simulation
READOUT_WORDS = 5  # the trace's likeliest next words after each word
CONTINUATION_WORDS = 5000  # the grey continuation's later words come from this many most frequent words
# The grey continuation's most words: a 5th word is seldom right (the whole grey text was right about as often with
# 4 words as with 5 on validation prefixes) and its beam-search step is a fifth of a fresh keystroke's work.
CONTINUATION_LENGTH = 4
# Tokens glued to the previous word when words are joined back into text.
_NO_SPACE_BEFORE = {".", ",", "!", "?", ";", ":", "n't", "'s", "'re", "'m", "'ll", "'ve", "'d", "%", ")"}


# ---------------------------------------------------------------- words and prefixes

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


def keystrokes(sentence: str, probs: np.ndarray, vocab: Vocab, index: PrefixIndex) -> tuple[int, int]:
    """(keystrokes, characters) to type sentence with 3 suggestions; probs[t] is the distribution before token t."""
    tokens = lm_tokens(sentence, None)
    start_of = {t.start: (i, t) for i, t in enumerate(tokens)}
    keys, pos, n = 0, 0, len(sentence)
    while pos < n:
        if pos in start_of:
            i, token = start_of[pos]
            word_id = vocab.id(token.text)
            accepted = False
            if word_id != vocab.unk_id:
                # before each character of the word: is it among the suggestions for what is typed so far?
                for typed in range(len(token.text)):
                    if word_id in index.suggest(probs[i], token.text[:typed]):
                        keys += typed + 1  # the typed characters and the accepting keystroke
                        pos = token.end + (1 if token.end < n and sentence[token.end].isspace() else 0)
                        accepted = True
                        break
            if not accepted:
                keys += token.end - token.start
                pos = token.end
        else:
            keys += 1  # a space (or other character between words) typed by hand
            pos += 1
    return keys, n


# ---------------------------------------------------------------- the model the pages use

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
    # the whole next-word distribution after the last word, (log-probs [V], probabilities [V]): computed when first
    # asked for (AutocompleteModel.distribution), as the reading of a half-typed word is only shown, never continued
    distribution: tuple[torch.Tensor, np.ndarray] | None = None


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
        self.contexts = _LRU(256)  # a long text's entry holds up to 200 x hidden floats
        self.expansions = _LRU(4096)  # one beam-search step each: a state and a few next words
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

    def distribution(self, context: Context) -> tuple[torch.Tensor, np.ndarray]:
        """The next-word distribution after a reading, (log-probs [V], probabilities [V]); kept with the reading.
        (Two threads may both compute it the first time: the same numbers, so either may win.)"""
        if context.distribution is None:
            with torch.inference_mode():
                log_probs = self.net.log_probs(context.feats[-1][None])[0]
            context.distribution = (log_probs, log_probs.exp().numpy())
        return context.distribution

    def sentence_log_probs(self, ids: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """(log-probs [len(ids)+1, V] before each word and at the end, hidden [len(ids), H] after each word)."""
        x = torch.tensor([[self.vocab.bos_id, *ids]])
        feats, _ = self.net.features(x)
        return self.net.log_probs(feats[0]), feats[0, 1:]


def _build(config: LMConfig, vocabs: dict[str, Vocab]) -> LSTMLanguageModel | LMEnsemble:
    return LMEnsemble(config) if config.other_members else LSTMLanguageModel(config)


def load(directory: str | Path | None = None) -> AutocompleteModel:
    """Read the bundle (raises rnn.checkpoint.BundleError when it is missing or broken)."""
    directory = directory or bundle_dir(TASK)
    model = AutocompleteModel(load_bundle(TASK, directory, LMConfig, _build, ("words",)))
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


def beam_continuation(model: AutocompleteModel, ids: tuple[int, ...], first: Sequence[int] | None = None,
                      width: int = 3, max_words: int = CONTINUATION_LENGTH) -> list[str]:
    """The most probable few words after the context ids, by beam search; the first word is one of first (the
    completions of a half-typed word) when given, else any word; the words after it are among the most frequent
    CONTINUATION_WORDS, as in Smart Compose (a rare word is seldom the right guess, and skipping the rarest
    words' output layer halves each step's cost).

    The first word's probability is the whole model's (the completions'); the lead network alone chooses the words
    after it (see AutocompleteModel.lead). A beam's score is its mean log-probability per word, so the search does
    not simply prefer the shortest continuation. Beams that need a new LSTM step advance together in one batched
    step, and only their top words are computed (top_words). Each step is cached by the words it has read (context
    and beam words together), so the next keystroke's search mostly walks paths already taken: typing "sp" and then
    "spr" both start "spring ...", and after "Paris" the search for "Paris " starts where the one for "Paris" went.
    """
    banned = {model.vocab.unk_id, model.vocab.pad_id, model.vocab.bos_id}
    k = width + 1  # one spare for <unk> (<pad> and <bos> are never a next word in training, so never likely)
    clusters = sum(1 for bound in model.lead.bounds[1:] if bound <= CONTINUATION_WORDS)
    context = model.read_context(ids)
    here = model.distribution(context)[0]
    start = list(first) if first is not None else torch.topk(here, k).indices.tolist()
    # path (words after the context) -> (LSTM state after it, log-probs and ids of its k likeliest next words)
    root = (model.lead_state(context.state), here[start].tolist(), start)
    nodes: dict[tuple[int, ...], tuple[State, list[float], list[int]]] = {(): root}
    beams: list[tuple[float, list[int]]] = [(0.0, [])]
    finished: list[tuple[float, list[int]]] = []
    for _ in range(max_words):
        paths = [tuple(words) for _, words in beams]
        missing = []
        for path in paths:
            if path not in nodes:
                nodes[path] = model.expansions.get(ids + path)
                if nodes[path] is None:
                    missing.append(path)
        if missing:
            h = torch.cat([nodes[path[:-1]][0][0] for path in missing], dim=1)
            c = torch.cat([nodes[path[:-1]][0][1] for path in missing], dim=1)
            feats, (h, c) = model.lead.features(torch.tensor([[path[-1]] for path in missing]), (h, c))
            top_lp, top_ids = model.lead.top_words(feats[:, -1], k, clusters)
            for j, path in enumerate(missing):
                nodes[path] = ((h[:, j: j + 1].clone(), c[:, j: j + 1].clone()), top_lp[j].tolist(), top_ids[j].tolist())
                model.expansions.put(ids + path, nodes[path])
        candidates = []
        for score, words in beams:
            _, log_probs, word_ids = nodes[tuple(words)]
            pairs = [(lp, i) for lp, i in zip(log_probs, word_ids) if i not in banned][:width]
            candidates += [(score + lp, words + [i]) for lp, i in pairs]
        candidates.sort(key=lambda cand: -cand[0] / len(cand[1]))
        beams = []
        for score, words in candidates[:width]:
            if words[-1] == model.vocab.eos_id:
                finished.append((score / len(words), words[:-1]))
            else:
                beams.append((score, words))
        if not beams:
            break
    finished += [(score / len(words), words) for score, words in beams]
    best = max(finished, key=lambda f: f[0]) if finished else (0.0, [])
    return model.vocab.decode(best[1])


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
    here = model.distribution(reading)[1]
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


# ---------------------------------------------------------------- measuring

def encode_sentences(sentences: Iterable[str], vocab: Vocab) -> list[list[int]]:
    return [vocab.encode(t.text for t in lm_tokens(s, None)) for s in sentences]


def lstm_sentence_probs(model: AutocompleteModel) -> Callable[[Sequence[int]], np.ndarray]:
    def probs(ids: Sequence[int]) -> np.ndarray:
        with torch.inference_mode():
            return model.sentence_log_probs(ids)[0].exp().double().cpu().numpy()
    return probs


def score(sentences: Sequence[str], sentence_probs: Callable[[Sequence[int]], np.ndarray], vocab: Vocab,
          keystroke_sim: bool = True) -> dict[str, float]:
    """Perplexity, top-1/top-3 next-word accuracy and keystroke savings of a model on sentences.

    sentence_probs(ids) -> [len(ids)+1, V] next-word distributions (the LSTM's or the n-gram's: same measure).
    Every word and the sentence end count; an <unk> target counts in perplexity but never as a correct guess.
    """
    index = PrefixIndex(vocab)
    nll, count, top1, top3, keys, chars = 0.0, 0, 0, 0, 0, 0
    for sentence, ids in zip(sentences, encode_sentences(sentences, vocab)):
        probs = sentence_probs(ids)
        targets = np.array([*ids, vocab.eos_id])
        p = probs[np.arange(len(targets)), targets]
        nll -= float(np.log(np.maximum(p, 1e-12)).sum())
        count += len(targets)
        rank = (probs > p[:, None]).sum(axis=1)
        hit = targets != vocab.unk_id
        top1 += int(((rank < 1) & hit).sum())
        top3 += int(((rank < 3) & hit).sum())
        if keystroke_sim:
            k, c = keystrokes(sentence, probs, vocab, index)
            keys, chars = keys + k, chars + c
    metrics = {"perplexity": math.exp(nll / max(count, 1)), "top1": top1 / max(count, 1), "top3": top3 / max(count, 1)}
    if keystroke_sim:
        metrics["keystroke_savings"] = 1 - keys / max(chars, 1)
    return {k: round(v, 4) for k, v in metrics.items()}


def ngram_for(vocab: Vocab, train_sentences: Iterable[str]):
    from rnn.baselines.ngram import KneserNeyTrigram

    ngram = KneserNeyTrigram(len(vocab), vocab.bos_id, vocab.eos_id, never=(vocab.pad_id, vocab.bos_id))
    return ngram.fit(encode_sentences(train_sentences, vocab))


# ---------------------------------------------------------------- training

def _batches(encoded: list[list[int]], batch_size: int, seed: int | None):
    """Sentences of similar length batched together (little padding); batch order shuffled by seed."""
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    groups = [order[i: i + batch_size] for i in range(0, len(order), batch_size)]
    if seed is not None:
        random.Random(seed).shuffle(groups)
    for group in groups:
        width = max(len(encoded[i]) for i in group) + 1
        # whole rows built in Python, then one tensor each: a single copy when training on a GPU
        x = torch.tensor([[Vocab.bos_id, *encoded[i]] + [Vocab.pad_id] * (width - 1 - len(encoded[i])) for i in group])
        y = torch.tensor([[*encoded[i], Vocab.eos_id] + [-1] * (width - 1 - len(encoded[i])) for i in group])
        yield x, y


def _nll(net: LSTMLanguageModel, batch) -> tuple[torch.Tensor, int]:
    x, y = batch
    feats, _ = net.features(x)
    mask = y >= 0
    return net.loss(feats[mask], y[mask]), int(mask.sum())


def _distilled_nll(net: LSTMLanguageModel, teachers: Sequence[LSTMLanguageModel], weight: float, batch) -> tuple[torch.Tensor, int]:
    """Summed cross-entropy against a blend of the true next word (1 - weight) and the teachers' averaged next-word
    distribution (weight), and the number of words (Hinton et al. 2015's distillation, at temperature 1).

    Why: an ensemble of networks suggests better than any one of them, but costs a network per member on every
    keystroke; a single network trained to match the ensemble's whole distribution keeps much of the gain at one
    network's cost. The full softmax is needed here (the soft targets cover every word), so it trains slower.
    """
    x, y = batch
    feats, _ = net.features(x)
    mask = y >= 0
    log_p = net.log_probs(feats[mask])
    with torch.no_grad():
        soft = torch.stack([t.log_probs(t.features(x)[0][mask]).exp() for t in teachers]).mean(0)
    true_word = log_p.gather(1, y[mask][:, None]).sum()
    return -((1 - weight) * true_word + weight * (soft * log_p).sum()), int(mask.sum())


def train_cli(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m rnn.train autocomplete", description=__doc__.split("\n")[0])
    p.add_argument("--data", default=str(TATOEBA), help="one sentence a line (plain or .gz); valid split by sentence hash")
    p.add_argument("--out", default=str(bundle_dir(TASK)))
    p.add_argument("--limit", type=int, default=0, help="use only N training sentences spread over the file (smoke runs)")
    p.add_argument("--min-freq", type=int, default=2)
    p.add_argument("--emb", type=int, default=256)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--dropout", type=float, default=None,
                   help="dropout rate (default 0.1); with --init it replaces the bundle's, e.g. to regularise a continuation")
    p.add_argument("--epochs", type=int, default=3, help="passes over the training sentences")
    p.add_argument("--parts", type=int, default=4, help="validate (and decay the learning rate) this many times a pass")
    p.add_argument("--batch", type=int, default=64, help="sentences per batch")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--lr-decay", type=float, default=0.8, help="the learning rate is multiplied by this after every part of a pass")
    p.add_argument("--time-budget", type=float, default=1800, help="stop after the part of a pass that ends past this many seconds")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1, help="torch threads (1: the machine is shared)")
    p.add_argument("--device", default="cpu", help="where to train: cpu, or cuda on a machine with a GPU (the bundle is the same)")
    p.add_argument("--init", default=None, help="continue training the bundle in this folder (same data and vocabulary)")
    p.add_argument("--teacher", nargs="+", default=[], metavar="DIR",
                   help="distil: also learn the averaged next-word distributions of these trained bundles (same vocabulary)")
    p.add_argument("--teacher-weight", type=float, default=0.5,
                   help="with --teacher: the teachers' share of the target (the rest is the true next word)")
    p.add_argument("--ensemble", nargs="+", default=None, metavar="DIR",
                   help="instead of training: join these trained bundles (same data and vocabulary, any sizes) into one "
                        "that averages their next-word probabilities; the first writes the grey continuation")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.ensemble:
        return _assemble_ensemble(args, argv)
    with torch.device(args.device):  # every tensor the training and validation make goes to that device
        return _train(args, argv)


def _train(args: argparse.Namespace, argv: list[str]) -> int:
    from rnn.checkpoint import read_card
    from rnn.training import count_parameters, fit, seed_everything, trained_on

    started = time.monotonic()
    train_text, valid_text = tatoeba_split(args.data)
    if args.limit:
        train_text = train_text[:: max(1, len(train_text) // args.limit)][: args.limit]  # a spread: lines are sorted by length
    print(f"{len(train_text)} training and {len(valid_text)} validation sentences", flush=True)
    vocab = Vocab.build(([t.text for t in lm_tokens(s, None)] for s in train_text), min_freq=args.min_freq)
    train_ids, valid_ids = encode_sentences(train_text, vocab), encode_sentences(valid_text, vocab)
    print(f"vocabulary {len(vocab)} words; {sum(len(s) + 1 for s in train_ids)} training tokens", flush=True)
    seed_everything(args.seed)
    config = LMConfig(vocab_size=len(vocab), emb=args.emb, hidden=args.hidden, layers=args.layers,
                      dropout=0.1 if args.dropout is None else args.dropout)
    earlier = {"curve": [], "train_seconds": 0.0, "command": ""}
    start = load(args.init) if args.init else None
    if start:
        if isinstance(start.net, LMEnsemble):
            raise SystemExit(f"{args.init} holds an ensemble: continue one of its members (the card's 'members' lists them)")
        if start.vocab.itos != vocab.itos or replace(start.bundle.config, dropout=config.dropout) != config:
            raise SystemExit(f"{args.init} was trained with another vocabulary or architecture")
        config.dropout = start.bundle.config.dropout if args.dropout is None else args.dropout
        earlier = {**earlier, **(read_card(args.init) or {})}
    net = LSTMLanguageModel(config)
    if start:
        net.load_state_dict(start.net.state_dict())
    net.to(args.device)
    teachers = [load(directory) for directory in args.teacher]
    if any(t.vocab.itos != vocab.itos for t in teachers):
        raise SystemExit("every --teacher must have been trained on the same data and vocabulary")
    teacher_nets = [t.net.to(args.device).eval() for t in teachers]

    def loss_of(model, batch):
        if teacher_nets:
            total, n = _distilled_nll(model, teacher_nets, args.teacher_weight, batch)
        else:
            total, n = _nll(model, batch)
        return total / n

    def validate(model) -> dict[str, float]:
        total, n = 0.0, 0
        for batch in _batches(valid_ids, 256, None):
            t, c = _nll(model, batch)
            total, n = total + float(t), n + c
        return {"valid_ppl": math.exp(total / max(n, 1))}

    def decay(optimizer, epoch, metrics):
        for group in optimizer.param_groups:
            group["lr"] *= args.lr_decay

    def train_batches(round_: int):
        # a "round" of fit() is 1/parts of a pass: validation, learning-rate decay and the time budget act that often
        batches = list(_batches(train_ids, args.batch, args.seed * 1000 + (round_ - 1) // args.parts))
        part = (round_ - 1) % args.parts
        return batches[part * len(batches) // args.parts: (part + 1) * len(batches) // args.parts]

    result = fit(net, train_batches=train_batches,
                 loss_of=loss_of, validate=validate, monitor="valid_ppl", higher_is_better=False,
                 epochs=args.epochs * args.parts, lr=args.lr, clip=1.0, scheduler_step=decay,
                 time_budget_s=args.time_budget, seed=args.seed)
    train_seconds = round(result.seconds + earlier["train_seconds"], 1)
    done = earlier["curve"][-1]["epoch"] if earlier["curve"] else 0
    model = AutocompleteModel(Bundle(model=net, config=config, vocabs={"words": vocab}, card={}))
    metrics, baseline = _measure(model, train_text, valid_text)
    command = "python -m rnn.train autocomplete" + ("" if not argv else " " + " ".join(argv))
    command = f"{earlier['command']} && {command}" if args.init else command
    card = {
        "task": TASK,
        "title": "Autocomplete",
        "model": f"word-level LSTM language model: {config.layers} x {config.hidden} LSTM, {config.emb}-d tied embeddings, "
                 f"dropout {config.dropout}, adaptive softmax over {len(vocab):,} words"
                 + (f", distilled from {len(teachers)} networks" if teachers else ""),
        "parameters": count_parameters(net),
        "data": {"name": "Tatoeba English sentences", "licence": "CC BY 2.0 FR",
                 "attribution": "tatoeba.org and www.manythings.org/anki",
                 "train_size": len(train_text), "valid_size": len(valid_text)},
        "command": command,
        # fit()'s rounds are parts of a pass: the card counts passes over the data (0.25, 0.5, ...)
        "curve": earlier["curve"] + [{**row, "epoch": round(done + row["epoch"] / args.parts, 3)} for row in result.curve],
        "metrics": metrics,
        "baselines": {"Kneser-Ney trigram": baseline},
        "headline": {"key": "keystroke_savings", "label": "keystrokes saved (validation)",
                     "value": metrics["keystroke_savings"], "format": "pct"},
        "train_seconds": train_seconds,
        "trained_on": trained_on(args.device, earlier.get("trained_on")),
        # what --teacher learned from, so the card alone says how to rebuild them (a continuation keeps earlier ones)
        "teachers": [{key: t.bundle.card.get(key) for key in ("model", "command", "metrics", "train_seconds")}
                     for t in teachers] or earlier.get("teachers", []),
        "notes": "Validation: the ~1/60 of Tatoeba sentences whose SHA-1 is 1 mod 60. Words are lower-cased spaCy tokens; "
                 "perplexity counts every word and the sentence end. Keystroke savings: 3 suggestions before each "
                 "character, one keystroke accepts a word and its space. The n-gram is an interpolated Kneser-Ney "
                 f"trigram on the same words and vocabulary. Best after {done + result.best_epoch / args.parts:g} passes; "
                 f"{round(time.monotonic() - started)} s in all including measuring.",
    }
    save_bundle(args.out, net, config, {"words": vocab}, card)
    save_casing(args.out, surface_forms(train_text))
    print(f"bundle written to {args.out}", flush=True)
    return 0


def _measure(model: AutocompleteModel, train_text: list[str], valid_text: list[str]) -> tuple[dict, dict]:
    """The card's scores on the validation split: the LSTM's, and the n-gram's fitted on train_text."""
    print("measuring on the validation split (LSTM and n-gram, with the keystroke simulation)...", flush=True)
    metrics = score(valid_text, lstm_sentence_probs(model), model.vocab)
    baseline = score(valid_text, ngram_for(model.vocab, train_text).sentence_probs, model.vocab)
    print(f"LSTM {metrics}\nn-gram {baseline}", flush=True)
    return metrics, baseline


def _assemble_ensemble(args: argparse.Namespace, argv: list[str]) -> int:
    """--ensemble: one bundle from several trained ones. The card measures the ensemble and each member alone, keeps
    the first one's curve, and its command rebuilds every member and then joins them."""
    from rnn.training import count_parameters, ensemble_command, ensemble_train_seconds

    started = time.monotonic()
    members = [load(directory) for directory in args.ensemble]
    first = members[0]
    for directory, member in zip(args.ensemble, members):
        if isinstance(member.net, LMEnsemble) or member.vocab.itos != first.vocab.itos \
                or member.bundle.config.cutoffs != first.bundle.config.cutoffs:
            raise SystemExit(f"{directory} cannot join: an ensemble needs single networks trained on the same data "
                             "and vocabulary")
    sizes = ("emb", "hidden", "layers", "dropout")
    config = replace(first.bundle.config, other_members=[{k: getattr(m.bundle.config, k) for k in sizes} for m in members[1:]])
    net = LMEnsemble(config)
    for slot, member in zip(net.members, members):
        slot.load_state_dict(member.net.state_dict())
    net.eval()
    model = AutocompleteModel(Bundle(model=net, config=config, vocabs={"words": first.vocab}, card={}))
    train_text, valid_text = tatoeba_split(args.data)
    metrics, baseline = _measure(model, train_text, valid_text)
    cards = [m.bundle.card for m in members]
    card = {
        **cards[0],
        "model": f"ensemble of {len(members)} word-level LSTM language models ("
                 + ", ".join(f"{m.config.layers} x {m.config.hidden}" for m in net.members)
                 + f"), their next-word probabilities averaged; {config.emb}-d tied embeddings, adaptive softmax over "
                   f"{len(first.vocab):,} words",
        "parameters": count_parameters(net),
        "command": ensemble_command(cards, " ".join([rebuild_command(TASK), *argv])),
        "metrics": metrics,
        "baselines": {"Kneser-Ney trigram": baseline},
        "headline": {**cards[0]["headline"], "value": metrics["keystroke_savings"]},
        "train_seconds": round(ensemble_train_seconds(cards) + time.monotonic() - started, 1),
        "trained_on": "; ".join(f"network {n}: {c['trained_on']}" for n, c in enumerate(cards, 1) if c.get("trained_on")),
        # each alone, measured the same way: the card shows what averaging added
        "members": [{"bundle": str(directory), "model": f"{m.config.layers} x {m.config.hidden} LSTM", "train_seconds": card.get("train_seconds"),
                     "metrics": score(valid_text, lstm_sentence_probs(member), first.vocab)}
                    for directory, member, card, m in zip(args.ensemble, members, cards, net.members)],
        "notes": cards[0].get("notes", "") + f" The curve is the first of the {len(members)} networks'; each one's "
                 "own scores are beside the ensemble's. The grey continuation is the first network's alone.",
    }
    save_bundle(args.out, net, config, {"words": first.vocab}, card)
    save_casing(args.out, surface_forms(train_text))
    print(f"ensemble {metrics}\nbundle written to {args.out}", flush=True)
    return 0


def evaluate_cli(argv: list[str]) -> int:
    from rnn.evaluate import print_result

    p = argparse.ArgumentParser(prog="python -m rnn.evaluate autocomplete FILE")
    p.add_argument("file", help="one sentence a line (plain or .gz)")
    p.add_argument("--bundle", default=str(bundle_dir(TASK)))
    p.add_argument("--train", default=str(TATOEBA), help="the n-gram baseline is fitted on this file's training split")
    args = p.parse_args(argv)
    model = load(args.bundle)
    sentences = list(read_lines(args.file))
    train_text, _ = tatoeba_split(args.train)
    lstm = score(sentences, lstm_sentence_probs(model), model.vocab)
    ngram = score(sentences, ngram_for(model.vocab, train_text).sentence_probs, model.vocab)
    print_result({**lstm, "ngram_perplexity": ngram["perplexity"], "ngram_keystroke_savings": ngram["keystroke_savings"],
                  "n_sentences": len(sentences)})
    return 0


# ---------------------------------------------------------------- Penn Treebank: the paper benchmark for the same code

PTB_TASK = "ptb"


def _ptb_stream(path: str | Path, vocab: Vocab) -> torch.Tensor:
    """The file as one stream of ids with <eos> after every sentence (Mikolov's convention)."""
    return torch.tensor([i for sentence in read_ptb(path) for i in (*vocab.encode(sentence), vocab.eos_id)])


def _ptb_columns(stream: torch.Tensor, batch: int) -> torch.Tensor:
    """[steps, batch]: the stream cut into `batch` contiguous columns read in parallel."""
    steps = len(stream) // batch
    return stream[: steps * batch].view(batch, steps).t().contiguous()


def _ptb_nll(net: LSTMLanguageModel, columns: torch.Tensor, bptt: int) -> tuple[float, int]:
    """Summed NLL and token count over the columns, carrying the state across windows."""
    state, total, count = None, 0.0, 0
    for i in range(0, len(columns) - 1, bptt):
        x, y = columns[i: i + bptt], columns[i + 1: i + 1 + bptt]
        x = x[: len(y)]
        feats, state = net.features(x.t(), state)
        total += float(net.loss(feats.reshape(-1, feats.shape[-1]), y.t().reshape(-1)))
        count += y.numel()
    return total, count


def train_ptb_cli(argv: list[str]) -> int:
    """Penn Treebank at the size of Zaremba et al. 2014's "small" model (2 x 200 LSTM; 120.7 validation / 114.5
    test perplexity in the paper). Defaults: the recipe measured in bench/PTB.md (Adam, dropout 0.3, tied
    embeddings, adaptive softmax, 14 epochs: 104.6 validation). The paper's own: --optimizer sgd --lr 1
    --dropout 0 --batch 20 --bptt 20 --decay-after 4 --decay 0.5 --epochs 13."""
    p = argparse.ArgumentParser(prog="python -m rnn.train ptb", description=train_ptb_cli.__doc__)
    p.add_argument("--data", default=str(PTB), help="folder with ptb.train.txt and ptb.valid.txt")
    p.add_argument("--out", default="/tmp/ptb_bundle", help="not committed: PTB's licence is research use only")
    p.add_argument("--hidden", type=int, default=200)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--dropout", type=float, default=0.3)
    p.add_argument("--epochs", type=int, default=14)
    p.add_argument("--decay-after", type=int, default=5)
    p.add_argument("--decay", type=float, default=0.6, help="the learning rate is multiplied by this after each epoch from --decay-after on")
    p.add_argument("--optimizer", choices=("sgd", "adam"), default="adam",
                   help="the paper's is sgd (with --lr 1); with the adaptive softmax it starts slowly on a CPU")
    p.add_argument("--cutoffs", type=int, nargs="*", default=[2000, 5000],
                   help="adaptive softmax clusters; give none (--cutoffs) for a full softmax")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--bptt", type=int, default=35)
    p.add_argument("--limit", type=int, default=0, help="use only the first N training tokens (smoke runs)")
    p.add_argument("--time-budget", type=float, default=None)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    from rnn.training import count_parameters, fit, seed_everything

    data = Path(args.data)
    vocab = Vocab.build(read_ptb(data / "ptb.train.txt"))
    train = _ptb_stream(data / "ptb.train.txt", vocab)
    if args.limit:
        train = train[: args.limit]
    valid = _ptb_columns(_ptb_stream(data / "ptb.valid.txt", vocab), 10)
    columns = _ptb_columns(train, args.batch)
    print(f"vocabulary {len(vocab)}; {len(train)} training tokens", flush=True)
    seed_everything(args.seed)
    config = LMConfig(vocab_size=len(vocab), emb=args.hidden, hidden=args.hidden, layers=args.layers,
                      dropout=args.dropout, cutoffs=args.cutoffs)
    net = LSTMLanguageModel(config)
    for param in net.lstm.parameters():
        torch.nn.init.uniform_(param, -0.1, 0.1)
    carried: dict[str, State] = {}

    def windows(epoch: int):
        carried.clear()  # each epoch starts from a zero state
        for i in range(0, len(columns) - 1, args.bptt):
            y = columns[i + 1: i + 1 + args.bptt]
            yield columns[i: i + len(y)], y

    def loss_of(model, batch):
        x, y = batch
        state = carried.get("state")
        feats, state = model.features(x.t(), state)
        carried["state"] = (state[0].detach(), state[1].detach())  # truncated backpropagation through time
        return model.loss(feats.reshape(-1, feats.shape[-1]), y.t().reshape(-1)) / y.numel()

    def validate(model):
        total, count = _ptb_nll(model, valid, args.bptt)
        return {"valid_ppl": math.exp(total / count)}

    def decay(optimizer, epoch, metrics):
        if epoch >= args.decay_after:
            for group in optimizer.param_groups:
                group["lr"] *= args.decay

    optimizer = (torch.optim.Adam if args.optimizer == "adam" else torch.optim.SGD)(net.parameters(), lr=args.lr)
    result = fit(net, train_batches=windows, loss_of=loss_of, validate=validate, monitor="valid_ppl",
                 higher_is_better=False, epochs=args.epochs, optimizer=optimizer,
                 clip=5.0, scheduler_step=decay, time_budget_s=args.time_budget, seed=args.seed)
    card = {"task": PTB_TASK, "title": "Penn Treebank language model (benchmark)",
            "model": f"{args.layers} x {args.hidden} LSTM, tied embeddings, adaptive softmax, dropout {args.dropout}, {args.optimizer}",
            "parameters": count_parameters(net), "command": "python -m rnn.train ptb " + " ".join(argv),
            "curve": result.curve, "metrics": {"perplexity": round(result.best_metrics["valid_ppl"], 2)},
            "train_seconds": result.seconds,
            "data": {"name": "Penn Treebank (Mikolov)", "licence": "LDC research use",
                     "train_size": len(train), "valid_size": int(valid.numel())}}
    save_bundle(args.out, net, config, {"words": vocab}, card)
    print(f"validation perplexity {card['metrics']['perplexity']}; bundle written to {args.out}", flush=True)
    return 0


def evaluate_ptb_cli(argv: list[str]) -> int:
    from rnn.evaluate import print_result

    p = argparse.ArgumentParser(prog="python -m rnn.evaluate ptb FILE --bundle DIR")
    p.add_argument("file")
    p.add_argument("--bundle", default="/tmp/ptb_bundle")
    p.add_argument("--bptt", type=int, default=20)
    args = p.parse_args(argv)
    bundle = load_bundle(PTB_TASK, args.bundle, LMConfig, _build, ("words",))
    vocab = bundle.vocabs["words"]
    with torch.inference_mode():
        total, count = _ptb_nll(bundle.model, _ptb_columns(_ptb_stream(args.file, vocab), 1), args.bptt)
    print_result({"perplexity": round(math.exp(total / max(count, 1)), 3)})
    return 0
