"""The `smarketing` command line."""

from __future__ import annotations

import typer

from smarketing.contacts.cli import contacts_app
from smarketing.core.database import transaction
from smarketing.core.timeutil import utcnow
from smarketing.core.workspace import open_workspace
from smarketing.funnel.cli import funnel_command
from smarketing.interchange.cli import export_command, import_command
from smarketing.sla.agreements import ensure_template
from smarketing.workspace.repository import ensure_workspace_row

app = typer.Typer(
    name="smarketing",
    help="Sales and marketing alignment: one shared funnel, a measured SLA, a closed loop.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.command()
def init() -> None:
    """Create the workspace database (SMARKETING_DATABASE_URL) and apply every migration."""
    workspace = open_workspace()
    with transaction(workspace.sessions) as session:
        ensure_workspace_row(session, workspace.settings)
        created = ensure_template(session, utcnow().date())
    if created:
        typer.echo("created SLA 'default' (draft) from the template: 8 business hours to the "
                   "first attempt, 5 attempts in 14 days, 300 MQLs per rep per month")
    typer.echo(f"workspace ready at {workspace.engine.url.render_as_string(hide_password=True)}")


@app.command()
def check(
    full: bool = typer.Option(
        False, "--full", help="SQLite: integrity_check and foreign_key_check (slower) "
                              "instead of quick_check; PostgreSQL: also amcheck the indexes."),
) -> None:  # fmt: skip
    """Check that the workspace database is sound: readable pages and records, the schema
    at the newest migration (docs/operations.md). Exit code 0 when it is, 4 when not."""
    from smarketing.core.integrity import DAMAGED, check_database, describe
    from smarketing.core.settings import get_settings

    report = check_database(get_settings().database_url, full=full)
    for line in describe(report):
        typer.echo(line, err=not report.ok and line.startswith(("problem", "what")))
    if not report.ok:
        raise typer.Exit(DAMAGED)


app.command("import")(import_command)
app.command("export")(export_command)
app.command("funnel")(funnel_command)
app.add_typer(contacts_app, name="contacts")


def _measure_rates_from_workspace(window_months: int):  # type: ignore[no-untyped-def]
    """`sla plan --from-history`: conversion rates measured on the configured workspace."""
    from smarketing.core.timeutil import utcnow
    from smarketing.sla.history_rates import measure_rates

    workspace = open_workspace()
    with transaction(workspace.sessions) as session:
        return measure_rates(session, utcnow(), window_months)


def _register_domains() -> None:
    """Sub-commands that live in their domain packages."""
    from smarketing import wiring  # noqa: F401 - registers every quarantine replayer
    from smarketing.accounts.cli import users_app
    from smarketing.apikeys.cli import apikeys_app
    from smarketing.attribution.cli import attribution_command
    from smarketing.contacts.duplicates_cli import duplicates_app
    from smarketing.core.jobs import worker_command
    from smarketing.demo.cli import demo_command
    from smarketing.followup.cli import attempts_app
    from smarketing.hooks.cli import hooks_app
    from smarketing.ingest.csv_cli import export_csv_command, import_csv_command
    from smarketing.notify.cli import notify_app
    from smarketing.privacy.cli import gdpr_app
    from smarketing.quarantine.cli import quarantine_app
    from smarketing.sla.admin_cli import register_admin_commands
    from smarketing.sla.cli import sla_app
    from smarketing.sla.planner_cli import register_plan_command
    from smarketing.sla.report_cli import register_report_commands
    from smarketing.tracking.cli import tracking_app
    from smarketing.web.server import serve_command

    app.command("demo")(demo_command)
    app.command("attribution")(attribution_command)
    app.command("import-csv")(import_csv_command)
    app.command("export-csv")(export_csv_command)
    app.command("serve")(serve_command)
    app.command("worker")(worker_command)
    register_plan_command(sla_app, measure_rates=_measure_rates_from_workspace)
    register_admin_commands(sla_app)
    register_report_commands(sla_app)
    app.add_typer(sla_app, name="sla")
    app.add_typer(attempts_app, name="attempts")
    app.add_typer(notify_app, name="notify")
    app.add_typer(users_app, name="users")
    app.add_typer(gdpr_app, name="gdpr")
    app.add_typer(duplicates_app, name="duplicates")
    app.add_typer(apikeys_app, name="api-keys", help="Create, list and revoke API keys.")
    app.add_typer(quarantine_app, name="quarantine",
                  help="Rejected input kept with its reason: list, show, replay, discard.")
    app.add_typer(tracking_app, name="tracking",
                  help="Website tracking: allowed site domains and channel rules.")
    app.add_typer(hooks_app, name="hooks",
                  help="Inbound webhook sources (HubSpot, RD Station, generic forms).")


_register_domains()
