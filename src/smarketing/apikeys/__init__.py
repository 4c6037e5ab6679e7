"""Per-workspace API keys: created, listed and revoked by admins; stored hashed."""
