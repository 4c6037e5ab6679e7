"""What every command prints the same way."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

#: Exit code of bad input (the message says what is wrong and where).
BAD_INPUT = 2


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    """Print `message` as an error on stderr (markup-escaped) and exit with `code`."""
    Console(stderr=True).print(f"[red]error:[/red] {escape(message)}", highlight=False,
                               soft_wrap=True)  # fmt: skip
    raise typer.Exit(code)
