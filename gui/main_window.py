"""The main window: sidebar, central pages, status-bar progress, menus, drop-to-search."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QListWidget, QListWidgetItem,
                               QMainWindow, QMessageBox, QStackedWidget, QWidget)

from core.jobs import Progress

from .actions import PeopleActions
from .context import AppContext, CatalogWatcher
from .models import queries
from .models.people import UNNAMED
from .settings import Settings
from .views import icons, names
from .views.albums_view import AlbumsPage
from .views.dialogs import AboutDialog, SettingsDialog
from .views.people_view import PeoplePage
from .views.person_view import PersonPage
from .views.photos_view import PhotosPage
from .views.review_view import ReviewPage
from .views.search_view import SearchPage
from .views import sentences
from .views.problems_view import Problems, ProblemsPage
from .views.status import JobStatus, Notice
from .views.viewer import ViewerPage
from .views.welcome import WelcomePage
from .workers.indexing import index_job, people_job
from .workers.jobs import Job
from .workers.tasks import TaskError, Workers, catalog_problem
from .workers.thumbnails import ThumbnailLoader

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".heic", ".heif",
                  ".avif"}
RESCAN_DELAY_MS = 2000
SECTIONS = [("people", "People"), ("photos", "Photos"), ("review", "Review"),
            ("albums", "Albums"), ("search", "Search")]


def _is_busy(error) -> bool:
    """A worker's error (a TaskError) that is another process indexing the catalog."""
    from core.index_lock import IndexBusy

    return isinstance(getattr(error, "error", error), IndexBusy)


