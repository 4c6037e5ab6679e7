"""Placeholder: commands land here."""

import typer

quarantine_app = typer.Typer(no_args_is_help=True)
