"""What one word attribution costs on each page: python bench/attribution.py [--repeats N] [--pages]

For each task, on its page's default sentence (and a long review for stars): the time of attribution.attribute()
(one batched forward pass of the sentence and every one-word-occluded variant), one torch thread as the app runs.
--pages also times each page's rerun on a new sentence (AppTest, as bench/run.py does) with the view off and on.
Prints a table, then one JSON line.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnn import attribution  # noqa: E402
from rnn.tasks import task_module  # noqa: E402

LONG_REVIEW = ("I ordered this dress in my usual size and it fit perfectly through the shoulders, but the waist was a "
               "little loose and the fabric is thinner than it looks in the photos. The colour is lovely and it is "
               "comfortable for a long day at work, so I kept it, although I would not pay full price for it again.")
CASES = [  # (label, task, text, pick): each page's own default sentence
    ("Review stars", "stars", "The fabric is soft and the color is lovely, but it runs small. Not bad, I kept it.", None),
    ("Review stars, 70-word review", "stars", LONG_REVIEW, None),
    ("Entities", "entities", "Dhaval loves baby yoda", 0),
    ("Translate", "translate", "My grandmother lives in a small village.", 1),
    ("Autocomplete", "autocomplete", "I would like to ", None),
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


PAGES = {"Autocomplete": "1_Autocomplete.py", "Translate": "2_Translate.py", "Entities": "3_Entities.py",
         "Review stars": "4_Review_Stars.py", "Hidden state": "5_Hidden_State.py"}
TYPED = ["the weather is nice today", "my brother bought a new car", "this dress is not bad at all",
         "we will meet in paris on monday"]


def page_reruns(repeats: int) -> dict:
    """Page rerun p50 and p95 (ms) on a new sentence each time, with the attribution view off and on."""
    from streamlit.testing.v1 import AppTest

    root = Path(__file__).resolve().parent.parent
    out = {}
    for name, script in PAGES.items():
        for shown in ("false", "true"):
            app = AppTest.from_file(str(root / "pages" / script), default_timeout=120)
            app.query_params["influence"] = shown
            app.run()
            times = []
            for i in range(repeats):
                (app.text_input or app.text_area)[0].set_value(f"{TYPED[i % len(TYPED)]} {i}")
                started = time.perf_counter()
                app.run()
                times.append(1000 * (time.perf_counter() - started))
            out[f"{name}, view {'on' if shown == 'true' else 'off'}"] = {
                "ms_p50": round(statistics.median(times), 1), "ms_p95": round(percentile(times, 0.95), 1)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--pages", action="store_true", help="also time each page's rerun with the view off and on")
    args = parser.parse_args()
    torch.set_num_threads(1)
    results = {}
    for label, task, text, pick in CASES:
        module = task_module(task)
        model = module.load()
        result = module.predict(model, text)
        attribution.attribute(task, model, result, pick)  # warm-up
        times = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            found = attribution.attribute(task, model, result, pick)
            times.append(1000 * (time.perf_counter() - started))
        results[label] = {"words": len(found.tokens), "ms_p50": round(statistics.median(times), 1),
                          "ms_p95": round(percentile(times, 0.95), 1)}
        print(f"{label:32} {len(found.tokens):4d} words  p50 {results[label]['ms_p50']:7.1f} ms  "
              f"p95 {results[label]['ms_p95']:7.1f} ms")
    report = {"attribution_ms": results}
    if args.pages:
        report["page_rerun_ms"] = page_reruns(max(5, args.repeats // 2))
        for label, value in report["page_rerun_ms"].items():
            print(f"page rerun, {label:28} p50 {value['ms_p50']:7.1f} ms  p95 {value['ms_p95']:7.1f} ms")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
