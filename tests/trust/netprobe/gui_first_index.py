"""The real app's window, offscreen: add a folder on the welcome page, press Start, wait until
the index (and the grouping that follows) has finished, then search with a photo (File >
Search by photo: its faces are found in the app's own process, where the models load), wait
for its faces, quit. Exit status 0 when both finished."""

import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer

from gui.app import create_app
from gui.main_window import MainWindow

TIMEOUT_MS = 240_000


def main(catalog: str, library: str) -> int:
    app = create_app()
    window = MainWindow(Path(catalog), rescan_on_start=True)
    window.show()
    outcomes = []
    asked = []
    started = time.monotonic()

    def start():
        window.welcome.add_folder(library)
        window.welcome.start.click()

    def ended(outcome):
        outcomes.append(outcome)
        print(f"{time.monotonic() - started:.1f} s: job {outcome}", flush=True)
        wait_until_idle()

    def wait_until_idle():
        if window.job is None:
            window.search_by_photo(str(Path(library) / "t1.jpg"))
            wait_for_query_faces()
        else:
            QTimer.singleShot(100, wait_until_idle)

    def wait_for_query_faces():
        if not asked:
            asked.append(True)
            print(f"{time.monotonic() - started:.1f} s: searching by photo", flush=True)
        if window.search_page.query_faces.count():
            outcomes.append(f"{window.search_page.query_faces.count()} query faces")
            window.close()
            app.quit()
        else:
            QTimer.singleShot(100, wait_for_query_faces)

    window.job_ended.connect(ended)
    QTimer.singleShot(0, start)
    QTimer.singleShot(TIMEOUT_MS, app.quit)
    app.exec()
    print("outcomes:", outcomes)
    return 0 if outcomes[:1] == ["finished"] and "6 query faces" in outcomes else 3


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
