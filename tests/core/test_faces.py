"""Alignment and the face analyzer, on real photos with the real models."""

from __future__ import annotations

import numpy as np
import pytest

from core.faces.align import ARCFACE_TEMPLATE, align_face, similarity_transform
from core.faces.analyzer import DetectedFace, detector_input_size, pose_score, quality_score


def test_similarity_transform_recovers_a_known_transform():
    angle, scale, shift = 0.3, 2.5, np.array([40.0, -12.0])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    src = (ARCFACE_TEMPLATE - shift) @ np.linalg.inv(scale * rotation).T
    matrix = similarity_transform(src)
    mapped = src @ matrix[:, :2].T + matrix[:, 2]
    assert np.allclose(mapped, ARCFACE_TEMPLATE, atol=1e-6)


def test_align_face_uses_landmarks_at_image_scale(insightface_images, face_analyzer):
    import cv2

    full = cv2.imread(str(insightface_images / "t1.jpg"))
    det, kps = face_analyzer.models.detector.detect(full, input_size=(640, 448))
    half = cv2.resize(full, (full.shape[1] // 2, full.shape[0] // 2), interpolation=cv2.INTER_AREA)
    crops_full = [align_face(full, points) for points in kps]
    crops_half = [align_face(half, points, 0.5) for points in kps]
    a, b = face_analyzer.embed_crops(crops_full), face_analyzer.embed_crops(crops_half)
    assert a.shape == (6, 512) and np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    assert (np.sum(a * b, axis=1) > 0.9).all()  # same faces whichever scale they came from


def test_detector_input_follows_the_aspect_ratio():
    assert detector_input_size(1000, 750, 640) == (640, 480)
    assert detector_input_size(750, 1000, 640) == (480, 640)
    assert detector_input_size(1000, 1000, 640) == (640, 640)
    assert detector_input_size(1600, 900, 640) == (640, 384)


def test_pose_and_quality_prefer_frontal_big_confident_faces():
    frontal = ARCFACE_TEMPLATE.astype(np.float32)
    profile = frontal.copy()
    profile[2, 0] = frontal[1, 0] + 3  # nose beyond the right eye
    assert pose_score(frontal) > 0.9 > 0.2 > pose_score(profile)
    assert quality_score(0.9, 150, frontal) > quality_score(0.9, 40, frontal)
    assert quality_score(0.9, 150, frontal) > quality_score(0.55, 150, frontal)
    assert quality_score(0.9, 150, frontal) > quality_score(0.9, 150, profile)


def test_analyze_file_finds_the_six_faces_of_t1(insightface_images, face_analyzer):
    metadata, image, faces = face_analyzer.analyze_file(insightface_images / "t1.jpg")
    assert image.full_size == (1280, 886)
    assert len(faces) == 6
    for face in faces:
        assert isinstance(face, DetectedFace)
        x1, y1, x2, y2 = face.box
        assert 0 <= x1 < x2 <= 1280 and 0 <= y1 < y2 <= 886
        assert face.size == pytest.approx(min(x2 - x1, y2 - y1))
        assert (face.landmarks[:, 0] > x1).all() and (face.landmarks[:, 0] < x2).all()
        assert face.embedding.dtype == np.float32 and face.embedding.shape == (512,)
        assert np.linalg.norm(face.embedding) == pytest.approx(1, abs=1e-5)
        assert 0 <= face.quality <= 1 and face.usable


def test_small_faces_are_aligned_from_a_finer_decode(tmp_path, insightface_images,
                                                      face_analyzer):
    """t1 pasted small into a 12 MP canvas: detection runs on the 1/4 decode, crops come from
    1/2, and the embeddings stay close to those of the original photo."""
    from PIL import Image

    original = face_analyzer.analyze_file(insightface_images / "t1.jpg").faces
    canvas = Image.new("RGB", (4000, 3000), (90, 110, 100))
    canvas.paste(Image.open(insightface_images / "t1.jpg").resize((1920, 1329)), (700, 500))
    path = tmp_path / "big.jpg"
    canvas.save(path, quality=92)
    analyzed = face_analyzer.analyze_file(path)
    assert analyzed.image.scale == 0.25 and analyzed.detail.scale == 0.5
    assert len(analyzed.faces) == 6
    for face in analyzed.faces:
        assert 140 < face.size < 190
        best = max(float(face.embedding @ o.embedding) for o in original)
        assert best > 0.8


def test_tiny_portraits_are_found(tmp_path, insightface_images, face_analyzer):
    """LFW-style 150x150 crops and a face filling a 40x48 thumbnail."""
    from PIL import Image

    faces = face_analyzer.analyze_file(insightface_images / "t1.jpg").faces
    big = max(faces, key=lambda f: f.size)
    x1, y1, x2, y2 = big.box
    photo = Image.open(insightface_images / "t1.jpg")
    cx, cy, side = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) * 2.5
    portrait = photo.crop((int(cx - side / 2), int(cy - side / 2),
                           int(cx + side / 2), int(cy + side / 2))).resize((150, 150))
    portrait.save(tmp_path / "portrait.jpg")
    tight = photo.crop((int(x1), int(y1), int(x2), int(y2))).resize((40, 48))
    tight.save(tmp_path / "tight.png")
    for name in ("portrait.jpg", "tight.png"):
        found = face_analyzer.analyze_file(tmp_path / name).faces
        assert len(found) == 1, name
        assert float(found[0].embedding @ big.embedding) > 0.5, name
