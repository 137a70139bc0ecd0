"""How small can a face be and still be recognised? Chooses analyzer.MIN_USABLE_SIZE.

    python bench/face_size.py [--pairs 1000] [--quick]

LFW-style portraits from ../shared/data/faces are shrunk so that the face box is S pixels
(S = 16 ... 64, and the original size), run through FaceAnalyzer like any photo, and the
same/different-person pairs are verified with a 10-fold cross-validated threshold. Printed per
S: share of faces still detected, verification accuracy on the pairs where both were found.
Faces below the size where accuracy falls clearly under the full-size figure are stored but
flagged unusable, so that clustering never groups on them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(PROJECT), str(PROJECT / "bench")]

from accuracy import FACES, central_index, cv_accuracy, draw_pairs  # noqa: E402

SIZES = (16, 20, 24, 28, 32, 40, 48, 64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, help="same and different pairs each (default 1000)")
    parser.add_argument("--quick", action="store_true", help="200 pairs each")
    args = parser.parse_args()
    count = args.pairs or (200 if args.quick else 1000)

    from core.faces.analyzer import MIN_USABLE_SIZE, FaceAnalyzer
    from core.scan.decode import DecodedImage, decode

    analyzer = FaceAnalyzer(threads=2)
    portraits = sorted(str(p) for p in FACES.glob("*/lfw__*.jpg"))
    pairs = draw_pairs(portraits, count)
    photos = sorted({p for a, b, _ in pairs for p in (a, b)})
    vectors: dict[int | str, dict[str, np.ndarray]] = {s: {} for s in (*SIZES, "full")}
    started = time.perf_counter()
    for path in photos:
        image = decode(path)
        faces = analyzer.analyze_image(image)
        index = central_index(np.array([f.box for f in faces]).reshape(-1, 4),
                              *image.full_size)
        if index is None:
            continue
        vectors["full"][path] = faces[index].embedding
        native = faces[index].size
        for size in SIZES:
            factor = size / native
            if factor >= 1:
                continue
            small = cv2.resize(image.bgr, None, fx=factor, fy=factor,
                               interpolation=cv2.INTER_AREA)
            shrunk = DecodedImage(bgr=small, scale=1.0, full_size=small.shape[1::-1],
                                  orientation=1)
            found = analyzer.analyze_image(shrunk)
            i = central_index(np.array([f.box for f in found]).reshape(-1, 4),
                              *shrunk.full_size)
            if i is not None:
                vectors[size][path] = found[i].embedding
    print(f"{len(photos)} portraits, {len(pairs)} pairs, "
          f"{time.perf_counter() - started:.0f} s; MIN_USABLE_SIZE is {MIN_USABLE_SIZE}")
    print(f"{'face px':>8} {'detected':>9} {'pairs':>6} {'accuracy':>9}")
    for size, found in vectors.items():
        usable = [(a, b, s) for a, b, s in pairs if a in found and b in found]
        if len(usable) < 20:
            print(f"{size!s:>8} {len(found) / len(photos):>9.1%} {len(usable):>6}")
            continue
        similarity = np.array([float(found[a] @ found[b]) for a, b, _ in usable])
        same = np.array([s for *_, s in usable])
        accuracy, std, _ = cv_accuracy(similarity, same)
        print(f"{size!s:>8} {len(found) / len(photos):>9.1%} {len(usable):>6} "
              f"{accuracy:>8.2%} +- {std:.2%}")


if __name__ == "__main__":
    main()
