"""flickr: settings, limits, renderer, adapter, API wrapper and login.

Importing this package does not import flickrapi; the adapter and API wrapper modules do.
"""
