"""A damaged catalog in the app: one dialog with the CLI's words and its choices (Quit, Open
backup folder, Run check, Repair), driven by clicking its buttons in a real event loop."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

from tests.catalog_cases import DB, make_catalog, sha256, truncate, zero_header


def _window(qtbot, catalog_dir: Path):
    from gui.main_window import MainWindow

    window = MainWindow(catalog_dir)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.health.dialog is not None
                    and window.health.dialog.isVisible(), timeout=15000)
    return window, window.health.dialog


def _click(qtbot, button: QPushButton) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def _texts(dialog) -> str:
    from PySide6.QtWidgets import QLabel

    return "\n".join(label.text() for label in dialog.findChildren(QLabel))


def test_truncated_catalog_dialog_check_repair_and_reopen(qtbot, tmp_path, caplog):
    catalog_dir = make_catalog(tmp_path / "catalog")
    db = catalog_dir / DB
    truncate(db)
    damaged_bytes = sha256(db)

    window, dialog = _window(qtbot, catalog_dir)
    text = _texts(dialog)
    assert str(db) in text and "truncated" in text
    assert "faceshelf --catalog" in text and "check" in text and "repair" in text
    assert [b.text() for b in dialog.findChildren(QPushButton)] == [
        "Quit", "Open backup folder", "Run check", "Repair"]
    assert not dialog.backups_button.isEnabled()  # no backup was ever made of this one
    assert "Traceback" not in caplog.text

    _click(qtbot, dialog.check_button)
    qtbot.waitUntil(lambda: "The catalog is damaged." in dialog.report.toPlainText(),
                    timeout=15000)
    assert "truncated" in dialog.report.toPlainText()
    assert sha256(db) == damaged_bytes  # the check only read

    _click(qtbot, dialog.repair_button)
    qtbot.waitUntil(lambda: "The repaired catalog is now" in dialog.report.toPlainText(),
                    timeout=30000)
    report = dialog.report.toPlainText()
    assert "faces: " in report and "could not be read" in report
    kept = sorted(catalog_dir.glob("catalog.damaged-*.sqlite3"))
    assert len(kept) == 1 and sha256(kept[0]) == damaged_bytes  # kept, byte for byte
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    salvaged_faces = conn.execute("SELECT COUNT(*) FROM faces").fetchone()[0]
    conn.close()
    assert 0 < salvaged_faces < 600

    assert dialog.repair_button.text() == "Open the repaired catalog"
    _click(qtbot, dialog.repair_button)
    qtbot.waitUntil(lambda: window.health.dialog is None, timeout=5000)
    # the window reads the repaired catalog: the watcher's stamp counts its faces
    qtbot.waitUntil(lambda: window.ctx.watcher.stamp is not None, timeout=15000)
    assert window.health.dialog is None
    assert "Traceback" not in caplog.text


def test_quit_closes_the_window_and_leaves_the_file_alone(qtbot, tmp_path):
    catalog_dir = make_catalog(tmp_path / "catalog", faces=60)
    db = catalog_dir / DB
    zero_header(db)
    damaged_bytes = sha256(db)
    window, dialog = _window(qtbot, catalog_dir)
    assert "is not a database" in _texts(dialog)
    _click(qtbot, dialog.quit_button)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert sha256(db) == damaged_bytes
    assert sorted(p.name for p in catalog_dir.iterdir() if not p.name.startswith("gui.")) \
        == [DB]


def test_backup_folder_button_is_there_when_a_backup_is(qtbot, tmp_path, monkeypatch):
    from PySide6.QtGui import QDesktopServices

    from core.catalog import Catalog

    catalog_dir = make_catalog(tmp_path / "catalog", faces=60)
    with Catalog(catalog_dir) as catalog:
        made = catalog.daily_backup()
    assert made is not None and made.parent == catalog_dir / "backups"
    truncate(catalog_dir / DB)
    opened = []
    # the one stand-in: the desktop's file manager is outside the app
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    window, dialog = _window(qtbot, catalog_dir)
    assert str(made) in _texts(dialog)  # the message names the backup to restore
    _click(qtbot, dialog.backups_button)
    assert [url.toLocalFile() for url in opened] == [str(catalog_dir / "backups")]


@pytest.mark.parametrize("damage", ["empty"])
def test_empty_catalog_is_not_replaced_by_the_app(qtbot, tmp_path, damage):
    catalog_dir = tmp_path / "catalog"
    catalog_dir.mkdir()
    (catalog_dir / DB).write_bytes(b"")
    window, dialog = _window(qtbot, catalog_dir)
    assert "is empty (0 bytes)" in _texts(dialog)
    _click(qtbot, dialog.repair_button)
    qtbot.waitUntil(lambda: "Nothing can be salvaged" in dialog.report.toPlainText(),
                    timeout=15000)
    assert "the file is empty (0 bytes)" in dialog.report.toPlainText()
    assert (catalog_dir / DB).stat().st_size == 0


def test_a_healthy_catalog_gets_its_daily_backup_in_the_background(qtbot, tmp_path):
    from gui.main_window import MainWindow

    catalog_dir = make_catalog(tmp_path / "catalog", faces=60)
    window = MainWindow(catalog_dir)
    qtbot.addWidget(window)
    window.show()
    backups = catalog_dir / "backups"
    qtbot.waitUntil(lambda: backups.is_dir() and any(backups.glob("catalog.*.sqlite3")),
                    timeout=15000)
    assert window.health.dialog is None


# -- read-only: the inner test runs in a process that cannot write the catalog ------------------

READ_ONLY_ENV = "FACESHELF_TEST_READ_ONLY_CATALOG"


def test_read_only_catalog_in_the_app(tmp_path):
    """Root writes through chmod: the app runs under setpriv without that power, over a
    catalog whose folder is read-only, and the inner test drives it there."""
    import os
    import subprocess
    import sys

    from tests.catalog_cases import without_root_powers

    prefix = without_root_powers()
    if prefix is None:
        pytest.skip("root, and no setpriv to give up the power to write read-only files")
    catalog_dir = make_catalog(tmp_path / "catalog", faces=60)
    before = sha256(catalog_dir / DB)
    catalog_dir.chmod(0o555)
    try:
        done = subprocess.run(
            [*prefix, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             f"{__file__}::test_read_only_inner"],
            env={**os.environ, READ_ONLY_ENV: str(catalog_dir), "QT_QPA_PLATFORM": "offscreen"},
            capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[2])
    finally:
        catalog_dir.chmod(0o755)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr
    assert sha256(catalog_dir / DB) == before


def test_read_only_inner(qtbot):
    import os

    if READ_ONLY_ENV not in os.environ:
        pytest.skip("run by test_read_only_catalog_in_the_app")
    catalog_dir = Path(os.environ[READ_ONLY_ENV])
    window, dialog = _window(qtbot, catalog_dir)
    text = _texts(dialog)
    assert f"The catalog {catalog_dir / DB} cannot be changed" in text
    assert "is read-only" in text and "Commands that only read" in text
    assert dialog.repair_button is None
    _click(qtbot, dialog.browse_button)
    qtbot.waitUntil(lambda: window.health.dialog is None, timeout=5000)
    # browsing works: the people page shows Anna, read from the read-only catalog
    qtbot.waitUntil(lambda: window.ctx.watcher.stamp is not None, timeout=15000)
    assert window.health.read_only is not None and window.job is None  # no rescan was started
    # a change is refused with a line, not a second dialog nor a traceback
    window.ctx.write(lambda catalog: catalog.set_meta("x", "y"), what="a change")
    qtbot.waitUntil(lambda: "Not changed:" in window.statusBar().currentMessage(),
                    timeout=15000)
    assert window.health.dialog is None


def test_catalog_option_naming_a_file_in_the_app(qtbot, tmp_path):
    regular = tmp_path / "notes.txt"
    regular.write_text("hello")
    window, dialog = _window(qtbot, regular)
    assert f"The catalog {regular} is a file, not a catalog folder" in _texts(dialog)
    assert not dialog.repair_button.isEnabled()  # nothing to salvage in someone's notes
    _click(qtbot, dialog.check_button)
    qtbot.waitUntil(lambda: "The catalog is damaged." in dialog.report.toPlainText(),
                    timeout=15000)
    assert "is a file, not a catalog folder" in dialog.report.toPlainText()
    assert regular.read_text() == "hello"


def test_a_corrupt_page_is_found_by_the_days_backup(qtbot, tmp_path):
    """A corrupt page is said by whatever meets it first: a read that reaches it, or the
    day's backup, which reads every page (and keeps no copy of a damaged catalog)."""
    from tests.catalog_cases import corrupt_page

    catalog_dir = make_catalog(tmp_path / "catalog")
    corrupt_page(catalog_dir / DB, 300)
    before = sha256(catalog_dir / DB)
    window, dialog = _window(qtbot, catalog_dir)
    assert f"The catalog {catalog_dir / DB} is damaged" in _texts(dialog)
    pool = window.ctx.workers.pools["maintenance"]
    qtbot.waitUntil(lambda: pool.activeThreadCount() == 0, timeout=15000)
    assert not list(catalog_dir.glob("backups/*"))  # no backup of a damaged catalog is kept
    assert sha256(catalog_dir / DB) == before
