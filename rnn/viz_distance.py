"""Figures of the 'Memory over distance' page: accuracy against distance, and the gradient at each step back."""
from __future__ import annotations

import plotly.graph_objects as go

from rnn.viz import ACCENT, MUTED, SECOND, figure

# One look per cell: colour, dash and marker differ, so colour is never the only cue.
_CELL_STYLE = [dict(color=SECOND, dash="solid", symbol="x"), dict(color=ACCENT, dash="dash", symbol="circle"),
               dict(color="#009E73", dash="dot", symbol="square")]


def _line(name: str, xs: list, ys: list, style: dict, hover: str, markers: bool = True, customdata=None) -> dict:
    return dict(type="scatter", x=xs, y=ys, name=name, mode="lines+markers" if markers else "lines",
                hovertemplate=hover, customdata=customdata, line=dict(color=style["color"], dash=style["dash"], width=3),
                marker=dict(symbol=style["symbol"], size=9))


def accuracy_chart(accuracy: dict[str, dict[int, float]], distances: list[int], chance: float) -> go.Figure:
    """Held-out accuracy against k (words between the verdict word and the answer), one line per cell, and the
    guessing level. `distances` fixes the x axis, so the chart does not jump while results come in."""
    lines = []
    for offset, style, (cell, by_k) in zip((-0.5, 0.0, 0.5), _CELL_STYLE, accuracy.items()):
        ks = sorted(by_k)
        # nudged sideways a little, so three markers at the same k and accuracy (all at 100 %) stay visible
        lines.append(_line(cell, [k + offset for k in ks], [by_k[k] for k in ks], style,
                           f"{cell}, k = %{{customdata}}: %{{y:.0%}} right<extra></extra>", customdata=ks))
    guess = dict(type="line", xref="paper", x0=0, x1=1, y0=chance, y1=chance, line=dict(color=MUTED, dash="dot"))
    label = dict(text="guessing", xref="paper", x=0, y=chance, xanchor="left", yanchor="bottom", showarrow=False,
                 font=dict(color=MUTED))
    return figure(lines, "", 360, legend=dict(orientation="h", y=-0.25), shapes=[guess], annotations=[label],
                  xaxis=dict(title=dict(text="k = words back from the answer"), tickmode="array", tickvals=distances,
                             range=[0, max(distances) + 2]),
                  yaxis=dict(title=dict(text="right on new sentences"), range=[0.3, 1.05], tickformat=".0%"))


def gradient_chart(relative: dict[str, list[float]]) -> go.Figure:
    """The gradient's size at each word, as a share of the last word's (log scale), the sentence read left to
    right: the verdict word at the left end, the answer at the right."""
    back = len(next(iter(relative.values()))) - 1
    lines = [_line(cell, list(range(len(values))), values, style, f"{cell}, %{{x}} words back: %{{y:.1e}}<extra></extra>",
                   markers=False)
             for style, (cell, values) in zip(_CELL_STYLE, relative.items())]
    ends = [dict(text=text, x=x, y=1, yref="paper", xanchor=anchor, yanchor="bottom", showarrow=False,
                 font=dict(color=MUTED)) for text, x, anchor in (("the verdict word", back, "left"),
                                                                  ("the answer", 0, "right"))]
    return figure(lines, "", 380, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=-0.25),
                  annotations=ends, xaxis=dict(title=dict(text="words before the answer"), autorange="reversed"),
                  yaxis=dict(title=dict(text="gradient size (last word = 1)"), type="log", dtick=2,
                             exponentformat="power"))
