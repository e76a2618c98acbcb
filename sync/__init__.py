"""The headless core of imatch-socials: model, rules, rendering, plan, engine, journal, CLI.

Nothing in this package imports textual.
"""

import imatch  # noqa: F401  (first: it keeps httpx from importing its command-line tool)
