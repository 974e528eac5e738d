"""The grey continuation: a beam search for the most probable few words after what is typed."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import torch

from rnn.nets.lm import State

if TYPE_CHECKING:
    from rnn.tasks.autocomplete.model import AutocompleteModel

CONTINUATION_WORDS = 5000  # the grey continuation's later words come from this many most frequent words
# The grey continuation's most words: a 5th word is seldom right (the whole grey text was right about as often with
# 4 words as with 5 on validation prefixes) and its beam-search step is a fifth of a fresh keystroke's work.
CONTINUATION_LENGTH = 4


def beam_continuation(model: AutocompleteModel, ids: tuple[int, ...], first: Sequence[int] | None = None,
                      width: int = 3, max_words: int = CONTINUATION_LENGTH) -> list[str]:
    """The most probable few words after the context ids, by beam search; the first word is one of first (the
    completions of a half-typed word) when given, else any word; the words after it are among the most frequent
    CONTINUATION_WORDS, as in Smart Compose (a rare word is seldom the right guess, and skipping the rarest
    words' output layer halves each step's cost).

    The first word's probability is the whole model's (the completions'); the lead network alone chooses the words
    after it (see AutocompleteModel.lead). A beam's score is its mean log-probability per word, so the search does
    not simply prefer the shortest continuation. Beams that need a new LSTM step advance together in one batched
    step, and only their top words are computed (top_words). Each step is cached by the words it has read (context
    and beam words together), so the next keystroke's search mostly walks paths already taken: typing "sp" and then
    "spr" both start "spring ...", and after "Paris" the search for "Paris " starts where the one for "Paris" went.
    """
    banned = {model.vocab.unk_id, model.vocab.pad_id, model.vocab.bos_id}
    k = width + 1  # one spare for <unk> (<pad> and <bos> are never a next word in training, so never likely)
    clusters = sum(1 for bound in model.lead.bounds[1:] if bound <= CONTINUATION_WORDS)
    context = model.read_context(ids)
    here = model.distribution(context)
    start = list(first) if first is not None else torch.topk(here, k).indices.tolist()
    # path (words after the context) -> (LSTM state after it, log-probs and ids of its k likeliest next words)
    root = (model.lead_state(context.state), here[start].tolist(), start)
    nodes: dict[tuple[int, ...], tuple[State, list[float], list[int]]] = {(): root}
    beams: list[tuple[float, list[int]]] = [(0.0, [])]
    finished: list[tuple[float, list[int]]] = []
    for _ in range(max_words):
        paths = [tuple(words) for _, words in beams]
        missing = []
        for path in paths:
            if path not in nodes:
                nodes[path] = model.expansions.get(ids + path)
                if nodes[path] is None:
                    missing.append(path)
        if missing:
            h = torch.cat([nodes[path[:-1]][0][0] for path in missing], dim=1)
            c = torch.cat([nodes[path[:-1]][0][1] for path in missing], dim=1)
            feats, (h, c) = model.lead.features(torch.tensor([[path[-1]] for path in missing]), (h, c))
            top_lp, top_ids = model.lead.top_words(feats[:, -1], k, clusters)
            for j, path in enumerate(missing):
                nodes[path] = ((h[:, j: j + 1].clone(), c[:, j: j + 1].clone()), top_lp[j].tolist(), top_ids[j].tolist())
                model.expansions.put(ids + path, nodes[path])
        candidates = []
        for score, words in beams:
            _, log_probs, word_ids = nodes[tuple(words)]
            pairs = [(lp, i) for lp, i in zip(log_probs, word_ids) if i not in banned][:width]
            candidates += [(score + lp, words + [i]) for lp, i in pairs]
        candidates.sort(key=lambda cand: -cand[0] / len(cand[1]))
        beams = []
        for score, words in candidates[:width]:
            if words[-1] == model.vocab.eos_id:
                finished.append((score / len(words), words[:-1]))
            else:
                beams.append((score, words))
        if not beams:
            break
    finished += [(score / len(words), words) for score, words in beams]
    best = max(finished, key=lambda f: f[0]) if finished else (0.0, [])
    return model.vocab.decode(best[1])
