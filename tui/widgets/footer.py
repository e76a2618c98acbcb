"""The footer: the keys that fit, most used first.

Textual's footer cuts off its last keys (search, help, quit) when they do not fit. Here
keys not in `NARROW_FOOTER` get the class `-wide-only` and those in `ROOMY_FOOTER_ONLY`
`-roomy-only`, which the stylesheet hides below 100 and 130 columns; `l` shows only
while a platform needs a login. Help (`?`) and the command palette list every key.

Textual's footer builds all its keys again on every bindings signal (each focus change,
each plan loaded: a dozen or more times per start) and styles each new key twice. This
one builds them again only when what it would show changed, once for a burst of
signals, and gives each key its classes before it is styled.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tui.keys import NARROW_FOOTER, ROOMY_FOOTER_ONLY


class SocialsFooter(Footer):
    """Textual's compact footer with keys marked by the width they need."""

    def __init__(self, *, compact: bool = False) -> None:
        super().__init__(compact=compact)
        self._shown: object = None
        """What the keys on screen were built from (see `_keys_wanted`)."""
        self._rebuild_asked = False

    def compose(self) -> ComposeResult:
        ids = {
            binding.action: binding.id for _, binding, _, _ in self.screen.active_bindings.values()
        }
        needs_login = bool(getattr(self.screen, "needs_login", False))
        for widget in super().compose():
            if not isinstance(widget, FooterKey):
                yield widget
                continue
            # Set before the key is mounted, so it is styled once, not on every class.
            if self.compact:
                widget.add_class("-compact", update=False)
            if widget.has_class("-command-palette"):
                yield widget
                continue
            binding_id = ids.get(widget.action)
            if binding_id == "login" and not needs_login:
                continue
            if binding_id in ROOMY_FOOTER_ONLY:
                widget.add_class("-roomy-only", update=False)
            elif binding_id not in NARROW_FOOTER:
                widget.add_class("-wide-only", update=False)
            yield widget

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_asked:
            self._rebuild_asked = True
            self.call_after_refresh(self._rebuild_if_changed)

    async def _rebuild_if_changed(self) -> None:
        self._rebuild_asked = False
        if not self.is_attached:
            return
        wanted = self._keys_wanted()
        if wanted == self._shown:
            return
        self._shown = wanted
        await self.recompose()

    def _keys_wanted(self) -> object:
        """Everything `compose` reads: the screen's bindings the footer shows (a focused
        widget's hidden ones, e.g. the table's arrows, change nothing), whether a login
        is needed, and the palette key."""
        palette = self.app.COMMAND_PALETTE_BINDING
        active = self.screen.active_bindings
        ids = {binding.action: binding.id for _, binding, _, _ in active.values()}  # as compose
        bindings = tuple(
            (
                binding.key,
                self.app.get_key_display(binding),
                binding.action,
                binding.description,
                binding.show,
                ids.get(binding.action),
                binding.group,
                binding.tooltip,
                enabled,
                tooltip,
            )
            for key, (_, binding, enabled, tooltip) in active.items()
            if binding.show or key == palette
        )
        needs_login = bool(getattr(self.screen, "needs_login", False))
        return (bindings, needs_login, self.show_command_palette, self.compact)
