"""The IMatch simulator: IMatch's web API (reference imatch-api.md section 9) over real HTTP.

Lower-case parameters from the query string or a form body, camelCase keys in answers,
`auth_token` on every call, JSON error bodies, `{"result": "ok"}` on writes. Knobs for
latency, a maximum number of ids per call, injected 500s and token expiry live in
`IMatchSettings` and `FaultKnobs`; every request is recorded in `RequestLog`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.faults import FaultKnobs, FaultMiddleware, RequestLog, add_params, drop_answer
from sandbox.imatch_db import REPEATABLE_TAGS, IMatchDatabase, SimCategory, SimFile
from sandbox.imatch_metadata import apply_operations, parse_operations
from sandbox.imatch_variables import evaluate

ALL_FILES_IDLIST = "@IMWS.allfiles"
FILE_FIELD_KEYS = {
    "id": "id",
    "filename": "fileName",
    "name": "name",
    "datetime": "dateTime",
    "format": "format",
    "size": "size",
    "width": "width",
    "height": "height",
}
CATEGORY_FIELD_KEYS = {
    "id": "id",
    "path": "path",
    "name": "name",
    "description": "description",
    "files": "files",
    "directfiles": "directFiles",
    "children": "children",
    "thumbnail": "thumbnail",
}
RELATION_FIELDS = ["id", "name", "filename", "format", "size"]


@dataclass
class IMatchSettings:
    """Switches for behaviour the reference leaves open, and faults to exercise clients."""

    max_ids_per_call: int | None = 1000
    """Reject a call with more ids than this (HTTP 400)."""
    token_idle_seconds: float | None = None
    """A token not used for this long is refused (HTTP 401)."""
    error_without_body: bool = False
    """Errors carry no JSON body (the docs say some real ones do not)."""
    assign_creates_categories: bool = True
    file_categories_include_ancestors: bool = False
    recursive_children: bool = False
    unknown_appvar_status: int = 200
    """200 answers `{}` for an unknown variable; 404 answers an error."""
    single_values_as_string: bool = False
    """A repeatable tag with one value comes back as a plain string."""
    numbers_as_strings: bool = False
    """Numeric app variables come back as strings."""
    strict_parameter_names: bool = True
    """Parameter names must be lower-case."""
    clock: Callable[[], float] = time.monotonic


class IMatchError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Session:
    user: str
    last_used: float


@dataclass
class IMatchSimulator:
    """One simulated IMatch: its database, switches, fault knobs and request log."""

    db: IMatchDatabase
    settings: IMatchSettings = field(default_factory=IMatchSettings)
    knobs: FaultKnobs = field(default_factory=FaultKnobs)
    log: RequestLog = field(default_factory=RequestLog)
    sessions: dict[str, Session] = field(default_factory=dict)
    _token_counter: int = 0

    @property
    def asgi_app(self) -> FaultMiddleware:
        return FaultMiddleware(_build_app(self), self.knobs, self.log, _fault_body)

    def expire_tokens(self) -> None:
        """Forget every session: the next call with an old token gets HTTP 401."""
        self.sessions.clear()

    def new_token(self, user: str) -> str:
        self._token_counter += 1
        token = f"imws-{self._token_counter:06d}-{abs(hash((user, self._token_counter))):x}"
        self.sessions[token] = Session(user, self.settings.clock())
        return token


def _fault_body(status: int) -> dict[str, Any]:
    return {"error": {"code": status, "message": "injected fault"}}


Handler = Callable[[IMatchSimulator, dict[str, str]], Any]


def _build_app(sim: IMatchSimulator) -> Starlette:
    def endpoint(
        handler: Handler, authenticated: bool = True, mutates: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                params = await _parameters(request, sim.settings.strict_parameter_names)
                if authenticated:
                    _check_token(sim, params)
                with sim.db.lock:
                    result = handler(sim, params)
            except IMatchError as error:
                return _error_response(sim, error)
            if mutates and sim.knobs.should_drop():
                drop_answer(request.scope)
            return JSONResponse(result)

        return run

    routes = [
        Route("/v1/authenticate", endpoint(_authenticate, False), methods=["POST"]),
        Route("/v1/files", endpoint(_files), methods=["GET"]),
        Route("/v1/files/categories", endpoint(_file_categories), methods=["GET"]),
        Route("/v1/files/relations", endpoint(_file_relations), methods=["GET"]),
        Route("/v1/files/collections", endpoint(_file_collections), methods=["GET"]),
        Route("/v1/categories", endpoint(_categories), methods=["GET"]),
        Route("/v1/categories/assign", endpoint(_assign, mutates=True), methods=["POST"]),
        Route("/v1/categories/unassign", endpoint(_unassign, mutates=True), methods=["POST"]),
        Route("/v1/attributes", endpoint(_attributes_read), methods=["GET"]),
        Route("/v1/attributes", endpoint(_attributes_write, mutates=True), methods=["POST"]),
        Route("/v1/imatch/appvar", endpoint(_appvar), methods=["GET"]),
        Route("/v1/metadata", endpoint(_metadata_write, mutates=True), methods=["POST"]),
        Route("/discover", endpoint(_discover, False), methods=["GET"]),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return _error_response(sim, IMatchError(404, 404, f"unknown endpoint {request.url.path}"))

    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})


def _error_response(sim: IMatchSimulator, error: IMatchError) -> Response:
    if sim.settings.error_without_body:
        return Response(status_code=error.status)
    body = {"error": {"code": error.code, "message": error.message}}
    return JSONResponse(body, status_code=error.status)


async def _parameters(request: Request, strict: bool) -> dict[str, str]:
    params = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        form_params = {k: v for k, v in form.items() if isinstance(v, str)}
        add_params(request.scope, form_params)
        params.update(form_params)
    if strict:
        for name in params:
            if name != name.lower():
                raise IMatchError(400, 400, f"parameter names are lower-case: {name}")
    return params


def _check_token(sim: IMatchSimulator, params: dict[str, str]) -> None:
    token = params.get("auth_token")
    session = sim.sessions.get(token or "")
    if session is None:
        raise IMatchError(401, 401, "missing or invalid auth_token")
    now = sim.settings.clock()
    idle = sim.settings.token_idle_seconds
    if idle is not None and now - session.last_used > idle:
        del sim.sessions[token or ""]
        raise IMatchError(401, 401, "auth_token expired")
    session.last_used = now


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise IMatchError(400, 400, f"missing parameter: {name}")
    return value


def _id_list(sim: IMatchSimulator, params: dict[str, str], name: str = "id") -> list[int]:
    raw = _required(params, name)
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError as error:
        raise IMatchError(400, 400, f"invalid id list in {name}") from error
    limit = sim.settings.max_ids_per_call
    if limit is not None and len(ids) > limit:
        raise IMatchError(400, 400, f"too many ids in one call: {len(ids)} > {limit}")
    return list(dict.fromkeys(ids))


def _fields(params: dict[str, str], default: str) -> list[str]:
    raw = params.get("fields", default)
    return [f.strip().lower() for f in raw.split(",") if f.strip()]


# --- endpoints ----------------------------------------------------------------------------


def _authenticate(sim: IMatchSimulator, params: dict[str, str]) -> dict[str, Any]:
    user = params.get("id", "")
    return {"auth_token": sim.new_token(user), "user": {"id": user}}


def _files(sim: IMatchSimulator, params: dict[str, str]) -> dict[str, Any]:
    ids = _idlist_page(sim, params) if "idlist" in params else _id_list(sim, params)
    fields = _fields(params, ",".join(FILE_FIELD_KEYS))
    tags = {k[3:]: v for k, v in params.items() if k.startswith("tag") and len(k) > 3}
    variables = {k[3:]: v for k, v in params.items() if k.startswith("var") and len(k) > 3}
    files = []
    for file_id in ids:
        file = sim.db.files.get(file_id)
        if file is None:
            continue
        entry = _file_fields(file, fields)
        for key, tag in tags.items():
            entry[key] = _tag_value(sim, file, tag)
        for key, expression in variables.items():
            entry[key] = evaluate(expression, file)
        files.append(entry)
    return {"files": files}


def _idlist_page(sim: IMatchSimulator, params: dict[str, str]) -> list[int]:
    if params["idlist"] != ALL_FILES_IDLIST:
        raise IMatchError(400, 400, f"unknown idlist: {params['idlist']}")
    ids = sorted(sim.db.files)
    if "pagesize" in params:
        size = int(params["pagesize"])
        page = int(params.get("page", "0"))
        ids = ids[page * size : (page + 1) * size]
    return ids


def _file_fields(file: SimFile, fields: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": file.id,
        "filename": file.file_name,
        "name": file.name,
        "datetime": file.date_time,
        "format": file.format,
        "size": file.size,
        "width": file.width,
        "height": file.height,
    }
    return {FILE_FIELD_KEYS[f]: values[f] for f in fields if f in FILE_FIELD_KEYS}


def _tag_value(sim: IMatchSimulator, file: SimFile, tag: str) -> Any:
    if "::" in tag:
        return file.raw_tags.get(tag, "")
    name = tag.lower()
    value = file.tags.get(name)
    if name in REPEATABLE_TAGS:
        values = value if isinstance(value, list) else ([] if value in (None, "") else [value])
        if sim.settings.single_values_as_string and len(values) == 1:
            return values[0]
        return values
    return "" if value is None else str(value)


def _file_categories(sim: IMatchSimulator, params: dict[str, str]) -> dict[str, Any]:
    fields = _fields(params, "id,path")
    files = []
    for file_id in _id_list(sim, params):
        if file_id not in sim.db.files:
            continue
        categories = sim.db.categories_of(file_id)
        if sim.settings.file_categories_include_ancestors:
            categories = _with_ancestors(sim, categories)
        files.append(
            {"id": file_id, "categories": [_category_fields(sim, c, fields) for c in categories]}
        )
    return {"files": files}


def _with_ancestors(sim: IMatchSimulator, categories: list[SimCategory]) -> list[SimCategory]:
    found: dict[str, SimCategory] = {}
    for category in categories:
        parts = category.path.split("|")
        for depth in range(1, len(parts) + 1):
            path = "|".join(parts[:depth])
            found[path] = sim.db.categories[path]
    return list(found.values())


def _file_relations(sim: IMatchSimulator, params: dict[str, str]) -> dict[str, Any]:
    kind = params.get("type", "versions")
    if kind not in ("versions", "masters"):
        raise IMatchError(400, 400, f"unknown relation type: {kind}")
    files = []
    for file_id in _id_list(sim, params):
        if file_id not in sim.db.files:
            continue
        groups = (
            sim.db.version_groups(file_id) if kind == "versions" else sim.db.master_groups(file_id)
        )
        files.append(
            {
                "id": file_id,
                kind: [
                    {"files": [_file_fields(sim.db.files[i], RELATION_FIELDS) for i in group]}
                    for group in groups
                ],
            }
        )
    return {"files": files}


def _file_collections(sim: IMatchSimulator, params: dict[str, str]) -> dict[str, Any]:
    return {
        "files": [
            {"id": i, "collections": list(sim.db.files[i].collections)}
            for i in _id_list(sim, params)
            if i in sim.db.files
        ]
    }


def _categories(sim: IMatchSimulator, params: dict[str, str]) -> dict[str, Any]:
    fields = _fields(params, "id,path,name")
    if "path" in params:
        category = sim.db.categories.get(params["path"])
        found = [category] if category is not None else []
    else:
        wanted = set(_id_list(sim, params))
        found = [c for c in sim.db.categories.values() if c.id in wanted]
    return {"categories": [_category_fields(sim, c, fields) for c in found]}


def _category_fields(
    sim: IMatchSimulator, category: SimCategory, fields: list[str]
) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    for name in fields:
        if name == "id":
            entry["id"] = category.id
        elif name == "path":
            entry["path"] = category.path
        elif name == "name":
            entry["name"] = category.name
        elif name == "description":
            entry["description"] = category.description
        elif name == "thumbnail":
            entry["thumbnail"] = category.thumbnail
        elif name == "files":
            entry["files"] = sim.db.category_files(category.path)
        elif name == "directfiles":
            entry["directFiles"] = sorted(category.direct)
        elif name == "children":
            entry["children"] = _children(sim, category, fields)
    return entry


def _children(
    sim: IMatchSimulator, category: SimCategory, fields: list[str]
) -> list[dict[str, Any]]:
    # One level deep, each child with the same projection, unless recursion is switched on.
    if not sim.settings.recursive_children:
        fields = [f for f in fields if f != "children"]
    return [_category_fields(sim, child, fields) for child in sim.db.children(category.path)]


def _assign(sim: IMatchSimulator, params: dict[str, str]) -> dict[str, Any]:
    path = _required(params, "path")
    ids = _known_files(sim, _id_list(sim, params, "fileid"))
    if path not in sim.db.categories and not sim.settings.assign_creates_categories:
        raise IMatchError(400, 5100, f"unknown category: {path}")
    sim.db.assign(path, ids)
    return {"result": "ok"}


def _unassign(sim: IMatchSimulator, params: dict[str, str]) -> dict[str, Any]:
    path = _required(params, "path")
    sim.db.unassign(path, _known_files(sim, _id_list(sim, params, "fileid")))
    return {"result": "ok"}


def _known_files(sim: IMatchSimulator, ids: list[int]) -> list[int]:
    unknown = [i for i in ids if i not in sim.db.files]
    if unknown:
        raise IMatchError(400, 400, f"unknown file id: {unknown[0]}")
    return ids


def _attribute_set(sim: IMatchSimulator, params: dict[str, str]) -> dict[str, str]:
    name = _required(params, "set")
    definition = sim.db.attribute_sets.get(name)
    if definition is None:
        raise IMatchError(400, 400, f"unknown attribute set: {name}")
    return definition


def _attributes_read(sim: IMatchSimulator, params: dict[str, str]) -> dict[str, Any]:
    _attribute_set(sim, params)
    result = []
    for file_id in _id_list(sim, params):
        instances = sim.db.instances_of(params["set"], file_id)
        if instances:
            result.append(
                {
                    "id": file_id,
                    "data": [{"instanceId": i.instance_id, **i.values} for i in instances],
                }
            )
    return {"result": result}


def _attributes_write(sim: IMatchSimulator, params: dict[str, str]) -> dict[str, Any]:
    definition = _attribute_set(sim, params)
    set_name = params["set"]
    ids = _known_files(sim, _id_list(sim, params))
    tasks = _tasks(params)
    for task in tasks:
        _check_task(task, definition)
    for task in tasks:
        _apply_task(sim, set_name, ids, task)
    return {"result": "ok"}


def _metadata_write(sim: IMatchSimulator, params: dict[str, str]) -> dict[str, Any]:
    ids = _known_files(sim, _id_list(sim, params))
    operations = parse_operations(_required(params, "tags"))
    for file_id in ids:
        apply_operations(sim.db.files[file_id], operations)
    return {"result": "ok"}


def _tasks(params: dict[str, str]) -> list[dict[str, Any]]:
    try:
        tasks = json.loads(_required(params, "tasks"))
    except json.JSONDecodeError as error:
        raise IMatchError(400, 400, "tasks is not valid JSON") from error
    if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
        raise IMatchError(400, 400, "tasks must be a JSON array of objects")
    return tasks


def _check_task(task: dict[str, Any], definition: dict[str, str]) -> None:
    op = task.get("op")
    if op not in ("add", "update", "delete"):
        raise IMatchError(400, 400, f"unknown task op: {op}")
    data = task.get("data", {})
    if op != "delete" and (not isinstance(data, dict) or not data):
        raise IMatchError(400, 400, f"task {op} needs data")
    unknown = [name for name in data if name not in definition]
    if unknown:
        raise IMatchError(400, 400, f"unknown attribute: {unknown[0]}")
    if op != "add" and not isinstance(task.get("instanceid"), list):
        raise IMatchError(400, 400, f"task {op} needs an instanceid list")


def _apply_task(sim: IMatchSimulator, set_name: str, ids: list[int], task: dict[str, Any]) -> None:
    if task["op"] == "add":
        for file_id in ids:
            sim.db.add_instance(set_name, file_id, task["data"])
        return
    for instance_id in task["instanceid"]:
        instance = sim.db.instances.get(int(instance_id))
        # Instances of files not named in `id` are ignored, as the reference decides.
        if instance is None or instance.set_name != set_name or instance.file_id not in ids:
            continue
        if task["op"] == "update":
            instance.values.update(task["data"])
        else:
            sim.db.delete_instance(instance.instance_id)


def _appvar(sim: IMatchSimulator, params: dict[str, str]) -> dict[str, Any]:
    name = _required(params, "name")
    if name not in sim.db.app_variables:
        if sim.settings.unknown_appvar_status == 404:
            raise IMatchError(404, 404, f"unknown application variable: {name}")
        return {}
    value = sim.db.app_variables[name]
    if sim.settings.numbers_as_strings and isinstance(value, int):
        value = str(value)
    return {"value": value}


def _discover(sim: IMatchSimulator, params: dict[str, str]) -> dict[str, Any]:
    return {
        "endpoints": [
            "/v1/authenticate",
            "/v1/files",
            "/v1/files/categories",
            "/v1/files/relations",
            "/v1/files/collections",
            "/v1/categories",
            "/v1/categories/assign",
            "/v1/categories/unassign",
            "/v1/attributes",
            "/v1/imatch/appvar",
        ]
    }
