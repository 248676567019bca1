"""The rich progress display: one bar per phase, a log line when a phase ends."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

Callback = Callable[[int, int, str], None]


class Display:
    def __init__(self, enabled: bool = True) -> None:
        self.console = Console(stderr=True, quiet=not enabled)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("[dim]{task.fields[note]}"),
            console=self.console,
            disable=not enabled,
        )

    def __enter__(self) -> Display:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def task(self, description: str, total: int | None = None) -> Callback:
        """A bar; the returned callback takes (done, total, note) like the ingest pipeline's progress."""
        task_id = self.progress.add_task(description, total=total, note="")

        def update(done: int, total_: int, note: str = "") -> None:
            self.progress.update(task_id, completed=done, total=total_, note=note[:60])

        return update

    def log(self, message: str) -> None:
        self.console.log(message)
