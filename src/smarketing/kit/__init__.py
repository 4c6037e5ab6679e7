"""The shared HTTP kit: request dependencies, auth, pagination, templating, rate limits,
error answers and page helpers. Domains import it; it imports no domain (docs/architecture.md)."""
