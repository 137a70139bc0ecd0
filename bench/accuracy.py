"""Accuracy of the indexed faces on ../shared/data/faces, against the raw models.

    python bench/accuracy.py [--catalog DIR] [--pairs 3000] [--quick] [--workers W]

1. A catalog made by `faceshelf index <faces>` (created in --catalog when missing; --quick
   indexes a sample of ~500 photos through symlinks instead of all 8,105).
2. Labelled face found: the data set labels one person per photo, the central face. Share of
   photos where a stored face sits in the middle of the picture.
3. Verification: same-person and different-person pairs (default 3000 + 3000, seed 0) drawn from
   the folders; accuracy of a cosine threshold chosen by 10-fold cross-validation (the LFW
   protocol), for the stored embeddings and, on the same pairs, for the raw models used
   insightface FaceAnalysis-style: full-resolution decode, detection at 640x640, norm_crop from
   the original pixels, one face per recognizer call. Pairs use photos where both found the face.
Target: the pipeline loses at most 0.2 points against the raw models.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
FACES = PROJECT.parent / "shared" / "data" / "faces"


def quick_sample(source: Path, target: Path, people: int = 150, seed: int = 0) -> Path:
    """Symlinks to up to 4 photos of `people` people with several photos, plus 100 singles."""
    if target.is_dir():
        return target
    rng = random.Random(seed)
    folders = sorted(p for p in source.iterdir() if p.is_dir())
    many = [f for f in folders if sum(1 for _ in f.iterdir()) >= 2]
    single = [f for f in folders if f not in set(many)]
    chosen = rng.sample(many, min(people, len(many))) + rng.sample(single, min(100, len(single)))
    for folder in chosen:
        (target / folder.name).mkdir(parents=True, exist_ok=True)
        for photo in sorted(folder.iterdir())[:4]:
            os.symlink(photo, target / folder.name / photo.name)
    return target


def ensure_catalog(catalog: Path, photos: Path, workers: int | None) -> None:
    if (catalog / "catalog.sqlite3").exists():
        return
    command = [sys.executable, "-m", "core.cli", "--catalog", str(catalog), "index", str(photos),
               "--no-cluster"]
    if workers is not None:
        command += ["--workers", str(workers)]
    print("indexing:", " ".join(command), flush=True)
    started = time.perf_counter()
    subprocess.run(command, cwd=PROJECT, env=dict(os.environ, PYTHONPATH=str(PROJECT)),
                   check=True)
    print(f"indexed in {time.perf_counter() - started:.0f} s", flush=True)


def central_index(boxes: np.ndarray, width: float, height: float) -> int | None:
    """The face nearest the centre, if it lies in the middle half of the picture."""
    if len(boxes) == 0:
        return None
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    dx, dy = np.abs(cx - width / 2), np.abs(cy - height / 2)
    best = int(np.argmin(dx / width + dy / height))
    return best if dx[best] < width / 4 and dy[best] < height / 4 else None


def stored_faces(catalog: Path) -> tuple[dict[str, np.ndarray], dict]:
    """{photo path: embedding of its labelled face} and counts."""
    conn = sqlite3.connect(catalog / "catalog.sqlite3")
    photos = {r[0]: r[1:] for r in conn.execute(
        "SELECT id, path, width, height, status FROM photos")}
    boxes, vectors = defaultdict(list), defaultdict(list)
    for photo_id, x1, y1, x2, y2, blob in conn.execute(
            "SELECT photo_id, x1, y1, x2, y2, embedding FROM faces"):
        boxes[photo_id].append((x1, y1, x2, y2))
        vectors[photo_id].append(np.frombuffer(blob, np.float32))
    conn.close()
    labelled = {}
    for photo_id, (path, width, height, status) in photos.items():
        if status != "indexed":
            continue
        index = central_index(np.array(boxes[photo_id]).reshape(-1, 4), width, height)
        if index is not None:
            labelled[path] = vectors[photo_id][index]
    counts = {"photos": len(photos),
              "indexed": sum(1 for p in photos.values() if p[3] == "indexed"),
              "errors": sum(1 for p in photos.values() if p[3] == "error")}
    return labelled, counts


def person_of(path: str) -> str:
    return Path(path).parent.name


def draw_pairs(paths: list[str], count: int, seed: int = 0) -> list[tuple[str, str, bool]]:
    rng = random.Random(seed)
    by_person = defaultdict(list)
    for path in sorted(paths):
        by_person[person_of(path)].append(path)
    several = [p for p, items in by_person.items() if len(items) >= 2]
    possible_same = sum(len(by_person[p]) * (len(by_person[p]) - 1) // 2 for p in several)
    same, diff = set(), set()
    while len(same) < min(count, possible_same):
        a, b = rng.sample(by_person[rng.choice(several)], 2)
        same.add((min(a, b), max(a, b)))
    people = list(by_person)
    while len(diff) < count:
        pa, pb = rng.sample(people, 2)
        a, b = rng.choice(by_person[pa]), rng.choice(by_person[pb])
        diff.add((min(a, b), max(a, b)))
    return [(a, b, True) for a, b in sorted(same)] + [(a, b, False) for a, b in sorted(diff)]


def cv_accuracy(similarity: np.ndarray, same: np.ndarray, folds: int = 10,
                seed: int = 0) -> tuple[float, float, float]:
    """(mean accuracy, std, mean threshold): threshold fitted on 9 folds, tested on the 10th."""
    order = np.random.default_rng(seed).permutation(len(similarity))
    parts = np.array_split(order, folds)
    scores, thresholds = [], []
    for k in range(folds):
        test = parts[k]
        train = np.concatenate([parts[j] for j in range(folds) if j != k])
        threshold = best_threshold(similarity[train], same[train])
        scores.append(np.mean((similarity[test] >= threshold) == same[test]))
        thresholds.append(threshold)
    return float(np.mean(scores)), float(np.std(scores)), float(np.mean(thresholds))


def best_threshold(similarity: np.ndarray, same: np.ndarray) -> float:
    order = np.argsort(similarity)
    s, y = similarity[order], same[order].astype(np.int64)
    # Threshold just above s[i]: pairs 0..i say "different", the rest "same".
    correct_below = np.cumsum(1 - y)
    correct_above = y.sum() - np.cumsum(y)
    accuracy = np.concatenate([[y.sum()], correct_below + correct_above])
    i = int(np.argmax(accuracy))
    if i == 0:
        return float(s[0]) - 1e-6
    return float((s[i - 1] + s[i]) / 2) if i < len(s) else float(s[-1]) + 1e-6


def raw_model_faces(paths: list[str]) -> dict[str, np.ndarray]:
    """The insightface FaceAnalysis way: full image, det 640x640, norm_crop, one face a call."""
    import cv2

    from core.faces.model_files import load_models
    from core.scan.decode import decode

    warnings.simplefilter("ignore")  # scikit-image's FutureWarning inside norm_crop
    from insightface.utils import face_align

    # The reference is the models as published: float32 on onnxruntime, whatever the
    # pipeline runs on (bf16 on OpenVINO where the CPU has it).
    models = load_models(threads=os.cpu_count() or 1, backend="onnxruntime")
    result = {}
    for n, path in enumerate(paths):
        image = cv2.imread(path)
        if image is None:  # GIF and friends: any full-resolution decoder will do
            try:
                image = decode(path).bgr
            except Exception:
                continue
        det, kps = models.detector.detect(image, input_size=(640, 640))
        index = central_index(det[:, :4], image.shape[1], image.shape[0])
        if index is not None:
            crop = face_align.norm_crop(image, landmark=kps[index], image_size=112)
            vector = models.recognizer.get_feat([crop])[0]
            result[path] = vector / np.linalg.norm(vector)
        if n % 1000 == 999:
            print(f"  raw models: {n + 1}/{len(paths)}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, help="catalog folder (made when missing)")
    parser.add_argument("--faces", type=Path, default=FACES)
    parser.add_argument("--pairs", type=int, help="same and different pairs each (default 3000)")
    parser.add_argument("--quick", action="store_true", help="a ~500-photo sample, 300 pairs")
    parser.add_argument("--workers", type=int)
    args = parser.parse_args()
    pairs_wanted = args.pairs or (300 if args.quick else 3000)
    base = Path(tempfile.gettempdir()) / "faceshelf-bench"
    photos = args.faces
    if args.quick:
        photos = quick_sample(args.faces, base / "faces-sample")
    catalog = args.catalog or base / ("accuracy-catalog-quick" if args.quick
                                      else "accuracy-catalog")
    ensure_catalog(catalog, photos, args.workers)

    labelled, counts = stored_faces(catalog)
    files = [p for p in photos.rglob("*") if p.is_file() and p.name != "MANIFEST.tsv"]
    print(f"catalog {catalog}: {counts['photos']} photos of {len(files)} files, "
          f"{counts['indexed']} indexed, {counts['errors']} errors")
    started = time.perf_counter()
    raw = raw_model_faces(sorted(labelled.keys() | {str(p) for p in files}))
    from core.faces.openvino_backend import chosen_backend

    print(f"raw models ran in {time.perf_counter() - started:.0f} s (onnxruntime, float32; "
          f"faceshelf index runs on {chosen_backend()} here, FACESHELF_INFERENCE to choose)")
    print(f"labelled face found  pipeline {len(labelled)}/{counts['photos']} "
          f"({len(labelled) / max(counts['photos'], 1):.2%})   raw models (det 640 on the full "
          f"image) {len(raw)}/{len(files)} ({len(raw) / max(len(files), 1):.2%})")

    both = sorted(labelled.keys() & raw.keys())
    pairs = draw_pairs(both, pairs_wanted)
    same = np.array([p[2] for p in pairs])
    ours = np.array([float(labelled[a] @ labelled[b]) for a, b, _ in pairs])
    theirs = np.array([float(raw[a] @ raw[b]) for a, b, _ in pairs])
    acc, std, thr = cv_accuracy(ours, same)
    base_acc, base_std, base_thr = cv_accuracy(theirs, same)
    print(f"pairs                {same.sum()} same + {(~same).sum()} different, from "
          f"{len(both)} photos where both found the labelled face")
    print(f"verification         pipeline {acc:.2%} +- {std:.2%} (threshold {thr:.3f})   "
          f"raw models {base_acc:.2%} +- {base_std:.2%} (threshold {base_thr:.3f})")
    print(f"difference           {100 * (acc - base_acc):+.2f} points (target >= -0.20)")
    agreement = np.array([float(labelled[p] @ raw[p]) for p in both])
    print(f"same photo, pipeline vs raw embedding: mean cosine {agreement.mean():.4f}, "
          f"1st percentile {np.percentile(agreement, 1):.4f}")


if __name__ == "__main__":
    main()
