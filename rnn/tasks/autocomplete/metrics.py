"""How well a next-word model suggests: perplexity, top-1/top-3 accuracy and keystroke savings, measured the same
way for the LSTM and the Kneser-Ney n-gram baseline.

Keystroke savings: the sentence is typed character by character; before each character the 3 most probable
vocabulary words that start with what is typed of the current word are shown; if the intended word is among them,
one keystroke accepts it together with the space that follows it. Savings = 1 - keystrokes / characters of the
sentence. Words are compared lower-cased.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

import numpy as np
import torch

from rnn.tasks.autocomplete.words import PrefixIndex, lm_tokens
from rnn.text import Vocab

if TYPE_CHECKING:
    from rnn.tasks.autocomplete.model import AutocompleteModel


def keystrokes(sentence: str, probs: np.ndarray, vocab: Vocab, index: PrefixIndex) -> tuple[int, int]:
    """(keystrokes, characters) to type sentence with 3 suggestions; probs[t] is the distribution before token t."""
    tokens = lm_tokens(sentence, None)
    start_of = {t.start: (i, t) for i, t in enumerate(tokens)}
    keys, pos, n = 0, 0, len(sentence)
    while pos < n:
        if pos in start_of:
            i, token = start_of[pos]
            word_id = vocab.id(token.text)
            accepted = False
            if word_id != vocab.unk_id:
                # before each character of the word: is it among the suggestions for what is typed so far?
                for typed in range(len(token.text)):
                    if word_id in index.suggest(probs[i], token.text[:typed]):
                        keys += typed + 1  # the typed characters and the accepting keystroke
                        pos = token.end + (1 if token.end < n and sentence[token.end].isspace() else 0)
                        accepted = True
                        break
            if not accepted:
                keys += token.end - token.start
                pos = token.end
        else:
            keys += 1  # a space (or other character between words) typed by hand
            pos += 1
    return keys, n



def encode_sentences(sentences: Iterable[str], vocab: Vocab) -> list[list[int]]:
    return [vocab.encode(t.text for t in lm_tokens(s, None)) for s in sentences]


def lstm_sentence_probs(model: AutocompleteModel) -> Callable[[Sequence[int]], np.ndarray]:
    def probs(ids: Sequence[int]) -> np.ndarray:
        with torch.inference_mode():
            return model.sentence_log_probs(ids)[0].exp().double().cpu().numpy()
    return probs


def score(sentences: Sequence[str], sentence_probs: Callable[[Sequence[int]], np.ndarray], vocab: Vocab,
          keystroke_sim: bool = True) -> dict[str, float]:
    """Perplexity, top-1/top-3 next-word accuracy and keystroke savings of a model on sentences.

    sentence_probs(ids) -> [len(ids)+1, V] next-word distributions (the LSTM's or the n-gram's: same measure).
    Every word and the sentence end count; an <unk> target counts in perplexity but never as a correct guess.
    """
    index = PrefixIndex(vocab)
    nll, count, top1, top3, keys, chars = 0.0, 0, 0, 0, 0, 0
    for sentence, ids in zip(sentences, encode_sentences(sentences, vocab)):
        probs = sentence_probs(ids)
        targets = np.array([*ids, vocab.eos_id])
        p = probs[np.arange(len(targets)), targets]
        nll -= float(np.log(np.maximum(p, 1e-12)).sum())
        count += len(targets)
        rank = (probs > p[:, None]).sum(axis=1)
        hit = targets != vocab.unk_id
        top1 += int(((rank < 1) & hit).sum())
        top3 += int(((rank < 3) & hit).sum())
        if keystroke_sim:
            k, c = keystrokes(sentence, probs, vocab, index)
            keys, chars = keys + k, chars + c
    metrics = {"perplexity": math.exp(nll / max(count, 1)), "top1": top1 / max(count, 1), "top3": top3 / max(count, 1)}
    if keystroke_sim:
        metrics["keystroke_savings"] = 1 - keys / max(chars, 1)
    return {k: round(v, 4) for k, v in metrics.items()}


def ngram_for(vocab: Vocab, train_sentences: Iterable[str]):
    from rnn.baselines.ngram import KneserNeyTrigram

    ngram = KneserNeyTrigram(len(vocab), vocab.bos_id, vocab.eos_id, never=(vocab.pad_id, vocab.bos_id))
    return ngram.fit(encode_sentences(train_sentences, vocab))

