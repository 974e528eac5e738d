"""A linear-chain CRF over BIO tags: training loss, Viterbi decoding and per-token marginals.

Transitions that break BIO (O -> I-X, B-X -> I-Y, start -> I-X) get a large negative score that is added
everywhere, in training and decoding alike, so the decoded path is always valid BIO.
"""
from __future__ import annotations

import torch
from torch import nn

FORBIDDEN = -1e4


def bio_constraints(tags: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """(transition penalty [K, K] from -> to, start penalty [K]): 0 where allowed, FORBIDDEN where not."""
    k = len(tags)
    trans = torch.zeros(k, k)
    start = torch.zeros(k)
    for j, to in enumerate(tags):
        if not to.startswith("I-"):
            continue
        kind = to[2:]
        start[j] = FORBIDDEN
        for i, frm in enumerate(tags):
            if frm[2:] != kind or frm[:2] not in ("B-", "I-"):
                trans[i, j] = FORBIDDEN
    return trans, start


class CRF(nn.Module):
    """Scores a tag path as sum of emissions + transitions (+ start/end scores). Inputs are batch-first."""

    def __init__(self, tags: list[str]):
        super().__init__()
        k = len(tags)
        self.transitions = nn.Parameter(torch.zeros(k, k))  # [from, to]
        self.start = nn.Parameter(torch.zeros(k))
        self.end = nn.Parameter(torch.zeros(k))
        trans_penalty, start_penalty = bio_constraints(tags)
        # Derived from the tag names, so not saved in the bundle.
        self.register_buffer("trans_penalty", trans_penalty, persistent=False)
        self.register_buffer("start_penalty", start_penalty, persistent=False)

    def _scores(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.transitions + self.trans_penalty, self.start + self.start_penalty, self.end

    def path_score(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Score of the given tag paths: emissions [B, T, K], tags [B, T] long, mask [B, T] bool -> [B]."""
        trans, start, end = self._scores()
        maskf = mask.to(emissions.dtype)
        emit = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)
        score = start[tags[:, 0]] + (emit * maskf).sum(1)
        score = score + (trans[tags[:, :-1], tags[:, 1:]] * maskf[:, 1:]).sum(1)
        last = tags.gather(1, (mask.sum(1, keepdim=True) - 1).clamp(min=0)).squeeze(1)
        return score + end[last]

    def _forward_alphas(self, emissions: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
        trans, start, _ = self._scores()
        alpha = start + emissions[:, 0]
        alphas = [alpha]
        for t in range(1, emissions.shape[1]):
            step = torch.logsumexp(alpha.unsqueeze(2) + trans.unsqueeze(0), dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t, None], step, alpha)
            alphas.append(alpha)
        return alphas

    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """log of the sum over all tag paths of exp(score): [B]."""
        alpha = self._forward_alphas(emissions, mask)[-1]
        return torch.logsumexp(alpha + self.end, dim=1)

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood of the gold paths (the training loss)."""
        return (self.log_partition(emissions, mask) - self.path_score(emissions, tags, mask)).mean()

    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """P(tag at t = k | sentence) by forward-backward: [B, T, K] (rows past the mask are meaningless)."""
        trans, _, end = self._scores()
        alphas = self._forward_alphas(emissions, mask)
        n = emissions.shape[1]
        beta = end.expand(emissions.shape[0], -1)
        betas = [beta] * n
        for t in range(n - 2, -1, -1):
            step = torch.logsumexp(trans.unsqueeze(0) + (emissions[:, t + 1] + beta).unsqueeze(1), dim=2)
            # Past a sentence's end, beta stays the end score: position t is then that sentence's last word.
            beta = torch.where(mask[:, t + 1, None], step, beta)
            betas[t] = beta
        log_z = torch.logsumexp(alphas[-1] + end, dim=1)
        joint = torch.stack(alphas, 1) + torch.stack(betas, 1) - log_z[:, None, None]
        return joint.exp()

    def viterbi(self, emissions: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
        """The best tag path of each sentence (length = its mask sum)."""
        trans, start, end = self._scores()
        score = start + emissions[:, 0]
        pointers = []
        for t in range(1, emissions.shape[1]):
            best, idx = (score.unsqueeze(2) + trans.unsqueeze(0)).max(dim=1)
            step = best + emissions[:, t]
            score = torch.where(mask[:, t, None], step, score)
            pointers.append(idx)
        score = score + end
        lengths = mask.sum(1).tolist()
        paths = []
        for b, length in enumerate(lengths):
            if length == 0:
                paths.append([])
                continue
            tag = int(score[b].argmax())
            path = [tag]
            for t in range(length - 1, 0, -1):
                tag = int(pointers[t - 1][b, tag])
                path.append(tag)
            paths.append(path[::-1])
        return paths
