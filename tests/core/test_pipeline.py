"""Indexing end to end: real files, real models, real SQLite, real worker processes."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.catalog import Catalog
from core.jobs import CancelToken
from core.pipeline import index
from core.thumbs import face_thumb_path, photo_thumb_path

PROJECT = Path(__file__).resolve().parents[2]

# Pixels to store so that applying EXIF orientation N gives the upright picture back.
STORE_FOR_ORIENTATION = {
    1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270,
}


def save_oriented(upright: Image.Image, path: Path, orientation: int, quality: int = 95) -> None:
    method = STORE_FOR_ORIENTATION[orientation]
    stored = upright.transpose(method) if method is not None else upright
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored.save(path, quality=quality, exif=exif.tobytes())


def file_states(folder: Path) -> dict[str, tuple[str, int]]:
    return {str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run(catalog: Catalog, roots=None, **options):
    return list(index(catalog, roots, **options))


def check_consistent(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # Faces only ever belong to fully indexed photos, and never twice.
        assert conn.execute("SELECT COUNT(*) FROM faces f JOIN photos p ON p.id = f.photo_id "
                            "WHERE p.status != 'indexed'").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM (SELECT photo_id, x1, y1 FROM faces "
                            "GROUP BY photo_id, x1, y1 HAVING COUNT(*) > 1)").fetchone()[0] == 0
    finally:
        conn.close()


@pytest.fixture(scope="module")
def library(tmp_path_factory, insightface_images):
    """t1.jpg (6 faces) in all 8 EXIF orientations, plus files that are not photos."""
    folder = tmp_path_factory.mktemp("library") / "Photos and ünïcode"
    folder.mkdir()
    upright = Image.open(insightface_images / "t1.jpg").convert("RGB")
    for orientation in range(1, 9):
        save_oriented(upright, folder / f"t1_o{orientation}.jpg", orientation)
    data = (insightface_images / "t1.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (folder / "zero.jpg").write_bytes(b"")
    (folder / "notes.jpg").write_text("not a photo at all\n")
    return folder


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, library, face_analyzer):
    """The library indexed once in-process, with every socket creation failing meanwhile."""
    before = file_states(library)
    catalog_dir = tmp_path_factory.mktemp("catalog")
    real_socket = socket.socket

    def no_socket(*args, **kwargs):
        raise AssertionError("indexing tried to open a socket")

    socket.socket = no_socket
    try:
        with Catalog(catalog_dir) as catalog:
            progress = run(catalog, [library], analyzer=face_analyzer)
    finally:
        socket.socket = real_socket
    return {"dir": catalog_dir, "progress": progress, "before": before}


def faces_by_photo(catalog: Catalog) -> dict[str, list[sqlite3.Row]]:
    result: dict[str, list] = {}
    for row in catalog.execute("SELECT p.path, f.* FROM faces f JOIN photos p ON p.id = f.photo_id "
                               "ORDER BY f.x1"):
        result.setdefault(Path(row["path"]).name, []).append(row)
    return result


def test_boxes_sit_on_the_faces_in_every_orientation(indexed):
    with Catalog(indexed["dir"]) as catalog:
        faces = faces_by_photo(catalog)
        reference = faces["t1_o1.jpg"]
        assert len(reference) == 6
        ref_boxes = np.array([[f["x1"], f["y1"], f["x2"], f["y2"]] for f in reference])
        ref_vectors = np.stack([np.frombuffer(f["embedding"], np.float32) for f in reference])
        for orientation in range(2, 9):
            name = f"t1_o{orientation}.jpg"
            row = catalog.execute("SELECT * FROM photos WHERE path LIKE ?",
                                  (f"%{name}",)).fetchone()
            assert (row["width"], row["height"], row["orientation"]) == (1280, 886, orientation)
            found = faces[name]
            assert len(found) == 6, name
            for face in found:
                box = np.array([face["x1"], face["y1"], face["x2"], face["y2"]])
                nearest = int(np.argmin(np.abs(ref_boxes - box).sum(axis=1)))
                # Same face, same place in oriented pixels (a few px of detector jitter).
                assert np.abs(ref_boxes[nearest] - box).max() < 8, (name, box)
                vector = np.frombuffer(face["embedding"], np.float32)
                assert float(vector @ ref_vectors[nearest]) > 0.9, name
                points = np.frombuffer(face["landmarks"], np.float32).reshape(5, 2)
                assert (points[:, 0] > box[0]).all() and (points[:, 0] < box[2]).all()


def test_bad_files_are_recorded_and_skipped(indexed):
    with Catalog(indexed["dir"]) as catalog:
        errors = {Path(r["path"]).name: r["error"] for r in catalog.execute(
            "SELECT path, error FROM photos WHERE status='error'")}
        assert set(errors) == {"truncated.jpg", "zero.jpg", "notes.jpg"}
        assert all(errors.values())
        assert catalog.execute("SELECT COUNT(*) FROM photos WHERE status='indexed'"
                               ).fetchone()[0] == 8
    last = indexed["progress"][-1]
    assert last.stage == "index" and last.done == last.total
    assert last.counters["faces"] == 48


def test_thumbnails_are_written_on_the_way(indexed):
    with Catalog(indexed["dir"]) as catalog:
        for (photo_id,) in catalog.execute("SELECT id FROM photos WHERE status='indexed'"):
            with Image.open(photo_thumb_path(catalog.dir, photo_id)) as thumb:
                assert max(thumb.size) == 256
        for (face_id,) in catalog.execute("SELECT id FROM faces"):
            with Image.open(face_thumb_path(catalog.dir, face_id)) as thumb:
                assert thumb.size == (160, 160)


def test_missing_thumbnails_are_made_on_demand(indexed):
    from core.thumbs import ensure_face_thumb, ensure_photo_thumb

    with Catalog(indexed["dir"]) as catalog:
        photo_id, face_id = catalog.execute("SELECT photo_id, id FROM faces LIMIT 1").fetchone()
        photo_thumb_path(catalog.dir, photo_id).unlink()
        face_thumb_path(catalog.dir, face_id).unlink()
        made = ensure_photo_thumb(catalog, photo_id)
        assert made == photo_thumb_path(catalog.dir, photo_id) and made.is_file()
        made = ensure_face_thumb(catalog, face_id)
        with Image.open(made) as thumb:
            assert thumb.size == (160, 160)
        assert ensure_face_thumb(catalog, 10**9) is None


def test_photo_files_are_never_written(indexed, library):
    assert file_states(library) == indexed["before"]


def test_faces_json_output(indexed, capsys):
    from core.cli import main

    assert main(["--catalog", str(indexed["dir"]), "faces", "--json", "--embeddings"]) == 0
    faces = json.loads(capsys.readouterr().out)
    assert len(faces) == 48
    keys = {"id", "photo_id", "path", "box", "landmarks", "det_score", "size", "quality",
            "usable", "ignored", "model_id", "person_id", "person", "embedding"}
    for face in faces:
        assert set(face) == keys
        assert len(face["box"]) == 4 and np.array(face["landmarks"]).shape == (5, 2)
        vector = np.frombuffer(base64.b64decode(face["embedding"]), dtype="<f4")
        assert vector.shape == (512,) and abs(np.linalg.norm(vector) - 1) < 1e-4
        assert face["usable"] is True and face["person"] is None

    assert main(["--catalog", str(indexed["dir"]), "status", "--json", "--errors"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["photos"] == {"total": 11, "indexed": 8, "pending": 0, "error": 3}
    assert status["faces"] == 48 and status["usable_faces"] == 48
    assert len(status["errors"]) == 3 and status["model_id"].startswith("buffalo_s/")


def test_rerun_touches_nothing(indexed, face_analyzer):
    with Catalog(indexed["dir"]) as catalog:
        before = catalog.execute("SELECT id, indexed_at FROM photos ORDER BY id").fetchall()
        revision = catalog.revision()
        progress = run(catalog, analyzer=face_analyzer)
        assert progress[-1].stage == "index" and progress[-1].total == 0
        assert catalog.revision() == revision
        assert catalog.execute("SELECT id, indexed_at FROM photos ORDER BY id").fetchall() == before


def test_photos_of_another_model_are_indexed_again(tmp_path, insightface_images,
                                                  face_analyzer):
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(insightface_images / "t1.jpg", folder / "t1.jpg")
    with Catalog(tmp_path / "catalog") as catalog:
        run(catalog, [folder], analyzer=face_analyzer)
        with catalog.transaction():
            catalog.execute("UPDATE photos SET model_id='old/model'")
            catalog.execute("UPDATE faces SET model_id='old/model'")
        progress = run(catalog, analyzer=face_analyzer)
        assert progress[-1].total == 1
        models = catalog.execute("SELECT DISTINCT model_id FROM faces").fetchall()
        assert [m[0] for m in models] == [face_analyzer.model_id]
        assert catalog.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 6


def test_moved_photo_keeps_its_faces(tmp_path, insightface_images, face_analyzer):
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(insightface_images / "t1.jpg", folder / "t1.jpg")
    with Catalog(tmp_path / "catalog") as catalog:
        run(catalog, [folder], analyzer=face_analyzer)
        ids = [r[0] for r in catalog.execute("SELECT id FROM faces ORDER BY id")]
        assert len(ids) == 6
        (folder / "t1.jpg").rename(folder / "sub" / "moved.jpg")
        progress = run(catalog, analyzer=face_analyzer)
        assert progress[-1].total == 0  # nothing re-detected
        rows = catalog.execute("SELECT f.id, p.path FROM faces f JOIN photos p "
                               "ON p.id = f.photo_id ORDER BY f.id").fetchall()
        assert [r[0] for r in rows] == ids
        assert {Path(r[1]).name for r in rows} == {"moved.jpg"}


def test_an_edited_photo_keeps_its_names_when_indexed_again(tmp_path, insightface_images,
                                                           face_analyzer):
    from core.people import ignore_faces, move_faces, reject_faces

    folder = tmp_path / "photos"
    folder.mkdir()
    photo = folder / "t1.jpg"
    shutil.copy(insightface_images / "t1.jpg", photo)
    with Catalog(tmp_path / "catalog") as catalog:
        run(catalog, [folder], analyzer=face_analyzer)
        faces = [r[0] for r in catalog.execute("SELECT id FROM faces ORDER BY x1")]
        anna = move_faces(catalog, [faces[0]], None, name="Anna")
        ben = move_faces(catalog, [faces[1]], None, name="Ben")
        ignore_faces(catalog, [faces[2]])
        reject_faces(catalog, [faces[1]], anna)   # (not Anna: a rejection rides along too)
        with open(photo, "ab") as fh:                 # an editor rewrote the file: same pixels
            fh.write(b"edited")
        progress = run(catalog, analyzer=face_analyzer)
        assert progress[-1].total == 1               # detected again
        rows = catalog.execute("SELECT id, person_id, assigned_by, ignored FROM faces "
                               "ORDER BY x1").fetchall()
        assert len(rows) == 6 and not {r[0] for r in rows} & set(faces)   # new faces
        assert [(r[1], r[2], r[3]) for r in rows[:3]] == [(anna, "user", 0), (ben, "user", 0),
                                                          (None, None, 1)]
        assert all(r[1] is None and not r[3] for r in rows[3:])
        assert [tuple(r) for r in catalog.execute(
            "SELECT person_id FROM face_rejections WHERE face_id = ?", (rows[1][0],))] \
            == [(anna,)]


def test_cancel_then_resume(tmp_path, insightface_images, face_analyzer):
    folder = tmp_path / "photos"
    folder.mkdir()
    upright = Image.open(insightface_images / "t1.jpg").convert("RGB")
    for n in range(6):
        upright.save(folder / f"copy{n}.jpg", quality=80 + n)  # distinct files
    token = CancelToken()
    with Catalog(tmp_path / "catalog") as catalog:
        for progress in index(catalog, [folder], analyzer=face_analyzer, cancel=token):
            if progress.stage == "index" and progress.done == 2:
                token.cancel()
        assert progress.message == "cancelled"
        counts = dict(catalog.execute("SELECT status, COUNT(*) FROM photos GROUP BY status"))
        assert counts == {"indexed": 2, "pending": 4}
        check_consistent(catalog.db_path)
        progress = run(catalog, analyzer=face_analyzer)
        assert (progress[-1].done, progress[-1].total) == (4, 4)
        assert catalog.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 36
    check_consistent(tmp_path / "catalog" / "catalog.sqlite3")


# -- the real command, with real worker processes ------------------------------------------

NO_NETWORK = """
import socket

