"""An attention encoder-decoder: a bidirectional GRU reads the whole source sentence, then a GRU decoder
writes the target one word at a time, looking back at every source word through Luong ("general") attention.

Attention sits on top of the decoder's GRU (no input feeding), so during training the decoder runs as one
fused nn.GRU call over the whole target sentence: several times faster on a CPU than a Python step loop.
The output is an adaptive softmax (Grave et al. 2017): frequent French words get the full layer, rare ones
a cheaper projected one, so the largest matrix costs a fraction of a plain softmax on a shared CPU.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


@dataclass
class Seq2SeqConfig:
    src_vocab: int
    tgt_vocab: int
    emb: int = 192
    enc_hidden: int = 192  # per direction; the decoder attends over 2 * enc_hidden
    dec_hidden: int = 384
    dropout: float = 0.1
    pad_id: int = 0
    cutoffs: tuple[int, ...] = ()  # adaptive softmax clusters; empty -> default_cutoffs(tgt_vocab)
    members: int = 1  # more than 1: an ensemble of that many networks of these sizes (Seq2SeqEnsemble)


def default_cutoffs(vocab_size: int) -> tuple[int, ...]:
    """Vocab ids are ranked by frequency: ids below 2000 form the head, the rest two cheaper tails."""
    return tuple(c for c in (2000, 6000) if c < vocab_size - 1) or (max(1, vocab_size // 2),)


@dataclass
class Encoded:
    """The encoder's reading of a batch: what the decoder attends over and starts from."""

    outputs: torch.Tensor  # [B, S, 2 * enc_hidden], forward and backward states side by side
    keys: torch.Tensor  # [B, S, dec_hidden]: outputs projected once, so each attention step is one bmm
    mask: torch.Tensor  # [B, S] True on real tokens
    start: torch.Tensor  # [1, B, dec_hidden] the decoder's first hidden state


