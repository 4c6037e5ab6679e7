"""Constants of the demo workspace shared by the generator, the CLI and the web app."""

DEMO_EMAIL_DOMAIN = "demo.smarketing.example"
DEMO_PASSWORD = "demo1234"  # noqa: S105 - the published password of the demo logins
