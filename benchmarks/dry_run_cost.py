"""CPU time and peak memory of `imatch-socials --headless --dry-run`, this code against another.

    python -m benchmarks.dry_run_cost [--photos 10000] [--repeat 3] [--base DIR]
        [--platform flickr --platform pixelfed]

The sandbox (IMatch with a generated library of `--photos` photos on both platforms, and
the platforms' simulators) runs in its own process. The dry run is started as a user
would, in a new process, once with this checkout's code and, side by side in the same
run, with the code in `--base` (e.g. `git archive <commit> | tar -x -C DIR`), both on the
same interpreter and packages. Each child's own CPU time (user + system) and peak
resident size come from `wait4`, so the sandbox's work is not counted. Compiled modules
are kept (in a folder of the run, `PYTHONPYCACHEPREFIX`) from the warm-up run on, as an
installed program keeps them, whatever `PYTHONDONTWRITEBYTECODE` says; `--no-bytecode`
compiles every module from source on every run instead. `--platform`
(repeatable) plans only those platforms in both: code from before Mastodon plans two
platforms where this code plans three, so compare them on the same two.

`--instructions` also runs one dry run of each under valgrind's callgrind and gives the
instructions each executed, and their ratio: CPU seconds on a shared virtual machine move
with the hour (by up to a tenth, differently for the two codes), an instruction count
does not. It needs `valgrind` and takes minutes (the code runs some 50 times slower).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import bytecode_environment

HERE = Path(__file__).resolve().parent.parent


def dry_run_command(
    code: Path, home: Path, platforms: list[str], bytecode: Path | None
) -> tuple[list[str], dict[str, str]]:
    """The command and environment of one dry run with the code in `code`; `bytecode`:
    the folder its compiled modules are kept in (None: compiled from source every run)."""
    environment = bytecode_environment(
        bytecode, IMATCH_SOCIALS_HOME=str(home), PYTHONPATH=str(code)
    )
    command = [sys.executable, "-m", "sync.cli", "--headless", "--dry-run"]
    for name in platforms:
        command += ["--platform", name]
    return command, environment


def dry_run(
    code: Path, home: Path, platforms: list[str], bytecode: Path | None
) -> tuple[float, float]:
    """CPU seconds and peak MB of one dry run (see `dry_run_command`)."""
    command, environment = dry_run_command(code, home, platforms, bytecode)
    child = subprocess.Popen(
        command, cwd=code, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(
            f"the dry run in {code} failed: {child.stderr.read() if child.stderr else ''}"
        )
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def instructions(code: Path, home: Path, platforms: list[str], bytecode: Path | None) -> int:
    """Instructions one dry run executes (callgrind's count; see `dry_run_command`)."""
    command, environment = dry_run_command(code, home, platforms, bytecode)
    with tempfile.TemporaryDirectory() as folder:
        counted = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={Path(folder) / 'callgrind.out'}",
            *command,
        ]
        child = subprocess.run(
            counted, cwd=code, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
    found = re.search(rb"Collected : (\d+)", child.stderr)
    if child.returncode not in (0, 1) or found is None:
        raise SystemExit(f"the counted dry run in {code} failed: {child.stderr[-2000:]!r}")
    return int(found.group(1))


def main() -> None:
    from benchmarks.common import library_of, machine
    from benchmarks.tui_startup import load_average, sandbox_with_home

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--photos", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--base", type=Path, help="another checkout to compare with")
    parser.add_argument("--platform", action="append", default=[], help="plan only these")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count the instructions of one dry run of each under valgrind",
    )
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="compile every module from source on every run (an installed program, and "
        "the default here, keep the compiled modules of the first run)",
    )
    args = parser.parse_args()
    codes = {"this": HERE} | ({"base": args.base.resolve()} if args.base else {})
    library = library_of(args.photos, posted_share=0.0)
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in codes}
    counted: dict[str, int] = {}
    planned = ", ".join(args.platform) or "every platform configured"
    print(f"machine: {machine()}; {args.photos:,} photos ({planned}); before: {load_average()}")
    compiled = "compiled from source every run" if args.no_bytecode else "bytecode kept"
    print(f"modules: {compiled}")
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        bytecode = None if args.no_bytecode else Path(folder) / "bytecode"
        with sandbox_with_home(library, home, 0.0):
            for code in codes.values():  # warm the simulator, the file cache, the bytecode
                dry_run(code, home, args.platform, bytecode)
            for _ in range(args.repeat):
                for name, code in codes.items():
                    figures[name].append(dry_run(code, home, args.platform, bytecode))
            if args.instructions:
                if shutil.which("valgrind") is None:
                    raise SystemExit("--instructions needs valgrind (apt install valgrind)")
                for name, code in codes.items():
                    counted[name] = instructions(code, home, args.platform, bytecode)
    for name, runs in figures.items():
        cpu = sorted(run[0] for run in runs)
        peak = sorted(run[1] for run in runs)
        print(
            f"{name:>5} ({codes[name]}): CPU seconds median {statistics.median(cpu):.2f} "
            f"({cpu[0]:.2f}-{cpu[-1]:.2f}), peak MB median {statistics.median(peak):.1f}"
        )
    if "base" in figures:
        ratio = [t[0] / b[0] for t, b in zip(figures["this"], figures["base"], strict=True)]
        print(f"CPU this / base: median {statistics.median(ratio):.2f}")
    if counted:
        for name, count in counted.items():
            print(f"{name:>5}: {count / 1e9:.2f} billion instructions in one dry run")
        if "base" in counted:
            print(f"instructions this / base: {counted['this'] / counted['base']:.2f}")
    print(f"after: {load_average()}")


if __name__ == "__main__":
    main()
