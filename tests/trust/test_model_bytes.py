"""Every model byte that runs is checked: the bytes handed to onnxruntime or OpenVINO are the
ones hashed (or derived in memory from them); altered files are refused, never run."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from core.faces import derived, model_files

BACKENDS = ("onnxruntime", "openvino")


def negate_last_layer(model_bytes: bytes) -> bytes:
    """The tampering that was once accepted from the cache: the last node's weights negated."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load_model_from_string(model_bytes)
    last = model.graph.node[-1]
    # BatchNormalization: scale and bias (negating its variance would give NaNs)
    weights = last.input[1:3] if last.op_type == "BatchNormalization" else last.input[1:]
    for initializer in model.graph.initializer:
        if initializer.name in weights:
            values = numpy_helper.to_array(initializer)
            initializer.CopyFrom(numpy_helper.from_array(-values, initializer.name))
    return model.SerializeToString()


@pytest.fixture(scope="module")
def crops(insightface_images):
    import cv2

    from core.faces.align import align_face

    loaded = model_files.load_models(threads=1, backend="onnxruntime")
    image = cv2.imread(str(insightface_images / "t1.jpg"))
    _, landmarks = loaded.detector.detect(image, input_size=(640, 480))
    return [align_face(image, points) for points in landmarks]


def reference_embeddings(model_bytes: bytes, crops) -> np.ndarray:
    """What a plain onnxruntime session of `model_bytes` gives, as insightface feeds it."""
    import cv2
    import onnxruntime as ort

    session = ort.InferenceSession(model_bytes, model_files.session_options(1),
                                   providers=["CPUExecutionProvider"])
    blob = cv2.dnn.blobFromImages(crops, 1 / 127.5, (112, 112), (127.5,) * 3, swapRB=True)
    name = session.get_inputs()[0].name
    vectors = np.concatenate([session.run(None, {name: blob[i:i + 1]})[0]
                              for i in range(len(blob))])
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def embeddings(loaded, crops) -> np.ndarray:
    vectors = np.asarray(loaded.recognizer.get_feat(crops), dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_tampered_derived_copy_is_discarded_and_never_run(backend, crops, tmp_path,
                                                            monkeypatch, caplog):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    pack = model_files.find_pack()
    original = pack.recognizer.read_bytes()
    tampered = negate_last_layer(derived.recognizer_bytes(original))
    # where earlier versions kept (and ran, unchecked) the derived recognizer
    planted = (model_files.old_derived_copies_dir()
               / f"w600k_mbf.{pack.recognizer_sha256[:16]}.batch2.prelurelu.onnx")
    planted.parent.mkdir(parents=True)
    planted.write_bytes(tampered)
    truth = reference_embeddings(original, crops)
    assert (reference_embeddings(tampered, crops) * truth).sum(axis=1).max() < 0  # it would show

    with caplog.at_level(logging.INFO, logger="core.faces.model_files"):
        loaded = model_files.load_models(threads=1, backend=backend)
    assert loaded.backend == backend
    cosines = (embeddings(loaded, crops) * truth).sum(axis=1)
    assert cosines.min() > 0.99, cosines  # the real model ran (bf16 on OpenVINO: ~0.9999)
    assert not planted.exists()
    assert "does not match the checked original" in caplog.text
    assert str(planted) in caplog.text


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_file_altered_after_the_pack_was_chosen_is_refused_naming_it(backend, tmp_path,
                                                                       monkeypatch):
    """The worker reads and checks the bytes it runs: a file changed between the check in
    the parent and the load in a worker is refused, not run under the trusted model id."""
    copy = tmp_path / "model"
    copy.mkdir()
    real = model_files._bundled_dir()
    for name in ("scrfd_500m_bnkps.onnx", "w600k_mbf.onnx"):
        shutil.copy(real / name, copy / name)
    monkeypatch.setattr(model_files, "_bundled_dir", lambda: copy)
    pack = model_files.find_pack()
    for name, damage in (("w600k_mbf.onnx", negate_last_layer),
                         ("scrfd_500m_bnkps.onnx", lambda data: data[:-1] + b"\x00")):
        good = (copy / name).read_bytes()
        (copy / name).write_bytes(damage(good))
        with pytest.raises(model_files.ModelError, match=f"model file altered: .*{name}"):
            model_files.load_models(pack, threads=1, backend=backend)
        (copy / name).unlink()
        with pytest.raises(model_files.ModelError, match=f"model file missing: .*{name}"):
            model_files.load_models(pack, threads=1, backend=backend)
        (copy / name).write_bytes(good)
    assert model_files.load_models(pack, threads=1, backend=backend).backend == backend


def test_the_manifest_lists_exactly_the_files_that_are_read(tmp_path):
    """Load both backends and detect at two sizes in a fresh process that records every file
    opened: of the model folder, only the manifest's files are read, and nothing from a
    cache of derived models."""
    script = textwrap.dedent("""
        import json, sys
        opened = []
        sys.addaudithook(lambda event, args: opened.append(str(args[0]))
                         if event == "open" and isinstance(args[0], (str, bytes)) else None)
        import cv2
        from core.faces import model_files
        image = cv2.imread(sys.argv[1])
        for backend in ("onnxruntime", "openvino"):
            loaded = model_files.load_models(threads=1, backend=backend)
            for size in ((640, 480), (480, 640)):
                loaded.detector.detect(image, input_size=size)
        print(json.dumps(opened))
    """)
    import json
    import os

    from tests.conftest import PROJECT

    images = __import__("importlib.util").util.find_spec("insightface")
    t1 = os.path.join(list(images.submodule_search_locations)[0], "data", "images", "t1.jpg")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    result = subprocess.run([sys.executable, "-c", script, t1], cwd=PROJECT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    opened = json.loads(result.stdout.strip().splitlines()[-1])
    folder = str(model_files._bundled_dir())
    from_pack = {os.path.basename(path) for path in opened if path.startswith(folder)}
    assert from_pack == set(json.loads(model_files.MANIFEST.read_text())["files"])
    assert not [path for path in opened if path.endswith(".onnx") and not path.startswith(folder)]


def test_a_user_pack_is_hashed_and_its_hash_is_the_model_id_of_its_faces(tmp_path,
                                                                         insightface_images):
    """--model-pack DIR: both files hashed when chosen; the recognizer's hash is in the
    model_id stored with every face it made; a file changed afterwards is refused."""

    from core.cli import main

    pack = tmp_path / "mypack"
    pack.mkdir()
    real = model_files._bundled_dir()
    shutil.copy(real / "scrfd_500m_bnkps.onnx", pack / "det_500m.onnx")
    shutil.copy(real / "w600k_mbf.onnx", pack / "w600k_mbf.onnx")
    (pack / "2d106det.onnx").write_bytes(b"not a model: never read")
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(insightface_images / "t1.jpg", photos / "t1.jpg")
    catalog = str(tmp_path / "catalog")
    assert main(["--catalog", catalog, "index", str(photos), "--workers", "0", "--quiet",
                 "--no-cluster", "--model-pack", str(pack)]) == 0
    chosen = model_files.find_pack(str(pack))
    expected = f"mypack/w600k_mbf/{model_files.sha256_of(pack / 'w600k_mbf.onnx')[:12]}"
    assert chosen.model_id == expected
    assert chosen.detector_sha256 == model_files.sha256_of(pack / "det_500m.onnx")
    from core.catalog import Catalog

    with Catalog(tmp_path / "catalog") as cat:
        ids = {row[0] for row in cat.execute("SELECT model_id FROM faces")}
    assert ids == {expected}
    (pack / "w600k_mbf.onnx").write_bytes(negate_last_layer((pack / "w600k_mbf.onnx").read_bytes()))
    with pytest.raises(model_files.ModelError, match="w600k_mbf.onnx"):
        model_files.load_models(chosen, threads=1, backend="onnxruntime")


@pytest.mark.parametrize("backend", BACKENDS)
def test_nothing_reads_a_model_file_again_after_it_was_checked(backend, crops, tmp_path,
                                                               monkeypatch, insightface_images):
    """Each file is altered on disk the moment it has been read and checked: loading, then
    detecting at several input sizes (each makes a session) and embedding must still give the
    real model's results, so every session runs the checked bytes, none re-reads the file
    (which native code could do unseen by any Python-level check)."""
    import cv2

    copy = tmp_path / "model"
    copy.mkdir()
    real = model_files._bundled_dir()
    for name in ("scrfd_500m_bnkps.onnx", "w600k_mbf.onnx"):
        shutil.copy(real / name, copy / name)
    monkeypatch.setattr(model_files, "_bundled_dir", lambda: copy)
    pack = model_files.find_pack()
    checked = model_files.read_checked

    def read_then_alter(path, sha256, remedy):
        data = checked(path, sha256, remedy)
        damaged = negate_last_layer(data) if path.name == "w600k_mbf.onnx" else b"\0" * len(data)
        path.write_bytes(damaged)
        return data

    monkeypatch.setattr(model_files, "read_checked", read_then_alter)
    loaded = model_files.load_models(pack, threads=1, backend=backend)
    image = cv2.imread(str(insightface_images / "t1.jpg"))
    for size in ((640, 480), (480, 640), (320, 320)):
        det, _ = loaded.detector.detect(image, input_size=size)
        assert len(det) == 6, size
    truth = reference_embeddings((real / "w600k_mbf.onnx").read_bytes(), crops)
    assert (embeddings(loaded, crops) * truth).sum(axis=1).min() > 0.99
    assert (copy / "scrfd_500m_bnkps.onnx").read_bytes()[:16] == b"\0" * 16  # it was altered
