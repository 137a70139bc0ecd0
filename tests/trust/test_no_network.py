"""No byte leaves the machine: every CLI command and the app's first index, on both inference
backends, in an environment where dependencies' telemetry *would* fire, with every network
attempt recorded (tests/trust/netprobe/sitecustomize.py, loaded by every process, worker
processes too), and under strace where it is available (native code: onnxruntime's own
telemetry is C++ and invisible to Python's audit hooks).

The environment is hostile on purpose: the CI variables that make OpenVINO and onnxruntime
keep quiet are removed, HOME and the XDG folders are a real temporary folder, and
ORT_DISABLE_TELEMETRY=0 / NO_ALBUMENTATIONS_UPDATE=0 as a user might have them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT

PROBE = Path(__file__).resolve().parent / "netprobe"
BACKENDS = ("onnxruntime", "openvino")

# What OpenVINO's telemetry and onnxruntime's read to stay quiet (from their sources), and
# what a CI service sets.
QUIETING_VARIABLES = (
    "CI", "TF_BUILD", "JENKINS_URL", "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "TRAVIS",
    "CODEBUILD_BUILD_ID", "BUILDKITE", "TEAMCITY_VERSION", "APPVEYOR", "BITBUCKET_BUILD_NUMBER",
    "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", "ORT_RUNNING_UNIT_TESTS", "NUMBA_CACHE_DIR",
)
HOSTILE = {"ORT_DISABLE_TELEMETRY": "0", "NO_ALBUMENTATIONS_UPDATE": "0"}

# Where a run may leave files under HOME: Faceshelf's own folders, and Qt's own settings file
# (its file dialogs remember their state there). Anything else (~/intel,
# ~/.cache/Microsoft, ...) fails the test.
ALLOWED_IN_HOME = (".cache/faceshelf/", ".config/faceshelf/", ".local/share/faceshelf/",
                   ".config/QtProject.conf")


def _strace_works() -> bool:
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(["strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=connect",
                            "-o", os.devnull, "true"], capture_output=True)
    return probe.returncode == 0


STRACE = _strace_works()
# connect() or sendto() to an IPv4/IPv6 address; sendmmsg/sendmsg naming one
NATIVE_ATTEMPT = re.compile(r"^\d+\s+(connect|sendto|sendmsg|sendmmsg)\(.*sa_family=AF_INET6?\b")


class Sandbox:
    """A temporary HOME and catalog, and commands run in it with the probe loaded."""

    def __init__(self, root: Path, backend: str) -> None:
        self.root = root
        self.home = root / "home"
        self.catalog = root / "catalog"
        self.home.mkdir(parents=True)
        runtime = root / "runtime"
        runtime.mkdir(mode=0o700)
        env = {key: value for key, value in os.environ.items()
               if key not in QUIETING_VARIABLES and not key.startswith("XDG_")}
        env.update(HOSTILE)
        env.update({
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_STATE_HOME": str(self.home / ".local" / "state"),
            "XDG_RUNTIME_DIR": str(runtime),
            "PYTHONPATH": os.pathsep.join((str(PROBE), str(PROJECT))),
            "FACESHELF_INFERENCE": backend,
            "QT_QPA_PLATFORM": "offscreen",
        })
        self.env = env
        self.runs: list[tuple[str, list[str]]] = []  # (what ran, attempts seen)
        self.count = 0

    def run(self, args: list[str], *, expect: int = 0, timeout: int = 300) -> str:
        self.count += 1
        record = self.root / f"net-{self.count}.log"
        trace = self.root / f"strace-{self.count}.log"
        env = dict(self.env, FACESHELF_NETPROBE_RECORD=str(record))
        command = [sys.executable, *args]
        if STRACE:
            command = ["strace", "-f", "--seccomp-bpf", "-qq",
                       "-e", "trace=connect,sendto,sendmsg,sendmmsg", "-o", str(trace), *command]
        result = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True,
                                timeout=timeout)
        label = " ".join(args[2:] if args[:2] == ["-m", "core.cli"] else args)
        assert result.returncode == expect, (f"{label}: exit {result.returncode}\n"
                                             f"{result.stdout[-2000:]}\n{result.stderr}")
        attempts = record.read_text().splitlines() if record.exists() else []
        if STRACE:
            attempts += [f"native: {line}" for line in trace.read_text().splitlines()
                         if NATIVE_ATTEMPT.match(line)]
        self.runs.append((label, attempts))
        return result.stdout

    def faceshelf(self, *args: str, expect: int = 0) -> str:
        return self.run(["-m", "core.cli", "--catalog", str(self.catalog), *args], expect=expect)

    def stray_files(self) -> list[str]:
        files = (str(path.relative_to(self.home)) for path in self.home.rglob("*")
                 if path.is_file())
        return sorted(name for name in files if not name.startswith(ALLOWED_IN_HOME))

    def assert_offline(self) -> None:
        offenders = [f"{label}:\n    " + "\n    ".join(attempts)
                     for label, attempts in self.runs if attempts]
        assert not offenders, "network attempts:\n" + "\n".join(offenders)
        strays = self.stray_files()
        assert not strays, f"files written outside Faceshelf's folders: {strays}"


@pytest.fixture
def library(tmp_path, insightface_images) -> Path:
    from tests.gui.conftest import make_library

    return make_library(tmp_path / "library", insightface_images)


def photo_tree(*roots: Path) -> dict[str, tuple[str, int]]:
    """Every file under the photo folders with its content hash and mode: the user's photos
    (and sidecars) are read, never written, never joined by files of ours."""
    import hashlib

    return {str(path): (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mode)
            for root in roots for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_command_stays_offline(backend, tmp_path, library):
    box = Sandbox(tmp_path / "sandbox", backend)
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for name in ("t1.jpg", "t1_small.jpg"):
        shutil.move(library / name, first / name)
    shutil.move(library / "Tom_Hanks_54745.png", second / "Tom_Hanks_54745.png")
    destination = tmp_path / "export"

    box.faceshelf("index", str(first), "--workers", "0", "--quiet", "--no-cluster")
    box.faceshelf("index", str(second), "--workers", "1", "--quiet", "--no-cluster")
    shutil.move(library / "mask_white.jpg", first / "mask_white.jpg")
    originals = photo_tree(first, second)
    box.faceshelf("rescan", "--workers", "1", "--quiet", "--no-cluster")
    box.faceshelf("cluster", "--quiet")
    people = json.loads(box.faceshelf("people", "--json"))
    group = max(people, key=lambda person: person["faces"])
    assert group["faces"] >= 2
    box.faceshelf("name", str(group["id"]), "Anna")
    box.faceshelf("person", "Anna")
    box.faceshelf("review", "Anna", "--json")
    faces = json.loads(box.faceshelf("faces", "--json"))
    moved = str(group["face_ids"][-1])
    box.faceshelf("move-faces", "--to", "new", moved)
    before = {person["id"] for person in people}
    new = [p["id"] for p in json.loads(box.faceshelf("people", "--json")) if p["id"] not in before]
    box.faceshelf("merge", "Anna", str(new[0]))
    box.faceshelf("undo")
    box.faceshelf("reject", "--from", "Anna", moved)
    stranger = next(face["id"] for face in faces if face["id"] not in group["face_ids"])
    box.faceshelf("ignore", str(stranger))
    photo = str(next(face["photo_id"] for face in faces))   # a face drawn by hand, then undone
    box.faceshelf("add-face", photo, "1", "1", "60", "60", "--name", "Drawn")
    box.faceshelf("undo")
    box.faceshelf("search", "--face", str(group["face_ids"][0]))
    box.faceshelf("search", "--person", "Anna")
    box.faceshelf("search", "--photo", str(first / "t1.jpg"))
    box.faceshelf("reindex-search", "--quiet")
    box.faceshelf("export", "--person", "Anna", "--to", str(destination), "--xmp",
                  "--save-as", "Anna")
    assert list(destination.rglob("*.xmp"))
    box.faceshelf("albums")
    box.faceshelf("status", "--errors")
    box.faceshelf("check")
    box.faceshelf("repair")
    box.faceshelf("import-tags", "--dry-run")
    box.faceshelf("import-tags")
    box.faceshelf("remove-folder", str(second))
    box.faceshelf("cluster-certs", str(tmp_path / "certs"))  # makes files, talks to nobody
    box.assert_offline()
    assert photo_tree(first, second) == originals


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_app_stays_offline_through_a_first_index(backend, tmp_path, library):
    box = Sandbox(tmp_path / "sandbox", backend)
    for name in ("t1_small.jpg", "tom_framed.jpg", "mask_white.jpg", "mask_blue.jpg"):
        (library / name).unlink()  # two photos are enough: each worker loads the models
    originals = photo_tree(library)
    out = box.run([str(PROBE / "gui_first_index.py"), str(box.catalog), str(library)])
    assert "outcomes: ['finished'" in out
    from core.catalog import Catalog

    with Catalog(box.catalog) as catalog:
        assert catalog.execute("SELECT COUNT(*) FROM faces").fetchone()[0] >= 7
    box.assert_offline()
    assert photo_tree(library) == originals


@pytest.mark.parametrize("first", ["import onnxruntime", "import openvino"])
def test_the_environment_makes_telemetry_fire_unless_core_comes_first(first, tmp_path):
    """The control: in this environment, importing OpenVINO alone makes a network attempt and
    writes ~/intel; onnxruntime alone writes its device id under ~/.cache/Microsoft. After
    `import core` neither happens (whatever is imported next, even with
    ORT_DISABLE_TELEMETRY=0 in the environment)."""
    use = ("import onnxruntime as ort, sys; ort.InferenceSession(sys.argv[1], "
           "providers=['CPUExecutionProvider'])" if "onnxruntime" in first else
           "import openvino; openvino.Core()")
    from core.faces.model_files import _bundled_dir

    model = str(_bundled_dir() / "scrfd_500m_bnkps.onnx")
    alone = Sandbox(tmp_path / "alone", "auto")
    alone.run(["-c", use, model])
    expected = "intel/" if "openvino" in first else ".cache/Microsoft/"
    assert [path for path in alone.stray_files() if path.startswith(expected)]
    if "openvino" in first:
        assert any("google-analytics" in attempt for attempt in alone.runs[0][1])
    ours = Sandbox(tmp_path / "ours", "auto")
    ours.run(["-c", "import core; " + use, model])
    ours.assert_offline()


def test_openvino_telemetry_imported_before_core_is_silenced_too(tmp_path):
    """A program that imported openvino_telemetry before Faceshelf (no Faceshelf entry point
    does): what follows sends nothing and writes nothing, and a warning says so."""
    box = Sandbox(tmp_path / "box", "openvino")
    box.run(["-c", "import openvino_telemetry, core, openvino; openvino.Core()"])
    box.assert_offline()
    assert not (box.home / "intel").exists()
