"""Where the catalog and caches live by default."""

from pathlib import Path

import platformdirs

APP_NAME = "faceshelf"


def default_catalog_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
