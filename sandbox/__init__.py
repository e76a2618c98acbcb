"""Local simulators of IMatch, flickr and pixelfed, and the sample library generator.

Used by the tests, the benchmarks and `imatch-socials demo`; never by the real sync.
"""
