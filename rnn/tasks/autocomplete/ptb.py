"""The Penn Treebank benchmark: the same language model at the size of a published result, trained and measured
on PTB (python -m rnn.train ptb, python -m rnn.evaluate ptb FILE), so its perplexity compares with the papers'."""
from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from rnn.checkpoint import load_bundle, save_bundle
from rnn.data.sentences import PTB, read_ptb
from rnn.nets.lm import LMConfig, LSTMLanguageModel, State
from rnn.tasks.autocomplete.model import build_net
from rnn.text import Vocab

if TYPE_CHECKING:
    from rnn.training import FitResult

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
    args = _ptb_parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    from rnn.training import count_parameters, seed_everything

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
    result = _ptb_fit(net, args, columns, valid)
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


def _ptb_parser() -> argparse.ArgumentParser:
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
    return p


def _ptb_fit(net: LSTMLanguageModel, args: argparse.Namespace, columns: torch.Tensor, valid: torch.Tensor) -> FitResult:
    """Train net in place on the columns in windows of args.bptt steps, the state carried from window to window."""
    from rnn.training import fit

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
    return fit(net, train_batches=windows, loss_of=loss_of, validate=validate, monitor="valid_ppl",
               higher_is_better=False, epochs=args.epochs, optimizer=optimizer,
               clip=5.0, scheduler_step=decay, time_budget_s=args.time_budget, seed=args.seed)


def evaluate_ptb_cli(argv: list[str]) -> int:
    from rnn.evaluate import print_result

    p = argparse.ArgumentParser(prog="python -m rnn.evaluate ptb FILE --bundle DIR")
    p.add_argument("file")
    p.add_argument("--bundle", default="/tmp/ptb_bundle")
    p.add_argument("--bptt", type=int, default=20)
    args = p.parse_args(argv)
    bundle = load_bundle(PTB_TASK, args.bundle, LMConfig, build_net, ("words",))
    vocab = bundle.vocabs["words"]
    with torch.inference_mode():
        total, count = _ptb_nll(bundle.model, _ptb_columns(_ptb_stream(args.file, vocab), 1), args.bptt)
    print_result({"perplexity": round(math.exp(total / max(count, 1)), 3)})
    return 0
