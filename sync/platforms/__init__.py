"""One package per platform behind the interface in `base`; `installed` registers them."""
