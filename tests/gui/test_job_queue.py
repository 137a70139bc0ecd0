"""The window's job queue through its widgets: one job at a time in the status bar, and what is
asked for meanwhile waits for it (another folder's index, a rescan, a folder's removal, an
album update); Cancel drops the index waiting behind the stopped one.

Real indexes on real photos, held with the status bar's Pause (clicked as the job starts: a
paused job stops at the core's next report, so "while it runs" lasts as long as the test
needs, on any machine), released with the same button."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

from core.catalog import Catalog
from gui.workers.job_queue import IndexRequest

WAIT_MS = 20000     # generous: a busy 2-core machine; waits end as soon as true
LONG_MS = 120000    # an index with the real models


def _db(catalog_dir: Path, sql: str, params=()):
    with Catalog(catalog_dir) as cat:
        return [tuple(row) for row in cat.execute(sql, params)]


def _folders(catalog_dir: Path) -> list[str]:
    return [path for (path,) in _db(catalog_dir, "SELECT path FROM folders ORDER BY path")]


def _indexed_in(catalog_dir: Path, folder: Path) -> int:
    return _db(catalog_dir, "SELECT COUNT(*) FROM photos WHERE status = 'indexed' AND path "
               "LIKE ?", (f"{folder}/%",))[0][0]


def _click(widget) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     widget.rect().center())


def _key(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A shortcut of the window's menus (they answer in the active window only)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    QTest.keyClick(window, key, modifier)


@pytest.fixture
def more_photos(tmp_path, library_template) -> Path:
    """A second folder: two of the library's photos, re-encoded (other files, same people)."""
    folder = tmp_path / "more"
    folder.mkdir()
    for name in ("mask_blue.jpg", "Tom_Hanks_54745.png"):
        with Image.open(library_template / name) as im:
            im.convert("RGB").save(folder / f"more_{Path(name).stem}.jpg", quality=85)
    return folder


class Watch:
    """The jobs the window runs, in order: name, how each ended, the index reports of each."""

    def __init__(self, window) -> None:
        self.started: list[str] = []
        self.ended: list[str] = []
        self.reports: list[list] = []
        window.job_started.connect(self._started)
        window.job_ended.connect(self.ended.append)

    def _started(self, job) -> None:
        self.started.append(job.name)
        reports: list = []
        self.reports.append(reports)
        job.progress.connect(lambda p: reports.append(p) if p.stage == "index" else None)

    def index_totals(self) -> list[int]:
        return [next((p.total for p in reversed(r) if p.total), 0)
                for name, r in zip(self.started, self.reports) if name == "index"]


def _pause_as_it_starts(window):
    """Pause each job as it starts (the status bar's button); returns the disconnect."""
    def pause(_job) -> None:
        assert window.status.pause_button.isVisible()
        _click(window.status.pause_button)

    window.job_started.connect(pause)
    return lambda: window.job_started.disconnect(pause)


def _held(qtbot, window, start) -> object:
    """Run `start()` (which starts a job through the widgets); the job is paused at once and
    held there until the test clicks Resume."""
    release = _pause_as_it_starts(window)
    with qtbot.waitSignal(window.job_started, timeout=WAIT_MS) as started:
        start()
    release()
    job = started.args[0]
    qtbot.waitUntil(lambda: job.parked, timeout=LONG_MS)
    assert window.status.label.text().startswith("Paused")
    return job


def _start_from_welcome(qtbot, window, folder: Path) -> None:
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.welcome, timeout=WAIT_MS)
    window.welcome.add_folder(str(folder))
    _click(window.welcome.start)


def _settings(qtbot, window):
    """Edit → Settings… (Ctrl+,), its folder list loaded."""
    _key(qtbot, window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: getattr(window, "last_dialog", None) is not None
                    and window.last_dialog.isVisible(), timeout=WAIT_MS)
    dialog = window.last_dialog
    qtbot.waitUntil(lambda: dialog.folders.count() == len(_folders(window.catalog_dir)),
                    timeout=WAIT_MS)
    return dialog


def _add_in_settings(dialog, folder: Path, monkeypatch) -> None:
    """Settings → Add folder…, the folder chosen in the file dialog (a native dialog no test
    can drive: its answer is given)."""
    from gui.views import dialogs

    monkeypatch.setattr(dialogs.QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *args, **kwargs: str(folder)))
    add = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Add folder…")
    _click(add)


