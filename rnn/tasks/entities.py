"""Named entities: a BiLSTM-CRF that tags people, organisations, places and other names (CoNLL-2003).

load() reads the shipped bundle, predict() tags one text and returns the entities with a trace (forward
and backward LSTM states, per-word tag probabilities from the CRF's forward-backward pass).
train_cli / evaluate_cli are behind `python -m rnn.train entities` and `python -m rnn.evaluate entities FILE`.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rnn.baselines.tagging import most_frequent_tag_baseline
from rnn.checkpoint import Bundle, bundle_dir, load_bundle, save_bundle
from rnn.data import SHARED_DATA
from rnn.data.conll import ENTITY_TYPES, Sentence, entity_scores, read_conll
from rnn.nets.tagger import MAX_WORD_CHARS, BiLSTMTagger, TaggerConfig, casing, normalise
from rnn.registry import rebuild_command
from rnn.text import MAX_TOKENS, Token, Vocab, tokenize
from rnn.trace import TaskResult, Trace
from rnn.training import count_parameters, fit

TASK = "entities"
CONLL_DIR = SHARED_DATA / "ner" / "conll2003" / "bio"
READOUT_LABELS = ("O", *ENTITY_TYPES)
LABEL_NAMES = {"PER": "person", "ORG": "organisation", "LOC": "place", "MISC": "other name"}
# Light backgrounds so dark text stays readable; displaCy also prints the label, so colour is never the only cue.
COLOURS = {"PER": "#FFD59E", "ORG": "#A9D6F5", "LOC": "#B9E4B9", "MISC": "#E3CDF2"}


class EntityModel:
    """The loaded tagger with its vocabularies (read-only; share it between sessions)."""

    def __init__(self, bundle: Bundle):
        self.bundle = bundle
        self.net: BiLSTMTagger = bundle.model
        self.vocab: Vocab = bundle.vocabs["words"]
        self.chars: Vocab = bundle.vocabs["chars"]
        self.tags: list[str] = list(bundle.config.tags)

    @property
    def networks(self) -> int:
        """How many networks answer together: one."""
        return 1

    def recurrent_layers(self) -> dict[str, torch.nn.Module]:
        return {"bilstm": self.net.lstm}


def load(directory: str | Path | None = None) -> EntityModel:
    """The bundle in directory (default assets/entities); BundleError when missing or broken."""
    directory = bundle_dir(TASK) if directory is None else Path(directory)
    bundle = load_bundle(TASK, directory, TaggerConfig, lambda config, vocabs: BiLSTMTagger(config), ("words", "chars"))
    return EntityModel(bundle)


# ---------------------------------------------------------------- encoding


def _lookup(vocab: Vocab, key: str) -> int:
    # `in` skips the specials, so a user typing "<pad>" reads as <unk>, never as padding.
    return vocab.stoi[key] if key in vocab else vocab.unk_id


def encode(tokens: list[str], words: Vocab, chars: Vocab) -> tuple[list[int], list[list[int]], list[int]]:
    """Word ids, character ids (first MAX_WORD_CHARS) and casing ids of a tokenised sentence."""
    word_ids = [_lookup(words, normalise(w)) for w in tokens]
    char_ids = [[_lookup(chars, c) for c in w[:MAX_WORD_CHARS]] or [chars.unk_id] for w in tokens]
    return word_ids, char_ids, [casing(w) for w in tokens]


def collate(examples: list[tuple], with_tags: bool = False) -> tuple[torch.Tensor, ...]:
    """Pad encoded sentences into (words [B,T], chars [B,T,L], cases [B,T], lengths [B][, tags [B,T]])."""
    n, width = len(examples), max(len(e[0]) for e in examples)
    char_width = max(len(c) for e in examples for c in e[1])
    words = torch.zeros(n, width, dtype=torch.long)
    chars = torch.zeros(n, width, char_width, dtype=torch.long)
    cases = torch.zeros(n, width, dtype=torch.long)
    tags = torch.zeros(n, width, dtype=torch.long)
    for b, example in enumerate(examples):
        length = len(example[0])
        words[b, :length] = torch.tensor(example[0])
        cases[b, :length] = torch.tensor(example[2])
        for t, word_chars in enumerate(example[1]):
            chars[b, t, : len(word_chars)] = torch.tensor(word_chars)
        if with_tags:
            tags[b, :length] = torch.tensor(example[3])
    lengths = torch.tensor([len(e[0]) for e in examples])
    return (words, chars, cases, lengths, tags) if with_tags else (words, chars, cases, lengths)


def tag_sentences(model: EntityModel | BiLSTMTagger, sentences: list[list[str]], words: Vocab | None = None,
                  chars: Vocab | None = None, batch_size: int = 128) -> list[list[str]]:
    """BIO tags for pre-tokenised sentences (batched by length; empty sentences get no tags)."""
    net = model.net if isinstance(model, EntityModel) else model
    words = words or model.vocab
    chars = chars or model.chars
    tag_names = net.config.tags
    order = sorted((i for i, s in enumerate(sentences) if s), key=lambda i: len(sentences[i]))
    out: list[list[str]] = [[] for _ in sentences]
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            batch = collate([encode(sentences[i], words, chars) for i in chunk])
            for i, path in zip(chunk, net.decode(*batch)):
                out[i] = [tag_names[k] for k in path]
    return out


# ---------------------------------------------------------------- prediction


@dataclass
class Entity:
    text: str
    label: str
    start: int  # character offsets in the input text
    end: int
    first: int  # token indices, last inclusive
    last: int
    confidence: float  # the lowest tag probability among its words


@dataclass(kw_only=True)
class EntityResult(TaskResult):
    tokens: list[Token]
    tags: list[str]
    confidence: list[float]  # probability of each chosen tag (CRF marginal)
    entities: list[Entity]


def entities_from_tags(text: str, tokens: list[Token], tags: list[str], confidence: list[float]) -> list[Entity]:
    """Group B-/I- runs into entities with character spans in text."""
    found: list[Entity] = []
    for i, tag in enumerate(tags):
        if tag.startswith("B-") or (tag.startswith("I-") and (not found or found[-1].last != i - 1 or found[-1].label != tag[2:])):
            found.append(Entity("", tag[2:], tokens[i].start, tokens[i].end, i, i, confidence[i]))
        elif tag.startswith("I-"):
            entity = found[-1]
            entity.end, entity.last = tokens[i].end, i
            entity.confidence = min(entity.confidence, confidence[i])
    for entity in found:
        entity.text = text[entity.start : entity.end]
    return found


def predict(model: EntityModel, text: str) -> EntityResult:
    """Tag text (at most MAX_TOKENS tokens). Never raises on odd text: empty input gives no entities."""
    text = text if isinstance(text, str) else ""
    tokens = tokenize(text, max_tokens=MAX_TOKENS + 1)
    truncated = len(tokens) > MAX_TOKENS
    tokens = tokens[:MAX_TOKENS]
    strings = [t.text for t in tokens]
    hidden_size = model.net.config.hidden
    known = [normalise(w) in model.vocab for w in strings]
    if not tokens:
        empty = np.zeros((0, hidden_size), dtype=np.float32)
        trace = Trace([], [], empty, [], readout_title(), hidden_backward=empty)
        return EntityResult(text=text, trace=trace, truncated=truncated, tokens=[], tags=[], confidence=[], entities=[])
    net = model.net
    encoded = encode(strings, model.vocab, model.chars)
    with torch.inference_mode():
        batch = collate([encoded])
        mask = torch.ones(1, len(tokens), dtype=torch.bool)
        emissions, states = net.encode(*batch)
        path = net.crf.viterbi(emissions, mask)[0]
        marginals = net.crf.marginals(emissions, mask)[0].numpy()
        states = states[0].numpy()
    tags = [model.tags[k] for k in path]
    confidence = [float(marginals[t, k]) for t, k in enumerate(path)]
    probabilities = [{tag: float(p) for tag, p in zip(model.tags, row)} for row in marginals]
    readout = [merge_types(row) for row in probabilities]
    trace = Trace(
        tokens=strings,
        known=known,
        hidden=states[:, :hidden_size],
        hidden_backward=states[:, hidden_size:],
        readout=readout,
        readout_title=readout_title(),
        ids=encoded[0],
    )
    entities = entities_from_tags(text, tokens, tags, confidence)
    return EntityResult(text=text, trace=trace, truncated=truncated, tokens=tokens, tags=tags, confidence=confidence,
                        entities=entities)


def highlight_html(result: EntityResult, kinds: list[str] | tuple[str, ...] = ENTITY_TYPES) -> str:
    """The text with its entities of the given types marked, as displaCy HTML (displaCy escapes the text)."""
    spec = {
        "text": result.text,
        "ents": [{"start": e.start, "end": e.end, "label": e.label} for e in result.entities if e.label in kinds],
        "title": None,
    }
    from spacy import displacy  # lazily: only pages draw

    return displacy.render(spec, style="ent", manual=True, options={"colors": COLOURS, "ents": list(kinds)})


def merge_types(probs: dict[str, float]) -> dict[str, float]:
    """Per-tag probabilities -> per-type (B- and I- summed), in READOUT_LABELS order."""
    merged = dict.fromkeys(READOUT_LABELS, 0.0)
    for tag, p in probs.items():
        kind = "O" if tag == "O" else tag[2:]
        merged[kind] = merged.get(kind, 0.0) + p
    return merged


def readout_title() -> str:
    return "Tag probabilities of each word (CRF marginals over the whole sentence, read both ways)"


# ---------------------------------------------------------------- training


def flat_metrics(scores: dict) -> dict[str, float]:
    """entity_scores -> the card's flat metrics (f1, precision, recall, f1_PER, ...)."""
    flat = {k: scores[k] for k in ("f1", "precision", "recall")}
    flat.update({f"f1_{kind}": scores["per_type"].get(kind, 0.0) for kind in ENTITY_TYPES})
    return flat


