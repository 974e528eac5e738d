"""Where a running server spends its time, by sampling every thread's stack (no profiler to install).

Start the server with RNN_STACK_SAMPLES=FILE and bench/sampling on PYTHONPATH (bench/load.py --profile does):
its sitecustomize starts a thread that looks at every other thread's stack every INTERVAL_S and, every few
seconds, writes to FILE how much CPU time each function had on the stack (inclusive) and on top of it (self).
`python -m bench.sampler FILE` prints the top of it.
"""
from __future__ import annotations

import collections
import json
import os
import sys
import threading
import time

INTERVAL_S = 0.01
WRITE_EVERY_S = 5.0


def where(frame) -> str:
    code = frame.f_code
    return f"{os.path.basename(code.co_filename)}:{code.co_name}"


def thread_cpu(native_id: int) -> float:
    """Seconds a thread has run on a CPU, from the kernel (a thread that ended meanwhile: 0). Never through
    pthread_getcpuclockid: on a thread that has just ended (Streamlit ends one per rerun) it reads freed memory."""
    try:
        with open(f"/proc/self/task/{native_id}/schedstat") as stat:
            return int(stat.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def sample_forever(path: str) -> None:
    """Every INTERVAL_S, each thread's stack weighted by the CPU time the thread used since the last look (a thread
    that waited used none, so idle threads never count), in CPU milliseconds."""
    inclusive: collections.Counter = collections.Counter()
    self_time: collections.Counter = collections.Counter()
    threads: collections.Counter = collections.Counter()
    me, last_write, used, names = threading.get_ident(), time.monotonic(), {}, {}
    while True:
        time.sleep(INTERVAL_S)
        frames = sys._current_frames()
        if any(ident not in names for ident in frames):
            names = {t.ident: (t.name, t.native_id) for t in threading.enumerate()}
        for ident, frame in frames.items():
            name, native_id = names.get(ident, ("?", None))
            now = thread_cpu(native_id) if native_id else 0.0
            ms, used[ident] = (now - used.get(ident, now)) * 1000, now
            if ident == me or ms <= 0:
                continue
            threads[name.split("-")[0].split(".")[0]] += ms
            self_time[where(frame)] += ms
            seen = set()
            while frame is not None:
                seen.add(where(frame))
                frame = frame.f_back
            for name in seen:
                inclusive[name] += ms
        if time.monotonic() - last_write > WRITE_EVERY_S:
            last_write = time.monotonic()
            summary = {"cpu_ms": sum(threads.values()), "threads": dict(threads.most_common()),
                       "self": dict(self_time.most_common(60)), "inclusive": dict(inclusive.most_common(150))}
            with open(path + ".tmp", "w") as out:
                json.dump(summary, out)
            os.replace(path + ".tmp", path)


def start_if_asked() -> None:
    path = os.environ.get("RNN_STACK_SAMPLES")
    if path:
        threading.Thread(target=sample_forever, args=(path,), name="stack-sampler", daemon=True).start()


def read(path: str) -> dict:
    with open(path) as saved:
        return json.load(saved)


def report(path: str, since: dict | None = None, top: int = 25) -> str:
    """The top functions of a sample file (less an earlier read() of it: since), as shares of the CPU time sampled:
    on the stack (inclusive) and on top (self)."""
    data = read(path)
    for part in ("threads", "self", "inclusive"):
        earlier = (since or {}).get(part, {})
        data[part] = dict(sorted(((k, v - earlier.get(k, 0.0)) for k, v in data[part].items()), key=lambda kv: -kv[1]))
    data["cpu_ms"] -= (since or {}).get("cpu_ms", 0.0)
    busy = max(1.0, data["cpu_ms"])
    lines = [f"{data['cpu_ms'] / 1000:.1f} CPU-seconds sampled; by thread: " +
             ", ".join(f"{k} {v / busy:.0%}" for k, v in data["threads"].items())]
    lines += ["inclusive (on the stack):"] + [f"  {v / busy:6.1%}  {k}" for k, v in list(data["inclusive"].items())[:top]]
    lines += ["self (on top):"] + [f"  {v / busy:6.1%}  {k}" for k, v in list(data["self"].items())[:top]]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(sys.argv[1]))
