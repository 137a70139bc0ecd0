"""5-point similarity alignment to the ArcFace 112x112 template.

insightface's `norm_crop` does the same through scikit-image (slow import, FutureWarning); a
5-point Umeyama fit in numpy is a few microseconds.
"""

from __future__ import annotations

import cv2
import numpy as np

CROP_SIZE = 112

# Where ArcFace expects the eyes, nose tip and mouth corners in a 112x112 crop.
ARCFACE_TEMPLATE = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
     [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float64)


def similarity_transform(src: np.ndarray, dst: np.ndarray = ARCFACE_TEMPLATE) -> np.ndarray:
    """The 2x3 rotation+uniform scale+translation mapping `src` points onto `dst` (least squares,
    Umeyama 1991 without reflection), as scikit-image's SimilarityTransform.estimate."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    cov = dst_c.T @ src_c / len(src)
    u, s, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(cov) < 0:
        d[1] = -1
    rotation = u @ np.diag(d) @ vt
    src_var = (src_c ** 2).sum() / len(src)
    scale = (s * d).sum() / src_var if src_var > 0 else 1.0
    matrix = np.empty((2, 3), dtype=np.float64)
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - scale * rotation @ src_mean
    return matrix


def align_face(image: np.ndarray, landmarks: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """The 112x112 aligned crop of one face.

    `landmarks` are (5, 2) in full-resolution pixels; `image` is that picture at `scale`
    (0.25 for a 1/4 decode), so the points are scaled to the image before fitting.
    """
    points = np.asarray(landmarks, dtype=np.float64) * scale
    matrix = similarity_transform(points)
    return cv2.warpAffine(image, matrix, (CROP_SIZE, CROP_SIZE), flags=cv2.INTER_LINEAR,
                          borderValue=0.0)


def align_faces(image: np.ndarray, landmarks: list[np.ndarray] | np.ndarray,
                scale: float = 1.0) -> list[np.ndarray]:
    return [align_face(image, points, scale) for points in landmarks]
