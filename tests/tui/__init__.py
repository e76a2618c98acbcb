"""tui tests (see tests/conftest.py for the layers)."""
