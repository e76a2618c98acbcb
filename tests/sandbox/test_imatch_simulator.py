"""The IMatch simulator's wire behaviour (reference imatch-api.md section 9), with raw httpx."""

from __future__ import annotations

import json

import httpx
import pytest

from imatch.tls import default_tls_context
from sandbox.imatch_server import IMatchSimulator
from sandbox.library import LibraryInfo


@pytest.fixture
def http(imatch_url: str) -> httpx.Client:
    with httpx.Client(verify=default_tls_context(), base_url=imatch_url) as client:
        yield client  # type: ignore[misc]


@pytest.fixture
def token(http: httpx.Client) -> str:
    # Real clients send authenticate's parameters in the query string with an empty body.
    answer = http.post("/v1/authenticate", params={"id": "me", "password": "", "appid": ""})
    assert answer.status_code == 200
    return str(answer.json()["auth_token"])


def test_every_call_needs_a_token(http: httpx.Client) -> None:
    answer = http.get("/v1/categories", params={"path": "Socials"})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == 401
    answer = http.get("/v1/categories", params={"path": "Socials", "auth_token": "forged"})
    assert answer.status_code == 401


def test_parameters_are_lower_case_and_come_from_query_or_form(
    http: httpx.Client, token: str, imatch_sim: IMatchSimulator
) -> None:
    answer = http.get("/v1/categories", params={"Path": "Socials", "auth_token": token})
    assert answer.status_code == 400
    assert "lower-case" in answer.json()["error"]["message"]
    file_id = min(imatch_sim.db.files)
    answer = http.post(
        "/v1/categories/assign",
        params={"auth_token": token},
        data={"path": "A|B", "fileid": str(file_id)},
    )
    assert answer.json() == {"result": "ok"}
    assert imatch_sim.db.direct_files("A|B") == [file_id]


def test_unknown_endpoint_and_unknown_path(http: httpx.Client, token: str) -> None:
    answer = http.get("/v1/versions", params={"auth_token": token})
    assert answer.status_code == 404
    assert "error" in answer.json()
    answer = http.get("/v1/categories", params={"path": "No|Such", "auth_token": token})
    assert answer.json() == {"categories": []}


def test_file_keys_are_camel_case_and_tags_come_back_verbatim(
    http: httpx.Client, token: str, imatch_sim: IMatchSimulator, sample_library: LibraryInfo
) -> None:
    version = sample_library.cases["add"]
    master = next(r.master for r in imatch_sim.db.relations if version in r.versions)
    answer = http.get(
        "/v1/files",
        params={
            "id": f"{master}",
            "fields": "id,filename,datetime",
            "taghierarchical_keywords": "hierarchicalkeywords",
            "varcamera_line": "Shot with {File.MD.model} ({File.Format})",
            "auth_token": token,
        },
    )
    [entry] = answer.json()["files"]
    assert set(entry) == {"id", "fileName", "dateTime", "hierarchical_keywords", "camera_line"}
    assert isinstance(entry["hierarchical_keywords"], list)
    assert entry["camera_line"].startswith("Shot with ")
    assert entry["camera_line"].endswith("(RAF)")
    assert entry["dateTime"].count("T") == 1


def test_all_files_idlist_pages(
    http: httpx.Client, token: str, imatch_sim: IMatchSimulator
) -> None:
    base = {"idlist": "@IMWS.allfiles", "fields": "id", "pagesize": "10", "auth_token": token}
    first = http.get("/v1/files", params={**base, "page": "0"}).json()["files"]
    second = http.get("/v1/files", params={**base, "page": "1"}).json()["files"]
    assert [f["id"] for f in first + second] == sorted(imatch_sim.db.files)[:20]
    answer = http.get("/v1/files", params={**base, "idlist": "@All"})
    assert answer.status_code == 400


def test_too_many_ids_are_refused(
    http: httpx.Client, token: str, imatch_sim: IMatchSimulator
) -> None:
    imatch_sim.settings.max_ids_per_call = 3
    answer = http.get("/v1/files", params={"id": "1,2,3,4", "auth_token": token})
    assert answer.status_code == 400
    assert "too many ids" in answer.json()["error"]["message"]


def test_assign_can_refuse_unknown_categories(
    http: httpx.Client, token: str, imatch_sim: IMatchSimulator
) -> None:
    imatch_sim.settings.assign_creates_categories = False
    answer = http.post(
        "/v1/categories/assign", data={"path": "New|One", "fileid": "1", "auth_token": token}
    )
    assert answer.status_code == 400
    assert "New|One" not in imatch_sim.db.categories


