"""Background work of the SLA engine: the sweeper, every minute.

A breach is noticed at most a minute after its due instant (the scheduler's tick);
several workers may run this at once: each breach is still handled once.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from smarketing.core.database import transaction
from smarketing.core.jobs import crontab, every_minute, periodic
from smarketing.core.timeutil import utcnow
from smarketing.core.workspace import open_workspace
from smarketing.sla.sweeper import SweepStats, sweep

log = logging.getLogger(__name__)
#: A bound on one pass (500 clocks a batch); what is left is taken by the next minute.
MAX_BATCHES = 200


def run_sweep_pass() -> SweepStats:
    """Sweep until nothing is due (each batch its own transaction), then deliver alerts."""
    workspace = open_workspace(apply_migrations=False)
    total = SweepStats()
    try:
        for _ in range(MAX_BATCHES):
            with transaction(workspace.sessions) as session:
                stats = sweep(session, utcnow())
            for name, value in asdict(stats).items():
                setattr(total, name, getattr(total, name) + value)
            if stats.examined == 0:
                break
    finally:
        workspace.engine.dispose()
    if total.breached or total.at_risk:
        from smarketing.notify.jobs import request_delivery

        log.info("SLA sweep: %s", asdict(total))
        request_delivery()
    return total


@periodic(every_minute())
def sweep_sla_clocks_job() -> None:
    """Every minute: mark at-risk and breached SLA clocks and alert, each exactly once."""
    run_sweep_pass()


@periodic(crontab(minute="5"))
def pacing_alert_job() -> None:
    """Hourly: marketing hears (once a day per rep or team) when MQL delivery is behind pace."""
    from smarketing.sla.report_service import alert_behind_pace

    workspace = open_workspace(apply_migrations=False)
    try:
        with transaction(workspace.sessions) as session:
            raised = alert_behind_pace(session, utcnow())
    finally:
        workspace.engine.dispose()
    if raised:
        from smarketing.notify.jobs import request_delivery

        request_delivery()
