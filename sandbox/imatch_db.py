"""The in-memory IMatch database behind the IMatch simulator, and its JSON fixture format.

A library folder holds `library.json` (this format) and the image files it names by
relative path. Tests, benchmarks and the demo load it, change it through the simulator's
HTTP API, and inspect it directly.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIXTURE_FORMAT = "imatch-socials-library/1"
LIBRARY_FILE = "library.json"
REPEATABLE_TAGS = frozenset({"hierarchicalkeywords", "keywords", "persons"})
SEPARATOR = "|"


@dataclass
class SimFile:
    id: int
    file_name: str
    """Full path of the file, as IMatch reports it."""
    name: str
    format: str
    stored_size: int
    width: int = 0
    height: int = 0
    date_time: str = ""
    tags: dict[str, Any] = field(default_factory=dict)
    """Short tag name (lower-case) -> value; repeatable tags hold lists."""
    raw_tags: dict[str, str] = field(default_factory=dict)
    """Fully qualified tag id (`XMP::iptcExt\\...\\0`) -> value."""
    collections: list[int] = field(default_factory=list)
    expect: dict[str, Any] = field(default_factory=dict)
    """What the generator meant this file to exercise (ignored by the server)."""

    @property
    def size(self) -> int:
        """The file's size on disk when it exists, else the size IMatch last recorded."""
        try:
            return Path(self.file_name).stat().st_size
        except OSError:
            return self.stored_size


@dataclass
class SimCategory:
    id: int
    path: str
    description: str = ""
    thumbnail: int = 0
    direct: set[int] = field(default_factory=set)

    @property
    def name(self) -> str:
        return self.path.rsplit(SEPARATOR, 1)[-1]

    @property
    def parent_path(self) -> str | None:
        return self.path.rsplit(SEPARATOR, 1)[0] if SEPARATOR in self.path else None


@dataclass
class SimRelation:
    master: int
    versions: list[int]
    rule: str = "Versions"


@dataclass
class SimAttributeInstance:
    instance_id: int
    file_id: int
    set_name: str
    values: dict[str, Any]


