"""Where Sync Monitor keeps its files.

platformdirs gives each OS its usual folders. `SYNCMONITOR_HOME` moves every one of them under a
single folder, for tests and for portable use (a USB stick, a second profile).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from syncmonitor import APP_ID

HOME_ENV = "SYNCMONITOR_HOME"


@dataclass(frozen=True)
class AppPaths:
    """The folders the app reads and writes."""

    config_dir: Path
    data_dir: Path
    log_dir: Path
    cache_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def database_file(self) -> Path:
        return self.data_dir / "cache.sqlite3"

    @property
    def lock_file(self) -> Path:
        return self.data_dir / "sync.lock"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "syncmonitor.log"

    def ensure(self) -> AppPaths:
        """Create the folders, readable by the user only (they hold the cache and logs)."""
        for folder in (self.config_dir, self.data_dir, self.log_dir, self.cache_dir):
            folder.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(OSError):  # e.g. FAT in portable use
                folder.chmod(0o700)
        return self


def app_paths(environ: os._Environ[str] | dict[str, str] | None = None) -> AppPaths:
    """The app's folders, honouring SYNCMONITOR_HOME."""
    env = os.environ if environ is None else environ
    home = env.get(HOME_ENV)
    if home:
        root = Path(home).expanduser().resolve()
        return AppPaths(root / "config", root / "data", root / "logs", root / "cache")
    dirs = platformdirs.PlatformDirs(APP_ID, appauthor=False)
    return AppPaths(
        Path(dirs.user_config_dir),
        Path(dirs.user_data_dir),
        Path(dirs.user_log_dir),
        Path(dirs.user_cache_dir),
    )
