"""Tagged regions onto faces: match each region to a detected face, or make a face of it.

Matching is in the displayed photo, in full-resolution pixels. Tagging programs draw their
boxes their own way (digiKam's hug the face, Lightroom's and Apple's take in hair and chin,
the detector's sit between), so a region matches a detected face when they overlap enough
(IoU >= MATCH_IOU) or when each one's centre lies inside the other; regions take faces
greedily, best overlap first, one face per region.

A region with no detected face becomes a face of its own, embedded with the real recognizer:
the detector is run again on the region's neighbourhood (a lower threshold: the user says a
face is there) and its landmarks are used when it finds a face inside the region; otherwise
the landmarks are placed where the ArcFace template expects them in the region's box.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ..faces.align import ARCFACE_TEMPLATE, CROP_SIZE, align_face
from ..faces.analyzer import MIN_USABLE_SIZE, DetectedFace, quality_score

log = logging.getLogger(__name__)

MATCH_IOU = 0.3
CROP_MARGIN = 0.6          # the detector sees the region grown by this much on every side
REGION_DET_THRESH = 0.3


@dataclass
class RegionMatch:
    region: int                # index in the regions list
    face: int                  # index in the faces list (detected, then created)
    created: bool              # True: the face was made from the region


def pixel_box(box, size) -> tuple[float, float, float, float]:
    width, height = size
    return (box[0] * width, box[1] * height, box[2] * width, box[3] * height)


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _inside(point, box) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def _centre(box):
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def match_score(region_px, face_box) -> float:
    """> 0 when they are the same face; higher is a better match."""
    overlap = iou(region_px, face_box)
    if overlap >= MATCH_IOU:
        return overlap
    if _inside(_centre(face_box), region_px) and _inside(_centre(region_px), face_box):
        return max(overlap, 0.01)
    return 0.0


def match_regions(region_boxes_px: list, face_boxes: list) -> dict[int, int]:
    """{region index: face index}, one face per region, best overlap first."""
    pairs = sorted(((match_score(r, f), i, j) for i, r in enumerate(region_boxes_px)
                    for j, f in enumerate(face_boxes)), reverse=True)
    matched: dict[int, int] = {}
    taken: set[int] = set()
    for score, i, j in pairs:
        if score <= 0:
            break
        if i in matched or j in taken:
            continue
        matched[i] = j
        taken.add(j)
    return matched


def template_landmarks(box) -> np.ndarray:
    """Where ArcFace's template puts the eyes, nose and mouth, scaled into a square around the
    centre of `box` (the template fills a 112 px square; the box is taken as that square)."""
    x1, y1, x2, y2 = box
    side = max(x2 - x1, y2 - y1)
    cx, cy = _centre(box)
    points = (ARCFACE_TEMPLATE / CROP_SIZE - 0.5) * side
    return (points + np.array([cx, cy])).astype(np.float32)


def face_from_region(analyzer, detail, region_px) -> DetectedFace:
    """A face embedded from the region (full-resolution displayed pixels) of `detail`
    (a DecodedImage at detail.scale)."""
    x1, y1, x2, y2 = region_px
    landmarks, det_score = _landmarks_in_region(analyzer, detail, region_px)
    if landmarks is None:
        landmarks = template_landmarks(region_px)
    crop = align_face(detail.bgr, landmarks, detail.scale)
    embedding = analyzer.embed_crops([crop])[0]
    size = float(min(x2 - x1, y2 - y1))
    return DetectedFace(box=(float(x1), float(y1), float(x2), float(y2)), landmarks=landmarks,
                        det_score=det_score, size=size,
                        quality=quality_score(max(det_score, 0.6), size, landmarks),
                        usable=size >= MIN_USABLE_SIZE, embedding=embedding)


def _landmarks_in_region(analyzer, detail, region_px):
    x1, y1, x2, y2 = region_px
    grow_x, grow_y = (x2 - x1) * CROP_MARGIN, (y2 - y1) * CROP_MARGIN
    scale = detail.scale
    height, width = detail.bgr.shape[:2]
    cx1 = int(max(0, (x1 - grow_x) * scale))
    cy1 = int(max(0, (y1 - grow_y) * scale))
    cx2 = int(min(width, (x2 + grow_x) * scale + 1))
    cy2 = int(min(height, (y2 + grow_y) * scale + 1))
    if cx2 - cx1 < 8 or cy2 - cy1 < 8:
        return None, 0.0
    crop = np.ascontiguousarray(detail.bgr[cy1:cy2, cx1:cx2])
    threshold = analyzer.det_thresh
    try:
        analyzer.det_thresh = min(threshold, REGION_DET_THRESH)
        det, kps = analyzer._detect(crop)
    except Exception as error:   # the region's face is still made, from the template
        log.warning("detector on a tagged region failed: %s", error)
        return None, 0.0
    finally:
        analyzer.det_thresh = threshold
    best, best_score = None, 0.0
    for found, points in zip(det, kps):
        box = (found[:4] + np.array([cx1, cy1, cx1, cy1])) / scale
        if not _inside(_centre(box), region_px):
            continue
        if iou(box, region_px) < 0.1 and not _inside(_centre(region_px), box):
            continue
        if found[4] > best_score:
            best = ((points + np.array([cx1, cy1])) / scale).astype(np.float32)
            best_score = float(found[4])
    return best, best_score


def faces_for_regions(analyzer, detail, size, faces: list, regions: list
                      ) -> tuple[list[RegionMatch], list[DetectedFace]]:
    """Match `regions` (normalised, displayed frame) to `faces` (DetectedFace or anything with
    .box in full-resolution pixels); make faces for the others (needs `analyzer` and `detail`;
    with analyzer None they are left out). Returns (matches, new faces); a created face's
    index is len(faces) + its position in the new list."""
    boxes = [pixel_box(r.box, size) for r in regions]
    matched = match_regions(boxes, [f.box for f in faces])
    matches = [RegionMatch(i, j, False) for i, j in matched.items()]
    created: list[DetectedFace] = []
    if analyzer is not None:
        for i, box in enumerate(boxes):
            if i in matched:
                continue
            try:
                created.append(face_from_region(analyzer, detail, box))
            except Exception as error:   # record, go on: one region must not fail a photo
                log.warning("cannot embed a tagged region: %s", error)
                continue
            matches.append(RegionMatch(i, len(faces) + len(created) - 1, True))
    return sorted(matches, key=lambda m: m.region), created
