"""Which execution provider a worker runs the models on.

CUDA when the worker's onnxruntime build has it (the `onnxruntime-gpu` wheel, installed in
place of the pinned `onnxruntime`: see the README) and a GPU is visible; otherwise the choice
this machine makes for local indexing (OpenVINO in bf16 where the CPU has it, else
onnxruntime on the CPU: core/faces/openvino_backend.py).

The decision (`choose_execution`) is pure and unit-tested; `worker_execution` feeds it what
this process sees.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"


@dataclass(frozen=True)
class Execution:
    backend: str                    # "onnxruntime" or "openvino" (load_models' backend)
    providers: tuple[str, ...]      # onnxruntime providers, in order of preference
    label: str                      # what the client shows: "CUDA", "OpenVINO bf16", "CPU"


def choose_execution(available: list[str] | tuple[str, ...], gpu_visible: bool,
                     cpu_backend: str) -> Execution:
    """`available`: onnxruntime.get_available_providers() of the worker; `gpu_visible`:
    whether a CUDA device is there to use; `cpu_backend`: the local choice without a GPU
    ("openvino" or "onnxruntime", from openvino_backend.chosen_backend)."""
    if CUDA in available and gpu_visible:
        # The CPU provider stays as onnxruntime's fallback for any node CUDA lacks.
        return Execution("onnxruntime", (CUDA, CPU), "CUDA")
    if cpu_backend == "openvino":
        return Execution("openvino", (CPU,), "OpenVINO bf16")
    return Execution("onnxruntime", (CPU,), "CPU")


def gpu_visible(environ=None, device_files=None) -> bool:
    """Whether a CUDA device is visible to this process: CUDA_VISIBLE_DEVICES does not hide
    them all, and the driver's device files exist (Linux: /dev/nvidia0...; elsewhere the
    driver library is trusted, onnxruntime falls back to the CPU when there is no device)."""
    environ = os.environ if environ is None else environ
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1", "none", "NoDevFiles"):
        return False
    if device_files is None:
        if os.name != "posix" or not Path("/dev").is_dir():
            return True
        device_files = [p.name for p in Path("/dev").glob("nvidia[0-9]*")]
    return bool(device_files)


def worker_execution() -> Execution:
    """The choice for this process (imports onnxruntime; cheap once the models are loaded)."""
    import onnxruntime

    from ..faces.openvino_backend import chosen_backend

    available = onnxruntime.get_available_providers()
    gpu = CUDA in available and gpu_visible()
    cpu_backend = "onnxruntime" if gpu else chosen_backend()
    return choose_execution(available, gpu, cpu_backend)
