"""Async client for the IMatch web API (IMWS). Knows nothing of flickr or pixelfed."""