class IMatchDatabase:
    """Files, categories, relations, attribute records and app variables of one library.

    Every method takes the database lock, so tests may read while the server writes.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self.lock = threading.RLock()
        self.files: dict[int, SimFile] = {}
        self.categories: dict[str, SimCategory] = {}
        self.relations: list[SimRelation] = []
        self._relations_of: dict[int, list[SimRelation]] = {}
        self.attribute_sets: dict[str, dict[str, str]] = {}
        self.instances: dict[int, SimAttributeInstance] = {}
        self._instances_of: dict[tuple[str, int], list[SimAttributeInstance]] = {}
        self.app_variables: dict[str, str | int] = {}
        self._next_category_id = 1
        self._next_instance_id = 1

    # --- loading and saving -------------------------------------------------------------

    @classmethod
    def load(cls, library_dir: Path) -> IMatchDatabase:
        """Load `library_dir/library.json`; file paths become absolute."""
        library_dir = library_dir.resolve()
        data = json.loads((library_dir / LIBRARY_FILE).read_text(encoding="utf-8"))
        return cls.from_fixture(data, library_dir)

    @classmethod
    def from_fixture(cls, data: dict[str, Any], root: Path) -> IMatchDatabase:
        if data.get("format") != FIXTURE_FORMAT:
            raise ValueError(f"not an imatch-socials library fixture: {data.get('format')!r}")
        db = cls(root)
        for entry in data["files"]:
            db.files[entry["id"]] = SimFile(
                id=entry["id"],
                file_name=str(root / entry["path"]),
                name=Path(entry["path"]).name,
                format=entry["format"],
                stored_size=entry.get("size", 0),
                width=entry.get("width", 0),
                height=entry.get("height", 0),
                date_time=entry.get("dateTime", ""),
                tags=dict(entry.get("tags", {})),
                raw_tags=dict(entry.get("rawTags", {})),
                collections=list(entry.get("collections", [])),
                expect=dict(entry.get("expect", {})),
            )
        for entry in data.get("categories", []):
            category = db.ensure_category(entry["path"])
            category.description = entry.get("description", "")
            category.direct.update(entry.get("files", []))
        for entry in data.get("relations", []):
            db.add_relation(entry["master"], entry["versions"], entry.get("rule", "Versions"))
        db.attribute_sets = {k: dict(v) for k, v in data.get("attributeSets", {}).items()}
        for entry in data.get("attributes", []):
            db.add_instance(entry["set"], entry["file"], entry["values"])
        db.app_variables = dict(data.get("appVariables", {}))
        return db

    def to_fixture(self) -> dict[str, Any]:
        """The database as fixture data (paths relative to `root` where possible)."""
        with self.lock:
            return {
                "format": FIXTURE_FORMAT,
                "files": [self._file_fixture(f) for f in self.files.values()],
                "categories": [
                    {"path": c.path, "description": c.description, "files": sorted(c.direct)}
                    for c in self.categories.values()
                ],
                "relations": [
                    {"master": r.master, "versions": r.versions, "rule": r.rule}
                    for r in self.relations
                ],
                "attributeSets": self.attribute_sets,
                "attributes": [
                    {"set": i.set_name, "file": i.file_id, "values": i.values}
                    for i in self.instances.values()
                ],
                "appVariables": self.app_variables,
            }

    def _file_fixture(self, f: SimFile) -> dict[str, Any]:
        path = Path(f.file_name)
        if self.root is not None and path.is_relative_to(self.root):
            path = path.relative_to(self.root)
        entry: dict[str, Any] = {
            "id": f.id,
            "path": path.as_posix(),
            "format": f.format,
            "size": f.stored_size,
            "width": f.width,
            "height": f.height,
            "dateTime": f.date_time,
            "tags": f.tags,
        }
        if f.raw_tags:
            entry["rawTags"] = f.raw_tags
        if f.collections:
            entry["collections"] = f.collections
        if f.expect:
            entry["expect"] = f.expect
        return entry

    # --- categories ---------------------------------------------------------------------

    def ensure_category(self, path: str) -> SimCategory:
        """The category at `path`, created with its ancestors when missing."""
        with self.lock:
            existing = self.categories.get(path)
            if existing is not None:
                return existing
            parent = path.rsplit(SEPARATOR, 1)[0] if SEPARATOR in path else None
            if parent is not None:
                self.ensure_category(parent)
            category = SimCategory(id=self._next_category_id, path=path)
            self._next_category_id += 1
            self.categories[path] = category
            return category

    def children(self, path: str) -> list[SimCategory]:
        with self.lock:
            return [c for c in self.categories.values() if c.parent_path == path]

    def descendants(self, path: str) -> list[SimCategory]:
        prefix = path + SEPARATOR
        with self.lock:
            return [c for c in self.categories.values() if c.path.startswith(prefix)]

    def category_files(self, path: str) -> list[int]:
        """Files of a category including those of all its descendants, sorted by id."""
        with self.lock:
            category = self.categories.get(path)
            if category is None:
                return []
            ids = set(category.direct)
            for child in self.descendants(path):
                ids |= child.direct
            return sorted(ids)

    def direct_files(self, path: str) -> list[int]:
        with self.lock:
            category = self.categories.get(path)
            return sorted(category.direct) if category else []

    def categories_of(self, file_id: int) -> list[SimCategory]:
        with self.lock:
            return [c for c in self.categories.values() if file_id in c.direct]

    def assign(self, path: str, file_ids: Iterable[int]) -> None:
        with self.lock:
            self.ensure_category(path).direct.update(file_ids)

    def unassign(self, path: str, file_ids: Iterable[int]) -> None:
        with self.lock:
            category = self.categories.get(path)
            if category is not None:
                category.direct.difference_update(file_ids)

    # --- relations ----------------------------------------------------------------------

    def add_relation(self, master: int, versions: list[int], rule: str = "Versions") -> None:
        with self.lock:
            relation = SimRelation(master, list(versions), rule)
            self.relations.append(relation)
            for file_id in {master, *versions}:
                self._relations_of.setdefault(file_id, []).append(relation)

    def version_groups(self, file_id: int) -> list[list[int]]:
        with self.lock:
            relations = self._relations_of.get(file_id, [])
            return [list(r.versions) for r in relations if r.master == file_id]

    def master_groups(self, file_id: int) -> list[list[int]]:
        with self.lock:
            relations = self._relations_of.get(file_id, [])
            return [[r.master] for r in relations if file_id in r.versions]

    # --- attributes ---------------------------------------------------------------------

    def instances_of(self, set_name: str, file_id: int) -> list[SimAttributeInstance]:
        with self.lock:
            return list(self._instances_of.get((set_name, file_id), []))

    def add_instance(
        self, set_name: str, file_id: int, values: dict[str, Any]
    ) -> SimAttributeInstance:
        with self.lock:
            instance = SimAttributeInstance(self._next_instance_id, file_id, set_name, dict(values))
            self._next_instance_id += 1
            self.instances[instance.instance_id] = instance
            self._instances_of.setdefault((set_name, file_id), []).append(instance)
            return instance

    def delete_instance(self, instance_id: int) -> None:
        with self.lock:
            instance = self.instances.pop(instance_id)
            self._instances_of[(instance.set_name, instance.file_id)].remove(instance)

    def record(self, set_name: str, file_id: int) -> dict[str, Any] | None:
        """The values of a file's first instance of `set_name` (test convenience)."""
        found = self.instances_of(set_name, file_id)
        return dict(found[0].values) if found else None
