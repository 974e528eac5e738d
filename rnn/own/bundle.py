"""A trained pair on disk and as a download: the same four files as an assets/ bundle (model.pt as a state_dict,
config.json, vocab_words.json, card.json), zipped. An uploaded zip goes through the same loader as assets/
(torch.load with weights_only=True, the card's schema) after checks of its own: its size, its file names, the size
of each file once unpacked, and a config within what this app ever trains."""
from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from rnn.checkpoint import BundleError, load_bundle, save_bundle
from rnn.own.model import TASK, OwnConfig, OwnModel, build_pair, one_word_apart

FILES = ("model.pt", "config.json", "vocab_words.json", "card.json")
# The biggest pair this app trains (MAX_VOCAB words, 12 slots) zips to about 2 MB: float16 weights barely compress.
MAX_BUNDLE_BYTES = 3_000_000
MAX_FILE_BYTES = 4_000_000  # each file unpacked: a zip that claims less and holds more is refused


class BundleProblem(ValueError):
    """An uploaded bundle that cannot be used; the message says why in plain words."""


def save_own(directory: str | Path, model: OwnModel) -> None:
    b = model.bundle
    save_bundle(directory, b.model, b.config, b.vocabs, b.card)


def load_own(directory: str | Path) -> OwnModel:
    """Read a saved pair; rnn.checkpoint.BundleError when it is missing or broken."""
    bundle = load_bundle(TASK, directory, OwnConfig, build_pair, ("words",))
    if bundle.card.get("task") != TASK:
        raise BundleError(TASK, Path(directory), "its card is not a Your sentences card")
    vocab = bundle.vocabs["words"]
    demo = bundle.config.demo or " ".join(vocab.itos[4:9])
    return OwnModel(bundle=bundle, vocab=vocab, demo=demo, memory_pair=one_word_apart(demo, vocab))


def to_zip(model: OwnModel) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        save_own(folder, model)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in FILES:
                archive.write(Path(folder, name), name)
    return out.getvalue()


def _unpack(raw: bytes, folder: Path) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as err:
        raise BundleProblem("That file is not a zip file. Upload the .zip this page gave you.") from err
    with archive:
        names = sorted(archive.namelist())
        if names != sorted(FILES):
            raise BundleProblem(f"The zip should hold exactly {', '.join(FILES)}; it holds {', '.join(names[:8]) or 'nothing'}.")
        for name in FILES:
            with archive.open(name) as member:
                data = member.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                raise BundleProblem(f"{name} is bigger than any bundle this page makes.")
            Path(folder, name).write_bytes(data)


def from_zip(raw: bytes) -> OwnModel:
    """A bundle from an uploaded zip; BundleProblem (with the reason) when it is not one this page could have made."""
    if len(raw) > MAX_BUNDLE_BYTES:
        raise BundleProblem(f"The file is {len(raw) / 1e6:.1f} MB; a bundle from this page is at most "
                            f"{MAX_BUNDLE_BYTES / 1e6:.0f} MB.")
    with tempfile.TemporaryDirectory() as folder:
        _unpack(raw, Path(folder))
        try:
            return load_own(folder)
        except BundleError as err:  # its reason names the file as <folder>/<file>: the folder is ours, not theirs
            raise BundleProblem(f"That bundle cannot be loaded: {err.reason.replace(Path(folder).name + '/', '')}.") from err
