"""The run panel under the table: what is running, a progress bar, and the log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar, RichLog

Clock = Callable[[], datetime]


class RunPanel(Vertical):
    """Idle it shows the last outcome; running it shows progress and waits."""

    DEFAULT_CSS = """
    RunPanel { height: auto; }
    RunPanel > Horizontal { height: 1; padding: 0 1; }
    RunPanel #run-status { width: 1fr; }
    RunPanel ProgressBar { width: auto; }
    RunPanel RichLog {
        height: 7;
        border-top: solid $foreground 20%;
        padding: 0 1;
        /* Lines are wrapped to the width left beside the scrollbar, also before it shows. */
        scrollbar-gutter: stable;
    }
    """

    def __init__(self, clock: Clock, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.waiting_sentence = ""

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label("Nothing running.", id="run-status", markup=False)
            yield ProgressBar(total=None, show_eta=False, id="run-progress")
        # min_width: RichLog renders at least 78 columns by default, wider than the log
        # is at 80 columns, so line ends would be cut off.
        yield RichLog(id="run-log", wrap=True, markup=False, max_lines=2000, min_width=20)

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False

    def begin(self, description: str, total: int) -> None:
        self.status(description)
        bar = self.query_one(ProgressBar)
        bar.update(total=max(total, 1), progress=0)
        bar.display = True

    def scanning(self, text: str, done: int, total: int) -> None:
        """Show how a scan of IMatch advances, with the progress bar."""
        self.status(text)
        bar = self.query_one(ProgressBar)
        bar.update(total=max(total, 1), progress=done)
        bar.display = True

    def progress(self, done: int, total: int) -> None:
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)

    def waiting(self, seconds: float, reason: str) -> str:
        """Show until when the run waits; the sentence for the log, or "" when unchanged.

        The rate limiter reports every wait, often many per second: only a new end time
        is worth a line.
        """
        until = (self.clock() + timedelta(seconds=seconds)).strftime("%H:%M:%S")
        what = "rate limit" if reason == "rate limit" else "a retry"
        sentence = f"Waiting for {what} until {until}"
        if sentence == self.waiting_sentence:
            return ""
        self.waiting_sentence = sentence
        self.status(Text(f"⏸ {sentence}", style="bold yellow"))
        return sentence

    def end(self, sentence: str) -> None:
        self.status(sentence)
        self.query_one(ProgressBar).display = False

    def status(self, text: str | Text) -> None:
        if not (isinstance(text, Text) and text.plain.startswith("⏸")):
            self.waiting_sentence = ""
        self.query_one("#run-status", Label).update(text)

    def log_line(self, text: str, style: str = "") -> None:
        stamp = self.clock().strftime("%H:%M:%S")
        self.query_one(RichLog).write(Text.assemble((stamp + " ", "dim"), (text, style)))

    def log_lines(self) -> list[str]:
        """The log as plain text (tests read it)."""
        return [strip.text for strip in self.query_one(RichLog).lines]