def _remove_in_settings(dialog, folder: Path) -> None:
    """Settings: click the folder in the list, then Remove."""
    item = next(dialog.folders.item(row) for row in range(dialog.folders.count())
                if dialog.folders.item(row).text() == str(folder))
    QTest.mouseClick(dialog.folders.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, dialog.folders.visualItemRect(item).center())
    assert dialog.remove.isEnabled()
    _click(dialog.remove)


def _close(qtbot, dialog) -> None:
    _click(next(b for b in dialog.findChildren(QPushButton) if b.text() == "Cancel"))
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)


def test_an_index_request_merges_and_every_folder_covers_a_list():
    a, b = IndexRequest.of(["/a"]), IndexRequest.of(["/b", "/a"])
    assert IndexRequest.of(None) == IndexRequest.of([]) == IndexRequest.everything()
    assert IndexRequest.everything().roots() is None and a.roots() == ["/a"]
    assert a.merged(b) == IndexRequest(("/a", "/b"))        # once each, in order asked
    assert a.merged(None) == a
    assert a.merged(IndexRequest.everything()) == IndexRequest.everything()
    assert IndexRequest.everything().merged(b) == IndexRequest.everything()
    assert b.without("/a") == IndexRequest(("/b",)) and a.without("/a") is None
    assert IndexRequest.everything().without("/a") == IndexRequest.everything()


def test_a_folder_added_while_indexing_waits_then_is_indexed_on_its_own(
        qtbot, tmp_path, library, more_photos, window_for, monkeypatch):
    window = window_for(tmp_path / "catalog")
    watch = Watch(window)
    _held(qtbot, window, lambda: _start_from_welcome(qtbot, window, library))
    dialog = _settings(qtbot, window)
    _add_in_settings(dialog, more_photos, monkeypatch)
    assert window.statusBar().currentMessage() == ("Indexing is running; the new folder is "
                                                   "indexed after it.")
    assert window.jobs.waiting_index == IndexRequest((str(more_photos),))
    # in the catalog at once (a rescan would index it even if this wait were dropped)...
    qtbot.waitUntil(lambda: str(more_photos) in _folders(tmp_path / "catalog"), timeout=WAIT_MS)
    # ...while the status bar still shows the first index, paused: one job at a time
    assert watch.started == ["index"] and window.status.label.text().startswith("Paused")
    _close(qtbot, dialog)

    _click(window.status.pause_button)                      # Resume
    qtbot.waitUntil(lambda: len(watch.ended) == 2 and window.job is None, timeout=LONG_MS)
    assert watch.started == ["index", "index"]
    assert watch.ended == ["finished", "finished"]
    assert watch.index_totals() == [6, 2]                   # the second: the new folder only
    assert _indexed_in(tmp_path / "catalog", library) == 6
    assert _indexed_in(tmp_path / "catalog", more_photos) == 2
    assert window.errors == []


def test_a_rescan_asked_for_while_a_folder_waits_covers_it(
        qtbot, tmp_path, library, more_photos, window_for, monkeypatch):
    window = window_for(tmp_path / "catalog")
    watch = Watch(window)
    _held(qtbot, window, lambda: _start_from_welcome(qtbot, window, library))
    dialog = _settings(qtbot, window)
    _add_in_settings(dialog, more_photos, monkeypatch)
    _close(qtbot, dialog)
    _key(qtbot, window, Qt.Key.Key_F5)                        # File → Rescan
    assert window.statusBar().currentMessage() == ("Indexing is running; everything is "
                                                   "indexed after it.")
    assert window.jobs.waiting_index == IndexRequest.everything()
    _key(qtbot, window, Qt.Key.Key_F5)                        # asked twice: still one rescan
    _click(window.status.pause_button)
    qtbot.waitUntil(lambda: len(watch.ended) == 2 and window.job is None, timeout=LONG_MS)
    assert watch.started == ["index", "index"] and watch.ended == ["finished", "finished"]
    assert _indexed_in(tmp_path / "catalog", more_photos) == 2
    assert window.errors == []


