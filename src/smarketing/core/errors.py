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


class TranslatableValidationError(ValidationError):
    """A ValidationError a page can show in its language: `message` is marked with N_
    (smarketing.i18n) and its named placeholders are filled from `params`. str() is the
    English text, which the JSON API and the command line keep."""

    def __init__(self, message: str, /, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params
