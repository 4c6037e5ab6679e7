"""The typed records of the workspace's facts: the interchange format (version 1,
shared/spec/interchange.md) as pydantic models, and how their errors name a field.

Every door validates with them, so a value is accepted or refused the same way whether it
comes from `smarketing import`, the API, a webhook or a CSV file."""