def test_cancel_drops_the_waiting_index_and_a_rescan_does_it_later(
        qtbot, tmp_path, library, more_photos, window_for, monkeypatch):
    window = window_for(tmp_path / "catalog")
    watch = Watch(window)
    _held(qtbot, window, lambda: _start_from_welcome(qtbot, window, library))
    dialog = _settings(qtbot, window)
    _add_in_settings(dialog, more_photos, monkeypatch)
    _close(qtbot, dialog)
    _click(window.status.cancel_button)                     # stopped means stopped
    qtbot.waitUntil(lambda: window.job is None and len(watch.ended) == 2, timeout=LONG_MS)
    # the faces found before the stop are grouped; the waiting index does not run
    assert watch.started == ["index", "people"] and watch.ended[0] == "cancelled"
    assert window.jobs.waiting_index is None
    assert _indexed_in(tmp_path / "catalog", more_photos) == 0
    assert str(more_photos) in _folders(tmp_path / "catalog")   # kept for the next rescan
    _key(qtbot, window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.job is None and len(watch.ended) == 3, timeout=LONG_MS)
    assert watch.ended[-1] == "finished"
    assert _indexed_in(tmp_path / "catalog", library) == 6
    assert _indexed_in(tmp_path / "catalog", more_photos) == 2
    assert window.errors == []


def test_a_folder_removed_while_indexing_goes_when_the_index_ends(
        qtbot, indexed, indexed_template, more_photos, window_for, monkeypatch):
    _catalog, library = indexed_template
    window = window_for(indexed)
    qtbot.waitUntil(lambda: window.people_page.model.rowCount() == 7, timeout=WAIT_MS)
    watch = Watch(window)
    dialog = _settings(qtbot, window)
    _held(qtbot, window, lambda: _add_in_settings(dialog, more_photos, monkeypatch))
    _remove_in_settings(dialog, library)
    assert window.statusBar().currentMessage() == f"{library} is removed when indexing is done."
    assert window.jobs.waiting_removals == [str(library)]
    qtbot.wait(300)
    assert str(library) in _folders(indexed)                # not under the running index
    _close(qtbot, dialog)
    _click(window.status.pause_button)
    # the removal, then a grouping that takes the removed folder's people away
    qtbot.waitUntil(lambda: window.job is None and len(watch.ended) == 2, timeout=LONG_MS)
    assert watch.started == ["index", "people"] and watch.ended == ["finished", "finished"]
    assert _folders(indexed) == [str(more_photos)]
    assert _db(indexed, "SELECT COUNT(*) FROM photos WHERE path LIKE ?",
               (f"{library}/%",)) == [(0,)]
    assert _indexed_in(indexed, more_photos) == 2
    assert window.errors == []


def test_a_folder_added_then_removed_while_indexing_is_neither_kept_nor_indexed(
        qtbot, indexed, more_photos, window_for, monkeypatch):
    window = window_for(indexed)
    watch = Watch(window)
    _held(qtbot, window, lambda: _key(qtbot, window, Qt.Key.Key_F5))   # a rescan
    dialog = _settings(qtbot, window)
    _add_in_settings(dialog, more_photos, monkeypatch)
    qtbot.waitUntil(lambda: str(more_photos) in _folders(indexed), timeout=WAIT_MS)
    _remove_in_settings(dialog, more_photos)
    assert window.jobs.waiting_index is None                 # nothing left to index after
    _close(qtbot, dialog)
    _click(window.status.pause_button)
    qtbot.waitUntil(lambda: window.job is None and len(watch.ended) == 2, timeout=LONG_MS)
    assert watch.started == ["index", "people"]              # no second index
    assert str(more_photos) not in _folders(indexed)
    assert window.errors == []


def test_an_album_update_waits_for_the_running_index(qtbot, indexed, window_for):
    from gui.workers.indexing import people_job
    from gui.workers.jobs import Job

    window = window_for(indexed)
    watch = Watch(window)
    index = _held(qtbot, window, lambda: _key(qtbot, window, Qt.Key.Key_F5))
    update = Job("export", people_job(indexed), window)     # stands for an album's update
    window.albums_page.run_job.emit(update, "Updating album Trip")
    assert window.job is index                               # pause/cancel still mean indexing
    assert window.statusBar().currentMessage() == ("Updating album Trip: starts when indexing "
                                                   "is done.")
    _click(window.status.pause_button)
    qtbot.waitUntil(lambda: window.job is None and len(watch.ended) == 2, timeout=LONG_MS)
    assert watch.started == ["index", "export"]
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Export finished.",
                    timeout=WAIT_MS)
    assert window.errors == []


