"""What the window says when a job ends: what it did and what is left to do.

The line shown while a job runs is `views.status.JobStatus`; this is the sentence after it
("Indexed 918 photos, 2 could not be read. [Show]", "Indexing stopped: 166 photos still to
do. [Resume]"), and the sidebar's Problems entry, shown while there is something to say. The
sentence needs the catalog's count of what is left, so it is said once the problems page has
read it (by the read asked for at the job's end or a later one, never an earlier one).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QStatusBar

from core.jobs import Progress

from .navigation import Sidebar
from .views import sentences
from .views.problems_page import Problems, ProblemsPage
from .views.status import Notice
from .workers.job_queue import JobQueue
from .workers.jobs import Job

ENDED = {
    # (an index or grouping that finished or stopped says more: see _say_job_end)
    "index": {"failed": "Indexing failed.",
              "busy": "Another Faceshelf process is indexing this catalog; indexing "
                      "here starts when it has finished."},
    "people": {"failed": "Grouping faces failed."},
    "export": {"finished": "Export finished.", "failed": "Export failed.",
               "cancelled": "Export stopped; run it again to finish it."},
}


class JobFeedback(QObject):
    def __init__(self, jobs: JobQueue, bar: QStatusBar, notice: Notice,
                 problems_page: ProblemsPage, sidebar: Sidebar, *,
                 resume: Callable[[], None], show_problems: Callable[[], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs, self.bar, self.notice = jobs, bar, notice
        self.problems_page, self.sidebar = problems_page, sidebar
        self.resume, self.show_problems = resume, show_problems
        self.problems = Problems()
        # the last ended job's sentence, (read number, say): said once a read asked for at its
        # end has answered; the next job's end replaces it, so an older job's is never said
        self._end_sentence: tuple[int, Callable[[Problems], None]] | None = None
        self._last_index: Progress | None = None   # what the running index did so far
        self._grouping_after_stop = False           # the next grouping's sentence is about it
        jobs.started.connect(self._started)
        jobs.progressed.connect(self._progressed)
        jobs.ended.connect(self._ended)
        problems_page.summary_changed.connect(self._problems_read)

    def _started(self, job: Job, _title: str, _pausable: bool) -> None:
        self._last_index = None
        if job.name == "index":
            self.problems_page.set_indexing(True)

    def _progressed(self, progress: Progress) -> None:
        if progress.stage == "index":
            self._last_index = progress   # what this run did, for the sentence at its end

    def _ended(self, job: Job, how: str) -> None:
        name = job.name
        if name == "index":
            self.problems_page.set_indexing(False)
        number = self.problems_page.check()
        if name in ("index", "people") and how in ("finished", "cancelled"):
            ran = self._last_index if name == "index" else None
            self._end_sentence = (number, lambda problems: self._say_job_end(name, how, ran,
                                                                             problems))
        else:
            # an older job's sentence never replaces a later job's (an album update queued
            # behind the index may end before the index's sentence is read)
            self._end_sentence = None
            messages = ENDED.get(name, ENDED["index"])
            self.bar.showMessage(messages.get(how, messages["failed"]), 8000)
        if how == "cancelled" and name == "index":
            self._grouping_after_stop = True

    def _problems_read(self, problems: Problems, number: int) -> None:
        """The sidebar shows Problems while there is something to say (files that could not
        be read, an offline folder, photos waiting while no index runs)."""
        self.problems = problems
        item = self.sidebar.item_of("problems")
        if item is not None:
            waiting = problems.pending and not self.jobs.indexing
            item.setHidden(not (problems.count or waiting))
            item.setText(f"Problems  ({problems.count:,})" if problems.count else "Problems")
        if self._end_sentence is not None and number >= self._end_sentence[0]:
            say = self._end_sentence[1]
            self._end_sentence = None
            say(problems)

    def _say_job_end(self, name: str, how: str, ran: Progress | None,
                     problems: Problems) -> None:
        """What the job did and what is still to do, with the button that helps: Resume
        (photos waiting) or Show (files that could not be read, an offline folder)."""
        after_stop = name == "people" and self._grouping_after_stop
        if name == "people":
            self._grouping_after_stop = False
        said = sentences.job_end(name, how, ran, problems, after_stop=after_stop,
                                 indexing=self.jobs.indexing)
        if said is None:
            # a quiet regrouping (after a rename, say): its "Named …" and Undo stay
            if not (self.notice.text() or self.bar.currentMessage()):
                self.notice.say("People updated.", 8000)
            return
        text, button = said
        action = {sentences.RESUME: self.resume, sentences.SHOW: self.show_problems}.get(button)
        self.notice.say(text, 15000, button, action)
