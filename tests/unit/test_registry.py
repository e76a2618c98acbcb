"""The platform registry: what takes part in a run, and what a spec gives the core."""

from __future__ import annotations

from imatch.models import AppVariables
from sync.config import Credentials, Settings, credentials
from sync.platforms import registry
from sync.session import SyncSession


def test_mastodon_takes_part_only_once_its_credentials_exist() -> None:
    settings = Settings()
    session = SyncSession(settings)
    session.credentials = credentials(AppVariables({}), settings, environ={})
    assert session.taking_part() == ("flickr", "pixelfed")
    variables = AppVariables(
        {"mastodon_url": "https://mastodon.example", "mastodon_token": "token"}
    )
    session.credentials = credentials(variables, settings, environ={})
    assert session.taking_part() == ("flickr", "pixelfed", "mastodon")


def test_every_spec_is_complete() -> None:
    for spec in registry.specs():
        assert spec.record_keys, spec.name
        assert spec.app_variables, spec.name
        assert {f.name for f in spec.attribute_fields} >= {"posted", *spec.record_keys}
        assert spec.default_settings().enabled
        empty = spec.empty_credentials()
        assert not spec.has_credentials(empty), spec.name
        assert Credentials().of(spec.name) == empty
