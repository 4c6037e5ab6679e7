"""Placeholder: commands land here."""

import typer

apikeys_app = typer.Typer(no_args_is_help=True)
