"""The main window: the pages, the sidebar and menus that reach them, and the status bar that
says what the jobs do. The parts live in their own modules (navigation, menus, job queue and
its feedback, catalog health, photo drop); this wires them together."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QMainWindow, QStackedWidget, QWidget

from .actions import PeopleActions
from .catalog_health import CatalogHealth
from .context import AppContext, CatalogWatcher
from .job_feedback import JobFeedback
from .menus import build_menus
from .models import queries
from .models.people import UNNAMED
from .navigation import Navigation, Sidebar
from .people_notices import PeopleNotices
from .photo_drop import PhotoDrop
from .settings import Settings
from .views import icons, names
from .views.albums_page import AlbumsPage
from .views.dialogs import AboutDialog, SettingsDialog
from .views.people_page import PeoplePage
from .views.person_page import PersonPage
from .views.photos_page import PhotosPage
from .views.problems_page import ProblemsPage
from .views.review_page import ReviewPage
from .views.search_page import SearchPage
from .views.status import JobStatus, Notice
from .views.viewer import ViewerPage
from .views.welcome import WelcomePage
from .workers.job_queue import IndexRequest, JobQueue
from .workers.jobs import Job
from .workers.tasks import Workers
from .workers.thumbnails import ThumbnailLoader

RESCAN_DELAY_MS = 2000
PROBLEMS_AFTER_MS = 2500
# people changes after which a grouping follows (see JobQueue.regroup_soon)
REGROUPING_ACTIONS = {"rename", "merge", "move_faces", "confirm", "reject", "ignore", "undo",
                      "add_face"}


class MainWindow(QMainWindow):
    job_started = Signal(object)   # Job
    job_ended = Signal(str)        # "finished" | "cancelled" | "failed" | "busy"

    def __init__(self, catalog_dir: Path, *, rescan_on_start: bool = False,
                 index_options: dict | None = None) -> None:
        """`index_options` go to `core.pipeline.index` as they are (e.g. a shared analyzer
        in tests); the user's settings supply the rest."""
        super().__init__()
        self.catalog_dir = Path(catalog_dir)
        self.setWindowTitle("Faceshelf")
        self.setWindowIcon(icons.icon("app"))
        self.resize(1200, 800)
        self.rescan_on_start = rescan_on_start

        workers = Workers(self, self.catalog_dir)
        loader = ThumbnailLoader(parent=self)
        loader.device_pixel_ratio = self.devicePixelRatioF()
        self.ctx = AppContext(self.catalog_dir, workers, loader,
                              CatalogWatcher(self.catalog_dir, workers, parent=self),
                              Settings.load(self.catalog_dir))
        self.health = CatalogHealth(self.ctx, self)
        self.health.quit_requested.connect(self.close)
        self.health.looked.connect(self._first_look)
        self.errors = self.health.errors
        self.actions = PeopleActions(self.ctx, self)
        self.completer = names.NameCompleter(self.ctx, self)
        self.jobs = JobQueue(self.ctx, index_options, self)
        self.actions.done.connect(lambda action, _result: self.jobs.regroup_soon()
                                  if action in REGROUPING_ACTIONS else None)

        self._build_pages()
        self.sidebar = Sidebar()
        self.navigation = Navigation(self.pages, self.sidebar, self.section_pages, self.welcome,
                                     focus_on_entry={self.review_page: self.review_page.grid},
                                     parent=self)
        self.add_folder_action = build_menus(self)["add_folder"]
        self.status = JobStatus(self)
        self.statusBar().addPermanentWidget(self.status)
        self.notice = Notice(self.statusBar())   # sentences with a button: Undo, Show, Resume
        self.statusBar().setSizeGripEnabled(False)
        self._wire_jobs()
        self.people_notices = PeopleNotices(self.ctx, self.actions, self.statusBar(),
                                            self.notice, time.time(), self)
        self.setAcceptDrops(True)
        self.photo_drop = PhotoDrop(self)
        self.photo_drop.dropped.connect(self.search_by_photo)
        self.installEventFilter(self.photo_drop)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.health.open()
        # The problems are read after start-up's first paint and loads (the read is the
        # core's whole status: it must not delay the people grid), then a few seconds after
        # the catalog changes, at most that often (while a job runs, its end reads them).
        self._problems_timer = QTimer(self)
        self._problems_timer.setSingleShot(True)
        self._problems_timer.setInterval(PROBLEMS_AFTER_MS)
        self._problems_timer.timeout.connect(self.problems_page.check)
        self._problems_timer.start()
        self.ctx.watcher.changed.connect(self._update_review_count)
        self.ctx.watcher.changed.connect(
            lambda _stamp: None if self.job is not None or self._problems_timer.isActive()
            else self._problems_timer.start())
        self.ctx.watcher.start()

    # -- construction -------------------------------------------------------------------------
    def _build_pages(self) -> None:
        ctx, actions, completer = self.ctx, self.actions, self.completer
        self.pages = QStackedWidget()
        self.welcome = WelcomePage()
        self.welcome.say_where_photos_go(self.ctx.settings)
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

        self.welcome.start_requested.connect(self.start_indexing)
        self.people_page.open_person.connect(self.open_person)
        self.people_page.export_person.connect(self.export_person)
        self.person_page.back_requested.connect(self.back)
        self.person_page.export_requested.connect(self.export_person)
        self.viewer.back_requested.connect(self.back)
        self.viewer.find_person_requested.connect(self.find_person)
        self.albums_page.new_album_requested.connect(lambda: self.export_dialog())
        self.albums_page.run_job.connect(self.jobs.run_or_queue)
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

    def _wire_jobs(self) -> None:
        """The queue's jobs show in the status bar; their ends are said (JobFeedback)."""
        jobs = self.jobs
        self.feedback = JobFeedback(jobs, self.statusBar(), self.notice, self.problems_page,
                                    self.sidebar, resume=self.rescan,
                                    show_problems=lambda: self.show_section("problems"),
                                    parent=self)
        jobs.started.connect(self._job_started)
        jobs.said.connect(self.statusBar().showMessage)
        jobs.failed.connect(self.health.report)
        jobs.ended.connect(lambda _job, how: self.job_ended.emit(how))

    def _job_started(self, job: Job, title: str, pausable: bool) -> None:
        if job.name == "index" and self.pages.currentWidget() is self.welcome:
            self.sidebar.show()   # a first index: the library is there to browse
            self.pages.setCurrentWidget(self.people_page)
            self.show_section("people")
        self.status.attach(job, title, pausable)
        self.job_started.emit(job)

    @property
    def job(self) -> Job | None:
        """The job the status bar shows (None when idle)."""
        return self.jobs.current

    def _first_look(self, folder_count: int) -> None:
        if folder_count == 0 and self.job is None:
            self.pages.setCurrentWidget(self.welcome)
            self.sidebar.hide()  # nothing to browse yet: the welcome page has the stage
        elif self.rescan_on_start and self.health.read_only is None:
            # After the first paint and the people grid: the scan imports the engine, which
            # costs the UI thread a moment (the GIL) that the user should not see at start-up.
            QTimer.singleShot(RESCAN_DELAY_MS, self.rescan)

    def _update_review_count(self, _stamp=None) -> None:
        """The sidebar says how many faces wait for review."""
        def show(n: int) -> None:
            item = self.sidebar.item_of("review")
            if item is not None:
                item.setText(f"Review  ({n:,})" if n else "Review")

        self.ctx.read(queries.review_count, show, what="counting suggestions")

    # -- navigation ---------------------------------------------------------------------------
    def show_section(self, key: str) -> None:
        self.navigation.show_section(key)

    def go_to(self, page: QWidget, remember: bool = True) -> None:
        self.navigation.go_to(page, remember)

    def back(self) -> None:
        self.navigation.back()

    def find(self) -> None:
        """Ctrl+F: the search page, typing a name at once."""
        self.show_section("search")
        self.search_page.all_of.edit.setFocus()

    # -- indexing -----------------------------------------------------------------------------
    def add_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a photo folder", str(Path.home()))
        if path:
            self.start_indexing([path])

    def rescan(self) -> None:
        self.jobs.index(IndexRequest.everything())

    def start_indexing(self, roots: list[str] | None) -> None:
        """Index these folders (None or none: every folder), now or after the running job."""
        self.jobs.index(IndexRequest.of(roots))

    def remove_folder(self, path: str) -> None:
        """Forget a folder (Settings): now, or after the running job."""
        self.jobs.remove_folder(path)

    def cancel_job(self) -> None:
        self.status.cancel()

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
        self.navigation.go_to_section_page(self.search_page)

    def find_people_in_photo(self, grid, photo_id: int) -> None:
        """Search with every face of this photo (pick one when there are several)."""
        model = grid.photo_model()
        row = model.row_of(photo_id)
        if row is not None:
            self.search_by_photo(model.rows[row].path)

    # -- other commands -------------------------------------------------------------------------
    def undo(self) -> None:
        self.people_notices.undo()

    def search_by_photo_dialog(self) -> None:
        """File → Search by photo…: the search page's own Choose photo…"""
        self.navigation.go_to_section_page(self.search_page)
        self.search_page.choose_photo()

    def search_by_photo(self, path: str) -> None:
        self.search_page.search_photo(path)
        self.navigation.go_to_section_page(self.search_page)

    def export_dialog(self, spec=None, label: str = "", people: list[str] | None = None):
        from .views.export_dialog import ExportDialog

        if spec is None and people is None and self.pages.currentWidget() is self.search_page:
            spec, label = self.search_page.current_spec(), self.search_page.description()
        dialog = ExportDialog(self.ctx, self.completer, spec=spec, people=people,
                              spec_label=label, parent=self)
        return self._show_dialog(dialog)

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
        dialog.accepted.connect(lambda: self.welcome.say_where_photos_go(self.ctx.settings))
        return self._show_dialog(dialog)

    def about_dialog(self) -> AboutDialog:
        return self._show_dialog(AboutDialog(self.catalog_dir, self))

    def _show_dialog(self, dialog):
        """A dialog beside the window (not modal), gone once closed; tests find it here."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.last_dialog = dialog
        return dialog

    def show_in_folder(self, path: str) -> bool:
        """The photo's folder in the file manager; a message when there is none."""
        from .views.folders import open_folder

        return open_folder(self, Path(path).parent, "The photo's folder")

    def closeEvent(self, event) -> None:
        self.jobs.shutdown()
        self.ctx.watcher.timer.stop()
        self.ctx.loader.stop()
        self.ctx.workers.shutdown()
        super().closeEvent(event)
