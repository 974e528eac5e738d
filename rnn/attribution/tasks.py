"""Occlusion for each of the four task models: which of the words read moved its answer, and by how much.

stars: the expected stars of the whole review; entities: the probability of the type the tagger gave a word the
student picks; translate: the log-probability of a French word the student picks, given the French written before
it (teacher forcing), over the English words; autocomplete: the probability of the top next-word guess, over the
words typed. Every answer is the whole model's (both networks of an ensemble, averaged as the page averages them).
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

from rnn.attribution.occlusion import Attribution, occlusion_scores
from rnn.nets.seq2seq import Seq2SeqEnsemble
from rnn.text import MAX_TOKENS, Vocab

TASKS = ("stars", "entities", "translate", "autocomplete")  # the tasks attribute() explains

# ---------------------------------------------------------------- review stars


def expected_stars_of(model, ids: torch.Tensor) -> torch.Tensor:
    """The RNN's expected stars (1-5, with its bundled offsets, as the page's answer) for each row of ids [B, T]."""
    logits = model.net.rnn(ids, torch.full((ids.shape[0],), ids.shape[1]))[0] + model.net.rnn_offset
    return torch.softmax(logits, -1) @ torch.arange(1, logits.shape[1] + 1, dtype=logits.dtype)


def stars_attribution(model, tokens: Sequence[str]) -> Attribution | None:
    from rnn.tasks.stars.model import encode

    tokens = list(tokens)[:MAX_TOKENS]
    if not tokens:
        return None
    ids = torch.tensor(encode(model.config, model.vocab, tokens))
    answer, scores = occlusion_scores(lambda rows: expected_stars_of(model, rows), (ids,), (Vocab.unk_id,))
    return Attribution(tokens, scores, answer, "the expected number of stars", "stars")


# ---------------------------------------------------------------- entities


def entity_attribution(model, tokens: Sequence[str], index: int, kind: str) -> Attribution | None:
    """kind: the type the tagger gave tokens[index] ("PER", "LOC", ..., or "O" for no name)."""
    from rnn.nets.tagger import casing
    from rnn.tasks.entities import LABEL_NAMES, collate, encode

    tokens = list(tokens)[:MAX_TOKENS]
    if not 0 <= index < len(tokens):
        return None
    words, chars, cases, _ = (part[0] for part in collate([encode(tokens, model.vocab, model.chars)]))
    # An occluded word reads as a word the tagger never saw, written in lower case: <unk> in the word table, one
    # unknown character for the character CNN, lower-case casing.
    unknown_chars = torch.zeros_like(chars[0])
    unknown_chars[0] = model.chars.unk_id
    columns = [k for k, tag in enumerate(model.tags) if (tag[2:] or "O") == kind]

    def answer(w: torch.Tensor, c: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        lengths = torch.full((w.shape[0],), w.shape[1])
        emissions, _ = model.net.encode(w, c, k, lengths)
        marginals = model.net.crf.marginals(emissions, torch.ones(w.shape, dtype=torch.bool))
        return marginals[:, index, columns].sum(-1)

    value, scores = occlusion_scores(answer, (words, chars, cases), (Vocab.unk_id, unknown_chars, casing("word")))
    what = f"a {LABEL_NAMES[kind]}" if kind in LABEL_NAMES else "not part of any name"
    return Attribution(tokens, scores, value, f"the probability that “{tokens[index]}” is {what}", "probability",
                       tokens[index], index)


# ---------------------------------------------------------------- translate


def _next_word_log_probs(net, enc, tgt_in: torch.Tensor) -> torch.Tensor:
    """log P(next French unit | source, tgt_in) [B, V] after the last unit of tgt_in [B, K]: the decoder's reread,
    but only the last step goes through the output layer (an ensemble averages its members' probabilities)."""
    members, encodings = (net.members, net.per_member(enc)) if isinstance(net, Seq2SeqEnsemble) else ([net], [enc])
    log_probs = []
    for member, encoding in zip(members, encodings):
        dec_out, _ = member.decoder(member.tgt_emb(tgt_in), encoding.start)
        features, _ = member.attend(dec_out[:, -1:], encoding)
        log_probs.append(member.log_probs(features[:, 0]))
    return torch.logsumexp(torch.stack(log_probs), dim=0) - math.log(len(log_probs))


def translation_attribution(model, source: Sequence[str], target: Sequence[str], position: int) -> Attribution | None:
    """The French unit target[position] (target: the units written, as the decoder wrote them), given target[:position]."""
    from rnn.tasks.translate.model import source_ids

    source = list(source)[:MAX_TOKENS]
    if not source or not 0 <= position < len(target):
        return None
    ids = torch.tensor(source_ids(model.vocab, source))
    written = model.tgt_vocab.encode(target[: position + 1])
    prefix = torch.tensor([Vocab.bos_id, *written[:-1]])

    def answer(rows: torch.Tensor) -> torch.Tensor:
        enc = model.net.encode(rows, torch.full((rows.shape[0],), rows.shape[1]))
        return _next_word_log_probs(model.net, enc, prefix.expand(rows.shape[0], -1))[:, written[-1]]

    value, scores = occlusion_scores(answer, (ids,), (Vocab.unk_id,))
    return Attribution(source, scores, value, f"the probability of writing “{target[position]}” next", "logprob",
                       target[position])


# ---------------------------------------------------------------- autocomplete

_NEVER_SUGGESTED = (Vocab.unk_id, Vocab.pad_id, Vocab.bos_id)  # as autocomplete's predict leaves them out


def next_word_attribution(model, context: Sequence[str], written: Callable[[str], str] = str,
                          guess: str | None = None) -> Attribution | None:
    """context: the complete words typed (lower-cased, as the language model reads them); written: how the page
    writes a word of the model's ("i" -> "I", names with their capitals); guess: the top next-word guess when the
    page has it already (None: found here, as autocomplete's predict finds it)."""
    context = list(context)[:MAX_TOKENS]
    if not context:
        return None
    ids = torch.tensor(model.vocab.encode(context))
    guess_id = model.vocab.id(guess) if guess is not None else _top_guess(model, ids)
    # only the output layer's clusters up to the guess's own (its head alone, for a common word): the same number
    # for the guess as the whole distribution, at a fraction of the cost
    clusters = next(i for i, bound in enumerate(model.net.bounds) if guess_id < bound)

    def answer(rows: torch.Tensor) -> torch.Tensor:
        return model.net.log_probs(model.net.features(_after_bos(rows))[0][:, -1], clusters)[:, guess_id].exp()

    value, scores = occlusion_scores(answer, (ids,), (Vocab.unk_id,))
    word = written(model.vocab.itos[guess_id])
    return Attribution([written(w) for w in context], scores, value, f"the probability of “{word}” as the next word",
                       "probability", model.vocab.itos[guess_id])


def _top_guess(model, ids: torch.Tensor) -> int:
    with torch.inference_mode():
        here = model.net.log_probs(model.net.features(_after_bos(ids[None]))[0][0, -1])
        here[list(_NEVER_SUGGESTED)] = -math.inf
        return int(here.argmax())


def _after_bos(rows: torch.Tensor) -> torch.Tensor:
    """Every sentence the language model reads starts from <bos> (never occluded)."""
    return torch.cat([torch.full((rows.shape[0], 1), Vocab.bos_id), rows], dim=1)


# ---------------------------------------------------------------- one entry point for the pages


def attribute(task: str, model, result, pick: int | None = None) -> Attribution | None:
    """The attribution of a task's answer in result (what its predict returned); pick: the word (entities) or the
    French unit (translate) whose answer to explain. None when there is nothing to explain."""
    if task == "stars":
        return stars_attribution(model, result.trace.tokens)
    if task == "entities":
        if pick is None or not 0 <= pick < len(result.tags):
            return None
        return entity_attribution(model, result.trace.tokens, pick, result.tags[pick][2:] or "O")
    if task == "translate":
        return None if pick is None else translation_attribution(model, result.source, result.target, pick)
    if task == "autocomplete":
        return next_word_attribution(model, result.context, result.written, next(iter(result.next_words), None))
    raise KeyError(f"no attribution for task {task!r}")
