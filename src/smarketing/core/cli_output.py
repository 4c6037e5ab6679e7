"""What every command prints the same way."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

#: Exit codes of the commands (docs/usage.md): 0 all done, 1 a crash (a fault or a bug),
#: 2 bad input or usage (the message says what is wrong and where), 3 some lines or rows
#: of an import rejected (the others loaded; the rejects file has them).
BAD_INPUT = 2
SOME_REJECTED = 3


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    """Print `message` as an error on stderr (markup-escaped) and exit with `code`."""
    Console(stderr=True).print(f"[red]error:[/red] {escape(message)}", highlight=False,
                               soft_wrap=True)  # fmt: skip
    raise typer.Exit(code)
