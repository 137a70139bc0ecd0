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
