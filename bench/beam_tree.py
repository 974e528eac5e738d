"""python bench/beam_tree.py [--repeats N]: what the Translate page's Beam tree tab costs on the page's own sentence.

- predict_ms_p50/p95: translate.predict (beam 5), which records its search as it goes
- tree_ms_p95: the tree built from that record (no second search)
- figure_ms_p95: the tree's Plotly figure, steps 1-4 as the page first shows them, and all steps
- forced_ms_p95: a search forced to start with a branch of the tree ("Mon"), the one decoding the tab adds
- rerun_ms_p50/p95 closed / open: Translate page reruns (AppTest) on a new sentence each time, with the Beam tree tab
  closed (as the page opens) and open; wall time and this process's CPU time (the fairer one on a shared machine)
Prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import ROOT, TYPED, percentile, timed_ms  # noqa: E402

SENTENCE = "My grandmother lives in a small village."


def reruns(repeats: int, tab: str | None) -> dict:
    """Translate page reruns on new sentences: p50 / p95 of wall and CPU milliseconds."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "pages" / "2_Translate.py"), default_timeout=120)
    if tab:
        app.query_params["tab"] = tab
    app.run()
    wall, cpu = [], []
    for i in range(repeats):
        app.text_input[0].set_value(f"{TYPED[i % len(TYPED)]} {i} {tab or ''}")  # a new sentence: no cached answer
        start, start_cpu = time.perf_counter(), time.process_time()
        app.run()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        if app.exception:
            raise RuntimeError(str(app.exception))
    return {"wall": [round(statistics.median(wall), 1), round(percentile(wall, 95), 1)],
            "cpu": [round(statistics.median(cpu), 1), round(percentile(cpu, 95), 1)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=40)
    repeats = parser.parse_args().repeats
    import rnn.ui  # noqa: F401  (the app's thread setting: one torch thread per inference)
    from rnn.tasks import translate
    from rnn.tasks.translate import beam_tree
    from rnn.viz_beam import beam_tree as tree_figure

    model = translate.load()
    result = translate.predict(model, SENTENCE, beam=5)  # warm up
    tree = beam_tree.from_result(model, result)
    branch = next(n for n in tree.nodes if n.words == ("Mon",))
    predict = timed_ms(lambda: translate.predict(model, SENTENCE, beam=5), repeats)
    print(json.dumps({
        "predict_ms_p50": round(statistics.median(predict), 1), "predict_ms_p95": round(percentile(predict, 95), 1),
        "tree_ms_p95": round(percentile(timed_ms(lambda: beam_tree.from_result(model, result), repeats), 95), 2),
        "figure_ms_p95": round(percentile(timed_ms(lambda: tree_figure(tree, 1, 4), repeats), 95), 1),
        "figure_all_steps_ms_p95": round(percentile(timed_ms(lambda: tree_figure(tree), repeats), 95), 1),
        "forced_ms_p95": round(percentile(timed_ms(lambda: beam_tree.search(model, SENTENCE, 5, branch.ids), repeats), 95), 1),
        "nodes": len(tree.nodes), "steps": tree.steps,
        "rerun_ms_p50_p95_closed": reruns(repeats, None), "rerun_ms_p50_p95_open": reruns(repeats, "Beam tree"),
    }))


if __name__ == "__main__":
    main()
