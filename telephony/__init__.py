"""The telephony domain: models and business rules, with no knowledge of HTTP requests."""


class DomainError(Exception):
    """A rule refused an action. `message` is a translatable (lazy) string for the user;
    `field` names the form field it concerns, when there is one."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class InvalidForm(DomainError):
    """A form holds several mistakes: `errors` maps each field to its message (the first
    one is also the error's own message and field)."""

    def __init__(self, errors: dict[str, object]):
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors


class NotFound(DomainError):
    """The object does not exist in the account's scope (answered as 404)."""
