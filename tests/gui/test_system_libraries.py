"""The check for the system libraries Qt's X11 plugin needs, before Qt starts."""

from __future__ import annotations

from gui import app, system_libraries
from gui.system_libraries import QT_XCB_LIBRARIES, Packages

ABSENT = "libfaceshelf-absent-xcb.so.7"  # a name no system has
ABSENT_PACKAGES = Packages("libfaceshelf-absent-xcb7", "faceshelf-absent-xcb",
                           "faceshelf-absent-xcb-arch")


def test_a_library_that_cannot_be_loaded_is_named_with_its_packages():
    libraries = {**QT_XCB_LIBRARIES, ABSENT: ABSENT_PACKAGES}
    advice = system_libraries.check(libraries, environ={"DISPLAY": ":0"})
    assert advice is not None
    assert ABSENT in advice
    assert "sudo apt install" in advice and "libfaceshelf-absent-xcb7" in advice
    assert "sudo dnf install" in advice and "faceshelf-absent-xcb" in advice
    assert "sudo pacman -S" in advice and "faceshelf-absent-xcb-arch" in advice
    # Libraries this machine has are not named (the absent one is the only certain miss).
    present = [name for name in QT_XCB_LIBRARIES
               if name not in system_libraries.missing_libraries(QT_XCB_LIBRARIES)]
    assert present and not [name for name in present if name in advice]


def test_nothing_to_say_when_every_library_loads_or_qt_does_not_use_x11():
    have = {name: p for name, p in QT_XCB_LIBRARIES.items()
            if name not in system_libraries.missing_libraries()}
    assert system_libraries.check(have, environ={"DISPLAY": ":0"}) is None
    absent = {ABSENT: ABSENT_PACKAGES}
    for environ in ({"QT_QPA_PLATFORM": "offscreen"}, {"QT_QPA_PLATFORM": "wayland"},
                    {"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}):
        assert system_libraries.check(absent, environ=environ) is None, environ
    assert system_libraries.check(absent, environ={"QT_QPA_PLATFORM": "xcb"}) is not None


def test_packages_are_said_once_each():
    advice = system_libraries.install_advice(["libxcb-shm.so.0", "libxcb-sync.so.1"])
    assert advice.count("pacman -S libxcb\n") == 1
    assert "sudo apt install libxcb-shm0 libxcb-sync1" in advice


def test_the_app_says_what_to_install_instead_of_starting_qt(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(QT_XCB_LIBRARIES, ABSENT, ABSENT_PACKAGES)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(system_libraries, "notify_desktop", lambda advice: None)
    code = app.main(catalog=tmp_path / "catalog")
    assert code == 3
    err = capsys.readouterr().err
    assert "cannot open its window" in err and "sudo apt install libfaceshelf-absent-xcb7" in err
    assert not (tmp_path / "catalog").exists()  # stopped before the window made its catalog
