"""The beam search as a tree: at each step every partial French translation the decoder weighed, which it kept,
which it pruned, which finished, and the path of the winner. And the same search forced to start with a branch
the student picks, to see how the decoder carries on from a word it would not have chosen.

The tree of the page's own translation is built from the record predict() keeps of its search, so drawing it
costs no second search; only a forced prefix decodes again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch

from rnn.nets.seq2seq import BeamStep, Hypothesis, beam_search, length_penalty
from rnn.tasks.translate.model import (BEAM_LENGTH_ALPHA, TranslateResult, Translator, detokenize, english_tokens,
                                       max_output_len, source_ids)
from rnn.text import MAX_TOKENS, Vocab

FORCED, KEPT, PRUNED, FINISHED = "forced", "kept", "pruned", "finished"
EOS = "<eos>"


@dataclass
class Node:
    """One partial (or finished) translation the search weighed."""

    step: int  # how many French units it has written, this one included (1: the first word)
    ids: tuple[int, ...]  # the French ids so far, without <eos>
    words: tuple[str, ...]  # the same as units, "<eos>" last when this node finishes the sentence
    logprob: float  # total log-probability of its words
    score: float  # logprob / the length factor: the Beam tab's score (closer to 0 is better)
    fate: str  # FORCED, KEPT (stays on the beam), PRUNED (falls off it here) or FINISHED (wrote <eos>)
    parent: int | None  # index in BeamTree.nodes of the node it extends; None: the sentence's first word
    row: int  # its place among its step's candidates, the most probable first
    rank: int | None = None  # among the search's final translations (0: the winner); None if not one of them
    winner: bool = False  # on the winning translation's path

    @property
    def ends(self) -> bool:
        return self.words[-1] == EOS

    @property
    def text(self) -> str:
        """The French so far, glued as a sentence (without <eos>)."""
        return detokenize(list(self.words[:-1] if self.ends else self.words))


@dataclass
class BeamTree:
    nodes: list[Node] = field(default_factory=list)
    width: int = 1
    forced: int = 0  # how many first words were forced

    @property
    def steps(self) -> int:
        return max((n.step for n in self.nodes), default=0)

    @property
    def winner(self) -> Node | None:
        return next((n for n in self.nodes if n.rank == 0), None)

    def at(self, step: int) -> list[Node]:
        """The candidates of one step, the most probable first."""
        return [n for n in self.nodes if n.step == step]

    def describe(self, node: Node) -> str:
        """What became of a node, in words."""
        if node.fate == FINISHED or node.rank is not None:
            place = f"translation {node.rank + 1} of the search's final {self.width}" if node.rank is not None \
                else f"outranked: not among the final {self.width}"
            return ("finished: " if node.ends else "open at the length limit: ") + place
        if node.fate == KEPT and node.step == self.steps:
            return "still open when the search stopped"
        return {FORCED: "forced", KEPT: "kept on the beam", PRUNED: "pruned: it falls off the beam here"}[node.fate]

    def branches(self) -> list[int]:
        """Indices of the partial translations a student can force the decoder to start with, step by step."""
        return [i for i, n in enumerate(self.nodes) if not n.ends and n.fate != FORCED]


def build_tree(search: list[BeamStep], hypotheses: list[Hypothesis], itos: Sequence[str], width: int,
               alpha: float = BEAM_LENGTH_ALPHA) -> BeamTree:
    """The tree of one recorded beam search (seq2seq.beam_search's record and its result)."""
    nodes: list[Node] = []
    index: dict[tuple[tuple[int, ...], bool], int] = {}
    alive: list[int | None] = [None]  # the nodes each step extends, by row: at first the empty start
    for number, step in enumerate(search, 1):
        extended = []
        for row, (parent_row, word, total, kept) in enumerate(step.candidates):
            parent = alive[parent_row]
            head = nodes[parent].ids if parent is not None else ()
            ends = word == Vocab.eos_id
            ids = head if ends else head + (word,)
            fate = FORCED if step.forced else (FINISHED if ends else KEPT) if kept else PRUNED
            words = tuple(itos[i] for i in ids) + ((EOS,) if ends else ())
            index[ids, ends] = len(nodes)
            if kept and not ends:
                extended.append(len(nodes))
            nodes.append(Node(number, ids, words, total, total / length_penalty(len(words), alpha), fate, parent, row))
        alive = extended
    for rank, hypothesis in enumerate(hypotheses):
        found = index.get((tuple(hypothesis.ids), hypothesis.finished))
        if found is not None:
            nodes[found].rank = rank
    at = next((i for i, n in enumerate(nodes) if n.rank == 0), None)
    while at is not None:
        nodes[at].winner = True
        at = nodes[at].parent
    return BeamTree(nodes, width, sum(step.forced for step in search))


def from_result(model: Translator, result: TranslateResult) -> BeamTree:
    """The tree of the search predict() ran for this result: no decoding again."""
    return build_tree(result.search, result.hypotheses, model.tgt_vocab.itos, result.beam)


def search(model: Translator, text: str, beam: int = 5, prefix: Sequence[int] = ()) -> BeamTree:
    """predict()'s beam search on the same text, made to start with the French ids in prefix, as a tree.

    Special ids in prefix (<pad>, <bos>, <eos>, <unk> is a word and stays) and ids outside the vocabulary are left out.
    """
    beam = max(1, min(int(beam), 10))
    tokens = english_tokens(text if isinstance(text, str) else "")[:MAX_TOKENS]
    if not tokens:
        return BeamTree(width=beam)
    specials = {Vocab.pad_id, Vocab.bos_id, Vocab.eos_id}
    prefix = [int(i) for i in prefix if 0 <= int(i) < len(model.tgt_vocab.itos) and int(i) not in specials]
    ids = source_ids(model.vocab, tokens)
    record: list[BeamStep] = []
    with torch.inference_mode():
        enc = model.net.encode(torch.tensor([ids]), torch.tensor([len(ids)]))
        hypotheses = beam_search(model.net, enc, Vocab.bos_id, Vocab.eos_id, max(max_output_len(len(ids)), len(prefix)),
                                 width=beam, prefix=prefix, record=record)
    return build_tree(record, hypotheses, model.tgt_vocab.itos, beam)


# ---------------------------------------------------------------- the same in words, for a student who cannot read the chart


def signed(score: float) -> str:
    """A score as the page prints it: two decimals and a real minus sign."""
    return f"{score:.2f}".replace("-", "−")


def _quoted(node: Node, plain: Callable[[str], str]) -> str:
    return f"“{plain(node.text)}” ({signed(node.score)})"


def step_narration(tree: BeamTree, step: int, plain: Callable[[str], str] = str) -> str:
    """One step in words: what the search kept, what finished and what it pruned (plain escapes the French)."""
    nodes = tree.at(step)
    if nodes and nodes[0].fate == FORCED:
        return f"Word {step}: forced to write “{plain(nodes[0].words[-1])}”: {_quoted(nodes[0], plain)}."
    parts = []
    last = step == tree.steps
    for fate, label in ((KEPT, "still open when the search stopped" if last else "kept"), (FINISHED, "finished")):
        chosen = [_quoted(n, plain) for n in nodes if n.fate == fate]
        if chosen:
            parts.append(f"{len(chosen)} {label}: " + ", ".join(chosen))
    pruned = [n for n in nodes if n.fate == PRUNED]
    if pruned:
        parts.append(f"{len(pruned)} pruned, the best of them {_quoted(pruned[0], plain)}")
    return f"Word {step}: of the {len(nodes)} best ways to go on, " + "; ".join(parts) + "."


def narration(tree: BeamTree, plain: Callable[[str], str] = str) -> list[str]:
    """Every step in words, in order."""
    return [step_narration(tree, step, plain) for step in range(1, tree.steps + 1)]


def tree_summary(tree: BeamTree, plain: Callable[[str], str] = str) -> str:
    """The whole search in two sentences."""
    winner = tree.winner
    if winner is None:
        return "There was nothing to translate, so there is no search to show."
    finished = sum(n.fate == FINISHED for n in tree.nodes)
    how = "finished" if winner.ends else "was still open when the length limit stopped the search"
    told = (f"The search ran for {tree.steps} steps, keeping the {tree.width} most probable partial translations at "
            f"each; {finished} translations finished along the way. The winner {how}: “{plain(winner.text)}”, "
            f"score {signed(winner.score)}.")
    turn = greedy_turn(tree)
    if turn is None:
        return told + (" Greedy decoding, which always takes the likeliest next word, would have written the same."
                       if tree.width > 1 else "")
    node, likelier = turn
    return told + (f" At word {node.step} its “{plain(node.words[-1])}” was not the likeliest next word: "
                   f"“{plain(likelier.words[-1])}” was. Greedy decoding, which always takes the likeliest, would "
                   "have gone that way and missed this translation.")


def greedy_turn(tree: BeamTree) -> tuple[Node, Node] | None:
    """The first word of the winner's path that greedy decoding would not have written, and the word it would have.

    Greedy decoding follows the likeliest next word of its one translation; up to the first winner's word that is not
    its parent's likeliest continuation, greedy and the winner agree. (That likeliest one is among the candidates: it
    scores higher than the winner's word.) Forced words are the student's, not a choice.
    """
    for node in (n for n in tree.nodes if n.winner and n.fate != FORCED):
        siblings = [n for n in tree.at(node.step) if n.parent == node.parent]
        if siblings[0] is not node:  # candidates come most probable first
            return node, siblings[0]
    return None


def forced_narration(own: BeamTree, forced: BeamTree, plain: Callable[[str], str] = str) -> str:
    """The forced translation beside the model's own choice, with both scores, and what the comparison says."""
    mine, theirs = own.winner, forced.winner
    if mine is None or theirs is None or not forced.forced:
        return "Pick a branch of the tree to force the decoder to start with it."
    words = [w for w in theirs.words if w != EOS]
    start, rest = detokenize(words[:forced.forced]), detokenize(words[forced.forced:])
    goes_on = f"continues “{plain(rest)}”" if rest else "stops right there"
    line = (f"Forced to start with “{plain(start)}”, the decoder {goes_on}: “{plain(theirs.text)}”, score "
            f"{signed(theirs.score)}, against {signed(mine.score)} for its own choice “{plain(mine.text)}”.")
    if theirs.ids == mine.ids and theirs.ends == mine.ends:
        return line + " That start was on its own path, so forcing it changes nothing."
    if theirs.score < mine.score:
        return line + (" Its own choice scores better (closer to 0): starting this way leads to French the model "
                       "finds less likely, which is why the search did not end up here.")
    return line + (f" The forced translation scores better: a beam keeps only {own.width} partial translations at "
                   "each step and cannot see which branches will end well, so it missed this one.")
