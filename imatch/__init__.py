"""Async client for the IMatch web API (IMWS). Knows nothing of flickr or pixelfed."""

import sys
import types

# httpx imports its own command-line tool when imported (rich, click and pygments: about
# a hundred modules, 0.05 to 0.1 s and 4 MB at every start), unless that import fails, in
# which case it defines a stub `main`. Nothing here uses httpx's command line, so the
# failure is arranged before httpx is first imported (sync/__init__.py imports this
# package first). A test checks that httpx still imports and that rich stays out.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", types.ModuleType("httpx._main"))
