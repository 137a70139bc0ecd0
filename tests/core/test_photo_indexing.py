"""The one indexing workflow both front ends run (core.photo_indexing): real photos, real
models, real SQLite; the people schedule's clock is the only thing faked."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image

from core import photo_indexing
from core.jobs import CancelToken
from core.photo_indexing import IndexingSummary, PeopleSchedule, index_library, people_update
from core.pipeline import InProcessAnalysis


@pytest.fixture
def library(tmp_path, insightface_images):
    """Three photos of the same six people (re-encoded copies: new files) and one unreadable."""
    folder = tmp_path / "library"
    folder.mkdir()
    shutil.copy(insightface_images / "t1.jpg", folder / "group.jpg")
    with Image.open(insightface_images / "t1.jpg") as image:
        for quality in (80, 70):
            image.convert("RGB").save(folder / f"copy{quality}.jpg", quality=quality)
    (folder / "broken.jpg").write_bytes(b"not a photo")
    return folder


def _stages(progresses) -> list[str]:
    """The stages in the order they came, each run of one stage said once."""
    stages: list[str] = []
    for progress in progresses:
        if not stages or stages[-1] != progress.stage:
            stages.append(progress.stage)
    return stages


def test_scan_index_then_people_and_the_summary_says_what_happened(catalog, library,
                                                                   face_analyzer):
    summary = IndexingSummary()
    seen = list(index_library(catalog, [library], analyzer=face_analyzer, summary=summary))
    assert _stages(seen) == ["scan", "index", "people"]
    assert summary.scanned["new"] == 4
    assert (summary.indexed.done, summary.indexed.total) == (4, 4)
    assert summary.indexed.counters == {"faces": 18, "errors": 1}
    assert summary.photos_ended_at is not None
    groups = catalog.execute("SELECT COUNT(*) FROM people WHERE name IS NULL").fetchone()[0]
    assert summary.people["groups"] == groups > 0
    assert summary.people["skipped"] == 0
    # nothing new since: a second run scans, finds nothing to index and skips the people
    again = IndexingSummary()
    seen = list(index_library(catalog, None, analyzer=face_analyzer, summary=again))
    assert _stages(seen) == ["scan", "index", "people"]
    assert again.scanned["unchanged"] == 4 and again.indexed.total == 0
    assert again.people["skipped"] == 1 and again.people["groups"] == groups


def test_without_people_no_update_runs(catalog, library, face_analyzer):
    summary = IndexingSummary()
    seen = list(index_library(catalog, [library], analyzer=face_analyzer, people=False,
                              summary=summary))
    assert _stages(seen) == ["scan", "index"]
    assert summary.people is None
    assert catalog.execute("SELECT COUNT(*) FROM people").fetchone()[0] == 0


def test_people_while_indexing_come_between_the_photos(catalog, library, face_analyzer):
    seen = list(index_library(catalog, [library], analyzer=face_analyzer,
                              people_while_indexing=PeopleSchedule(0.0, 0.0, 0.0)))
    stages = _stages(seen)
    assert stages[:2] == ["scan", "index"] and stages[-1] == "people"
    # at least one update before the last photo was written, then indexing went on
    assert stages.index("people") < len(stages) - 1
    assert "index" in stages[stages.index("people"):]


def test_a_stopped_run_updates_no_people(catalog, library, face_analyzer):
    token = CancelToken()
    summary = IndexingSummary()
    seen = []
    for progress in index_library(catalog, [library], analyzer=face_analyzer, cancel=token,
                                  summary=summary):
        seen.append(progress)
        if progress.stage == "index" and progress.done == 1:
            token.cancel()
    assert seen[-1].stage == "index" and seen[-1].message == "cancelled"
    assert summary.people is None
    pending = catalog.execute("SELECT COUNT(*) FROM photos WHERE status='pending'").fetchone()[0]
    assert pending == 3  # left for the next run
    assert list(people_update(catalog, token)) == []  # a stopped token starts nothing


class _Recording(InProcessAnalysis):
    """Another executor, as a cluster's client would be: it says when it is called and sends
    its results back in another order than the photos came."""

    def __init__(self, catalog_dir, pack, settings, analyzer, calls: list[str]) -> None:
        super().__init__(catalog_dir, pack, settings, analyzer)
        self.calls = calls

    def warm_up(self) -> None:
        self.calls.append("warm_up")

    def results(self, pending, cancel):
        self.calls.append(f"results {len(pending)}")
        yield from reversed(list(super().results(pending, cancel)))

    def close(self) -> None:
        self.calls.append("close")


def test_an_executor_plugged_in_analyses_the_photos(catalog, library, face_analyzer):
    calls: list[str] = []

    def executor(for_catalog, pack, settings):
        assert for_catalog is catalog and pack.model_id == face_analyzer.models.pack.model_id
        return _Recording(catalog.dir, pack, settings, face_analyzer, calls)

    summary = IndexingSummary()
    for progress in index_library(catalog, [library], executor=executor, people=False,
                                  summary=summary):
        if progress.stage == "scan" and "scan" not in calls:
            calls.append("scan")
    # the models may load while the folders are scanned; closed once the results are in
    assert calls == ["warm_up", "scan", "results 4", "close"]
    rows = catalog.execute("SELECT status, COUNT(*) FROM photos GROUP BY status").fetchall()
    assert dict(rows) == {"indexed": 3, "error": 1}
    assert catalog.execute("SELECT COUNT(*) FROM faces").fetchone()[0] == 18
    assert summary.indexed.counters == {"faces": 18, "errors": 1}


def _write_a_face(catalog) -> None:
    """A face row as the index writes it: the catalog's revision moves."""
    with catalog.transaction() as conn:
        conn.execute("INSERT OR IGNORE INTO folders(id, path, added_at) VALUES (1, '/p', 0)")
        photo = conn.execute("INSERT INTO photos(folder_id, path, size, mtime_ns, status) "
                             "SELECT 1, '/p/' || (COUNT(*) + 1), 1, 1, 'indexed' FROM photos"
                             ).lastrowid
        conn.execute("INSERT INTO faces(photo_id, x1, y1, x2, y2, landmarks, det_score, size, "
                     "quality, usable, embedding, model_id, created_at) "
                     "VALUES (?, 0, 0, 9, 9, zeroblob(40), 0.9, 9, 0.5, 1, zeroblob(2048), "
                     "'m', 0)", (photo,))


def test_the_people_schedule_doubles_and_retries(catalog, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(photo_indexing.time, "monotonic", lambda: clock[0])
    timer = photo_indexing._PeopleTimer(PeopleSchedule(first_s=3, every_s=20, retry_s=1),
                                        catalog)
    waits = []

    def wait_until_due() -> None:
        start = clock[0]
        while not timer.due():
            clock[0] += 0.5
        waits.append(clock[0] - start)

    wait_until_due()
    assert not timer.faces_changed()        # no face written yet: a second later
    timer.retry_soon()
    wait_until_due()
    _write_a_face(catalog)
    assert timer.faces_changed()
    timer.updated(found=False)              # too few faces for a group: a second later
    wait_until_due()
    for _ in range(4):
        _write_a_face(catalog)
        assert timer.faces_changed()
        timer.updated(found=True)
        assert not timer.faces_changed()
        wait_until_due()
    assert waits == [3.5, 1.5, 1.5, 6.5, 12.5, 20.5, 20.5]
