"""English -> French translation: the encoder reads every English word first, then the decoder writes French.

French is cut into words with its elisions split off (l'|homme, qu'|il) and glued back by detokenize(), so
the model writes real French: accents, capitals, apostrophes and punctuation. The English side uses the
shared spaCy tokenizer, lower-cased (capitals carry little meaning in English and would double the vocabulary).
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from rnn.checkpoint import bundle_dir, load_bundle
from rnn.nets.seq2seq import (LENGTH_ALPHA, BeamStep, Hypothesis, Network, Seq2Seq, Seq2SeqConfig, Seq2SeqEnsemble,
                              beam_search, combine_reads)
from rnn.nets.seq2seq import build as build_network
from rnn.tasks.translate.confidence import Confidence, confidence
from rnn.text import MAX_TOKENS, UNK, Vocab, tokenize
from rnn.trace import TaskResult, Trace

TASK = "translate"
READOUT_TOP = 6  # how many first-word guesses the trace shows (the same words for every English word)
STEP_TOP = 5  # how many alternatives the page shows for each French word written
BEAM_LENGTH_ALPHA = LENGTH_ALPHA  # the beam's length normalisation (nets.seq2seq.length_penalty), which the page explains

# ---------------------------------------------------------------- French words in and out

_SPACES = re.compile(r"[\u00a0\u202f\u2009\u200b]")
# A number (3,5), an elided word with its apostrophe (l' qu' aujourd'), a word with its hyphens (est-ce, a-t-il), or one symbol.
_FRENCH_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|\w+'|\w+(?:-\w+)*|\S")
_NO_SPACE_BEFORE = {".", ",", ")", "…", "%"}
_NO_SPACE_AFTER = {"(", "-"}


def french_tokens(text: str) -> list[str]:
    """Split French into the units the decoder writes; typographic spaces and apostrophes are normalised."""
    text = _SPACES.sub(" ", text).replace("\u2019", "'")
    return _FRENCH_TOKEN.findall(text)


def detokenize(tokens: list[str]) -> str:
    """Glue French units back into a sentence: 'l'' + 'homme' -> "l'homme"; a space before ! ? : ; as in French."""
    out = ""
    for token in tokens:
        glue = not out or out.endswith("'") and len(out) > 1 and out[-2].isalpha() \
            or token in _NO_SPACE_BEFORE or out[-1] in _NO_SPACE_AFTER
        out += token if glue else " " + token
    return out


def english_tokens(text: str, max_tokens: int | None = MAX_TOKENS) -> list[str]:
    return [t.text for t in tokenize(text, max_tokens)]


def source_ids(vocab: Vocab, tokens: list[str]) -> list[int]:
    return vocab.encode(t.lower() for t in tokens)


# ---------------------------------------------------------------- the model as the pages see it


@dataclass
class Translator:
    """A loaded bundle: the network, both vocabularies and the card."""

    bundle: object
    net: Network  # one Seq2Seq, or an ensemble of them that decodes as one
    vocab: Vocab  # English input words (lower-cased)
    tgt_vocab: Vocab  # French output units
    lexicon: dict[str, str] = field(default_factory=dict)  # English word (lower-cased) -> its likeliest French unit

    @property
    def networks(self) -> int:
        """How many networks translate together (1, or an ensemble's size)."""
        return len(self.net.members) if isinstance(self.net, Seq2SeqEnsemble) else 1

    @property
    def first(self) -> Seq2Seq:
        """The network whose hidden states the pages show (an ensemble's first member)."""
        return self.net.members[0] if isinstance(self.net, Seq2SeqEnsemble) else self.net

    def recurrent_layers(self) -> dict[str, torch.nn.Module]:
        return {"encoder (bidirectional GRU)": self.first.encoder, "decoder (GRU)": self.first.decoder}


def build(config: Seq2SeqConfig, vocabs: dict[str, Vocab]) -> Network:
    return build_network(config)


