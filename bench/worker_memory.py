"""The model worker's memory while it serves, and how much Autocomplete's search-step cache saves at each size.

python -m bench.worker_memory --seconds 420
    starts a worker (rnn/worker.py) and sends it, as fast as it answers, what a class sends it: Autocomplete's
    suggestions for a sentence typed four characters at a time, then that sentence's translation, sentence after
    sentence; prints the worker's RSS every 30 s. With nothing else to wait for, it answers in a few minutes more
    requests than a soak's worker does in half an hour (bench/soak.py).
python -m bench.worker_memory --cache-sizes 1024 2048 4096
    types the sentences of 30 and of 120 students in turn (two characters each before the next student) in this
    process, and prints, for each size of the search-step cache (AutocompleteModel.expansions), how many of the beam
    search's steps had to be computed rather than found in the cache.
"""
from __future__ import annotations

import argparse
import random
import time

import torch

from bench.load import SENTENCES
from bench.run import rss_mb
from rnn import worker
from rnn.tasks.autocomplete import model as autocomplete


def random_sentence(words: list[str], rng: random.Random) -> str:
    return " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))


def serve_a_class(seconds: float, every_s: float = 30) -> list[float]:
    """The worker's RSS every every_s while it answers typed sentences and their translations for seconds."""
    words = autocomplete.load().vocab.itos[10:3000]  # common words, in the model's order of frequency
    rng = random.Random(0)
    model_worker = worker.Worker()
    try:
        assert model_worker.ready.wait(300), "the worker did not load its models"
        readings, requests = [rss_mb(model_worker.process.pid)], 0
        end, next_reading = time.monotonic() + seconds, time.monotonic() + every_s
        print(f"  loaded: RSS {readings[0]:.0f} MB", flush=True)
        while time.monotonic() < end:
            sentence = random_sentence(words, rng)
            for cut in range(5, len(sentence), 4):
                model_worker.call(("predict", "autocomplete", sentence[:cut], {}))
            model_worker.call(("predict", "translate", sentence, {}))
            requests += len(range(5, len(sentence), 4)) + 1
            if time.monotonic() >= next_reading:
                readings.append(rss_mb(model_worker.process.pid))
                next_reading += every_s
                print(f"  {len(readings) - 1:3d} x {every_s:.0f} s: RSS {readings[-1]:.0f} MB ({requests} requests)",
                      flush=True)
        return readings
    finally:
        model_worker.stop()


def steps_computed(model: autocomplete.AutocompleteModel, size: int, students: int) -> tuple[int, int, float]:
    """(steps looked up, steps computed, ms per keystroke) for students typing in turn with a cache of size steps."""
    model.clear_caches()
    model.expansions.size = size
    looked_up = computed = 0
    cache_get, cache_put = model.expansions.get, model.expansions.put

    def counted_get(key):
        nonlocal looked_up
        looked_up += 1
        return cache_get(key)

    def counted_put(key, value):
        nonlocal computed
        computed += 1
        cache_put(key, value)

    model.expansions.get, model.expansions.put = counted_get, counted_put
    texts = [f"{SENTENCES[s * 37 % len(SENTENCES)]} and then {SENTENCES[(s * 53 + 7) % len(SENTENCES)].lower()}"
             for s in range(students)]
    keystrokes, started = 0, time.perf_counter()
    try:
        for cut in range(1, max(map(len, texts)) + 1, 2):
            for text in texts:
                if cut <= len(text):
                    autocomplete.predict(model, text[:cut])
                    keystrokes += 1
    finally:
        del model.expansions.get, model.expansions.put
    return looked_up, computed, 1000 * (time.perf_counter() - started) / keystrokes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=420, help="how long the worker serves")
    parser.add_argument("--cache-sizes", type=int, nargs="*", help="compare these search-step cache sizes instead")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the app
    if args.cache_sizes:
        model = autocomplete.load()
        for size in args.cache_sizes:
            for students in (30, 120):
                looked_up, computed, ms = steps_computed(model, size, students)
                print(f"cache {size:5d} steps, {students:3d} students: {looked_up} steps looked up, {computed} "
                      f"computed ({computed / looked_up:.0%}), {ms:.1f} ms a keystroke", flush=True)
    else:
        readings = serve_a_class(args.seconds)
        first = readings[min(1, len(readings) - 1)]
        print(f"worker RSS: loaded {readings[0]:.0f} MB, after 30 s {first:.0f} MB, end {readings[-1]:.0f} MB "
              f"({readings[-1] - first:+.0f} MB after the first 30 s)")


if __name__ == "__main__":
    main()
