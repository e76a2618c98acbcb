"""Start the simulators (IMatch, flickr, pixelfed, Mastodon) together on 127.0.0.1 with
one library, seeded to agree.

Used by `imatch-socials demo`, `imatch-socials sandbox`, end-to-end tests and
benchmarks. `configure_home()` writes a throw-away config and flickr login so the real
app (headless or TUI) talks to the simulators.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.flickr_server import FlickrSimulator
from sandbox.flickr_state import FlickrSettings
from sandbox.imatch_db import LIBRARY_FILE, IMatchDatabase
from sandbox.imatch_server import IMatchSimulator
from sandbox.library import generate_library
from sandbox.mastodon_seeding import LIFTED_LIMITS, seed_mastodon
from sandbox.mastodon_server import MastodonSimulator
from sandbox.pixelfed_server import PixelfedSimulator
from sandbox.seeding import FlickrLogin, seed_flickr, seed_pixelfed
from sandbox.serving import ServerThread, stop_all


@dataclass
class SandboxWorld:
    """The running simulators and where they listen."""

    library: Path
    imatch: IMatchSimulator
    imatch_url: str
    flickr: FlickrSimulator
    flickr_url: str
    flickr_login: FlickrLogin
    pixelfed: PixelfedSimulator
    pixelfed_url: str
    mastodon: MastodonSimulator
    mastodon_url: str
    servers: dict[str, ServerThread] = field(default_factory=dict)
    """The running servers by name (`imatch`, `flickr`, `pixelfed`, `mastodon`)."""

    def stop(self, name: str) -> None:
        """Stop one server (e.g. IMatch quitting mid-run): its port refuses connections."""
        self.servers[name].stop()

    def restart(self, name: str) -> None:
        """Serve a stopped simulator again on the same address."""
        old = self.servers[name]
        apps = {
            "imatch": self.imatch.asgi_app,
            "flickr": self.flickr.asgi_app,
            "pixelfed": self.pixelfed.asgi_app,
            "mastodon": self.mastodon.asgi_app,
        }
        self.servers[name] = ServerThread(apps[name], old.port).start()

    def configure_home(
        self, home: Path, overrides: Mapping[str, Mapping[str, object]] | None = None
    ) -> Path:
        """Write config and flickr token under `home` (use as IMATCH_SOCIALS_HOME).

        `overrides` adds settings by section, e.g. `{"flickr": {"concurrency": 2}}`.
        """
        from sync.platforms.flickr.api import FlickrToken
        from sync.platforms.flickr.login import save_token
        from sync.secret_store import SecretStore

        sections: dict[str, dict[str, object]] = {
            "imatch": {"url": self.imatch_url},
            "flickr": {"url": self.flickr_url},
        }
        for section, values in (overrides or {}).items():
            sections.setdefault(section, {}).update(values)
        config = home / "config" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(_toml(sections), encoding="utf-8")
        login = self.flickr_login
        save_token(
            SecretStore(home / "state"),
            login.api_key,
            FlickrToken(
                login.token,
                login.token_secret,
                login.perms,
                login.user_nsid,
                login.username,
                login.fullname,
            ),
        )
        return config


def _toml(sections: Mapping[str, Mapping[str, object]]) -> str:
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
        lines.append("")
    return "\n".join(lines)


@contextmanager
def sandbox_world(
    library: Path | None = None,
    *,
    imatch_port: int = 0,
    flickr_port: int = 0,
    pixelfed_port: int = 0,
    mastodon_port: int = 0,
    latency: float = 0.0,
    photos: int = 0,
    flickr_account: str = "pro",
    flickr_groups: str = "normal",
    flickr_transient: float = 0.0,
) -> Iterator[SandboxWorld]:
    """Serve the three simulators until the block ends.

    Without `library`, a demo library (plus `photos` extra photos) is generated in a
    temporary folder that is removed afterwards. The library's posted photos, albums and
    groups are created in the platform simulators and its records point at them.

    Account conditions a real user meets (DESIGN section 8): `flickr_account="free"`
    (free-account limits, see `seed_flickr`), `flickr_groups="throttled"` (a throttled and
    a moderated group) and `flickr_transient` (that share of flickr calls answers a
    transient failure code or an HTML error page).
    """
    if not 0.0 <= flickr_transient <= 1.0:
        raise ValueError(f"flickr transient rate must be between 0 and 1, got {flickr_transient}")
    with ExitStack() as stack:
        if library is None:
            library = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="imatch-demo-")))
            generate_library(library, photos)
        elif not (library / LIBRARY_FILE).is_file():
            raise FileNotFoundError(f"{library} holds no {LIBRARY_FILE}")
        db = IMatchDatabase.load(library)
        flickr = FlickrSimulator(FlickrSettings(transient_seed=1))
        pixelfed = PixelfedSimulator()
        mastodon = MastodonSimulator()
        imatch = IMatchSimulator(db)
        servers = {}
        threads: dict[str, ServerThread] = {}
        # Stopped at the end whichever thread serves each one by then (see restart).
        stack.callback(_stop_all, threads)
        for name, sim, port in (
            ("flickr", flickr, flickr_port),
            ("pixelfed", pixelfed, pixelfed_port),
            ("mastodon", mastodon, mastodon_port),
            ("imatch", imatch, imatch_port),
        ):
            server = ServerThread(sim.asgi_app, port).start()
            threads[name] = server
            servers[name] = server.url
        login = seed_flickr(flickr, db, flickr_account, flickr_groups)
        seed_pixelfed(pixelfed, servers["pixelfed"], db)
        seed_mastodon(mastodon, servers["mastodon"], db)
        # A library's first publication is more than Mastodon's 30 uploads per 30 minutes:
        # the sandbox account has the throttles lifted (their tests use the simulator).
        for name in (*LIFTED_LIMITS, "media_limit", "delete_limit"):
            setattr(mastodon.settings, name, None)
        for sim in (imatch, flickr, pixelfed, mastodon):
            sim.knobs.latency = latency
            sim.knobs.reset_counters()
            sim.log.clear()
        flickr.settings.transient_rate = flickr_transient
        yield SandboxWorld(
            library=library,
            imatch=imatch,
            imatch_url=servers["imatch"],
            flickr=flickr,
            flickr_url=servers["flickr"],
            flickr_login=login,
            pixelfed=pixelfed,
            pixelfed_url=servers["pixelfed"],
            mastodon=mastodon,
            mastodon_url=servers["mastodon"],
            servers=threads,
        )


def _stop_all(threads: dict[str, ServerThread]) -> None:
    stop_all(threads.values())
