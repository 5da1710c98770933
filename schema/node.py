"""The Relay `Node` interface and opaque global ids of the form base64("Type:id")."""

import base64
import binascii
import re

import strawberry

from resolvers.errors import ErrorCode, UseCaseError, fail
from resolvers.validation import is_storable

TYPE_NAME_PATTERN = re.compile(r"[A-Z][A-Za-z]{0,63}")


@strawberry.interface(description="An object with an opaque global id, fetchable with `node`.")
class Node:
    id: strawberry.ID


def to_global_id(type_name: str, object_id: str) -> strawberry.ID:
    """Encode a type name and plain id into a global id."""
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{object_id}".encode()).decode())


def from_global_id(global_id: str) -> tuple[str, str]:
    """Decode a global id into its type name and plain id; fail with BAD_USER_INPUT if malformed."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, object_id = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
    # UnicodeError covers a non-ASCII id and decoded bytes that are not UTF-8.
    except (binascii.Error, UnicodeError, ValueError) as error:
        raise _malformed(global_id) from error
    # The plain id is passed to the database, which rejects NUL and lone surrogates.
    if not TYPE_NAME_PATTERN.fullmatch(type_name) or not object_id or not is_storable(object_id):
        raise _malformed(global_id)
    return type_name, object_id


def _malformed(global_id: str) -> UseCaseError:
    return fail(
        ErrorCode.BAD_USER_INPUT,
        f"'{global_id[:60]}' is not a valid global id; pass the `id` field of an object.",
        "id",
    )
