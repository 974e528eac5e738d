"""The training CLI: train a translator (or resume one), optionally average its last checkpoints, or join
trained bundles into an ensemble; each ends with a measured card and a saved bundle."""
from __future__ import annotations

import argparse
import dataclasses
import json
import time
from collections import deque
from pathlib import Path

import torch

from rnn.checkpoint import bundle_dir, save_bundle
from rnn.data.tatoeba import ATTRIBUTION, ENG_FRA, group_references, read_pairs, split_pairs
from rnn.nets.seq2seq import Seq2Seq, Seq2SeqConfig, Seq2SeqEnsemble
from rnn.registry import rebuild_command
from rnn.tasks.translate import model as translator
from rnn.tasks.translate.batching import batches, encode_pairs
from rnn.tasks.translate.corpus import card_metrics, evaluate_pairs, score, translate_corpus, word_by_word
from rnn.tasks.translate.model import (LEXICON_FILE, TASK, Translator, build_lexicon, english_tokens, french_tokens,
                                       load)
from rnn.text import Vocab
from rnn.training import count_parameters, ensemble_command, ensemble_train_seconds, fit, train_or_join, trained_on

MAX_TRAIN_TOKENS = 25  # longer pairs are rare in Tatoeba and cost the most per example


def train_cli(argv: list[str]) -> int:
    # --help opens with what the model is: model.py's docstring says it (the French units included).
    p = argparse.ArgumentParser(prog="python -m rnn.train translate", description=translator.__doc__)
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
    return train_or_join(p.parse_args(argv), argv, train=_train, join=_assemble_ensemble)


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
    config, net, src_vocab, tgt_vocab = _starting_point(args, previous, train_pairs)
    net.to(args.device)
    train = encode_pairs(train_pairs, src_vocab, tgt_vocab, MAX_TRAIN_TOKENS)
    valid = encode_pairs(valid_pairs, src_vocab, tgt_vocab, None)
    valid_english, valid_refs = group_references(valid_pairs)
    print(f"{len(train)} training pairs, {len(valid_english)} validation sentences ({len(valid_pairs)} pairs); "
          f"vocab en {len(src_vocab)} fr {len(tgt_vocab)}", flush=True)

    lexicon = build_lexicon(train_pairs)
    model = Translator(bundle=None, net=net, vocab=src_vocab, tgt_vocab=tgt_vocab, lexicon=lexicon)
    validate = _validator(model, valid, valid_english, valid_refs)
    curve, kept = _fit(args, net, train, validate, done=len(before.get("curve", [])),
                       budget=args.time_budget - (time.monotonic() - started))

    metrics = card_metrics(model, valid_pairs, args.beam)
    baseline = score(word_by_word(lexicon, valid_english), valid_refs)
    card = _card(args, argv, before, config, model, curve, kept, metrics, baseline, train_size=len(train),
                 valid_pairs=valid_pairs, n_valid_sentences=len(valid_english), started=started)
    _save(args.out, model, config, card)
    print(f"{metrics}\nword-by-word {baseline}\nsaved {args.out}", flush=True)
    return 0


def _starting_point(args: argparse.Namespace, previous: Translator | None,
                    train_pairs: list[tuple[str, str]]) -> tuple[Seq2SeqConfig, Seq2Seq, Vocab, Vocab]:
    """The network and vocabularies to train: the resumed bundle's, or new ones built from the training pairs."""
    if previous and isinstance(previous.net, Seq2SeqEnsemble):
        raise SystemExit(f"{args.resume} holds an ensemble: resume one of its members (the card's 'members' lists them)")
    if previous:
        config, net = previous.bundle.config, previous.net
        net.requires_grad_(True)
        if args.dropout is not None:
            config.dropout = net.drop.p = args.dropout
        return config, net, previous.vocab, previous.tgt_vocab
    src_vocab = Vocab.build(([w.lower() for w in english_tokens(e, None)] for e, _ in train_pairs), args.min_freq, args.max_vocab)
    tgt_vocab = Vocab.build((french_tokens(f) for _, f in train_pairs), args.min_freq, args.max_vocab)
    config = Seq2SeqConfig(len(src_vocab), len(tgt_vocab), args.emb, args.enc_hidden, args.dec_hidden,
                           0.1 if args.dropout is None else args.dropout)
    return config, Seq2Seq(config), src_vocab, tgt_vocab


