"""Make one stored catalog of an older schema with the code of that time (see README.md).

    python tests/data/catalogs/make_old_catalog.py VERSION OLD_TREE PHOTOS

OLD_TREE is a checkout of the commit (`git worktree add /tmp/old-vN COMMIT`); its `core` is
run with this interpreter (PYTHONPATH=OLD_TREE, in OLD_TREE), so the tables, rows and
migrations are the ones that code wrote. PHOTOS is the folder of photos to index; its path is
what the catalog records. Writes tests/data/catalogs/vVERSION.sqlite3, compacted.

Not a test: run by hand when a schema version is added (the catalog of the version being
replaced is made with the last commit before the new migration).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Schema 1 had no indexing yet (the project skeleton and search): faces were only ever written
# by its own test helper, tests/core/search/helpers.py, which this runs with fake embeddings.
_V1_SCRIPT = """
import sys
from pathlib import Path
import numpy as np
from core.catalog import Catalog
from tests.core.search.helpers import Library, identity_vectors

catalog_dir, photos = sys.argv[1], Path(sys.argv[2])
names = sorted(p.name for p in photos.iterdir())
with Catalog(catalog_dir) as cat:
    lib = Library(cat, root=str(photos))
    labels, vectors = identity_vectors(np.random.default_rng(1), 2, 4)
    colin = lib.person("Colin Powell")
    unnamed = lib.person(None)
    for name, label, vector in zip(names, labels, vectors):
        photo = lib.photo(name, taken_at=None)
        lib.face(photo, vector, person=colin if "Colin" in name else unnamed)
"""


def _run(tree: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=tree, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(tree)}, check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _with_old_cli(tree: Path, catalog: Path, photos: Path, export_to: Path) -> None:
    def faceshelf(*args: str) -> str:
        return _run(tree, "-m", "core.cli", "--catalog", str(catalog), *args)

    faceshelf("index", str(photos))
    # Which group holds Colin Powell's photos, and which face is the cut-off stranger: read
    # only (the old CLI wrote everything).
    with sqlite3.connect(f"file:{catalog / 'catalog.sqlite3'}?mode=ro", uri=True) as conn:
        colin = conn.execute(
            "SELECT f.person_id FROM faces f JOIN photos p ON p.id = f.photo_id "
            "WHERE p.path LIKE '%Colin%' AND f.person_id IS NOT NULL "
            "GROUP BY f.person_id ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0]
        strangers = [row[0] for row in conn.execute(
            "SELECT id FROM faces WHERE person_id IS NULL")]
    faceshelf("name", str(colin), "Colin Powell")
    if strangers:
        faceshelf("ignore", *map(str, strangers))
    faceshelf("export", "--person", "Colin Powell", "--to", str(export_to),
              "--save-as", "Colin")
    print(faceshelf("people"))


def _compact(source: Path, target: Path) -> None:
    """Fold the WAL in, 1 KB pages (each table and index takes at least one page), VACUUM;
    then back to WAL, as the app leaves a catalog."""
    shutil.copyfile(source, target)
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA page_size = 1024")
        conn.execute("VACUUM")
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


def main() -> None:
    version, tree, photos = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    with tempfile.TemporaryDirectory() as scratch:
        catalog = Path(scratch) / "catalog"
        if version == 1:
            _run(tree, "-c", _V1_SCRIPT, str(catalog), str(photos))
        else:
            _with_old_cli(tree, catalog, photos, Path(scratch) / "export")
        db = catalog / "catalog.sqlite3"
        with sqlite3.connect(db) as conn:  # what was written, as a record in the README
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            found = conn.execute("PRAGMA user_version").fetchone()[0]
            counts = {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                      for table in ("folders", "photos", "faces", "people", "albums")}
        conn.close()
        if found != version:
            raise SystemExit(f"{tree} wrote schema {found}, not {version}")
        target = HERE / f"v{version}.sqlite3"
        _compact(db, target)
    print(json.dumps({"version": version, "bytes": target.stat().st_size, **counts}))


if __name__ == "__main__":
    main()
