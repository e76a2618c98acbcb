"""The platforms this program knows: one registration line each.

Imported by the registry on first use (not by `sync.platforms` itself, whose `base` the
core imports early). A registration imports only the package's `spec` module, never its
adapter, so knowing the platforms costs no start-up time.
"""

from importlib import import_module

from sync.platforms.registry import register

register(import_module("sync.platforms.flickr.spec").SPEC)
register(import_module("sync.platforms.pixelfed.spec").SPEC)
register(import_module("sync.platforms.mastodon.spec").SPEC)
