"""Synthetic 12-megapixel photos made of real faces, for the indexing benchmarks.

Each photo is a 4000x3000 JPEG (q90): a smooth, textured background (so the JPEG costs what a
real photo costs to decode) with 1-6 photos from ../shared/data/faces pasted on it at sizes that
put the face between 100 and 600 px, a quarter of them 100-300 px. A manifest records where each
face was placed, so a benchmark can count the faces found.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import cv2
import numpy as np

SHARED_FACES = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces"
WIDTH, HEIGHT = 4000, 3000
FACE_FRACTION = 0.42   # an LFW face box is about this share of its 150x150 photo


def portrait_files(root: Path = SHARED_FACES) -> list[Path]:
    return sorted(root.glob("*/lfw__*.jpg"))


def _background(rng: np.random.Generator) -> np.ndarray:
    small = rng.integers(30, 220, size=(12, 16, 3), dtype=np.uint8)
    image = cv2.resize(small, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    noise = rng.integers(-12, 13, size=(HEIGHT // 4, WIDTH // 4, 3), dtype=np.int16)
    noise = cv2.resize(noise.astype(np.float32), (WIDTH, HEIGHT), interpolation=cv2.INTER_NEAREST)
    return np.clip(image.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def _face_size(rng: random.Random) -> int:
    return rng.randint(100, 300) if rng.random() < 0.25 else rng.randint(300, 600)


def make_photo(rng: random.Random, portraits: list[Path], count: int) -> tuple[np.ndarray, list]:
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    canvas = _background(nrng)
    placed, taken = [], []
    for _ in range(count):
        face = _face_size(rng)
        side = int(face / FACE_FRACTION)
        for _attempt in range(30):
            x, y = rng.randrange(0, WIDTH - side), rng.randrange(0, HEIGHT - side)
            if all(x + side < a or a + s < x or y + side < b or b + s < y for a, b, s in taken):
                break
        else:
            continue
        source = rng.choice(portraits)
        tile = cv2.imread(str(source))
        if tile is None:
            continue
        canvas[y:y + side, x:x + side] = cv2.resize(tile, (side, side),
                                                    interpolation=cv2.INTER_CUBIC)
        taken.append((x, y, side))
        placed.append({"source": str(source), "region": [x, y, x + side, y + side],
                       "face_px": face})
    return canvas, placed


def make_library(folder: Path, count: int, *, seed: int = 7) -> dict:
    """Write `count` photos into `folder` (kept if already there) and return the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder.parent / f"{folder.name}.manifest.json"  # beside, not inside
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if len(manifest) >= count:
            return {k: manifest[k] for k in sorted(manifest)[:count]}
    portraits = portrait_files()
    if not portraits:
        raise SystemExit(f"no portraits under {SHARED_FACES}")
    rng = random.Random(seed)
    manifest = {}
    for n in range(count):
        canvas, placed = make_photo(rng, portraits, rng.randint(1, 6))
        name = f"synth_{n:05d}.jpg"
        cv2.imwrite(str(folder / name), canvas, [cv2.IMWRITE_JPEG_QUALITY, 90])
        manifest[name] = placed
    manifest_path.write_text(json.dumps(manifest))
    return manifest


def faces_found(manifest: dict, boxes_by_name: dict[str, list]) -> tuple[int, int]:
    """(placed faces with a detected box centred in their pasted photo's middle, placed)."""
    found = placed = 0
    for name, faces in manifest.items():
        boxes = boxes_by_name.get(name, [])
        for face in faces:
            placed += 1
            x1, y1, x2, y2 = face["region"]
            mx, my = (x2 - x1) * 0.25, (y2 - y1) * 0.25
            found += any(x1 + mx < (b[0] + b[2]) / 2 < x2 - mx and
                         y1 + my < (b[1] + b[3]) / 2 < y2 - my for b in boxes)
    return found, placed
