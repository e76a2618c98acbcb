"""Serve the IMatch app as IMatch would, so it can be tried and tested without IMatch.

IMatch serves user apps from its `webroot/user` folder and the libraries it bundles from
`/system/...`. This server does the same on 127.0.0.1 for the `imatch_app/` folder:

- `/user/imatch-socials/...`: the app's files (`/` redirects to its index.html);
- `/system/jquery/dist/jquery.min.js`: Debian's jQuery when installed, else a stub (the
  app itself uses no jQuery; IMatch's imwslib.js does);
- `/system/imws/imwslib.js`: a stand-in whose `IMWS.get` forwards `v1/...` calls to the
  IMatch simulator (this server authenticates and relays them);
- `/system/imatch/imatchlib.js`: a stand-in whose `IMatch.processRun` posts to
  `/sandbox/processRun`, which really runs the program (only `imatch-socials` or
  `imatch-socials.exe`) and answers with IMatch's keys: `result`, `exitCode`, `output`,
  `errorOutput`. A run that exceeds its timeout is killed and answers `result: "timeout"`.
  Like IMatch, it reads `executable` and `parameters` as one Windows command line (the
  original tool passed "python.exe <script>" as `executable`), so a program path with
  spaces must be quoted; unquoted, its first word is taken as the program.

`python -m sandbox.imatch_app_server` starts the simulators with the demo library, points
`imatch_to_socials_python_script_path` at this Python's scripts folder and prints the
app's address to open in a browser.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from imatch.tls import default_tls_context
from sandbox.serving import ServerThread, stopped_by_sigterm
from sync.imatch_app_files import app_source

APP_DIR = app_source()
APP_FOLDER = "imatch-socials"
"""The app's folder name under IMatch's webroot/user (any name works there)."""
APP_PATH = f"/user/{APP_FOLDER}/index.html"
ALLOWED_EXECUTABLES = frozenset({"imatch-socials", "imatch-socials.exe"})
DEBIAN_JQUERY = Path("/usr/share/javascript/jquery/jquery.min.js")
SCRIPT_PATH_VARIABLE = "imatch_to_socials_python_script_path"

JQUERY_STUB = """\
/* Sandbox stand-in for IMatch's bundled jQuery (Debian's libjs-jquery is not installed).
   The imatch-socials app uses no jQuery itself; only IMatch's own imwslib.js does. */
window.jQuery = window.$ = window.jQuery || function () {
    throw new Error('jQuery is not available in the sandbox');
};
"""

IMWSLIB = """\
/* Sandbox stand-in for IMatch's /system/imws/imwslib.js: IMWS.get and IMWS.post return
   promises; a failure passes an object with jqXHR's keys (status, responseJSON,
   responseText). The sandbox server relays the calls to the IMatch simulator. */
(function () {
    'use strict';
    function call(method, endpoint, params) {
        var query = new URLSearchParams(params || {}).toString();
        var url = '/' + String(endpoint).replace(/^\\/+/, '');
        var options = { method: method, headers: {} };
        if (method === 'GET') {
            url += query ? '?' + query : '';
        } else {
            options.body = query;
            options.headers['Content-Type'] = 'application/x-www-form-urlencoded';
        }
        return fetchJSON(url, options);
    }
    // The JSON answer, or a failure with jqXHR's keys (shared with imatchlib.js).
    function fetchJSON(url, options) {
        return fetch(url, options).then(function (response) {
            return response.text().then(function (text) {
                var json;
                try { json = JSON.parse(text); } catch (ignored) { json = undefined; }
                if (!response.ok) {
                    throw { status: response.status, responseJSON: json, responseText: text };
                }
                return json;
            });
        }, function (error) {
            throw { status: 0, responseJSON: undefined, responseText: String(error) };
        });
    }
    window.IMWS = {
        get: function (endpoint, params) { return call('GET', endpoint, params); },
        post: function (endpoint, params) { return call('POST', endpoint, params); },
        sandboxFetchJSON: fetchJSON
    };
}());
"""

IMATCHLIB = """\
/* Sandbox stand-in for IMatch's /system/imatch/imatchlib.js: IMatch.processRun runs the
   program for real (through the sandbox server) and resolves with IMatch's keys
   result, exitCode, output and errorOutput. */
(function () {
    'use strict';
    if (typeof IMWS === 'undefined') {
        throw new Error('imatchlib.js needs imwslib.js');
    }
    window.IMatch = {
        processRun: function (params) {
            return IMWS.sandboxFetchJSON('/sandbox/processRun', {
                method: 'POST',
                headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify(params || {})
            });
        }
    };
}());
"""


ProgramRunner = Callable[[list[str], Mapping[str, str], float], dict[str, Any]]
"""Runs a program (argv, environment, timeout in seconds) and gives processRun's answer."""


