"""One package per platform behind the interface in `base`."""