class _NoNetwork(socket.socket):
    def __init__(self, family=-1, *args, **kwargs):
        if family in (-1, socket.AF_INET, socket.AF_INET6):
            raise OSError("network access attempted during a test")
        super().__init__(family, *args, **kwargs)

    def connect(self, *args):
        raise OSError("network access attempted during a test")

socket.socket = _NoNetwork
socket.create_connection = lambda *a, **k: (_ for _ in ()).throw(OSError("network"))
"""


def cli(catalog_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "core.cli", "--catalog", str(catalog_dir), *args]


def cli_env(guard_dir: Path) -> dict:
    env = dict(os.environ)
    # sitecustomize in the guard folder makes every socket of this process tree fail;
    # spawned workers inherit PYTHONPATH, so they are covered too.
    env["PYTHONPATH"] = os.pathsep.join([str(guard_dir), str(PROJECT)])
    return env


@pytest.fixture
def workload(tmp_path, insightface_images):
    """24 distinct 2.5-megapixel photos with 6 faces each, and a no-network guard."""
    folder = tmp_path / "photos"
    folder.mkdir()
    upright = Image.open(insightface_images / "t1.jpg").convert("RGB").resize((1920, 1329))
    for n in range(24):
        save_oriented(upright, folder / f"p{n:02d}.jpg", 1 + n % 8, quality=70 + n)
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(NO_NETWORK)
    return folder, guard


def wait_for_indexed(db: Path, count: int, process: subprocess.Popen, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if db.exists():
            try:
                conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
                done = conn.execute(
                    "SELECT COUNT(*) FROM photos WHERE status='indexed'").fetchone()[0]
                conn.close()
                if done >= count:
                    return done
            except sqlite3.OperationalError:
                pass
        time.sleep(0.02)
    if process.poll() is not None:  # it ended before: say how, not "did not get going"
        out, err = process.communicate()
        raise AssertionError(f"the index process exited with status {process.returncode} "
                             f"before {count} photos were indexed; it printed:\n{out or ''}"
                             f"{err or ''}")
    raise AssertionError("indexing did not get going in time")


@pytest.mark.slow
def test_kill_9_in_the_middle_then_rerun(tmp_path, workload):
    folder, guard = workload
    catalog_dir = tmp_path / "catalog"
    db = catalog_dir / "catalog.sqlite3"
    before = file_states(folder)
    process = subprocess.Popen(cli(catalog_dir, "index", str(folder), "--workers", "2",
                                   "--quiet"), cwd=PROJECT, env=cli_env(guard),
                               start_new_session=True, stderr=subprocess.PIPE)
    try:
        wait_for_indexed(db, 3, process, timeout=90)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the parent and its workers, at once
        process.wait()
    check_consistent(db)
    conn = sqlite3.connect(db)
    early = dict(conn.execute("SELECT id, status FROM photos"))
    early_faces = conn.execute("SELECT id, photo_id FROM faces ORDER BY id").fetchall()
    conn.close()
    assert "pending" in early.values(), "the kill came too late to test anything"

    done = subprocess.run(cli(catalog_dir, "rescan", "--workers", "2", "--json"),
                          cwd=PROJECT, env=cli_env(guard), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["indexed"] == list(early.values()).count("pending")
    check_consistent(db)
    conn = sqlite3.connect(db)
    assert dict(conn.execute("SELECT status, COUNT(*) FROM photos GROUP BY status")) == {
        "indexed": 24}
    assert conn.execute("SELECT MIN(n), MAX(n) FROM (SELECT COUNT(*) n FROM faces "
                        "GROUP BY photo_id)").fetchone() == (6, 6)
    # What was indexed before the kill was not indexed again.
    kept = {row[0] for row in early_faces}
    assert kept <= {row[0] for row in conn.execute("SELECT id FROM faces")}
    conn.close()
    assert file_states(folder) == before


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_workers_do_not_outlive_a_killed_parent(tmp_path, workload):
    """kill -9 of the indexer alone (a task manager, an OOM kill): its workers must go too,
    not wait forever to hand their results to nobody."""
    folder, guard = workload
    catalog_dir = tmp_path / "catalog"
    process = subprocess.Popen(cli(catalog_dir, "index", str(folder), "--workers", "2",
                                   "--quiet"), cwd=PROJECT, env=cli_env(guard),
                               start_new_session=True, stderr=subprocess.PIPE)
    workers = []
    try:
        wait_for_indexed(catalog_dir / "catalog.sqlite3", 2, process, timeout=90)
        workers = [pid for pid in _children(process.pid) if _alive(pid)
                   and b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        process.kill()  # the parent only
        process.wait()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.1)
        left = [pid for pid in workers if _alive(pid)]
    finally:
        os.killpg(process.pid, signal.SIGKILL)
    assert len(workers) >= 2
    assert left == [], "worker processes outlived their parent"
    # the resource tracker (it shares the parent's stderr) cleans up without a warning
    err = process.stderr.read().decode()
    assert "leaked semaphore" not in err and "resource_tracker" not in err, err


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_kill_stops_an_index_cleanly_without_leaked_semaphore_warnings(tmp_path, workload):
    """`kill PID` (SIGTERM, what a task manager or a shutdown sends): stops like Ctrl-C, the
    workers go, and no "leaked semaphore objects" warning is printed (issue 11)."""
    folder, guard = workload
    catalog_dir = tmp_path / "catalog"
    process = subprocess.Popen(cli(catalog_dir, "index", str(folder), "--workers", "2",
                                   "--quiet"), cwd=PROJECT, env=cli_env(guard),
                               start_new_session=True, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_indexed(catalog_dir / "catalog.sqlite3", 2, process, timeout=90)
        workers = [pid for pid in _children(process.pid) if _alive(pid)]
        process.terminate()
        _, err = process.communicate(timeout=60)
        tracker_done = time.monotonic() + 20  # the tracker outlives the parent a moment
        while time.monotonic() < tracker_done and any(_alive(pid) for pid in workers):
            time.sleep(0.1)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, err
    assert "stopping (terminated)" in err and "resume" in err
    assert "leaked semaphore" not in err and "Traceback" not in err, err
    assert not [pid for pid in workers if _alive(pid)]
    check_consistent(catalog_dir / "catalog.sqlite3")


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_resumes(tmp_path, workload, face_analyzer):
    folder, guard = workload
    catalog_dir = tmp_path / "catalog"
    db = catalog_dir / "catalog.sqlite3"
    process = subprocess.Popen(cli(catalog_dir, "index", str(folder), "--workers", "2"),
                               cwd=PROJECT, env=cli_env(guard),
                               start_new_session=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        wait_for_indexed(db, 2, process, timeout=90)
        os.killpg(process.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, err
    assert "resume" in err and "Traceback" not in err
    check_consistent(db)
    with Catalog(catalog_dir) as catalog:
        pending = catalog.execute("SELECT COUNT(*) FROM photos WHERE status='pending'"
                                  ).fetchone()[0]
        assert pending > 0
        progress = run(catalog, analyzer=face_analyzer)
        assert progress[-1].done == pending
        assert catalog.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 24 * 6
    check_consistent(db)


@pytest.mark.shared
def test_shared_data_sample(tmp_path, shared_data, face_analyzer):
    """Labelled portraits (the central face) and group photos from the shared data set."""
    folder = tmp_path / "sample"
    people = sorted(p for p in (shared_data / "faces").iterdir() if p.is_dir())
    portraits = [next(iter(sorted(p.glob("lfw__*"))), None) for p in people[::97]]
    portraits = [p for p in portraits if p is not None][:25]
    groups = sorted((shared_data / "groups").glob("*.jpg"))[:5]
    for source in portraits + groups:
        target = folder / source.parent.name / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    with Catalog(tmp_path / "catalog") as catalog:
        run(catalog, [folder], analyzer=face_analyzer)
        found = 0
        for source in portraits:
            row = catalog.execute("SELECT id, width, height FROM photos WHERE path LIKE ?",
                                  (f"%/{source.name}",)).fetchone()
            boxes = catalog.execute("SELECT x1, y1, x2, y2 FROM faces WHERE photo_id=?",
                                    (row[0],)).fetchall()
            found += any(abs((b[0] + b[2]) / 2 - row[1] / 2) < row[1] / 4 and
                         abs((b[1] + b[3]) / 2 - row[2] / 2) < row[2] / 4 for b in boxes)
        assert found >= len(portraits) - 1
        group_faces = catalog.execute(
            "SELECT COUNT(*) FROM faces f JOIN photos p ON p.id = f.photo_id "
            "WHERE p.path LIKE '%/groups/%'").fetchone()[0]
        assert group_faces >= 2 * len(groups)


def test_stale_thumbnail_of_a_reused_photo_id_is_dropped(tmp_path, face_analyzer):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "notes.jpg").write_text("not a photo\n")
    with Catalog(tmp_path / "catalog") as catalog:
        stale = photo_thumb_path(catalog.dir, 1)  # left by a removed photo that had id 1
        stale.parent.mkdir(parents=True)
        stale.write_bytes(b"old picture")
        run(catalog, [folder], analyzer=face_analyzer)
        assert [tuple(r) for r in catalog.execute("SELECT id, status FROM photos")] == [
            (1, "error")]
        assert not stale.exists()


def test_photo_thumb_halvings_look_like_one_area_resize():
    import cv2

    from core.thumbs import PHOTO_THUMB_PX, photo_thumb

    ramp = np.linspace(0, 255, 1001, dtype=np.float32)
    image = np.dstack([np.tile(ramp, (751, 1))] * 3).astype(np.uint8)
    image[300:400, 200:500] = (20, 200, 90)
    thumb = cv2.imdecode(np.frombuffer(photo_thumb(image), np.uint8), cv2.IMREAD_COLOR)
    direct = cv2.resize(image, thumb.shape[1::-1], interpolation=cv2.INTER_AREA)
    assert thumb.shape[1] == PHOTO_THUMB_PX and thumb.shape[0] == round(751 * 256 / 1001)
    assert np.abs(thumb.astype(int) - direct).mean() < 3
    strip = cv2.imdecode(np.frombuffer(photo_thumb(np.zeros((1, 3000, 3), np.uint8)), np.uint8),
                         cv2.IMREAD_COLOR)
    assert strip.shape[:2] == (1, PHOTO_THUMB_PX)


def _two_faces_photo():
    """A 300x400 photo: the face asked about (red, with a white nose) half cut at the right
    edge, another face (blue) just left of it, where a crop sliding inwards would centre."""
    photo = np.full((300, 400, 3), (40, 140, 40), np.uint8)           # green background
    photo[100:200, 340:400] = (30, 30, 220)                            # asked: x 340..440
    photo[140:160, 390:400] = (255, 255, 255)
    photo[100:200, 230:320] = (220, 60, 30)                            # the neighbour
    return photo, (340, 100, 440, 200)


def test_a_face_at_the_edge_is_centred_in_its_crop_and_padded_with_grey():
    import cv2

    from core.thumbs import FACE_THUMB_PX, NEUTRAL_FILL, face_thumb

    photo, box = _two_faces_photo()
    thumb = cv2.imdecode(np.frombuffer(face_thumb(photo, 1.0, box), np.uint8),
                         cv2.IMREAD_COLOR).astype(int)
    assert thumb.shape[:2] == (FACE_THUMB_PX, FACE_THUMB_PX)
    mid = FACE_THUMB_PX // 2
    # the crop is 170 px wide around the face (x 305..475): the middle is the face's centre
    # column, x 390, the nose just inside the photo's edge
    centre = thumb[mid - 4:mid + 4, mid + 1:mid + 7].reshape(-1, 3)
    assert np.abs(centre - (255, 255, 255)).max() < 30, centre[:3]
    face_left = thumb[mid - 20:mid + 20, mid - 40:mid - 20].reshape(-1, 3)
    assert np.abs(face_left - (30, 30, 220)).max() < 30                 # the asked face, red
    # right of the photo's edge (x 400 -> about 89 of 160): neutral grey, not the photo
    padding = thumb[:, 100:].reshape(-1, 3)
    assert np.abs(padding - NEUTRAL_FILL).max() < 12
    assert not (np.abs(thumb - (220, 60, 30)).max(axis=2) < 40)[:, 40:120].any()  # no neighbour
    # a face wider than the picture (a close-up) is padded evenly, still square
    thumb = cv2.imdecode(np.frombuffer(face_thumb(np.full((100, 400, 3), (30, 60, 220), np.uint8),
                                                  1.0, (150, -40, 290, 140)), np.uint8),
                         cv2.IMREAD_COLOR).astype(int)
    assert thumb.shape[:2] == (FACE_THUMB_PX, FACE_THUMB_PX)
    assert abs(thumb[0, mid] - 128).max() < 12                          # grey above and below
    assert abs(thumb[mid, mid] - (30, 60, 220)).max() < 12


def test_face_crops_cached_the_old_way_are_made_again(tmp_path):
    import cv2

    from core.thumbs import ensure_face_thumb, face_thumb_path

    photo, box = _two_faces_photo()
    folder = tmp_path / "photos"
    folder.mkdir()
    cv2.imwrite(str(folder / "edge.png"), photo)
    with Catalog(tmp_path / "catalog") as catalog:
        folder_id = catalog.add_folder(folder)
        with catalog.transaction() as conn:
            conn.execute("INSERT INTO photos(folder_id, path, size, mtime_ns, width, height, "
                         "status) VALUES (?, ?, 1, 1, 400, 300, 'indexed')",
                         (folder_id, str(folder / "edge.png")))
            face_id = conn.execute(
                "INSERT INTO faces(photo_id, x1, y1, x2, y2, landmarks, det_score, size, quality, "
                "usable, embedding, model_id, created_at) "
                "VALUES (1, ?, ?, ?, ?, ?, 0.9, 100, 0.9, 1, ?, 'test', 0)",
                (*box, np.zeros(10, np.float32).tobytes(),
                 np.zeros(512, np.float32).tobytes())).lastrowid
        # a crop cached by an older version, by face id alone: the slid, wrong one
        old = catalog.dir / "thumbs" / "faces" / "0000" / f"{face_id}.jpg"
        old.parent.mkdir(parents=True)
        cv2.imwrite(str(old), np.full((160, 160, 3), (220, 60, 30), np.uint8))
        made = ensure_face_thumb(catalog, face_id)
        assert made == face_thumb_path(catalog.dir, face_id) and made != old
        thumb = cv2.imread(str(made)).astype(int)
        assert np.abs(thumb[80, 60] - (30, 30, 220)).max() < 30           # the asked face
        # the next index run clears the old folder away (the current one stays)
        run(catalog, [folder], workers=0)
        assert not old.parent.parent.exists() and made.is_file()


def test_a_second_index_of_the_same_catalog_is_refused_while_one_runs(tmp_path, capsys):
    import multiprocessing as mp

    from core.cli import main
    from core.index_lock import IndexBusy

    folder = tmp_path / "photos"
    folder.mkdir()
    with Catalog(tmp_path / "catalog") as catalog:
        # the holder is another process, as a second `faceshelf index` would meet it
        ready, release = mp.get_context("spawn").Event(), mp.get_context("spawn").Event()
        holder = mp.get_context("spawn").Process(
            target=_hold_index_lock, args=(str(catalog.dir), ready, release))
        holder.start()
        try:
            assert ready.wait(30)
            with pytest.raises(IndexBusy, match=f"process {holder.pid}"):
                run(catalog, [folder], workers=0)
            assert main(["--catalog", str(catalog.dir), "index", str(folder)]) == 4
            assert f"being indexed by process {holder.pid}" in capsys.readouterr().err
        finally:
            release.set()
            holder.join(30)
        assert run(catalog, [folder], workers=0)[-1].stage == "index"   # free again


def _hold_index_lock(catalog_dir, ready, release):
    from core.index_lock import exclusive_index

    with exclusive_index(catalog_dir):
        ready.set()
        release.wait(60)


def test_index_summary_in_the_order_things_happen_and_workers_checked(tmp_path, capsys,
                                                                      insightface_images):
    from core.cli import main

    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(insightface_images / "t1.jpg", folder / "t1.jpg")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    noise = np.random.default_rng(0).integers(0, 255, (240, 320, 3), dtype=np.uint8)
    Image.fromarray(noise).save(folder / "noise.png")
    catalog = str(tmp_path / "catalog")
    with pytest.raises(SystemExit):
        main(["--catalog", catalog, "index", str(folder), "--workers", "-1"])
    assert "must be 0 or more" in capsys.readouterr().err
    assert main(["--catalog", catalog, "index", str(folder), "--workers", "0", "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("scan: 3 new")
    assert lines[1].startswith("3 of 3 photos done: 2 indexed with 6 faces, 1 unreadable")
    assert lines[-1].startswith("people: ")
    assert main(["--catalog", catalog, "search", "--photo", str(folder / "noise.png")]) == 0
    assert capsys.readouterr().out.strip() == f"no face found in {folder / 'noise.png'}"


def test_an_unknown_model_pack_is_refused_before_anything_changes(tmp_path, capsys):
    from core.cli import main

    folder = tmp_path / "photos"
    folder.mkdir()
    assert main(["--catalog", str(tmp_path / "catalog"), "index", str(folder),
                 "--model-pack", "no_such_pack"]) == 2
    assert "model pack not found" in capsys.readouterr().err
    assert not (tmp_path / "catalog").exists()


def test_time_left_only_once_the_rate_has_settled(monkeypatch):
    from core import pipeline

    clock = [100.0]
    monkeypatch.setattr(pipeline.time, "monotonic", lambda: clock[0])
    tracker = pipeline._Tracker(total=1000)
    result = pipeline.PhotoResult(photo_id=1)
    for _ in range(12):                     # a fast first second
        tracker.count(result, 1)
        clock[0] += 0.1
    early = tracker.progress()
    assert early.rate is not None and early.eta_s is None
    clock[0] += pipeline.ETA_AFTER_S
    later = tracker.progress()
    assert later.eta_s == pytest.approx((1000 - 12) / later.rate)
