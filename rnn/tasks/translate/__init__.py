"""English -> French translation: the task API the pages and the CLIs use (rnn.registry names this package).

model holds the translator the pages see, corpus the decoding of many sentences and their scores, batching the
training batches, confidence the rule that calls a translation unsure, train and evaluate the CLIs.
"""
from rnn.tasks.translate.evaluate import evaluate_cli
from rnn.tasks.translate.model import (BEAM_LENGTH_ALPHA, TASK, Alternative, Translator, TranslateResult, detokenize,
                                       first_word_changes, load, predict)
from rnn.tasks.translate.train import train_cli

__all__ = ["BEAM_LENGTH_ALPHA", "TASK", "Alternative", "TranslateResult", "Translator", "detokenize", "evaluate_cli",
           "first_word_changes", "load", "predict", "train_cli"]
