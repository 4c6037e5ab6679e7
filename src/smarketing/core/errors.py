"""Domain errors. Edges map them to HTTP status codes and CLI exit codes."""


class SmarketingError(Exception):
    """Base of every error the product raises on purpose; its message is for the user."""


class ValidationError(SmarketingError, ValueError):
    """Input is malformed; the message says what is wrong and where."""


class NotFoundError(SmarketingError, LookupError):
    """A referenced record does not exist."""


class ConflictError(SmarketingError):
    """The request contradicts what is already recorded."""


class PermissionDeniedError(SmarketingError):
    """The actor may not do or see this."""


def json_type(value: object) -> str:
    """What a decoded JSON value is, in JSON's words ("an array", "a number"), for errors."""
    names = {list: "an array", str: "a string", int: "a number", float: "a number",
             bool: "a boolean", type(None): "null", dict: "an object"}  # fmt: skip
    return names.get(type(value), type(value).__name__)
