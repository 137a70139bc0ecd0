"""`make walkthrough`: the real app on a real X server, driven with real X events.

    python bench/gui_walkthrough.py [--out bench/out/walkthrough] [--keep]

It builds a library of five people and some group photos from ../shared/data (copies; the
originals are never touched), starts Xvfb, starts the app there with a fresh catalog and home,
and walks through what a new user does: first index, naming, a merge by drag and drop, Review
yes/no, the viewer, right-click "Find this person", a search with an outside two-face photo,
an export with XMP sidecars and an album rename. Every mouse move, click and key press is an X
event sent by xdotool, so Qt receives exactly what it receives from a user's hands (press,
motion, release, the whole drag sequence). A screenshot of the whole screen is saved at each
step, with a line in `steps.txt` saying what the screen should show: look at them.

Why the driver runs inside the app's process: it asks the live widgets where they are
(`mapToGlobal`) and waits for the app's own state (an index running, a page shown), so the
clicks land on the right card even when the layout changes. It never calls a slot or an event
handler: everything the app does, it does because of the X events.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared" / "data"
PEOPLE = ["George_W_Bush", "Colin_Powell", "Tony_Blair", "Donald_Rumsfeld", "Gerhard_Schroeder"]
PHOTOS_PER_PERSON = 30
OUTSIDE_PHOTO = "openface__longoria-cooper.jpg"   # two faces, kept out of the library
SCREEN = (1400, 900)


# -- outside: the library, the X server, the app's process ---------------------------------------

def build_library(library: Path) -> None:
    if library.is_dir():
        return
    faces, groups = SHARED / "faces", SHARED / "groups"
    for person in PEOPLE:
        target = library / "people" / person
        target.mkdir(parents=True)
        for photo in sorted((faces / person).iterdir())[:PHOTOS_PER_PERSON]:
            shutil.copy2(photo, target / photo.name)
    (library / "groups").mkdir(parents=True)
    for photo in sorted(groups.iterdir()):
        if photo.suffix.lower() in (".jpg", ".jpeg") and photo.name != OUTSIDE_PHOTO:
            shutil.copy2(photo, library / "groups" / photo.name)


def free_display() -> str:
    for number in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and \
                not Path(f"/tmp/.X{number}-lock").exists():
            return f":{number}"
    raise SystemExit("no free X display number between :90 and :139")


def outside(args) -> int:
    for tool in ("Xvfb", "xdotool", "import"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: apt-get install xvfb xdotool imagemagick")
    if not (SHARED / "faces").is_dir():
        raise SystemExit(f"the walkthrough needs the shared data set at {SHARED}")
    out = Path(args.out).resolve()
    if out.exists() and not args.keep:
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    build_library(out / "library")
    for old in out.glob("*.png"):
        old.unlink()
    display = free_display()
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
                               "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb",
                   HOME=str(out / "home"), XDG_CONFIG_HOME=str(out / "home" / ".config"),
                   XDG_DATA_HOME=str(out / "home" / ".local" / "share"),
                   XDG_CACHE_HOME=str(out / "home" / ".cache"))
        (out / "home").mkdir(exist_ok=True)
        child = subprocess.run([sys.executable, __file__, "--inside", "--out", str(out)],
                               env=env, cwd=PROJECT, timeout=args.timeout)
    finally:
        server.terminate()
        server.wait(10)
    print(f"screenshots and steps.txt in {out}")
    return child.returncode


# -- inside: the real app and a driver thread that acts with X events -----------------------------

class Driver:
    """Runs on its own thread. Asks the GUI thread questions (where is this widget, is the
    index done) and acts only through xdotool."""

    def __init__(self, window, out: Path, invoker) -> None:
        self.window = window
        self.out = out
        self.invoker = invoker
        self.shot_number = 0
        self.failures: list[str] = []
        self.log = (out / "steps.txt").open("w", encoding="utf-8")

    # -- questions to the GUI thread
    def gui(self, fn, timeout: float = 30.0):
        done = threading.Event()
        box: dict = {}

        def job():
            try:
                box["value"] = fn()
            except BaseException as error:  # noqa: BLE001 - handed back to the driver
                box["error"] = error
            done.set()

        self.invoker.call.emit(job)
        if not done.wait(timeout):
            raise TimeoutError("the GUI thread did not answer in time")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def wait_for(self, what: str, predicate, timeout: float = 120.0, every: float = 0.25):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.gui(predicate)
            if value:
                return value
            time.sleep(every)
        raise TimeoutError(f"waited {timeout:.0f} s for {what}")

    # -- hands
    def xdotool(self, *words) -> None:
        subprocess.run(["xdotool", *map(str, words)], check=True)

    def point_of(self, widget, local=None) -> tuple[int, int]:
        from PySide6.QtCore import QPoint

        def where():
            point = local if local is not None else widget.rect().center()
            if not isinstance(point, QPoint):
                point = point.toPoint()
            global_point = widget.mapToGlobal(point)
            return global_point.x(), global_point.y()
        return self.gui(where)

    def move(self, x: int, y: int) -> None:
        self.xdotool("mousemove", "--sync", x, y)
        time.sleep(0.1)

    def click(self, x: int, y: int, button: int = 1, double: bool = False) -> None:
        self.move(x, y)
        if double:
            self.xdotool("click", "--repeat", 2, "--delay", 80, button)
        else:
            self.xdotool("click", button)
        time.sleep(0.4)

    def click_widget(self, widget, local=None, **kwargs) -> None:
        self.click(*self.point_of(widget, local), **kwargs)

    def drag(self, start: tuple[int, int], end: tuple[int, int], steps: int = 12) -> None:
        self.move(*start)
        self.xdotool("mousedown", 1)
        time.sleep(0.2)
        for step in range(1, steps + 1):
            x = start[0] + (end[0] - start[0]) * step // steps
            y = start[1] + (end[1] - start[1]) * step // steps
            self.xdotool("mousemove", x, y)
            time.sleep(0.06)
        time.sleep(0.3)
        self.xdotool("mouseup", 1)
        time.sleep(0.6)

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", 30, text)
        time.sleep(0.3)

    def key(self, *names: str) -> None:
        self.xdotool("key", "--delay", 60, *names)
        time.sleep(0.4)

    # -- eyes
    def shot(self, name: str, should_show: str) -> None:
        time.sleep(0.6)  # let the last paint reach the X server
        self.shot_number += 1
        path = self.out / f"{self.shot_number:02d}_{name}.png"
        subprocess.run(["import", "-window", "root", str(path)], check=True)
        self.log.write(f"{path.name}: {should_show}\n")
        self.log.flush()

    def note(self, text: str) -> None:
        self.log.write(f"  - {text}\n")
        self.log.flush()
        print(text, flush=True)


def find_button(root, text: str):
    from PySide6.QtWidgets import QAbstractButton

    wanted = text.replace("&", "").lower()
    for button in root.findChildren(QAbstractButton):
        if button.isVisible() and button.text().replace("&", "").lower().startswith(wanted):
            return button
    return None


def active_dialog():
    from PySide6.QtWidgets import QApplication

    return QApplication.activeModalWidget() or QApplication.activePopupWidget()


def card_of(grid, person_id):
    """The viewport rectangle of a person's card."""
    from gui.models import people as roles

    model = grid.model()
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        if index.data(roles.IdRole) == person_id:
            grid.scrollTo(index)
            return grid.visualRect(index)
    return None


