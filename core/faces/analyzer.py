"""Faces of one photo: detect on a reduced decode, align from enough resolution, embed in a batch.

Speed comes from detecting on the DCT-scaled decode (1/4 of a 12 MP JPEG: ~28 ms instead of
~70 ms) with the detector input shaped like the photo (640x480, not a padded 640x640). Accuracy
comes from aligning each face from an image where it is at least `ALIGN_SOURCE_MIN_PX` wide:
a face of 150 px in the full frame is 37 px in the 1/4 decode and its embedding drifts (cosine
0.88 to the full-resolution one); such photos are decoded again at 1/2 scale, and only those.

`analyze_file` reads the file once (decode.read_photo_bytes): the metadata, the decode and the
detail decode all come from those bytes, and they are handed on (`AnalyzedPhoto.data`) for the
face tags embedded in the file. It used to be opened 3 times per photo (4 for a big JPEG).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from .align import align_face

log = logging.getLogger(__name__)

# A face must be at least this wide (box px) in the image it is aligned from; below it the
# photo is decoded again at 1/2 scale. Cosine to the embedding aligned from the full-resolution
# decode, faces pasted into 12 MP photos (mean over ~30 faces per size):
#   face px in the 12 MP frame   80     100    130    160    200    250    300
#   aligned from the 1/4 decode  0.725  0.804  0.904  0.947  0.973  0.982  0.989
#   aligned from the 1/2 decode  0.961  0.979  0.990  0.994  0.996  0.997  0.998
# so faces under 200 px (50 px in the 1/4 decode) take the second decode.
ALIGN_SOURCE_MIN_PX = 50
# Faces smaller than this (full-resolution px) are stored but not clustered. bench/face_size.py
# (1,997 LFW portraits shrunk so the face is S px, 600+600 pairs, 10-fold CV):
#   face px    16     20     24     28     32     full
#   accuracy   97.00  98.33  98.83  99.25  99.42  99.42 %
# Identity is intact from ~30 px and degrades gently to 20 px, then faster (16 px: -2.4 points).
# The clustering is precision-first and leaves doubtful faces unassigned, so 16 px faces are
# still worth offering to it: on ../shared/data/faces (bench/cluster_quality.py) a 16 px bar
# lets the 400 whole-portrait ORL crops (17-20 px faces) join their people, BCubed recall
# 0.943 -> 0.985 with precision unchanged (0.9984, the same 9 label-noise groups). Below
# 16 px verification falls off quickly.
MIN_USABLE_SIZE = 16
# Detections below this score are stored but not clustered: on the faces data set they are
# almost all faces cut by the picture's edge (bystanders in LFW crops).
MIN_USABLE_SCORE = 0.6
# Small images are not blown up to the detector's 640 input: SCRFD misses faces that fill
# most of its input (40 ORL 23x28 crops: 0/40 found at 640, 40/40 at 320 with padding). The
# input is twice the image (at least SMALL_IMAGE_PX, at most det_size), and images below
# SMALL_IMAGE_PX get a border so a face filling the picture keeps some context. On 3,998
# photos of ../shared/data/faces (1500+1500 pairs): labelled face found in 3,993 (plain 640:
# 3,774); verification 99.82% on the pairs both found (plain 640: 99.68%, 1x image: 99.75%).
SMALL_IMAGE_PX = 320
DEFAULT_DET_THRESH = 0.5


@dataclass
class DetectedFace:
    box: tuple[float, float, float, float]   # x1, y1, x2, y2 in oriented full-resolution pixels
    landmarks: np.ndarray                    # (5, 2) float32, oriented full-resolution pixels
    det_score: float
    size: float                              # min(box width, height), full-resolution pixels
    quality: float                           # 0..1, higher is better
    usable: bool                             # False: too small or too poor to cluster
    embedding: np.ndarray                    # (512,) float32, L2-normalised


@dataclass
class AnalyzedPhoto:
    """What `analyze_file` found. Unpacks as (metadata, image, faces)."""
    metadata: object                         # core.scan.metadata.PhotoMetadata
    image: object                            # DecodedImage the faces were detected on
    detail: object                           # DecodedImage the crops came from (may be `image`)
    faces: list[DetectedFace]
    data: bytes | None = None                # the file's bytes (None: too big to hold, re-read)

    def __iter__(self) -> Iterator:
        return iter((self.metadata, self.image, self.faces))


def detector_input_size(width: int, height: int, det_size: int) -> tuple[int, int]:
    """Detector input (w, h) with the long side `det_size` and the photo's aspect ratio, both
    multiples of 32 (the largest stride), so no time goes into detecting on padding."""
    if width >= height:
        return det_size, min(det_size, 32 * math.ceil(det_size * height / width / 32))
    return min(det_size, 32 * math.ceil(det_size * width / height / 32)), det_size


def pose_score(landmarks: np.ndarray) -> float:
    """1 for a frontal face, towards 0 for a profile or a strongly tilted-up/down one.

    Measured in the frame of the eye line (roll does not matter): the nose should sit halfway
    between the eyes, and below them by half the eye-to-mouth distance (ArcFace template).
    """
    left_eye, right_eye, nose, mouth_left, mouth_right = landmarks.astype(np.float64)
    axis = right_eye - left_eye
    eye_dist = float(np.hypot(*axis))
    if eye_dist < 1e-6:
        return 0.0
    axis /= eye_dist
    normal = np.array([-axis[1], axis[0]])
    yaw = float(np.dot(nose - left_eye, axis)) / eye_dist          # 0.5 when frontal
    mouth_depth = float(np.dot((mouth_left + mouth_right) / 2 - left_eye, normal))
    if mouth_depth <= 1e-6:
        return 0.0
    pitch = float(np.dot(nose - left_eye, normal)) / mouth_depth    # 0.5 in the template
    yaw_score = max(0.0, 1.0 - 2.0 * abs(yaw - 0.5))
    pitch_score = max(0.0, 1.0 - 2.5 * abs(pitch - 0.5))
    return yaw_score * pitch_score


def quality_score(det_score: float, size: float, landmarks: np.ndarray) -> float:
    """Detection confidence x size (saturating at 112 px, the crop size) x frontality."""
    confidence = min(1.0, max(0.0, (det_score - 0.3) / 0.5))
    sharpness = min(1.0, max(0.0, (size - MIN_USABLE_SIZE / 2) / (112 - MIN_USABLE_SIZE / 2)))
    return round(confidence * sharpness * (0.3 + 0.7 * pose_score(landmarks)), 4)


class FaceAnalyzer:
    """Detector + recognizer of one model pack. Not thread-safe: one per worker."""

    def __init__(self, pack=None, *, threads: int = 1, det_size: int = 640,
                 det_thresh: float = DEFAULT_DET_THRESH,
                 providers: tuple[str, ...] = ("CPUExecutionProvider",),
                 backend: str | None = None) -> None:
        from .model_files import load_models

        # (a name or folder is found there; providers/backend: a cluster worker's choice,
        # core/remote/providers.py)
        self.models = load_models(pack, threads=threads, providers=providers, backend=backend)
        self.model_id: str = self.models.model_id
        self.det_size = det_size
        self.det_thresh = det_thresh

    # -- detection ------------------------------------------------------------------------
    def _detect(self, bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(det[n, 5], kps[n, 5, 2]) in the pixels of `bgr`."""
        height, width = bgr.shape[:2]
        pad = 0
        if max(width, height) < SMALL_IMAGE_PX:
            pad = max(width, height) // 4
            bgr = cv2.copyMakeBorder(bgr, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
            height, width = bgr.shape[:2]
        long_side = max(width, height)
        det_size = min(self.det_size, max(SMALL_IMAGE_PX, 32 * math.ceil(2 * long_side / 32)))
        input_size = detector_input_size(width, height, det_size)
        det, kps = self.models.detector.detect(bgr, input_size=input_size,
                                               det_thresh=self.det_thresh)
        if kps is None:
            raise RuntimeError("the detector gives no landmarks; alignment needs them")
        if pad:
            det[:, :4] -= pad
            kps -= pad
        return det, kps

    # -- embedding ------------------------------------------------------------------------
    def embed_crops(self, crops: list[np.ndarray]) -> np.ndarray:
        """L2-normalised embeddings [n, 512] of aligned 112x112 BGR crops, one batched call.

        One call per photo. Batching across photos was measured and does not pay with one
        intra-op thread: 18.5 ms of CPU per face at batch 1, 18.9 at 4, 20.3 at 16.
        """
        if not crops:
            return np.empty((0, 512), dtype=np.float32)
        vectors = np.asarray(self.models.recognizer.get_feat(crops), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    # -- whole photos ---------------------------------------------------------------------
    def analyze_image(self, decoded, path=None) -> list[DetectedFace]:
        return self._analyze(decoded, path)[0]

    def analyze_file(self, path) -> AnalyzedPhoto:
        """Metadata, the reduced decode and the faces of one file (raises DecodeError)."""
        from core.scan.decode import decode_with_detail, read_photo_bytes
        from core.scan.metadata import read_metadata

        data = read_photo_bytes(path)  # the one open of the file
        metadata = read_metadata(path, data=data)
        # Big JPEGs come with their 2x decode, for one decode's cost (see decode_with_detail).
        decoded, finer = decode_with_detail(path, min_long_side=self.det_size, data=data)
        faces, detail = self._analyze(decoded, path, finer, data)
        return AnalyzedPhoto(metadata=metadata, image=decoded, detail=detail, faces=faces,
                             data=data)

    def _analyze(self, decoded, path, finer=None,
                 data: bytes | None = None) -> tuple[list[DetectedFace], object]:
        det, kps = self._detect(decoded.bgr)
        if len(det) == 0:
            return [], decoded
        scale = decoded.scale
        boxes = det[:, :4] / scale                      # full-resolution oriented pixels
        landmarks = (kps / scale).astype(np.float32)
        sizes = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
        detail = self._detail_image(decoded, path, float(sizes.min()), finer, data)
        crops = [align_face(detail.bgr, points, detail.scale) for points in landmarks]
        embeddings = self.embed_crops(crops)
        faces = []
        for (x1, y1, x2, y2), score, points, size, vector in zip(
                boxes, det[:, 4], landmarks, sizes, embeddings):
            score, size = float(score), float(size)
            faces.append(DetectedFace(
                box=(float(x1), float(y1), float(x2), float(y2)), landmarks=points,
                det_score=score, size=size, quality=quality_score(score, size, points),
                usable=size >= MIN_USABLE_SIZE and score >= MIN_USABLE_SCORE,
                embedding=vector))
        return faces, detail

    def _detail_image(self, decoded, path, smallest_face: float, finer=None,
                      data: bytes | None = None):
        """`decoded`, or the photo at 1/2 scale when its smallest face is under
        ALIGN_SOURCE_MIN_PX there (1/2 is as good as full resolution, measured): `finer`
        when the decoder already made it at >= 1/2, else a second decode."""
        if decoded.scale >= 0.5 or smallest_face * decoded.scale >= ALIGN_SOURCE_MIN_PX:
            return decoded
        if finer is not None and finer.scale >= 0.5 - 1e-6:
            return finer
        if path is None:
            return decoded
        from core.scan.decode import decode

        long_side = math.ceil(max(decoded.full_size) / 2)
        try:
            return decode(path, min_long_side=long_side, data=data)
        except Exception as error:  # the first decode worked; keep its faces
            log.warning("re-decoding %s at higher resolution failed: %s", path, error)
            return decoded
