"""Small JSON files holding secrets (login tokens), readable only by their owner.

Files are written atomically (temporary file, then rename) with mode 0600 from the
moment they exist. Nothing here logs a value.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from sync import paths
from sync.state_db import make_private_folder

SECRET_MODE = 0o600


class SecretStore:
    """One JSON object per file, e.g. a platform's login token in the state directory."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or paths.state_dir()

    def path(self, name: str) -> Path:
        return self.directory / f"{name}.json"

    def load(self, name: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path(name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def save(self, name: str, data: dict[str, Any]) -> Path:
        make_private_folder(self.directory)
        target = self.path(name)
        # mkstemp creates the file with mode 0600, so the secret is never readable by others.
        handle, temporary = tempfile.mkstemp(prefix=f".{name}-", dir=self.directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(data, stream)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        os.chmod(target, SECRET_MODE)
        return target

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)