def people_rows(window):
    return list(window.people_page.model.rows)


def walk(d: Driver) -> None:
    """The steps. Each one acts with X events, then photographs the screen."""
    from PySide6.QtWidgets import QApplication

    w = d.window
    library = d.out / "library"

    def step(name):
        def run(fn):
            try:
                fn()
            except Exception as error:  # noqa: BLE001 - one failed step does not end the walk
                d.failures.append(f"{name}: {error}")
                d.note(f"STEP FAILED {name}: {error}")
                traceback.print_exc()
                d.key("Escape")
            return fn
        return run

    def named_card(name):
        """People page (Ctrl+1), and where the named person's card is: (viewport, centre)."""
        d.key("ctrl+1")
        time.sleep(1)
        grid = w.people_page.grid
        named = d.gui(lambda: next(r for r in people_rows(w) if r.name == name))
        return d.gui(grid.viewport), d.gui(lambda: card_of(grid, named.id).center())

    @step("first index")
    def _first_index():
        d.wait_for("the welcome page", lambda: w.pages.currentWidget() is w.welcome)
        d.shot("welcome", "the welcome page, no folder yet, Start disabled")
        d.click_widget(d.gui(lambda: find_button(w.welcome, "Add folder")))
        dialog = d.wait_for("the folder dialog", active_dialog, timeout=20)
        d.shot("folder_dialog", "Qt's folder chooser")
        d.type(str(library))
        d.key("Return")
        d.wait_for("the dialog to close", lambda: active_dialog() is not dialog, timeout=20)
        d.shot("folder_chosen", f"the welcome page listing {library}, Start enabled")
        d.click_widget(w.welcome.start)
        started = time.monotonic()
        d.wait_for("the index to start", lambda: w.job is not None, timeout=30)
        d.wait_for("the first people", lambda: len(people_rows(w)) > 0, timeout=300)
        d.note(f"first people on screen {time.monotonic() - started:.1f} s after Start "
               f"({d.gui(lambda: len(people_rows(w)))} cards)")
        d.shot("indexing", "the People page filling while the index runs; progress in the "
                           "status bar")
        d.wait_for("the index and grouping to end", lambda: w.job is None, timeout=600)
        d.note(f"index and grouping done {time.monotonic() - started:.1f} s after Start")
        time.sleep(1.5)
        d.shot("indexed", "People after the first index: five big groups; the status bar says "
                          "what happened (and any unreadable files)")

    def biggest_unnamed():
        rows = [r for r in people_rows(w) if not r.name and not r.hidden]
        return max(rows, key=lambda r: r.faces,
                   default=None)

    @step("name")
    def _name():
        d.click_widget(w.sidebar, d.gui(lambda: w.sidebar.visualItemRect(w.sidebar.item(0))
                                        .center()))
        person = d.gui(lambda: people_rows(w)[0])
        rect = d.gui(lambda: card_of(w.people_page.grid, person.id))
        viewport = d.gui(lambda: w.people_page.grid.viewport())
        # the name line under the card: one click starts naming an unnamed group
        name_line = d.gui(lambda: w.people_page.delegate.name_rect(
            rect, w.people_page.grid.fontMetrics().height()).center())
        d.click_widget(viewport, name_line)
        d.shot("naming", "an editor on the biggest group's card")
        d.type("George W Bush")
        d.key("Return")
        d.wait_for("the name to be stored",
                   lambda: any(r.name == "George W Bush" for r in people_rows(w)), timeout=30)
        d.shot("named", "the biggest group is now called George W Bush; the status bar says so")

    @step("merge by drag")
    def _merge_by_drag():
        rows = d.gui(lambda: people_rows(w))
        named = next(r for r in rows if r.name == "George W Bush")
        unnamed = [r for r in rows if not r.name and not r.hidden]
        if not unnamed:
            raise RuntimeError("no unnamed group left to drag")
        source = unnamed[-1]
        grid = w.people_page.grid
        viewport = d.gui(lambda: grid.viewport())
        start = d.point_of(viewport, d.gui(lambda: card_of(grid, source.id).center()))
        end = d.point_of(viewport, d.gui(lambda: card_of(grid, named.id).center()))
        before = len(rows)
        d.note(f"dragging group {source.id} ({source.faces} faces) onto "
               f"George W Bush ({named.id})")
        d.drag(start, end)
        d.shot("merge_asked", "after the drop: a question about merging the group into "
                              "George W Bush")
        dialog = d.gui(active_dialog)
        if dialog is None:
            raise RuntimeError("the drop asked nothing: the drag did not reach the card")
        yes = d.gui(lambda: find_button(dialog, "Merge") or find_button(dialog, "Yes")
                    or find_button(dialog, "OK"))
        d.click_widget(yes)
        d.wait_for("the merge", lambda: len(people_rows(w)) < before, timeout=30)
        d.shot("merged", "one card fewer; George W Bush kept his name")

    @step("review")
    def _review():
        d.click_widget(w.sidebar, d.gui(lambda: w.sidebar.visualItemRect(w.sidebar.item(2))
                                        .center()))
        time.sleep(1.5)
        d.shot("review", "Review: a face of the person asked about, marked with its box")
        page = w.review_page
        d.click_widget(d.gui(lambda: page))
        d.key("y")
        d.shot("review_yes", "the next face after Yes")
        d.key("n")
        d.shot("review_no", "the next face after No")

    @step("viewer")
    def _viewer():
        viewport, card = named_card("George W Bush")
        d.click_widget(viewport, card, double=True)
        d.wait_for("the person page", lambda: w.pages.currentWidget() is w.person_page)
        time.sleep(1.5)
        d.shot("person", "George W Bush's page: his faces and photos")
        pgrid = w.person_page.grid
        pview = d.gui(lambda: pgrid.viewport())
        first = d.gui(lambda: next(pgrid.visualRect(pgrid.model().index(r, 0)).center()
                                   for r in range(pgrid.model().rowCount())
                                   if pgrid.model().index(r, 0).flags()
                                   & pgrid.model().index(r, 0).flags().ItemIsSelectable))
        d.click_widget(pview, first, double=True)
        d.wait_for("the viewer", lambda: w.pages.currentWidget() is w.viewer)
        time.sleep(1.5)
        d.shot("viewer", "the photo with its face boxes")

    @step("find this person")
    def _find_this_person():
        canvas = w.viewer.canvas
        face = d.gui(lambda: next((f for f in canvas.faces
                                   if getattr(f, "person_name", None) == "George W Bush"),
                                  canvas.faces[0] if canvas.faces else None))
        if face is None:
            raise RuntimeError("the viewer shows no face")
        centre = d.gui(lambda: canvas.face_rect(face).center())
        d.click_widget(canvas, centre, button=3)
        menu = d.wait_for("the face's menu", active_dialog, timeout=10)
        d.shot("face_menu", "George W Bush's face's menu with Find this person")
        action = d.gui(lambda: next(a for a in menu.actions() if "Find this person" in a.text()))
        point = d.gui(lambda: menu.actionGeometry(action).center())
        d.click_widget(menu, point)
        d.wait_for("the search page", lambda: w.pages.currentWidget() is w.search_page)
        time.sleep(2)
        d.shot("find_this_person", "photos of the face's person (his assigned photos first)")

    @step("search with an outside photo")
    def _outside_photo():
        outside_photo = SHARED / "groups" / OUTSIDE_PHOTO
        d.key("ctrl+shift+f")
        dialog = d.wait_for("the file dialog", active_dialog, timeout=20)
        d.type(str(outside_photo))
        d.key("Return")
        d.wait_for("the dialog to close", lambda: active_dialog() is not dialog, timeout=20)
        page = w.search_page
        d.wait_for("the photo's faces", lambda: not page.empty.text().startswith("Looking"),
                   timeout=120)
        time.sleep(1)
        d.shot("outside_photo", "a two-face outside photo: which face? (face crops)")
        chooser = d.gui(active_dialog)
        if chooser is not None:
            d.key("Return")
            time.sleep(2)
        strip = page.query_faces     # the page's own question: click the first face
        if d.gui(strip.isVisible) and d.gui(strip.count) > 1:
            first = d.gui(lambda: strip.visualItemRect(strip.item(0)).center())
            d.click_widget(d.gui(strip.viewport), first)
            d.wait_for("the search", lambda: page.count.text() not in ("", "Searching…"),
                       timeout=120)
        d.shot("outside_results", "the results for the chosen face (none of these people is "
                                  "in the library: an honest 'no match')")

    @step("export with XMP")
    def _export():
        viewport, card = named_card("George W Bush")
        w.last_dialog = None
        d.click_widget(viewport, card, button=3)
        try:
            menu = d.wait_for("the card's menu", active_dialog, timeout=10)
        except TimeoutError:
            menu = None
        if menu is not None:
            action = d.gui(lambda: next(a for a in menu.actions() if "Export" in a.text()))
            d.click_widget(menu, d.gui(lambda: menu.actionGeometry(action).center()))
            dialog = d.wait_for("the export dialog", lambda: w.last_dialog, timeout=20)
        else:
            d.note("STEP PART FAILED: no menu on a person's card; File → Export… instead")
            d.failures.append("export with XMP: no menu on a person's card")
            d.key("Escape")
            d.key("ctrl+e")
            dialog = d.wait_for("the export dialog", lambda: w.last_dialog, timeout=20)
            chips = d.gui(lambda: dialog.people.edit)
            d.click_widget(chips)
            d.type("George W Bush")
            d.key("Return")
        destination = d.gui(lambda: dialog.destination)
        if not d.gui(destination.text):
            d.click_widget(destination)
            d.type(str(d.out / "export_bush"))
        if d.gui(lambda: dialog.album_name.isEnabled()) is False:
            d.click_widget(d.gui(lambda: dialog.save_album))
            d.click_widget(d.gui(lambda: dialog.album_name))
            d.type("George W Bush")
        time.sleep(1)
        d.shot("export_dialog", "the export dialog for George W Bush")
        from PySide6.QtWidgets import QCheckBox

        xmp = d.gui(lambda: next((c for c in dialog.findChildren(QCheckBox)
                                  if "XMP" in c.text() or "sidecar" in c.text().lower()), None))
        if xmp is not None and not d.gui(xmp.isChecked):
            d.click_widget(xmp)
        export = d.gui(lambda: find_button(dialog, "Export"))
        d.click_widget(export)
        d.wait_for("the export's end", lambda: dialog.summary is not None, timeout=120)
        d.shot("exported", "the export finished: what was written, Open folder offered")
        d.click_widget(d.gui(lambda: dialog.open_button))
        d.shot("export_open_folder", "Open folder: the folder in the file manager, or (no "
                                     "xdg-open here) a message with its path to copy")
        box = d.gui(lambda: next((b for b in QApplication.topLevelWidgets()
                                  if b.objectName() == "folder_message" and b.isVisible()),
                                 None))
        if box is not None:
            d.click_widget(d.gui(lambda: find_button(box, "Close")))
        close = d.gui(lambda: find_button(dialog, "Close"))
        if close is not None:
            d.click_widget(close)

    @step("album rename")
    def _album_rename():
        # a click on the sidebar: after a dialog closes without a window manager, X gives
        # the keyboard to no window and Ctrl+4 would go nowhere
        sidebar = w.sidebar
        albums_row = d.gui(lambda: sidebar.visualItemRect(sidebar.item(3)).center())
        d.click_widget(d.gui(sidebar.viewport), albums_row)
        d.wait_for("the albums page", lambda: w.pages.currentWidget() is w.albums_page,
                   timeout=20)
        time.sleep(1.5)
        d.shot("albums", "the album of George W Bush with a cover")
        page = w.albums_page
        d.wait_for("an album", lambda: page.table.rowCount() > 0, timeout=20)
        table = page.table
        name_cell = d.gui(lambda: table.visualItemRect(table.item(0, 1)).center())
        viewport = d.gui(table.viewport)
        d.click_widget(viewport, name_cell, button=3)
        menu = d.wait_for("the album's menu", active_dialog, timeout=10)
        d.shot("album_menu", "the album's menu: Update, Open folder, Rename, Delete…")
        rename = d.gui(lambda: next(a for a in menu.actions() if a.text() == "Rename"))
        d.click_widget(menu, d.gui(lambda: menu.actionGeometry(rename).center()))
        d.key("ctrl+a")
        d.type("Bush, all years")
        d.shot("album_renaming", "the album's name being edited in place")
        d.key("Return")
        d.wait_for("the new name", lambda: page.albums and
                   page.albums[0].name == "Bush, all years", timeout=20)
        d.shot("album_renamed", "the album renamed: 'Renamed album … to “Bush, all years”'")
        d.click_widget(d.gui(lambda: page.delete_button))
        box = d.wait_for("the delete question", lambda: page.delete_box, timeout=20)
        d.shot("album_delete", "Delete the album? says how many photos it exported; Delete "
                               "album only / Delete album and its N photos / Cancel")
        d.click_widget(d.gui(lambda: box.button(box.StandardButton.Cancel)))

    @step("draw a face")
    def _draw_a_face():
        d.click_widget(w.sidebar, d.gui(lambda: w.sidebar.visualItemRect(w.sidebar.item(0))
                                        .center()))
        viewport, card = named_card("George W Bush")
        d.click_widget(viewport, card, double=True)
        d.wait_for("the person page", lambda: w.pages.currentWidget() is w.person_page)
        time.sleep(1.5)
        pgrid = w.person_page.grid
        first = d.gui(lambda: next(pgrid.visualRect(pgrid.model().index(r, 0)).center()
                                   for r in range(pgrid.model().rowCount())
                                   if pgrid.model().index(r, 0).flags()
                                   & pgrid.model().index(r, 0).flags().ItemIsSelectable))
        d.click_widget(d.gui(pgrid.viewport), first, double=True)
        d.wait_for("the viewer", lambda: w.pages.currentWidget() is w.viewer)
        time.sleep(1.5)
        canvas = w.viewer.canvas
        faces_before = d.gui(lambda: len(canvas.faces))
        target = d.gui(lambda: canvas._target())
        start = d.point_of(canvas, target.topLeft() + (target.bottomRight() - target.topLeft())
                           * 0.05)
        end = d.point_of(canvas, target.topLeft() + (target.bottomRight() - target.topLeft())
                         * 0.30)
        d.xdotool("keydown", "shift")      # Shift+drag boxes a face the detector missed
        d.drag(start, end)
        d.xdotool("keyup", "shift")
        picker = d.wait_for("the name picker", active_dialog, timeout=20)
        d.shot("draw_picker", "a dashed box where the mouse was dragged; 'Whose face is this?' "
                              "with nobody chosen")
        d.key("Return")                     # untouched: must give the face to nobody
        time.sleep(1)
        if d.gui(lambda: len(canvas.faces)) != faces_before or d.gui(active_dialog) is None:
            raise RuntimeError("Enter in the untouched picker stored a face")
        d.type("Drawn Stranger")
        d.key("Return")
        d.wait_for("the drawn face", lambda: len(canvas.faces) == faces_before + 1, timeout=60)
        d.shot("drawn_face", "the drawn box labelled 'Drawn Stranger'; the status bar says "
                             "'Added a face for Drawn Stranger' with Undo")
        _ = picker

    _ = (_first_index, _name, _merge_by_drag, _review, _viewer, _find_this_person,
         _outside_photo, _export, _album_rename, _draw_a_face, QApplication)