@dataclass
class ProcessRun:
    """One `IMatch.processRun` call the server carried out (for tests)."""

    executable: str
    """`executable` exactly as the app passed it."""
    argv: list[str]
    timeout: float
    answer: dict[str, Any] = field(default_factory=dict)


class IMatchAppServer:
    """The ASGI app: the IMatch app's files, the library stand-ins and processRun."""

    def __init__(
        self,
        imatch_url: str,
        env: Mapping[str, str] | None = None,
        app_dir: Path = APP_DIR,
        user: str = "sandbox",
        run_program: ProgramRunner | None = None,
    ) -> None:
        self.imatch_url = imatch_url.rstrip("/")
        self.run_program = run_program or run_program_as_process
        """How a program is run (tests may start imatch-socials more cheaply)."""
        self.env = dict(env or {})
        """Added to this process's environment for the programs run (e.g. IMATCH_SOCIALS_HOME)."""
        self.app_dir = app_dir
        self.user = user
        self.runs: list[ProcessRun] = []
        self._token: str | None = None
        self.app = Starlette(
            routes=[
                Route("/", lambda request: RedirectResponse(APP_PATH)),
                Route("/system/jquery/dist/jquery.min.js", self._jquery),
                Route("/system/imws/imwslib.js", lambda request: _javascript(IMWSLIB)),
                Route("/system/imatch/imatchlib.js", lambda request: _javascript(IMATCHLIB)),
                Route("/sandbox/processRun", self._process_run, methods=["POST"]),
                Route("/v1/{endpoint:path}", self._relay, methods=["GET", "POST"]),
                Mount(f"/user/{APP_FOLDER}", StaticFiles(directory=app_dir, html=True)),
            ]
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    def _jquery(self, request: Request) -> Response:
        if DEBIAN_JQUERY.is_file():
            return _javascript(DEBIAN_JQUERY.read_text(encoding="utf-8"))
        return _javascript(JQUERY_STUB)

    # --- IMWS relay ---------------------------------------------------------------------

    async def _relay(self, request: Request) -> Response:
        """Forward an IMWS call to the IMatch simulator with a session of our own."""
        endpoint = "/v1/" + request.path_params["endpoint"]
        if request.method == "GET":
            params = dict(request.query_params)
        else:
            params = {k: str(v) for k, v in (await request.form()).items()}
        async with httpx.AsyncClient(
            base_url=self.imatch_url, timeout=30.0, verify=default_tls_context()
        ) as client:
            for _ in range(2):
                if self._token is None:
                    self._token = await self._authenticate(client)
                sent = {**params, "auth_token": self._token}
                if request.method == "GET":
                    answer = await client.get(endpoint, params=sent)
                else:
                    answer = await client.post(endpoint, data=sent)
                if answer.status_code != 401:
                    break
                self._token = None
        return Response(
            answer.content,
            status_code=answer.status_code,
            media_type=answer.headers.get("content-type", "application/json"),
        )

    async def _authenticate(self, client: httpx.AsyncClient) -> str:
        answer = await client.post(
            "/v1/authenticate", params={"id": self.user, "password": "", "appid": ""}
        )
        answer.raise_for_status()
        return str(answer.json()["auth_token"])

    # --- processRun ---------------------------------------------------------------------

    async def _process_run(self, request: Request) -> Response:
        try:
            params = await request.json()
        except json.JSONDecodeError:
            return _error(400, "processRun needs a JSON body")
        executable = str(params.get("executable", ""))
        argv = windows_argv(f"{executable} {params.get('parameters', '')}")
        program = argv[0] if argv else ""
        if Path(program).name not in ALLOWED_EXECUTABLES:
            return _error(403, f"the sandbox runs only imatch-socials, not {program!r}")
        if not await run_in_threadpool(Path(program).is_file):
            return _error(404, f"no such program: {program}")
        try:
            timeout = float(params.get("timeout") or 300)
        except (TypeError, ValueError):
            return _error(400, "timeout must be a number of seconds")
        run = ProcessRun(executable, argv, timeout)
        self.runs.append(run)
        run.answer = await run_in_threadpool(self._run, argv, timeout)
        return JSONResponse(run.answer)

    def _run(self, argv: list[str], timeout: float) -> dict[str, Any]:
        return self.run_program(argv, {**os.environ, **self.env}, timeout)


def run_program_as_process(
    argv: list[str], env: Mapping[str, str], timeout: float
) -> dict[str, Any]:
    """Run `argv` as IMatch does: output captured, no input; the answer processRun gives."""
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            env=dict(env),
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        return timed_out(expired.stdout, expired.stderr)
    except OSError as error:
        return {"result": "error", "exitCode": -1, "output": "", "errorOutput": str(error)}
    return finished(done.returncode, done.stdout, done.stderr)


def finished(code: int, output: bytes | str | None, errors: bytes | str | None) -> dict[str, Any]:
    """processRun's answer for a program that ended with `code`."""
    return {"result": "ok", "exitCode": code, "output": _text(output), "errorOutput": _text(errors)}


def timed_out(output: bytes | str | None, errors: bytes | str | None) -> dict[str, Any]:
    """processRun's answer for a program stopped at its timeout."""
    return {
        "result": "timeout",
        "exitCode": -1,
        "output": _text(output),
        "errorOutput": _text(errors),
    }


def windows_argv(command_line: str) -> list[str]:
    """Split a command line as Windows programs do (CommandLineToArgvW): words are
    separated by spaces or tabs; double quotes group; backslashes are literal except
    before a quote (2n backslashes + quote: n backslashes and a grouping quote; 2n+1: n
    backslashes and a literal quote); the program name (first word) ends at its closing
    quote or the first blank, with no backslash rules."""
    words: list[str] = []
    i, n = 0, len(command_line)
    while i < n and command_line[i] in " \t":
        i += 1
    if i == n:
        return words
    if command_line[i] == '"':
        end = command_line.find('"', i + 1)
        end = n if end < 0 else end
        words.append(command_line[i + 1 : end])
        i = end + 1
    else:
        start = i
        while i < n and command_line[i] not in " \t":
            i += 1
        words.append(command_line[start:i])
    while True:
        while i < n and command_line[i] in " \t":
            i += 1
        if i >= n:
            return words
        word: list[str] = []
        quoted = False
        while i < n and (quoted or command_line[i] not in " \t"):
            char = command_line[i]
            if char == "\\":
                count = 0
                while i < n and command_line[i] == "\\":
                    count += 1
                    i += 1
                if i < n and command_line[i] == '"':
                    word.append("\\" * (count // 2))
                    if count % 2:
                        word.append('"')
                        i += 1
                else:
                    word.append("\\" * count)
                continue
            if char == '"':
                if quoted and i + 1 < n and command_line[i + 1] == '"':
                    word.append('"')  # "" inside quotes: a literal quote
                    i += 2
                    continue
                quoted = not quoted
                i += 1
                continue
            word.append(char)
            i += 1
        words.append("".join(word))


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def _javascript(source: str) -> Response:
    return Response(source, media_type="text/javascript; charset=utf-8")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": status, "message": message}}, status_code=status)


@contextmanager
def serve_imatch_app(
    imatch_url: str,
    env: Mapping[str, str] | None = None,
    port: int = 0,
    app_dir: Path = APP_DIR,
    run_program: ProgramRunner | None = None,
) -> Iterator[tuple[str, IMatchAppServer]]:
    """Serve the app for the duration of the block; yields the app's URL and the server.
    `run_program` replaces how processRun runs a program (default: a new process)."""
    server = IMatchAppServer(imatch_url, env, app_dir, run_program=run_program)
    thread = ServerThread(server, port).start()
    try:
        yield f"{thread.url}{APP_PATH}", server
    finally:
        thread.stop()


def scripts_folder() -> Path:
    """The folder of this Python's console scripts (a venv's bin or Scripts folder)."""
    return Path(sys.executable).parent


def main(argv: list[str] | None = None) -> int:
    """Serve the simulators and the app until interrupted."""
    from sandbox.world import sandbox_world

    parser = argparse.ArgumentParser(
        prog="python -m sandbox.imatch_app_server", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--port", type=int, default=0, help="port of the app (0: any free)")
    parser.add_argument("--home", type=Path, help="imatch-socials home (default: temporary)")
    parser.add_argument(
        "--app-dir", type=Path, default=APP_DIR, help="the app folder (default: imatch_app/)"
    )
    args = parser.parse_args(argv)
    if not (args.app_dir / "index.html").is_file():
        parser.error(f"{args.app_dir} holds no index.html: name the imatch_app folder (--app-dir)")
    with (
        suppress(KeyboardInterrupt),
        stopped_by_sigterm(),
        sandbox_world() as world,
        tempfile.TemporaryDirectory(prefix="imatch-app-") as tmp,
    ):
        home = args.home or Path(tmp)
        world.configure_home(home)
        world.imatch.db.app_variables[SCRIPT_PATH_VARIABLE] = str(scripts_folder())
        env = {"IMATCH_SOCIALS_HOME": str(home)}
        with serve_imatch_app(world.imatch_url, env, args.port, args.app_dir) as (url, _):
            print(f"imatch {world.imatch_url}", flush=True)
            print(f"home {home}", flush=True)
            print(f"app {url}", flush=True)
            print("Serving until interrupted (Ctrl+C).", flush=True)
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
