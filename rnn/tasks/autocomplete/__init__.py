"""Autocomplete: a word-level LSTM language model that suggests the next words while you type (the video's Gmail example).

The task API the pages and the CLIs use; the parts live by role: words (tokens, joining, the prefix index), model
(the model the pages use: load, predict, generate), search (the grey continuation), metrics (keystroke savings and
the n-gram baseline), train, evaluate, and ptb (the Penn Treebank benchmark).
"""
from rnn.tasks.autocomplete.evaluate import evaluate_cli
from rnn.tasks.autocomplete.model import TASK, AutocompleteModel, Result, generate, load, predict
from rnn.tasks.autocomplete.ptb import evaluate_ptb_cli, train_ptb_cli
from rnn.tasks.autocomplete.train import train_cli
from rnn.tasks.autocomplete.words import join_words

__all__ = ["TASK", "AutocompleteModel", "Result", "evaluate_cli", "evaluate_ptb_cli", "generate", "join_words", "load",
           "predict", "train_cli", "train_ptb_cli"]
