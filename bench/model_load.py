"""What checking every model byte costs at start-up: `load_models` (each file read once,
hashed, the recognizer derived in memory, sessions made from those bytes) against the way
models were loaded before (sessions made from the file paths, the derived recognizer read
from an unchecked cached copy), alternated in one process, both backends.

    python bench/model_load.py [--rounds N]

Prints the median of each and the ratio, and the parts of the checking on their own.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.faces import derived, model_files, openvino_backend  # noqa: E402


def load_as_before(pack, cached_recognizer: Path, backend: str):
    """The loading of the previous version: insightface's get_model on paths (no check of
    what it reads), the cached derived recognizer, prepare(-1)."""
    from insightface.model_zoo import get_model

    options = {}
    if backend == "openvino":
        def per_size(model_file, input_size, reference):
            width, height = (int(v) for v in input_size)
            return openvino_backend.OpenVinoSession(Path(model_file).read_bytes(),
                                                    [1, 3, height, width], reference)
        options["resolution_session_factory"] = per_size
    detector = get_model(str(pack.detector), providers=["CPUExecutionProvider"],
                         sess_options=model_files.session_options(1), **options)
    recognizer = get_model(str(cached_recognizer), providers=["CPUExecutionProvider"],
                           sess_options=model_files.session_options(1))
    if backend == "openvino":
        recognizer.session = openvino_backend.recognizer_session(
            cached_recognizer.read_bytes(), recognizer.session)
    detector.prepare(-1, det_thresh=0.5, input_size=(640, 640))
    return detector, recognizer


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds

    pack = model_files.find_pack()
    original = pack.recognizer.read_bytes()
    cache = Path(tempfile.mkdtemp()) / "w600k_mbf.batch2.prelurelu.onnx"
    cache.write_bytes(derived.recognizer_bytes(original))
    load_as_before(pack, cache, "onnxruntime")  # imports and first-use costs, outside timing
    model_files.load_models(pack, backend="openvino")

    print(f"model load, median of {rounds} (one process, alternated), ms:")
    for backend in ("onnxruntime", "openvino"):
        before, after = [], []
        for _ in range(rounds):
            before.append(timed(lambda backend=backend: load_as_before(pack, cache, backend)))
            after.append(timed(
                lambda backend=backend: model_files.load_models(pack, backend=backend)))
        b, a = statistics.median(before), statistics.median(after)
        print(f"  {backend:12s} before {b:6.0f}   checked {a:6.0f}   ratio {a / b:.2f}"
              f"   (+{a - b:.0f} ms)")

    parts = {
        "read + SHA-256 of both files": lambda: [
            model_files.read_checked(path, sha, "") for path, sha in
            ((pack.detector, pack.detector_sha256), (pack.recognizer, pack.recognizer_sha256))],
        "derive the recognizer in memory": lambda: derived.recognizer_bytes(original),
        "(a cached copy's SHA-256 instead)": lambda: hashlib.sha256(cache.read_bytes()),
        "one detector size, derived in memory": lambda: derived.static_detector_bytes(
            pack.detector.read_bytes(), (640, 480), "input.1"),
    }
    print("parts of the checking, median ms:")
    for name, part in parts.items():
        print(f"  {name:38s} {statistics.median(timed(part) for _ in range(rounds)):6.1f}")


if __name__ == "__main__":
    main()
