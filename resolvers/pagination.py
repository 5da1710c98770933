"""Opaque cursors and page-size checks for connections."""

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from db.paging import restore_position
from resolvers.errors import ErrorCode, fail

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def encode_cursor(position: Sequence[Any]) -> str:
    """Encode a position (sort-key values) as an opaque cursor."""
    raw = json.dumps(list(position), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, columns: Sequence[ColumnElement]) -> list[Any]:
    """Decode a cursor made by `encode_cursor` for the same sort columns."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list):
            raise ValueError("cursor is not a list")
        return restore_position(columns, values)
    # RecursionError: the JSON decoder raises it for deeply nested arrays.
    except (ValueError, TypeError, RecursionError, binascii.Error) as error:
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"The cursor '{cursor[:60]}' is malformed or belongs to another list; pass an "
            "`endCursor` or edge `cursor` this list returned.",
            "after",
        ) from error


def check_first(first: int) -> int:
    """Reject page sizes outside 1..100."""
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise fail(
            ErrorCode.BAD_USER_INPUT,
            f"`first` must be between 1 and {MAX_PAGE_SIZE}; got {first}.",
            "first",
        )
    return first
