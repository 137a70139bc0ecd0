import shutil

import numpy as np
import pytest

from core.faces import model_files as models


def test_bundled_pack_verifies_against_manifest():
    pack = models.find_pack()
    assert pack.name == "buffalo_s"
    assert pack.recognizer.name == "w600k_mbf.onnx"
    assert pack.model_id.startswith("buffalo_s/w600k_mbf/")


def test_altered_model_file_is_named_in_error(tmp_path, monkeypatch):
    real = models._bundled_dir()
    fake = tmp_path / "model"
    shutil.copytree(real, fake, ignore=shutil.ignore_patterns("*.jpg", "*.html"))
    with open(fake / "w600k_mbf.onnx", "r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01\x02")
    monkeypatch.setattr(models, "_bundled_dir", lambda: fake)
    with pytest.raises(models.ModelError, match="w600k_mbf.onnx"):
        models.find_pack()
    (fake / "scrfd_500m_bnkps.onnx").unlink()
    with pytest.raises(models.ModelError, match="scrfd_500m_bnkps.onnx"):
        models.find_pack()


def test_unknown_pack_is_a_clear_error():
    with pytest.raises(models.ModelError, match="not found"):
        models.find_pack("no_such_pack_anywhere")


def test_batched_embedding_matches_single_and_has_symbolic_batch(insightface_images):
    import cv2
    from core.faces.align import align_face

    loaded = models.load_models(threads=1)
    out = loaded.recognizer.session.get_outputs()[0]
    assert not isinstance(out.shape[0], int)  # symbolic batch, so no per-call warning
    img = cv2.imread(str(insightface_images / "t1.jpg"))
    det, kps = loaded.detector.detect(img, input_size=(640, 640))
    assert len(det) == 6
    crops = [align_face(img, k) for k in kps]
    batch = loaded.recognizer.get_feat(crops)
    single = loaded.recognizer.get_feat(crops[:1])
    assert batch.shape == (6, 512)
    cos = float(np.dot(batch[0], single[0]) / np.linalg.norm(batch[0]) / np.linalg.norm(single[0]))
    assert cos > 0.999


def test_recognizer_as_run_gives_the_original_numbers_without_prelu(insightface_images):
    """The derived recognizer runs PRelu as Relus (faster); its outputs are the original's."""
    import cv2
    import onnx
    import onnxruntime as ort

    from core.faces import derived

    pack = models.find_pack()
    original = pack.recognizer.read_bytes()
    as_run = derived.recognizer_bytes(original)
    assert "PRelu" not in {node.op_type for node in onnx.load_model_from_string(as_run).graph.node}
    rng = np.random.default_rng(0)
    faces = cv2.resize(cv2.imread(str(insightface_images / "t1.jpg")), (112, 112))
    blob = np.concatenate([
        cv2.dnn.blobFromImages([faces], 1 / 127.5, (112, 112), (127.5,) * 3, swapRB=True),
        rng.uniform(-1, 1, (2, 3, 112, 112)).astype(np.float32)])
    outputs = []
    for model in (original, as_run):
        session = ort.InferenceSession(model, models.session_options(1),
                                       providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        outputs.append(np.concatenate([session.run(None, {name: blob[i:i + 1]})[0]
                                       for i in range(len(blob))]))
    np.testing.assert_array_equal(outputs[0], outputs[1])


def test_inference_backend_comes_from_the_environment(monkeypatch):
    from core.faces import openvino_backend

    monkeypatch.setenv(openvino_backend.BACKEND_ENV, "onnxruntime")
    assert openvino_backend.chosen_backend() == "onnxruntime"
    assert openvino_backend.chosen_backend("OpenVINO") == "openvino"
    monkeypatch.setenv(openvino_backend.BACKEND_ENV, "cuda")
    with pytest.raises(ValueError, match="FACESHELF_INFERENCE"):
        openvino_backend.chosen_backend()
    monkeypatch.delenv(openvino_backend.BACKEND_ENV)
    expected = "openvino" if openvino_backend.bf16_capable() else "onnxruntime"
    assert openvino_backend.chosen_backend() == expected


def test_openvino_finds_the_same_faces_and_embeddings_as_onnxruntime(insightface_images):
    """OpenVINO (bf16 where the CPU has it) against onnxruntime's float32, on a real photo."""
    import cv2
    from core.faces.align import align_face

    img = cv2.imread(str(insightface_images / "t1.jpg"))
    found = {}
    for backend in ("onnxruntime", "openvino"):
        loaded = models.load_models(threads=1, backend=backend)
        assert loaded.backend == backend
        det, kps = loaded.detector.detect(img, input_size=(640, 480))
        order = np.argsort(det[:, 0])
        det, kps = det[order], kps[order]
        vectors = loaded.recognizer.get_feat([align_face(img, k) for k in kps])
        found[backend] = det, kps, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    (det_o, kps_o, vec_o), (det_v, kps_v, vec_v) = found["onnxruntime"], found["openvino"]
    assert len(det_o) == len(det_v) == 6
    widths = (det_o[:, 2] - det_o[:, 0])[:, None]
    assert np.abs(det_v[:, :4] - det_o[:, :4]).max(axis=1).max() < 0.05 * widths.min()
    assert (np.abs(kps_v - kps_o).max(axis=(1, 2)) < 0.05 * widths[:, 0]).all()
    assert np.abs(det_v[:, 4] - det_o[:, 4]).max() < 0.05
    cosines = (vec_v * vec_o).sum(axis=1)
    assert cosines.min() > 0.99, cosines
    # and the people stay apart: each face is nearest to itself across the backends
    assert (np.argmax(vec_v @ vec_o.T, axis=1) == np.arange(6)).all()


def test_models_fall_back_to_onnxruntime_where_openvino_fails(insightface_images, monkeypatch,
                                                              caplog):
    import cv2
    from core.faces import openvino_backend

    def refuse(*args, **kwargs):
        raise RuntimeError("no CPU plugin")

    monkeypatch.setattr(openvino_backend, "OpenVinoSession", refuse)
    loaded = models.load_models(threads=1, backend="openvino")
    assert loaded.backend == "onnxruntime"
    det, kps = loaded.detector.detect(cv2.imread(str(insightface_images / "t1.jpg")),
                                      input_size=(640, 480))
    assert len(det) == 6
    assert "OpenVINO cannot run" in caplog.text