def build_vocabs(train: list[Sentence], min_freq: int = 1) -> tuple[Vocab, Vocab, list[str]]:
    words = Vocab.build(([normalise(w) for w in s.tokens] for s in train), min_freq=min_freq)
    chars = Vocab.build((list(w) for s in train for w in s.tokens))
    kinds = sorted({t[2:] for s in train for t in s.tags if t != "O"},
                   key=lambda k: (ENTITY_TYPES.index(k) if k in ENTITY_TYPES else 99, k))
    tags = ["O", *(f"{p}-{k}" for k in kinds for p in ("B", "I"))]
    return words, chars, tags


def _train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rnn.train entities", description=__doc__.splitlines()[0])
    parser.add_argument("--train", default=str(CONLL_DIR / "train.txt"))
    parser.add_argument("--valid", default=str(CONLL_DIR / "valid.txt"))
    parser.add_argument("--out", default=str(bundle_dir(TASK)))
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--lr-decay", type=float, default=0.05, help="lr = lr / (1 + decay * epoch)")
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--word-dim", type=int, default=100)
    parser.add_argument("--char-filters", type=int, default=50)
    parser.add_argument("--dropout", type=float, default=0.5)
    parser.add_argument("--unk-replace", type=float, default=0.5, help="chance a training singleton reads as <unk>")
    parser.add_argument("--patience", type=int, default=6)
    parser.add_argument("--time-budget", type=float, default=32 * 60, help="seconds; training stops after the epoch that passes it")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N train/valid sentences (smoke runs)")
    parser.add_argument("--lower-share", type=float, default=0.0,
                        help="chance a training sentence is shown lower-cased (as students type), so context and word "
                             "identity, not capitals alone, mark a name")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    return parser


