"""Identifiers and timestamps as the tables store them."""

import uuid
from datetime import UTC, datetime


def new_id() -> str:
    """Return a fresh random identifier for a row."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """Return the current time in UTC; timestamp columns store aware datetimes."""
    return datetime.now(UTC)