class Seq2Seq(nn.Module):
    def __init__(self, config: Seq2SeqConfig):
        super().__init__()
        c = self.config = config
        self.src_emb = nn.Embedding(c.src_vocab, c.emb, padding_idx=c.pad_id)
        self.encoder = nn.GRU(c.emb, c.enc_hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * c.enc_hidden, c.dec_hidden)
        self.tgt_emb = nn.Embedding(c.tgt_vocab, c.emb, padding_idx=c.pad_id)
        self.decoder = nn.GRU(c.emb, c.dec_hidden, batch_first=True)
        self.attn = nn.Linear(2 * c.enc_hidden, c.dec_hidden, bias=False)
        self.combine = nn.Linear(c.dec_hidden + 2 * c.enc_hidden, c.emb)
        self.out = nn.AdaptiveLogSoftmaxWithLoss(c.emb, c.tgt_vocab, list(c.cutoffs or default_cutoffs(c.tgt_vocab)), div_value=4.0)
        self.drop = nn.Dropout(c.dropout)
        self._transposed: dict[int, tuple[int, torch.Tensor]] = {}  # id(weight) -> (its version, see affine)

    def linear(self, layer: nn.Linear, x: torch.Tensor) -> torch.Tensor:
        return self.affine(x, layer.weight, layer.bias)

    def affine(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        """F.linear(x, weight, bias); without gradients, through a contiguous [in, out] copy of the weight. For the
        few rows of a decoder step, BLAS took three to four times as long on F.linear's transposed view of the
        [out, in] weight as on that copy. The copy is remade whenever the weight changes (training)."""
        if torch.is_grad_enabled():
            return F.linear(x, weight, bias)
        version, weight_t = self._transposed.get(id(weight), (-1, None))
        if version != weight._version or weight_t is None:
            weight_t = weight.detach().t().contiguous()
            self._transposed[id(weight)] = (weight._version, weight_t)
        flat = x.reshape(math.prod(x.shape[:-1]), x.size(-1))
        out = flat @ weight_t if bias is None else torch.addmm(bias, flat, weight_t)
        return out.view(*x.shape[:-1], out.size(-1))

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> Encoded:
        """src [B, S] ids (right-padded), lengths [B] (each >= 1)."""
        packed = pack_padded_sequence(self.drop(self.src_emb(src)), lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, h_n = self.encoder(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=src.size(1))
        # h_n[0]: forward state after the last word; h_n[1]: backward state after reading back to the first.
        start = torch.tanh(self.bridge(torch.cat([h_n[0], h_n[1]], dim=-1))).unsqueeze(0)
        return Encoded(outputs=out, keys=self.attn(out), mask=src != self.config.pad_id, start=start)

    def attend(self, dec_out: torch.Tensor, enc: Encoded) -> tuple[torch.Tensor, torch.Tensor]:
        """dec_out [B, T, D] -> (features [B, T, emb] for the output layer, attention weights [B, T, S])."""
        scores = torch.bmm(dec_out, enc.keys.transpose(1, 2))
        scores = scores.masked_fill(~enc.mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        context = torch.bmm(weights, enc.outputs)
        return self.drop(torch.tanh(self.linear(self.combine, torch.cat([dec_out, context], dim=-1)))), weights

    def teacher_forced(self, src: torch.Tensor, lengths: torch.Tensor, tgt_in: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Decode the reference prefix tgt_in [B, T]: (features [B, T, emb], attention [B, T, S])."""
        enc = self.encode(src, lengths)
        dec_out, _ = self.decoder(self.drop(self.tgt_emb(tgt_in)), enc.start)
        return self.attend(dec_out, enc)

    def forward(self, src: torch.Tensor, lengths: torch.Tensor, tgt_in: torch.Tensor, tgt_out: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: the mean negative log-likelihood of tgt_out's words (padding ignored)."""
        features, _ = self.teacher_forced(src, lengths, tgt_in)
        real = tgt_out != self.config.pad_id
        return self.out(features[real], tgt_out[real]).loss

    def log_probs(self, features: torch.Tensor) -> torch.Tensor:
        """features [..., emb] -> log-probabilities over the whole French vocabulary [..., V] (the adaptive softmax's
        log_prob, computed the same way, with self.linear)."""
        flat = features.reshape(-1, features.size(-1))
        head = self.head_log_probs(flat)
        shortlist = self.out.shortlist_size
        parts = [head[:, :shortlist]] + [self.cluster_log_probs(i, flat, head) for i in range(self.out.n_clusters)]
        return torch.cat(parts, dim=1).view(*features.shape[:-1], -1)

    def head_log_probs(self, features: torch.Tensor) -> torch.Tensor:
        """[N, shortlist + clusters]: log P of each frequent word, then of each cluster of rarer ones."""
        return torch.log_softmax(self.linear(self.out.head, features), dim=-1)

    def cluster_log_probs(self, cluster: int, features: torch.Tensor, head: torch.Tensor) -> torch.Tensor:
        """[N, cluster size]: log P of each word of one cluster (head: head_log_probs of the same features)."""
        project, score = self.out.tail[cluster]
        within = torch.log_softmax(self.linear(score, self.linear(project, features)), dim=-1)
        return within + head[:, self.out.shortlist_size + cluster, None]

    def step(self, prev: torch.Tensor, hidden: torch.Tensor, enc: Encoded) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One decoder step: prev [N] ids -> (log-probs [N, V], new hidden [1, N, D], attention [N, S])."""
        features, hidden, weights = self.decode(prev, hidden, enc)
        return self.log_probs(features), hidden, weights

    def decode(self, prev: torch.Tensor, hidden: torch.Tensor, enc: Encoded) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """A step up to the output layer: prev [N] ids -> (features [N, emb], new hidden [1, N, D], attention [N, S])."""
        x = self.tgt_emb(prev)
        if torch.is_grad_enabled():
            dec_out, hidden = self.decoder(x.unsqueeze(1), hidden)
        else:
            hidden = self._gru_step(x, hidden[0]).unsqueeze(0)
            dec_out = hidden.transpose(0, 1)
        features, weights = self.attend(dec_out, enc)
        return features[:, 0], hidden, weights[:, 0]

    def best_next(self, prev: torch.Tensor, hidden: torch.Tensor, enc: Encoded, totals: torch.Tensor,
                  k: int) -> tuple[Extensions, torch.Tensor]:
        """A beam step: the k best extensions of the N hypotheses (their totals [N]) and the new hidden [1, N, D]."""
        features, hidden, _ = self.decode(prev, hidden, enc)
        return best_extensions([(self, features)], totals, k), hidden

    def _gru_step(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """The decoder GRU's step for x [N, emb], h [N, D] as two matrix products: nn.GRU's numbers, but nn.GRU's
        CPU kernel pays a fixed setup cost on every call, which dominated a beam search's single steps."""
        gru = self.decoder
        x_r, x_z, x_n = self.affine(x, gru.weight_ih_l0, gru.bias_ih_l0).chunk(3, dim=1)
        h_r, h_z, h_n = self.affine(h, gru.weight_hh_l0, gru.bias_hh_l0).chunk(3, dim=1)  # nn.GRU's gate order
        reset, update = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        candidate = torch.tanh(x_n + reset * h_n)
        return candidate + update * (h - candidate)

    def reread(self, enc: Encoded, tgt_in: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Decode given French ids tgt_in [B, T] (teacher forcing): (log-probs [B, T, V], attention [B, T, S])."""
        dec_out, _ = self.decoder(self.tgt_emb(tgt_in), enc.start)
        features, weights = self.attend(dec_out, enc)
        return self.log_probs(features), weights

    def reread_each(self, enc: Encoded, tgt_in: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """reread as a list of one, like an ensemble's (combine_reads gives the reading back)."""
        return [self.reread(enc, tgt_in)]


class Seq2SeqEnsemble(nn.Module):
    """Several Seq2Seq networks of the same sizes and vocabularies that translate as one: at every step the next
    French word's distribution is the mean of theirs, and so is the attention the page shows.

    Networks that end their training in different places make different mistakes, and averaging their
    probabilities cancels some of them (the usual last step of a translation system since Sutskever et al. 2014).
    An ensemble's Encoded and decoder state hold its members' side by side on the feature axis, so select(),
    greedy() and beam_search() work on it unchanged. It is assembled from trained networks, never trained as one.
    """

    def __init__(self, config: Seq2SeqConfig):
        super().__init__()
        self.config = config
        self.members = nn.ModuleList(Seq2Seq(dataclasses.replace(config, members=1)) for _ in range(config.members))

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> Encoded:
        parts = [member.encode(src, lengths) for member in self.members]
        return Encoded(outputs=torch.cat([p.outputs for p in parts], dim=-1), keys=torch.cat([p.keys for p in parts], dim=-1),
                       mask=parts[0].mask, start=torch.cat([p.start for p in parts], dim=-1))

    def per_member(self, enc: Encoded) -> list[Encoded]:
        """The ensemble's encoding cut into each member's own, in member order."""
        c = self.config
        return [Encoded(outputs, keys, enc.mask, start) for outputs, keys, start in zip(
            enc.outputs.split(2 * c.enc_hidden, dim=-1), enc.keys.split(c.dec_hidden, dim=-1), enc.start.split(c.dec_hidden, dim=-1))]

    def step(self, prev: torch.Tensor, hidden: torch.Tensor, enc: Encoded) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        steps = [member.step(prev, h, e) for member, h, e in
                 zip(self.members, hidden.split(self.config.dec_hidden, dim=-1), self.per_member(enc))]
        return (_mean_of_probabilities([s[0] for s in steps]), torch.cat([s[1] for s in steps], dim=-1),
                torch.stack([s[2] for s in steps]).mean(0))

    def best_next(self, prev: torch.Tensor, hidden: torch.Tensor, enc: Encoded, totals: torch.Tensor,
                  k: int) -> tuple[Extensions, torch.Tensor]:
        decoded = [member.decode(prev, h, e) for member, h, e in
                   zip(self.members, hidden.split(self.config.dec_hidden, dim=-1), self.per_member(enc))]
        return (best_extensions([(member, d[0]) for member, d in zip(self.members, decoded)], totals, k),
                torch.cat([d[1] for d in decoded], dim=-1))

    def reread(self, enc: Encoded, tgt_in: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return combine_reads(self.reread_each(enc, tgt_in))

    def reread_each(self, enc: Encoded, tgt_in: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Each member's own reread (log-probs, attention), in member order."""
        return [member.reread(e, tgt_in) for member, e in zip(self.members, self.per_member(enc))]


def combine_reads(reads: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
    """The ensemble's reading from its members' (reread_each): the mean of their probabilities and attentions."""
    return _mean_of_probabilities([r[0] for r in reads]), torch.stack([r[1] for r in reads]).mean(0)


def _mean_of_probabilities(log_probs: list[torch.Tensor]) -> torch.Tensor:
    """The log of the mean of the members' probabilities (not the mean of their log-probabilities: a word one
    member rules out stays possible when the others like it). Pairwise logaddexp: the same numbers as logsumexp
    over a stacked tensor, several times faster on a beam step's [beams, vocabulary] rows."""
    return functools.reduce(torch.logaddexp, log_probs) - math.log(len(log_probs))


Network = Seq2Seq | Seq2SeqEnsemble  # what the decoders below accept


@dataclass
class Extensions:
    """A beam step's best extensions, best first: hypothesis row, next word id, and the new total log-probability."""

    totals: list[float]
    rows: list[int]
    words: list[int]


def best_extensions(outputs: list[tuple[Seq2Seq, torch.Tensor]], totals: torch.Tensor, k: int) -> Extensions:
    """The k best of totals[row] + log P(word | row) over every row and word, P the mean of the networks' probabilities.

    outputs: each network with its features [N, emb] for this step. The same k as taking the top k of
    the whole vocabulary (step's log-probs), but cheaper: an adaptive softmax gives every word outside its head the
    probability of its cluster times the word's share of the cluster, so no word of a cluster can beat the cluster's
    own probability. A cluster whose probability cannot reach the k-th best total is never computed; most steps
    need the head alone (most French words written are its frequent ones).
    """
    layer = outputs[0][0].out
    shortlist = layer.shortlist_size
    heads = [net.head_log_probs(features) for net, features in outputs]
    head = totals[:, None] + _mean_of_probabilities(heads)  # [N, shortlist + clusters]
    columns, ids = [head[:, :shortlist]], [torch.arange(shortlist)]
    k = min(k, head.size(0) * layer.n_classes)
    best = head[:, :shortlist].flatten().topk(min(k, head.size(0) * shortlist)).values
    threshold = float(best[-1]) if len(best) == k else float("-inf")
    for i, (start, stop) in enumerate(zip(layer.cutoffs, layer.cutoffs[1:])):
        # a little slack below the threshold: the bound and the words' totals are rounded differently
        if float(head[:, shortlist + i].max()) < threshold - 1e-4:
            continue
        words = [net.cluster_log_probs(i, features, own) for (net, features), own in zip(outputs, heads)]
        columns.append(totals[:, None] + _mean_of_probabilities(words))
        ids.append(torch.arange(start, stop))
    scored, vocab_ids = torch.cat(columns, dim=1), torch.cat(ids)
    values, flat = scored.flatten().topk(k)
    rows, cols = flat // scored.size(1), flat % scored.size(1)
    return Extensions(values.tolist(), rows.tolist(), vocab_ids[cols].tolist())


def build(config: Seq2SeqConfig) -> Network:
    return Seq2SeqEnsemble(config) if config.members > 1 else Seq2Seq(config)


def select(enc: Encoded, index: torch.Tensor) -> Encoded:
    """The encoding of the batch rows in index (used to give every beam hypothesis its source)."""
    return Encoded(enc.outputs[index], enc.keys[index], enc.mask[index], enc.start[:, index])


def greedy(model: Network, enc: Encoded, bos: int, eos: int, max_len: int) -> tuple[list[list[int]], list[float]]:
    """Batched greedy decoding: each row's ids (without <eos>) and its total log-probability."""
    batch = enc.mask.size(0)
    prev = torch.full((batch,), bos, dtype=torch.long)
    hidden, done = enc.start, torch.zeros(batch, dtype=torch.bool)
    out: list[list[int]] = [[] for _ in range(batch)]
    scores = torch.zeros(batch)
    for _ in range(max_len):
        logp, hidden, _ = model.step(prev, hidden, enc)
        best, prev = logp.max(dim=-1)
        scores += torch.where(done, torch.zeros_like(best), best)
        for i in (~done).nonzero().flatten().tolist():
            if prev[i].item() != eos:
                out[i].append(prev[i].item())
        done |= prev == eos
        if bool(done.all()):
            break
    return out, scores.tolist()


@dataclass
class Hypothesis:
    ids: list[int]  # without <bos> and <eos>
    logprob: float  # total log-probability, <eos> included when finished
    score: float  # length-normalised: what the beam ranks by
    finished: bool


LENGTH_ALPHA = 1.75  # see length_penalty


def length_penalty(length: int, alpha: float = LENGTH_ALPHA) -> float:
    """GNMT's length normalisation: without it a beam prefers short translations, and ours drops words at the end
    of long sentences. Chosen on the validation set (beam 5, the shipped two-network ensemble): alpha 1.0 gives
    BLEU 39.64 with French 6 % shorter than the references (brevity penalty 0.94); 1.5: 40.02; 1.75: 40.14 (0.97);
    2.0: 40.09; 2.25: 39.92. GNMT's own 0.6 is tuned for long news sentences."""
    return ((5 + length) / 6) ** alpha


@dataclass
class BeamStep:
    """One step of a beam search, kept for drawing the search as a tree.

    candidates: the extensions it weighed, best first: (row, word id, total log-probability, kept). Row: which open
    hypothesis it extends, counted among the previous step's kept candidates that are not <eos> (at the first step:
    the empty start). Kept: stays on the beam, or for <eos> finishes; the rest are pruned. Every other word of the
    vocabulary scored lower. A few tuples a step, so a recorded search is cheap to keep and to cache.
    """

    candidates: list[tuple[int, int, float, bool]] = field(default_factory=list)
    forced: bool = False  # a word of the prefix the search was made to start with


def beam_search(model: Network, enc: Encoded, bos: int, eos: int, max_len: int, width: int = 5,
                alpha: float = LENGTH_ALPHA, prefix: Sequence[int] = (),
                record: list[BeamStep] | None = None) -> list[Hypothesis]:
    """Beam search for one sentence (enc holds a batch of one). Returns the hypotheses, best first.

    With width 1 this is exactly greedy decoding. Finished hypotheses are set aside; the search stops
    when `width` have finished or max_len is reached (then the open ones are returned too).
    prefix: words the decoder is made to write first (each scored as the model scores it); the search goes on
    from there. record: a list that receives a BeamStep for every step, the forced ones included.
    """
    prev = torch.tensor([bos])
    hidden = enc.start
    alive: list[tuple[list[int], float]] = [([], 0.0)]
    for word in prefix:
        logp, hidden, _ = model.step(prev, hidden, enc)
        ids, total = alive[0]
        alive, prev = [(ids + [word], total + float(logp[0, word]))], torch.tensor([word])
        if record is not None:
            record.append(BeamStep([(0, word, alive[0][1], True)], forced=True))
    finished: list[Hypothesis] = []
    for _ in range(max_len - len(prefix)):
        beam_enc = select(enc, torch.zeros(len(alive), dtype=torch.long))
        # Twice the width, so that hypotheses ending here do not shrink the beam of open ones.
        best, hidden = model.best_next(prev, hidden, beam_enc, torch.tensor([lp for _, lp in alive]), 2 * width)
        rows, words, keep = [], [], []
        step = BeamStep()
        for rank, (value, row, word) in enumerate(zip(best.totals, best.rows, best.words)):
            ids = alive[row][0]
            if word == eos:
                kept = rank < width
                if kept:
                    finished.append(Hypothesis(ids, value, value / length_penalty(len(ids) + 1, alpha), True))
            elif kept := len(keep) < width:
                keep.append((ids + [word], value))
                rows.append(row)
                words.append(word)
            step.candidates.append((row, word, value, kept))
        if record is not None:
            record.append(step)
        if len(finished) >= width or not keep:
            break
        alive = keep
        prev = torch.tensor(words)
        hidden = hidden[:, rows]
    else:
        finished += [Hypothesis(ids, lp, lp / length_penalty(len(ids), alpha), False) for ids, lp in alive]
    return sorted(finished, key=lambda h: h.score, reverse=True)[:width]
