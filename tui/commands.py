"""The command palette provider: every key's action, named `platform: action`.

Built from the same binding list as the footer and the help screen, so the palette
teaches the keys (each hit shows its key) and only offers what can run now.
"""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.keys import FILTER_BINDINGS, PHOTO_BINDINGS, RUN_BINDINGS
from tui.screens.help import key_display


class SocialsCommands(Provider):
    """Runs actions on the main screen's current tab."""

    def _commands(self) -> list[tuple[str, Binding]]:
        from tui.screens.main import MainScreen

        screen = self.app.screen_stack[0] if self.app.screen_stack else None
        if not isinstance(screen, MainScreen):
            return []
        view = screen.current
        prefix = view.platform if view is not None else "photos"
        found = []
        for group, bindings in (
            (prefix, RUN_BINDINGS),
            ("photos", PHOTO_BINDINGS),
            ("filter", FILTER_BINDINGS),
        ):
            for binding in bindings:
                action, _, argument = binding.action.partition("(")
                parameters = (argument.rstrip(")").strip("'"),) if argument else ()
                if screen.check_action(action, parameters) is False:
                    continue
                found.append((f"{group}: {binding.description}", binding))
        return found

    def _run(self, binding: Binding) -> None:
        screen = self.app.screen_stack[0]
        self.app.call_later(screen.run_action, binding.action)

    async def discover(self) -> Hits:
        for title, binding in self._commands():
            yield DiscoveryHit(
                f"{title}  ({key_display(binding)})",
                partial(self._run, binding),
                help=binding.tooltip,
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, binding in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(f"{title}  ({key_display(binding)})"),
                    partial(self._run, binding),
                    help=binding.tooltip,
                )
