"""Indexing through the GUI: welcome page → add a folder → progress to the end; cancel."""

from __future__ import annotations

from core.catalog import Catalog

WAIT_MS = 20000  # generous: a busy 2-core machine; waits end as soon as true


def _status(catalog_dir):
    with Catalog(catalog_dir) as cat:
        return dict(cat.execute("SELECT status, COUNT(*) FROM photos GROUP BY status").fetchall())


def test_add_folder_and_watch_progress_to_the_end(qtbot, tmp_path, library, window_for):
    window = window_for(tmp_path / "catalog")
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.welcome, timeout=WAIT_MS)
    window.welcome.add_folder(str(library))
    seen = []
    with qtbot.waitSignal(window.job_ended, timeout=60000) as ended:
        window.job_started.connect(lambda job: job.progress.connect(seen.append))
        window.welcome.start.click()
        assert window.status.isVisible()
    assert ended.args == ["finished"]
    index_steps = [p for p in seen if p.stage == "index" and p.total]
    assert index_steps and index_steps[-1].done == index_steps[-1].total == 6
    assert index_steps[-1].counters["faces"] >= 12  # t1 twice (6 each), Tom twice, masks
    assert not window.status.isVisible()
    assert window.pages.currentWidget() is not window.welcome
    window.show_section("photos")
    qtbot.waitUntil(lambda: window.photos_page.model.rowCount() == 6, timeout=WAIT_MS)
    assert _status(tmp_path / "catalog") == {"indexed": 6}
    assert window.errors == []


def test_cancel_an_index(qtbot, tmp_path, library, window_for):
    window = window_for(tmp_path / "catalog")
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.welcome, timeout=WAIT_MS)

    def cancel_at_once(job):
        # The status bar's Cancel, pressed as soon as the job runs: deterministic even on a
        # busy machine (a cancel after the first progress can arrive after the last photo).
        assert window.status.isVisible() and window.status.cancel_button.isEnabled()
        window.status.cancel_button.click()

    window.job_started.connect(cancel_at_once)
    with qtbot.waitSignal(window.job_ended, timeout=60000) as ended:
        window.start_indexing([str(library)])
    assert ended.args == ["cancelled"]
    assert _status(tmp_path / "catalog") != {"indexed": 6}  # stopped before the end
    # the grouping of what was found starts after a stop (cancelled here too, at once)
    qtbot.waitUntil(lambda: window.job is None, timeout=WAIT_MS)
    assert not window.status.isVisible()
    # the next run picks up where it stopped
    window.job_started.disconnect(cancel_at_once)
    with qtbot.waitSignal(window.job_ended, timeout=60000) as ended:
        window.rescan()
    assert ended.args == ["finished"]
    assert _status(tmp_path / "catalog") == {"indexed": 6}
    assert window.errors == []


def test_pause_and_resume_an_index(qtbot, tmp_path, library, window_for):
    window = window_for(tmp_path / "catalog")
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.welcome, timeout=WAIT_MS)
    window.job_started.connect(lambda job: window.status.pause_button.click())
    with qtbot.waitSignal(window.job_started, timeout=WAIT_MS) as started:
        window.start_indexing([str(library)])
    job = started.args[0]
    assert job.paused
    qtbot.waitUntil(lambda: window.status.label.text().startswith("Paused · "), timeout=WAIT_MS)
    # The pause takes effect at the core's next report: a photo in flight (the job thread may
    # have pulled before the click on a busy machine) is still written, then nothing more.
    qtbot.waitUntil(lambda: job.parked, timeout=60000)
    indexed = _status(tmp_path / "catalog").get("indexed", 0)
    assert indexed <= 1
    qtbot.wait(1500)
    assert _status(tmp_path / "catalog").get("indexed", 0) == indexed
    with qtbot.waitSignal(window.job_ended, timeout=60000) as ended:
        window.status.pause_button.click()  # resume
    assert ended.args == ["finished"]
    assert _status(tmp_path / "catalog") == {"indexed": 6}
    assert window.errors == []
