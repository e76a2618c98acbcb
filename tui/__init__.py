"""The Textual front end of imatch-socials. Talks only to `sync`."""
