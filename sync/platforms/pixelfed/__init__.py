"""pixelfed: settings, limits, renderer, adapter, error classification and login check."""