class MainWindow(QMainWindow):
    job_started = Signal(object)   # Job
    job_ended = Signal(str)        # "finished" | "cancelled" | "failed" | "busy"

    def __init__(self, catalog_dir: Path, *, rescan_on_start: bool = False,
                 index_options: dict | None = None) -> None:
        """`index_options` go to `core.pipeline.index` as they are (e.g. a shared analyzer
        in tests); the user's settings supply the rest."""
        super().__init__()
        self.catalog_dir = Path(catalog_dir)
        self.index_options = dict(index_options or {})
        self.setWindowTitle("Faceshelf")
        self.setWindowIcon(icons.icon("app"))
        self.resize(1200, 800)
        self.setAcceptDrops(True)
        self.errors: list[tuple[str, TaskError]] = []
        self.rescan_on_start = rescan_on_start
        self.started_at = time.time()  # Ctrl+Z undoes this session's operations only

        workers = Workers(self, self.catalog_dir)
        workers.failed.connect(self.show_error)
        self.catalog_problem_dialog = None   # shown once for a damaged or read-only catalog
        self.read_only = None                # a CatalogReadOnly once the user was told
        loader = ThumbnailLoader(parent=self)
        loader.device_pixel_ratio = self.devicePixelRatioF()
        self.ctx = AppContext(self.catalog_dir, workers, loader,
                              CatalogWatcher(self.catalog_dir, workers, parent=self),
                              Settings.load(self.catalog_dir))
        self.actions = PeopleActions(self.ctx, self)
        # Naming, merging or answering in Review changes what the people core can match:
        # a regrouping a few seconds after the last such change fills the Review queue for
        # the people just named (as `faceshelf cluster` does in a terminal).
        self._regroup_timer = QTimer(self)
        self._regroup_timer.setSingleShot(True)
        self._regroup_timer.setInterval(self.REGROUP_AFTER_MS)
        self._regroup_timer.timeout.connect(self.update_people)
        self.actions.done.connect(self._people_changed)
        self.completer = names.NameCompleter(self.ctx, self)
        self.job: Job | None = None
        self._queued_jobs: list[tuple[Job, str]] = []  # album updates waiting for the bar
        self._queued_roots: list[str] | None = None    # an index asked for meanwhile ([]: all)
        self._queued_removals: list[str] = []          # folders to forget after the job
        self._busy_roots: list[str] | None = None      # an index refused by another process
        self._index_roots: list[str] | None = None     # what the running index was asked for
        # pages to go back to, each with the sidebar section that was highlighted with it
        self.history: list[tuple[QWidget, str | None]] = []
        self.problems = Problems()
        # the last ended job's sentence, (read number, say): said once a read asked for at its
        # end has answered; the next job's end replaces it, so an older job's is never said
        self._end_sentence: tuple[int, Callable[[Problems], None]] | None = None
        self._last_index: Progress | None = None
        self._grouping_after_stop = False   # the next grouping's sentence is about the stop

        self._build_pages()
        self._build_sidebar()
        self._build_menus()
        self.status = JobStatus(self)
        self.statusBar().addPermanentWidget(self.status)
        self.notice = Notice(self.statusBar())   # sentences with a button: Undo, Show, Resume
        self.actions.done.connect(self._say_what_changed)
        self.statusBar().setSizeGripEnabled(False)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self._open_catalog()
        # The problems are read after start-up's first paint and loads (the read is the
        # core's whole status: it must not delay the people grid), then a few seconds after
        # the catalog changes, at most that often (while a job runs, its end reads them).
        self._problems_timer = QTimer(self)
        self._problems_timer.setSingleShot(True)
        self._problems_timer.setInterval(self.PROBLEMS_AFTER_MS)
        self._problems_timer.timeout.connect(self.problems_page.check)
        self._problems_timer.start()
        self.ctx.watcher.changed.connect(self._update_review_count)
        self.ctx.watcher.changed.connect(
            lambda _stamp: None if self.job is not None or self._problems_timer.isActive()
            else self._problems_timer.start())
        self.ctx.watcher.start()

    def _open_catalog(self) -> None:
        """The first look at the catalog (in a worker: a damaged or read-only one is said
        in a dialog, see show_error), then the day's backup, off the UI thread."""
        from .workers.tasks import worker_catalog

        directory = self.catalog_dir

        def look(catalog):
            return (len(catalog.folders()),
                    getattr(catalog, "read_only_reason", None))

        def looked(result) -> None:
            folder_count, read_only = result
            if read_only is not None:
                self._show_catalog_problem(read_only)
            else:
                self.ctx.workers.run("maintenance",
                                     lambda: worker_catalog(directory).daily_backup(),
                                     what="backing up the catalog")
            self._first_look(folder_count)

        self.ctx.read_catalog(look, looked, what="opening the catalog")

    # -- construction -------------------------------------------------------------------------
    def _build_pages(self) -> None:
        ctx, actions, completer = self.ctx, self.actions, self.completer
        self.pages = QStackedWidget()
        self.welcome = WelcomePage()
        self.people_page = PeoplePage(ctx, actions, completer)
        self.photos_page = PhotosPage(ctx)
        self.person_page = PersonPage(ctx, actions, completer)
        self.viewer = ViewerPage(ctx, actions, completer)
        self.review_page = ReviewPage(ctx, actions)
        self.search_page = SearchPage(ctx, completer)
        self.albums_page = AlbumsPage(ctx)
        self.problems_page = ProblemsPage(ctx)
        for page in (self.welcome, self.people_page, self.photos_page, self.person_page,
                     self.viewer, self.review_page, self.search_page, self.albums_page,
                     self.problems_page):
            self.pages.addWidget(page)
        self.section_pages: dict[str, QWidget] = {
            "people": self.people_page, "photos": self.photos_page, "review": self.review_page,
            "albums": self.albums_page, "search": self.search_page,
            "problems": self.problems_page}
        self.problems_page.resume_requested.connect(self.rescan)
        self.problems_page.summary_changed.connect(self._problems_read)

        self.welcome.start_requested.connect(self.start_indexing)
        self.people_page.open_person.connect(self.open_person)
        self.people_page.export_person.connect(self.export_person)
        self.person_page.back_requested.connect(self.back)
        self.person_page.export_requested.connect(self.export_person)
        self.viewer.back_requested.connect(self.back)
        self.viewer.find_person_requested.connect(self.find_person)
        self.albums_page.new_album_requested.connect(lambda: self.export_dialog())
        self.albums_page.run_job.connect(self._run_or_queue_job)
        self.search_page.export_requested.connect(
            lambda spec: self.export_dialog(spec=spec, label=self.search_page.description()))
        for page in (self.person_page, self.search_page):
            page.photo_activated.connect(self.open_photo)
        self.review_page.face_opened.connect(
            lambda photo, face: self.open_photo(photo, [photo], face))
        self.photos_page.grid.photo_activated.connect(
            lambda pid: self.open_photo(pid, self.photos_page.model.photo_ids()))
        for grid in (self.photos_page.grid, self.person_page.grid, self.search_page.grid):
            grid.show_in_folder_requested.connect(self.show_in_folder)
            grid.find_people_requested.connect(
                lambda pid, g=grid: self.find_people_in_photo(g, pid))
            grid.export_requested.connect(self.export_photos)
        self.pages.setCurrentWidget(self.people_page)

    def _build_sidebar(self) -> None:
        self.sidebar = QListWidget()
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setFixedWidth(170)
        self.sidebar.setFrameShape(QListWidget.Shape.NoFrame)
        self.sidebar.setSpacing(2)
        for key, label in SECTIONS:
            item = QListWidgetItem(icons.icon(key), label)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setSizeHint(QSize(150, 34))
            self.sidebar.addItem(item)
        # shown only while there is something to say (see _problems_read)
        item = QListWidgetItem(icons.icon("problems"), "Problems")
        item.setData(Qt.ItemDataRole.UserRole, "problems")
        item.setSizeHint(QSize(150, 34))
        self.sidebar.addItem(item)
        item.setHidden(True)
        self.sidebar.currentItemChanged.connect(self._section_chosen)
        self.sidebar.setCurrentRow(0)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.add_folder_action = self._action(file_menu, "Add folder…", self.add_folder,
                                              QKeySequence.StandardKey.Open, "folder-add")
        self._action(file_menu, "Rescan", self.rescan, QKeySequence(Qt.Key.Key_F5), "rescan")
        file_menu.addSeparator()
        self._action(file_menu, "Search by photo…", self.search_by_photo_dialog,
                     QKeySequence("Ctrl+Shift+F"), "search")
        # (a lambda: the menu passes `checked`, which export_dialog would take for a search)
        self._action(file_menu, "Export…", lambda: self.export_dialog(), QKeySequence("Ctrl+E"),
                     "export")
        file_menu.addSeparator()
        self._action(file_menu, "Quit", self.close, QKeySequence.StandardKey.Quit)
        edit = self.menuBar().addMenu("&Edit")
        self._action(edit, "Undo", self.undo, QKeySequence.StandardKey.Undo)
        edit.addSeparator()
        self._action(edit, "Settings…", self.settings_dialog, QKeySequence("Ctrl+,"), "settings")
        go = self.menuBar().addMenu("&Go")
        for number, (key, label) in enumerate(SECTIONS, start=1):
            self._action(go, label, lambda checked=False, k=key: self.show_section(k),
                         QKeySequence(f"Ctrl+{number}"), key)
        self._action(go, "Find", self.find, QKeySequence.StandardKey.Find)
        self._action(go, "Back", self.escape, QKeySequence(Qt.Key.Key_Escape), "back")
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "About Faceshelf", self.about_dialog, None, "info")

    def _action(self, menu, text, slot, shortcut=None, icon_name=None) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icons.icon(icon_name))
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    # -- navigation ---------------------------------------------------------------------------
    def _first_look(self, folder_count: int) -> None:
        if folder_count == 0 and self.job is None:
            self.pages.setCurrentWidget(self.welcome)
            self.sidebar.hide()  # nothing to browse yet: the welcome page has the stage
        elif self.rescan_on_start and self.read_only is None:
            # After the first paint and the people grid: the scan imports the engine, which
            # costs the UI thread a moment (the GIL) that the user should not see at start-up.
            QTimer.singleShot(RESCAN_DELAY_MS, self.rescan)

    def _section_chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is None:
            return
        page = self.section_pages.get(item.data(Qt.ItemDataRole.UserRole))
        if page is not None and self.pages.currentWidget() is not self.welcome:
            self.go_to(page, remember=False)
            if page is self.review_page:
                # Review is answered with keys (Y, N, S): they go to its faces, not to the
                # sidebar, whose type-ahead would jump to "Search" on an S.
                QTimer.singleShot(0, self.review_page.grid.setFocus)

    def _update_review_count(self, _stamp=None) -> None:
        """The sidebar says how many faces wait for review."""
        def show(n: int) -> None:
            row = self._sidebar_row("review")
            if row is not None:
                self.sidebar.item(row).setText(f"Review  ({n:,})" if n else "Review")

        self.ctx.read(queries.review_count, show, what="counting suggestions")

    def find(self) -> None:
        """Ctrl+F: the search page, typing a name at once."""
        self.show_section("search")
        self.search_page.all_of.edit.setFocus()

    def _sidebar_row(self, key: str) -> int | None:
        return next((row for row in range(self.sidebar.count())
                     if self.sidebar.item(row).data(Qt.ItemDataRole.UserRole) == key), None)

    def show_section(self, key: str) -> None:
        row = self._sidebar_row(key)
        if row is not None:
            self.sidebar.setCurrentRow(row)
        page = self.section_pages.get(key)
        if page is not None:
            self.go_to(page, remember=False)

    def go_to(self, page: QWidget, remember: bool = True) -> None:
        current = self.pages.currentWidget()
        if current is page:
            return
        if remember and current is not None and current is not self.welcome:
            self.history.append((current, self._highlighted_section()))
        elif not remember:
            self.history.clear()
        self.pages.setCurrentWidget(page)

    def back(self) -> None:
        if self.history:
            page, section = self.history.pop()
            self.pages.setCurrentWidget(page)
            # the section it was shown under (a viewer opened from Photos says Photos again)
            self._highlight_section(section)

    def escape(self) -> None:
        """Esc: back a page, unless the user is typing: Esc in a text box belongs to the box
        (it used to leave the Search page from a name box)."""
        from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QTextEdit

        if isinstance(QApplication.focusWidget(), (QLineEdit, QAbstractSpinBox, QTextEdit)):
            return
        self.back()

    def _highlighted_section(self) -> str | None:
        item = self.sidebar.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _highlight_section(self, key: str | None) -> None:
        row = self._sidebar_row(key) if key is not None else None
        if row is not None:
            self.sidebar.blockSignals(True)
            self.sidebar.setCurrentRow(row)
            self.sidebar.blockSignals(False)

    def _highlight_section_of(self, page: QWidget) -> None:
        """The sidebar shows the section of the page on screen (a person's page or the viewer
        leaves the highlight where it was), without going anywhere."""
        key = next((k for k, p in self.section_pages.items() if p is page), None)
        self._highlight_section(key)

    # -- indexing -----------------------------------------------------------------------------
    def add_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a photo folder", str(Path.home()))
        if path:
            self.start_indexing([path])

    def rescan(self) -> None:
        self.start_indexing(None)

    def start_indexing(self, roots: list[str] | None) -> None:
        if self.job is not None:
            # after the running job (a rescan asked for while grouping runs is not dropped)
            if roots:
                if self._queued_roots != []:   # [] is a rescan of everything: it covers them
                    self._queued_roots = (self._queued_roots or []) + list(roots)
                # in the catalog at once: a rescan indexes them even if this queue is dropped
                self.ctx.write(lambda catalog, new=list(roots): [catalog.add_folder(r)
                                                                 for r in new],
                               what="adding a folder")
            elif self._queued_roots is None:
                self._queued_roots = []   # everything
            what = "the new folder is" if roots else "everything is"
            self.statusBar().showMessage(f"{self._doing(self.job).capitalize()} is running; "
                                         f"{what} indexed after it.", 5000)
            return
        if self.pages.currentWidget() is self.welcome:
            self.sidebar.show()
            self.pages.setCurrentWidget(self.people_page)
            self.show_section("people")
        job = Job("index", index_job(self.catalog_dir, roots, self.ctx.settings,
                                     self.index_options), self)
        self._index_roots = roots  # asked for again if another process holds the catalog
        self._run_job(job, "Starting…")

    def remove_folder(self, path: str) -> None:
        """Forget a folder (Settings): now, or after the running job (an index writing photos
        of that folder would fail)."""
        if self._queued_roots and path in self._queued_roots:  # added meanwhile: not any more
            self._queued_roots.remove(path)
            if not self._queued_roots:
                self._queued_roots = None
        if self.job is not None:
            self._queued_removals.append(path)
            self.statusBar().showMessage(f"{path} is removed when {self._doing(self.job)} "
                                         f"is done.", 8000)
            return
        self._remove_folders([path], then=self.update_people)

    def _remove_folders(self, paths: list[str], then) -> None:
        """Remove the folders, then call `then()` once those writes are done (the writer pool
        runs one write at a time, in order). A folder another process's index holds is tried
        again later."""
        def refused(error, path) -> None:
            if not _is_busy(error):
                self.ctx.workers.failed.emit("removing a folder", error)
                return
            self._queued_removals.append(path)
            self.statusBar().showMessage(f"Another Faceshelf process is indexing this catalog; "
                                         f"{path} is removed when it has finished.", 8000)
            QTimer.singleShot(self.BUSY_RETRY_MS, self._retry_removals)

        for path in paths:
            self.ctx.write(lambda catalog, p=path: catalog.remove_folder(p),
                           on_error=lambda error, p=path: refused(error, p),
                           what="removing a folder")
        self.ctx.write(lambda _catalog: None, on_success=lambda _result: then(),
                       what="removing a folder")

    def _retry_removals(self) -> None:
        if self.job is None and self._queued_removals:
            paths, self._queued_removals = self._queued_removals, []
            self._remove_folders(paths, then=self.update_people)

    def update_people(self) -> None:
        if self.job is not None and (self.job.name == "people" or any(
                job.name == "people" for job, _title in self._queued_jobs)):
            return  # running or queued already: once, however often it is asked for
        job = Job("people", people_job(self.catalog_dir), self)
        if self.job is None:
            self._run_job(job, "Grouping faces…")
        else:  # after the running job, not never
            self._queued_jobs.insert(0, (job, "Grouping faces…"))

    def _run_or_queue_job(self, job: Job, title: str) -> None:
        """An album update: now, or after the job that holds the status bar (one job at a
        time keeps its pause and cancel buttons meaning what they say)."""
        if self.job is None:
            self._run_job(job, title, False)
            return
        self._queued_jobs.append((job, title))
        self.statusBar().showMessage(f"{title}: starts when {self._doing(self.job)} is done.",
                                     8000)

    @staticmethod
    def _doing(job: Job) -> str:
        return {"index": "indexing", "people": "grouping"}.get(job.name, job.name)

    def _run_job(self, job: Job, title: str, pausable: bool = True) -> None:
        self.job = job
        self._last_index = None
        if job.name == "index":
            self.problems_page.set_indexing(True)
        self.status.attach(job, title, pausable)
        job.progress.connect(self._job_progress)
        job.finished.connect(lambda _last: self._job_ended("finished", job))
        job.cancelled.connect(lambda: self._job_ended("cancelled", job))
        job.failed.connect(lambda error: self._job_failed(job, error))
        job.start(self.ctx.workers)
        self.job_started.emit(job)

    BUSY_RETRY_MS = 15000
    PROBLEMS_AFTER_MS = 2500
    REGROUP_AFTER_MS = 4000
    _REGROUPING_ACTIONS = {"rename", "merge", "move_faces", "confirm", "reject", "ignore",
                           "undo", "add_face"}

    def _people_changed(self, action: str, _result) -> None:
        if action in self._REGROUPING_ACTIONS:
            self._regroup_timer.start()  # (again: a few seconds after the last one)

    def _job_failed(self, job: Job, error) -> None:
        if not _is_busy(error):
            self.show_error(job.name, error)
            self._job_ended("failed", job)
            return
        # Another Faceshelf (a terminal, a scheduled run) is indexing this catalog: not a
        # failure. An index of ours is asked for again until it may run.
        self._job_ended("busy", job)
        if job.name == "index" and self._queued_roots is None:
            roots = self._index_roots
            self._busy_roots = list(roots) if roots else []
            QTimer.singleShot(self.BUSY_RETRY_MS, self._retry_busy_index)

    def _retry_busy_index(self) -> None:
        roots, self._busy_roots = self._busy_roots, None
        if roots is not None:
            self.start_indexing(roots or None)

    def _job_progress(self, progress: Progress) -> None:
        if progress.stage == "index":
            self._last_index = progress   # what this run did, for the message at its end
        self.ctx.watcher.poll()  # people and photos appear while the job goes on

    _ENDED = {
        # (an index or grouping that finished or stopped says more: see _say_job_end)
        "index": {"failed": "Indexing failed.",
                  "busy": "Another Faceshelf process is indexing this catalog; indexing "
                          "here starts when it has finished."},
        "people": {"failed": "Grouping faces failed."},
        "export": {"finished": "Export finished.", "failed": "Export failed.",
                   "cancelled": "Export stopped; run it again to finish it."},
    }

    def _job_ended(self, how: str, job: Job) -> None:
        self.job = None
        self.ctx.watcher.poll()
        name = job.name
        messages = self._ENDED.get(name, self._ENDED["index"])
        if name == "index":
            self.problems_page.set_indexing(False)
        number = self.problems_page.check()
        if name in ("index", "people") and how in ("finished", "cancelled"):
            # the true sentence needs the catalog's count of what is left: said once read
            # (by this read or a later one, never by one asked for while the job ran)
            ran = self._last_index if name == "index" else None
            self._end_sentence = (number, lambda problems: self._say_job_end(name, how, ran,
                                                                             problems))
        else:
            # an older job's sentence never replaces a later job's (an album update queued
            # behind the index may end before the index's sentence is read)
            self._end_sentence = None
            self.statusBar().showMessage(messages.get(how, messages["failed"]), 8000)
        self.job_ended.emit(how)
        stopped_indexing = how == "cancelled" and name == "index"
        if stopped_indexing:
            # Stopped means stopped: a queued index waits for the next rescan (its folders
            # are in the catalog already).
            self._queued_roots = None
        removals, self._queued_removals = self._queued_removals, []
        regroup = stopped_indexing or bool(removals)
        if stopped_indexing:
            self._grouping_after_stop = True

        def next_job() -> None:
            if self.job is not None:  # the user started something meanwhile
                return
            if self._queued_roots is not None:
                queued, self._queued_roots = self._queued_roots, None
                self.start_indexing(queued or None)   # it groups people at its end
            elif regroup:
                # the faces found before a stop are grouped now, not at the next index; a
                # removed folder's groups go (quick when nothing changed; can be cancelled)
                self.update_people()
            elif self._queued_jobs:
                self._run_job(*self._queued_jobs.pop(0), False)

        if removals or stopped_indexing:
            # folders removed in Settings while it ran go first (and any write already asked
            # for finishes): then the next job
            self._remove_folders(removals, then=next_job)
        else:
            next_job()

    def cancel_job(self) -> None:
        self.status.cancel()

    # -- problems and what is left to do ------------------------------------------------------
    def _problems_read(self, problems: Problems, number: int) -> None:
        """The sidebar shows Problems while there is something to say (files that could not
        be read, an offline folder, photos waiting while no index runs)."""
        self.problems = problems
        row = self._sidebar_row("problems")
        if row is not None:
            item = self.sidebar.item(row)
            waiting = problems.pending and not (self.job is not None and self.job.name == "index")
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
                                 indexing=self.job is not None and self.job.name == "index")
        if said is None:
            # a quiet regrouping (after a rename, say): its "Named …" and Undo stay
            if not (self.notice.text() or self.statusBar().currentMessage()):
                self.notice.say("People updated.", 8000)
            return
        text, button = said
        action = {sentences.RESUME: self.rescan,
                  sentences.SHOW: lambda: self.show_section("problems")}.get(button)
        self.notice.say(text, 15000, button, action)

    # -- opening things -----------------------------------------------------------------------
    def open_person(self, person_id: int) -> None:
        self.person_page.show_person(person_id)
        self.go_to(self.person_page)

    def open_photo(self, photo_id: int, sequence: list[int] | None = None,
                   highlight_face: int | None = None) -> None:
        self.viewer.show_photo(photo_id, sequence, highlight_face)
        self.go_to(self.viewer)
        self.viewer.setFocus()

    def find_person(self, face) -> None:
        """Right-click a face → Find this person: everyone's photos of them, best first."""
        if face.person_id is not None:
            self.search_page.search_person(face.person_id, face.person_name or UNNAMED)
        else:
            self.search_page.search_face(face.id, f"this {UNNAMED} face")
        self._show_search()

    def find_people_in_photo(self, grid, photo_id: int) -> None:
        """Search with every face of this photo (pick one when there are several)."""
        model = grid.photo_model()
        row = model.row_of(photo_id)
        if row is not None:
            self.search_by_photo(model.rows[row].path)

    def _show_search(self) -> None:
        self.go_to(self.search_page)   # (remembers the section highlighted until now)
        self._highlight_section_of(self.search_page)

    # -- other commands -------------------------------------------------------------------------
    _UNDONE = {"name": "the renaming", "merge": "the merge", "move": "the move of faces",
               "reject": "the “not this person”", "confirm": "the confirmation",
               "ignore": "the ignoring", "unignore": "the un-ignoring", "hide": "the hiding",
               "unhide": "the showing", "cover": "the cover change", "forget": "the forgetting",
               "ignore-groups": "the ignoring of small groups", "add-face": "the drawn face"}

    def undo(self) -> None:
        def said(result) -> None:
            entry = result
            text = ("Nothing to undo in this session." if entry is None else
                    f"Undid {self._UNDONE.get(entry.action, entry.action)}"
                    + (f" ({entry.about})." if entry.about else "."))
            self.statusBar().showMessage(text, 6000)

        self.actions.undo(self.started_at, on_success=said)

    _SAID_ACTIONS = {"rename", "merge", "move_faces", "hide", "add_face", "ignore"}

    def _say_what_changed(self, action: str, _result) -> None:
        """Naming, hiding, merging and moving say what they did, with Undo (the undo log's
        own words: what is undone is what was said)."""
        if action not in self._SAID_ACTIONS:
            return
        from core.people.undo import last_entry

        def said(entry) -> None:
            if entry is not None:
                self.notice.say(sentences.people_change(entry.action, entry.about), 15000, "Undo",
                                self.undo)

        self.ctx.read(lambda conn: last_entry(conn, self.started_at), said,
                      what="reading what was done")

    def search_by_photo_dialog(self) -> None:
        """File → Search by photo…: the search page's own Choose photo…"""
        self._show_search()
        self.search_page.choose_photo()

    def search_by_photo(self, path: str) -> None:
        self.search_page.search_photo(path)
        self._show_search()

    def export_dialog(self, spec=None, label: str = "", people: list[str] | None = None):
        from .views.export_dialog import ExportDialog

        if spec is None and people is None and self.pages.currentWidget() is self.search_page:
            spec, label = self.search_page.current_spec(), self.search_page.description()
        dialog = ExportDialog(self.ctx, self.completer, spec=spec, people=people,
                              spec_label=label, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.last_dialog = dialog
        return dialog

    def export_person(self, person_id: int) -> None:
        """The export dialog for a person, under their name as it is now (read from the
        catalog: a grid not on screen may still show an older one)."""
        from core.search.spec import SearchSpec

        def open_with(name: str | None) -> None:
            if name:
                self.export_dialog(people=[name])
            else:
                self.export_dialog(spec=SearchSpec(people_all=[person_id]),
                                   label=f"this {UNNAMED} person")

        self.ctx.read(lambda conn: queries.person_name(conn, person_id), open_with,
                      what="reading a person's name")

    def export_photos(self, photo_ids: list[int]) -> None:
        """Right-click → Export… in a grid: the photos selected there (the whole search or
        person has its own button)."""
        from core.search.spec import SearchSpec

        if not photo_ids:
            return self.export_dialog()
        count = len(photo_ids)
        return self.export_dialog(
            spec=SearchSpec(photo_ids=list(photo_ids)),
            label="this photo" if count == 1 else f"the {count:,} selected photos")

    def settings_dialog(self) -> SettingsDialog:
        dialog = SettingsDialog(self.ctx, self)
        dialog.folder_added.connect(lambda path: self.start_indexing([path]))
        dialog.folder_remove_requested.connect(self.remove_folder)
        dialog.threshold_changed.connect(self.search_page.apply_settings)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.last_dialog = dialog
        return dialog

    def about_dialog(self) -> AboutDialog:
        dialog = AboutDialog(self.catalog_dir, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.last_dialog = dialog
        return dialog

    def show_in_folder(self, path: str) -> bool:
        """The photo's folder in the file manager; a message when there is none."""
        from .views.folders import open_folder

        return open_folder(self, Path(path).parent, "The photo's folder")

    # -- drop an outside photo anywhere: search by it ------------------------------------------
    def _dropped_image(self, event) -> str | None:
        for url in event.mimeData().urls():
            if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in IMAGE_SUFFIXES:
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and self._dropped_image(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        path = self._dropped_image(event)
        if path:
            event.acceptProposedAction()
            self.search_by_photo(path)

    # -- errors and shutdown ------------------------------------------------------------------
    def show_error(self, what: str, error: TaskError) -> None:
        self.errors.append((what, error))
        problem = catalog_problem(error, self.catalog_dir)
        if problem is not None:
            self._show_catalog_problem(problem)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Faceshelf",
                          f"{what.capitalize()} failed:\n{error}", QMessageBox.StandardButton.Ok,
                          self)
        box.setDetailedText(getattr(error, "trace", ""))
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()

    def _show_catalog_problem(self, problem) -> None:
        """One dialog for a catalog that cannot be used (the failures it causes elsewhere
        add nothing); a read-only catalog, once told, only gets a line per refused change."""
        from .views.catalog_problem import CatalogProblemDialog

        if problem.kind == "read-only" and self.read_only is not None:
            self.statusBar().showMessage(f"Not changed: {problem.headline()}.", 8000)
            return
        if self.catalog_problem_dialog is not None:
            return
        if problem.kind == "read-only":
            self.read_only = problem
        else:
            self.ctx.watcher.timer.stop()  # it would only fail again every second
        dialog = CatalogProblemDialog(problem, self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.quit_requested.connect(self.close)
        dialog.repaired.connect(self._reopen_catalog)
        dialog.finished.connect(lambda _result: setattr(self, "catalog_problem_dialog", None))
        self.catalog_problem_dialog = dialog
        dialog.show()

    def _reopen_catalog(self) -> None:
        """After a repair: every worker opens the new file; pages refresh as it is read."""
        from .workers.tasks import reopen_worker_catalogs

        reopen_worker_catalogs()
        self.ctx.watcher.stamp = None
        self.ctx.watcher.start()
        self._open_catalog()
        self.statusBar().showMessage("The repaired catalog is open.", 8000)

    def closeEvent(self, event) -> None:
        if self.job is not None:
            self.job.cancel()
            for signal in (self.job.progress, self.job.finished, self.job.failed,
                           self.job.cancelled):
                signal.disconnect()
        self.ctx.watcher.timer.stop()
        self.ctx.loader.stop()
        self.ctx.workers.shutdown()
        super().closeEvent(event)

