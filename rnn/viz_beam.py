"""The beam search drawn as a tree (a pure function, like rnn.viz): steps left to right, at each step the
candidates the search weighed, the most probable on top, each joined to the partial translation it extends."""
from __future__ import annotations

import html

import plotly.graph_objects as go

from rnn.tasks.translate.beam_tree import FORCED, PRUNED, BeamTree, Node, signed
from rnn.viz import ACCENT, figure

INK = "#1B1F24"
FORCED_INK = "#A14F00"  # a dark orange: the words the student forced (dark enough to read on a projector)
PRUNED_INK = "#80858E"
LONGEST = 11  # characters of a word drawn in full; longer ones are cut with "…" (hover shows all)


def _style(node: Node) -> tuple[str, float, str]:
    """(colour, line width, line dash) of a node's box and of the branch that leads to it."""
    if node.fate == FORCED:
        return FORCED_INK, 3.5, "solid"
    if node.winner:
        return ACCENT, 3.5, "solid"
    if node.fate == PRUNED:
        return "#B4B9C0", 1.2, "dot"
    return "#6B7280", 1.5, "solid"


def _label(node: Node, size: int) -> str:
    word = node.words[-1]
    word = html.escape(word if len(word) <= LONGEST else word[: LONGEST - 1] + "…")
    if node.winner or node.fate == FORCED:
        word = f"<b>{word}</b>"
    elif node.fate == PRUNED:
        word = f"<i>{word}</i>"
    return f"{word}<br><span style='font-size:{round(size * 0.85)}px'>{signed(node.score)}</span>"


def _box(tree: BeamTree, node: Node, size: int) -> dict:
    """A node as a boxed word over the branches (an annotation: it has a background, where scatter text has none)."""
    colour, width, _ = _style(node)
    ink = colour if node.winner or node.fate == FORCED else PRUNED_INK if node.fate == PRUNED else INK
    hover = (f"“{html.escape(node.text)}”{' + &lt;eos&gt;' if node.ends else ''}<br>word {node.step}: "
             f"{tree.describe(node)}<br>log-probability {signed(node.logprob)}, score {signed(node.score)}")
    return dict(x=node.step, y=node.row, xref="x", yref="y", text=_label(node, size), showarrow=False,
                font=dict(size=size, color=ink), bgcolor="#F1F3F5" if node.ends else "white",
                bordercolor=colour, borderwidth=min(width, 2.5), borderpad=3, hovertext=hover)


def beam_tree(tree: BeamTree, first: int = 1, last: int | None = None, size: int = 14) -> go.Figure:
    """Steps first..last of the tree: the winner's path blue and bold, pruned candidates grey, italic and dotted,
    forced words dark orange, finished ones (<eos>) on grey. Fixed ranges, no zoom or drag: a phone scrolls past it.
    size: the words' font size (larger for a projector); the rows grow with it."""
    last = min(last or tree.steps, tree.steps)
    shown = [n for n in tree.nodes if first <= n.step <= last]
    rows = max((n.row for n in shown), default=0) + 1
    branches: dict[tuple, tuple[list, list]] = {}  # one line trace per look, its branches separated by None
    for node in shown:
        parent = tree.nodes[node.parent] if node.parent is not None else None
        if parent is None or parent.step < first:
            continue
        xs, ys = branches.setdefault(_style(node), ([], []))
        xs += [parent.step, node.step, None]
        ys += [parent.row, node.row, None]
    # the thickest (the winner's path) drawn last, over the branches it crosses
    lines = [dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(color=colour, width=width, dash=dash),
                  hoverinfo="skip", showlegend=False)
             for (colour, width, dash), (xs, ys) in sorted(branches.items(), key=lambda item: item[0][1])]
    return figure(lines, "", 70 + round(50 * size / 14) * rows, margin=dict(l=4, r=4, t=36, b=8),
                  annotations=[_box(tree, n, size) for n in shown],
                  xaxis=dict(range=[first - 0.55, last + 0.55], side="top", tickmode="array",
                             tickvals=list(range(first, last + 1)), ticktext=[f"word {s}" for s in range(first, last + 1)],
                             tickfont=dict(size=size), showgrid=False, zeroline=False),
                  yaxis=dict(range=[rows - 0.5, -0.6], visible=False))
