"""``smarketing quarantine list|show|replay|discard``: rejected input kept with its reason.

Exit codes: 0 success; 1 when a replayed item is still rejected (the attempt is recorded
all the same); 2 on bad usage (an unknown item, an item no longer open, a bad option or
a payload file that is not JSON).
"""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from smarketing.core.cli_output import fail
from smarketing.core.database import transaction
from smarketing.core.errors import SmarketingError
from smarketing.core.timeutil import as_utc, format_instant, utcnow
from smarketing.core.workspace import open_workspace
from smarketing.models import QuarantineItem
from smarketing.quarantine import service as quarantine

__all__ = ["quarantine_app"]

STATUS_CHOICES = (*quarantine.STATUSES, "all")
PREVIEW_CHARS = 60

quarantine_app = typer.Typer(
    help="The quarantine: every rejected input item (API activities and writes, tracking "
         "events, webhook payloads) kept as received, with the reason, until it is replayed "
         "after a fix or discarded.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)  # fmt: skip



def _status_filter(status: str) -> str | None:
    if status not in STATUS_CHOICES:
        fail(f"--status: must be one of {', '.join(STATUS_CHOICES)}, got {status!r}")
    return None if status == "all" else status


@quarantine_app.command("list")
def list_command(
    status: str = typer.Option("open", "--status", help="open, replayed, discarded or all."),
    kind: str | None = typer.Option(None, "--kind", help="Only this kind, e.g. activity."),
    source: str | None = typer.Option(None, "--source", help="Only this source, e.g. api."),
    limit: int = typer.Option(100, "--limit", "-n", min=1, max=10_000, help="At most N items."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (full payloads)."),
) -> None:
    """List quarantined items, oldest first, with their reason and a payload preview."""
    wanted = _status_filter(status)
    workspace = open_workspace()
    with transaction(workspace.sessions, read_only=True) as session:
        items = quarantine.list_items(session, wanted, kind, source, limit=limit)
        total = quarantine.count_items(session, wanted, kind, source)
    if as_json:
        rows = [quarantine.item_as_dict(item) for item in items]
        typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    console = Console()
    if not items:
        console.print("nothing in the quarantine matches", highlight=False)
        return
    table = Table(show_edge=False)
    for column in ("id", "source", "kind", "status", "received (UTC)", "attempts", "reason",
                   "payload"):
        table.add_column(column, overflow="fold")
    for item in items:
        received = as_utc(item.received_at).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(str(item.id), escape(item.source), escape(item.kind), item.status,
                      received, str(item.attempts), escape(item.reason),
                      escape(quarantine.preview(item.payload, PREVIEW_CHARS)))  # fmt: skip
    console.print(table, highlight=False)
    shown = f"{len(items)} of {total}" if total > len(items) else str(total)
    console.print(f"{shown} item(s); `smarketing quarantine show ID` prints the whole payload",
                  highlight=False)  # fmt: skip


@quarantine_app.command("show")
def show_command(item_id: int = typer.Argument(..., metavar="ID", help="The item's id.")) -> None:
    """Show one item: where it came from, its status, reason, attempts and whole payload."""
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions, read_only=True) as session:
            item = quarantine.get_item(session, item_id)
            lines = _describe(item)
            payload = quarantine.pretty_payload(item.payload)
    except SmarketingError as exc:
        fail(str(exc))
    for line in lines:
        typer.echo(line)
    typer.echo("payload:")
    typer.echo(payload)


def _describe(item: QuarantineItem) -> list[str]:
    lines = [
        f"item {item.id}: {item.kind} from {item.source}, {item.status}",
        f"received: {format_instant(item.received_at)}",
        f"attempts: {item.attempts}",
        f"reason:   {item.reason}" if item.status == "open" else f"last reason: {item.reason}",
    ]
    if item.resolved_at is not None:
        lines.append(f"{item.status}: {format_instant(item.resolved_at)}: {item.resolution}")
    return lines


@quarantine_app.command("replay")
def replay_command(
    item_id: int | None = typer.Argument(None, metavar="[ID]", help="The item to replay."),
    payload_file: Path | None = typer.Option(
        None, "--payload", metavar="FILE.json", dir_okay=False,
        help="Replay with this corrected item instead of the one held (JSON).",
    ),
    replay_all: bool = typer.Option(False, "--all", help="Replay every open item."),
    kind: str | None = typer.Option(None, "--kind", help="With --all: only this kind."),
    source: str | None = typer.Option(None, "--source", help="With --all: only this source."),
) -> None:  # fmt: skip
    """Apply an item again, after fixing the workspace (e.g. creating the missing campaign)
    or the item itself (--payload).

    A replay that works marks the item replayed; one still rejected keeps it open with the
    new reason and one more attempt, and exits with code 1. `--all` replays every open
    item (optionally of one kind or source), each on its own, and prints a summary.
    """
    if replay_all == (item_id is not None):
        fail("give an item ID or --all (not both)")
    if replay_all and payload_file is not None:
        fail("--payload goes with one item ID, not with --all")
    if not replay_all and (kind or source):
        fail("--kind and --source go with --all")
    if replay_all:
        _replay_all(kind, source)
    else:
        assert item_id is not None  # noqa: S101 - checked above
        _replay_one(item_id, _read_payload(payload_file) if payload_file else None)


def _read_payload(path: Path) -> str:
    """The file's item as compact JSON text (a bare string would be taken as raw text)."""
    try:
        return orjson.dumps(orjson.loads(path.read_bytes())).decode()
    except OSError as exc:
        fail(f"--payload: cannot read {path}: {exc.strerror}")
    except orjson.JSONDecodeError as exc:
        fail(f"--payload: {path} is not JSON: {exc}")


def _replay_one(item_id: int, payload: str | None) -> None:
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            item = quarantine.replay(session, item_id, utcnow(), payload=payload)
            status, reason, attempts, resolution = (item.status, item.reason, item.attempts,
                                                    item.resolution)  # fmt: skip
    except SmarketingError as exc:
        fail(str(exc))
    if status == "replayed":
        typer.echo(f"item {item_id} replayed: {resolution}")
        return
    typer.echo(f"item {item_id} still rejected (attempt {attempts}): {reason}", err=True)
    raise typer.Exit(1)


def _replay_all(kind: str | None, source: str | None) -> None:
    workspace = open_workspace()
    with transaction(workspace.sessions) as session:
        summary = quarantine.replay_open(session, utcnow(), kind, source)
    total = summary.replayed + len(summary.still_open)
    if total == 0:
        typer.echo("no open items to replay")
        return
    typer.echo(f"replayed {summary.replayed}, still open {len(summary.still_open)}")
    for item_id, reason in summary.still_open:
        typer.echo(f"  item {item_id}: {reason}")
    if summary.still_open:
        raise typer.Exit(1)


@quarantine_app.command("discard")
def discard_command(
    item_id: int = typer.Argument(..., metavar="ID", help="The item to discard."),
    reason: str = typer.Option(..., "--reason", help="Why it is dropped (kept with the item)."),
) -> None:
    """Drop an item for good: it stays listed as discarded, with the reason."""
    if not reason.strip():
        fail("--reason: say why the item is discarded")
    workspace = open_workspace()
    try:
        with transaction(workspace.sessions) as session:
            quarantine.discard(session, item_id, utcnow(), f"{reason.strip()} (by cli)")
    except SmarketingError as exc:
        fail(str(exc))
    typer.echo(f"item {item_id} discarded: {reason.strip()}")