def test_files_versus_direct_files_and_child_projection(
    http: httpx.Client, token: str, imatch_sim: IMatchSimulator
) -> None:
    answer = http.get(
        "/v1/categories",
        params={
            "path": "Socials",
            "fields": "path,files,directfiles,children",
            "auth_token": token,
        },
    )
    [socials] = answer.json()["categories"]
    assert socials["directFiles"] == []
    assert set(socials["files"]) >= set(imatch_sim.db.direct_files("Socials|flickr"))
    flickr = next(c for c in socials["children"] if c["path"] == "Socials|flickr")
    assert set(flickr) == {"path", "files", "directFiles"}  # one level unless recursion is on
    imatch_sim.settings.recursive_children = True
    answer = http.get(
        "/v1/categories",
        params={"path": "Socials", "fields": "path,children", "auth_token": token},
    )
    [socials] = answer.json()["categories"]
    flickr = next(c for c in socials["children"] if c["path"] == "Socials|flickr")
    assert any(c["path"] == "Socials|flickr|_update" for c in flickr["children"])


def test_file_categories_can_include_ancestors(
    http: httpx.Client, token: str, imatch_sim: IMatchSimulator, sample_library: LibraryInfo
) -> None:
    version = str(sample_library.cases["update"])
    params = {"id": version, "fields": "path", "auth_token": token}
    direct = http.get("/v1/files/categories", params=params).json()["files"][0]["categories"]
    assert {"path": "Socials"} not in direct
    imatch_sim.settings.file_categories_include_ancestors = True
    every = http.get("/v1/files/categories", params=params).json()["files"][0]["categories"]
    assert {"path": "Socials"} in every


def test_relations_come_in_groups_with_default_fields(
    http: httpx.Client, token: str, imatch_sim: IMatchSimulator, sample_library: LibraryInfo
) -> None:
    version = sample_library.cases["add"]
    master = next(r.master for r in imatch_sim.db.relations if version in r.versions)
    answer = http.get(
        "/v1/files/relations", params={"id": str(master), "type": "versions", "auth_token": token}
    ).json()
    [group] = answer["files"][0]["versions"]
    assert set(group["files"][0]) == {"id", "name", "fileName", "format", "size"}
    answer = http.get(
        "/v1/files/relations", params={"id": str(master), "type": "masters", "auth_token": token}
    ).json()
    assert answer["files"][0]["masters"] == []


def test_attribute_writes_validate_their_tasks(
    http: httpx.Client, token: str, imatch_sim: IMatchSimulator
) -> None:
    def write(tasks: str, set_name: str = "flickr") -> httpx.Response:
        return http.post(
            "/v1/attributes",
            data={"set": set_name, "id": "1", "tasks": tasks, "auth_token": token},
        )

    assert write("not json").status_code == 400
    assert write(json.dumps([{"op": "add", "data": {"nope": "1"}}])).status_code == 400
    assert write(json.dumps([{"op": "add", "data": {"url": "x"}}]), "nosuchset").status_code == 400
    assert write(json.dumps([{"op": "rename"}])).status_code == 400
    assert imatch_sim.db.instances_of("flickr", 1) == []
    assert write(json.dumps([{"op": "add", "data": {"url": "x"}}])).json() == {"result": "ok"}
    [instance] = imatch_sim.db.instances_of("flickr", 1)
    # An instance id of a file not named in `id` is ignored.
    other = imatch_sim.db.add_instance("flickr", 2, {"url": "keep"})
    task = {"op": "delete", "instanceid": [instance.instance_id, other.instance_id]}
    assert write(json.dumps([task])).json() == {"result": "ok"}
    assert imatch_sim.db.instances_of("flickr", 1) == []
    assert imatch_sim.db.record("flickr", 2) == {"url": "keep"}


def test_appvar_path_and_missing_variable(
    http: httpx.Client, token: str, imatch_sim: IMatchSimulator
) -> None:
    answer = http.get("/v1/imatch/appvar", params={"name": "flickr_is_public", "auth_token": token})
    assert answer.json() == {"value": 1}
    answer = http.get("/v1/imatch/appvar", params={"name": "unset", "auth_token": token})
    assert answer.json() == {}
    assert http.get("/v1/appvar", params={"name": "x", "auth_token": token}).status_code == 404


def test_request_log_redacts_the_token(
    http: httpx.Client, token: str, imatch_sim: IMatchSimulator
) -> None:
    http.get("/v1/imatch/appvar", params={"name": "x", "auth_token": token})
    http.post("/v1/categories/unassign", data={"path": "A", "fileid": "1", "auth_token": token})
    assert imatch_sim.log.records[-1].params == {"path": "A", "fileid": "1", "auth_token": "***"}
    assert all(token not in str(r.params) for r in imatch_sim.log.records)
