import shutil
import warnings

import numpy as np
import pytest

from core.faces import models


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
    import onnxruntime as ort
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


def test_recognizer_copy_gives_the_original_numbers_without_prelu(insightface_images):
    """The cached copy runs PRelu as Mul + Max (faster); its outputs are the original's."""
    import cv2
    import onnx
    import onnxruntime as ort

    pack = models.find_pack()
    copy = models.batch_symbolic_copy(pack.recognizer, pack.recognizer_sha256)
    assert "PRelu" not in {node.op_type for node in onnx.load(str(copy)).graph.node}
    rng = np.random.default_rng(0)
    faces = cv2.resize(cv2.imread(str(insightface_images / "t1.jpg")), (112, 112))
    blob = np.concatenate([
        cv2.dnn.blobFromImages([faces], 1 / 127.5, (112, 112), (127.5,) * 3, swapRB=True),
        rng.uniform(-1, 1, (2, 3, 112, 112)).astype(np.float32)])
    outputs = []
    for path in (pack.recognizer, copy):
        session = ort.InferenceSession(str(path), models.session_options(1),
                                       providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        outputs.append(np.concatenate([session.run(None, {name: blob[i:i + 1]})[0]
                                       for i in range(len(blob))]))
    np.testing.assert_array_equal(outputs[0], outputs[1])