def _training_examples(train: list[Sentence], words: Vocab, chars: Vocab, tags: list[str]) -> list[tuple]:
    """Per sentence: word ids, (chars, chars lower-cased), (casing, casing lower-cased), tag ids, singleton flags."""
    tag_ids = {t: i for i, t in enumerate(tags)}
    counts = Counter(normalise(w) for s in train for w in s.tokens)
    examples = []
    for s in train:
        word_ids, char_ids, case_ids = encode(s.tokens, words, chars)
        _, lower_char_ids, lower_case_ids = encode([w.lower() for w in s.tokens], words, chars)
        singleton = [counts[normalise(w)] == 1 for w in s.tokens]
        examples.append((word_ids, (char_ids, lower_char_ids), (case_ids, lower_case_ids), [tag_ids[t] for t in s.tags], singleton))
    return examples


def _training_batches(examples: list[tuple], unk_id: int, args: argparse.Namespace):
    """train_batches for fit: a seeded shuffle per epoch, similar lengths per batch, casing and <unk> augmentation."""
    def train_batches(epoch: int):
        rng = random.Random(epoch)
        order = list(range(len(examples)))
        rng.shuffle(order)
        # Sort within pools of 50 batches so a batch holds similar lengths (little padding) yet stays random.
        pool = args.batch_size * 50
        batches = []
        for p in range(0, len(order), pool):
            chunk = sorted(order[p : p + pool], key=lambda i: len(examples[i][0]))
            batches += [chunk[b : b + args.batch_size] for b in range(0, len(chunk), args.batch_size)]
        rng.shuffle(batches)
        for batch in batches:
            picked = []
            for i in batch:
                word_ids, char_variants, case_variants, tag_seq, singleton = examples[i]
                # Word ids are the same either way (the word table is lower-cased); chars and casing are not.
                lower = rng.random() < args.lower_share
                char_ids, case_ids = char_variants[lower], case_variants[lower]
                # Singletons sometimes read as <unk>, so the <unk> row learns what a new word looks like.
                word_ids = [unk_id if s and rng.random() < args.unk_replace else w for w, s in zip(word_ids, singleton)]
                picked.append((word_ids, char_ids, case_ids, tag_seq))
            yield collate(picked, with_tags=True)
    return train_batches


