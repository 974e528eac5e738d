"""python bench/run.py [--quick]: speed and memory of the app on this machine. Prints a table, then one JSON line.

- keystroke_ms_p50/p95: autocomplete's work for one keystroke (predict on the text typed so far), each pass over
  the sentence starting from empty caches, as a student typing it for the first time
- translate_beam_ms_p95: beam search (width 5) on a 12-word sentence
- predict_ms_p95[task]: each task's predict on a typical sentence
- page_rerun_ms_p95[page]: one rerun of each page script (AppTest) on a new typical sentence (never one the page
  has cached), models loaded
- cold_start_s: from `streamlit run` to the home page drawn in Chromium
- rss_mb_all_models: the server's memory after every page has been opened
- rss_mb_30_sessions, errors_30_sessions: 30 browser sessions typing into the pages for 60 s
  (students join over RAMP_S seconds, as a class opening a link does; each opens one page, spread over the five
  model pages, and types sentence after sentence, reading each answer for THINK_MS before the next)
- keystroke_to_update_ms_p50/p95: Chromium types into Autocomplete at 200 ms a key; the time from each key to the
  suggestion area showing that text (bench/keystrokes.py)
- load_*: students at the protocol level, no browsers (bench/load.py): 30, 60 and 120 sessions, per level reruns,
  errors, rerun p50/p95 and server RSS; load_sessions is the largest level with no error
--quick: fewer repeats, 5 browser sessions for 15 s, the 30-session protocol level for 20 s. --only PART runs one part
(browser-load, also called server: the 30 browser sessions; soak: bench/soak.py for --minutes).
"""
from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import keystrokes, load, soak  # noqa: E402
from tests.serve import CHROMIUM, CHROMIUM_ARGS, chromium, streamlit_process, streamlit_server, wait_for_app  # noqa: E402

SENTENCES = {
    "autocomplete": "I would like to go to the beach with my friends",
    "translate": "I think we should leave early because the train is always late .",
    "entities": "Angela Merkel met Barack Obama in Berlin on Tuesday",
    "stars": "The fabric is lovely but the fit is not good, I returned it",
}
PAGES = {"Autocomplete": "1_Autocomplete.py", "Translate": "2_Translate.py", "Entities": "3_Entities.py",
         "Review_Stars": "4_Review_Stars.py", "Hidden_State": "5_Hidden_State.py"}
TYPED = ["Paris is lovely in the spring", "The dress was not good at all", "I would like to see you tomorrow"]
RAMP_S = 30  # the 30 sessions join over this many seconds
THINK_MS = 1500  # a student reads the answer before typing the next sentence
SHOTS = ""  # --shots DIR: a screenshot of what each failed session showed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def timed_ms(function, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        out.append((time.perf_counter() - start) * 1000)
    return out


