"""Expected failures of use cases, returned to clients as data."""

import enum
from dataclasses import dataclass, field


class ErrorCode(enum.StrEnum):
    """Codes of expected failures; clients branch on these, never on messages."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    PRECONDITION_FAILED = "PRECONDITION_FAILED"
    NOT_SUPPORTED_FOR_SERVICE_USER = "NOT_SUPPORTED_FOR_SERVICE_USER"
    RATE_LIMITED = "RATE_LIMITED"


@dataclass(frozen=True)
class UserError:
    """One expected failure: its code, a message with the fix, and the input field."""

    code: ErrorCode
    message: str
    field: list[str] | None = None


@dataclass
class UseCaseError(Exception):
    """Raised by a use case to stop with one or more expected failures; nothing is committed."""

    errors: list[UserError] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{e.code}: {e.message}" for e in self.errors)


def fail(code: ErrorCode, message: str, field: str | list[str] | None = None) -> UseCaseError:
    """Build a UseCaseError with a single failure; `field` is an input path such as "userId"."""
    path = [field] if isinstance(field, str) else field
    return UseCaseError([UserError(code, message, path)])


def not_found(kind: str, object_id: str, field: str | None = None) -> UseCaseError:
    """Build the NOT_FOUND failure for an id that names nothing; long ids are cut short."""
    shown = object_id if len(object_id) <= 80 else object_id[:80] + "..."
    return fail(
        ErrorCode.NOT_FOUND,
        f"No {kind} with the id '{shown}' exists or is visible to you; check the id.",
        field,
    )
