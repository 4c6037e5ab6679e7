"""The web app: app factory, login and sessions, server-rendered pages, static files."""
