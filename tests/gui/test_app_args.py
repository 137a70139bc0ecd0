"""`faceshelf-gui --catalog DIR` opens DIR (the script calls main() bare: it was ignored)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_the_gui_script_opens_the_catalog_it_is_given(tmp_path):
    code = ("import sys, gui.app as a, gui.main_window as w\n"
            "class Stop(Exception): pass\n"
            "def seen(catalog_dir, **kw): print('CATALOG', catalog_dir); raise Stop\n"
            "w.MainWindow = seen\n"
            "try:\n    a.main()\nexcept Stop:\n    pass\n")
    out = subprocess.run([sys.executable, "-c", code, "--catalog", str(tmp_path / "cat")],
                         capture_output=True, text=True, timeout=120,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin",
                              "HOME": str(tmp_path)})
    assert f"CATALOG {tmp_path / 'cat'}" in out.stdout, out.stderr[-2000:]
    assert not (Path(tmp_path) / ".local").exists()   # the default catalog was not touched
