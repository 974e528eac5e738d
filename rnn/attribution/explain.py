"""An attribution in words and as shaded words: the narration a student reads (written from the numbers, never by
hand) and the sentence with each word's background showing its influence (HTML of escaped text only)."""
from __future__ import annotations

import html
from typing import Sequence

from rnn.attribution.occlusion import Attribution

NEGLIGIBLE = 0.005  # a change below this (stars, probability or log-probability) rounds to nothing on the page
UP, DOWN = (0, 114, 178), (213, 94, 0)  # Okabe-Ito blue and vermilion: apart for every common colour vision


def reading_guide(attribution: Attribution) -> str:
    """How to read the shaded words, in the attribution's own unit."""
    guide = ("Blue words pushed the answer up, red words pushed it down; the deeper the colour, the bigger the change. "
             f"The number under each word is that change, in {attribution.unit}. A word with no colour hardly mattered.")
    if attribution.focus is not None:
        guide += f" The framed word, “{attribution.target}”, is the one whose tag this explains."
    return guide


def narrate(attribution: Attribution, others: int = 2) -> str:
    """'The expected number of stars is 3.87. “not” changed it most: −1.40 stars. Replaced by ...'"""
    a = attribution
    if not a.tokens:
        return "There are no words to explain."
    order = a.ranked()
    first = order[0]
    opening = f"{a.measure[:1].upper()}{a.measure[1:]} is {a.value_text(a.answer)}."
    if abs(a.scores[first]) < NEGLIGIBLE:
        return (f"{opening} No single word changes it noticeably: replaced by an unknown word, each leaves it as it "
                "is (a word the model never learned already reads as unknown, so taking it away changes nothing).")
    word, change = a.tokens[first], a.scores[first]
    text = (f"{opening} “{word}” changed it most: {a.change_text(change)}. Replaced by an unknown word, the answer "
            f"would be {a.value_text(a.answer - change)}, so “{word}” pushed it {'up' if change > 0 else 'down'}.")
    rest = [t for t in order[1: 1 + others] if abs(a.scores[t]) >= NEGLIGIBLE]
    if rest:
        text += " Next: " + ", ".join(f"“{a.tokens[t]}” {a.change_text(a.scores[t])}" for t in rest) + "."
    return text


def attention_versus_attribution(attribution: Attribution, weights: Sequence[float]) -> str:
    """Where attention looked hardest against the word occlusion found most influential, for the same French unit."""
    a = attribution
    if not a.tokens:
        return ""
    looked = max(range(len(a.tokens)), key=lambda t: weights[t])
    used = a.ranked()[0]
    same = ("the same word this time." if looked == used else
            "a different word. The encoder's state at each English word also carries the words around it, so the "
            "decoder can read one word's meaning while looking at another.")
    return (f"Attention looked hardest at “{a.tokens[looked]}” ({weights[looked]:.0%}); the word whose loss changes "
            f"this French word's score most is “{a.tokens[used]}” ({a.change_text(a.scores[used])}): {same}")


def influence_html(attribution: Attribution) -> str:
    """The sentence, each word shaded blue (pushed the answer up) or red (down) by its share of the largest change,
    with the change written under it (so colour is never the only cue)."""
    a = attribution
    largest = max((abs(s) for s in a.scores), default=0.0)
    strengths = [s / largest if largest >= NEGLIGIBLE else 0.0 for s in a.scores]
    return shaded_words_html(a.tokens, strengths, [a.change_text(s).split(" ")[0] for s in a.scores],
                             [a.change_text(s) for s in a.scores], a.focus)


def attention_html(tokens: Sequence[str], weights: Sequence[float]) -> str:
    """The same words shaded by attention weight (0-1, never negative), the weight written under each."""
    return shaded_words_html(tokens, [float(w) for w in weights], [f"{w:.0%}" for w in weights],
                             [f"attention {w:.1%}" for w in weights])


def shaded_words_html(tokens: Sequence[str], strengths: Sequence[float], labels: Sequence[str],
                      titles: Sequence[str], focus: int | None = None) -> str:
    """Words as boxes on one wrapping line: strength in [-1, 1] sets the colour (sign) and its depth (size); the word
    at focus (the one whose answer it is) gets a heavy frame."""
    boxes = []
    for index, (token, strength, label, title) in enumerate(zip(tokens, strengths, labels, titles)):
        depth = min(abs(strength), 1.0)
        red, green, blue = UP if strength >= 0 else DOWN
        ink = "#fff" if depth > 0.55 else "#1B1F24"
        frame = "3px solid #1B1F24" if index == focus else "1px solid #d0d4da"
        boxes.append(
            f'<span title="{html.escape(title)}" style="display:inline-block;text-align:center;margin:0 .15em .35em 0;'
            f'padding:.1em .35em;border-radius:.35em;border:{frame};color:{ink};'
            f'background:rgba({red},{green},{blue},{0.85 * depth:.2f})">{html.escape(token)}'
            f'<br><span style="font-size:.75em">{html.escape(label)}</span></span>')
    return f'<div class="influence" style="font-size:1.1rem;line-height:1.3">{"".join(boxes)}</div>'