def model_timings(repeats: int) -> dict:
    import rnn.ui  # noqa: F401  (the app's thread setting: one torch thread per inference)

    results: dict = {"predict_ms_p95": {}}
    for task, sentence in SENTENCES.items():
        module = importlib.import_module(f"rnn.tasks.{task}")
        model = module.load()
        module.predict(model, sentence)  # warm up
        results["predict_ms_p95"][task] = round(percentile(timed_ms(lambda: module.predict(model, sentence), repeats), 95), 1)
        if task == "autocomplete":
            typed = [SENTENCES[task][:i] for i in range(1, len(SENTENCES[task]) + 1)]
            times = []
            for _ in range(max(1, repeats // 10)):
                model.clear_caches()  # each pass types the sentence for the first time
                for text in typed:
                    times += timed_ms(lambda: module.predict(model, text), 1)
            results["keystroke_ms_p50"] = round(statistics.median(times), 2)
            results["keystroke_ms_p95"] = round(percentile(times, 95), 2)
        if task == "translate":
            twelve = "the old man gave his young daughter a small red book yesterday ."
            results["translate_beam_ms_p95"] = round(percentile(timed_ms(lambda: module.predict(model, twelve, beam=5), repeats), 95), 1)
    return results


def page_reruns(repeats: int) -> dict:
    from streamlit.testing.v1 import AppTest

    out = {}
    for name, script in PAGES.items():
        app = AppTest.from_file(str(ROOT / "pages" / script), default_timeout=120)
        app.run()  # loads the model into the process-wide cache
        times = []
        for i in range(repeats):
            sentence = f"{TYPED[i % len(TYPED)]} {i}"  # a new sentence each time: no cached answer
            if app.text_input:
                app.text_input[0].set_value(sentence)
            elif app.text_area:
                app.text_area[0].set_value(sentence)
            start = time.perf_counter()
            app.run()
            times.append((time.perf_counter() - start) * 1000)
            if app.exception:
                raise RuntimeError(f"{name}: {app.exception}")
        out[name] = round(percentile(times, 95), 1)
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    for candidate in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return round(total / 1024, 1)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes and their children (the model worker) have used so far."""
    total = 0
    for pid in [child for pid in pids for child in (pid, *children(pid))]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def browser_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _is_chromium(p)]


def _is_chromium(proc: Path) -> bool:
    try:
        return "chromium" in (proc / "cmdline").read_bytes().split(b"\0")[0].decode(errors="ignore")
    except OSError:
        return False


def children(pid: int) -> list[int]:
    try:
        direct = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return direct + [g for c in direct for g in children(c)]


async def one_session(browser, url: str, seconds: float, number: int, sessions: int, ramp_s: float, errors: list[str]) -> int:
    """One student: opens a page (sessions spread over the pages) and types sentence after sentence into it,
    as a class does during a lesson; counts completed reruns, exception boxes, JS errors and timeouts."""
    context = await browser.new_context(viewport={"width": 1000, "height": 800})
    page = await context.new_page()
    page.set_default_timeout(90_000)  # a student on a busy classroom server waits up to 90 s, for every step
    page.on("pageerror", lambda e: errors.append(f"session {number}: {e}"))
    page.on("dialog", lambda d: errors.append(f"session {number}: dialog {d.message}"))
    name = list(PAGES)[number % len(PAGES)]
    done = 0
    idle = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    await asyncio.sleep(number * ramp_s / sessions)
    try:
        await page.goto(f"{url}/{name}", timeout=90_000)
        await page.wait_for_selector(idle, timeout=90_000)
        box = page.locator('[data-testid="stTextInput"] input, [data-testid="stTextArea"] textarea').first
        enter = "Control+Enter" if await box.evaluate("e => e.tagName") == "TEXTAREA" else "Enter"
        deadline = time.monotonic() + seconds  # the typing time starts once the page is open
        while time.monotonic() < deadline:
            await box.fill(f"{TYPED[(number + done) % len(TYPED)]} {done}")
            await box.press(enter)
            await page.wait_for_timeout(300)
            await page.wait_for_selector(idle, timeout=90_000)
            if await page.locator('[data-testid="stException"]').count():
                errors.append(f"session {number}: exception box on {name}")
            done += 1
            await page.wait_for_timeout(THINK_MS)
    except Exception as exc:  # a timeout under load is an error a student would see
        errors.append(f"session {number} on {name}: {type(exc).__name__}: {str(exc)[:120]}")
        if SHOTS:
            await page.screenshot(path=str(Path(SHOTS) / f"failed_session_{number}_{name}.png"), timeout=30_000)
    finally:
        await context.close()
    return done


async def load_test(url: str, sessions: int, seconds: float, ramp_s: float) -> tuple[int, list[str]]:
    from playwright.async_api import async_playwright

    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        counts = await asyncio.gather(*(one_session(browser, url, seconds, i, sessions, ramp_s, errors) for i in range(sessions)))
        await browser.close()
    return sum(counts), errors


def server_measures(sessions: int, seconds: float, ramp_s: float) -> dict:
    started = time.perf_counter()
    with streamlit_process() as (url, process):
        with chromium() as browser:  # Playwright's sync API; closed before the asyncio load test starts
            page = browser.new_page()
            page.goto(url)
            wait_for_app(page)
            cold_start = time.perf_counter() - started
            for name in PAGES:
                page.goto(f"{url}/{name}")
                wait_for_app(page)
            all_models = rss_mb(process.pid)
        server_before, load_started = cpu_seconds([process.pid]), time.perf_counter()
        browsers = BrowserCpu()
        browsers.start()
        actions, errors = asyncio.run(load_test(url, sessions, seconds, ramp_s))
        browsers.stop()
        load_seconds = time.perf_counter() - load_started
        server_cpu = cpu_seconds([process.pid]) - server_before
        after = rss_mb(process.pid)
    for line in errors:
        print("  error:", line.splitlines()[0])
    return {"cold_start_s": round(cold_start, 2), "rss_mb_all_models": all_models,
            f"rss_mb_{sessions}_sessions": after, f"errors_{sessions}_sessions": len(errors),
            f"reruns_{sessions}_sessions": actions,
            # where the 2 cores went during the load test: the app's server, and the browsers standing in for students
            f"cpu_share_server_{sessions}_sessions": round(server_cpu / load_seconds / os.cpu_count(), 2),
            f"cpu_share_browsers_{sessions}_sessions": round(browsers.seconds / load_seconds / os.cpu_count(), 2)}


class BrowserCpu(threading.Thread):
    """Adds up the CPU time of every Chromium process during the load test (they come and go with the sessions)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.last: dict[int, float] = {}
        self.done = threading.Event()

    @property
    def seconds(self) -> float:
        return sum(self.last.values())

    def run(self) -> None:
        while not self.done.wait(0.5):
            for pid in browser_pids():
                used = cpu_seconds([pid])
                if used:
                    self.last[pid] = used

    def stop(self) -> None:
        self.done.set()
        self.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats; 5 sessions for 15 s")
    parser.add_argument("--only", choices=["models", "pages", "server", "browser-load", "browser", "load", "soak"],
                        help="run one part of the benchmark")
    parser.add_argument("--minutes", type=float, default=30, help="how long the soak runs")
    parser.add_argument("--profile", default="", help="load: sample the server's stacks into this file and print the top")
    parser.add_argument("--shots", default="", help="folder for screenshots of sessions that failed under load")
    args = parser.parse_args()
    global SHOTS
    SHOTS = args.shots
    repeats, sessions, seconds = (10, 5, 15) if args.quick else (50, 30, 60)

    result: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                    "quick": args.quick}
    if args.only in (None, "models"):
        result.update(model_timings(repeats))
    if args.only in (None, "pages"):
        result["page_rerun_ms_p95"] = page_reruns(max(5, repeats // 2))
    if args.only in (None, "browser"):
        with streamlit_server() as url, chromium() as browser:
            result.update(keystrokes.measure(browser, url))
    if args.only in (None, "server", "browser-load"):
        result.update(server_measures(sessions, seconds, RAMP_S * sessions / 30))
    if args.only in (None, "load"):
        result.update(load.load_measures(args.quick, args.profile))
    if args.only == "soak":
        result.update(soak.soak_measures(args.minutes))
    if not args.quick and args.only in (None, "server", "browser-load"):
        result["rss_mb_30_sessions"] = result.pop(f"rss_mb_{sessions}_sessions")
        result["errors_30_sessions"] = result.pop(f"errors_{sessions}_sessions")

    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
