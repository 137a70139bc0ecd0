"""Search: by a face, a person, or an outside photo (dropped on the window, or "Choose
photo…"); people chips (AND / OR / NOT), a date range, a similarity threshold; results grid
with the similarity on each photo, and "Export these".

An outside photo with several faces asks which face first (their crops, side by side); "Find
this person" on a named face shows their photos as theirs (no similarity badge), then the
photos with an unnamed face like theirs, each with its similarity.

The query is a `core.search.spec.SearchSpec`; `search_photos` runs in a worker (the inference
pool when an outside photo must be analysed, else the reads pool). Moving the slider or a chip
re-runs the search after a short pause; an older answer arriving late is dropped.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import QDate, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (QCheckBox, QDateEdit, QFileDialog, QHBoxLayout, QLabel,
                               QListWidget, QListWidgetItem, QPushButton, QSlider,
                               QStackedLayout, QVBoxLayout, QWidget)

from core.search.spec import PhotoHit, SearchSpec

from ..context import AppContext
from ..models.photos import PhotoList, PhotoListModel, photos_phrase
from ..models import queries
from ..models.queries import PhotoRow
from ..workers.tasks import worker_catalog
from . import hints, icons
from .chips import PeopleChips
from .names import NameCompleter
from .page import Page
from .photo_grid import PhotoGrid

QUERY_FACE_PX = 80


HEADING = "Search"
PROMPT = ("Choose a photo (or drop one anywhere on the window) to find the people in it, "
          "right-click a face in a photo and choose Find this person, or pick people above.")
IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.webp *.tif *.tiff *.bmp *.heic *.heif *.avif)"


class ElidedLabel(QLabel):
    """One line, cut with "…" when the row is narrow (the whole text in the tooltip): the
    heading never wraps nor widens the window."""

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)
        self.update()

    def minimumSizeHint(self) -> QSize:
        return QSize(60, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        return QSize(min(super().sizeHint().width(), 600), super().sizeHint().height())

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                             self.width())
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignLeft |
                         Qt.AlignmentFlag.AlignVCenter, text)


def run_search(catalog_dir: Path, spec: SearchSpec):
    """Worker: the hits, as grid rows with a similarity badge, plus the hits themselves."""
    from core.search import search_photos

    catalog = worker_catalog(catalog_dir)
    hits = search_photos(catalog, spec)
    own = set()   # "Find this person": the photos where they are named are theirs
    if spec.similar_to_person is not None:
        from core.search.people import resolve_person

        own = set(resolve_person(catalog.conn, spec.similar_to_person))
    rows, theirs, seen = [], [], set()
    for hit in hits:
        if hit.photo_id in seen:  # an outside photo searched face by face: best face wins
            continue
        seen.add(hit.photo_id)
        if hit.person_id is not None and hit.person_id in own:  # theirs: no similarity badge
            theirs.append(PhotoRow(hit.photo_id, hit.path, hit.taken_at, hit.width, hit.height,
                                   None, hit.face_id))
            continue
        rows.append(PhotoRow(hit.photo_id, hit.path, hit.taken_at, hit.width, hit.height,
                             hit.similarity, hit.face_id))
    # the person's own photos first, newest first; then the look-alikes, best first
    theirs.sort(key=lambda r: r.taken_at or "", reverse=True)
    # ranked by similarity, or in date order for people alone
    return PhotoList(theirs + rows, by_date=not spec.is_similarity_query), hits, len(theirs)


def query_faces(path: str, catalog_dir: Path) -> list[tuple[int, QImage]]:
    """Worker (inference pool): the faces of an outside photo, as (index, crop) pairs; square
    crops made as the library's face thumbnails are. Analysed with the library's model, once:
    the search that follows finds this analysis (core.search.outside keeps the last few)."""
    from core.search import analyze_outside
    from core.search.search_index import current_model_id

    photo = analyze_outside(path, current_model_id(worker_catalog(catalog_dir)))
    return [(face.index, QImage.fromData(crop)) for face, crop in zip(photo.faces, photo.crops)]


class SearchPage(Page):
    title = "search"
    export_requested = Signal(object)  # SearchSpec
    photo_activated = Signal(int, list)

    def __init__(self, ctx: AppContext, completer: NameCompleter, parent=None) -> None:
        super().__init__(ctx, parent)
        self.spec: SearchSpec | None = None
        self.query_label_text = ""
        self._ticket = 0
        self._results_stale = False  # the catalog changed while the page was not shown
        self.hits: list[PhotoHit] = []
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.run)

        self.query = ElidedLabel(HEADING)
        font = self.query.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.query.setFont(font)
        self.query_faces = QListWidget()
        self.query_faces.setViewMode(QListWidget.ViewMode.IconMode)
        self.query_faces.setIconSize(QSize(QUERY_FACE_PX, QUERY_FACE_PX))
        cell = QSize(QUERY_FACE_PX + 12, QUERY_FACE_PX + 12)   # the crops alone, no caption
        self.query_faces.setGridSize(cell)
        self.query_faces.setMovement(QListWidget.Movement.Static)
        self.query_faces.setFlow(QListWidget.Flow.LeftToRight)
        self.query_faces.setWrapping(False)
        # one row of faces: room for the horizontal scroll bar a group photo needs, never a
        # vertical one (it used to show both and cut the labels)
        self.query_faces.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.query_faces.setFixedHeight(self._query_faces_height(with_bar=True))
        self.query_faces.setToolTip("Faces found in the photo: click the one to search for")
        self.query_faces.currentItemChanged.connect(self._query_face_chosen)
        self.query_faces.hide()

        self.all_of = PeopleChips("With all of", completer)
        self.any_of = PeopleChips("any of", completer)
        self.none_of = PeopleChips("without", completer)
        for chips in (self.all_of, self.any_of, self.none_of):
            chips.changed.connect(self._debounce.start)
        self.use_from = QCheckBox("From")
        self.date_from = QDateEdit(QDate.currentDate().addYears(-1))
        self.use_to = QCheckBox("to")
        self.date_to = QDateEdit(QDate.currentDate())
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(self._debounce.start)
        for box in (self.use_from, self.use_to):
            box.toggled.connect(self._debounce.start)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(20, 90)
        self.slider.setValue(round(ctx.settings.min_similarity * 100))
        self.slider.setMaximumWidth(220)
        self.slider.setMinimumWidth(120)
        self.slider.setToolTip("How similar a face must be to count as a match")
        self.slider_label = QLabel()
        self.slider.valueChanged.connect(self._slider_moved)
        self._slider_moved(self.slider.value())
        self.count = QLabel()
        hints.hint(self.count)
        self.export = QPushButton(icons.icon("export"), "Export these…")
        self.export.setEnabled(False)
        self.export.clicked.connect(lambda: self.export_requested.emit(self.current_spec()))
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.clear)
        self.choose_button = QPushButton(icons.icon("search"), "Choose photo…")
        self.choose_button.setToolTip("Find the people of a photo from anywhere (or drop one "
                                      "on the window)")
        self.choose_button.clicked.connect(self.choose_photo)
        self.file_dialog: QFileDialog | None = None

        people_row = QHBoxLayout()   # each box wraps its own chips: a third of the width each
        for chips in (self.all_of, self.any_of, self.none_of):
            people_row.addWidget(chips, 1, Qt.AlignmentFlag.AlignTop)
        filters = QHBoxLayout()
        filters.addWidget(self.use_from)
        filters.addWidget(self.date_from)
        filters.addWidget(self.use_to)
        filters.addWidget(self.date_to)
        filters.addSpacing(16)
        filters.addWidget(QLabel("Match"))
        filters.addWidget(self.slider)
        filters.addWidget(self.slider_label)
        filters.addStretch(1)
        top = QVBoxLayout()
        top.setContentsMargins(12, 10, 12, 4)
        # one row: the query's words (cut with "…" when narrow, whole in the tooltip), the
        # count and the buttons, all centred on one line; the window fits 800 px with a
        # usable slider, however many people are picked
        heading = QHBoxLayout()
        heading.addWidget(self.query, 1)
        heading.addWidget(self.count)
        heading.addSpacing(8)
        heading.addWidget(self.choose_button)
        heading.addWidget(self.clear_button)
        heading.addWidget(self.export)
        top.addLayout(heading)
        top.addWidget(self.query_faces)
        top.addLayout(people_row)
        top.addLayout(filters)

        cell = ctx.settings.thumbnail_px
        self.model = PhotoListModel(ctx.loader, ctx.catalog_dir, ctx.placeholder(cell), self)
        self.grid = PhotoGrid(self.model, cell, self)
        self.grid.photo_activated.connect(
            lambda pid: self.photo_activated.emit(pid, self.model.photo_ids()))
        self.empty = QLabel("")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)  # a long name in the message must not widen the window
        hints.hint(self.empty)
        self.results = QStackedLayout()
        self.results.addWidget(self.grid)
        self.results.addWidget(self.empty)
        holder = QWidget()
        holder.setLayout(self.results)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(holder, 1)
        self._show_results(None)   # nothing searched yet: how to start

    # -- building the query -------------------------------------------------------------------
    def _slider_moved(self, value: int) -> None:
        self.slider_label.setText(f"{value}%")
        if self.spec is not None and self.spec.is_similarity_query:
            self._debounce.start()

    def search_face(self, face_id: int, label: str) -> None:
        self._start(SearchSpec(face_id=face_id), f"Photos of {label}")

    def search_person(self, person_id: int, label: str) -> None:
        self._start(SearchSpec(similar_to_person=person_id), f"Photos of {label}")

    def choose_photo(self) -> None:
        """"Choose photo…": a photo from anywhere; its people are searched for."""
        dialog = QFileDialog(self, "Search by photo", str(Path.home()), IMAGE_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.search_photo)
        dialog.finished.connect(lambda _result: setattr(self, "file_dialog", None))
        self.file_dialog = dialog
        dialog.open()

    def search_photo(self, path: str) -> None:
        """Find its faces first: one is searched at once; with several, the page asks which
        (their crops side by side) and searches nothing until one is picked."""
        self._reset_filters()
        self._ticket += 1          # an earlier search's answer no longer applies
        self.spec = SearchSpec(photo_path=path)
        self.query.setText(f"People in {Path(path).name}")
        self.query_faces.clear()
        self.query_faces.hide()
        self.hits = []
        self._show_results(None, f"Looking for faces in {Path(path).name}…")
        self.count.setText("")
        ticket = self._ticket
        directory = self.ctx.catalog_dir
        self.ctx.workers.run("inference", lambda: query_faces(path, directory),
                             lambda faces: self._show_query_faces(faces, ticket),
                             lambda error: self._faces_failed(error, ticket, path),
                             what="finding faces in the photo")

    def _faces_failed(self, error, ticket: int, path: str) -> None:
        if ticket == self._ticket:
            self._show_results(None, f"Cannot search by {Path(path).name}: {error}")

    def _start(self, spec: SearchSpec, label: str) -> None:
        """A new query starts clean: filters left from the last search would silently narrow
        it (a person chip from before made a dropped photo find nothing)."""
        self._reset_filters()
        self.spec = spec
        self.query.setText(label)
        self.query_faces.hide()
        self.run()

    def clear(self) -> None:
        self._ticket += 1  # a search still on its way must not fill the grid again
        self.spec = None
        self.query.setText(HEADING)
        self.query_faces.hide()
        self._reset_filters()
        self._show_results(None)

    def _reset_filters(self) -> None:
        for widget in (self.all_of, self.any_of, self.none_of, self.use_from, self.use_to):
            widget.blockSignals(True)
        for chips in (self.all_of, self.any_of, self.none_of):
            chips.clear()
        self.use_from.setChecked(False)
        self.use_to.setChecked(False)
        for widget in (self.all_of, self.any_of, self.none_of, self.use_from, self.use_to):
            widget.blockSignals(False)

    def apply_settings(self) -> None:
        """The default match threshold changed in Settings."""
        self.slider.setValue(round(self.ctx.settings.min_similarity * 100))

    def description(self) -> str:
        """What the current search is, in words (for the export dialog)."""
        if self.spec is not None:
            return self.query.text()
        spec = self.current_spec()
        return spec.describe() if spec is not None else ""

    def _show_results(self, photos, message: str = "", own: int | None = None) -> None:
        """The grid (`photos`: rows, or None for nothing searched) or, when empty, `message`
        (nothing searched and no message: how to start). `own`: how many of the rows are the
        photos of the person searched for (the rest look like them)."""
        self.model.set_rows(photos if photos is not None else [])
        rows = len(photos.rows) if photos is not None else 0
        if photos is None:
            self.count.setText("")
        elif own is not None and own < rows:
            self.count.setText(f"{photos_phrase(own)}, {rows - own:,} maybe")
        else:
            self.count.setText(photos_phrase(rows))
        self.count.setToolTip(
            "" if own is None or photos is None else
            f"{photos_phrase(own)} where they are named (no badge), {rows - own:,} with an "
            f"unnamed face like theirs (with its similarity)")
        self.export.setEnabled(rows > 0)
        if photos is None and not message:
            message = PROMPT
        self.empty.setText(message)
        self.results.setCurrentWidget(self.grid if rows or not message else self.empty)

    def current_spec(self) -> SearchSpec | None:
        base = self.spec or SearchSpec()
        spec = dataclasses.replace(
            base,
            people_all=self.all_of.refs(), people_any=self.any_of.refs(),
            people_not=self.none_of.refs(),
            date_from=self.date_from.date().toString("yyyy-MM-dd") if self.use_from.isChecked()
            else None,
            date_to=self.date_to.date().toString("yyyy-MM-dd") if self.use_to.isChecked()
            else None,
            min_similarity=self.slider.value() / 100 if base.is_similarity_query else None)
        if not spec.is_similarity_query and not (spec.people_all or spec.people_any):
            return None
        return spec

    # -- running ------------------------------------------------------------------------------
    def _catalog_changed(self, stamp) -> None:
        if not self.isVisible():
            # A merge, a name or an answer elsewhere changes whose photos these are: the
            # search runs again when the page is shown (not on every change while it is
            # shown: an index in progress would pull the results from under the user).
            self._results_stale = True
        super()._catalog_changed(stamp)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._results_stale and self.current_spec() is not None:
            self.run()

    def run(self) -> None:
        self._results_stale = False
        spec = self.current_spec()
        if self.spec is None:  # people alone: the heading says who
            self.query.setText(HEADING if spec is None else f"Photos of {spec.describe()}")
        if spec is None:
            self._ticket += 1  # a search still on its way no longer applies
            self._show_results(None)
            return
        self._ticket += 1
        ticket = self._ticket
        self.count.setText("Searching…")
        directory = self.ctx.catalog_dir
        pool = "inference" if spec.photo_path else "reads"
        self.ctx.workers.run(pool, lambda: run_search(directory, spec),
                             lambda result: self._apply(ticket, result),
                             lambda error: self._failed(ticket, error), what="search")

    def _apply(self, ticket: int, result) -> None:
        if ticket != self._ticket:
            return  # a newer search is on its way
        photos, hits, *own = result   # (own: the person's own photos, see run_search)
        own = own[0] if own else 0
        self.hits = hits
        self._show_results(photos, self._no_match(),
                           own if self.spec is not None and
                           self.spec.similar_to_person is not None else None)
        self.grid.scrollToTop()

    def _no_match(self) -> str:
        """What an empty result says: for a face (an outside photo's, or Find this person)
        that no face of the library is like it, not a bare "No photos match"."""
        spec = self.current_spec()
        if spec is None or not spec.is_similarity_query:
            return "No photos match."
        narrowed = (spec.people_all or spec.people_any or spec.people_not or spec.date_from
                    or spec.date_to or spec.folder)
        where = "in the photos chosen" if narrowed else "in your library"
        return (f"No face {where} is like this one at {self.slider.value()}% or more. "
                "Lower Match to see weaker look-alikes.")

    def _failed(self, ticket: int, error) -> None:
        if ticket != self._ticket:
            return
        from core.search.people import UnknownPerson

        if isinstance(getattr(error, "error", error), UnknownPerson):
            # a typo in a chip: said here, no dialog
            text = str(error)
            self._show_results(None, f"{text[:1].upper()}{text[1:]}: check the names in the "
                                     f"boxes above.")
            return
        self._show_results(None, f"Search failed: {error}")
        self.ctx.workers.failed.emit("search", error)

    # -- an outside photo with several faces: pick one ----------------------------------------
    def _show_query_faces(self, faces: list[tuple[int, QImage]], ticket: int) -> None:
        if ticket != self._ticket or self.spec is None or self.spec.photo_path is None:
            return   # another search started meanwhile
        name = Path(self.spec.photo_path).name
        self.query_faces.blockSignals(True)
        self.query_faces.clear()
        for index, image in faces:
            item = QListWidgetItem(QIcon(QPixmap.fromImage(image).scaled(
                QUERY_FACE_PX, QUERY_FACE_PX, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation)), "")
            item.setToolTip("Search for this face")
            item.setData(Qt.ItemDataRole.UserRole, index)
            self.query_faces.addItem(item)
        self.query_faces.blockSignals(False)
        # as wide as its faces (a strip across the window for two faces looked broken), and
        # room for a scroll bar only when they do not fit
        wanted = (len(faces) * self.query_faces.gridSize().width()
                  + 2 * self.query_faces.frameWidth() + 8)
        self.query_faces.setMaximumWidth(wanted)
        fits = wanted <= self.width() - 24
        self.query_faces.setFixedHeight(self._query_faces_height(with_bar=not fits))
        self.query_faces.setVisible(len(faces) > 1)
        if not faces:
            self.query.setText(f"No face found in {name}")
            self._show_results(None, f"Faceshelf found no face in {name} to search for.")
        elif len(faces) == 1:
            self.spec = dataclasses.replace(self.spec, photo_face=faces[0][0])
            self.run()
        else:
            self.query.setText(f"{len(faces)} faces in {name}: which one?")
            self._show_results(None, f"{name} shows {len(faces)} people. Click the face of "
                                     f"the one you are looking for, above.")
            self.query_faces.setFocus()

    def _query_faces_height(self, with_bar: bool) -> int:
        bar = self.query_faces.horizontalScrollBar().sizeHint().height() if with_bar else 0
        return self.query_faces.gridSize().height() + bar + 2 * self.query_faces.frameWidth() + 4

    def _query_face_chosen(self, item, _previous=None) -> None:
        if item is None or self.spec is None or self.spec.photo_path is None:
            return
        self.spec = dataclasses.replace(self.spec,
                                        photo_face=item.data(Qt.ItemDataRole.UserRole))
        self.query.setText(f"People in {Path(self.spec.photo_path).name}")
        self.run()

    def load(self) -> None:
        """The date boxes offer the library's own span (not "the last year"), as long as the
        user has not picked a date."""
        if self.use_from.isChecked() and self.use_to.isChecked():
            self.loaded()
            return
        self.ctx.read(queries.library_dates, self._library_dates_loaded, self.load_failed,
                      what="library dates")

    def _library_dates_loaded(self, span) -> None:
        for box, edit, day in zip((self.use_from, self.use_to), (self.date_from, self.date_to),
                                  span):
            date = QDate.fromString(day or "", "yyyy-MM-dd")
            if date.isValid() and not box.isChecked():
                edit.blockSignals(True)
                edit.setDate(date)
                edit.blockSignals(False)
        self.loaded()
