"""Domain errors raised by services; the API and the portal translate them for people."""

from collections.abc import Iterable


class DomainError(Exception):
    """Base of every error a service raises on purpose."""


class InvalidTransition(DomainError):
    """A state change the state machine does not allow; nothing was saved."""

    def __init__(self, *, kind: str, current: str, requested: str, allowed: Iterable[str]) -> None:
        self.kind = kind
        self.current = current
        self.requested = requested
        self.allowed = sorted(allowed)
        allowed_text = ", ".join(self.allowed) or "none (final state)"
        super().__init__(
            f"A {kind} in state '{current}' cannot move to '{requested}'. Allowed next states: {allowed_text}."
        )


class RuleViolation(DomainError):
    """Input that is well-formed but breaks a business rule; `field` names the culprit."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class Conflict(DomainError):
    """Someone else changed the object since the caller looked at it; nothing was saved.

    Raised when a request says which state it expects (`expected`) and the locked row is in
    another one, so the second of two people acting at once is told rather than overwriting.
    """

    def __init__(self, message: str, *, current: str, expected: str) -> None:
        self.current = current
        self.expected = expected
        super().__init__(message)


class RateLimited(DomainError):
    """Too many attempts of one kind from one client or account; try again after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(message)
