"""Placeholder: commands land here."""

import typer

hooks_app = typer.Typer(no_args_is_help=True)
