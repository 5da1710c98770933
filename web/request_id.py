"""Request ids: taken from a well-formed X-Request-Id header, else generated."""

import re
import uuid

_ACCEPTED = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_from(headers) -> str:
    """Return the caller's request id when it is safe to log, else a new one."""
    given = headers.get("x-request-id", "")
    return given if _ACCEPTED.fullmatch(given) else uuid.uuid4().hex
