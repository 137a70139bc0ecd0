"""The CLI stays a package of small modules (issue 13): one per command group, none a second
cli.py. A module that outgrows the limit is split by command group, as people/people_edits."""

from __future__ import annotations

from tests.conftest import PROJECT

MAX_LINES = 400


def test_no_cli_module_grows_past_the_limit():
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines())
             for path in (PROJECT / "core" / "cli").glob("*.py")}
    assert {"__init__.py", "engine.py", "people.py", "search.py", "export.py"} <= set(sizes)
    assert {name: size for name, size in sizes.items() if size > MAX_LINES} == {}
    assert not (PROJECT / "core" / "cli.py").exists()   # beside the package it is dead code