def load(directory: str | Path | None = None) -> Translator:
    """Read the bundle (raises rnn.checkpoint.BundleError when it is missing or broken)."""
    directory = Path(directory or bundle_dir(TASK))
    bundle = load_bundle(TASK, directory, Seq2SeqConfig, build, ("src", "tgt"))
    try:  # optional: without it (or with a broken one) an <unk> in the French is replaced by the English word itself
        lexicon = json.loads((directory / LEXICON_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        lexicon = {}
    lexicon = {k: v for k, v in lexicon.items() if isinstance(v, str)} if isinstance(lexicon, dict) else {}
    return Translator(bundle=bundle, net=bundle.model, vocab=bundle.vocabs["src"], tgt_vocab=bundle.vocabs["tgt"],
                      lexicon=lexicon)


# ---------------------------------------------------------------- words the decoder has no French for

LEXICON_FILE = "lexicon.json"


def build_lexicon(train_pairs) -> dict[str, str]:
    """Each English word (lower-cased) -> the French unit it co-occurs with most in the training pairs (Dice
    coefficient). Words too rare for the vocabularies are in it too: that is what it is for."""
    src_count, tgt_count, joint = Counter(), Counter(), defaultdict(Counter)
    for english, french in train_pairs:
        src, tgt = set(w.lower() for w in english_tokens(english, None)), set(french_tokens(french))
        src_count.update(src)
        tgt_count.update(tgt)
        for w in src:
            joint[w].update(tgt)
    return {w: max(c, key=lambda f: (2 * c[f] / (src_count[w] + tgt_count[f]), f)) for w, c in sorted(joint.items())}


def replace_unknowns(model: Translator, source: list[str], units: list[str], attention: np.ndarray) -> dict[int, tuple[str, str]]:
    """Where the decoder wrote <unk>: {position: (English word it looked at hardest, French written instead)}.

    Luong et al. 2015's unknown-word replacement: attention says which English word the <unk> stands for;
    the lexicon gives its French, and a word missing from the lexicon (a name, a number) is copied as typed.
    """
    # Only words can stand for a missing French word: a <unk> that looks hardest at the final "." means a
    # word near the end, not a second full stop.
    words = [j for j, w in enumerate(source) if any(c.isalnum() for c in w)]
    replaced = {}
    for k, unit in enumerate(units):
        if unit == UNK and words:
            english = source[max(words, key=lambda j: attention[k, j])]
            replaced[k] = (english, model.lexicon.get(english.lower(), english))
    return replaced


def with_replacements(units: list[str], replaced: dict[int, tuple[str, str]]) -> list[str]:
    return [replaced[k][1] if k in replaced else u for k, u in enumerate(units)]


def max_output_len(n_source: int) -> int:
    return min(2 * n_source + 10, 120)


@dataclass
class Alternative:
    text: str
    logprob: float  # total log-probability of the whole French sentence
    score: float  # length-normalised log-probability: what the beam ranks by

    @property
    def probability(self) -> float:
        return math.exp(self.logprob)


@dataclass(kw_only=True)
class TranslateResult(TaskResult):
    translation: str
    source: list[str]  # the English words as typed
    target: list[str]  # the French units written, <eos> last
    attention: np.ndarray  # [len(target), len(source)]: where the decoder looked while writing each unit
    steps: list[dict[str, float]]  # for each unit written: the decoder's top alternatives at that step
    alternatives: list[Alternative]  # the beam's finished hypotheses, best first
    replaced: dict[int, tuple[str, str]] = field(default_factory=dict)  # see replace_unknowns()
    beam: int = 1
    confidence: Confidence | None = None  # how sure the networks are of this French (None for empty input)
    # the search itself, for drawing it as a tree (rnn.tasks.translate.beam_tree): every step, and its hypotheses
    search: list[BeamStep] = field(default_factory=list)
    hypotheses: list[Hypothesis] = field(default_factory=list)

    def written(self) -> list[str]:
        """The French units as the translation shows them: target with each <unk> replaced."""
        return with_replacements(self.target, self.replaced)


def _empty_result(model: Translator, text: str, note: str) -> TranslateResult:
    hidden = np.zeros((0, model.net.config.enc_hidden), dtype=np.float32)
    trace = Trace(tokens=[], known=[], hidden=hidden, hidden_backward=hidden.copy())
    return TranslateResult(text=text, trace=trace, notes=[note], translation="", source=[], target=[],
                           attention=np.zeros((0, 0), dtype=np.float32), steps=[], alternatives=[])


def _first_word_readout(model: Translator, ids: list[int], limit: int = 60) -> list[dict[str, float]]:
    """For each prefix of the sentence: the decoder's first French word if the English stopped there.

    This is the video's point made visible: the guess changes as the encoder reads on, so the decoder
    has to wait for the whole sentence. Prefixes past `limit` words reuse the last guess (cost stays flat).
    """
    net, n = model.net, min(len(ids), limit)
    src = torch.tensor([ids[: i + 1] + [0] * (n - i - 1) for i in range(n)])
    enc = net.encode(src, torch.arange(1, n + 1))
    probs = net.step(torch.full((n,), Vocab.bos_id), enc.start, enc)[0].exp()
    # One set of columns for every row (so a heatmap can show a guess rising and falling): each prefix's
    # top 3 words, the most probable anywhere first.
    best = probs.topk(min(3, probs.size(1)), dim=-1).indices.flatten().unique()
    labels = best[probs[:, best].max(dim=0).values.argsort(descending=True)][:READOUT_TOP].tolist()
    rows = [{model.tgt_vocab.itos[i]: round(float(row[i]), 4) for i in labels} for row in probs]
    return rows + [rows[-1]] * (len(ids) - n)


def first_word_changes(trace: Trace) -> list[tuple[int, str]]:
    """Where the decoder's first French word (if the English ended there) changes: (English word index, new word),
    starting with the first word's own guess."""
    changes: list[tuple[int, str]] = []
    for index, row in enumerate(trace.readout):
        word = max(row, key=row.get) if row else ""
        if not changes or changes[-1][1] != word:
            changes.append((index, word))
    return changes


def predict(model: Translator, text: str, beam: int = 5) -> TranslateResult:
    """Translate one English text. Never raises on odd input: empty text gives an empty translation."""
    beam = max(1, min(int(beam), 10))
    text = text if isinstance(text, str) else ""
    every = english_tokens(text, MAX_TOKENS + 1)
    truncated, tokens = len(every) > MAX_TOKENS, every[:MAX_TOKENS]
    if not tokens:
        return _empty_result(model, text, "There is no English word to translate.")
    words = tokens
    ids = source_ids(model.vocab, words)
    known = [i != Vocab.unk_id for i in ids]
    net, tgt = model.net, model.tgt_vocab
    with torch.inference_mode():
        src = torch.tensor([ids])
        enc = net.encode(src, torch.tensor([len(ids)]))
        search: list[BeamStep] = []  # recording costs a few list appends per step
        hyps = beam_search(net, enc, Vocab.bos_id, Vocab.eos_id, max_output_len(len(ids)), width=beam, record=search)
        best = hyps[0]
        # Re-read the chosen French with teacher forcing: each step's alternatives and attention in one pass.
        out_ids = best.ids + [Vocab.eos_id]
        reads = net.reread_each(enc, torch.tensor([[Vocab.bos_id] + best.ids]))
        log_probs, weights = (part[0] for part in combine_reads(reads))
        rated = confidence(net, enc, best.ids, reads)
        values, index = log_probs.exp().topk(STEP_TOP, dim=-1)
        steps = [{tgt.itos[i]: round(v, 4) for i, v in zip(ix, vs)} for ix, vs in zip(index.tolist(), values.tolist())]
        h = net.config.enc_hidden  # outputs: forward and backward states side by side (each member's, in an ensemble)
        trace = Trace(
            tokens=words, known=known,
            hidden=enc.outputs[0, :, :h].numpy(), hidden_backward=enc.outputs[0, :, h: 2 * h].numpy(),
            readout=_first_word_readout(model, ids), readout_title="The first French word, if the English ended here",
            ids=ids,
        )
    notes = []
    if not all(known):
        notes.append("Unknown English words are read as <unk>: the model guesses from the words around them.")
    if truncated:
        notes.append(f"Only the first {MAX_TOKENS} words were translated.")
    attention = weights.numpy().astype(np.float32)
    target = tgt.decode(out_ids)
    replaced = replace_unknowns(model, words, target, attention)
    alternatives = [Alternative(detokenize(tgt.decode(h.ids)), round(h.logprob, 4), round(h.score, 4)) for h in hyps]
    return TranslateResult(
        translation=detokenize(with_replacements(target[:-1], replaced)), source=words, target=target,
        attention=attention, steps=steps, alternatives=alternatives,
        text=text, trace=trace, truncated=truncated, beam=beam, notes=notes, replaced=replaced, confidence=rated,
        search=search, hypotheses=hyps,
    )
