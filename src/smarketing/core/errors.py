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
