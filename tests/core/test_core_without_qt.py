"""core/ is the headless engine: importing it, or asking any CLI command for its --help,
never loads Qt (PySide6, shiboken6) or any module of gui/.

Each check runs in a fresh interpreter, since this test session itself has Qt loaded. The
command list comes from the parser (core.cli.build_parser), so a new command, or the CLI
being split into modules, is covered without editing this file.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import PROJECT

QT_OR_GUI = ("PySide6", "shiboken6", "gui")

# Prints, as JSON, {what was done: [Qt or gui modules loaded by then]}.
_IMPORT_EVERY_CORE_MODULE = """
import importlib, json, pkgutil, sys
import core
seen = {"import core": sorted(m for m in sys.modules if m.split('.')[0] in QT_OR_GUI)}
for info in pkgutil.walk_packages(core.__path__, "core."):
    if info.name.endswith(".__main__"):  # runs the program (the GUI) when imported
        continue
    importlib.import_module(info.name)
    seen["import " + info.name] = sorted(
        m for m in sys.modules if m.split('.')[0] in QT_OR_GUI)
print(json.dumps(seen))
"""

_EVERY_COMMAND_HELP = """
import argparse, contextlib, io, json, sys
from core.cli import build_parser, main

def commands(parser, prefix=()):
    for action in parser._actions:  # argparse has no public getter for its subparsers
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from commands(sub, (*prefix, name))

def loaded():
    return sorted(m for m in sys.modules if m.split('.')[0] in QT_OR_GUI)

seen = {"build_parser": None}
every = list(commands(build_parser()))
seen["build_parser"] = loaded()
for command in [(), *every]:
    with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):
        main([*command, "--help"])
    assert "usage:" in out.getvalue(), (command, out.getvalue())
    seen[" ".join(("faceshelf", *command, "--help"))] = loaded()
print(json.dumps(seen))
"""


def _run(script: str) -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", f"QT_OR_GUI = {QT_OR_GUI!r}\n{script}"],
        capture_output=True, text=True, cwd=PROJECT, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _first_offender(seen: dict[str, list[str]]) -> str | None:
    for step, modules in seen.items():
        if modules:
            return f"{step} loaded {modules}"
    return None


def test_importing_core_and_every_core_module_loads_no_qt():
    seen = _run(_IMPORT_EVERY_CORE_MODULE)
    assert "import core.catalog" in seen and "import core.people.queries" in seen  # walked
    assert _first_offender(seen) is None, _first_offender(seen)


def test_every_cli_command_help_loads_no_qt():
    seen = _run(_EVERY_COMMAND_HELP)
    helps = [step for step in seen if step.endswith("--help")]
    # The parser's own list: at least the commands every release has had, nested ones too.
    for expected in ("faceshelf index --help", "faceshelf people --help",
                     "faceshelf search --help", "faceshelf export --help",
                     "faceshelf albums rename --help"):
        assert expected in helps, helps
    assert _first_offender(seen) is None, _first_offender(seen)


def test_the_check_sees_qt_when_it_is_loaded():
    """The guard itself can fail: a script that loads PySide6 is reported."""
    seen = _run("import json, sys\nimport PySide6.QtCore\n"
                "print(json.dumps({'x': sorted(m for m in sys.modules "
                "if m.split('.')[0] in QT_OR_GUI)}))")
    assert _first_offender(seen) and "PySide6.QtCore" in _first_offender(seen)
