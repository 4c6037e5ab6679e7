"""``smarketing users ...``: a person's own settings and passwords from the command line.

The root CLI adds :data:`users_app` as ``users``. Bad input (an unknown user, language or
notification kind, an SLA alert to mute, a password the rule refuses) prints an error and
exits with code 2 (3 for an unknown user); nothing is written.
"""

from __future__ import annotations

import sys

import typer

from smarketing.accounts.domain import AUTO
from smarketing.accounts.service import set_preferences, user_by_email
from smarketing.auth.service import reset_password, set_password
from smarketing.core.cli_output import fail
from smarketing.core.database import transaction
from smarketing.core.errors import NotFoundError, ValidationError
from smarketing.core.timeutil import utcnow
from smarketing.core.workspace import open_workspace
from smarketing.notify.domain import MUTABLE_KINDS

__all__ = ["users_app"]

#: Exit code of an unknown user (docs/usage.md).
NOT_FOUND = 3

users_app = typer.Typer(
    help="People's own settings: the language of their pages, the alerts they turn off.",
    no_args_is_help=True,
)


@users_app.command("set")
def set_command(
    email: str = typer.Argument(..., metavar="EMAIL", help="The user, by e-mail."),
    locale: str | None = typer.Option(
        None, "--locale", metavar="CODE",
        help=f"The language of their pages: en, es, pt, it, or {AUTO} (follow the "
             "browser, else the workspace).",
    ),
    mute: list[str] = typer.Option(  # noqa: B008 - Typer's way to declare a repeatable option
        [], "--mute", metavar="KIND",
        help=f"Stop sending them this kind of notification ({', '.join(MUTABLE_KINDS)}); "
             "repeatable. SLA clock alerts cannot be muted.",
    ),
    unmute: list[str] = typer.Option(  # noqa: B008 - as above
        [], "--unmute", metavar="KIND", help="Send them this kind again; repeatable.",
    ),
) -> None:  # fmt: skip
    """Change a user's language and the notification kinds they receive.

    What is not given stays as it is; with no option, prints the current settings.
    """
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            user = user_by_email(session, email)
            if locale is not None or mute or unmute:
                kwargs = {"locale": locale} if locale is not None else {}
                set_preferences(session, user, mute=mute, unmute=unmute, **kwargs)
            shown_locale = user.locale or AUTO
            muted = ", ".join(user.muted_notification_kinds or []) or "none"
            shown_email = user.email
    except NotFoundError as error:
        fail(str(error), code=NOT_FOUND)
    except ValidationError as error:
        fail(str(error))
    typer.echo(f"{shown_email}: locale {shown_locale}; muted notifications: {muted}")


@users_app.command("password")
def password_command(
    email: str = typer.Argument(..., metavar="EMAIL", help="The user, by e-mail."),
    from_stdin: bool = typer.Option(
        False, "--stdin", help="Read the new password from standard input (one line) "
                               "instead of asking for it twice."),
) -> None:  # fmt: skip
    """Set or change a user's password (asked twice, not echoed). At least 12 characters
    and not easy to guess (docs/security.md); every login of the user ends."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            user = set_password(session, email, password, now=utcnow())
            shown = user.email
    except NotFoundError as error:
        fail(str(error), code=NOT_FOUND)
    except ValidationError as error:
        fail(f"password: {error}")
    typer.echo(f"password of {shown} set; every login of theirs has ended")


@users_app.command("reset-password")
def reset_password_command(
    email: str = typer.Argument(..., metavar="EMAIL", help="The user, by e-mail."),
) -> None:
    """An admin's reset: give the user a new random password, printed once on standard
    output, and end every login of theirs. They change it on their account page."""
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            generated = reset_password(session, email, utcnow())
    except NotFoundError as error:
        fail(str(error), code=NOT_FOUND)
    typer.echo(generated)
    typer.echo(f"new password of {email.strip().lower()} (shown once); every login of "
               "theirs has ended", err=True)
