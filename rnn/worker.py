"""A second process for the heaviest model work, so that one app server can use a second core.

Streamlit runs every student's rerun as a thread of one Python process, and Python runs one thread's code at a time
(the GIL): under a class's load one server did at most one core of work while the other core sat idle
(bench/README.md). Translate's beam search (a thousand small tensor operations, each with Python around it) and
Autocomplete's reading of the typed words were the largest pieces of that work, so they run here instead: in a
process of its own, started once per server, holding its own copies of those two models (TASKS). The server's
threads wait for it without holding the GIL, and draw pages meanwhile. It loads its models as it starts; until
they are in, the pages compute their answers in the server, as they would without it.

The worker is `python -m rnn.worker`, a plain subprocess that reads requests on its stdin and answers on its stdout
(pickles, each after its length), one at a time. Not multiprocessing: its spawn re-imports the parent's __main__ in
the child, and while Streamlit runs a page, __main__ is that page.

If the process cannot start or dies, the work runs in the server's own process as before: slower under load, never
wrong. The worker holds a second copy of torch and of the two models (about 470 MB), so it runs only where there
are two cores and at least MIN_MEMORY_GB of memory (a container's limit when it has one); RNN_WORKER=1 or 0
decides instead.
"""
from __future__ import annotations

import atexit
import ctypes
import functools
import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO, Callable

from rnn.tasks import task_module

log = logging.getLogger(__name__)

TASKS = ("translate", "autocomplete")  # the tasks whose pages send their predictions here
TRIM_EVERY_S = 1.0  # the most often the worker trims its heap (serve): 2.4 ms each (median)
MIN_MEMORY_GB = 2.0  # the server and its worker hold ~1.2 GB under a class's load (bench/README.md)
_ROOT = Path(__file__).resolve().parents[1]


def enabled() -> bool:
    """Use the worker process? RNN_WORKER=1 or 0 if set; else where it pays: a second core (nothing to gain on one)
    and room for a second copy of the models."""
    chosen = os.environ.get("RNN_WORKER", "")
    if chosen in ("0", "1"):
        return chosen == "1"
    return (os.cpu_count() or 1) > 1 and memory_gb() >= MIN_MEMORY_GB


@functools.lru_cache(maxsize=1)
def memory_gb() -> float:
    """The memory this server may use: its container's limit (cgroup v2, then v1) when there is one, else the
    machine's."""
    for limit in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            value = Path(limit).read_text().strip()
        except OSError:
            continue
        if value.isdigit() and int(value) < 2**60:  # "max", or v1's huge number: no limit
            return int(value) / 2**30
    try:
        total_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                        if line.startswith("MemTotal:"))
    except (OSError, StopIteration, ValueError):
        return 0.0
    return total_kb / 2**20


def send(stream: BinaryIO, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def receive(stream: BinaryIO) -> Any:
    """The next message; EOFError when the other side has gone."""
    header = stream.read(8)
    if len(header) < 8:
        raise EOFError("the other process closed the pipe")
    data = stream.read(struct.unpack("<Q", header)[0])
    return pickle.loads(data)


class Worker:
    """The server's handle on one worker process: requests go one at a time (a lock), and a thread waiting for its
    answer holds no GIL. It loads its models as it starts; until they are in (`ready`), pages compute here, so no
    student waits for a worker that is still starting."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "rnn.worker"], cwd=_ROOT, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE)
        self.lock = threading.Lock()
        self.ready = threading.Event()
        threading.Thread(target=self._load, daemon=True).start()

    def _load(self) -> None:
        try:
            for task in TASKS:
                self.call(("load", task))
        except Exception as err:  # a missing bundle or a dead process: the pages compute here
            log.warning("the model worker could not load its models: %s", err)
            return
        self.ready.set()

    def call(self, request: tuple) -> Any:
        """The request's answer (a raised exception is raised here); EOFError or OSError if the process died."""
        with self.lock:
            send(self.process.stdin, request)
            ok, value = receive(self.process.stdout)
        if ok:
            return value
        raise value

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


_worker: Worker | None = None
_lock = threading.Lock()


def _the_worker() -> Worker:
    global _worker
    with _lock:
        if _worker is None or _worker.process.poll() is not None:
            _worker = Worker()
            atexit.register(_worker.stop)
        return _worker


def _stop(dead: Worker | None = None) -> None:
    """Stop the current worker (for a test), or `dead` if it is still the current one (another thread may have
    started its successor already): the next request starts a new one."""
    global _worker
    with _lock:
        if _worker is not None and (dead is None or dead is _worker):
            _worker.stop()
            _worker = None


def warm() -> Worker | None:
    """Start the worker if it is not running, without waiting for it (every page calls this as it opens): it loads
    its models meanwhile."""
    return _the_worker() if enabled() else None


def predict(task: str, model: Any, text: str, **options: Any) -> Any:
    """module.predict(model, text, **options) for a shipped task, computed in the worker process when it is ready
    (with its own copy of the same bundle), else here with `model`."""
    worker = None
    try:
        worker = warm()
        if worker is not None and worker.ready.is_set():
            return worker.call(("predict", task, text, options))
    except (EOFError, OSError) as err:  # the process died or could not start
        log.warning("the model worker failed (%s): computing in the server's process", err)
        _stop(worker)
    return task_module(task).predict(model, text, **options)


# ---- in the worker process ----------------------------------------------------------------------------------------

def _heap_trimmer() -> Callable[[int], Any]:
    """glibc's malloc_trim, which hands the heap's free pages back to the system; a no-op without glibc."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return lambda _pad: 0


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """Answer requests until the server closes the pipe: ("load", task) or ("predict", task, text, options)."""
    import torch

    torch.set_num_threads(1)  # as the app's own inference
    models: dict[str, Any] = {}
    # Answers of every size come and go on one heap, and glibc keeps the freed pages between them: without a trim
    # the worker's memory crept up for as long as it served, and with a trim every 100 requests it swung by 30 MB
    # (bench/README.md). Once a second costs at most ~0.3 % of a core.
    trim_heap, last_trim = _heap_trimmer(), time.monotonic()
    while True:
        try:
            request = receive(requests)
        except EOFError:
            return
        try:
            kind, task, *arguments = request
            if task not in models:
                models[task] = task_module(task).load()
            if kind == "load":
                answer = (True, None)
            else:
                text, options = arguments
                answer = (True, task_module(task).predict(models[task], text, **options))
        except Exception as err:
            answer = (False, err)
        try:
            send(answers, answer)
        except (pickle.PicklingError, TypeError, AttributeError) as err:
            send(answers, (False, RuntimeError(f"the model worker's answer could not be sent: {err}")))
        if time.monotonic() - last_trim >= TRIM_EVERY_S:  # after the answer has gone: its student does not wait
            trim_heap(0)
            last_trim = time.monotonic()


if __name__ == "__main__":
    # The answers go out on a copy of stdout; the process's own stdout is pointed at stderr, so that anything a
    # library prints cannot corrupt them.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    serve(sys.stdin.buffer, answers)