def _card(args: argparse.Namespace, argv: list[str], net: BiLSTMTagger, sizes: tuple[int, int], result, metrics: dict,
          baseline: dict) -> dict:
    return {
        "task": TASK,
        "title": "Named entities (BiLSTM-CRF)",
        "model": f"word embeddings ({args.word_dim}) + char CNN ({args.char_filters}) + casing -> "
                 f"BiLSTM {args.hidden}x2 -> CRF (Viterbi decoding, BIO-constrained)",
        "parameters": count_parameters(net),
        "data": {
            "name": "CoNLL-2003 English NER (Reuters newswire), BIO tags",
            "licence": "Reuters RCV1 text: research and teaching use only, not openly licensed",
            "attribution": "Tjong Kim Sang & De Meulder (2003), CoNLL-2003 shared task",
            "train_size": sizes[0],
            "valid_size": sizes[1],
        },
        "command": " ".join([rebuild_command(TASK), *argv]),
        "curve": result.curve,
        "best_epoch": result.best_epoch,
        "metrics": metrics,
        "baselines": {"most frequent tag per word (memorised from training)": baseline},
        "headline": {"key": "f1", "label": "validation entity F1", "value": metrics["f1"], "format": "pct"},
        "train_seconds": result.seconds,
        "notes": "Entity-level F1 on CoNLL-2003 validation (exact span and type, conlleval-style). "
                 "No pretrained word vectors: everything is learned from the 14,041 training sentences. "
                 "For scale: Lample et al. (2016) report 90.94 test F1 with pretrained embeddings; "
                 "a feature-based CRF scores about 82 on the test set."
                 + (f" Casing augmentation: each training sentence is shown lower-cased with probability {args.lower_share:g}, "
                    "so the tagger also finds names typed without capitals (f1_lowercased: every validation token "
                    "lower-cased)." if args.lower_share else ""),
    }


