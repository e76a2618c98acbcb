"""The headless core of imatch-socials: model, rules, rendering, plan, engine, journal, CLI.

Nothing in this package imports textual.
"""