def _validator(model: Translator, valid: list[tuple[list[int], list[int]]], valid_english: list[str],
               valid_refs: list[list[str]]):
    """validate(net) for fit: the validation loss per French unit, and the greedy BLEU and chrF of model."""
    def validate(m):
        total, count = 0.0, 0
        for batch in batches(valid, 256, 0):
            words = int((batch[3] != Vocab.pad_id).sum())
            total, count = total + m(*batch).item() * words, count + words
        metrics = score(translate_corpus(model, valid_english, beam=1), valid_refs)
        return {"valid_loss": total / max(count, 1), "bleu": metrics["bleu"], "chrf": metrics["chrf"]}

    return validate


def _fit(args: argparse.Namespace, net: Seq2Seq, train: list[tuple[list[int], list[int]]], validate, done: int,
         budget: float) -> tuple[list[dict], str]:
    """Train net for the curve rows after the done ones; leaves it with the weights kept: (the new rows, which)."""
    def loss_of(m, batch):
        return m(*batch)

    def decay_and_halve_on_plateau(optimizer, epoch, metrics, best=[-1.0]):
        for group in optimizer.param_groups:
            group["lr"] *= args.lr_decay / (2 if metrics["bleu"] <= best[0] else 1)
        best[0] = max(best[0], metrics["bleu"])

    def train_batches(row):  # row r trains on part (r - 1) % parts of pass (r - 1) // parts, shuffled per pass
        row += done
        shuffled = list(batches(train, args.batch_size, args.seed * 1000 + (row - 1) // args.parts))
        return shuffled[(row - 1) % args.parts:: args.parts]

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
    return result.curve, kept


def _card(args: argparse.Namespace, argv: list[str], before: dict, config: Seq2SeqConfig, model: Translator,
          curve: list[dict], kept: str, metrics: dict, baseline: dict, *, train_size: int,
          valid_pairs: list[tuple[str, str]], n_valid_sentences: int, started: float) -> dict:
    """The card of a trained (or resumed) network; a resumed run's command, curve and time go on from before."""
    done = len(before.get("curve", []))
    return {
        "task": TASK,
        "title": "English → French translation",
        "model": f"bidirectional GRU encoder ({config.enc_hidden}×2) → GRU decoder ({config.dec_hidden}) "
                 f"with Luong attention, word units, beam search {args.beam}, <unk> replaced through attention",
        "parameters": count_parameters(model.net),
        "data": {"name": "Tatoeba English–French pairs (manythings.org 2017-09-29)", "licence": "CC BY 2.0 FR",
                 "attribution": ATTRIBUTION, "train_size": train_size, "valid_size": len(valid_pairs)},
        "command": " && ".join(c for c in (before.get("command"), " ".join([rebuild_command(TASK), *argv])) if c),
        "curve": before.get("curve", []) + [{**row, "epoch": row["epoch"] + done} for row in curve],
        "metrics": metrics,
        "baselines": {"word-by-word dictionary (no RNN, no context)": baseline},
        "headline": {"key": "bleu", "label": f"validation BLEU (beam {args.beam})", "value": metrics["bleu"], "format": "num"},
        "train_seconds": round(before.get("train_seconds", 0) + time.monotonic() - started, 1),
        "trained_on": trained_on(args.device, before.get("trained_on")),
        "notes": (f"Validation: {n_valid_sentences} English sentences chosen by a hash of the sentence, scored with "
                  f"sacrebleu against all their French translations. Each curve row ('epoch') is 1/{args.parts} of a pass over the training pairs; {done + len(curve)} rows; kept: {kept}. "
                  f"English vocabulary {len(model.vocab)} words (lower-cased), French {len(model.tgt_vocab)} units."),
    }


def _save(out: str, model: Translator, config: Seq2SeqConfig, card: dict) -> None:
    """The bundle and, beside it, the lexicon that replaces the <unk>s the decoder writes."""
    save_bundle(out, model.net, config, {"src": model.vocab, "tgt": model.tgt_vocab}, card)
    Path(out, LEXICON_FILE).write_text(json.dumps(model.lexicon, ensure_ascii=False), encoding="utf-8")

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
    _save(args.out, model, config, card)
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