def train_cli(argv: list[str]) -> int:
    args = _train_parser().parse_args(argv)
    torch.set_num_threads(args.threads)  # one thread by default: the CPU is often shared with other runs

    train, valid = read_conll(args.train), read_conll(args.valid)
    if args.limit:
        train, valid = train[: args.limit], valid[: args.limit]
    words, chars, tags = build_vocabs(train)
    examples = _training_examples(train, words, chars, tags)
    config = TaggerConfig(n_words=len(words), n_chars=len(chars), tags=tags, word_dim=args.word_dim,
                          char_filters=args.char_filters, hidden=args.hidden, dropout=args.dropout)
    net = BiLSTMTagger(config)

    valid_tokens = [s.tokens for s in valid]
    valid_lower = [[w.lower() for w in s.tokens] for s in valid]
    valid_gold = [s.tags for s in valid]

    def validate(model: BiLSTMTagger) -> dict[str, float]:
        metrics = flat_metrics(entity_scores(valid_gold, tag_sentences(model, valid_tokens, words, chars)))
        metrics["f1_lowercased"] = entity_scores(valid_gold, tag_sentences(model, valid_lower, words, chars))["f1"]
        return metrics

    def decay(optimizer: torch.optim.Optimizer, epoch: int, metrics: dict[str, float]) -> None:
        for group in optimizer.param_groups:
            group["lr"] = args.lr / (1 + args.lr_decay * epoch)

    print(f"{len(train)} train / {len(valid)} valid sentences, {len(words)} words, {len(chars)} chars, "
          f"{count_parameters(net):,} parameters", file=sys.stderr)
    result = fit(net, train_batches=_training_batches(examples, words.unk_id, args), loss_of=lambda m, b: m.loss(*b),
                 validate=validate, monitor="f1", epochs=args.epochs, lr=args.lr, patience=args.patience,
                 scheduler_step=decay, time_budget_s=args.time_budget, seed=args.seed)

    baseline = flat_metrics(entity_scores(valid_gold, most_frequent_tag_baseline(train, valid_tokens)))
    baseline["f1_lowercased"] = entity_scores(valid_gold, most_frequent_tag_baseline(train, valid_lower))["f1"]
    metrics = validate(net)
    card = _card(args, argv, net, (len(train), len(valid)), result, metrics, baseline)
    save_bundle(args.out, net, config, {"words": words, "chars": chars}, card)
    print(f"validation F1 {metrics['f1']:.4f} (baseline {baseline['f1']:.4f}); bundle in {args.out}", file=sys.stderr)
    return 0


def evaluate_cli(argv: list[str]) -> int:
    from rnn.evaluate import print_result

    parser = argparse.ArgumentParser(prog="python -m rnn.evaluate entities", description="Entity-level F1 on a CoNLL file.")
    parser.add_argument("file", help="CoNLL format: token first column, BIO tag last, blank line between sentences")
    parser.add_argument("--bundle", default=str(bundle_dir(TASK)))
    parser.add_argument("--lowercase", action="store_true",
                        help="lower-case every token first (how students type); a lower-cased file is scored as it is either way")
    args = parser.parse_args(argv)
    model = load(args.bundle)
    sentences = read_conll(args.file)
    started = time.monotonic()
    tokens = [[w.lower() for w in s.tokens] if args.lowercase else s.tokens for s in sentences]
    predicted = tag_sentences(model, tokens)
    scores = entity_scores([s.tags for s in sentences], predicted)
    print(f"tagged {len(sentences)} sentences in {time.monotonic() - started:.1f} s", file=sys.stderr)
    print_result(scores)
    return 0
