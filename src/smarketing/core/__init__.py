"""Settings, database engine and session, base model, errors, time utilities."""
