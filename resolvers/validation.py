"""Checks and normal forms of user input: usernames, emails, names and lengths."""

import re
import unicodedata

from resolvers.errors import ErrorCode, UseCaseError, fail

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]{3,64}$")
# A pragmatic shape check: one @, a dot in the domain, no spaces. Delivery proves the rest.
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


# Control characters that text fields may still contain: tab and line breaks.
ALLOWED_CONTROL_CHARACTERS = frozenset("\t\n\r")


def is_storable(value: str, *, allow_line_breaks: bool = False) -> bool:
    """Tell whether text has no control characters and no lone surrogates.

    PostgreSQL rejects NUL in text and UTF-8 cannot encode a lone surrogate, so such input
    would fail in the database driver instead of as a clear input error.
    """
    for character in value:
        category = unicodedata.category(character)
        if category == "Cs":
            return False
        if category == "Cc" and not (allow_line_breaks and character in ALLOWED_CONTROL_CHARACTERS):
            return False
    return True


def check_username(username: str, field: str = "username") -> str:
    """Return the username if it is 3 to 64 characters of letters, digits, '.', '_' or '-'."""
    if not USERNAME_PATTERN.fullmatch(username):
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"Username '{username[:80]}' is invalid: use 3 to 64 characters from A-Z, a-z, "
            "0-9, '.', '_' and '-'.",
            field,
        )
    return username


def username_key(username: str) -> str:
    """Return the case-insensitive form usernames are compared in."""
    return username.lower()


def normalise_email(email: str, field: str = "email") -> tuple[str, str]:
    """Return the email as given (trimmed) and its NFKC, lower-cased comparison key."""
    value = email.strip()
    key = unicodedata.normalize("NFKC", value).lower()
    if (
        len(value) > 320
        or len(key) > 320
        or not is_storable(key)
        or not EMAIL_PATTERN.fullmatch(key)
    ):
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"Email '{value[:80]}' is invalid: expected an address such as name@example.com.",
            field,
        )
    return value, key


def check_text(value: str | None, field: str, max_length: int, *, required: bool = False):
    """Return stripped text, rejecting empty required values and values that are too long."""
    if value is None:
        if required:
            raise fail(ErrorCode.BAD_USER_INPUT, f"`{field}` is required.", field)
        return None
    stripped = value.strip()
    if not is_storable(stripped, allow_line_breaks=True):
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"`{field}` contains a control character or an invalid Unicode surrogate; remove it.",
            field,
        )
    if required and not stripped:
        raise fail(ErrorCode.BAD_USER_INPUT, f"`{field}` must not be empty.", field)
    if len(stripped) > max_length:
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"`{field}` is {len(stripped)} characters long; the maximum is {max_length}.",
            field,
        )
    return stripped


def collect(*checks) -> None:
    """Raise one UseCaseError with the failures of several independent checks."""
    errors = []
    for check in checks:
        try:
            check()
        except UseCaseError as error:
            errors.extend(error.errors)
    if errors:
        raise UseCaseError(errors)
