"""The `UserError` type that mutation payloads return, and conversions into it."""

import strawberry

from resolvers.errors import ErrorCode as ErrorCodeEnum
from resolvers.errors import UserError as UserErrorData

ErrorCode = strawberry.enum(ErrorCodeEnum, name="ErrorCode", description="Code of a failure.")


@strawberry.type(description="An expected failure of a mutation; nothing was changed.")
class UserError:
    code: ErrorCode
    message: str
    field: list[str] | None = strawberry.field(
        description="Path of the input field the failure is about, when there is one."
    )

    @classmethod
    def from_data(cls, error: UserErrorData) -> "UserError":
        """Convert a use-case failure."""
        return cls(code=error.code, message=error.message, field=error.field)


def user_errors(errors: list[UserErrorData]) -> list[UserError]:
    """Convert a list of use-case failures."""
    return [UserError.from_data(e) for e in errors]
