"""Placeholder: commands land here."""

import typer

tracking_app = typer.Typer(no_args_is_help=True)