def test_an_index_stopped_with_a_rescan_and_an_album_waiting(qtbot, indexed, window_for):
    """The rescan waiting is dropped; the faces found are grouped, then the album updated."""
    from gui.workers.indexing import people_job
    from gui.workers.jobs import Job

    window = window_for(indexed)
    watch = Watch(window)
    _held(qtbot, window, lambda: _key(qtbot, window, Qt.Key.Key_F5))
    _key(qtbot, window, Qt.Key.Key_F5)
    window.albums_page.run_job.emit(Job("export", people_job(indexed), window),
                                    "Updating album Trip")
    _click(window.status.cancel_button)
    qtbot.waitUntil(lambda: window.job is None and len(watch.ended) == 3, timeout=LONG_MS)
    assert watch.started == ["index", "people", "export"]
    assert watch.ended == ["cancelled", "finished", "finished"]
    assert window.errors == []


def test_a_rescan_asked_for_while_grouping_runs_is_not_dropped(
        qtbot, indexed, more_photos, window_for, monkeypatch):
    window = window_for(indexed)
    qtbot.waitUntil(lambda: window.people_page.model.rowCount() == 7, timeout=WAIT_MS)
    watch = Watch(window)
    _held(qtbot, window, window.jobs.update_people)        # (what a rename asks for later)
    _key(qtbot, window, Qt.Key.Key_F5)
    assert window.statusBar().currentMessage() == ("Grouping is running; everything is "
                                                   "indexed after it.")
    dialog = _settings(qtbot, window)
    _add_in_settings(dialog, more_photos, monkeypatch)      # covered by the rescan
    assert window.jobs.waiting_index == IndexRequest.everything()
    _close(qtbot, dialog)
    _click(window.status.pause_button)
    qtbot.waitUntil(lambda: window.job is None and len(watch.ended) == 2, timeout=LONG_MS)
    assert watch.started == ["people", "index"]
    assert _indexed_in(indexed, more_photos) == 2
    assert window.errors == []


def test_faces_found_before_a_cancelled_index_are_grouped(qtbot, indexed, window_for):
    with Catalog(indexed) as cat, cat.transaction() as conn:
        conn.execute("UPDATE faces SET person_id=NULL, assigned_by=NULL")
        conn.execute("DELETE FROM people")
    window = window_for(indexed)
    page = window.people_page
    qtbot.wait(300)
    assert page.model.rowCount() == 0
    _held(qtbot, window, lambda: _key(qtbot, window, Qt.Key.Key_F5))
    _click(window.status.cancel_button)
    qtbot.waitUntil(lambda: page.model.rowCount() == 7, timeout=LONG_MS)
    assert window.errors == []


def test_an_index_held_by_another_process_waits_calmly_then_runs(
        qtbot, indexed, more_photos, window_for, monkeypatch):
    import multiprocessing as mp

    from tests.core.test_pipeline import _hold_index_lock

    window = window_for(indexed)
    window.jobs.busy_retry_ms = 300        # (15 s in the app)
    watch = Watch(window)
    context = mp.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_index_lock, args=(str(indexed), ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        dialog = _settings(qtbot, window)
        _add_in_settings(dialog, more_photos, monkeypatch)
        qtbot.waitUntil(lambda: watch.ended.count("busy") >= 2, timeout=WAIT_MS)  # retried
        assert "Another Faceshelf process" in window.statusBar().currentMessage()
        assert window.errors == []                            # no error dialog
        assert "finished" not in watch.ended
        assert str(more_photos) not in _folders(indexed)       # added once it may run
    finally:
        release.set()
        holder.join(30)
    qtbot.waitUntil(lambda: watch.ended[-1:] == ["finished"] and window.job is None,
                    timeout=LONG_MS)
    assert str(more_photos) in _folders(indexed)
    assert _indexed_in(indexed, more_photos) == 2
    assert window.errors == []
