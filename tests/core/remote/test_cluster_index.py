"""Indexing on a real Dask cluster: a `distributed.LocalCluster` of worker processes over
loopback with mutual TLS (certificates made by `faceshelf cluster-certs` in the test), the
real models and a small real library (insightface's photos, re-encoded so that there are
enough of them to stop a run in the middle).

- the catalog equals a local index of the same library (boxes within 1 px, embeddings
  cosine >= 0.9999, every photo and face thumbnail present), through the CLI;
- a worker killed mid-run: its photo runs elsewhere; nothing lost or doubled;
- the scheduler stopped mid-run: the index stops as if cancelled, and `rescan` on a new
  cluster completes it;
- plaintext to an address that is not loopback is refused before anything happens.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import PROJECT

pytestmark = pytest.mark.slow


def _library(root: Path, images: Path) -> Path:
    """make_library's 6 photos and 6 re-encoded variants (other bytes, same faces)."""
    from tests.gui.conftest import make_library

    make_library(root, images)
    for path in sorted(root.iterdir()):
        with Image.open(path) as im:
            im.convert("RGB").resize((im.width * 19 // 20, im.height * 19 // 20)).save(
                root / f"v_{path.stem}.jpg", quality=90)
    return root


@pytest.fixture(scope="module")
def library_files(tmp_path_factory, insightface_images) -> Path:
    return _library(tmp_path_factory.mktemp("cluster_library"), insightface_images)


@pytest.fixture
def library(tmp_path, library_files) -> Path:
    import shutil

    target = tmp_path / "library"
    shutil.copytree(library_files, target)
    return target


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Path:
    from core.remote.certs import make_cluster_certs

    folder = tmp_path_factory.mktemp("certs")
    make_cluster_certs(folder, overwrite=True)
    return folder


@pytest.fixture(scope="module")
def cluster(certs):
    from core.remote.local import local_cluster

    with local_cluster(2, cert_dir=certs) as started:
        yield started


def _snapshot(catalog_dir: Path) -> dict:
    """Per photo (by file name): its fields and its faces (box, embedding), and whether
    each thumbnail is in the cache."""
    from core.catalog import Catalog
    from core.thumbs import face_thumb_path, photo_thumb_path

    photos = {}
    with Catalog(catalog_dir) as catalog:
        rows = catalog.execute("SELECT id, path, status, width, height, taken_at, orientation "
                               "FROM photos").fetchall()
        for photo_id, path, status, width, height, taken_at, orientation in rows:
            faces = catalog.execute(
                "SELECT id, x1, y1, x2, y2, embedding, usable FROM faces WHERE photo_id=? "
                "ORDER BY x1", (photo_id,)).fetchall()
            photos[Path(path).name] = {
                "fields": (status, width, height, taken_at, orientation),
                "photo_thumb": photo_thumb_path(catalog_dir, photo_id).is_file(),
                "faces": [((x1, y1, x2, y2), np.frombuffer(blob, dtype=np.float32), usable,
                           face_thumb_path(catalog_dir, face_id).is_file())
                          for face_id, x1, y1, x2, y2, blob, usable in faces],
            }
    return photos


def _assert_same_index(local: dict, remote: dict) -> None:
    assert sorted(local) == sorted(remote)
    for name, expected in local.items():
        got = remote[name]
        assert got["fields"] == expected["fields"], name
        assert got["fields"][0] == "indexed", name
        assert got["photo_thumb"], f"{name}: no photo thumbnail"
        assert len(got["faces"]) == len(expected["faces"]), name
        for (box, vector, usable, thumb), (box0, vector0, usable0, _) in zip(got["faces"],
                                                                            expected["faces"]):
            assert max(abs(a - b) for a, b in zip(box, box0)) <= 1.0, (name, box, box0)
            cosine = float(np.dot(vector, vector0) /
                           (np.linalg.norm(vector) * np.linalg.norm(vector0)))
            assert cosine >= 0.9999, (name, cosine)
            assert usable == usable0 and thumb, name


@pytest.fixture(scope="module")
def local_index(tmp_path_factory, library_files, face_analyzer) -> dict:
    """The library indexed on this machine, the usual way (the reference)."""
    from core import pipeline
    from core.catalog import Catalog

    folder = tmp_path_factory.mktemp("local_catalog")
    library = folder / "library"
    import shutil

    shutil.copytree(library_files, library)
    with Catalog(folder / "catalog") as catalog:
        for _ in pipeline.index(catalog, [library], analyzer=face_analyzer):
            pass
    return _snapshot(folder / "catalog")


def _faceshelf(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=PROJECT,
                          capture_output=True, text=True, timeout=timeout)


def test_index_on_a_tls_cluster_equals_a_local_index(tmp_path, library, cluster, certs,
                                                      local_index):
    ram_before = set(Path("/dev/shm").glob("faceshelf-*")) if Path("/dev/shm").is_dir() else set()
    done = _faceshelf("--catalog", str(tmp_path / "catalog"), "index", str(library),
                      "--cluster", cluster.scheduler_address, "--cert-dir", str(certs),
                      "--json", "--no-cluster")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["indexed"] == 12 and summary["errors"] == 0
    workers = summary["cluster"]["workers"]
    assert sum(w["photos"] for w in workers.values()) == 12
    assert all(w["execution"] in ("OpenVINO bf16", "CPU") for w in workers.values())
    assert summary["cluster"]["shipped_bytes_per_photo"] > 10_000   # the photos' bytes
    _assert_same_index(local_index, _snapshot(tmp_path / "catalog"))
    if Path("/dev/shm").is_dir():  # the photos' bytes were given a path in RAM, then removed
        # (other Faceshelf workers on this machine may come and go meanwhile)
        assert set(Path("/dev/shm").glob("faceshelf-*")) <= ram_before


def _worker_pids(cluster) -> dict[str, int]:
    from distributed import Client

    with Client(cluster, set_as_default=False) as client:
        return client.run(os.getpid)


def test_a_worker_killed_mid_run_loses_and_doubles_nothing(tmp_path, library, cluster, certs,
                                                           local_index):
    from core import pipeline
    from core.catalog import Catalog
    from core.remote.executor import ClusterRun

    killed = None
    with Catalog(tmp_path / "catalog") as catalog, \
            ClusterRun(cluster.scheduler_address, cert_dir=certs, in_flight=4) as run:
        for progress in pipeline.index(catalog, [library], executor=run):
            if progress.stage == "index" and progress.done == 1 and killed is None:
                address, killed = next(iter(_worker_pids(cluster).items()))
                os.kill(killed, signal.SIGKILL)   # mid-photo: it has photos assigned
        assert progress.message != "cancelled" and run.lost is None
        assert progress.done == 12 and progress.counters["errors"] == 0
    assert killed is not None
    _assert_same_index(local_index, _snapshot(tmp_path / "catalog"))
    cluster.wait_for_workers(2, timeout=60)  # the nanny restarted it, for the next test


@contextlib.contextmanager
def _short_connect_timeouts():
    """Closing a cluster whose scheduler is gone waits for connections that cannot succeed
    (30 s by default)."""
    import dask
    import distributed  # noqa: F401  (its settings exist once it is imported)

    key = "distributed.comm.timeouts.connect"
    before = dask.config.get(key)
    dask.config.set({key: "2s"})
    try:
        yield
    finally:
        dask.config.set({key: before})


def _set_version(version: str) -> str:
    import core

    before, core.__version__ = core.__version__, version
    return before


def test_a_worker_of_another_version_is_refused_and_the_others_index(tmp_path, library,
                                                                     cluster, certs):
    from distributed import Client

    from core import pipeline
    from core.catalog import Catalog
    from core.remote.executor import ClusterRun

    with Client(cluster, set_as_default=False) as client:
        odd = sorted(client.scheduler_info()["workers"])[0]
        original = client.run(_set_version, "9.9.9", workers=[odd])[odd]
        try:
            with Catalog(tmp_path / "catalog") as catalog, \
                    ClusterRun(cluster.scheduler_address, cert_dir=certs) as run:
                for progress in pipeline.index(catalog, [library], executor=run):
                    pass
                summary = run.summary()
        finally:
            client.run(_set_version, original, workers=[odd])
    assert progress.done == 12 and progress.counters["errors"] == 0
    assert list(summary["refused"]) == [odd]
    assert "it runs Faceshelf 9.9.9, this computer" in summary["refused"][odd]
    assert odd not in summary["workers"]
    assert sum(w["photos"] for w in summary["workers"].values()) == 12


def test_the_scheduler_stopped_mid_run_stops_the_index_then_rescan_completes(
        tmp_path, library, certs, cluster, local_index):
    from core import pipeline
    from core.catalog import Catalog
    from core.remote.executor import ClusterRun
    from core.remote.local import local_cluster

    catalog_dir = tmp_path / "catalog"
    with _short_connect_timeouts(), local_cluster(1, cert_dir=certs) as first:
        with Catalog(catalog_dir) as catalog, \
                ClusterRun(first.scheduler_address, cert_dir=certs, in_flight=1) as run:
            for progress in pipeline.index(catalog, [library], executor=run):
                if progress.stage == "index" and progress.done == 2:
                    first.sync(first.scheduler.close)
            assert progress.message == "cancelled"
            assert run.lost and "scheduler" in run.lost
            assert 2 <= progress.done < 12
            pending = catalog.execute(
                "SELECT COUNT(*) FROM photos WHERE status='pending'").fetchone()[0]
            assert pending == 12 - progress.done   # nothing half-written
    # the cluster is back (here: another one, the module's)
    with Catalog(catalog_dir) as catalog, \
            ClusterRun(cluster.scheduler_address, cert_dir=certs) as run:
        for progress in pipeline.index(catalog, None, executor=run):  # = `faceshelf rescan`
            pass
        assert progress.message != "cancelled"
    _assert_same_index(local_index, _snapshot(catalog_dir))


def test_plaintext_to_an_address_that_is_not_loopback_is_refused(tmp_path, library):
    catalog = tmp_path / "catalog"
    for command in (["index", str(library)], ["rescan"]):
        done = _faceshelf("--catalog", str(catalog), *command,
                          "--cluster", "tcp://192.0.2.7:8786")
        assert done.returncode == 2
        assert "refusing plaintext to 192.0.2.7" in done.stderr
        assert "Traceback" not in done.stderr
    assert not catalog.exists()   # said before the catalog was touched
    done = _faceshelf("worker", "tcp://192.0.2.7:8786")
    assert done.returncode == 2 and "refusing plaintext to 192.0.2.7" in done.stderr
    done = _faceshelf("scheduler", "tcp://0.0.0.0:8786")
    assert done.returncode == 2 and "refusing plaintext to 0.0.0.0" in done.stderr


def test_path_map_workers_read_the_photos_themselves(tmp_path, library, cluster, certs,
                                                     local_index):
    """Workers that mount the library (here: the same photos at another path) get paths,
    not bytes; the result is the same."""
    import shutil

    from core import pipeline
    from core.catalog import Catalog
    from core.remote.executor import ClusterRun
    from core.remote.pathmap import parse_path_maps

    mount = tmp_path / "mounted-share"
    shutil.copytree(library, mount, copy_function=shutil.copy2)   # mtimes kept, as a share
    with Catalog(tmp_path / "catalog") as catalog, \
            ClusterRun(cluster.scheduler_address, cert_dir=certs,
                       path_map=parse_path_maps([f"{library}={mount}"])) as run:
        for progress in pipeline.index(catalog, [library], executor=run):
            pass
        assert run.shipped_bytes == 0 and run.photos == 12
    _assert_same_index(local_index, _snapshot(tmp_path / "catalog"))


def test_a_paused_consumer_stops_new_work(tmp_path, library, cluster, certs):
    """Back-pressure: while nobody takes results (the app's Pause), no photo is sent; what is
    out stays bounded by in_flight."""
    import time

    from core import pipeline
    from core.catalog import Catalog
    from core.remote.executor import ClusterRun

    with Catalog(tmp_path / "catalog") as catalog, \
            ClusterRun(cluster.scheduler_address, cert_dir=certs, in_flight=2) as run:
        job = pipeline.index(catalog, [library], executor=run)
        for progress in job:
            if progress.stage == "index" and progress.done == 1:
                break
        sent = run.submitted
        assert sent <= progress.done + 2
        time.sleep(2.0)                      # paused: the generator is not resumed
        assert run.submitted == sent
        for progress in job:                 # resumed: the rest is done
            pass
        assert progress.done == 12 and run.submitted == 12


def _free_port() -> int:
    import socket

    with socket.socket() as probe:   # a bind is local: core.offline allows it
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_line(path: Path, text: str, process, timeout: float = 120) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        assert process.poll() is None, path.read_text(errors="replace")
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not seen in {path}:\n{path.read_text(errors='replace')}")


def test_the_scheduler_and_worker_commands_serve_an_index(tmp_path, library, certs):
    """`faceshelf scheduler` and `faceshelf worker` as a user runs them (TLS, loopback), an
    index through them, and both stopping cleanly on SIGTERM."""
    address = f"tls://127.0.0.1:{_free_port()}"
    logs = {name: tmp_path / f"{name}.log" for name in ("scheduler", "worker")}
    started = {}
    try:
        for name, extra in (("scheduler", []), ("worker", ["--nthreads", "1"])):
            with open(logs[name], "w") as log:
                started[name] = subprocess.Popen(
                    [sys.executable, "-m", "core.cli", name, address, "--cert-dir", str(certs),
                     *extra], cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT)
            _wait_for_line(logs[name], "scheduler listening at" if name == "scheduler"
                           else "ready on", started[name])
        done = _faceshelf("--catalog", str(tmp_path / "catalog"), "index", str(library),
                          "--cluster", address, "--cert-dir", str(certs), "--json",
                          "--no-cluster")
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        assert summary["indexed"] == 12 and summary["errors"] == 0
        assert sum(w["photos"] for w in summary["cluster"]["workers"].values()) == 12
    finally:
        for name in ("worker", "scheduler"):
            if name in started:
                started[name].send_signal(signal.SIGTERM)
                assert started[name].wait(60) == 0, logs[name].read_text(errors="replace")
    assert "Traceback" not in logs["worker"].read_text(errors="replace")


def test_a_photo_gone_before_it_is_sent_is_recorded_as_locally(tmp_path, library, cluster,
                                                               certs, face_analyzer):
    """A photo deleted between the scan and its analysis: the same error, in the same words,
    as a local index gives it (the client reads the bytes, so it is the one that finds out)."""
    from core import pipeline
    from core.catalog import Catalog
    from core.remote.executor import ClusterRun
    from core.scan import scan_folders

    errors = {}
    for how in ("local", "cluster"):
        folder = tmp_path / how
        folder.mkdir()
        for name in ("t1.jpg", "mask_blue.jpg"):
            (folder / name).write_bytes((library / name).read_bytes())
        with Catalog(tmp_path / f"catalog-{how}") as catalog:
            for _ in scan_folders(catalog, [folder]):
                pass
            (folder / "mask_blue.jpg").unlink()
            options = ({"analyzer": face_analyzer} if how == "local" else
                       {"executor": ClusterRun(cluster.scheduler_address, cert_dir=certs)})
            for _ in pipeline.index(catalog, None, scan=False, **options):
                pass
            errors[how] = catalog.execute("SELECT status, error FROM photos WHERE path LIKE "
                                          "'%mask_blue.jpg'").fetchone()
            if how == "cluster":
                options["executor"].close()
    assert errors["cluster"] == errors["local"]
    assert errors["cluster"][0] == "error" and "cannot read file" in errors["cluster"][1]
