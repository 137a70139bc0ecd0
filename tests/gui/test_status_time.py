"""The status line's speed and time left (logic, with a clock the test moves)."""

from __future__ import annotations

from core.jobs import Progress
from gui.views.status import RateMeter, time_left


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _index(done: int, total: int = 100) -> Progress:
    return Progress("index", done, total)


def test_a_pause_is_not_counted_into_the_rate():
    clock = Clock()
    meter = RateMeter(clock)
    for done in range(1, 21):            # 2 photos a second for 10 s
        meter.add(_index(done * 2))
        clock.now += 1.0
    assert abs(meter.rate() - 2.0) < 1e-6
    meter.pause()
    clock.now += 300                     # five minutes away
    meter.resume()
    clock.now += 2.0
    meter.add(_index(46))                # 3 s of work after the last report: 6 more photos
    assert abs(meter.rate() - 2.0) < 1e-6   # not 46 photos over five minutes
    assert abs(meter.eta(54) - 27.0) < 1e-6


def test_photos_done_during_a_pause_arrive_at_once_and_add_no_speed():
    clock = Clock()
    meter = RateMeter(clock)
    for done in range(1, 11):            # 2 photos a second
        meter.add(_index(done * 2))
        clock.now += 1.0
    meter.pause()
    clock.now += 60
    meter.resume()
    meter.add(_index(36))                # 16 finished by the workers while paused, at once
    clock.now += 0.2
    meter.add(_index(40))
    assert meter.rate() < 2.5             # not 40 photos in 11 s of work
    for done in range(21, 26):            # then 2 photos a second again
        clock.now += 1.0
        meter.add(_index(done * 2))
    assert abs(meter.rate() - 2.0) < 0.3


def test_the_time_left_is_never_zero_while_photos_remain():
    assert time_left(0.2) == "1 s left"
    assert time_left(0) == "1 s left"
    assert time_left(59.1) == "1 min left"
    assert time_left(61) == "2 min left"
    assert time_left(3 * 3600 + 5) == "3 h 01 min left"
    clock = Clock()
    meter = RateMeter(clock)
    meter.add(_index(0))
    clock.now += 1.0
    meter.add(_index(50))
    assert meter.eta(12) is None           # not settled yet: no guess
    for done in range(51, 89):
        clock.now += 0.1
        meter.add(_index(done))
    assert meter.eta(12) is not None and time_left(meter.eta(12)) != "0 s left"
    assert meter.eta(0) is None


def test_end_of_job_sentences_say_what_is_left():
    from gui.views.problems_page import Problems
    from gui.views.sentences import RESUME, SHOW, job_end

    ran = Progress("index", 920, 920, counters={"errors": 2})
    assert job_end("index", "finished", ran, Problems()) == (
        "Indexed 918 photos, 2 could not be read.", SHOW)
    assert job_end("index", "cancelled", None, Problems(pending=166)) == (
        "Indexing stopped: 166 photos still to do.", RESUME)
    # another index runs now: nothing to resume
    assert job_end("people", "finished", None, Problems(pending=166), indexing=True) is None
    assert job_end("people", "finished", None, Problems(pending=1)) == (
        "People updated. 1 photo still to do.", RESUME)
    assert job_end("index", "finished", Progress("index", 0, 0), Problems(
        offline=["/media/usb"])) == ("Indexing finished: no new photos. 1 folder offline.", SHOW)


def test_loading_the_models_is_not_counted_into_the_speed():
    clock = Clock()
    meter = RateMeter(clock)
    meter.add(_index(0))          # the index starts; 30 s of loading models, nothing done
    clock.now += 30
    for done in range(1, 11):     # then a photo a second
        meter.add(_index(done))
        clock.now += 1.0
    assert abs(meter.rate() - 1.0) < 1e-6
