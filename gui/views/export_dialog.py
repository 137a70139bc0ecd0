"""The export dialog: what (people, or the current search), where, how (mode, file names,
sub-folders, XMP), a dry-run preview, then the export itself with progress and Cancel; once
done, the table shows what happened to each file (failures first) and "Open folder" shows it.

Everything is `core.export`: `plan_export` is the preview (writes nothing), `run_export` the
job; the dialog only gathers the request and shows what comes back.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QProgressBar, QPushButton, QRadioButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from core.export import STOP_MESSAGES
from core.export.albums import album_exists
from core.search.spec import SearchSpec

from ..context import AppContext
from ..models.photos import photos_phrase
from ..workers.jobs import Job
from ..workers.tasks import worker_catalog
from .chips import PeopleChips
from .dialogs import LateAnswerSafeDialog
from .folders import open_folder
from .names import NameCompleter
from .status import describe

PREVIEW_ROWS = 500
MODES = [("copy", "Copy (default)"), ("hardlink", "Hard link"), ("symlink", "Symbolic link")]
SUBFOLDERS = [(None, "None"), ("year", "One per year"), ("person", "One per person")]


class ExportDialog(LateAnswerSafeDialog):
    exported = Signal(object)  # the ExportSummary

    def __init__(self, ctx: AppContext, completer: NameCompleter, *,
                 spec: SearchSpec | None = None, people: list[str] | None = None,
                 spec_label: str = "", parent=None) -> None:
        super().__init__(parent)
        from core.export import DEFAULT_TEMPLATE, TEMPLATE_FIELDS

        self.ctx = ctx
        self.search_spec = spec
        self.job: Job | None = None
        self.summary = None
        self.setWindowTitle("Export photos")
        self.resize(760, 640)

        self.use_people = QRadioButton("Photos of")
        self.people = PeopleChips("", completer)
        for name in people or []:
            self.people.add(name)
        self.match = QComboBox()
        self.match.addItems(["with all of them", "with any of them"])
        if spec is not None and spec.photo_ids and spec_label:
            self.use_search = QRadioButton(spec_label[:1].upper() + spec_label[1:])
        else:
            self.use_search = QRadioButton("The current search" +
                                           (f": {spec_label}" if spec_label else ""))
        self.use_search.setEnabled(spec is not None)
        (self.use_search if spec is not None and not people else self.use_people).setChecked(True)
        what = QVBoxLayout()
        people_row = QHBoxLayout()
        people_row.addWidget(self.use_people)
        people_row.addWidget(self.people, 1)
        people_row.addWidget(self.match)
        what.addLayout(people_row)
        what.addWidget(self.use_search)

        self.destination = QLineEdit()
        self.destination.setPlaceholderText("A folder outside your photo library")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        dest_row = QHBoxLayout()
        dest_row.addWidget(self.destination, 1)
        dest_row.addWidget(browse)
        self.mode = QComboBox()
        for value, label in MODES:
            self.mode.addItem(label, value)
        self.template = QLineEdit(DEFAULT_TEMPLATE)
        self.template.setToolTip("Fields: " + ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS))
        self.subfolders = QComboBox()
        for value, label in SUBFOLDERS:
            self.subfolders.addItem(label, value)
        self.xmp = QCheckBox("Write XMP sidecars with names and face regions "
                             "(digiKam and other photo managers read them)")
        self.save_album = QCheckBox("Save as an album named")
        self.album_name = QLineEdit()
        self.album_name.setEnabled(False)
        self.save_album.toggled.connect(self.album_name.setEnabled)
        album_row = QHBoxLayout()
        album_row.addWidget(self.save_album)
        album_row.addWidget(self.album_name, 1)
        if people:
            # A person's photos are an album to keep up to date (Update adds new ones): offered
            # ticked under their name, unless an album has that name already.
            name = " + ".join(people)
            self.album_name.setText(name)
            ctx.read(lambda conn: not album_exists(conn, name), self._offer_album,
                     what="looking for albums")
        form = QFormLayout()
        form.addRow("Export", _wrap(what))
        form.addRow("To folder", _wrap(dest_row))
        form.addRow("Mode", self.mode)
        form.addRow("File names", self.template)
        form.addRow("Sub-folders", self.subfolders)
        form.addRow("", self.xmp)
        form.addRow("", _wrap(album_row))

        self.preview_button = QPushButton("Preview (dry run)")
        self.preview_button.clicked.connect(self.preview)
        self.preview_summary = QLabel("The preview lists what would be written; nothing is "
                                      "touched until you press Export.")
        self.preview_summary.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Action", "File (in the folder above)", "Why"])
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.progress = QProgressBar()
        self.progress.hide()
        self.progress_label = QLabel()
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Export",
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.open_button = self.buttons.addButton("Open folder",
                                                  QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.setToolTip("Show the exported photos in the file manager")
        self.open_button.clicked.connect(self._open_folder)
        self.open_button.hide()   # there is something to open once an export has run
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button.clicked.connect(self._cancel_or_close)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        preview_row = QHBoxLayout()
        preview_row.addWidget(self.preview_button)
        preview_row.addWidget(self.preview_summary, 1)
        layout.addLayout(preview_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.buttons)

    # -- the request --------------------------------------------------------------------------
    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export to", str(Path.home()))
        if path:
            self.destination.setText(path)

    def spec(self) -> SearchSpec:
        if self.use_search.isChecked() and self.search_spec is not None:
            return self.search_spec
        names = self.people.refs()
        if not names:
            raise ValueError("choose at least one person to export")
        if self.match.currentIndex() == 0:
            return SearchSpec(people_all=names)
        return SearchSpec(people_any=names)

    def request(self, dry_run: bool):
        from core.export import ExportOptions, ExportRequest

        if not self.destination.text().strip():
            raise ValueError("choose a folder to export to")
        options = ExportOptions(mode=self.mode.currentData(), template=self.template.text(),
                                by=self.subfolders.currentData(), xmp=self.xmp.isChecked())
        save_as = self.album_name.text().strip() if self.save_album.isChecked() else None
        return ExportRequest(spec=self.spec(), destination=self.destination.text().strip(),
                             options=options, save_as=save_as or None, dry_run=dry_run)

    def _request_or_complain(self, dry_run: bool):
        try:
            return self.request(dry_run)
        except ValueError as error:
            self.preview_summary.setText(f"<b>{error}</b>")
            return None

    # -- preview ------------------------------------------------------------------------------
    def preview(self) -> None:
        request = self._request_or_complain(dry_run=True)
        if request is None:
            return
        self.preview_summary.setText("Planning…")
        directory = self.ctx.catalog_dir

        def plan():
            from core.export import plan_export

            return plan_export(worker_catalog(directory), request)

        self.ctx.workers.run("reads", plan, self._show_plan, self._plan_failed,
                             what="export preview")

    def _show_plan(self, plan) -> None:
        self.last_plan = plan
        self.table.setHorizontalHeaderLabels(["Action", "File (in the folder above)", "Why"])
        counts = {a: plan.count(a) for a in ("add", "skip", "update", "move", "remove", "keep",
                                             "error")}
        parts = [photos_phrase(plan.photos_matched) + (" matches" if plan.photos_matched == 1
                                                 else " match"), f"{counts['add']:,} to write"]
        parts += [f"{counts[a]:,} {label}" for a, label in
                  (("skip", "already there"), ("update", "to update (originals edited)"),
                   ("move", "to move (people renamed)"), ("remove", "to remove"),
                   ("error", "cannot be written"))
                  if counts[a]]
        self.preview_summary.setText(" · ".join(parts) + f" → {plan.destination}")
        self._fill_table(plan.destination, [(f.action, f.dest, f.reason, f.source)
                                            for f in plan.files[:PREVIEW_ROWS]])

    def _fill_table(self, destination: str, rows) -> None:
        """Rows of (action or outcome, destination path, why, original)."""
        self.table.setRowCount(len(rows))
        root = destination.rstrip("/") + "/"
        for row, (what, dest, why, source) in enumerate(rows):
            shown = dest[len(root):] if dest.startswith(root) else dest  # in the folder above
            for column, text in enumerate((what, shown, why)):
                item = QTableWidgetItem(text)
                item.setToolTip(source or "")
                self.table.setItem(row, column, item)
        self.table.resizeColumnToContents(0)

    def _show_outcomes(self, summary, outcomes) -> None:
        """After the export: what happened to each file, failures first."""
        self.table.setHorizontalHeaderLabels(["Result", "File (in the folder above)", "Why"])
        self._fill_table(summary.destination, [(o.outcome, o.dest, o.detail, o.source)
                                               for o in outcomes[:PREVIEW_ROWS]])
        photos = [o for o in outcomes if o.kind == "photo"]
        counts = {}
        for o in photos:
            counts[o.outcome] = counts.get(o.outcome, 0) + 1
        parts = [f"{photos_phrase(counts.pop('written', 0))} written"]
        parts += [f"{n:,} {what}" for what, n in counts.items()]
        self.preview_summary.setText("Exported: " + " · ".join(parts)
                                     + f" → {summary.destination}")

    def _plan_failed(self, error) -> None:
        self.preview_summary.setText(f"<b>{error}</b>")

    # -- export -------------------------------------------------------------------------------
    def start_export(self) -> None:
        request = self._request_or_complain(dry_run=False)
        if request is None or self.job is not None:
            return
        directory = self.ctx.catalog_dir
        outcomes: list = []   # filled in the worker: what happened to each file

        def run(token):
            from core.export import run_export
            from core.export.outcome import file_outcomes

            summary = yield from run_export(worker_catalog(directory), request, token)
            outcomes.extend(file_outcomes(summary))
            return summary

        self._outcomes = outcomes
        self.open_button.hide()
        self.job = Job("export", run, self)
        self.job.progress.connect(self._progress)
        self.job.finished.connect(self._finished)
        self.job.cancelled.connect(self._finished)
        self.job.failed.connect(self._failed)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.export_button.setEnabled(False)
        self.preview_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.job.start(self.ctx.workers)

    def _progress(self, progress) -> None:
        if progress.total:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(progress.done)
        self.progress_label.setText(describe(progress))

    def _finished(self, *_args) -> None:
        job, self.job = self.job, None
        self.summary = job.result if job else None
        self.cancel_button.setText("Close")
        self.export_button.setEnabled(True)
        self.preview_button.setEnabled(True)
        self.progress.hide()
        summary = self.summary
        if summary is None:
            self.progress_label.setText("Export stopped.")
            return
        text = (f"{photos_phrase(summary.added)} written, {summary.skipped:,} already there"
                + (f", {summary.failed:,} failed" if summary.failed else "")
                + (f"; stopped: {STOP_MESSAGES.get(summary.stopped, summary.stopped)}"
                   if summary.stopped else "")
                + f" → {summary.destination}")
        self.progress_label.setText(text)
        self._show_outcomes(summary, self._outcomes)
        self.open_button.setVisible(Path(summary.destination).is_dir())
        self.exported.emit(summary)
        self.ctx.watcher.poll()

    def _failed(self, error) -> None:
        self.job = None
        self.progress.hide()
        self.cancel_button.setText("Close")
        self.export_button.setEnabled(True)
        self.preview_button.setEnabled(True)
        self.progress_label.setText(f"<b>Export failed: {error}</b>")

    def _open_folder(self) -> None:
        if self.summary is not None:
            open_folder(self, self.summary.destination, "The export folder")

    def _cancel_or_close(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.progress_label.setText("Stopping…")
        else:
            self.reject()

    def _offer_album(self, name_is_free: bool) -> None:
        if name_is_free and not self.closed:
            self.save_album.setChecked(True)

    def closeEvent(self, event) -> None:
        if self.job is not None:
            self.job.cancel()
        super().closeEvent(event)


def _wrap(layout) -> QWidget:
    widget = QWidget()
    layout.setContentsMargins(0, 0, 0, 0)
    widget.setLayout(layout)
    return widget
