"""The Relay `Node` interface and opaque global ids of the form base64("Type:id")."""

import base64
import binascii

import strawberry

from resolvers.errors import ErrorCode, fail


@strawberry.interface(description="An object with an opaque global id, fetchable with `node`.")
class Node:
    id: strawberry.ID


def to_global_id(type_name: str, object_id: str) -> strawberry.ID:
    """Encode a type name and plain id into a global id."""
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{object_id}".encode()).decode())


def from_global_id(global_id: str) -> tuple[str, str]:
    """Decode a global id into its type name and plain id."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, object_id = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise fail(
            ErrorCode.BAD_USER_INPUT, f"'{global_id[:60]}' is not a valid global id.", "id"
        ) from error
    if not type_name or not object_id:
        raise fail(ErrorCode.BAD_USER_INPUT, f"'{global_id[:60]}' is not a valid global id.", "id")
    return type_name, object_id
