"""Users, passwords (argon2), sessions and access rules."""
