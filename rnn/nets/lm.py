"""A word-level LSTM language model (pytorch/examples word_language_model) with weight tying, dropout and a
tied adaptive softmax.

Why adaptive: on a CPU the output layer (hidden x vocabulary, for every word read) costs far more than the
LSTM. Words are ordered by frequency, so the ~2,000 most frequent words (which make up about nine tokens in ten)
get their own logits in a small "head"; rarer words are reached through a cluster logit in the head and then a
softmax within their cluster (Grave et al. 2017). Every output word vector is still its input embedding (tying,
Press & Wolf 2017); a cluster only adds a linear map of the hidden state. Training runs about four times faster,
and log_probs() still gives the exact full next-word distribution.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import torch
from torch import nn

State = tuple[torch.Tensor, torch.Tensor]


@dataclass
class LMConfig:
    vocab_size: int
    emb: int = 256
    hidden: int = 256
    layers: int = 2
    dropout: float = 0.3
    # word ids below cutoffs[0] are in the head; [cutoffs[i], cutoffs[i+1]) form tail cluster i (the last ends at vocab_size)
    cutoffs: list[int] = field(default_factory=lambda: [2000, 5000])
    # an ensemble (LMEnsemble): the sizes of the networks that suggest together with the one described above, each a
    # dict of the fields above other than vocab_size and cutoffs; empty for a single network
    other_members: list[dict] = field(default_factory=list)


class LSTMLanguageModel(nn.Module):
    """Reads word ids and gives, after every word, a distribution over the vocabulary for the word that comes next."""

    def __init__(self, config: LMConfig):
        super().__init__()
        self.config = config
        bounds = [c for c in config.cutoffs if c < config.vocab_size]
        self.bounds = [*bounds, config.vocab_size]  # bounds[0] = head size; cluster i spans bounds[i]..bounds[i+1]
        self.embed = nn.Embedding(config.vocab_size, config.emb)
        self.drop = nn.Dropout(config.dropout)
        self.lstm = nn.LSTM(config.emb, config.hidden, num_layers=config.layers, batch_first=True,
                            dropout=config.dropout if config.layers > 1 else 0.0)
        # the last hidden state is mapped into the embedding space, where the (tied) output word vectors live
        self.proj = nn.Linear(config.hidden, config.emb)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        n_clusters = len(self.bounds) - 1
        self.cluster = nn.Linear(config.emb, n_clusters) if n_clusters else None  # none when the vocabulary is small
        self.tail_maps = nn.ModuleList(nn.Linear(config.emb, config.emb, bias=False) for _ in range(n_clusters))
        nn.init.uniform_(self.embed.weight, -0.1, 0.1)
        self._step_weights: tuple[tuple[int, ...], list[tuple[torch.Tensor, torch.Tensor]]] | None = None

    @property
    def hidden_size(self) -> int:
        return self.config.hidden

    def features(self, ids: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """The top LSTM layer's output after each word ([B, T, hidden]) and the final (h, c) state."""
        x = self.drop(self.embed(ids))
        if ids.size(1) == 1 and state is not None and not torch.is_grad_enabled() and not self.training:
            return self._one_step(x[:, 0], state)
        return self.lstm(x, state)

    def _one_step(self, x: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One LSTM step written as one matrix product per layer: the same numbers as nn.LSTM, but nn.LSTM's CPU
        kernel pays a fixed setup cost on every call, which dominates the single steps a keystroke takes
        (2 x 512 LSTM, 3 rows: 7.9 ms vs 1.9 ms). Reading a whole sentence still goes through nn.LSTM."""
        h, c = state
        hs, cs = [], []
        for layer, (weight, bias) in enumerate(self._fused_weights()):
            gates = torch.addmm(bias, torch.cat([x, h[layer]], dim=1), weight)
            i, f, g, o = gates.chunk(4, dim=1)  # nn.LSTM's gate order
            c_layer = torch.sigmoid(f) * c[layer] + torch.sigmoid(i) * torch.tanh(g)
            x = torch.sigmoid(o) * torch.tanh(c_layer)
            hs.append(x)
            cs.append(c_layer)
        return x.unsqueeze(1), (torch.stack(hs), torch.stack(cs))

    def _fused_weights(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per layer, [W_ih W_hh] transposed and the summed biases; rebuilt whenever the weights have changed."""
        versions = tuple(p._version for p in self.lstm.parameters())
        if self._step_weights is None or self._step_weights[0] != versions:
            fused = []
            for layer in range(self.config.layers):
                w_ih, w_hh, b_ih, b_hh = (getattr(self.lstm, f"{name}_l{layer}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
                fused.append((torch.cat([w_ih, w_hh], dim=1).T.contiguous(), b_ih + b_hh))
            self._step_weights = (versions, fused)
        return self._step_weights[1]

    def _head(self, x: torch.Tensor) -> torch.Tensor:
        """Log-probabilities over [head words..., cluster 1, cluster 2, ...] for x [N, emb]."""
        head = self.bounds[0]
        words = x @ self.embed.weight[:head].T + self.bias[:head]
        logits = words if self.cluster is None else torch.cat([words, self.cluster(x)], dim=-1)
        return torch.log_softmax(logits, dim=-1)

    def _tail(self, x: torch.Tensor, i: int) -> torch.Tensor:
        """Log-probabilities within cluster i for x [N, emb]."""
        lo, hi = self.bounds[i], self.bounds[i + 1]
        return torch.log_softmax(self.tail_maps[i](x) @ self.embed.weight[lo:hi].T + self.bias[lo:hi], dim=-1)

    def loss(self, features: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Summed negative log-likelihood of targets [N] given top-layer outputs [N, hidden]."""
        x = self.proj(self.drop(features))
        head_lp = self._head(x)
        head = self.bounds[0]
        # a head word's log-prob, or for a tail word the log-prob of its cluster (added to below)
        index = targets.clone()
        for i in range(len(self.bounds) - 1):
            in_cluster = (targets >= self.bounds[i]) & (targets < self.bounds[i + 1])
            index[in_cluster] = head + i
        nll = -head_lp.gather(1, index[:, None]).sum()
        for i in range(len(self.bounds) - 1):
            rows = ((targets >= self.bounds[i]) & (targets < self.bounds[i + 1])).nonzero().squeeze(1)
            if rows.numel():
                tail_lp = self._tail(x[rows], i)
                nll = nll - tail_lp.gather(1, (targets[rows] - self.bounds[i])[:, None]).sum()
        return nll

    def log_probs(self, features: torch.Tensor, clusters: int | None = None) -> torch.Tensor:
        """The full next-word log-distribution [..., vocab] from top-layer outputs [..., hidden]; with clusters,
        only of the head words and the first `clusters` tail clusters (the most frequent words)."""
        shape = features.shape[:-1]
        x = self.proj(self.drop(features.reshape(-1, features.shape[-1])))
        head_lp = self._head(x)
        head = self.bounds[0]
        parts = [head_lp[:, :head]]
        for i in range(len(self.bounds) - 1 if clusters is None else min(clusters, len(self.bounds) - 1)):
            parts.append(head_lp[:, head + i: head + i + 1] + self._tail(x, i))
        log_probs = torch.cat(parts, dim=-1)
        return log_probs.reshape(*shape, log_probs.size(-1))

    def top_words(self, features: torch.Tensor, k: int, clusters: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The exact k most probable next words for each row of features [N, hidden]: (log-probs, ids), [N, k].

        Faster than log_probs(): see top_k_words. clusters: look only at the head and this many tail clusters (the
        most frequent words); None: all words.
        """
        return top_k_words(*self.scorer(features), self.bounds, k, clusters)

    def scorer(self, features: torch.Tensor):
        """What top_k_words needs for features [N, hidden]: the head's log-probabilities [N, head words + clusters],
        and a function (rows, i) -> the log-probabilities of tail cluster i's words for those rows."""
        x = self.proj(self.drop(features))
        head_lp = self._head(x)
        head = self.bounds[0]
        return head_lp, lambda rows, i: head_lp[rows, head + i: head + i + 1] + self._tail(x[rows], i)


def top_k_words(head_lp: torch.Tensor, cluster_log_probs, bounds: list[int], k: int,
                clusters: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The exact k most probable words per row, (log-probs, ids) [N, k], from the head's log-probabilities
    [N, head words + clusters] and cluster_log_probs(rows, i): the log-probabilities of cluster i's words for those rows.

    A tail word's probability is at most its cluster's, so a cluster whose probability is below the k-th best word
    found so far cannot hold a top-k word, and its words are never computed (most rows need no cluster at all).
    """
    head = bounds[0]
    best, ids = torch.topk(head_lp[:, :head], min(k, head), dim=-1)
    for i in range(len(bounds) - 1 if clusters is None else min(clusters, len(bounds) - 1)):
        rows = (head_lp[:, head + i] > best[:, -1]).nonzero().squeeze(1)
        if rows.numel() == 0:
            continue
        tail_lp, tail_ids = torch.topk(cluster_log_probs(rows, i), min(k, bounds[i + 1] - bounds[i]), dim=-1)
        merged_lp = torch.cat([best[rows], tail_lp], dim=-1)
        merged_ids = torch.cat([ids[rows], tail_ids + bounds[i]], dim=-1)
        top, where = torch.topk(merged_lp, best.shape[1], dim=-1)
        best, ids = best.clone(), ids.clone()
        best[rows], ids[rows] = top, merged_ids.gather(1, where)
    return best, ids


def _log_mean_exp(log_probs: list[torch.Tensor]) -> torch.Tensor:
    """The log of the mean of the members' probabilities (not the mean of their log-probabilities: a word one
    member rules out stays possible when the others like it)."""
    return torch.logsumexp(torch.stack(log_probs), dim=0) - math.log(len(log_probs))


class LMEnsemble(nn.Module):
    """Language models of any sizes over one vocabulary that predict as one: the next word's distribution is the
    mean of theirs.

    Networks trained apart make different mistakes, and averaging their probabilities cancels some of them: two
    networks suggest the intended word more often than either alone. Members may differ in depth and width, so
    each reading is kept side by side on the feature axis: features() gives the members' top-layer outputs
    concatenated, and the state holds every layer of every member in one [1, batch, ...] tensor pair, so code that
    batches, splits and caches a single network's states works unchanged. Assembled from trained networks, never
    trained as one. The first member is the one whose hidden state the pages show.
    """

    def __init__(self, config: LMConfig):
        super().__init__()
        self.config = config
        first = replace(config, other_members=[])
        configs = [first, *(replace(first, **sizes) for sizes in config.other_members)]
        self.members = nn.ModuleList(LSTMLanguageModel(c) for c in configs)
        self.bounds = self.members[0].bounds

    @property
    def hidden_size(self) -> int:
        return sum(m.config.hidden for m in self.members)

    def features(self, ids: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        states = self.member_states(state) if state is not None else [None] * len(self.members)
        reads = [member.features(ids, s) for member, s in zip(self.members, states)]
        return torch.cat([out for out, _ in reads], dim=-1), self._join_state([s for _, s in reads])

    def _join_state(self, states: list[State]) -> State:
        """Every member's (h, c) [layers, B, hidden] flattened into one (h, c) pair [1, B, sum of layers x hidden]."""
        return tuple(torch.cat([s[part].transpose(0, 1).reshape(1, s[part].size(1), -1) for s in states], dim=-1)
                     for part in (0, 1))

    def member_states(self, state: State) -> list[State]:
        """Each member's (h, c) [layers, B, hidden] from the ensemble's state."""
        sizes = [m.config.layers * m.config.hidden for m in self.members]
        h_parts, c_parts = (part.split(sizes, dim=-1) for part in state)
        return [tuple(p.reshape(p.size(1), m.config.layers, m.config.hidden).transpose(0, 1).contiguous() for p in (h, c))
                for m, h, c in zip(self.members, h_parts, c_parts)]

    def log_probs(self, features: torch.Tensor, clusters: int | None = None) -> torch.Tensor:
        """The mean of the members' next-word distributions, as log-probabilities. clusters: as LSTMLanguageModel's."""
        return _log_mean_exp([m.log_probs(f, clusters) for m, f in zip(self.members, self._split_features(features))])

    def top_words(self, features: torch.Tensor, k: int, clusters: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The exact k most probable next words of the mean distribution: (log-probs, ids), [N, k]. The shortcut of
        top_k_words holds for the mean too: a tail word's mean probability is at most its cluster's."""
        scorers = [m.scorer(f) for m, f in zip(self.members, self._split_features(features))]
        return top_k_words(_log_mean_exp([head_lp for head_lp, _ in scorers]),
                           lambda rows, i: _log_mean_exp([cluster(rows, i) for _, cluster in scorers]),
                           self.bounds, k, clusters)

    def _split_features(self, features: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return features.split([m.config.hidden for m in self.members], dim=-1)
