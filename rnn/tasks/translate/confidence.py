"""When is a translation unsure? A per-sentence confidence read off the French the beam chose.

The networks re-read their own translation (teacher forcing) and we take the geometric mean probability they
gave each French unit, <eos> included: the length-normalised log-probability of the translation, as a
probability. A translation is flagged as unsure below UNSURE_BELOW. Each network of an ensemble is also rated
alone, so the page can say when they disagree, and the least probable word is kept to say where.

Chosen on the validation split (beam 5, the shipped ensemble; flag share, chrF of flagged / of the rest):
the mean probability of the averaged networks flags 25 % of sentences with chrF 42.2 against 64.9; rating by
the least sure network instead gives 43.5 / 64.6, by the least probable single word 46.7 / 63.0, and by how
far the two networks disagree only 51.9 / 60.6.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from rnn.nets.seq2seq import Encoded, Network, combine_reads
from rnn.text import Vocab

# Mean probability per French unit under which a translation is called unsure (flags about a quarter of the
# validation sentences).
UNSURE_BELOW = 0.59


@dataclass
class Confidence:
    value: float  # 0..1: geometric mean probability per unit under the networks' averaged probabilities
    networks: list[float]  # the same for each network alone (one entry for a single network)
    weakest: int  # index (in the written units, <eos> last) of the unit the networks found least probable
    weakest_probability: float

    @property
    def unsure(self) -> bool:
        return self.value < UNSURE_BELOW


def confidence(net: Network, enc: Encoded, ids: list[int],
               reads: list[tuple[torch.Tensor, torch.Tensor]] | None = None) -> Confidence:
    """The confidence of the French ids (without <bos>/<eos>) written for the one sentence encoded in enc.

    reads: net.reread_each of exactly these ids, when the caller already has it (predict does).
    """
    gold = torch.tensor(ids + [Vocab.eos_id])
    positions = torch.arange(len(gold))
    if reads is None:
        reads = net.reread_each(enc, torch.tensor([[Vocab.bos_id] + ids]))
    chosen = combine_reads(reads)[0][0, positions, gold]
    alone = [math.exp(float(log_probs[0, positions, gold].mean())) for log_probs, _ in reads]
    weakest = int(chosen.argmin())
    return Confidence(value=math.exp(float(chosen.mean())), networks=alone, weakest=weakest,
                      weakest_probability=math.exp(float(chosen[weakest])))


def confidence_note(rated: Confidence, written: list[str]) -> str:
    """Plain words for the page: how sure the translation is, and why (written: the French units, <eos> last)."""
    mean = f"on average they gave each French word of it {rated.value:.0%} probability"
    if not rated.unsure:
        return (f"**Fairly sure:** {mean} (below {UNSURE_BELOW:.0%} this page calls a translation unsure; on "
                "sentences it had never seen, the unsure ones were much worse than the rest).")
    word = written[rated.weakest] if rated.weakest < len(written) else "<eos>"
    where = ("where to stop the sentence" if word == "<eos>" else f"“{word}”")
    reasons = [f"{mean}, and the least likely was {where} ({rated.weakest_probability:.0%})"]
    if len(rated.networks) > 1 and max(rated.networks) - min(rated.networks) >= 0.1:
        alone = " and ".join(f"{p:.0%}" for p in rated.networks)
        reasons.append(f"its {len(rated.networks)} networks disagree (alone they would give their words {alone})")
    return ("**Unsure translation: check it before you trust it.** The networks were not confident: "
            + "; ".join(reasons) + ". This happens with long or unusual sentences and words seldom seen in training.")
