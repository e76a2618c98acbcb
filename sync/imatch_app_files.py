"""`imatch-socials imatch-app`: where the shipped IMatch app is, and copying it into IMatch.

The app (`imatch_app/`: index.html, app.js, ...) is installed beside the Python packages,
so someone who installed with pipx or `uv tool install` has it too. IMatch serves user
apps from its `webroot\\user` folder; the app runs this installation's `imatch-socials`,
whose folder goes into the application variable `imatch_to_socials_python_script_path`.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

APP_FOLDER_NAME = "imatch-socials"
"""The app's folder name under IMatch's `webroot\\user` (any name works there)."""
SCRIPT_PATH_VARIABLE = "imatch_to_socials_python_script_path"
PROGRAM_NAMES = ("imatch-socials.exe", "imatch-socials")


class AppInstallError(Exception):
    """The app cannot be found or copied; the message says what to do."""


def app_source() -> Path:
    """The app's files in this installation (source checkout or installed wheel)."""
    return Path(__file__).resolve().parent.parent / "imatch_app"


def imatch_user_apps() -> Path | None:
    """IMatch's folder for user apps on this computer (Windows only), else None."""
    if os.name != "nt":
        return None
    program_data = os.environ.get("PROGRAMDATA", r"C:\ProgramData")
    return Path(program_data) / "photools.com" / "imatch6" / "webroot" / "user"


def program_folder() -> Path:
    """The folder holding the `imatch-socials` program: the value for the variable."""
    launched = Path(sys.argv[0])
    if launched.name.lower() in PROGRAM_NAMES or launched.stem.lower() == "imatch-socials":
        # As started: pipx and uv put a link or copy on the PATH; that folder is the one
        # the user knows (the environment's own folder would work too).
        found = launched if launched.parent != Path() else shutil.which(launched.name)
        if found is not None and Path(found).is_file():
            return Path(found).absolute().parent
    return Path(sysconfig.get_path("scripts"))


def copy_app(target: Path) -> list[Path]:
    """Copy the app's files into `target` (created; older files of the app replaced)."""
    source = app_source()
    files = sorted(p for p in source.iterdir() if p.is_file()) if source.is_dir() else []
    if not any(p.name == "index.html" for p in files):
        raise AppInstallError(
            f"this installation has no IMatch app at {source}: reinstall imatch-socials"
        )
    if target.exists() and not target.is_dir():
        raise AppInstallError(f"{target} is a file: name a folder for the app")
    try:
        target.mkdir(parents=True, exist_ok=True)
        for path in files:
            shutil.copyfile(path, target / path.name)
    except PermissionError:
        raise AppInstallError(
            f"not allowed to write to {target}: run the command again in a terminal opened "
            f"as administrator, or copy the files of {source} there yourself"
        ) from None
    except OSError as error:
        raise AppInstallError(f"cannot copy the app to {target}: {error.strerror}") from None
    return [target / path.name for path in files]


def run_imatch_app(copy: bool, to: Path | None) -> int:
    """Print where the app is (and copy it with `copy`); 0, or 2 with one line on error."""
    apps = imatch_user_apps()
    target = to or (apps / APP_FOLDER_NAME if apps is not None else None)
    try:
        if copy:
            if target is None:
                raise AppInstallError(
                    "IMatch runs on Windows only: name the folder to copy the app to with --to"
                )
            copied = copy_app(target)
            print(f"Copied the IMatch app ({len(copied)} files) to {target}")
        else:
            source = app_source()
            if not (source / "index.html").is_file():
                raise AppInstallError(
                    f"this installation has no IMatch app at {source}: reinstall imatch-socials"
                )
            print(f"The IMatch app of this installation: {source}")
            if target is not None:
                print(f"IMatch looks for it in: {target}")
                print("Copy it there with: imatch-socials imatch-app --copy")
            else:
                print("IMatch (on Windows) looks for it in its webroot\\user\\imatch-socials")
                print("Copy it with: imatch-socials imatch-app --to FOLDER")
    except AppInstallError as error:
        print(f"imatch-socials: {error}", file=sys.stderr)
        return 2
    print(f"Set the IMatch application variable {SCRIPT_PATH_VARIABLE} to: {program_folder()}")
    if copy:
        print("Then restart IMatch and open imatch-socials in the App Manager.")
    return 0
