"""Settings → "Index on a cluster": the address rule said in the dialog before anything is
saved, and an index from the welcome page that runs on a real TLS LocalCluster."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox

from core.catalog import Catalog
from tests.gui.test_small_items import menu_dialog

WAIT_MS = 20000

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory):
    from core.remote.certs import make_cluster_certs
    from core.remote.local import local_cluster

    certs = tmp_path_factory.mktemp("gui_certs")
    make_cluster_certs(certs, overwrite=True)
    with local_cluster(1, cert_dir=certs) as cluster:
        yield cluster, certs


def _type(field, text: str) -> None:
    QTest.mouseClick(field, Qt.MouseButton.LeftButton, pos=field.rect().center())
    QTest.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(field, Qt.Key.Key_Delete)
    QTest.keyClicks(field, text)


def _click_ok(dialog) -> None:
    buttons = dialog.findChild(QDialogButtonBox)
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    QTest.mouseClick(ok, Qt.MouseButton.LeftButton, pos=ok.rect().center())


def _status(catalog_dir):
    with Catalog(catalog_dir) as cat:
        return dict(cat.execute("SELECT status, COUNT(*) FROM photos GROUP BY status").fetchall())


def test_a_plaintext_address_off_this_computer_is_not_saved(qtbot, indexed, window_for):
    from gui.settings import Settings

    window = window_for(indexed)
    dialog = menu_dialog(qtbot, window, "&Edit", "Settings…")
    _type(dialog.cluster, "tcp://192.0.2.7:8786")
    _click_ok(dialog)
    assert dialog.isVisible()   # stays open, with the reason
    note = dialog.cluster_note.text()
    assert note.startswith("Not saved: refusing plaintext to 192.0.2.7")
    assert "Use tls://192.0.2.7:8786 and the folder of the cluster's certificates" in note
    assert "--" not in note   # fields here, not command-line options
    assert dialog.cluster.text() == "tcp://192.0.2.7:8786"
    assert Settings.load(indexed).cluster_address == ""
    _type(dialog.cluster, "")   # emptied: index on this computer, as before
    _click_ok(dialog)
    assert not dialog.isVisible()


def test_an_index_from_the_welcome_page_runs_on_the_cluster_named_in_settings(
        qtbot, tmp_path, library, window_for, tls_cluster):
    from gui.settings import Settings

    cluster, certs = tls_cluster
    address = cluster.scheduler_address
    window = window_for(tmp_path / "catalog")
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.welcome, timeout=WAIT_MS)
    assert "nothing is uploaded" in window.welcome.text.text()
    dialog = menu_dialog(qtbot, window, "&Edit", "Settings…")
    _type(dialog.cluster, address)
    _type(dialog.cluster_certs, str(certs))
    _click_ok(dialog)
    assert not dialog.isVisible()
    # The page the user reads before Start no longer promises that nothing leaves the computer.
    said = window.welcome.text.text()
    assert "nothing is uploaded" not in said
    assert f"sent, encrypted, to the machines of your cluster at {address}" in said
    saved = Settings.load(tmp_path / "catalog")
    assert (saved.cluster_address, saved.cluster_cert_dir) == (address, str(certs))

    window.welcome.add_folder(str(library))
    transitions = cluster.scheduler.transition_counter
    seen = []
    with qtbot.waitSignal(window.job_ended, timeout=120000) as ended:
        window.job_started.connect(lambda job: job.progress.connect(seen.append))
        window.welcome.start.click()
    assert ended.args == ["finished"]
    index_steps = [p for p in seen if p.stage == "index" and p.total]
    assert index_steps[-1].done == index_steps[-1].total == 6
    assert index_steps[-1].counters["faces"] >= 12
    assert _status(tmp_path / "catalog") == {"indexed": 6}
    assert window.errors == []
    # the photos went through the cluster's scheduler (each task: released, waiting,
    # processing, memory, released, forgotten)
    assert cluster.scheduler.transition_counter - transitions >= 6 * 4
