"""English -> French translation: the encoder reads every English word first, then the decoder writes French.

French is cut into words with its elisions split off (l'|homme, qu'|il) and glued back by detokenize(), so
the model writes real French: accents, capitals, apostrophes and punctuation. The English side uses the
shared spaCy tokenizer, lower-cased (capitals carry little meaning in English and would double the vocabulary).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import re
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from rnn.checkpoint import bundle_dir, load_bundle, save_bundle
from rnn.data.tatoeba import ATTRIBUTION, ENG_FRA, group_references, read_pairs, split_pairs
from rnn.nets.seq2seq import (LENGTH_ALPHA, Network, Seq2Seq, Seq2SeqConfig, Seq2SeqEnsemble, beam_search, combine_reads,
                              greedy, select)
from rnn.nets.seq2seq import build as build_network
from rnn.registry import rebuild_command
from rnn.tasks.translate_confidence import Confidence, confidence
from rnn.text import MAX_TOKENS, UNK, Vocab, tokenize
from rnn.trace import TaskResult, Trace
from rnn.training import count_parameters, ensemble_command, ensemble_train_seconds, fit, trained_on

TASK = "translate"
MAX_TRAIN_TOKENS = 25  # longer pairs are rare in Tatoeba and cost the most per example
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


def _src_ids(vocab: Vocab, tokens: list[str]) -> list[int]:
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


def _with_replacements(units: list[str], replaced: dict[int, tuple[str, str]]) -> list[str]:
    return [replaced[k][1] if k in replaced else u for k, u in enumerate(units)]


def _attention(net: Network, enc, ids: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Re-read written French ids (teacher forcing) for a batch of one: (log-probs [T+1, V], attention [T+1, S])."""
    log_probs, weights = net.reread(enc, torch.tensor([[Vocab.bos_id] + ids]))
    return log_probs[0], weights[0]


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

    def written(self) -> list[str]:
        """The French units as the translation shows them: target with each <unk> replaced."""
        return _with_replacements(self.target, self.replaced)


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
    ids = _src_ids(model.vocab, words)
    known = [i != Vocab.unk_id for i in ids]
    net, tgt = model.net, model.tgt_vocab
    with torch.inference_mode():
        src = torch.tensor([ids])
        enc = net.encode(src, torch.tensor([len(ids)]))
        hyps = beam_search(net, enc, Vocab.bos_id, Vocab.eos_id, max_output_len(len(ids)), width=beam)
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
        translation=detokenize(_with_replacements(target[:-1], replaced)), source=words, target=target,
        attention=attention, steps=steps, alternatives=alternatives,
        text=text, trace=trace, truncated=truncated, beam=beam, notes=notes, replaced=replaced, confidence=rated,
    )


# ---------------------------------------------------------------- batches, decoding a corpus, scores


def _encode_pairs(pairs, src_vocab: Vocab, tgt_vocab: Vocab, max_tokens: int | None) -> list[tuple[list[int], list[int]]]:
    data = []
    for english, french in pairs:
        src, tgt = english_tokens(english, None), french_tokens(french)
        if src and tgt and (max_tokens is None or (len(src) <= max_tokens and len(tgt) <= max_tokens)):
            data.append((_src_ids(src_vocab, src), tgt_vocab.encode(tgt)))
    return data


