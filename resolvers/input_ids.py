"""Ids from client input, checked before they reach a query or the audit trail.

PostgreSQL rejects text with a NUL character, so such an id would fail in the driver as an
internal error. No row can have one, so it is reported like any other unknown id.
"""

from resolvers.errors import ErrorCode, UseCaseError, UserError
from resolvers.validation import is_storable


def check_ids(ids: dict[str, str | None], code: ErrorCode = ErrorCode.NOT_FOUND) -> None:
    """Fail for every given id that contains a control character or a lone surrogate.

    `ids` maps input field names to values; None values are skipped.
    """
    errors = [
        UserError(
            code,
            f"No object has the id {value[:60]!r}: ids contain no control characters. Check "
            f"`{field}`.",
            [field],
        )
        for field, value in ids.items()
        if value is not None and not is_storable(value)
    ]
    if errors:
        raise UseCaseError(errors)
