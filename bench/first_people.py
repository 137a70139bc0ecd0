"""How soon the first people appear after Start, in the real app (offscreen), on a library like
the one in issue 12: five people (LFW: Bush, Powell, Blair, Rumsfeld, Schroeder) in 910
portraits plus 10 group photos, from ../shared/data. Prints figures; asserts nothing.

    python bench/first_people.py             # both schedules, each in a fresh process
    python bench/first_people.py --runs 2

"before" is the people schedule as it was (first update 6 s after Start, then every 20 s);
"now" is gui/workers/indexing.py as it is.
Each run: a fresh catalog, the window's welcome page, Start; the time until the People page
shows its first card, and how many cards it shows 10, 20 and 30 s after Start; then the
index is cancelled. (The photos are indexed in path order, a person's folder after another:
the count of cards follows the photos indexed, not only the schedule.)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
if not DATA.exists():
    DATA = Path("/work/shared/data")
PEOPLE = {"George_W_Bush": 300, "Colin_Powell": 236, "Tony_Blair": 144,
          "Donald_Rumsfeld": 121, "Gerhard_Schroeder": 109}
GROUPS = 10
LIMIT_S = 120.0
CHECKPOINTS_S = (10, 20, 30)


def build_library(root: Path) -> Path:
    if (root / ".complete").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for person, count in PEOPLE.items():
        folder = root / person
        folder.mkdir()
        for path in sorted((DATA / "faces" / person).iterdir())[:count]:
            shutil.copy(path, folder / path.name)
    groups = root / "groups"
    groups.mkdir()
    for path in sorted(p for p in (DATA / "groups").iterdir() if p.suffix.lower() in
                       (".jpg", ".jpeg", ".png"))[:GROUPS]:
        shutil.copy(path, groups / path.name)
    (root / ".complete").write_text("")
    return root


def run_once(library: Path, workdir: Path, schedule: str) -> dict:
    """In this process: open the app on a fresh catalog, Start, watch the People page."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from gui.workers import indexing

    if schedule == "before":
        from core.photo_indexing import PeopleSchedule

        indexing.PEOPLE_SCHEDULE = PeopleSchedule(first_s=6.0, every_s=20.0, retry_s=2.0,
                                                  doubling=False)
    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    catalog = workdir / f"catalog_{schedule}"
    shutil.rmtree(catalog, ignore_errors=True)
    window = MainWindow(catalog)
    window.resize(1200, 800)
    window.show()
    figures: dict = {"schedule": schedule}
    started = [0.0]
    index_seen = {}

    def start() -> None:
        window.welcome.add_folder(str(library))
        started[0] = time.monotonic()
        window.welcome.start.click()
        window.job.progress.connect(lambda p: index_seen.setdefault(
            "first_photo_s", time.monotonic() - started[0]) if p.stage == "index" and p.done
            else None)

    def watch() -> None:
        if not started[0]:
            if window.pages.currentWidget() is window.welcome:
                start()
            return
        now = time.monotonic() - started[0]
        cards = window.people_page.model.rowCount()
        if cards and "first_people_s" not in figures:
            figures["first_people_s"] = round(now, 1)
        for mark in CHECKPOINTS_S:
            if now >= mark and f"cards_at_{mark}s" not in figures:
                figures[f"cards_at_{mark}s"] = cards
        if now > max(CHECKPOINTS_S) or now > LIMIT_S:
            timer.stop()
            if window.job is not None:
                window.job.cancel()
            QTimer.singleShot(500, app.quit)

    timer = QTimer()
    timer.timeout.connect(watch)
    timer.start(100)
    app.exec()
    figures.update({k: round(v, 1) for k, v in index_seen.items()})
    if window.errors:
        figures["errors"] = [f"{what}: {error}" for what, error in window.errors]
    window.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out" / "first_people")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--child", choices=("before", "now"))
    args = parser.parse_args()
    library = build_library(args.workdir / "library")
    if args.child:
        print(json.dumps(run_once(library, args.workdir, args.child)))
        return
    photos = sum(1 for p in library.rglob("*") if p.is_file() and not p.name.startswith("."))
    print(f"library: {photos} photos ({', '.join(PEOPLE)} + {GROUPS} group photos)")
    results: dict[str, list[dict]] = {"before": [], "now": []}
    for _ in range(args.runs):
        for schedule in ("before", "now"):   # alternated: the machine's load hits both
            out = subprocess.run([sys.executable, __file__, "--workdir", str(args.workdir),
                                  "--child", schedule], capture_output=True, text=True)
            line = next((ln for ln in reversed(out.stdout.splitlines()) if ln.startswith("{")),
                        None)
            if line is None:
                print(out.stderr[-2000:])
                raise SystemExit(f"{schedule}: no result")
            figures = json.loads(line)
            results[schedule].append(figures)
            cards = ", ".join(f"{figures.get(f'cards_at_{m}s', '-')} at {m} s"
                              for m in CHECKPOINTS_S)
            print(f"{schedule:6}  first photo indexed {figures.get('first_photo_s', '-')} s, "
                  f"first people {figures.get('first_people_s', '-')} s after Start; "
                  f"cards: {cards}" + (f"; ERRORS {figures['errors']}" if "errors" in figures
                                       else ""))

    def best(schedule: str, key: str) -> float | None:
        values = [r[key] for r in results[schedule] if key in r]
        return min(values) if values else None

    def mean(schedule: str, key: str) -> float | None:
        values = [r[key] for r in results[schedule] if key in r]
        return sum(values) / len(values) if values else None

    for how, pick in (("best", best), ("mean", mean)):
        before, now = pick("before", "first_people_s"), pick("now", "first_people_s")
        if before and now:
            print(f"first people ({how} of {args.runs}): {now:.1f} s now vs {before:.1f} s "
                  f"before (ratio {now / before:.2f})")


if __name__ == "__main__":
    main()