def inside(args) -> int:
    from PySide6.QtCore import QObject, Qt, Signal

    from gui.app import create_app
    from gui.main_window import MainWindow

    class Invoker(QObject):
        call = Signal(object)

        def __init__(self) -> None:
            super().__init__()
            self.call.connect(self._run, Qt.ConnectionType.QueuedConnection)

        def _run(self, job) -> None:
            job()

    out = Path(args.out)
    app = create_app()
    window = MainWindow(out / "catalog", rescan_on_start=True)
    window.move(0, 0)
    window.resize(1280, 840)
    window.show()
    driver = Driver(window, out, Invoker())

    def run() -> None:
        try:
            time.sleep(1.5)
            walk(driver)
        finally:
            driver.note(f"{len(driver.failures)} step(s) failed: {driver.failures}")
            driver.log.close()
            # on the GUI thread: a QTimer started on this thread (no event loop) never fires
            driver.invoker.call.emit(app.quit)

    threading.Thread(target=run, daemon=True).start()
    app.exec()
    return 1 if driver.failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(PROJECT / "bench" / "out" / "walkthrough"))
    parser.add_argument("--keep", action="store_true", help="reuse the library and catalog")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(PROJECT))
    return inside(args) if args.inside else outside(args)


if __name__ == "__main__":
    sys.exit(main())
