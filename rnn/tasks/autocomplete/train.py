"""python -m rnn.train autocomplete: train the language model on Tatoeba (optionally distilled from trained
bundles, or continuing one), or join trained bundles into an ensemble; the card measures it against the n-gram."""
from __future__ import annotations

import argparse
import math
import random
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Sequence

import torch

from rnn.checkpoint import Bundle, bundle_dir, save_bundle
from rnn.data.sentences import TATOEBA, tatoeba_split
from rnn.nets.lm import LMConfig, LMEnsemble, LSTMLanguageModel
from rnn.registry import rebuild_command
from rnn.tasks.autocomplete.casing import save_casing, surface_forms
from rnn.tasks.autocomplete.metrics import encode_sentences, lstm_sentence_probs, ngram_for, score
from rnn.tasks.autocomplete.model import TASK, AutocompleteModel, load
from rnn.tasks.autocomplete.words import lm_tokens
from rnn.text import Vocab
from rnn.training import train_or_join

if TYPE_CHECKING:
    from rnn.training import FitResult

# python -m rnn.train autocomplete --help opens with this
DESCRIPTION = "Autocomplete: a word-level LSTM language model that suggests the next words while you type (the video's Gmail example)."


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
    p = argparse.ArgumentParser(prog="python -m rnn.train autocomplete", description=DESCRIPTION)
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
    return train_or_join(p.parse_args(argv), argv, train=_train, join=_assemble_ensemble)



def _train(args: argparse.Namespace, argv: list[str]) -> int:
    started = time.monotonic()
    train_text, valid_text = tatoeba_split(args.data)
    if args.limit:
        train_text = train_text[:: max(1, len(train_text) // args.limit)][: args.limit]  # a spread: lines are sorted by length
    print(f"{len(train_text)} training and {len(valid_text)} validation sentences", flush=True)
    vocab = Vocab.build(([t.text for t in lm_tokens(s, None)] for s in train_text), min_freq=args.min_freq)
    train_ids, valid_ids = encode_sentences(train_text, vocab), encode_sentences(valid_text, vocab)
    print(f"vocabulary {len(vocab)} words; {sum(len(s) + 1 for s in train_ids)} training tokens", flush=True)
    net, config, earlier = _starting_network(args, vocab)
    teachers = [load(directory) for directory in args.teacher]
    if any(t.vocab.itos != vocab.itos for t in teachers):
        raise SystemExit("every --teacher must have been trained on the same data and vocabulary")
    result = _fit(net, args, train_ids, valid_ids, [t.net.to(args.device).eval() for t in teachers])
    model = AutocompleteModel(Bundle(model=net, config=config, vocabs={"words": vocab}, card={}))
    metrics, baseline = _measure(model, train_text, valid_text)
    card = _card(args, argv, net, config, earlier, teachers, result, metrics, baseline,
                 sizes=(len(train_text), len(valid_text)), started=started)
    save_bundle(args.out, net, config, {"words": vocab}, card)
    save_casing(args.out, surface_forms(train_text))
    print(f"bundle written to {args.out}", flush=True)
    return 0


def _starting_network(args: argparse.Namespace, vocab: Vocab) -> tuple[LSTMLanguageModel, LMConfig, dict]:
    """The network to train, on args.device: fresh, or --init's bundle to continue (with its card, so the new card
    extends its curve, time and command)."""
    from rnn.checkpoint import read_card
    from rnn.training import seed_everything

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
    return net, config, earlier


def _fit(net: LSTMLanguageModel, args: argparse.Namespace, train_ids: list[list[int]], valid_ids: list[list[int]],
         teacher_nets: Sequence[LSTMLanguageModel]) -> FitResult:
    """Train net in place (distilling from teacher_nets when there are any), keeping its best validation state."""
    from rnn.training import fit

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

    return fit(net, train_batches=train_batches,
               loss_of=loss_of, validate=validate, monitor="valid_ppl", higher_is_better=False,
               epochs=args.epochs * args.parts, lr=args.lr, clip=1.0, scheduler_step=decay,
               time_budget_s=args.time_budget, seed=args.seed)


def _card(args: argparse.Namespace, argv: list[str], net: LSTMLanguageModel, config: LMConfig, earlier: dict,
          teachers: Sequence[AutocompleteModel], result: FitResult, metrics: dict, baseline: dict,
          sizes: tuple[int, int], started: float) -> dict:
    """The trained bundle's card; a continuation (--init) extends the earlier card's curve, time and command."""
    from rnn.training import count_parameters, trained_on

    train_seconds = round(result.seconds + earlier["train_seconds"], 1)
    done = earlier["curve"][-1]["epoch"] if earlier["curve"] else 0
    command = "python -m rnn.train autocomplete" + ("" if not argv else " " + " ".join(argv))
    command = f"{earlier['command']} && {command}" if args.init else command
    return {
        "task": TASK,
        "title": "Autocomplete",
        "model": f"word-level LSTM language model: {config.layers} x {config.hidden} LSTM, {config.emb}-d tied embeddings, "
                 f"dropout {config.dropout}, adaptive softmax over {config.vocab_size:,} words"
                 + (f", distilled from {len(teachers)} networks" if teachers else ""),
        "parameters": count_parameters(net),
        "data": {"name": "Tatoeba English sentences", "licence": "CC BY 2.0 FR",
                 "attribution": "tatoeba.org and www.manythings.org/anki",
                 "train_size": sizes[0], "valid_size": sizes[1]},
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

