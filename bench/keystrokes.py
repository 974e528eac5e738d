"""What a student sees while typing: the time from each key press to the Autocomplete page showing that text.

Chromium opens the Autocomplete page, selects its example sentence and types sentences over it at KEY_INTERVAL_MS
per key. The page itself records, in its own
clock, each key's moment (the input event) and each time the suggestion area shows a new text (a MutationObserver
on the typed part of the grey box). A key's latency is the time until the suggestion area shows exactly the text
typed up to that key; a key the page never showed on its own (typing ran ahead of the server) counts as the time
until the next update of any text, as a student would see it.
"""
from __future__ import annotations

import statistics

KEY_INTERVAL_MS = 200
SENTENCES = ["I would like to go to the beach", "Could you please help me", "What time does the train leave"]

_RECORDER = """() => {
    window.__keys = []; window.__updates = [];
    const input = document.querySelector('[data-testid="stMain"] input[type="text"]');
    input.addEventListener('input', () => window.__keys.push({t: performance.now(), text: input.value}));
    const seen = () => {
        const typed = document.querySelector('.suggestion .typed');
        const text = typed ? typed.textContent : null;
        const last = window.__updates[window.__updates.length - 1];
        if (text !== null && (!last || last.text !== text)) window.__updates.push({t: performance.now(), text: text});
    };
    new MutationObserver(seen).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def latencies(keys: list[dict], updates: list[dict]) -> tuple[list[float], int]:
    """Per key: ms until its text was shown (or until the next update); and how many keys were never shown."""
    out, skipped = [], 0
    for key in keys:
        shown = next((u["t"] for u in updates if u["t"] >= key["t"] and u["text"] == key["text"]), None)
        if shown is None:
            skipped += 1
            shown = next((u["t"] for u in updates if u["t"] >= key["t"]), None)
        if shown is not None:
            out.append(shown - key["t"])
    return out, skipped


def measure(browser, url: str, sentences: list[str] = SENTENCES) -> dict:
    """Type each sentence into a fresh Autocomplete page; p50/p95 of the key-to-screen times over all keys."""
    from tests.serve import wait_for_app

    times: list[float] = []
    skipped = keys_typed = 0
    for sentence in sentences:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/Autocomplete")  # as a student opens it: on its example, suggestions drawn
        wait_for_app(page)
        box = page.locator('[data-testid="stMain"] input[type="text"]').first
        box.wait_for()
        page.wait_for_selector(".suggestion .typed")
        page.evaluate(_RECORDER)
        box.click()
        page.keyboard.press("Control+A")  # the first key replaces the example
        for character in sentence:
            page.keyboard.type(character)
            page.wait_for_timeout(KEY_INTERVAL_MS)
        page.wait_for_timeout(1500)  # the last key's answer
        keys, updates = page.evaluate("() => [window.__keys, window.__updates]")
        measured, missed = latencies(keys, updates)
        times += measured
        skipped += missed
        keys_typed += len(keys)
        page.close()
    ordered = sorted(times)

    def pct(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))], 1) if ordered else -1.0

    return {"keystroke_to_update_ms_p50": round(statistics.median(times), 1) if times else -1.0,
            "keystroke_to_update_ms_p95": pct(95), "keystroke_keys": keys_typed, "keystroke_keys_not_shown": skipped}
