"""The workspace interchange format (JSON Lines): import, export, rejects."""