def _batches(data, batch_size: int, seed: int):
    """Batches of similar source length (less padding), in a seeded random order."""
    rng = random.Random(seed)
    order = sorted(range(len(data)), key=lambda i: (len(data[i][0]), rng.random()))
    chunks = [order[i: i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(chunks)
    for chunk in chunks:
        yield _collate([data[i] for i in chunk])


def _pad(rows: list[list[int]]) -> torch.Tensor:
    width = max(len(r) for r in rows)
    return torch.tensor([r + [Vocab.pad_id] * (width - len(r)) for r in rows])


def _collate(examples):
    src = _pad([s for s, _ in examples])
    lengths = torch.tensor([len(s) for s, _ in examples])
    tgt_in = _pad([[Vocab.bos_id] + t for _, t in examples])
    tgt_out = _pad([t + [Vocab.eos_id] for _, t in examples])
    return src, lengths, tgt_in, tgt_out


@dataclass
class Decoded:
    text: str
    confidence: Confidence | None = None  # only when decode_corpus was asked for it


def decode_corpus(model: Translator, sentences: list[str], beam: int = 1, batch_size: int = 200,
                  with_confidence: bool = False) -> list[Decoded]:
    """Translate many English sentences: batched greedy for beam 1, one beam search per sentence otherwise.
    Every <unk> written is replaced as predict() does (replace_unknowns); with_confidence also rates each one."""
    net, tgt = model.net, model.tgt_vocab
    source = [english_tokens(s) for s in sentences]
    ids = [_src_ids(model.vocab, words) or [Vocab.unk_id] for words in source]
    out = [Decoded("") for _ in sentences]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size if beam == 1 else 1):
            chunk = order[start: start + (batch_size if beam == 1 else 1)]
            src = _pad([ids[i] for i in chunk])
            enc = net.encode(src, torch.tensor([len(ids[i]) for i in chunk]))
            limit = max_output_len(src.size(1))
            if beam == 1:
                decoded, _ = greedy(net, enc, Vocab.bos_id, Vocab.eos_id, limit)
            else:
                decoded = [beam_search(net, enc, Vocab.bos_id, Vocab.eos_id, limit, width=beam)[0].ids]
            for k, (i, row) in enumerate(zip(chunk, decoded)):
                units = tgt.decode(row)
                if Vocab.unk_id in row:
                    _, attention = _attention(net, select(enc, torch.tensor([k])), row)
                    units = _with_replacements(units, replace_unknowns(model, source[i], units, attention.cpu().numpy()))
                rated = confidence(net, select(enc, torch.tensor([k])), row) if with_confidence else None
                out[i] = Decoded(detokenize(units), rated)
    return out


def translate_corpus(model: Translator, sentences: list[str], beam: int = 1, batch_size: int = 200) -> list[str]:
    return [d.text for d in decode_corpus(model, sentences, beam, batch_size)]


def score(hypotheses: list[str], references: list[list[str]]) -> dict[str, float]:
    """Corpus BLEU and chrF (sacrebleu, 0-100) with all references of each sentence."""
    import sacrebleu

    width = max(len(r) for r in references)
    streams = [[r[k] if k < len(r) else None for r in references] for k in range(width)]
    return {"bleu": round(sacrebleu.corpus_bleu(hypotheses, streams).score, 2),
            "chrf": round(sacrebleu.corpus_chrf(hypotheses, streams).score, 2)}


def evaluate_pairs(model: Translator, pairs: list[tuple[str, str]], beam: int = 1, with_confidence: bool = False) -> dict:
    """BLEU and chrF; with_confidence adds how the unsure rule splits the sentences (confidence_split)."""
    english, references = group_references(pairs)
    decoded = decode_corpus(model, english, beam=beam, with_confidence=with_confidence)
    result = score([d.text for d in decoded], references)
    if with_confidence:
        result.update(confidence_split(decoded, references))
    return {**result, "n_sentences": len(english), "n_pairs": len(pairs),
            "decoding": "greedy" if beam == 1 else f"beam {beam}"}


def card_metrics(model: Translator, valid_pairs: list[tuple[str, str]], beam: int) -> dict:
    """What a card records: BLEU and chrF with the beam and greedy, and how the unsure rule splits the beam's."""
    greedy_metrics = evaluate_pairs(model, valid_pairs, beam=1)
    beam_metrics = evaluate_pairs(model, valid_pairs, beam=beam, with_confidence=True)
    return {"bleu": beam_metrics["bleu"], "chrf": beam_metrics["chrf"],
            "bleu_greedy": greedy_metrics["bleu"], "chrf_greedy": greedy_metrics["chrf"],
            **{k: beam_metrics[k] for k in ("flagged_share", "chrf_flagged", "chrf_unflagged")},
            "n_sentences": beam_metrics["n_sentences"], "n_pairs": beam_metrics["n_pairs"]}


def confidence_split(decoded: list[Decoded], references: list[list[str]]) -> dict[str, float]:
    """The share of sentences flagged unsure, and the corpus chrF of the flagged and of the other translations."""
    flagged = [d.confidence is not None and d.confidence.unsure for d in decoded]

    def chrf_of(group: bool) -> float | None:
        picked = [k for k, f in enumerate(flagged) if f == group]
        if not picked:
            return None
        return score([decoded[k].text for k in picked], [references[k] for k in picked])["chrf"]

    return {"flagged_share": round(sum(flagged) / max(len(flagged), 1), 4),
            "chrf_flagged": chrf_of(True), "chrf_unflagged": chrf_of(False)}


def word_by_word(lexicon: dict[str, str], valid_english: list[str]) -> list[str]:
    """Baseline without any RNN: each English word replaced by its lexicon entry (build_lexicon), kept in
    English word order."""
    return [detokenize([lexicon[w.lower()] for w in english_tokens(s) if w.lower() in lexicon]) for s in valid_english]


# ---------------------------------------------------------------- CLIs


def train_cli(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m rnn.train translate", description=__doc__)
    p.add_argument("--data", default=str(ENG_FRA), help="Tatoeba pairs file, English<TAB>French")
    p.add_argument("--out", default=str(bundle_dir(TASK)))
    p.add_argument("--epochs", type=int, default=20,
                   help="curve rows: each is 1/parts of a pass over the data (0 with --resume: only re-measure)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--emb", type=int, default=192)
    p.add_argument("--enc-hidden", type=int, default=192)
    p.add_argument("--dec-hidden", type=int, default=384)
    p.add_argument("--dropout", type=float, default=None,
                   help="dropout rate (default 0.1); with --resume it replaces the bundle's, e.g. to regularise a long tail")
    p.add_argument("--min-freq", type=int, default=2, help="words seen fewer times become <unk>")
    p.add_argument("--max-vocab", type=int, default=12000)
    p.add_argument("--parts", type=int, default=2, help="validate this many times per pass over the data")
    p.add_argument("--limit", type=int, default=None, help="use only the first N pairs (smoke runs)")
    p.add_argument("--time-budget", type=float, default=45 * 60, help="seconds; training stops after the epoch that passes it")
    p.add_argument("--threads", type=int, default=1, help="torch threads (the training machine is shared)")
    p.add_argument("--device", default="cpu", help="where to train: cpu, or cuda on a machine with a GPU (the bundle is the same)")
    p.add_argument("--beam", type=int, default=5)
    p.add_argument("--lr-decay", type=float, default=1.0,
                   help="multiply the learning rate by this after every curve row (an annealing tail for --resume runs)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--patience", type=int, default=3, help="stop after this many rows without a better greedy BLEU")
    p.add_argument("--average", type=int, default=0, metavar="N",
                   help="checkpoint averaging: also try the mean of the last N rows' weights, kept if its greedy BLEU is higher")
    p.add_argument("--resume", default=None, metavar="DIR",
                   help="continue training the bundle in DIR (its vocabularies and sizes; the card's curve goes on)")
    p.add_argument("--ensemble", nargs="+", default=None, metavar="DIR",
                   help="train nothing: join these trained bundles (same vocabularies and sizes) into one that "
                        "averages their probabilities at every step, measure it and save it to --out")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.ensemble:
        return _assemble_ensemble(args, argv)
    with torch.device(args.device):  # every tensor the training and validation make goes to that device
        return _train(args, argv)


def _train_and_valid(args: argparse.Namespace) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    pairs = read_pairs(args.data)
    if args.limit:
        pairs = pairs[: args.limit]
    train_pairs, valid_pairs = split_pairs(pairs)
    if not valid_pairs:  # tiny files (tests) may have no sentence on the validation side of the hash
        train_pairs, valid_pairs = pairs, pairs[: max(1, len(pairs) // 10)]
    return train_pairs, valid_pairs


def _train(args: argparse.Namespace, argv: list[str]) -> int:
    started = time.monotonic()
    train_pairs, valid_pairs = _train_and_valid(args)
    previous = load(args.resume) if args.resume else None
    before = previous.bundle.card if previous else {}  # a resumed run's card continues the earlier one
    done = len(before.get("curve", []))
    if previous and isinstance(previous.net, Seq2SeqEnsemble):
        raise SystemExit(f"{args.resume} holds an ensemble: resume one of its members (the card's 'members' lists them)")
    if previous:
        src_vocab, tgt_vocab, config, net = previous.vocab, previous.tgt_vocab, previous.bundle.config, previous.net
        net.requires_grad_(True)
        if args.dropout is not None:
            config.dropout = net.drop.p = args.dropout
    else:
        src_vocab = Vocab.build(([w.lower() for w in english_tokens(e, None)] for e, _ in train_pairs), args.min_freq, args.max_vocab)
        tgt_vocab = Vocab.build((french_tokens(f) for _, f in train_pairs), args.min_freq, args.max_vocab)
        config = Seq2SeqConfig(len(src_vocab), len(tgt_vocab), args.emb, args.enc_hidden, args.dec_hidden,
                               0.1 if args.dropout is None else args.dropout)
        net = Seq2Seq(config)
    net.to(args.device)
    train = _encode_pairs(train_pairs, src_vocab, tgt_vocab, MAX_TRAIN_TOKENS)
    valid = _encode_pairs(valid_pairs, src_vocab, tgt_vocab, None)
    valid_english, valid_refs = group_references(valid_pairs)
    print(f"{len(train)} training pairs, {len(valid_english)} validation sentences ({len(valid_pairs)} pairs); "
          f"vocab en {len(src_vocab)} fr {len(tgt_vocab)}", flush=True)

    lexicon = build_lexicon(train_pairs)
    model = Translator(bundle=None, net=net, vocab=src_vocab, tgt_vocab=tgt_vocab, lexicon=lexicon)

    def loss_of(m, batch):
        return m(*batch)

    def validate(m):
        total, count = 0.0, 0
        for batch in _batches(valid, 256, 0):
            words = int((batch[3] != Vocab.pad_id).sum())
            total, count = total + m(*batch).item() * words, count + words
        metrics = score(translate_corpus(model, valid_english, beam=1), valid_refs)
        return {"valid_loss": total / max(count, 1), "bleu": metrics["bleu"], "chrf": metrics["chrf"]}

    def decay_and_halve_on_plateau(optimizer, epoch, metrics, best=[-1.0]):
        for group in optimizer.param_groups:
            group["lr"] *= args.lr_decay / (2 if metrics["bleu"] <= best[0] else 1)
        best[0] = max(best[0], metrics["bleu"])

    budget = args.time_budget - (time.monotonic() - started)
    def train_batches(row):  # row r trains on part (r - 1) % parts of pass (r - 1) // parts, shuffled per pass
        row += done
        batches = list(_batches(train, args.batch_size, args.seed * 1000 + (row - 1) // args.parts))
        return batches[(row - 1) % args.parts:: args.parts]

    recent = deque(maxlen=max(args.average, 1))  # the weights after each of the last rows, for --average

    def remember(m, row):
        recent.append({k: v.detach().clone() for k, v in m.state_dict().items()})

    result = fit(net, train_batches=train_batches,
                 loss_of=loss_of, validate=validate, monitor="bleu", epochs=args.epochs, lr=args.lr,
                 scheduler_step=decay_and_halve_on_plateau, time_budget_s=budget, patience=args.patience, seed=args.seed,
                 on_epoch=remember if args.average > 1 else None)
    kept = f"row {done + result.best_epoch}" if result.curve else "the resumed weights (--epochs 0 only re-measures)"
    if args.average > 1 and len(recent) > 1 and _average_if_better(net, list(recent), result.best_metrics["bleu"], validate):
        last = done + len(result.curve)
        kept = f"the mean of rows {last - len(recent) + 1}-{last} (checkpoint averaging)"

    metrics = card_metrics(model, valid_pairs, args.beam)
    baseline = score(word_by_word(lexicon, valid_english), valid_refs)
    card = {
        "task": TASK,
        "title": "English → French translation",
        "model": f"bidirectional GRU encoder ({config.enc_hidden}×2) → GRU decoder ({config.dec_hidden}) "
                 f"with Luong attention, word units, beam search {args.beam}, <unk> replaced through attention",
        "parameters": count_parameters(net),
        "data": {"name": "Tatoeba English–French pairs (manythings.org 2017-09-29)", "licence": "CC BY 2.0 FR",
                 "attribution": ATTRIBUTION, "train_size": len(train), "valid_size": len(valid_pairs)},
        "command": " && ".join(c for c in (before.get("command"), " ".join([rebuild_command(TASK), *argv])) if c),
        "curve": before.get("curve", []) + [{**row, "epoch": row["epoch"] + done} for row in result.curve],
        "metrics": metrics,
        "baselines": {"word-by-word dictionary (no RNN, no context)": baseline},
        "headline": {"key": "bleu", "label": f"validation BLEU (beam {args.beam})", "value": metrics["bleu"], "format": "num"},
        "train_seconds": round(before.get("train_seconds", 0) + time.monotonic() - started, 1),
        "trained_on": trained_on(args.device, before.get("trained_on")),
        "notes": (f"Validation: {len(valid_english)} English sentences chosen by a hash of the sentence, scored with "
                  f"sacrebleu against all their French translations. Each curve row ('epoch') is 1/{args.parts} of a pass over the training pairs; {done + len(result.curve)} rows; kept: {kept}. "
                  f"English vocabulary {len(src_vocab)} words (lower-cased), French {len(tgt_vocab)} units."),
    }
    save_bundle(args.out, net, config, {"src": src_vocab, "tgt": tgt_vocab}, card)
    Path(args.out, LEXICON_FILE).write_text(json.dumps(lexicon, ensure_ascii=False), encoding="utf-8")
    print(f"{metrics}\nword-by-word {baseline}\nsaved {args.out}", flush=True)
    return 0


def _assemble_ensemble(args: argparse.Namespace, argv: list[str]) -> int:
    """--ensemble: one bundle from several trained ones; the card keeps the first one's curve and each member's scores."""
    started = time.monotonic()
    members = [load(d) for d in args.ensemble]
    first = members[0]
    sizes = lambda m: dataclasses.replace(m.bundle.config, dropout=0.0)  # dropout plays no part when translating
    for directory, m in zip(args.ensemble[1:], members[1:]):
        if isinstance(m.net, Seq2SeqEnsemble) or sizes(m) != sizes(first) or m.vocab.itos != first.vocab.itos \
                or m.tgt_vocab.itos != first.tgt_vocab.itos:
            raise SystemExit(f"{directory} cannot join {args.ensemble[0]}: an ensemble needs single networks with the "
                             "same sizes and vocabularies")
    config = dataclasses.replace(first.bundle.config, members=len(members))
    net = Seq2SeqEnsemble(config)
    for slot, m in zip(net.members, members):
        slot.load_state_dict(m.net.state_dict())
    net.eval()
    model = Translator(bundle=None, net=net, vocab=first.vocab, tgt_vocab=first.tgt_vocab, lexicon=first.lexicon)
    valid_pairs = _train_and_valid(args)[1]
    metrics = card_metrics(model, valid_pairs, args.beam)
    cards = [m.bundle.card for m in members]
    card = {
        **cards[0],
        "model": f"ensemble of {len(members)} networks, each a bidirectional GRU encoder ({config.enc_hidden}×2) → "
                 f"GRU decoder ({config.dec_hidden}) with Luong attention; their probabilities averaged at every step; "
                 f"word units, beam search {args.beam}, <unk> replaced through attention",
        "parameters": count_parameters(net),
        "command": ensemble_command(cards, " ".join([rebuild_command(TASK), *argv])),
        "metrics": metrics,
        "members": [{"bundle": str(d), "bleu": evaluate_pairs(m, valid_pairs, beam=args.beam)["bleu"],
                     "bleu_greedy": evaluate_pairs(m, valid_pairs, beam=1)["bleu"], "train_seconds": card.get("train_seconds")}
                    for d, m, card in zip(args.ensemble, members, cards)],  # each alone, decoded as the ensemble is
        "headline": {**cards[0].get("headline", {}), "key": "bleu", "label": f"validation BLEU (beam {args.beam})",
                     "value": metrics["bleu"], "format": "num"},
        "train_seconds": round(ensemble_train_seconds(cards) + time.monotonic() - started, 1),
        "notes": cards[0].get("notes", "") + f" The curve is the first member's; the {len(members)} members' scores "
                                               "are under 'members'.",
    }
    save_bundle(args.out, net, config, {"src": first.vocab, "tgt": first.tgt_vocab}, card)
    Path(args.out, LEXICON_FILE).write_text(json.dumps(first.lexicon, ensure_ascii=False), encoding="utf-8")
    print(f"{metrics}\nsaved {args.out}", flush=True)
    return 0


def _average_if_better(net: Seq2Seq, states: list[dict], best_bleu: float, validate) -> bool:
    """Checkpoint averaging (as in Vaswani et al. 2017): rows late in a run sit around one minimum, and the mean
    of their weights often translates better than any one of them. net holds the best row's weights on entry;
    it keeps the mean only when that scores a higher greedy BLEU on validation."""
    best = {k: v.clone() for k, v in net.state_dict().items()}
    net.load_state_dict({k: torch.stack([s[k].float() for s in states]).mean(0).to(v.dtype) for k, v in best.items()})
    net.eval()
    with torch.inference_mode():
        bleu = validate(net)["bleu"]
    print(f"mean of the last {len(states)} rows: greedy BLEU {bleu} (best row {best_bleu})", flush=True)
    if bleu > best_bleu:
        return True
    net.load_state_dict(best)
    return False


def evaluate_cli(argv: list[str]) -> int:
    from rnn.evaluate import print_result

    p = argparse.ArgumentParser(prog="python -m rnn.evaluate translate",
                                description="Multi-reference BLEU/chrF of the translate model on a pairs file.")
    p.add_argument("file", help="lines English<TAB>French[<TAB>anything], plain or .gz")
    p.add_argument("--beam", type=int, default=1, help="beam width (1 = greedy)")
    p.add_argument("--bundle", default=None, help="bundle directory (default assets/translate)")
    args = p.parse_args(argv)
    pairs = read_pairs(args.file)
    if not pairs:
        print(f"no English<TAB>French pairs in {args.file}", flush=True)
        return 1
    print_result(evaluate_pairs(load(args.bundle), pairs, beam=max(1, args.beam), with_confidence=True))
    return 0
