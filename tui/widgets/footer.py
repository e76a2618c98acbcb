"""The footer: the keys that fit, most used first.

Textual's footer cuts off its last keys (search, help, quit) when they do not fit. Here
keys not in `NARROW_FOOTER` get the class `-wide-only` and those in `ROOMY_FOOTER_ONLY`
`-roomy-only`, which the stylesheet hides below 100 and 130 columns; `l` shows only
while a platform needs a login. Help (`?`) and the command palette list every key.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tui.keys import NARROW_FOOTER, ROOMY_FOOTER_ONLY


class SocialsFooter(Footer):
    """Textual's compact footer with keys marked by the width they need."""

    def compose(self) -> ComposeResult:
        ids = {
            binding.action: binding.id for _, binding, _, _ in self.screen.active_bindings.values()
        }
        needs_login = bool(getattr(self.screen, "needs_login", False))
        for widget in super().compose():
            if not isinstance(widget, FooterKey) or widget.has_class("-command-palette"):
                yield widget
                continue
            binding_id = ids.get(widget.action)
            if binding_id == "login" and not needs_login:
                continue
            if binding_id in ROOMY_FOOTER_ONLY:
                widget.add_class("-roomy-only")
            elif binding_id not in NARROW_FOOTER:
                widget.add_class("-wide-only")
            yield widget
