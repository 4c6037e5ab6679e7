"""Notifications: in-app messages plus apprise channels (Slack, Teams, e-mail...).

- `service.notify(...)` raises a notification for users (deduplicated) and queues its
  deliveries to every target of the user and of the user's team.
- `jobs.deliver_due(...)` sends due deliveries with retries and backoff; the periodic job
  `jobs.deliver_due_job` runs it every minute.
- `cli.notify_app` is `smarketing notify` (targets, delivery log, a delivery pass now).
"""
