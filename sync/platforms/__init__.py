"""One module per platform (flickr, pixelfed) behind the interface in `base`."""
