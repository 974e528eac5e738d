"""On PYTHONPATH with RNN_STACK_SAMPLES set, every Python process started samples its own stacks (bench/sampler.py)."""
import importlib.util
import os

if os.environ.get("RNN_STACK_SAMPLES"):
    _spec = importlib.util.spec_from_file_location(
        "rnn_stack_sampler", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sampler.py"))
    _sampler = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_sampler)
    _sampler.start_if_asked()
    # a process this one starts (the app's model worker, rnn/worker.py) samples into a file of its own
    os.environ["RNN_STACK_SAMPLES"] += ".child"
