"""Failures and unfinished work, as the app shows them: the end-of-job sentence says what was
done and what is left, the Problems page lists unreadable files (with reasons), offline folders
and photos still waiting, with Resume; the status line keeps whole words and the index's own
progress while people are updated mid-index."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from core.catalog import Catalog

WAIT_MS = 20000


def _status(catalog_dir):
    with Catalog(catalog_dir) as cat:
        return dict(cat.execute("SELECT status, COUNT(*) FROM photos GROUP BY status").fetchall())


def _click(widget) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     widget.rect().center())


def _click_section(window, key: str) -> None:
    row = window.sidebar.row_of(key)
    rect = window.sidebar.visualItemRect(window.sidebar.item(row))
    QTest.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, rect.center())


def _messages(window) -> list[str]:
    """Everything the status bar says, its messages and its sentences with a button."""
    said: list[str] = []
    window.statusBar().messageChanged.connect(lambda text: said.append(text) if text else None)
    window.notice.said.connect(said.append)
    return said


def _start_from_welcome(qtbot, window, folder: Path) -> None:
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.welcome, timeout=WAIT_MS)
    window.welcome.add_folder(str(folder))   # (the folder dialog is the platform's own)
    _click(window.welcome.start)


def test_unreadable_files_are_said_at_the_end_and_listed_with_reasons(
        qtbot, tmp_path, library, window_for):
    (library / "broken.jpg").write_bytes(b"this is not a photo at all" * 40)
    (library / "half.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 300)
    window = window_for(tmp_path / "catalog")
    said = _messages(window)
    with qtbot.waitSignal(window.job_ended, timeout=120000) as ended:
        _start_from_welcome(qtbot, window, library)
    assert ended.args == ["finished"]
    assert _status(tmp_path / "catalog") == {"indexed": 6, "error": 2}
    sentence = "Indexed 6 photos, 2 could not be read."
    qtbot.waitUntil(lambda: window.notice.text() == sentence, timeout=WAIT_MS)
    assert "Indexing finished." not in said
    button = window.notice.button
    assert button.isVisible() and button.text() == "Show"

    _click(button)                                   # Show: the problems, listed
    page = window.problems_page
    assert window.pages.currentWidget() is page
    assert window.sidebar.currentItem().data(Qt.ItemDataRole.UserRole) == "problems"
    assert window.sidebar.currentItem().text() == "Problems  (2)"
    qtbot.waitUntil(lambda: page.list.topLevelItemCount() == 2, timeout=WAIT_MS)
    listed = {page.list.topLevelItem(i).text(0): page.list.topLevelItem(i).text(1)
              for i in range(2)}
    assert set(listed) == {"broken.jpg", "half.png"}
    assert all(reason.strip() for reason in listed.values())
    assert page.list_title.text() == "2 files could not be read:"
    assert page.todo.text() == "Every photo is indexed." and not page.resume.isVisible()
    assert window.errors == []


def test_the_status_line_keeps_whole_words_and_the_index_progress(
        qtbot, tmp_path, library, window_for, monkeypatch):
    from PySide6.QtWidgets import QLabel

    from core.photo_indexing import PeopleSchedule
    from gui.workers import indexing

    # people updated mid-index at once
    monkeypatch.setattr(indexing, "PEOPLE_SCHEDULE", PeopleSchedule(0.0, 0.0, 0.0))
    _bigger_library(library, 2)
    window = window_for(tmp_path / "catalog")
    window.resize(700, 600)          # a narrow window: the line must still read right
    seen = []   # (index done, index total, full line, the line as shown)
    index = {}

    def watch(job):
        def report(progress):
            if progress.stage == "index":
                index.update(done=progress.done, total=progress.total)
            label = window.status.label
            seen.append((index.get("done"), index.get("total"), label.text(),
                         QLabel.text(label)))
        job.progress.connect(report)

    window.job_started.connect(watch)
    with qtbot.waitSignal(window.job_ended, timeout=120000) as ended:
        _start_from_welcome(qtbot, window, library)
    assert ended.args == ["finished"]
    assert seen
    for _done, _total, full, shown in seen:     # never half a word ("796 face…")
        words = full.replace(" · ", " ").split()
        assert all(word in words for word in shown.rstrip("…").replace(" · ", " ").split()), \
            (full, shown)
    mid_index = [full for done, total, full, _ in seen if total and done < total]
    assert mid_index and all(full.startswith("Finding faces") for full in mid_index), mid_index
    # people were updated mid-index (else this test shows nothing), and it said so
    assert any("updating people" in full for full in mid_index)
    assert window.errors == []


def _bigger_library(library: Path, copies: int) -> Path:
    """More photos (re-encoded copies: new files, the same people), so a stop leaves many."""
    for i in range(copies):
        for name in ("t1.jpg", "Tom_Hanks_54745.png"):
            with Image.open(library / name) as im:
                im.convert("RGB").save(library / f"copy{i}_{Path(name).stem}.jpg",
                                       quality=70 + i)
    return library


def test_a_stopped_index_says_what_is_left_and_resume_finishes_it(
        qtbot, tmp_path, library, window_for):
    _bigger_library(library, 8)                     # 22 photos
    window = window_for(tmp_path / "catalog")
    said = _messages(window)

    def stop_at_first_face(job):
        def report(progress):
            cancel = window.status.cancel_button
            if progress.stage == "index" and progress.done and cancel.isEnabled():
                _click(cancel)
        job.progress.connect(report)

    window.job_started.connect(stop_at_first_face)
    with qtbot.waitSignal(window.job_ended, timeout=120000) as ended:
        _start_from_welcome(qtbot, window, library)
    assert ended.args == ["cancelled"]
    window.job_started.disconnect(stop_at_first_face)
    # the faces found are grouped after the stop; then the sentence is still true
    qtbot.waitUntil(lambda: window.job is None, timeout=60000)
    pending = _status(tmp_path / "catalog").get("pending", 0)
    assert pending > 0
    stopped = f"Indexing stopped: {pending:,} photos still to do."
    qtbot.waitUntil(lambda: stopped in said, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.notice.text()
                    == f"Indexing stopped: {pending:,} photos still to do; the faces found so "
                       f"far are grouped.", timeout=WAIT_MS)
    assert "People updated." not in said          # never the bare, untrue sentence
    assert window.notice.button.isVisible() and window.notice.button.text() == "Resume"

    # the Problems page says it plainly, with Resume
    row = window.sidebar.row_of("problems")
    qtbot.waitUntil(lambda: not window.sidebar.item(row).isHidden(), timeout=WAIT_MS)
    _click_section(window, "problems")
    page = window.problems_page
    assert window.pages.currentWidget() is page
    qtbot.waitUntil(lambda: page.todo.text() == f"{pending:,} photos not indexed yet.",
                    timeout=WAIT_MS)
    assert page.resume.isVisible()
    with qtbot.waitSignal(window.job_ended, timeout=120000) as ended:
        _click(page.resume)
    assert ended.args == ["finished"]
    assert _status(tmp_path / "catalog") == {"indexed": 22}
    qtbot.waitUntil(lambda: page.todo.text() == "Every photo is indexed.", timeout=WAIT_MS)
    assert not page.resume.isVisible()
    qtbot.waitUntil(lambda: window.sidebar.item(row).isHidden(), timeout=WAIT_MS)
    assert window.errors == []


def test_an_offline_folder_and_waiting_photos_are_on_the_problems_page(qtbot, tmp_path,
                                                                        window_over):
    gone = tmp_path / "usb-drive" / "Photos"       # never there: an unplugged drive
    window = window_over(gone, [("a.jpg", "2021-01-01"), ("b.jpg", "2021-01-02")])
    with Catalog(tmp_path / "catalog") as cat, cat.transaction() as conn:
        conn.execute("UPDATE photos SET status = 'pending' WHERE path LIKE '%b.jpg'")
    window.ctx.watcher.poll()   # (the app notices a change within a second by itself)
    window.resize(1000, 700)
    window.show()
    row = window.sidebar.row_of("problems")
    qtbot.waitUntil(lambda: not window.sidebar.item(row).isHidden(), timeout=WAIT_MS)
    assert window.sidebar.item(row).text() == "Problems  (1)"
    _click_section(window, "problems")
    page = window.problems_page
    assert window.pages.currentWidget() is page
    qtbot.waitUntil(lambda: str(gone) in page.offline.text(), timeout=WAIT_MS)
    assert page.offline.isVisible() and "its photos are kept" in page.offline.text()
    qtbot.waitUntil(lambda: page.todo.text() == "1 photo not indexed yet.", timeout=WAIT_MS)
    assert page.resume.isVisible()
