"""The layers stay honest: the front ends (gui/, the CLI's modules) hold no SQL. They ask
core's read API (`core.library`, `core.people`, `core.status`, ...) so the schema is known in
core alone. Tests and benches may keep their SQL.

Read from the source with `ast`: a string literal (an f-string's literal parts joined) that
reads as a statement, or any `.execute(...)`-style call, is SQL.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Upper-case keywords in the shape of a statement, as the code base writes SQL; an English
# sentence ("Select the photos from…", "Delete album") does not match.
_STATEMENT = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+(OR\s+[A-Z]+\s+)?INTO\b|\bREPLACE\s+INTO\b"
    r"|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|\bCREATE\s+(TABLE|(UNIQUE\s+)?INDEX|VIEW|TRIGGER)\b"
    r"|\bDROP\s+(TABLE|INDEX|VIEW|TRIGGER)\b|\bALTER\s+TABLE\b|\bPRAGMA\s+\w+"
    r"|\bWITH\s+(RECURSIVE\s+)?\w+(\s*\([^)]*\))?\s+AS\s*\(|\bVACUUM\b"
    r"|\b(BEGIN|COMMIT|ROLLBACK)(\s+(TRANSACTION|IMMEDIATE|EXCLUSIVE|DEFERRED))?\s*;?\s*$")
_EXECUTE_CALLS = {"execute", "executemany", "executescript"}


def _literal_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):  # f"SELECT {cols} FROM ..." -> "SELECT ? FROM ..."
        return "".join(v.value if isinstance(v, ast.Constant) else "?" for v in node.values)
    return None


def sql_in_source(source: str) -> list[tuple[int, str]]:
    """(line, what) for every piece of SQL in a module's source."""
    found = []
    inside_fstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            inside_fstrings.update(id(v) for v in node.values)
        text = _literal_text(node)
        if text is not None and id(node) not in inside_fstrings and _STATEMENT.search(text):
            found.append((node.lineno, " ".join(text.split())[:70]))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _EXECUTE_CALLS):
            found.append((node.lineno, f".{node.func.attr}(...)"))
    return sorted(found)


def _report(files: list[Path]) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{line}: {what}" for path in files
            for line, what in sql_in_source(path.read_text(encoding="utf-8"))]


GUI_MODULES = sorted((ROOT / "gui").rglob("*.py"))


def cli_modules() -> list[Path]:
    """The CLI's modules, whichever shape it has: `core/cli.py` or the package `core/cli/`,
    and the command groups kept beside it."""
    files = [ROOT / "core" / name for name in ("cli.py", "health_cli.py", "tags_cli.py")]
    files += sorted((ROOT / "core" / "cli").rglob("*.py"))
    return [f for f in files if f.is_file()]


@pytest.mark.parametrize("module", GUI_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_gui_module_holds_no_sql(module: Path):
    assert _report([module]) == []


def test_cli_modules_hold_no_sql():
    modules = cli_modules()
    assert modules, "no CLI module found: the list in cli_modules() is out of date"
    assert _report(modules) == []


def test_the_gui_is_checked():
    assert len(GUI_MODULES) > 20 and ROOT / "gui" / "models" / "queries.py" in GUI_MODULES


# -- the detector itself: it must see SQL in its usual shapes, and only SQL -----------------------

@pytest.mark.parametrize("source", [
    'rows = conn.execute("SELECT id FROM folders")',
    'db.executemany(sql, rows)',
    'SQL = "SELECT p.id, p.path\\n    FROM photos p WHERE p.id = ?"',
    'q = f"SELECT {cols} FROM photos ph WHERE ph.status = {s!r}"',
    'q = ("SELECT COUNT(*) "\n     "FROM faces")',
    'Q = "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"',
    'Q = "UPDATE people SET name = ? WHERE id = ?"',
    'Q = "DELETE FROM faces WHERE id = ?"',
    'Q = "CREATE INDEX faces_photo ON faces(photo_id)"',
    'Q = "PRAGMA journal_mode=WAL"',
    'Q = "WITH recent AS (SELECT id FROM photos) SELECT * FROM recent"',
    'Q = "BEGIN IMMEDIATE"',
])
def test_detector_finds_sql(source: str):
    assert sql_in_source(source), source


@pytest.mark.parametrize("source", [
    'label = "Select the photos from one day"',
    'button = "Delete album"',
    'tip = "Update the album with the photos found since"',
    'text = "With all of them"',
    'hint = "Create a new person"',
    'dialog.exec()',
    'name = f"{first} from {place}"',
])
def test_detector_passes_plain_text(source: str):
    assert sql_in_source(source) == []
