"""Running the ONNX models with OpenVINO in bfloat16, on CPUs that have bf16 instructions.

insightface's model classes only call `session.run(output_names, feed)`, `get_inputs()`,
`get_outputs()` and `get_providers()`, so an OpenVINO compiled model behind those four methods
slots in after `insightface.model_zoo.get_model` has built them; pre- and post-processing
stay insightface's own.

Why: onnxruntime's CPU kernels have no bf16 path, while OpenVINO runs the models in bf16 on
CPUs with AVX512_BF16 or AMX. Measured on a 2-core AMD EPYC (Zen 4), one thread each:
  ArcFace MBF, per face     onnxruntime 11.1 ms   OpenVINO f32 12.5   OpenVINO bf16 7.4
  SCRFD-500M 640x480        onnxruntime 17.0 ms   OpenVINO f32 15.9   OpenVINO bf16 9.4
and what bf16 costs: embeddings of 1,200 LFW faces keep a cosine of 0.99986 (mean; lowest
0.998) to onnxruntime's; the detector finds the same 211 of 211 faces on 60 12 MP photos, its
landmarks 0.3% of the face width apart on average (bench/accuracy.py measures the rest).
On CPUs without bf16, OpenVINO's f32 is no faster than onnxruntime, so onnxruntime stays.
"""

from __future__ import annotations

import logging
import os
from types import SimpleNamespace

log = logging.getLogger(__name__)

# "auto" (OpenVINO bf16 when the CPU has it, else onnxruntime), "onnxruntime" or "openvino".
BACKEND_ENV = "FACESHELF_INFERENCE"
BACKENDS = ("auto", "onnxruntime", "openvino")

_core = None


def _openvino_core():
    global _core
    if _core is None:
        import openvino

        _core = openvino.Core()
    return _core


def bf16_capable() -> bool:
    """Whether OpenVINO is installed and this CPU runs bf16 natively."""
    try:
        capabilities = _openvino_core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except Exception as error:  # not installed, or no usable CPU plugin
        log.debug("OpenVINO not usable: %s", error)
        return False
    return "BF16" in capabilities


def chosen_backend(requested: str | None = None) -> str:
    """"onnxruntime" or "openvino", from `requested`, else $FACESHELF_INFERENCE, else auto."""
    requested = (requested or os.environ.get(BACKEND_ENV) or "auto").strip().lower()
    if requested not in BACKENDS:
        raise ValueError(f"{BACKEND_ENV} must be one of {', '.join(BACKENDS)}, not {requested!r}")
    if requested == "auto":
        return "openvino" if bf16_capable() else "onnxruntime"
    return requested


class OpenVinoSession:
    """An OpenVINO compiled model with the part of onnxruntime's InferenceSession that
    insightface uses. Outputs come back in the ONNX graph's order, as onnxruntime gives them."""

    def __init__(self, model_bytes: bytes, input_shape: list[int], reference, *,
                 threads: int = 1, precision: str = "bf16") -> None:
        core = _openvino_core()
        model = core.read_model(model_bytes)  # the checked bytes (core/faces/model_files.py)
        model.reshape({model.inputs[0]: input_shape})
        self._compiled = core.compile_model(model, "CPU", {
            "INFERENCE_NUM_THREADS": max(1, threads),
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_PRECISION_HINT": precision,
            # Two worker processes share the cores; pinning would put both on the same one.
            "ENABLE_CPU_PINNING": False,
        })
        self._request = self._compiled.create_infer_request()
        self._outputs = list(self._compiled.outputs)
        self._reference = reference
        self._input_shape = list(input_shape)

    def get_inputs(self):
        first = self._reference.get_inputs()[0]
        return [SimpleNamespace(name=first.name, shape=self._input_shape, type=first.type)]

    def get_outputs(self):
        return self._reference.get_outputs()

    def get_providers(self):
        # insightface checks that a per-size detector session runs on the main session's
        # providers; this one stands in for that session.
        return self._reference.get_providers()

    def run(self, output_names, feed: dict):
        (blob,) = feed.values()
        results = self._request.infer(blob)
        return [results[output] for output in self._outputs]


def detector_session_factory(detector_bytes: bytes, fallback, threads: int = 1,
                             precision: str = "bf16"):
    """For SCRFD(resolution_session_factory=): insightface's SCRFD asks for one fixed-shape
    session per detector input size (640x480, 480x640, ...). Where OpenVINO cannot compile
    one, that size runs on `fallback` (onnxruntime, as insightface would have it)."""

    def make(name, input_size, reference_session):
        width, height = (int(value) for value in input_size)
        try:
            return OpenVinoSession(detector_bytes, [1, 3, height, width], reference_session,
                                   threads=threads, precision=precision)
        except Exception as error:
            log.warning("OpenVINO cannot run the detector at %dx%d (%s); using onnxruntime",
                        width, height, error)
            return fallback(name, input_size, reference_session)

    return make


def recognizer_session(recognizer_bytes: bytes, reference_session, *, threads: int = 1,
                       precision: str = "bf16") -> OpenVinoSession:
    """The ArcFace model with a free batch dimension (faces of a photo in one call)."""
    return OpenVinoSession(recognizer_bytes, [-1, 3, 112, 112], reference_session,
                           threads=threads, precision=precision)
