"""The workspace's own settings (time zone, currency, locale) and its reference data:
calendars, teams, users, product lines and personas, and the lookups of their keys."""
