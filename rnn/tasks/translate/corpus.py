"""Translating a whole corpus and scoring it: corpus BLEU and chrF, what a card records, the unsure rule's split,
and the word-by-word baseline."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from rnn.data.tatoeba import group_references
from rnn.nets.seq2seq import Network, beam_search, greedy, select
from rnn.tasks.translate.batching import pad
from rnn.tasks.translate.confidence import Confidence, confidence
from rnn.tasks.translate.model import (Translator, detokenize, english_tokens, max_output_len, replace_unknowns,
                                       source_ids, with_replacements)
from rnn.text import Vocab


def _attention(net: Network, enc, ids: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Re-read written French ids (teacher forcing) for a batch of one: (log-probs [T+1, V], attention [T+1, S])."""
    log_probs, weights = net.reread(enc, torch.tensor([[Vocab.bos_id] + ids]))
    return log_probs[0], weights[0]


@dataclass
class Decoded:
    text: str
    confidence: Confidence | None = None  # only when decode_corpus was asked for it


def decode_corpus(model: Translator, sentences: list[str], beam: int = 1, batch_size: int = 200,
                  with_confidence: bool = False) -> list[Decoded]:
    """Translate many English sentences: batched greedy for beam 1, one beam search per sentence otherwise.
    Every <unk> written is replaced as predict() does (replace_unknowns); with_confidence also rates each one."""
    net, tgt = model.net, model.tgt_vocab
    source = [english_tokens(s) for s in sentences]
    ids = [source_ids(model.vocab, words) or [Vocab.unk_id] for words in source]
    out = [Decoded("") for _ in sentences]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size if beam == 1 else 1):
            chunk = order[start: start + (batch_size if beam == 1 else 1)]
            src = pad([ids[i] for i in chunk])
            enc = net.encode(src, torch.tensor([len(ids[i]) for i in chunk]))
            limit = max_output_len(src.size(1))
            if beam == 1:
                decoded, _ = greedy(net, enc, Vocab.bos_id, Vocab.eos_id, limit)
            else:
                decoded = [beam_search(net, enc, Vocab.bos_id, Vocab.eos_id, limit, width=beam)[0].ids]
            for k, (i, row) in enumerate(zip(chunk, decoded)):
                units = tgt.decode(row)
                if Vocab.unk_id in row:
                    _, attention = _attention(net, select(enc, torch.tensor([k])), row)
                    units = with_replacements(units, replace_unknowns(model, source[i], units, attention.cpu().numpy()))
                rated = confidence(net, select(enc, torch.tensor([k])), row) if with_confidence else None
                out[i] = Decoded(detokenize(units), rated)
    return out


def translate_corpus(model: Translator, sentences: list[str], beam: int = 1, batch_size: int = 200) -> list[str]:
    return [d.text for d in decode_corpus(model, sentences, beam, batch_size)]


def score(hypotheses: list[str], references: list[list[str]]) -> dict[str, float]:
    """Corpus BLEU and chrF (sacrebleu, 0-100) with all references of each sentence."""
    import sacrebleu

    width = max(len(r) for r in references)
    streams = [[r[k] if k < len(r) else None for r in references] for k in range(width)]
    return {"bleu": round(sacrebleu.corpus_bleu(hypotheses, streams).score, 2),
            "chrf": round(sacrebleu.corpus_chrf(hypotheses, streams).score, 2)}


def evaluate_pairs(model: Translator, pairs: list[tuple[str, str]], beam: int = 1, with_confidence: bool = False) -> dict:
    """BLEU and chrF; with_confidence adds how the unsure rule splits the sentences (confidence_split)."""
    english, references = group_references(pairs)
    decoded = decode_corpus(model, english, beam=beam, with_confidence=with_confidence)
    result = score([d.text for d in decoded], references)
    if with_confidence:
        result.update(confidence_split(decoded, references))
    return {**result, "n_sentences": len(english), "n_pairs": len(pairs),
            "decoding": "greedy" if beam == 1 else f"beam {beam}"}


def card_metrics(model: Translator, valid_pairs: list[tuple[str, str]], beam: int) -> dict:
    """What a card records: BLEU and chrF with the beam and greedy, and how the unsure rule splits the beam's."""
    greedy_metrics = evaluate_pairs(model, valid_pairs, beam=1)
    beam_metrics = evaluate_pairs(model, valid_pairs, beam=beam, with_confidence=True)
    return {"bleu": beam_metrics["bleu"], "chrf": beam_metrics["chrf"],
            "bleu_greedy": greedy_metrics["bleu"], "chrf_greedy": greedy_metrics["chrf"],
            **{k: beam_metrics[k] for k in ("flagged_share", "chrf_flagged", "chrf_unflagged")},
            "n_sentences": beam_metrics["n_sentences"], "n_pairs": beam_metrics["n_pairs"]}


def confidence_split(decoded: list[Decoded], references: list[list[str]]) -> dict[str, float]:
    """The share of sentences flagged unsure, and the corpus chrF of the flagged and of the other translations."""
    flagged = [d.confidence is not None and d.confidence.unsure for d in decoded]

    def chrf_of(group: bool) -> float | None:
        picked = [k for k, f in enumerate(flagged) if f == group]
        if not picked:
            return None
        return score([decoded[k].text for k in picked], [references[k] for k in picked])["chrf"]

    return {"flagged_share": round(sum(flagged) / max(len(flagged), 1), 4),
            "chrf_flagged": chrf_of(True), "chrf_unflagged": chrf_of(False)}


def word_by_word(lexicon: dict[str, str], valid_english: list[str]) -> list[str]:
    """Baseline without any RNN: each English word replaced by its lexicon entry (build_lexicon), kept in
    English word order."""
    return [detokenize([lexicon[w.lower()] for w in english_tokens(s) if w.lower() in lexicon]) for s in valid_english]
