"""The one training loop every task uses: seeded, tqdm progress with the loss, validation each epoch,
keeps the best epoch's weights, and returns the curve that goes on the model card."""
from __future__ import annotations

import copy
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import torch
from torch import nn
from tqdm import tqdm


@contextmanager
def one_thread() -> Iterator[None]:
    """Torch on one core while inside (the count restored after), so one student's live training leaves the other
    core to everyone else, and a time budget means one core's seconds."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class FitResult:
    best_epoch: int
    best_metrics: dict[str, float]
    curve: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0


def _one_epoch(model: nn.Module, bar, loss_of: Callable[[nn.Module, Any], torch.Tensor],
               optimizer: torch.optim.Optimizer, clip: float) -> float:
    """One pass over the epoch's batches (bar: a tqdm over them); the mean training loss. Leaves the model in eval mode."""
    model.train()
    total, count = 0.0, 0
    for batch in bar:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of(model, batch)
        loss.backward()
        if clip:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        total += loss.item()
        count += 1
        bar.set_postfix(loss=f"{total / count:.4f}")
    model.eval()
    return total / max(count, 1)


def fit(
    model: nn.Module,
    *,
    train_batches: Callable[[int], Iterable[Any]],
    loss_of: Callable[[nn.Module, Any], torch.Tensor],
    validate: Callable[[nn.Module], dict[str, float]],
    monitor: str,
    higher_is_better: bool = True,
    epochs: int = 10,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    clip: float = 5.0,
    patience: int | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler_step: Callable[[torch.optim.Optimizer, int, dict[str, float]], None] | None = None,
    time_budget_s: float | None = None,
    seed: int = 1,
    on_epoch: Callable[[nn.Module, dict[str, float]], None] | None = None,
    progress: bool = True,
) -> FitResult:
    """Train model and leave it holding the weights of its best validation epoch.

    train_batches(epoch) yields that epoch's batches (shuffle with the epoch as seed, so runs repeat);
    loss_of(model, batch) is the mean loss of one batch; validate(model) returns metrics that include
    `monitor`. Stops early after `patience` epochs without improvement, or once time_budget_s is spent.
    on_epoch(model, row) sees the model after each epoch (the live training page draws from it).
    """
    seed_everything(seed)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    best_state, best_value, best_epoch, best_metrics = None, None, 0, {}
    curve: list[dict[str, float]] = []
    started = time.monotonic()
    for epoch in range(1, epochs + 1):
        bar = tqdm(train_batches(epoch), desc=f"epoch {epoch}/{epochs}", leave=False, mininterval=2.0, disable=not progress)
        train_loss = _one_epoch(model, bar, loss_of, optimizer, clip)
        with torch.inference_mode():
            metrics = validate(model)
        row = {"epoch": epoch, "train_loss": round(train_loss, 5), **{k: round(float(v), 5) for k, v in metrics.items()}}
        curve.append(row)
        value = metrics[monitor]
        improved = best_value is None or (value > best_value if higher_is_better else value < best_value)
        if progress:
            tqdm.write(f"epoch {epoch}: " + ", ".join(f"{k}={v}" for k, v in row.items() if k != "epoch") + (" *" if improved else ""))
        if on_epoch is not None:
            on_epoch(model, row)
        if improved:
            best_value, best_epoch, best_metrics = value, epoch, dict(metrics)
            best_state = copy.deepcopy(model.state_dict())
        if scheduler_step is not None:
            scheduler_step(optimizer, epoch, metrics)
        if patience is not None and epoch - best_epoch >= patience:
            tqdm.write(f"no better {monitor} for {patience} epochs: stopping")
            break
        if time_budget_s is not None and time.monotonic() - started > time_budget_s:
            tqdm.write("time budget spent: stopping")
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return FitResult(best_epoch=best_epoch, best_metrics=best_metrics, curve=curve, seconds=round(time.monotonic() - started, 1))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def trained_on(device: str, earlier: str | None = None) -> str:
    """Where a model was trained, for its card ("NVIDIA H100 80GB HBM3", "CPU"); a continued run adds its own."""
    here = torch.cuda.get_device_name(device) if str(device).startswith("cuda") else "CPU"
    return here if not earlier or earlier == here else f"{earlier}, then {here}"


def ensemble_command(cards: list[dict], own_command: str) -> str:
    """The command that rebuilds an ensemble: every member's own command chain once, in order, then own_command
    (the one that joined them)."""
    commands = dict.fromkeys(c for card in cards for c in card.get("command", "").split(" && ") if c)
    return " && ".join([*commands, own_command])


def ensemble_train_seconds(cards: list[dict]) -> float:
    """The members' training time, counting shared history once: a member continued from another already includes
    that one's seconds (its command starts with the other's command)."""
    commands = [card.get("command", "") for card in cards]
    return sum(card.get("train_seconds", 0) for card, command in zip(cards, commands)
               if not any(other.startswith(command + " && ") for other in commands if command))


def train_or_join(args, argv: list[str], *, train: Callable, join: Callable) -> int:
    """The end of a trainer CLI that can also join bundles: --ensemble joins them, otherwise it trains on --device."""
    torch.set_num_threads(args.threads)
    if args.ensemble:
        return join(args, argv)
    with torch.device(args.device):  # every tensor the training and validation make goes to that device
        return train(args, argv)
